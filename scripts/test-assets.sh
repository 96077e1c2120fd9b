#!/usr/bin/env bash
# Builds (once per machine) and caches the real Kubernetes binaries the integration
# tests run against: kube-apiserver and kube-controller-manager v1.20.2 from Debian's
# `kubernetes` source package, plus Debian's etcd. Idempotent: a second run only checks.
# Prints the cache folder on its last line.
#
#   scripts/test-assets.sh            kube-apiserver + kube-controller-manager
#   scripts/test-assets.sh node       the same plus kubelet, kube-scheduler, kube-proxy (scripts/node.sh);
#                                     only asked for by the real-node path, so others don't pay for it
#   scripts/test-assets.sh NAME...    exactly these cmd/NAME binaries
set -euo pipefail

K8S_VERSION=1.20.2
CACHE="${SKED_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/sked}"
BIN="$CACHE/k8s-v$K8S_VERSION"
WANT=(kube-apiserver kube-controller-manager)
# Kubernetes 1.20 vendors modern-go/reflect2 v1.0.1, which crashes (SIGSEGV in
# mapiterinit) when built with Go >= 1.18, e.g. on the first custom-resource create.
# v1.0.2 fixes it with the same API; Debian ships it, so it replaces the vendored copy.
REFLECT2=/usr/share/gocode/src/github.com/modern-go/reflect2
STAMP_VERSION=2   # bump to force a rebuild of cached binaries after a recipe change
if [ "${1:-}" = node ]; then WANT+=(kubelet kube-scheduler kube-proxy)
elif [ "$#" -gt 0 ]; then WANT=("$@"); fi

log() { echo "test-assets: $*" >&2; }
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"

need_apt=()
command -v etcd >/dev/null || need_apt+=(etcd-server)
command -v go >/dev/null || need_apt+=(golang-go)
command -v rsync >/dev/null || need_apt+=(rsync)
command -v jq >/dev/null || need_apt+=(jq)
command -v openssl >/dev/null || need_apt+=(openssl)
command -v curl >/dev/null || need_apt+=(curl)
command -v lua5.1 >/dev/null || need_apt+=(lua5.1)   # Argo CD health checks are Lua 5.1 (gopher-lua)
[ -d "$REFLECT2" ] || need_apt+=(golang-github-modern-go-reflect2-dev)
missing_bins=()
[ "$(cat "$BIN/.recipe" 2>/dev/null)" = "$STAMP_VERSION" ] || rm -f "$BIN"/kube-* "$BIN"/kubelet
for b in "${WANT[@]}"; do [ -x "$BIN/$b" ] || missing_bins+=("$b"); done

if [ "${#need_apt[@]}" -gt 0 ]; then
  log "installing ${need_apt[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

if [ "${#missing_bins[@]}" -gt 0 ]; then
  SRC="$CACHE/src"
  mkdir -p "$SRC" "$BIN"
  if [ ! -d "$SRC/kubernetes-$K8S_VERSION" ]; then
    if ! ls "$SRC"/kubernetes_*.orig.tar.gz >/dev/null 2>&1; then
      if [ ! -f /etc/apt/sources.list.d/debian-src.sources ]; then
        log "enabling Debian source packages"
        printf 'Types: deb-src\nURIs: http://deb.debian.org/debian\nSuites: bookworm\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
          | $SUDO tee /etc/apt/sources.list.d/debian-src.sources >/dev/null
        $SUDO apt-get update -qq
      fi
      log "downloading the kubernetes source package"
      (cd "$SRC" && apt-get source --download-only kubernetes >/dev/null)
    fi
    log "unpacking"
    (cd "$SRC" && tar xzf kubernetes_*.orig.tar.gz)
  fi
  TREE="$SRC/kubernetes-$K8S_VERSION"
  [ -d "$TREE" ] || { log "FATAL: $TREE not found after unpacking"; exit 1; }
  # One build at a time per cache: the tree, the reflect2 swap and build.log are shared.
  exec 9>"$CACHE/.build.lock"; flock 9
  what=""; for b in "${missing_bins[@]}"; do [ -x "$BIN/$b" ] || what="$what cmd/$b"; done
  if [ -n "$what" ]; then
    mkdir -p "$TREE/.go/src/k8s.io"
    ln -sfn ../../.. "$TREE/.go/src/k8s.io/kubernetes"
    rm -rf "$TREE/vendor/github.com/modern-go/reflect2"
    cp -r "$REFLECT2" "$TREE/vendor/github.com/modern-go/reflect2"
    rm -rf "$TREE/vendor/github.com/modern-go/reflect2/.git" "$TREE/vendor/github.com/modern-go/reflect2/debian"
    log "building${what} (several minutes on 2 cores)"
    (cd "$TREE" && env GOPATH="$TREE/.go" CGO_ENABLED=0 GOFLAGS=-mod=vendor make WHAT="${what# }" >"$CACHE/build.log" 2>&1) \
      || { tail -40 "$CACHE/build.log" >&2; log "FATAL: kubernetes build failed (log: $CACHE/build.log)"; exit 1; }
  fi
  for b in "${missing_bins[@]}"; do
    [ -x "$BIN/$b" ] && continue   # built meanwhile by a concurrent run
    cp "$TREE/_output/local/bin/linux/amd64/$b" "$BIN/$b.tmp" && mv "$BIN/$b.tmp" "$BIN/$b"
  done
  echo "$STAMP_VERSION" > "$BIN/.recipe"
fi

for b in "${WANT[@]}"; do [ -x "$BIN/$b" ] || { log "FATAL: $BIN/$b missing"; exit 1; }; done
command -v etcd >/dev/null || { log "FATAL: etcd missing"; exit 1; }
echo "$BIN"
