#!/usr/bin/env bash
# Builds sked's container image without a container engine: a docker-archive tarball (read by
# `docker load`, `ctr images import`, `kind load image-archive`, `skopeo copy docker-archive:...`)
# holding the static release binary (`make release-binary`) and exactly the shared libraries
# it links, copied from the machine that built it, so the image's glibc is the build's glibc.
#
#   scripts/build-image.sh [BINARY] [OUT]
#       BINARY  default .build-release/sked-static
#       OUT     default .build-release/sked-image.tar
#
# Contents: /usr/local/bin/sked; its libraries and the dynamic loader at their own paths;
# /etc/ssl/certs/ca-certificates.crt (Debian's ca-certificates); /usr/share/zoneinfo (tzdata,
# for spec.timeZone); /etc/passwd and /etc/group with nonroot (65532); /tmp. No shell, no
# package manager. Runs as 65532:65532; entrypoint `sked`, command `operator`.
# The tag is docker.io/library/sked:<version> — what the chart's and config/manager's default
# `sked:<version>` resolves to — so a loaded archive is used as it is. Prints the archive's path,
# image ID and size on its last line.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="${1:-.build-release/sked-static}"
OUT="${2:-.build-release/sked-image.tar}"
log() { echo "build-image: $*" >&2; }
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"

[ -x "$BIN" ] || { log "FATAL: $BIN missing: run 'make release-binary' first"; exit 1; }
need=()
[ -f /etc/ssl/certs/ca-certificates.crt ] || need+=(ca-certificates)
[ -f /usr/share/zoneinfo/Europe/Berlin ] || need+=(tzdata)
if [ "${#need[@]}" -gt 0 ]; then
  log "installing ${need[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi

version="$("$BIN" version --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["version"])')"
commit="$("$BIN" version --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["commit"])')"
# Every library the loader resolves, and the loader itself; a library that is "not found"
# here would be missing in the image too.
libs="$(ldd "$BIN")"
if grep -q "not found" <<<"$libs"; then log "FATAL: $BIN links libraries this machine lacks: $(grep 'not found' <<<"$libs" | tr '\n' ' ')"; exit 1; fi
paths="$(awk '/=>/ { if ($3 ~ /^\//) print $3; next } $1 ~ /^\// { print $1 }' <<<"$libs" | sort -u)"
[ -n "$paths" ] || { log "FATAL: ldd found no libraries in $BIN (a fully static binary needs none: remove this check)"; exit 1; }

PYTHONPATH=scripts/lib python3 - "$BIN" "$OUT" "$(dpkg --print-architecture)" "$version" "$commit" "$paths" <<'PY'
import os, sys
from docker_archive import Layer, write_image

binary, out, arch, version, commit, paths = sys.argv[1:7]
layer = Layer()
layer.host_file("usr/local/bin/sked", binary, 0o755)
for path in paths.split("\n"):
    # the soname path (often a symlink) and the file it names, both where the loader looks
    real = os.path.realpath(path)
    layer.host_file(real.lstrip("/"), real, 0o755)
    if real != path:
        layer.symlink(path.lstrip("/"), real)
layer.host_file("etc/ssl/certs/ca-certificates.crt", "/etc/ssl/certs/ca-certificates.crt", 0o644)
layer.host_tree("usr/share/zoneinfo", "/usr/share/zoneinfo")
layer.file("etc/passwd", b"root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n")
layer.file("etc/group", b"root:x:0:\nnonroot:x:65532:\n")
layer.file("etc/nsswitch.conf", b"passwd: files\ngroup: files\nhosts: files dns\n")
layer.directory("home/nonroot", 0o700, uid=65532, gid=65532)
layer.directory("tmp", 0o1777)
config = {
    "User": "65532:65532",
    "Entrypoint": ["/usr/local/bin/sked"],
    "Cmd": ["operator"],
    "WorkingDir": "/home/nonroot",
    "Env": ["PATH=/usr/local/bin", "SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt"],
    "ExposedPorts": {"8080/tcp": {}, "8081/tcp": {}},
    "Labels": {
        "org.opencontainers.image.title": "sked",
        "org.opencontainers.image.description": "Kubernetes operator for ScheduledJob (sked.dev/v1alpha1)",
        "org.opencontainers.image.version": version,
        "org.opencontainers.image.revision": commit,
    },
}
tag = f"docker.io/library/sked:{version}"
made = write_image(out, tag, [layer], config, arch, "sked scripts/build-image.sh")
print(f"{out} {tag} {made['id']} {made['size']} bytes ({made['size'] / 1048576:.1f} MiB)")
PY
