#!/usr/bin/env bash
# Builds (once per machine) the two container images the local node (scripts/node.sh) needs,
# since no registry is reachable: docker-archive tarballs made from Debian's static busybox.
#
#   docker.io/library/busybox:1.36   /bin/busybox + sh, sleep, true, false, echo, cat, date, env, nc
#                                    symlinks, /etc/passwd, /etc/group, /tmp
#   k8s.gcr.io/pause:3.2             the same layer, Cmd ["/bin/sleep","2147483647"] (the pod
#                                    sandbox only has to hold the namespaces open)
#
# Deterministic: fixed mtimes, owners and entry order, so the same busybox gives the same
# image IDs. Cached under ~/.cache/sked/images/; rebuilt when /bin/busybox changes.
# Prints the image folder on its last line (import each *.tar with `ctr images import`).
set -euo pipefail

CACHE="${SKED_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/sked}"
OUT="$CACHE/images"
RECIPE=3   # bump after changing the image layout

log() { echo "node-images: $*" >&2; }
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"

# busybox-static, not busybox: the image has no libc, so the binary must be static.
if ! dpkg -s busybox-static >/dev/null 2>&1; then
  log "installing busybox-static"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq busybox-static >/dev/null
fi
BUSYBOX=/bin/busybox
[ -x "$BUSYBOX" ] || { log "FATAL: $BUSYBOX missing after installing busybox-static"; exit 1; }

stamp="$RECIPE $(sha256sum "$BUSYBOX" | cut -d' ' -f1) $(dpkg --print-architecture)"
if [ "$(cat "$OUT/.stamp" 2>/dev/null)" = "$stamp" ] && [ -f "$OUT/busybox-1.36.tar" ] && [ -f "$OUT/pause-3.2.tar" ]; then
  echo "$OUT"; exit 0
fi
mkdir -p "$OUT"
log "building busybox:1.36 and pause:3.2 from $BUSYBOX"
PYTHONPATH="$(dirname "$0")/lib" python3 - "$BUSYBOX" "$OUT" "$(dpkg --print-architecture)" <<'PY'
import os, sys
from docker_archive import Layer, write_image

busybox, out, arch = sys.argv[1], sys.argv[2], sys.argv[3]
layer = Layer()
layer.host_file("bin/busybox", busybox, 0o755)
for tool in ["cat", "date", "echo", "env", "false", "sh", "sleep", "true", "nc"]:
    layer.symlink("bin/" + tool, "busybox")
layer.file("etc/group", b"root:x:0:\nnogroup:x:65534:\n")
layer.file("etc/passwd", b"root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n")
layer.directory("root/", 0o700)
layer.directory("tmp/", 0o1777)
env = {"Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]}
made = "sked scripts/node-images.sh"
write_image(os.path.join(out, "busybox-1.36.tar"), "docker.io/library/busybox:1.36", [layer], dict(env, Cmd=["sh"]), arch, made)
write_image(os.path.join(out, "pause-3.2.tar"), "k8s.gcr.io/pause:3.2", [layer], dict(env, Cmd=["/bin/sleep", "2147483647"]), arch, made)
PY
echo "$stamp" > "$OUT/.stamp"
echo "$OUT"
