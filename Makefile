# sked — a Kubernetes scheduler operator in Swift.
SKED_CACHE ?= $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/sked
export CRON_ORACLE ?= $(SKED_CACHE)/cron-oracle

.PHONY: build test assets node-assets demo chaos fuzz clean release-binary image krew

build:
	swift build

## Installs and caches the test assets (kube-apiserver, etcd, the robfig/cron oracle, Flink 2.3).
assets:
	bash scripts/test-assets.sh >/dev/null
	bash scripts/build-cron-oracle.sh $(CRON_ORACLE)
	bash scripts/flink-assets.sh >/dev/null

## The whole suite from a fresh machine: the alert rules (promtool) and the Argo CD Lua checks,
## assets, the release binary and the image (the install
## tests run it as pods), a real control plane and Flink cluster, every test (the end-to-end
## suites start their own second control plane with a real node), then the bounded
## fault-injection suite (about 9 minutes) against the release binary the image ships (unstripped,
## for backtraces): its timing checks hold for the program users run, on a loaded 2-core machine.
test: assets node-assets image
	bash scripts/check-rules.sh
	bash scripts/test-argocd.sh
	swift build --build-tests
	bash scripts/control-plane.sh run -- bash scripts/flink-cluster.sh run -- swift test --skip-build --disable-xctest
	bash scripts/fuzz.sh $(FUZZ_SECONDS)
	python3 scripts/chaos/run.py --sked .build-release/release/sked

## The real node's assets (scripts/node.sh): kubelet + kube-scheduler from the same source tree,
## busybox and pause images built from busybox-static.
node-assets:
	bash scripts/test-assets.sh node >/dev/null
	bash scripts/node-images.sh >/dev/null

## Builds sked and runs it against a local control plane with a real node, so its Jobs really run
## (needs root), with the examples applied (Ctrl-C stops). DEMO_APISERVER_ONLY=1: no node.
demo: assets $(if $(filter 1,$(DEMO_APISERVER_ONLY)),,node-assets)
	swift build --product sked
	SKED_BIN=.build/debug/sked bash scripts/demo.sh

## libFuzzer on the cron engine, the watch-stream decoder and the webhook's answer (scripts/fuzz.sh):
## builds the three fuzzers in .build/fuzz (SKED_FUZZ=1, -sanitize=fuzzer; the first build takes several minutes),
## runs each for FUZZ_SECONDS (default 60) from the seeds in Fuzz/Corpus, prints execs and coverage,
## and fails with the reproducer's path on a crash, property violation, hang or OOM. `make test` runs it too.
FUZZ_SECONDS ?= 60
fuzz:
	bash scripts/fuzz.sh $(FUZZ_SECONDS)

## Fault-injection suite (scripts/chaos/run.py): SIGKILLs the operator, kills the leader of two,
## restarts/pauses kube-apiserver, restarts etcd, expires the operator's watches (etcd compaction) and
## feeds it bad input (fuzzed schedules, 1,000 invalid ScheduledJobs at once) while 24 ScheduledJobs
## fire every 1-2 s, then checks the invariants (no duplicate run, every tick a Job or counted missed,
## Forbid never overlaps, status matches the Jobs, bad input reported). Bounded (about 9 minutes, at
## most 15); `make test` runs it too. CHAOS_ARGS="--report" adds benchmarks/results/reliability-<date>.md.
## SKED_BIN=path skips the build; CHAOS_ARGS="--full" or "--scenarios kill --seed 7" and so on.
chaos:
	bash scripts/test-assets.sh >/dev/null
	$(if $(SKED_BIN),,swift build --product sked)
	python3 scripts/chaos/run.py --sked $(or $(SKED_BIN),.build/debug/sked) $(CHAOS_ARGS)

## The static release binary the image ships: built with the commit stamped in, stripped,
## and checked to run.
release-binary:
	bash scripts/stamp-build-info.sh swift build -c release --static-swift-stdlib --product sked --scratch-path .build-release
	cp .build-release/release/sked .build-release/sked-static && strip .build-release/sked-static
	.build-release/sked-static version
	.build-release/sked-static version --json | grep -q '"commit":"[0-9a-f]'

## The container image without a container engine (scripts/build-image.sh): a docker-archive
## tarball at .build-release/sked-image.tar, tagged docker.io/library/sked:<version>, holding the
## release binary and exactly the libraries it links. Load it with `docker load -i`,
## `ctr -n k8s.io images import`, `kind load image-archive`, or push it with
## `skopeo copy docker-archive:.build-release/sked-image.tar docker://REGISTRY/sked:TAG`.
image: release-binary
	bash scripts/build-image.sh .build-release/sked-static .build-release/sked-image.tar

## The kubectl plugin for krew: .build-release/kubectl-sked_<version>_linux_amd64.tar.gz (the
## release binary as kubectl-sked) and its manifest .build-release/sked.krew.yaml, pointing at
## KREW_URL (where the archive will be published). `kubectl krew install --manifest=... --archive=...`
## installs it from the two files.
KREW_URL ?= https://github.com/sked-dev/sked/releases/download
krew: release-binary
	$(eval VERSION := $(shell .build-release/sked-static version --json | sed 's/.*"version":"\([^"]*\)".*/\1/'))
	mkdir -p .build-release/krew && cp .build-release/sked-static .build-release/krew/kubectl-sked
	tar czf .build-release/kubectl-sked_v$(VERSION)_linux_amd64.tar.gz -C .build-release/krew kubectl-sked
	bash scripts/krew-manifest.sh $(VERSION) $(KREW_URL)/v$(VERSION)/kubectl-sked_v$(VERSION)_linux_amd64.tar.gz \
	  .build-release/kubectl-sked_v$(VERSION)_linux_amd64.tar.gz > .build-release/sked.krew.yaml

clean:
	rm -rf .build
