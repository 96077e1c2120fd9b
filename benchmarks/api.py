"""The benchmark's API client (on harness.api's connection), parallel creation, and the watch
that records when each Job's ADDED event arrived."""
import http.client
import json
import socket
import threading
import time
import urllib.parse

from harness.api import ApiBase
from harness.proc import log
from harness.times import parse_time


class Api(ApiBase):
    """The benchmark's client: requests that must succeed (RuntimeError otherwise), a few retries."""

    def req(self, method, path, body=None, ok=(200, 201, 202), retries=3, ctype="application/json"):
        """One request on this thread's keep-alive connection. Returns (status, obj)."""
        data = json.dumps(body).encode() if body is not None else None
        hdr = self.headers(ctype if data is not None else None)
        last = None
        for _ in range(retries):
            c = getattr(self.local, "c", None)
            if c is None:
                c = self.local.c = self.connect(30)
            try:
                c.request(method, path, body=data, headers=hdr)
                r = c.getresponse()
                raw = r.read()
                obj = json.loads(raw) if raw else None
                if ok and r.status not in ok:
                    raise RuntimeError(f"{method} {path}: HTTP {r.status}: {raw[:300]!r}")
                return r.status, obj
            except (http.client.HTTPException, OSError) as e:
                last = e
                c.close()
                self.local.c = None
        raise RuntimeError(f"{method} {path}: {last}")

    def list_all(self, path, deadline=60):
        items, cont, end = [], None, time.time() + deadline
        while time.time() < end:
            q = "?limit=500" + (f"&continue={urllib.parse.quote(cont)}" if cont else "")
            _, o = self.req("GET", path + q)
            items += o.get("items", [])
            cont = o.get("metadata", {}).get("continue")
            if not cont:
                return items
        raise TimeoutError(f"list {path}")

    def ensure_ns(self, ns):
        self.req("POST", "/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}},
                 ok=(201, 409))


def parallel(n_items, fn, concurrency):
    """Run fn(i) for i in range(n_items) on `concurrency` threads; return wall seconds."""
    lock, nxt, errors = threading.Lock(), [0], []

    def worker():
        while True:
            with lock:
                i = nxt[0]
                nxt[0] += 1
            if i >= n_items or errors:
                return
            try:
                fn(i)
            except Exception as e:  # noqa: BLE001
                errors.append(e)

    ts = [threading.Thread(target=worker, daemon=True) for _ in range(concurrency)]
    t0 = time.perf_counter()
    for t in ts:
        t.start()
    for t in ts:
        t.join(timeout=600)
    wall = time.perf_counter() - t0
    if errors:
        raise errors[0]
    return wall


def list_size(api, path):
    """(items, bytes of JSON) of a paginated LIST (limit 500), without keeping the objects."""
    n, size, cont = 0, 0, None
    sep = "&" if "?" in path else "?"
    while True:
        q = f"{sep}limit=500" + (f"&continue={urllib.parse.quote(cont)}" if cont else "")
        _, o = api.req("GET", path + q)
        n += len(o.get("items", []))
        size += len(json.dumps(o, separators=(",", ":")))
        cont = o.get("metadata", {}).get("continue")
        if not cont:
            return n, size


class Watcher(threading.Thread):
    """Streams Job watch events of one namespace; records the arrival time of each ADDED."""

    def __init__(self, api, ns, sched_time):
        super().__init__(daemon=True)
        self.api, self.ns, self.sched_time = api, ns, sched_time
        self.added = {}          # name -> (arrival, scheduled_time or None, owner)
        self.lock = threading.Lock()
        self.stopping = False
        self.reconnects = 0
        self.rv = None
        self.conn = None
        self.started = threading.Event()

    def run(self):
        while not self.stopping:
            try:
                self.conn = c = self.api.connect(None)
                q = "watch=1&timeoutSeconds=3600" + (f"&resourceVersion={self.rv}" if self.rv else "")
                c.request("GET", f"/apis/batch/v1/namespaces/{self.ns}/jobs?{q}",
                          headers={"Authorization": "Bearer " + self.api.token})
                r = c.getresponse()
                if r.status != 200:
                    raise RuntimeError(f"watch HTTP {r.status}")
                self.started.set()
                while not self.stopping:
                    line = r.readline()
                    now = time.time()
                    if not line:
                        break
                    ev = json.loads(line)
                    o = ev.get("object", {})
                    md = o.get("metadata", {})
                    if ev.get("type") == "ERROR":
                        self.rv = None  # 410 Gone: start over (the namespace only grows)
                        break
                    self.rv = md.get("resourceVersion", self.rv)
                    if ev.get("type") != "ADDED":
                        continue
                    name = md.get("name")
                    owner = next((r_["name"] for r_ in md.get("ownerReferences", []) if r_.get("controller")), None)
                    with self.lock:
                        if name not in self.added:
                            self.added[name] = (now, self.sched_time(md), owner)
            except Exception as e:  # noqa: BLE001
                if not self.stopping:
                    log(f"watch {self.ns}: {e}; reconnecting")
            if not self.stopping:
                self.reconnects += 1
                time.sleep(0.2)

    def snapshot(self):
        with self.lock:
            return dict(self.added)

    def stop(self):
        self.stopping = True
        try:
            if self.conn and self.conn.sock:
                self.conn.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.join(timeout=5)


def sked_sched_time(md):
    s = (md.get("annotations") or {}).get("sked.dev/scheduled-time")
    return parse_time(s) if s else None


def cronjob_sched_time(md):
    try:
        return int(md["name"].rsplit("-", 1)[1]) * 60.0
    except (KeyError, ValueError, IndexError):
        return None
