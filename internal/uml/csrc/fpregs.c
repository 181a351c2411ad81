/*
 * fpregs.c: preloaded into Debian's user-mode Linux 6.1 kernel
 * (LD_PRELOAD), so that it saves and restores its guests' FPU state on
 * hosts whose XSAVE area is larger than AVX's (AVX-512, AMX).
 *
 * UML 6.1 moves a guest process's FPU state with ptrace(PTRACE_GETREGSET /
 * PTRACE_SETREGSET, NT_X86_XSTATE) and a buffer sized for AVX (832 bytes).
 * The host kernel accepts a short buffer when reading but refuses it when
 * writing (EFAULT: a write must cover the whole XSAVE area), and the guest
 * dies at its first process ("ptrace set fp regs failed, errno = 14").
 * UML's fallback when the regset is missing, PTRACE_GETFPREGS/SETFPREGS,
 * loses XMM registers across page faults on these hosts (seen: memcpy and
 * nginx corrupting data). Linux 6.13 sizes the buffer from the host; this
 * does the same from outside: every XSTATE read and write goes through a
 * host-sized buffer per traced pid, of which UML sees and changes the
 * first bytes, as many as it asked for. State beyond them (AVX-512, AMX)
 * is left as the host process holds it, so the threads of one guest
 * process share it: guests are told not to use AVX-512 (see guests.go).
 *
 * UML reads the state after every stop of a guest process (each system
 * call and page fault) and writes it back before resuming it, mostly
 * unchanged. A write that gives back exactly what the last read returned,
 * with the process not run in between, is skipped: the host process still
 * holds that state. This keeps a guest's system call as cheap as UML makes
 * it on a host without AVX-512; writing the whole host-sized area each
 * time made it several times slower (measured).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/types.h>
#include <sys/uio.h>

#ifndef NT_X86_XSTATE
#define NT_X86_XSTATE 0x202
#endif

#define HOST_MAX (64 * 1024) /* larger than any XSAVE area */
#define HEAD_MAX 4096        /* larger than UML's buffer */
#define SLOTS 1024

static long (*real_ptrace)(int, pid_t, void *, void *);
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;

/* What the last read of a traced pid returned to UML. */
static struct slot {
	pid_t pid;
	int fresh; /* the pid has not run since the read */
	size_t len;
	unsigned char head[HEAD_MAX];
} slots[SLOTS];
static unsigned char *full; /* the host-sized buffer of a write */

static struct slot *slot_of(pid_t pid)
{
	return &slots[(unsigned)pid % SLOTS];
}

static long xstate_get(pid_t pid, struct iovec *uiov)
{
	long r = real_ptrace(PTRACE_GETREGSET, pid, (void *)NT_X86_XSTATE, uiov);
	struct slot *s = slot_of(pid);
	s->pid = pid;
	s->fresh = r == 0 && uiov->iov_len <= HEAD_MAX;
	if (s->fresh) {
		s->len = uiov->iov_len;
		memcpy(s->head, uiov->iov_base, s->len);
	}
	return r;
}

static long xstate_set(pid_t pid, struct iovec *uiov)
{
	struct slot *s = slot_of(pid);
	if (s->pid == pid && s->fresh && s->len == uiov->iov_len && memcmp(s->head, uiov->iov_base, s->len) == 0)
		return 0; /* the host process holds this state already */
	if (!full && !(full = malloc(HOST_MAX))) {
		errno = ENOMEM;
		return -1;
	}
	/* The current state, whole: what the write keeps beyond UML's part. */
	struct iovec kiov = {full, HOST_MAX};
	long r = real_ptrace(PTRACE_GETREGSET, pid, (void *)NT_X86_XSTATE, &kiov);
	if (r < 0)
		return r;
	size_t n = uiov->iov_len < kiov.iov_len ? uiov->iov_len : kiov.iov_len;
	memcpy(full, uiov->iov_base, n);
	r = real_ptrace(PTRACE_SETREGSET, pid, (void *)NT_X86_XSTATE, &kiov);
	s->pid = pid;
	s->fresh = r == 0 && n == uiov->iov_len && n <= HEAD_MAX;
	if (s->fresh) {
		s->len = n;
		memcpy(s->head, uiov->iov_base, n);
	}
	return r;
}

/* leaves_stopped reports whether a request keeps the tracee stopped. */
static int leaves_stopped(int req)
{
	switch (req) {
	case PTRACE_PEEKTEXT: case PTRACE_PEEKDATA: case PTRACE_PEEKUSER:
	case PTRACE_POKETEXT: case PTRACE_POKEDATA: case PTRACE_POKEUSER:
	case PTRACE_GETREGS: case PTRACE_SETREGS: case PTRACE_GETFPREGS: case PTRACE_SETFPREGS:
	case PTRACE_GETREGSET: case PTRACE_SETREGSET: case PTRACE_GETSIGINFO:
	case PTRACE_SETOPTIONS: case PTRACE_GETEVENTMSG:
		return 1;
	}
	return 0;
}

long ptrace(enum __ptrace_request req, ...)
{
	va_list ap;
	va_start(ap, req);
	pid_t pid = va_arg(ap, pid_t);
	void *addr = va_arg(ap, void *);
	void *data = va_arg(ap, void *);
	va_end(ap);
	if (!real_ptrace)
		real_ptrace = (long (*)(int, pid_t, void *, void *))dlsym(RTLD_NEXT, "ptrace");
	long r;
	pthread_mutex_lock(&mu);
	if ((req == PTRACE_GETREGSET || req == PTRACE_SETREGSET) && (long)addr == NT_X86_XSTATE) {
		r = req == PTRACE_GETREGSET ? xstate_get(pid, data) : xstate_set(pid, data);
	} else {
		if (!leaves_stopped(req))
			slot_of(pid)->fresh = 0;
		r = real_ptrace(req, pid, addr, data);
	}
	pthread_mutex_unlock(&mu);
	return r;
}
