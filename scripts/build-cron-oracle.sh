#!/usr/bin/env bash
# Builds the robfig/cron v3 oracle used by the differential tests.
# Usage: build-cron-oracle.sh OUTPUT_BINARY
# Idempotent: installs the Debian packages only when missing and rebuilds only
# when the source is newer than the binary.
set -euo pipefail

out="${1:?usage: $0 OUTPUT_BINARY}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
src="${ORACLE_SRC:-$here/cron-oracle/main.go}"
gopath=/usr/share/gocode
pkgdir="$gopath/src/github.com/robfig/cron"

need_install=()
command -v go >/dev/null 2>&1 || need_install+=(golang-go)
[ -f "$pkgdir/spec.go" ] || need_install+=(golang-github-robfig-cron-dev)
if [ ${#need_install[@]} -gt 0 ]; then
    export DEBIAN_FRONTEND=noninteractive
    # Another process may hold the dpkg lock; wait for it instead of failing.
    for attempt in $(seq 1 30); do
        if { apt-get install -y --no-install-recommends "${need_install[@]}" \
             || { apt-get update && apt-get install -y --no-install-recommends "${need_install[@]}"; }; }; then
            break
        fi
        [ "$attempt" -eq 30 ] && { echo "build-oracle: apt-get failed" >&2; exit 1; }
        sleep 10
    done
fi

if [ -x "$out" ] && [ "$out" -nt "$src" ]; then
    exit 0
fi

mkdir -p "$(dirname "$out")"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/oracle"
cp "$src" "$work/oracle/main.go"
# GOPATH mode against Debian's copy of robfig/cron: no module downloads needed.
( cd "$work/oracle" && GOPATH="$gopath" GO111MODULE=off GOFLAGS= GOCACHE="$work/cache" \
    go build -o "$out.tmp" . )
mv "$out.tmp" "$out"
echo "build-oracle: built $out"
