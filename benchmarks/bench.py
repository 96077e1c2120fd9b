#!/usr/bin/env python3
"""sked vs. Kubernetes' CronJob controller: schedule-lag benchmark on one local API server.

Run through benchmarks/run.sh. One run, one control plane (etcd + kube-apiserver v1.20.2,
started WITHOUT kube-controller-manager), in this order:

  1. physical   a minimal client creates 1,000 batch/v1 Jobs with C concurrent requests
  2. idle       sked with nothing to do, RSS and CPU seconds over --idle seconds
  3. sked       per N: N ScheduledJobs on "0,20,40 * * * * *", measured over K ticks
  4. reference  per setting (default client limits, --kube-api-qps/burst=2000) and N:
                N batch/v1beta1 CronJobs on "* * * * *" handled by kube-controller-manager
                v1.20.2 (--controllers=cronjob, CronJobControllerV2=true), over K ticks
  5. footprint  per --footprint SJS,JOBS (default 10000,20000): SJS ScheduledJobs on "0 0 1 1 *"
                (nothing due) and JOBS finished Jobs owned by them, created up front; sked started
                twice on that namespace (first start: no status yet; restart: status written):
                process start -> "caches synced" log line -> first reconcile -> queue drained,
                RSS at each point and CPU over an idle window (--footprint-idle, 60 s)

Lag = arrival time of a Job's ADDED watch event (this process, loopback) minus its
scheduled time (sked: annotation sked.dev/scheduled-time; CronJob v2: <name>-<unix minutes>).
Only ticks after every object exists (and, for sked, has status.nextScheduleTime) count.
Nothing runs Pods (no kubelet), so Jobs stay active; concurrencyPolicy is Allow.
Every process this script starts is recorded by PID and stopped on exit, Ctrl-C or error.
"""
import argparse
import datetime as dt
import http.client
import json
import os
import platform
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")


sys.path.insert(0, os.path.join(REPO, "scripts", "lib"))
from procutil import free_port, log  # noqa: E402  (shared with the other harness)


def pct(values, p):
    """Nearest-rank percentile."""
    if not values:
        return None
    v = sorted(values)
    k = max(0, min(len(v) - 1, int(-(-p * len(v) // 100)) - 1))
    return v[k]


def rfc3339(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00")).timestamp()


# --------------------------------------------------------------------------- API client
class Api:
    def __init__(self, server, ca, token):
        u = urllib.parse.urlparse(server)
        self.host, self.port = u.hostname, u.port
        self.ctx = ssl.create_default_context(cafile=ca)
        self.token = token
        self.local = threading.local()

    def conn(self, timeout=30):
        return http.client.HTTPSConnection(self.host, self.port, context=self.ctx, timeout=timeout)

    def req(self, method, path, body=None, ok=(200, 201, 202), retries=3, ctype="application/json"):
        """One request on this thread's keep-alive connection. Returns (status, obj)."""
        data = json.dumps(body).encode() if body is not None else None
        hdr = {"Authorization": "Bearer " + self.token, "Accept": "application/json"}
        if data is not None:
            hdr["Content-Type"] = ctype
        last = None
        for _ in range(retries):
            c = getattr(self.local, "c", None)
            if c is None:
                c = self.local.c = self.conn()
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


def job_template(labels=None):
    return {
        "metadata": {"labels": labels or {"bench": "sked"}},
        "spec": {"backoffLimit": 0, "template": {"spec": {"restartPolicy": "Never", "containers": [
            {"name": "c", "image": "busybox:1.36", "command": ["true"]}]}}},
    }


# A 5-field schedule that fires once a year: nothing is due while the footprint is measured.
FOOTPRINT_SCHEDULE = "0 0 1 1 *"


def realistic_job_spec():
    """A batch/v1 JobSpec of the size real ones have (image, command, env, resources): ~1 KiB of JSON."""
    return {"backoffLimit": 2, "activeDeadlineSeconds": 3600, "template": {
        "metadata": {"labels": {"app": "nightly-report", "tier": "batch"},
                     "annotations": {"example.com/owner": "data-platform"}},
        "spec": {"restartPolicy": "Never", "terminationGracePeriodSeconds": 30, "containers": [{
            "name": "report", "image": "registry.example.com/data-platform/nightly-report:1.14.2",
            "imagePullPolicy": "IfNotPresent", "command": ["/bin/sh", "-c"],
            "args": ["python -m report.run --date \"$(date -u +%F)\" --output s3://reports/nightly/ --format parquet"],
            "env": [{"name": "LOG_LEVEL", "value": "info"}, {"name": "REPORT_BUCKET", "value": "s3://reports"},
                    {"name": "DB_HOST", "value": "postgres.databases.svc.cluster.local"},
                    {"name": "DB_USER", "valueFrom": {"secretKeyRef": {"name": "report-db", "key": "user"}}},
                    {"name": "DB_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "report-db", "key": "password"}}},
                    {"name": "POD_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}}],
            "resources": {"requests": {"cpu": "250m", "memory": "256Mi"}, "limits": {"memory": "1Gi"}}}]}}}


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


def scrape_startup(port):
    """Completed reconciles (sked_reconcile_duration_seconds_count) and API requests by verb from
    sked's /metrics; None while the endpoint is not up."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as r:
            body = r.read()
    except OSError:
        return None
    out = {"reconciles": 0, "requests": {}, "bytes": len(body)}
    for line in body.decode().splitlines():
        if line.startswith("sked_reconcile_duration_seconds_count"):
            out["reconciles"] += int(float(line.rpartition(" ")[2]))
        elif line.startswith("sked_kube_requests_total{"):
            m, c = re.search(r'verb="([^"]*)"', line), re.search(r'code="([^"]*)"', line)
            k = m.group(1) if m else "?"
            if c and not c.group(1).startswith("2"):
                k += f" {c.group(1)}"  # failures by code (0: no response)
            out["requests"][k] = out["requests"].get(k, 0) + int(float(line.rpartition(" ")[2]))
    return out


def rss_by_mapping(pid, top=8):
    """Resident MiB per mapped file (and [heap], [anon]: the rest of the anonymous memory), largest first."""
    by = {}
    try:
        with open(f"/proc/{pid}/smaps") as f:
            name = "[anon]"
            for line in f:
                head = line.split()
                if re.match(r"^[0-9a-f]+-[0-9a-f]+ ", line):
                    name = os.path.basename(head[5]) if len(head) > 5 and head[5].startswith("/") else (
                        head[5] if len(head) > 5 and head[5] == "[heap]" else "[anon]")
                elif head and head[0] == "Rss:":
                    by[name] = by.get(name, 0) + int(head[1])
    except (OSError, ValueError, IndexError):
        return {}
    return {k: round(v / 1024, 1) for k, v in sorted(by.items(), key=lambda kv: -kv[1])[:top]}


def malloc_probe(pid, logpath):
    """Attach gdb to sked (after the measurement): glibc's malloc_stats() prints to sked's stderr (its
    log), then malloc_trim(0) returns free pages of every arena to the kernel. In-use vs system bytes
    and RSS after the trim tell live objects from memory the allocator keeps."""
    if not shutil.which("gdb"):
        return {"error": "no gdb"}
    size0 = os.path.getsize(logpath)
    out = subprocess.run(["gdb", "-nx", "-batch", "-readnever", "-p", str(pid), "-ex", "call (void)malloc_stats()",
                          "-ex", "call (int)malloc_trim(0)"], capture_output=True, text=True, timeout=120)
    time.sleep(0.5)
    with open(logpath, "rb") as f:
        f.seek(size0)
        text = f.read().decode(errors="replace")
    tot = text.split("Total (incl. mmap):")[-1]
    sysb, used = re.search(r"system bytes\s*=\s*(\d+)", tot), re.search(r"in use bytes\s*=\s*(\d+)", tot)
    if not (sysb and used):
        return {"error": (out.stderr or out.stdout)[-300:]}
    return {"malloc_system_mib": round(int(sysb.group(1)) / 2 ** 20, 1), "malloc_in_use_mib": round(int(used.group(1)) / 2 ** 20, 1),
            "arenas": len(re.findall(r"^Arena \d+:", text, re.M)), "after_trim": mem_detail(pid)}


def diff(a, b):
    if a is None or b is None:
        return None
    return {k: a.get(k, 0) - b.get(k, 0) for k in a if a.get(k, 0) != b.get(k, 0)}


def mem_detail(pid):
    """VmRSS, VmHWM (peak RSS), RssAnon (heap, stacks), RssFile (mapped binary and libraries) in MiB, and threads."""
    out = {}
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                k, _, v = line.partition(":")
                if k in ("VmRSS", "VmHWM", "RssAnon", "RssFile", "RssShmem"):
                    out[k] = round(int(v.split()[0]) / 1024, 1)
                elif k == "Threads":
                    out[k] = int(v)
    except (OSError, ValueError):
        pass
    return out


# --------------------------------------------------------------------------- watcher
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
                self.conn = c = self.api.conn(timeout=None)
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
    return rfc3339(s) if s else None


def cronjob_sched_time(md):
    try:
        return int(md["name"].rsplit("-", 1)[1]) * 60.0
    except (KeyError, ValueError, IndexError):
        return None


# --------------------------------------------------------------------------- processes
class Sampler:
    """Samples RSS and CPU seconds of one PID from /proc every 0.5 s."""

    def __init__(self, name, pid):
        self.name, self.pid = name, pid
        self.samples = []  # (t, rss_kib, cpu_s)
        self._stop = threading.Event()
        self._t = threading.Thread(target=self._sample, daemon=True)
        self._t.start()

    def alive(self):
        return os.path.exists(f"/proc/{self.pid}")

    def _sample(self):
        while not self._stop.is_set() and self.alive():
            s = self.read()
            if s:
                self.samples.append(s)
            self._stop.wait(0.5)

    def read(self):
        try:
            with open(f"/proc/{self.pid}/status") as f:
                rss = next(int(l.split()[1]) for l in f if l.startswith("VmRSS:"))
            with open(f"/proc/{self.pid}/stat") as f:
                st = f.read().rsplit(")", 1)[1].split()
            cpu = (int(st[11]) + int(st[12])) / CLK_TCK  # utime, stime (fields 14, 15)
            return time.time(), rss, cpu
        except (OSError, StopIteration, ValueError, IndexError):
            return None

    def window(self, t0, t1):
        """Footprint between t0 and t1 (epoch seconds): CPU seconds, peak and last RSS (MiB)."""
        w = [s for s in self.samples if t0 - 0.6 <= s[0] <= t1 + 0.6]
        if len(w) < 2:
            return {"cpu_s": None, "rss_peak_mib": None, "rss_end_mib": None}
        return {"cpu_s": round(w[-1][2] - w[0][2], 2), "seconds": round(w[-1][0] - w[0][0], 1),
                "rss_peak_mib": round(max(s[1] for s in w) / 1024, 1), "rss_end_mib": round(w[-1][1] / 1024, 1)}


class Proc(Sampler):
    """A child process we started, sampled from /proc."""

    def __init__(self, name, argv, logpath, env=None):
        self.logf = open(logpath, "wb")
        self.p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=self.logf, stderr=subprocess.STDOUT, env=env)
        super().__init__(name, self.p.pid)
        log(f"started {name} pid {self.pid} (log {logpath})")

    def alive(self):
        return self.p.poll() is None

    def stop(self, grace=15):
        self._stop.set()
        if self.p.poll() is None:
            self.p.send_signal(signal.SIGTERM)
            try:
                self.p.wait(grace)
            except subprocess.TimeoutExpired:
                log(f"{self.name} pid {self.pid} ignored SIGTERM for {grace}s; SIGKILL")
                self.p.kill()
                self.p.wait(10)
        self.logf.close()
        log(f"stopped {self.name} pid {self.pid} (exit {self.p.returncode})")


# --------------------------------------------------------------------------- benchmark
class Bench:
    def __init__(self, args):
        self.a = args
        self.procs = []
        self.cp_dir = None
        self.stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H%M%SZ")
        self.work = tempfile.mkdtemp(prefix=f"sked-bench-{self.stamp}-")
        self.suffix = str(int(time.time()))[-5:]
        self.result = {"started": self.stamp, "workdir": self.work, "args": vars(args)}

    # -- lifecycle
    def start_control_plane(self):
        self.cp_dir = os.path.join(self.work, "cp")
        env = dict(os.environ, SKED_CONTROLLERS="none")
        log("starting control plane in", self.cp_dir)
        out = subprocess.run(["bash", os.path.join(REPO, "scripts/control-plane.sh"), "start", self.cp_dir], env=env,
                             capture_output=True, text=True, timeout=180)
        if out.returncode != 0:
            raise RuntimeError("control plane failed: " + out.stderr[-2000:])
        self.kubeconfig = os.path.join(self.cp_dir, "admin.kubeconfig")
        with open(self.kubeconfig) as f:
            server = next(l.split("server:")[1].strip() for l in f if "server:" in l)
        self.api = Api(server, os.path.join(self.cp_dir, "certs/apiserver.crt"), "admintoken")
        self.result["apiserver"] = server
        self.cp_samplers = {}
        with open(os.path.join(self.cp_dir, "pids")) as f:
            for line in f:
                pid, name = line.split()
                self.cp_samplers[name] = Sampler(name, int(pid))
        subprocess.run(["kubectl", "--kubeconfig", self.kubeconfig, "apply", "-f",
                        os.path.join(REPO, "config/crd/sked.dev_scheduledjobs.yaml")], check=True, timeout=60,
                       capture_output=True)
        subprocess.run(["kubectl", "--kubeconfig", self.kubeconfig, "wait", "--for=condition=Established",
                        "crd/scheduledjobs.sked.dev", "--timeout=60s"], check=True, timeout=90, capture_output=True)

    def cleanup(self):
        for p in reversed(self.procs):
            try:
                p.stop()
            except Exception as e:  # noqa: BLE001
                log(f"stopping {p.name}: {e}")
        self.procs = []
        if self.cp_dir:
            subprocess.run(["bash", os.path.join(REPO, "scripts/control-plane.sh"), "stop", self.cp_dir], timeout=120)
            shutil.rmtree(os.path.join(self.cp_dir, "etcd"), ignore_errors=True)
            self.cp_dir = None

    def cp_footprint(self, t0, t1):
        return {f"{k}_footprint_ticks": v.window(t0, t1) for k, v in self.cp_samplers.items()}

    def start_proc(self, name, argv):
        env = dict(os.environ, **dict(kv.split("=", 1) for kv in self.a.sked_env)) if name.startswith("sked") and self.a.sked_env else None
        p = Proc(name, argv, os.path.join(self.work, f"{name}.log"), env=env)
        self.procs.append(p)
        return p

    def stop_proc(self, p):
        p.stop()
        self.procs.remove(p)

    def delete_ns_contents(self, ns):
        for path in (f"/apis/sked.dev/v1alpha1/namespaces/{ns}/scheduledjobs",
                     f"/apis/batch/v1beta1/namespaces/{ns}/cronjobs", f"/apis/batch/v1/namespaces/{ns}/jobs"):
            try:
                self.api.req("DELETE", path, ok=(200, 404))
            except Exception as e:  # noqa: BLE001
                log(f"deletecollection {path}: {e}")

    # -- 1. physical limit
    def physical(self):
        res = []
        for rnd in range(self.a.physical_rounds):
            ns = f"physical-{rnd}-{self.suffix}"
            self.api.ensure_ns(ns)
            n = self.a.physical_jobs

            def create(i, ns=ns):
                self.api.req("POST", f"/apis/batch/v1/namespaces/{ns}/jobs",
                             {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": f"p-{i:05d}"},
                              "spec": job_template()["spec"]})

            wall = parallel(n, create, self.a.physical_concurrency)
            log(f"physical round {rnd}: {n} Jobs, {self.a.physical_concurrency} concurrent: {wall:.2f}s")
            res.append(round(wall, 3))
            self.delete_ns_contents(ns)
        self.result["physical"] = {"jobs": self.a.physical_jobs, "concurrency": self.a.physical_concurrency,
                                   "wall_s": res, "best_s": min(res), "jobs_per_s_best": round(self.a.physical_jobs / min(res))}

    # -- sked process
    def start_sked(self, ns, tag):
        mport, hport = free_port(), free_port()
        argv = [self.a.sked_bin, "operator", "--kubeconfig", self.kubeconfig, "--namespace", ns,
                "--leader-elect=false", "--metrics-bind-address", f"127.0.0.1:{mport}",
                "--health-probe-bind-address", f"127.0.0.1:{hport}", "--log-format", "text",
                "--log-level", "warning", "--workers", str(self.a.workers)] + self.a.sked_args.split()
        p = self.start_proc(f"sked-{tag}", argv)
        p.metrics_port = mport
        end = time.time() + 60
        while time.time() < end:
            if not p.alive():
                raise RuntimeError(f"sked exited: see {p.logf.name}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{hport}/readyz", timeout=2) as r:
                    if r.status == 200:
                        return p
            except OSError:
                pass
            time.sleep(0.25)
        raise TimeoutError("sked not ready in 60s")

    # -- 2. idle
    def idle(self):
        ns = f"sked-idle-{self.suffix}"
        self.api.ensure_ns(ns)
        p = self.start_sked(ns, "idle")
        t0 = time.time()
        time.sleep(self.a.idle)
        fp = p.window(t0, time.time())
        self.stop_proc(p)
        fp["idle_s"] = self.a.idle
        self.result["sked_idle"] = fp
        log(f"sked idle {self.a.idle}s: {fp}")

    # -- measurement shared by sked and the reference
    @staticmethod
    def analyse(watcher, ticks, n, name_of):
        snap = watcher.snapshot()
        tickset = set(ticks)
        lags, per_tick, seen, dup, other = [], {t: [] for t in ticks}, set(), 0, 0
        for name, (arr, st, owner) in snap.items():
            if st is None:
                other += 1
                continue
            if st not in tickset:
                continue
            key = (owner or name, st)
            if key in seen:
                dup += 1
                continue
            seen.add(key)
            lags.append(arr - st)
            per_tick[st].append(arr - st)
        expected = n * len(ticks)

        def summ(v):
            return {"p50_s": r3(pct(v, 50)), "p99_s": r3(pct(v, 99)), "max_s": r3(max(v) if v else None),
                    "min_s": r3(min(v) if v else None)}

        out = {"ticks": [iso(t) for t in ticks], "expected_jobs": expected, "jobs": len(lags),
               "tick_share": round(len(lags) / expected, 4) if expected else None, "duplicates": dup, **summ(lags),
               "per_tick": [{"tick": iso(t), "jobs": len(per_tick[t]), **summ(per_tick[t])} for t in ticks]}
        return out

    def wait_jobs(self, watcher, ticks, n, deadline):
        want = n * len(ticks)
        tickset = set(ticks)
        while time.time() < deadline:
            got = sum(1 for (_, st, _) in watcher.snapshot().values() if st in tickset)
            if got >= want and time.time() > ticks[-1] + 1:
                return True
            time.sleep(0.5)
        return False

    # -- shared by the sked benchmarks
    def watched_namespace(self, ns):
        """Creates `ns` and returns a started watch of its Jobs."""
        self.api.ensure_ns(ns)
        w = Watcher(self.api, ns, sked_sched_time)
        w.start()
        w.started.wait(10)
        return w

    def create_scheduledjobs(self, ns, n, schedule):
        """Creates sj-00000… on `schedule` (Allow, the shared Job template); returns the wall time."""
        def create(i):
            self.api.req("POST", f"/apis/sked.dev/v1alpha1/namespaces/{ns}/scheduledjobs", {
                "apiVersion": "sked.dev/v1alpha1", "kind": "ScheduledJob", "metadata": {"name": f"sj-{i:05d}"},
                "spec": {"schedule": schedule, "concurrencyPolicy": "Allow",
                         "successfulRunsHistoryLimit": 10, "failedRunsHistoryLimit": 10,
                         "jobTemplate": job_template()}})

        return parallel(n, create, self.a.create_concurrency)

    # -- 3. sked
    def sked(self, n):
        period = 20
        ns = f"sked-n{n}-{self.suffix}"
        w = self.watched_namespace(ns)
        p = self.start_sked(ns, f"n{n}")
        t_ready_proc = time.time()
        # Start creating just after a tick so creation and readiness get the whole period.
        while time.time() % period < 1 or time.time() % period > 2:
            time.sleep(0.1)
        t_create = time.time()
        create_wall = self.create_scheduledjobs(ns, n, "0,20,40 * * * * *")
        log(f"sked N={n}: created {n} ScheduledJobs in {create_wall:.2f}s")
        end = time.time() + 60 + n / 10
        ready = 0
        while time.time() < end:
            items = self.api.list_all(f"/apis/sked.dev/v1alpha1/namespaces/{ns}/scheduledjobs")
            ready = sum(1 for o in items if (o.get("status") or {}).get("nextScheduleTime"))
            if ready >= n:
                break
            time.sleep(1)
        t_ready = time.time()
        if ready < n:
            log(f"sked N={n}: only {ready}/{n} have status.nextScheduleTime after {t_ready - t_create:.0f}s")
        first = (int(t_ready) // period + 1) * period
        ticks = [float(first + k * period) for k in range(self.a.ticks)]
        log(f"sked N={n}: {ready}/{n} ready {t_ready - t_create:.1f}s after creation began; measuring ticks "
            f"{iso(ticks[0])} .. {iso(ticks[-1])}")
        complete = self.wait_jobs(w, ticks, n, ticks[-1] + self.a.sked_grace)
        t_end = time.time()
        res = self.analyse(w, ticks, n, None)
        res.update({"n": n, "namespace": ns, "create_wall_s": round(create_wall, 2),
                    "ready_after_s": round(t_ready - t_create, 1), "ready": ready, "complete": complete,
                    "watch_reconnects": w.reconnects,
                    "footprint_before_load": p.window(t_ready_proc, t_create),
                    "footprint_setup": p.window(t_create, ticks[0] - 1),
                    "footprint_ticks": p.window(ticks[0] - 1, t_end)})
        res["sked_alive"] = p.alive()
        res.update(self.cp_footprint(ticks[0] - 1, t_end))
        res["sked_metrics"] = scrape(p.metrics_port)
        w.stop()
        self.stop_proc(p)
        self.delete_ns_contents(ns)
        log(f"sked N={n}: {summary(res)}")
        return res

    # -- 3b. spread: N ScheduledJobs on one H schedule (issue #15)
    def spread(self, n):
        """N ScheduledJobs all on one `H` schedule: each fires every P minutes at the minute and
        second its namespace/name hashes to (`H H/P * * * *`; P = 1: `H * * * * *`), so N objects
        make about N/(60·P) Jobs a second instead of N at once. Every (ScheduledJob, cycle) of
        the measured cycles (P minutes each, aligned to minute 0) must give exactly one Job."""
        period = self.a.spread_period
        schedule = "H * * * * *" if period == 1 else f"H H/{period} * * * *"
        cycles, cycle_s = self.a.spread_cycles, 60 * period
        ns = f"sked-h{n}-{self.suffix}"
        w = self.watched_namespace(ns)
        p = self.start_sked(ns, f"h{n}")
        t_create = time.time()
        create_wall = self.create_scheduledjobs(ns, n, schedule)
        log(f"spread N={n}: created {n} ScheduledJobs in {create_wall:.2f}s")
        end, ready, items = time.time() + 120 + n / 10, 0, []
        while time.time() < end:
            items = self.api.list_all(f"/apis/sked.dev/v1alpha1/namespaces/{ns}/scheduledjobs", deadline=120)
            ready = sum(1 for o in items if (o.get("status") or {}).get("nextScheduleTime"))
            if ready >= n:
                break
            time.sleep(10)  # a LIST of every object costs the API server as much as the runs do
        t_ready = time.time()
        # Where the hash put each object: the second of its cycle of its next start.
        slots = [int(rfc3339(o["status"]["nextScheduleTime"])) % cycle_s for o in items
                 if (o.get("status") or {}).get("nextScheduleTime")]
        per_second = [0] * cycle_s
        for k in slots:
            per_second[k] += 1
        # Whole cycles from the first that begins 30 s after all are ready (the setup's burst of
        # first status writes is over by then).
        w0 = (int(t_ready + 30) // cycle_s + 1) * cycle_s
        w1 = w0 + cycle_s * cycles
        log(f"spread N={n}: {ready}/{n} ready {t_ready - t_create:.1f}s after creation began; per second of "
            f"the cycle {min(per_second)}..{max(per_second)}; measuring {iso(w0)} .. {iso(w1)}")
        deadline = w1 + self.a.sked_grace
        complete = False
        while time.time() < deadline:
            got = sum(1 for (_, st, _) in w.snapshot().values() if st is not None and w0 <= st < w1)
            if got >= n * cycles and time.time() > w1 + 1:
                complete = True
                break
            time.sleep(1)
        t_end = time.time()
        seen, dup, lags, per_cycle = set(), 0, [], {c: [] for c in range(cycles)}
        for name, (arr, st, owner) in w.snapshot().items():
            if st is None or not (w0 <= st < w1):
                continue
            key = (owner or name, st)
            if key in seen:
                dup += 1
                continue
            seen.add(key)
            lags.append(arr - st)
            per_cycle[int(st - w0) // cycle_s].append(arr - st)

        def summ(v):
            return {"p50_s": r3(pct(v, 50)), "p99_s": r3(pct(v, 99)), "max_s": r3(max(v) if v else None)}

        expected = n * cycles
        res = {"n": n, "schedule": schedule, "namespace": ns, "window": [iso(w0), iso(w1)], "cycles": cycles,
               "cycle_s": cycle_s,
               "expected_jobs": expected, "jobs": len(lags), "tick_share": round(len(lags) / expected, 4),
               "duplicates": dup, **summ(lags), "complete": complete,
               "per_cycle": [{"cycle": iso(w0 + cycle_s * c), "jobs": len(v), **summ(v)} for c, v in per_cycle.items()],
               "per_second_min": min(per_second), "per_second_max": max(per_second),
               "per_second_mean": round(len(slots) / cycle_s, 1), "create_wall_s": round(create_wall, 2),
               "ready_after_s": round(t_ready - t_create, 1), "ready": ready, "watch_reconnects": w.reconnects,
               "footprint_setup": p.window(t_create, w0 - 1), "footprint_ticks": p.window(w0 - 1, t_end),
               "sked_alive": p.alive()}
        res.update(self.cp_footprint(w0 - 1, t_end))
        res["sked_metrics"] = scrape(p.metrics_port)
        w.stop()
        self.stop_proc(p)
        self.delete_ns_contents(ns)
        log(f"spread N={n}: {summary(res)}")
        return res

    # -- 4. reference
    def start_kcm(self, setting):
        bin_ = os.path.expanduser(self.a.kcm_bin)
        argv = [bin_, "--kubeconfig", self.kubeconfig, "--leader-elect=false", "--secure-port=0", "--port=0",
                "--controllers=cronjob", "--feature-gates=CronJobControllerV2=true"]
        if setting == "unthrottled":
            argv += ["--kube-api-qps=2000", "--kube-api-burst=2000"]
        p = self.start_proc(f"kcm-{setting}", argv)
        time.sleep(5)
        if not p.alive():
            raise RuntimeError(f"kube-controller-manager exited: see {p.logf.name}")
        return p

    def reference(self, kcm, setting, n):
        ns = f"ref-{setting[:5]}-n{n}-{self.suffix}"
        self.api.ensure_ns(ns)
        w = Watcher(self.api, ns, cronjob_sched_time)
        w.start()
        w.started.wait(10)
        # Create right after a minute boundary so everything exists well before the next one.
        while not (1 <= time.time() % 60 < 40):
            time.sleep(0.2)
        t_create = time.time()

        def create(i):
            self.api.req("POST", f"/apis/batch/v1beta1/namespaces/{ns}/cronjobs", {
                "apiVersion": "batch/v1beta1", "kind": "CronJob", "metadata": {"name": f"cj-{i:05d}"},
                "spec": {"schedule": "* * * * *", "concurrencyPolicy": "Allow",
                         "successfulJobsHistoryLimit": 10, "failedJobsHistoryLimit": 10,
                         "jobTemplate": job_template({"bench": "ref"})}})

        create_wall = parallel(n, create, self.a.create_concurrency)
        t_created = time.time()
        first = (int(t_created + 5) // 60 + 1) * 60
        ticks = [float(first + 60 * k) for k in range(self.a.ref_ticks)]
        log(f"reference {setting} N={n}: created in {create_wall:.2f}s; measuring ticks {iso(ticks[0])} .. "
            f"{iso(ticks[-1])}")
        complete = self.wait_jobs(w, ticks, n, ticks[-1] + self.a.ref_grace)
        t_end = time.time()
        res = self.analyse(w, ticks, n, None)
        res.update({"n": n, "setting": setting, "namespace": ns, "create_wall_s": round(create_wall, 2),
                    "complete": complete, "watch_reconnects": w.reconnects,
                    "kcm_footprint_ticks": kcm.window(ticks[0] - 1, t_end)})
        res.update(self.cp_footprint(ticks[0] - 1, t_end))
        w.stop()
        self.delete_ns_contents(ns)
        log(f"reference {setting} N={n}: {summary(res)}")
        return res

    # -- 5. start-up footprint with a large population already in the cluster
    def populate(self, ns, n_sj, n_jobs):
        """n_sj ScheduledJobs that never fire during the run, and n_jobs finished Jobs owned by them
        (labels, annotations and owner reference as sked writes them; status Complete via /status)."""
        per_sj = -(-n_jobs // n_sj) if n_sj else 0
        uids = [None] * n_sj
        sj_path = f"/apis/sked.dev/v1alpha1/namespaces/{ns}/scheduledjobs"

        def mk_sj(i):
            _, o = self.api.req("POST", sj_path, {
                "apiVersion": "sked.dev/v1alpha1", "kind": "ScheduledJob",
                "metadata": {"name": f"sj-{i:05d}", "labels": {"team": f"team-{i % 20}"}},
                "spec": {"schedule": FOOTPRINT_SCHEDULE, "concurrencyPolicy": "Forbid",
                         "successfulRunsHistoryLimit": max(3, per_sj), "failedRunsHistoryLimit": 1,
                         "jobTemplate": {"metadata": {"labels": {"app": "nightly-report"}}, "spec": realistic_job_spec()}}})
            uids[i] = o["metadata"]["uid"]

        wall_sj = parallel(n_sj, mk_sj, self.a.create_concurrency)
        log(f"footprint: created {n_sj} ScheduledJobs in {wall_sj:.1f}s")

        def mk_job(j):
            i, k = j % n_sj, j // n_sj
            sj = f"sj-{i:05d}"
            # Past ticks of FOOTPRINT_SCHEDULE: 1 January of this year, the year before, ...
            year = dt.datetime.now(dt.timezone.utc).year - k
            t = dt.datetime(year, 1, 1, tzinfo=dt.timezone.utc).timestamp()
            name = f"{sj}-{int(t)}"
            self.api.req("POST", f"/apis/batch/v1/namespaces/{ns}/jobs", {
                "apiVersion": "batch/v1", "kind": "Job",
                "metadata": {"name": name,
                             "labels": {"app": "nightly-report", "sked.dev/scheduled-job": sj,
                                        "app.kubernetes.io/managed-by": "sked"},
                             "annotations": {"sked.dev/scheduled-time": iso(t), "sked.dev/trigger": "schedule",
                                             "sked.dev/run-id": str(int(t)), "sked.dev/attempt": "1"},
                             "ownerReferences": [{"apiVersion": "sked.dev/v1alpha1", "kind": "ScheduledJob", "name": sj,
                                                  "uid": uids[i], "controller": True, "blockOwnerDeletion": True}]},
                "spec": realistic_job_spec()})
            self.api.req("PATCH", f"/apis/batch/v1/namespaces/{ns}/jobs/{name}/status", {"status": {
                "startTime": iso(t + 1), "completionTime": iso(t + 95), "succeeded": 1,
                "conditions": [{"type": "Complete", "status": "True", "lastProbeTime": iso(t + 95),
                                "lastTransitionTime": iso(t + 95)}]}}, ctype="application/merge-patch+json")

        wall_jobs = parallel(n_jobs, mk_job, self.a.create_concurrency)
        log(f"footprint: created {n_jobs} finished Jobs (POST + PATCH status) in {wall_jobs:.1f}s")
        # What a bare client needs to read the same population (the floor for "caches synced").
        lists = {}
        for kind, path in (("scheduledjobs", sj_path),
                           ("jobs", f"/apis/batch/v1/namespaces/{ns}/jobs?labelSelector=sked.dev%2Fscheduled-job")):
            t0 = time.perf_counter()
            n, size = list_size(self.api, path)
            lists[kind] = {"items": n, "json_mib": round(size / 2 ** 20, 1), "list_s": round(time.perf_counter() - t0, 2)}
        log(f"footprint: python LIST (limit 500): {lists}")
        return {"create_scheduledjobs_s": round(wall_sj, 1), "create_jobs_s": round(wall_jobs, 1),
                "concurrency": self.a.create_concurrency, "list": lists}

    def footprint_start(self, ns, n_sj, tag):
        """Start sked on a populated namespace and time its start-up from the outside: process start
        (just before exec), its 'caches synced' log line (JSON, ms timestamps), the first completed
        reconcile and the drained queue (sked_reconcile_duration_seconds_count from /metrics,
        polled at most every 50 ms, and less often when a scrape is slow); then an idle window."""
        mport, hport = free_port(), free_port()
        argv = [self.a.sked_bin, "operator", "--kubeconfig", self.kubeconfig, "--namespace", ns,
                "--leader-elect=false", "--metrics-bind-address", f"127.0.0.1:{mport}",
                "--health-probe-bind-address", f"127.0.0.1:{hport}", "--log-format", "json",
                "--log-level", "info", "--workers", str(self.a.workers)] + self.a.sked_args.split()
        t0 = time.time()
        p = self.start_proc(f"sked-fp-{tag}", argv)
        logr = open(p.logf.name, "rb")  # noqa: SIM115
        t_log_start = t_synced = t_first = None
        synced_counts, count, last_change, scrape_s, polls = None, 0, None, [], 0
        end = t0 + self.a.footprint_timeout
        while time.time() < end:
            if not p.alive():
                raise RuntimeError(f"sked exited during start-up: see {p.logf.name}")
            for line in logr.readlines():
                try:
                    ev = json.loads(line)
                except ValueError:
                    continue
                msg = ev.get("msg") or ev.get("message")
                if msg == "starting sked" and t_log_start is None:
                    t_log_start = rfc3339(ev["ts"])
                if msg == "caches synced" and t_synced is None:
                    t_synced = rfc3339(ev["ts"])
                    synced_counts = {k: ev.get(k) for k in ("scheduledJobs", "jobs")}
                    if synced_counts["scheduledJobs"] is None:  # metadata nested or flattened
                        md = ev.get("metadata") or {}
                        synced_counts = {k: md.get(k) for k in ("scheduledJobs", "jobs")}
            s0 = time.perf_counter()
            m = scrape_startup(mport)
            now = time.time()
            scrape_s.append(time.perf_counter() - s0)
            polls += 1
            if m is not None:
                c = m["reconciles"]
                if c > 0 and t_first is None:
                    t_first = now
                if c != count:
                    count, last_change = c, now
                if t_synced and count >= n_sj and now - (last_change or t_synced) >= 3:
                    break
            time.sleep(max(0.05, 10 * scrape_s[-1]))
        else:
            log(f"footprint {tag}: not drained after {self.a.footprint_timeout}s ({count} reconciles)")
        logr.close()
        t_drained = last_change or t_synced
        mem_drained = mem_detail(p.pid)
        m_drained = scrape_startup(mport) or {}
        time.sleep(1)
        t_idle0 = time.time()
        time.sleep(self.a.footprint_idle)
        t_idle1 = time.time()
        mem_idle = mem_detail(p.pid)
        mem_idle["by_mapping"] = rss_by_mapping(p.pid)
        probe = malloc_probe(p.pid, p.logf.name) if self.a.malloc_probe else None
        m_end = scrape_startup(mport) or {}
        idle = p.window(t_idle0, t_idle1)
        at_synced = next((s for s in p.samples if t_synced and s[0] >= t_synced), None)
        startup = p.window(t0, t_drained or time.time())
        rel = lambda t: None if t is None else round(t - t0, 3)  # noqa: E731
        res = {
            "tag": tag, "t_start": iso(t0),
            "start_to_log_s": rel(t_log_start), "start_to_synced_s": rel(t_synced),
            "start_to_first_reconcile_s": rel(t_first), "start_to_drained_s": rel(t_drained),
            "synced_counts": synced_counts, "reconciles_at_drain": count,
            "reconciles_after_idle": m_end.get("reconciles"),
            "kube_requests_startup": m_drained.get("requests"), "kube_requests_idle": diff(m_end.get("requests"), m_drained.get("requests")),
            "metrics_polls": polls, "metrics_scrape_ms_max": round(1000 * max(scrape_s), 1) if scrape_s else None,
            "metrics_bytes": m_end.get("bytes"),
            "rss_at_synced_mib": round(at_synced[1] / 1024, 1) if at_synced else None,
            "cpu_to_drained_s": startup.get("cpu_s"), "rss_peak_startup_mib": startup.get("rss_peak_mib"),
            "mem_drained": mem_drained, "mem_after_idle": mem_idle, "malloc_probe": probe,
            "idle_window_s": idle.get("seconds"), "idle_cpu_s": idle.get("cpu_s"),
            "idle_cpu_pct_core": (round(100 * idle["cpu_s"] / idle["seconds"], 2)
                                  if idle.get("cpu_s") is not None and idle.get("seconds") else None),
            "idle_rss_peak_mib": idle.get("rss_peak_mib"),
            "loadavg": os.getloadavg(),
        }
        res["control_plane_startup"] = {k: v.window(t0, t_drained or time.time()) for k, v in self.cp_samplers.items()}
        self.stop_proc(p)
        log(f"footprint {tag}: start->synced {res['start_to_synced_s']}s, ->first reconcile "
            f"{res['start_to_first_reconcile_s']}s, ->drained {res['start_to_drained_s']}s ({count} reconciles); "
            f"RSS synced {res['rss_at_synced_mib']} / drained {mem_drained.get('VmRSS')} / idle "
            f"{mem_idle.get('VmRSS')} MiB; idle CPU {res['idle_cpu_s']}s / {res['idle_window_s']}s")
        return res

    def footprint(self, n_sj, n_jobs):
        ns = f"sked-fp{n_sj}-{self.suffix}"
        self.api.ensure_ns(ns)
        res = {"scheduledjobs": n_sj, "jobs": n_jobs, "namespace": ns, "schedule": FOOTPRINT_SCHEDULE}
        res["populate"] = self.populate(ns, n_sj, n_jobs)
        # 1. First start: the ScheduledJobs have no status yet, so every first reconcile writes one
        #    (history = the Jobs found). 2. Restart: same population, status already written, so
        #    the first reconciles should be no-ops (no PUTs): the steady-state restart.
        res["runs"] = [self.footprint_start(ns, n_sj, f"{n_sj}-first"), self.footprint_start(ns, n_sj, f"{n_sj}-restart")]
        res["runs"][0]["variant"] = "first start (no status yet)"
        res["runs"][1]["variant"] = "restart (status written)"
        items = self.api.list_all(f"/apis/sked.dev/v1alpha1/namespaces/{ns}/scheduledjobs", deadline=120)
        res["with_status"] = sum(1 for o in items if (o.get("status") or {}).get("history"))
        res["history_entries"] = sum(len((o.get("status") or {}).get("history") or []) for o in items)
        res["jobs_left"] = list_size(self.api, f"/apis/batch/v1/namespaces/{ns}/jobs")[0]
        log(f"footprint {n_sj}/{n_jobs}: {res['with_status']} ScheduledJobs with history "
            f"({res['history_entries']} entries), {res['jobs_left']} Jobs left")
        return res

    def run(self):
        a = self.a
        self.result["host"] = {"nproc": os.cpu_count(), "machine": platform.machine(), "kernel": platform.release(),
                               "loadavg_start": os.getloadavg(),
                               "note": "shared machine (other work running concurrently); 2 cores"}
        try:
            self.result["sked_version"] = subprocess.run([a.sked_bin, "--version"], capture_output=True, text=True,
                                                         timeout=10).stdout.strip()
        except Exception:  # noqa: BLE001
            pass
        self.result["sked_bin"] = a.sked_bin
        st = os.stat(a.sked_bin)
        self.result["sked_bin_mtime"] = iso(st.st_mtime)
        self.result["sked_bin_size"] = st.st_size
        self.start_control_plane()
        if a.physical_jobs > 0:
            self.physical()
        if a.idle > 0:
            self.idle()
        self.result["sked"] = []
        for n in a.sked_n:
            self.result["sked"].append(self.sked(n))
            self.write()
        self.result["spread"] = []
        for n in a.spread:
            self.result["spread"].append(self.spread(n))
            self.write()
        self.result["reference"] = []
        for setting in a.ref_settings:
            if not a.ref_n:
                break
            kcm = self.start_kcm(setting)
            try:
                for n in a.ref_n:
                    self.result["reference"].append(self.reference(kcm, setting, n))
                    self.write()
            finally:
                self.stop_proc(kcm)
        # Last: the populations stay in the API server (its watch cache) until the control plane stops.
        self.result["footprint"] = []
        for n_sj, n_jobs in a.footprint:
            self.result["footprint"].append(self.footprint(n_sj, n_jobs))
            self.write()
        self.result["host"]["loadavg_end"] = os.getloadavg()
        self.result["finished"] = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H%M%SZ")

    # -- output
    def write(self):
        os.makedirs(self.a.out, exist_ok=True)
        base = os.path.join(self.a.out, f"{self.stamp}{'-quick' if self.a.quick else ''}")
        with open(base + ".json", "w") as f:
            json.dump(self.result, f, indent=2)
        with open(base + ".md", "w") as f:
            f.write(markdown(self.result))
        return base


def scrape(port):
    """sked's own counters and histogram sums (no buckets) from /metrics."""
    out = {}
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as r:
            for line in r.read().decode().splitlines():
                if line.startswith("sked_") and "_bucket" not in line:
                    k, _, v = line.rpartition(" ")
                    # Sum per-object series (scheduledjob="...") into one per metric and the rest.
                    k = re.sub(r'(,?)scheduledjob="[^"]*"', "", k).replace("{,", "{")
                    out[k] = out.get(k, 0.0) + float(v)
    except (OSError, ValueError) as e:
        out["error"] = str(e)
    return out


def r3(x):
    return None if x is None else round(x, 3)


def iso(t):
    return dt.datetime.fromtimestamp(t, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def summary(r):
    return (f"{r['jobs']}/{r['expected_jobs']} jobs ({100 * (r['tick_share'] or 0):.1f}%), lag p50 {r['p50_s']}s "
            f"p99 {r['p99_s']}s max {r['max_s']}s, duplicates {r['duplicates']}")


def fmt(x, unit=""):
    return "–" if x is None else f"{x}{unit}"


def cp_cpu(r):
    a = (r.get("kube-apiserver_footprint_ticks") or {}).get("cpu_s")
    e = (r.get("etcd_footprint_ticks") or {}).get("cpu_s")
    return "–" if a is None else f"{a} + {e}"


def markdown(res):
    L = [f"# sked benchmark {res['started']}", ""]
    h = res.get("host", {})
    L += [f"One local kube-apiserver v1.20.2 + etcd (loopback, no kubelet, no kube-controller-manager except the "
          f"reference's). Host: {h.get('nproc')} cores, {h.get('machine')}, kernel {h.get('kernel')}; "
          f"**{h.get('note')}** — load average at start {fmt(h.get('loadavg_start'))}, "
          f"end {fmt(h.get('loadavg_end'))}. sked: `{res.get('sked_bin')}` {res.get('sked_version', '')} (built {res.get('sked_bin_mtime', '?')}).", ""]
    if res.get("sked") or res.get("reference"):
        L += ["Lag = arrival of the Job's ADDED watch event minus its scheduled time (sked: annotation "
              "`sked.dev/scheduled-time`, second precision; CronJob: `<name>-<unix minutes>`). Tick share = "
              "(object, tick) pairs that produced a Job / N × ticks.", ""]
    ph = res.get("physical")
    if ph:
        L += [f"**Physical limit:** {ph['jobs']} batch/v1 Jobs created by a minimal Python client with "
              f"{ph['concurrency']} concurrent keep-alive connections: best {ph['best_s']} s "
              f"({ph['jobs_per_s_best']} Jobs/s; rounds {ph['wall_s']}).", ""]
    idle = res.get("sked_idle")
    if idle:
        L += [f"**sked idle** ({idle.get('idle_s')} s, no ScheduledJobs): RSS {fmt(idle.get('rss_end_mib'), ' MiB')} "
              f"(peak {fmt(idle.get('rss_peak_mib'), ' MiB')}), CPU {fmt(idle.get('cpu_s'), ' s')}.", ""]
    if res.get("sked") or res.get("reference"):
        L += ["| Controller | Setting | N | Ticks | Jobs | Tick share | Dups | p50 lag (s) | p99 lag (s) | max lag (s) "
              "| CPU s (ticks window) | RSS peak (MiB) | apiserver+etcd CPU s |",
              "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in res.get("sked", []):
        fp = r.get("footprint_ticks", {})
        L.append(f"| sked | 0,20,40 * * * * *, workers {res['args']['workers']}{(' ' + res['args']['sked_args']) if res['args'].get('sked_args') else ''} | {r['n']} | {len(r['ticks'])} | "
                 f"{r['jobs']}/{r['expected_jobs']} | {100 * (r['tick_share'] or 0):.1f}% | {r['duplicates']} | "
                 f"{fmt(r['p50_s'])} | {fmt(r['p99_s'])} | {fmt(r['max_s'])} | {fmt(fp.get('cpu_s'))} "
                 f"over {fmt(fp.get('seconds'))} s | {fmt(fp.get('rss_peak_mib'))} | {cp_cpu(r)} |")
    for r in res.get("reference", []):
        fp = r.get("kcm_footprint_ticks", {})
        s = "default QPS 20/burst 30" if r["setting"] == "default" else "QPS/burst 2000"
        L.append(f"| kube-controller-manager v1.20.2 CronJob v2 | {s} | {r['n']} | {len(r['ticks'])} | "
                 f"{r['jobs']}/{r['expected_jobs']} | {100 * (r['tick_share'] or 0):.1f}% | {r['duplicates']} | "
                 f"{fmt(r['p50_s'])} | {fmt(r['p99_s'])} | {fmt(r['max_s'])} | {fmt(fp.get('cpu_s'))} "
                 f"over {fmt(fp.get('seconds'))} s | {fmt(fp.get('rss_peak_mib'))} | {cp_cpu(r)} |")
    if res.get("sked") or res.get("reference"):
        L += ["", "CPU/RSS columns are the controller process (sked, or kube-controller-manager for the reference) "
              "from /proc, from 1 s before the first measured tick until all Jobs arrived (or the deadline).", ""]
    if res.get("sked"):
        L += ["Per tick (sked):", "", "| N | tick | jobs | p50 | p99 | max |", "|---:|---|---:|---:|---:|---:|"]
        for r in res["sked"]:
            for t in r["per_tick"]:
                L.append(f"| {r['n']} | {t['tick']} | {t['jobs']} | {fmt(t['p50_s'])} | {fmt(t['p99_s'])} | "
                         f"{fmt(t['max_s'])} |")
        L.append("")
        L += ["sked setup (creating N ScheduledJobs until all report status.nextScheduleTime):", "",
              "| N | create wall (s) | ready after (s) | CPU s setup | RSS before load (MiB) | RSS peak setup (MiB) |",
              "|---:|---:|---:|---:|---:|---:|"]
        for r in res["sked"]:
            L.append(f"| {r['n']} | {r['create_wall_s']} | {r['ready_after_s']} | "
                     f"{fmt(r['footprint_setup'].get('cpu_s'))} | {fmt(r['footprint_before_load'].get('rss_end_mib'))} "
                     f"| {fmt(r['footprint_setup'].get('rss_peak_mib'))} |")
        L.append("")
    if res.get("spread"):
        L += ["Spread (`H` in the seconds and minutes fields: each ScheduledJob fires once a cycle at the minute and "
              "second its namespace/name hashes to; every (ScheduledJob, cycle) of the measured cycles must give one Job):", "",
              "| N | schedule | cycles | Jobs | share | dups | Jobs per second of the cycle (min/mean/max) | p50 lag (s) "
              "| p99 lag (s) | max lag (s) | sked CPU s | RSS peak (MiB) | apiserver+etcd CPU s | ready after (s) |",
              "|---:|---|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|"]
        for r in res["spread"]:
            fp = r.get("footprint_ticks", {})
            L.append(f"| {r['n']} | `{r['schedule']}` | {r['cycles']} × {r['cycle_s']} s | {r['jobs']}/{r['expected_jobs']} | "
                     f"{100 * (r['tick_share'] or 0):.1f}% | {r['duplicates']} | {r['per_second_min']}/"
                     f"{r['per_second_mean']}/{r['per_second_max']} | {fmt(r['p50_s'])} | {fmt(r['p99_s'])} | "
                     f"{fmt(r['max_s'])} | {fmt(fp.get('cpu_s'))} over {fmt(fp.get('seconds'))} s | "
                     f"{fmt(fp.get('rss_peak_mib'))} | {cp_cpu(r)} | {r['ready_after_s']} |")
        L += ["", "| N | cycle from | jobs | p50 | p99 | max |", "|---:|---|---:|---:|---:|---:|"]
        for r in res["spread"]:
            for m in r["per_cycle"]:
                L.append(f"| {r['n']} | {m['cycle']} | {m['jobs']} | {fmt(m['p50_s'])} | {fmt(m['p99_s'])} | "
                         f"{fmt(m['max_s'])} |")
        L.append("")
    if res.get("reference"):
        L += ["Per tick (reference):", "", "| setting | N | tick | jobs | p50 | p99 | max |",
              "|---|---:|---|---:|---:|---:|---:|"]
        for r in res["reference"]:
            for t in r["per_tick"]:
                L.append(f"| {r['setting']} | {r['n']} | {t['tick']} | {t['jobs']} | {fmt(t['p50_s'])} | "
                         f"{fmt(t['p99_s'])} | {fmt(t['max_s'])} |")
        L.append("")
    if res.get("footprint"):
        L += footprint_markdown(res)
    return "\n".join(L) + "\n"


def footprint_markdown(res):
    a = res["args"]
    L = ["## Start-up footprint", "",
         f"ScheduledJobs on `{FOOTPRINT_SCHEDULE}` (nothing due), each with a ~1 KiB jobTemplate; finished Jobs "
         "(status Complete, written through /status) with sked's labels, annotations and a controller "
         "ownerReference, the same pod template. sked (`--namespace` that one, `--workers "
         f"{a['workers']}`{(' ' + a['sked_args']) if a.get('sked_args') else ''}, JSON logs at info"
         f"{(', env ' + ' '.join(a['sked_env'])) if a.get('sked_env') else ''}) is started twice: "
         "**first** = the ScheduledJobs have no status yet (every first reconcile writes one), **restart** = "
         "the same population after that (status written: first reconciles should write nothing). "
         "Times from just before exec: *log* = its first log line, *synced* = its `caches synced` line "
         "(ms timestamps), *first* = first completed reconcile, *watches* = WATCH requests sked made (2 = no re-watch), *drained* = the last new reconcile before "
         "`sked_reconcile_duration_seconds_count` stayed ≥ ScheduledJobs for 3 s (both from /metrics, polled "
         "every ≥ 50 ms, so ± one poll). RSS from /proc (VmRSS; anon = heap + stacks, file = mapped binary "
         "and libraries). Idle: CPU seconds over the idle window after the drain. Targets (issue #7): start to "
         "first reconcile ≤ 3 s and RSS ≤ 64 MiB at 10,000/20,000, idle CPU < 1 % of a core.", "",
         "| SJs | Jobs | start | log (s) | synced (s) | first (s) | drained (s) | reconciles | API writes | watches | "
         "CPU s to drained | RSS synced | RSS drained (anon/file) | peak RSS | RSS after idle (anon/file) | "
         "idle CPU | load avg (1 min) |",
         "|---:|---:|---|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for f in res["footprint"]:
        for r in f["runs"]:
            md, mi = r.get("mem_drained") or {}, r.get("mem_after_idle") or {}
            writes = {k: v for k, v in (r.get("kube_requests_startup") or {}).items() if k.split()[0] not in ("GET", "WATCH")}
            L.append(
                f"| {f['scheduledjobs']} | {f['jobs']} | {r['tag'].split('-')[-1]} | {fmt(r['start_to_log_s'])} | "
                f"{fmt(r['start_to_synced_s'])} | {fmt(r['start_to_first_reconcile_s'])} | {fmt(r['start_to_drained_s'])} | "
                f"{r['reconciles_at_drain']} | {', '.join(f'{k} {v}' for k, v in sorted(writes.items())) or 'none'} | "
                f"{sum(v for k, v in (r.get('kube_requests_startup') or {}).items() if k.startswith('WATCH'))} | "
                f"{fmt(r['cpu_to_drained_s'])} | {fmt(r['rss_at_synced_mib'])} | {fmt(md.get('VmRSS'))} "
                f"({fmt(md.get('RssAnon'))}/{fmt(md.get('RssFile'))}) | {fmt(mi.get('VmHWM'))} | {fmt(mi.get('VmRSS'))} "
                f"({fmt(mi.get('RssAnon'))}/{fmt(mi.get('RssFile'))}) | {fmt(r['idle_cpu_s'])} s / {fmt(r['idle_window_s'])} s "
                f"= {fmt(r['idle_cpu_pct_core'])} % | {r['loadavg'][0]:.2f} |")
    L += ["", "Population and the floor (a bare Python client, 24 keep-alive connections; LIST pages of 500, JSON as "
          "served):", "", "| SJs | Jobs | create SJs (s) | create + status Jobs (s) | LIST SJs (s, MiB) | LIST Jobs (s, MiB) "
          "| SJs with history after | history entries | Jobs left | apiserver + etcd CPU s (restart, to drained) |",
          "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for f in res["footprint"]:
        po, ls = f["populate"], f["populate"]["list"]
        r = f["runs"][-1]
        L.append(f"| {f['scheduledjobs']} | {f['jobs']} | {po['create_scheduledjobs_s']} | {po['create_jobs_s']} | "
                 f"{ls['scheduledjobs']['list_s']} ({ls['scheduledjobs']['json_mib']}) | {ls['jobs']['list_s']} "
                 f"({ls['jobs']['json_mib']}) | {f.get('with_status')} | {f.get('history_entries')} | {f.get('jobs_left')} | "
                 f"{fmt((r['control_plane_startup'].get('kube-apiserver') or {}).get('cpu_s'))} + "
                 f"{fmt((r['control_plane_startup'].get('etcd') or {}).get('cpu_s'))} |")
    L += ["", "Resident memory by mapping after the idle window (restart run, MiB; `[anon]` = anonymous memory "
          "other than `[heap]`: Swift/glibc malloc arenas of worker threads, stacks):", ""]
    for f in res["footprint"]:
        r = f["runs"][-1]
        bm = (r.get("mem_after_idle") or {}).get("by_mapping") or {}
        L.append(f"- {f['scheduledjobs']}/{f['jobs']}: " + ", ".join(f"{k} {v}" for k, v in bm.items()))
    probes = [(f, r) for f in res["footprint"] for r in f["runs"] if (r.get("malloc_probe") or {}).get("malloc_in_use_mib") is not None]
    if probes:
        L += ["", "glibc malloc after the idle window (`--malloc-probe`: gdb calls `malloc_stats()`, then `malloc_trim(0)`): "
              "*in use* = bytes in live allocations, *system* = bytes malloc holds from the kernel.", "",
              "| SJs | Jobs | start | RSS before (MiB) | malloc in use | malloc system | arenas | RSS after trim (anon/file) |",
              "|---:|---:|---|---:|---:|---:|---:|---:|"]
        for f, r in probes:
            mp, at = r["malloc_probe"], r["malloc_probe"].get("after_trim") or {}
            L.append(f"| {f['scheduledjobs']} | {f['jobs']} | {r['tag'].split('-')[-1]} | {fmt((r.get('mem_after_idle') or {}).get('VmRSS'))} | "
                     f"{mp['malloc_in_use_mib']} | {mp['malloc_system_mib']} | {mp['arenas']} | {fmt(at.get('VmRSS'))} "
                     f"({fmt(at.get('RssAnon'))}/{fmt(at.get('RssFile'))}) |")
    L.append("")
    return L


def plot(res, path):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as e:
        log(f"no plot: {e}")
        return None
    if not any(r.get("p99_s") is not None for r in res.get("sked", []) + res.get("reference", [])):
        return None  # e.g. a footprint-only run
    fig, ax = plt.subplots(figsize=(7, 4.5))
    series = [("sked", [r for r in res.get("sked", [])])]
    for s in ("default", "unthrottled"):
        series.append((f"kube-controller-manager CronJob v2 ({'QPS 20' if s == 'default' else 'QPS 2000'})",
                       [r for r in res.get("reference", []) if r["setting"] == s]))
    for label, rows in series:
        rows = [r for r in rows if r.get("p99_s") is not None]
        if rows:
            line, = ax.plot([r["n"] for r in rows], [r["p99_s"] for r in rows], marker="o", label=label)
            for r in rows:
                if (r.get("tick_share") or 0) < 1:
                    ax.annotate(f"only {100 * r['tick_share']:.0f}% of ticks\n(p99 of the Jobs that came)",
                                (r["n"], r["p99_s"]), textcoords="offset points", xytext=(-150, -4), fontsize=7,
                                color=line.get_color(), arrowprops={"arrowstyle": "->", "color": line.get_color()})
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("N (objects firing on the same tick)")
    ax.set_ylabel("p99 lag: watch ADDED − scheduled time (s)")
    ax.set_title(f"Schedule lag, one local kube-apiserver v1.20.2 ({res['started']})")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    return path


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ints = lambda s: [int(x) for x in s.split(",") if x]  # noqa: E731
    ap.add_argument("--quick", action="store_true", help="N=10,100 for sked only, short idle")
    ap.add_argument("--sked-n", type=ints, default=[10, 100, 1000], help="comma-separated N for sked")
    ap.add_argument("--spread", type=ints, default=[], metavar="N",
                    help="comma-separated N: N ScheduledJobs on 'H H/P * * * *' (a hashed second and minute, "
                         "every P minutes), measured over --spread-cycles cycles (e.g. --spread 10000)")
    ap.add_argument("--spread-period", type=int, default=4, choices=[1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30, 60],
                    metavar="P", help="minutes between one ScheduledJob's runs under --spread (divides 60; default 4)")
    ap.add_argument("--spread-cycles", type=int, default=1, help="measured cycles of --spread-period minutes")
    ap.add_argument("--ref-n", type=ints, default=[10, 1000], help="comma-separated N for the reference ('' = none)")
    ap.add_argument("--ref-settings", default="default,unthrottled", type=lambda s: [x for x in s.split(",") if x])
    ap.add_argument("--ticks", type=int, default=3, help="measured sked ticks (20 s apart)")
    ap.add_argument("--ref-ticks", type=int, default=2, help="measured reference ticks (60 s apart)")
    ap.add_argument("--sked-grace", type=float, default=25, help="seconds after the last sked tick to wait for Jobs")
    ap.add_argument("--ref-grace", type=float, default=90, help="seconds after the last reference tick to wait")
    ap.add_argument("--idle", type=float, default=60, help="seconds of idle sked footprint (0 = skip)")
    ap.add_argument("--footprint", action="append", metavar="SJS,JOBS",
                    type=lambda s: tuple(ints(s)) if s not in ("", "none") else None,
                    help="start-up footprint with SJS ScheduledJobs and JOBS finished Jobs already in the cluster; "
                         "repeatable (default 10000,20000; none with --quick or --footprint none)")
    ap.add_argument("--footprint-idle", type=float, default=60, help="idle seconds measured after the start-up")
    ap.add_argument("--malloc-probe", action="store_true",
                    help="after each footprint idle window, attach gdb: malloc_stats() and RSS after malloc_trim(0)")
    ap.add_argument("--footprint-timeout", type=float, default=300, help="seconds to wait for the start-up to drain")
    ap.add_argument("--physical-jobs", type=int, default=1000)
    ap.add_argument("--physical-concurrency", type=int, default=24)
    ap.add_argument("--physical-rounds", type=int, default=2)
    ap.add_argument("--create-concurrency", type=int, default=24)
    ap.add_argument("--workers", type=int, default=16, help="sked --workers")
    ap.add_argument("--sked-args", default="", help="extra sked operator flags, e.g. '--kube-api-qps 5000'")
    ap.add_argument("--sked-env", action="append", default=[], metavar="KEY=VALUE",
                    help="environment for every sked process (repeatable), e.g. MALLOC_ARENA_MAX=2")
    ap.add_argument("--sked-bin", default=os.path.join(REPO, ".build-release/release/sked"))
    ap.add_argument("--kcm-bin", default="~/.cache/sked/k8s-v1.20.2/kube-controller-manager")
    ap.add_argument("--out", default=os.path.join(HERE, "results"))
    ap.add_argument("--replot", metavar="JSON", help="only redraw the PNG of an earlier result")
    a = ap.parse_args()
    if a.replot:
        print(plot(json.load(open(a.replot)), a.replot[:-len(".json")] + ".png"))
        return 0
    if a.quick:
        if "--sked-n" not in sys.argv:
            a.sked_n = [10, 100]
        if "--ref-n" not in sys.argv:
            a.ref_n = []
        if "--idle" not in sys.argv:
            a.idle = 30
    if a.footprint is None:
        a.footprint = [] if a.quick else [(10000, 20000)]
    a.footprint = [f for f in a.footprint if f]
    if any(len(f) != 2 or (f[0] == 0 and f[1] > 0) for f in a.footprint):
        ap.error("--footprint takes SJS,JOBS, e.g. 10000,20000 (0,0: the baseline; Jobs need owners)")
    if not os.path.exists(a.sked_bin):
        alt = os.path.join(REPO, ".build/debug/sked")
        log(f"{a.sked_bin} missing; using the DEBUG build {alt}")
        a.sked_bin = alt

    b = Bench(a)

    def on_term(*_):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_term)
    rc = 0
    try:
        b.run()
    except KeyboardInterrupt:
        log("interrupted; cleaning up")
        b.result["interrupted"] = True
        rc = 130
    except Exception as e:  # noqa: BLE001
        log(f"FAILED: {e!r}")
        b.result["error"] = repr(e)
        rc = 1
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        b.cleanup()
    base = b.write()
    try:
        p = plot(b.result, base + ".png")
        if p:
            log("plot:", p)
    except Exception as e:  # noqa: BLE001
        log(f"plot failed: {e!r}")
    print(open(base + ".md").read())  # noqa: SIM115
    log(f"results: {base}.md / .json; logs in {b.work}")
    return rc


if __name__ == "__main__":
    sys.exit(main())
