package scenarios_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// bpfObject is one program or map as `bpftool … show -j` lists it.
type bpfObject struct {
	ID     int    `json:"id"`
	Type   string `json:"type"`
	Name   string `json:"name"`
	MapIDs []int  `json:"map_ids"` // programs only
}

func (o bpfObject) String() string { return fmt.Sprintf("%d %s %q", o.ID, o.Type, o.Name) }

// bpfObjects lists the kernel's BPF programs and maps (bpftool).
func bpfObjects(t *testing.T) (progs, maps []bpfObject) {
	t.Helper()
	return bpftoolList(t, "prog"), bpftoolList(t, "map")
}

func bpftoolList(t *testing.T, what string) []bpfObject {
	t.Helper()
	out, err := exec.Command("bpftool", what, "show", "-j").Output()
	if err != nil {
		t.Fatalf("bpftool %s show: %v (install the Debian package bpftool: make setup)", what, err)
	}
	var objs []bpfObject
	if err := json.Unmarshal(out, &objs); err != nil {
		t.Fatalf("bpftool %s show -j: %v", what, err)
	}
	return objs
}

// added returns the objects of after whose IDs are not in before. IDs are
// never reused while an object lives, so this is what appeared since.
func added(before, after []bpfObject) []bpfObject {
	seen := make(map[int]bool, len(before))
	for _, o := range before {
		seen[o.ID] = true
	}
	var out []bpfObject
	for _, o := range after {
		if !seen[o.ID] {
			out = append(out, o)
		}
	}
	return out
}

// bpfLeftovers compares the kernel's BPF objects with a snapshot taken
// before up. It returns what the lab left that user space can still
// reach (leaked) and what the kernel keeps that nothing can reach
// (orphans).
//
// An orphan is an empty prog_array that no program uses, no process has
// open and no bpffs mounted anywhere pins: no lab part holds it, and
// nothing could free it. Kernel 6.18 sometimes keeps a pod endpoint's
// cilium_calls array that way after its agent, bpffs and programs are
// gone: two such arrays after one dual-stack lab in CI, and two on a
// development machine; five more labs left none (docs/cilium-netns.md).
func bpfLeftovers(t *testing.T, progs, maps []bpfObject) (leaked, orphans []bpfObject) {
	t.Helper()
	nowProgs, nowMaps := bpfObjects(t)
	leaked = added(progs, nowProgs)
	newMaps := added(maps, nowMaps)
	if len(newMaps) == 0 {
		return leaked, nil
	}
	held := mapsHeldByProcesses()
	for _, p := range nowProgs {
		for _, id := range p.MapIDs {
			held[id] = true
		}
	}
	elsewhere := bpffsInOtherNamespaces()
	for _, m := range newMaps {
		if m.Type == "prog_array" && !held[m.ID] && !elsewhere && !pinnedHere(m.ID) && mapEmpty(m.ID) {
			orphans = append(orphans, m)
		} else {
			leaked = append(leaked, m)
		}
	}
	return leaked, orphans
}

// mapsHeldByProcesses returns the IDs of the maps some process has open
// (/proc/PID/fdinfo's map_id).
func mapsHeldByProcesses() map[int]bool {
	held := map[int]bool{}
	infos, _ := filepath.Glob("/proc/[0-9]*/fdinfo/*")
	for _, path := range infos {
		f, err := os.Open(path)
		if err != nil {
			continue // the process or fd is gone
		}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if v, ok := strings.CutPrefix(sc.Text(), "map_id:"); ok {
				if id, err := strconv.Atoi(strings.TrimSpace(v)); err == nil {
					held[id] = true
				}
			}
		}
		f.Close()
	}
	return held
}

// bpffsInOtherNamespaces says whether a mount namespace other than the
// test's has a bpffs: its pins cannot be listed from here.
func bpffsInOtherNamespaces() bool {
	self, _ := os.Readlink("/proc/self/ns/mnt")
	pids, _ := filepath.Glob("/proc/[0-9]*")
	for _, pid := range pids {
		if ns, err := os.Readlink(pid + "/ns/mnt"); err != nil || ns == self {
			continue
		}
		data, err := os.ReadFile(pid + "/mountinfo")
		if err == nil && strings.Contains(string(data), " - bpf ") {
			return true
		}
	}
	return false
}

// pinnedHere says whether a bpffs mounted in the test's namespace pins map
// id (bpftool -f lists the pins).
func pinnedHere(id int) bool {
	out, err := exec.Command("bpftool", "-f", "map", "show", "id", strconv.Itoa(id), "-j").Output()
	if err != nil {
		return true // unknown: count it as reachable
	}
	var m struct {
		Pinned []string `json:"pinned"`
	}
	return json.Unmarshal(out, &m) != nil || len(m.Pinned) > 0
}

// mapEmpty says whether bpftool dumps no element of map id.
func mapEmpty(id int) bool {
	out, err := exec.Command("bpftool", "map", "dump", "id", strconv.Itoa(id), "-j").Output()
	return err == nil && strings.TrimSpace(string(out)) == "[]"
}

func TestAdded(t *testing.T) {
	a, b, c := bpfObject{ID: 1}, bpfObject{ID: 2}, bpfObject{ID: 3}
	for _, tc := range []struct {
		name          string
		before, after []bpfObject
		want          []int
	}{
		{"nothing new", []bpfObject{a, b}, []bpfObject{a, b}, nil},
		{"one freed, one new", []bpfObject{a, b}, []bpfObject{a, c}, []int{3}},
		{"all new", nil, []bpfObject{b, c}, []int{2, 3}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []int
			for _, o := range added(tc.before, tc.after) {
				got = append(got, o.ID)
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("added = %v, want %v", got, tc.want)
			}
		})
	}
}
