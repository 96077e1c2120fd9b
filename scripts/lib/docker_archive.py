"""Writes docker-archive image tarballs (what `docker load`, `ctr images import`,
`skopeo copy docker-archive:` and `kind load image-archive` read) from files on this host,
without a container engine. Deterministic: fixed mtimes, owners and entry order, so the
same inputs give the same image ID.

    layer = Layer()
    layer.directory("etc/")
    layer.file("etc/passwd", b"...")
    layer.host_file("usr/local/bin/sked", "/path/to/sked", mode=0o755)
    write_image("out.tar", "docker.io/library/sked:0.1.0", [layer], config={"Entrypoint": [...]})
"""
from __future__ import annotations

import hashlib
import io
import json
import os
import tarfile

EPOCH = "1970-01-01T00:00:00Z"


def _entry(name: str, kind: bytes, mode: int, data: bytes = b"", link: str = "", uid: int = 0, gid: int = 0):
    ti = tarfile.TarInfo(name)
    ti.type, ti.mode, ti.mtime, ti.uid, ti.gid, ti.uname, ti.gname = kind, mode, 0, uid, gid, "", ""
    ti.linkname, ti.size = link, len(data)
    return ti, data


def _tar(entries) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.GNU_FORMAT) as t:
        for ti, data in entries:
            t.addfile(ti, io.BytesIO(data) if data else None)
    return buf.getvalue()


class Layer:
    """One filesystem layer; parent folders must be added before what they hold."""

    def __init__(self) -> None:
        self.entries: list = []
        self.names: set[str] = set()

    def _add(self, e) -> None:
        if e[0].name in self.names:
            return
        self.names.add(e[0].name)
        self.entries.append(e)

    def directory(self, name: str, mode: int = 0o755, uid: int = 0, gid: int = 0) -> None:
        self._add(_entry(name.rstrip("/") + "/", tarfile.DIRTYPE, mode, uid=uid, gid=gid))

    def parents(self, name: str) -> None:
        parts = name.strip("/").split("/")[:-1]
        for i in range(1, len(parts) + 1):
            self.directory("/".join(parts[:i]))

    def file(self, name: str, data: bytes, mode: int = 0o644) -> None:
        self.parents(name)
        self._add(_entry(name, tarfile.REGTYPE, mode, data=data))

    def host_file(self, name: str, path: str, mode: int | None = None) -> None:
        with open(path, "rb") as f:
            data = f.read()
        self.file(name, data, mode if mode is not None else (os.stat(path).st_mode & 0o777))

    def symlink(self, name: str, target: str) -> None:
        self.parents(name)
        self._add(_entry(name, tarfile.SYMTYPE, 0o777, link=target))

    def host_tree(self, name: str, path: str) -> None:
        """A host folder copied with its files and symlinks (sorted, so deterministic)."""
        self.directory(name)
        for entry in sorted(os.listdir(path)):
            src, dst = os.path.join(path, entry), name.rstrip("/") + "/" + entry
            if os.path.islink(src):
                self.symlink(dst, os.readlink(src))
            elif os.path.isdir(src):
                self.host_tree(dst, src)
            elif os.path.isfile(src):
                self.host_file(dst, src, 0o644)

    def tar(self) -> bytes:
        return _tar(self.entries)


def write_image(out: str, tag: str, layers: list[Layer], config: dict, arch: str, created_by: str) -> dict:
    """Writes the archive atomically; returns {"id", "size", "layer_bytes"}."""
    arch = {"amd64": "amd64", "x86_64": "amd64", "arm64": "arm64", "aarch64": "arm64",
            "i386": "386", "armhf": "arm", "armel": "arm"}.get(arch, arch)
    blobs = [layer.tar() for layer in layers]
    diff_ids = ["sha256:" + hashlib.sha256(b).hexdigest() for b in blobs]
    image_config = json.dumps({
        "architecture": arch, "os": "linux", "created": EPOCH, "config": config,
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
        "history": [{"created": EPOCH, "created_by": created_by}] * len(blobs),
    }, sort_keys=True, separators=(",", ":")).encode()
    config_name = hashlib.sha256(image_config).hexdigest() + ".json"
    entries = [_entry(config_name, tarfile.REGTYPE, 0o644, data=image_config)]
    layer_paths = []
    for diff_id, blob in zip(diff_ids, blobs):
        d = diff_id.split(":")[1]
        entries += [_entry(d + "/", tarfile.DIRTYPE, 0o755), _entry(d + "/layer.tar", tarfile.REGTYPE, 0o644, data=blob)]
        layer_paths.append(d + "/layer.tar")
    manifest = json.dumps([{"Config": config_name, "RepoTags": [tag], "Layers": layer_paths}]).encode()
    entries.append(_entry("manifest.json", tarfile.REGTYPE, 0o644, data=manifest))
    tmp = out + ".tmp"
    with open(tmp, "wb") as f:
        f.write(_tar(entries))
    os.replace(tmp, out)
    return {"id": "sha256:" + config_name[:-5], "size": os.path.getsize(out), "layer_bytes": sum(map(len, blobs))}
