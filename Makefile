# lblab: the two commands are `make lab` (bring up the default lab and verify
# it) and `make test` (every test, integration tests included, as root).
SHELL   := /bin/bash
GO      ?= go
BIN     := bin/lblab
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X github.com/lblab/lblab/internal/version.Version=$(VERSION)

.PHONY: all setup build lab test unit components integration integration-kind kind-not-run vet generate bench bench-controllers fuzz clean

all: build

setup: ## install Debian packages and the gobgp v4 CLI
	./hack/setup.sh

build: ## build bin/lblab (static)
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/lblab

lab: setup build ## bring up the default lab (bgp-ecmp) and verify it
	$(BIN) up
	$(BIN) verify

test: setup build vet unit components integration kind-not-run ## every test; integration tests need root

vet:
	$(GO) vet ./...
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

unit:
	$(GO) mod download # every module of go.mod, tools too: TestWorkflowLint builds actionlint offline
	$(GO) test -short -count=1 ./...

components: build ## build the pinned Kubernetes components and Cilium once (cached in ~/.cache/lblab)
	$(BIN) components --cilium

integration: ## as root; LBLAB_INTEGRATION=1 turns a skip into a failure
	LBLAB_INTEGRATION=1 $(GO) test -p 1 -count=1 -timeout 80m -run '^TestIntegration' ./...

integration-kind: ## the kind backend's Docker-backed tests (-tags kind), against the running kind lab LBLAB_KIND_LAB
	LBLAB_INTEGRATION=1 $(GO) test -tags kind -count=1 -timeout 20m -run '^TestIntegrationKind' -v ./internal/backend/kind/

kind-not-run: # make test runs the netns lane only; say so, and why
	@if docker info >/dev/null 2>&1; then why="make test does not bring up a kind lab; run make integration-kind with LBLAB_KIND_LAB naming one"; \
	else why="no Docker daemon answers here"; fi; \
	echo "NOTE: the kind backend's integration tests (-tags kind, make integration-kind) were not run: $$why."

generate: ## regenerate deepcopy code and CRDs from controller/api
	$(GO) tool controller-gen object paths=./controller/api/...
	$(GO) tool controller-gen crd paths=./controller/api/... output:crd:dir=fixtures/crds

bench: build ## print the quick speed figures of the README (hack/bench has the rest)
	hack/bench/fabric.sh bgp-ecmp 10
	hack/bench/up-k8s.sh
	hack/bench/verify.sh

bench-controllers: build ## lblab, MetalLB and kube-vip side by side (lblab bench; README's controller figures)
	$(BIN) bench --controller lblab,metallb,kube-vip --services 100,1000 --plot bench.svg

fuzz: ## fuzz the topology decoder for a minute
	$(GO) test ./internal/topology -run '^$$' -fuzz FuzzDecode -fuzztime 60s

clean:
	rm -rf bin
