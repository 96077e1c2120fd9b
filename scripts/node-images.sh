#!/usr/bin/env bash
# Builds (once per machine) the two container images the local node (scripts/node.sh) needs,
# since no registry is reachable: docker-archive tarballs made from Debian's static busybox.
#
#   docker.io/library/busybox:1.36   /bin/busybox + sh, sleep, true, false, echo, cat, date, env
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
RECIPE=1   # bump after changing the image layout

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
python3 - "$BUSYBOX" "$OUT" "$(dpkg --print-architecture)" <<'PY'
import hashlib, io, json, os, sys, tarfile

busybox, out, arch = sys.argv[1], sys.argv[2], sys.argv[3]
arch = {"i386": "386", "armhf": "arm", "armel": "arm"}.get(arch, arch)

def entry(name, kind=tarfile.REGTYPE, mode=0o644, data=b"", link=""):
    ti = tarfile.TarInfo(name)
    ti.type, ti.mode, ti.mtime, ti.uid, ti.gid, ti.uname, ti.gname = kind, mode, 0, 0, 0, "", ""
    ti.linkname, ti.size = link, len(data)
    return ti, data

def tar_bytes(entries):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.USTAR_FORMAT) as t:
        for ti, data in entries:
            t.addfile(ti, io.BytesIO(data) if data else None)
    return buf.getvalue()

with open(busybox, "rb") as f:
    bb = f.read()
layer = [entry("bin/", tarfile.DIRTYPE, 0o755), entry("bin/busybox", mode=0o755, data=bb)]
for tool in ["cat", "date", "echo", "env", "false", "sh", "sleep", "true"]:
    layer.append(entry("bin/" + tool, tarfile.SYMTYPE, 0o777, link="busybox"))
layer += [
    entry("etc/", tarfile.DIRTYPE, 0o755),
    entry("etc/group", data=b"root:x:0:\nnogroup:x:65534:\n"),
    entry("etc/passwd", data=b"root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n"),
    entry("root/", tarfile.DIRTYPE, 0o700),
    entry("tmp/", tarfile.DIRTYPE, 0o1777),
]
layer_tar = tar_bytes(layer)
diff_id = "sha256:" + hashlib.sha256(layer_tar).hexdigest()

def image(file, tag, cmd):
    config = json.dumps({
        "architecture": arch, "os": "linux", "created": "1970-01-01T00:00:00Z",
        "config": {"Cmd": cmd, "Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]},
        "rootfs": {"type": "layers", "diff_ids": [diff_id]},
        "history": [{"created": "1970-01-01T00:00:00Z", "created_by": "sked scripts/node-images.sh"}],
    }, sort_keys=True, separators=(",", ":")).encode()
    config_name = hashlib.sha256(config).hexdigest() + ".json"
    layer_dir = diff_id.split(":")[1]
    manifest = json.dumps([{"Config": config_name, "RepoTags": [tag], "Layers": [layer_dir + "/layer.tar"]}]).encode()
    archive = tar_bytes([
        entry(config_name, data=config),
        entry(layer_dir + "/", tarfile.DIRTYPE, 0o755),
        entry(layer_dir + "/layer.tar", data=layer_tar),
        entry("manifest.json", data=manifest),
    ])
    tmp = os.path.join(out, file + ".tmp")
    with open(tmp, "wb") as f:
        f.write(archive)
    os.replace(tmp, os.path.join(out, file))

image("busybox-1.36.tar", "docker.io/library/busybox:1.36", ["sh"])
image("pause-3.2.tar", "k8s.gcr.io/pause:3.2", ["/bin/sleep", "2147483647"])
PY
echo "$stamp" > "$OUT/.stamp"
echo "$OUT"
