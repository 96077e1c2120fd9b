"""The `flink` scenario of the fault-injection suite (run.py --scenarios flink; opt-in).

sked's Flink target against a real Flink 2.3 session cluster (scripts/flink-cluster.sh, its own
one in the work folder) while the JobManager fails underneath it:

  proxy    a fault-injecting HTTP proxy sits between sked and the JobManager's REST port (every
           ScheduledJob's spec.flinkJob.jobManagerURL points at it). In proxy phases it answers a
           share of the requests (--flink-error-share, 30 %) with 502/503 without forwarding them,
           and forwards another share (--flink-ambiguous-share) but answers 503 instead of Flink's
           answer: the submission happened, sked thinks it failed (the first --flink-ambiguous-runs
           POST /jars/{id}/run of each phase always get this treatment, and after the first one
           everything is answered 503 for --flink-partition seconds, longer than any period)
  jm       SIGKILL the JobManager, then the TaskManager, start the cluster again in the same folder
           (same ports; a session cluster without HA forgets every job); the proxy answers 502
           meanwhile
  sked     SIGKILL the operator while a submission is in flight: the proxy forwards a
           POST /jars/{id}/run, and holds Flink's 200 until the operator is dead; then restart it

ScheduledJobs: 5 (Allow and Forbid, 5-10 s schedules, startingDeadlineSeconds 20) running the
test job (Tests/Fixtures/flink) from a loopback HTTP server: a 2-core machine's session cluster
(4 slots, 0.4-0.8 s per submission) cannot take 24 ScheduledJobs every 1-2 s as the Job scenarios
do. A poller records every job the JobManager reports (GET /jobs/overview, directly, not through
the proxy) in every incarnation of the JobManager, and a watch records every status write of the
ScheduledJobs (Ready transitions). At the end the operator gets SIGTERM and the checks run on
Flink's record and the ScheduledJobs' status; see scripts/chaos/README.md.
"""
import collections
import functools
import http.client
import http.server
import json
import os
import random
import re
import shutil
import signal
import subprocess
import threading
import time
import urllib.parse

import run as chaos  # run.py registers this module's scenario; its helpers are used at call time
import hostile_corpus  # hostile JAR URLs on the real JobManager (issue #17)

FLINK_CLUSTER = os.path.join(chaos.REPO, "scripts", "flink-cluster.sh")
ENTRY_CLASS = "dev.sked.testjob.TestJob"
TERMINAL = {"FINISHED": "Succeeded", "FAILED": "Failed", "CANCELED": "Cancelled"}
HOP_BY_HOP = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailers",
              "transfer-encoding", "upgrade", "content-length", "host"}
RUN_PATH = re.compile(r"^/jars/[^/]+/run$")

# (name, seconds field, period, policy, test-job args): ticks are the epoch seconds t with
# t % period == offset (each period divides 60). Offsets spread the submissions over the period.
SJ_SPECS = (
    ("allow-5s", 0, 5, "Allow", ["--mode", "batch", "--seconds", "1"]),
    ("forbid-5s", 2, 5, "Forbid", ["--mode", "batch", "--seconds", "6"]),  # outlives its period
    ("allow-6s", 4, 6, "Allow", ["--mode", "batch", "--seconds", "2"]),
    ("forbid-10s", 7, 10, "Forbid", ["--mode", "batch", "--seconds", "14"]),  # outlives a partition
    ("fail-10s", 3, 10, "Allow", ["--mode", "fail"]),  # FAILED in Flink: recorded Failed with the cause
)
HISTORY_LIMIT = 100  # keep every run in status.history: it is the only record sked keeps of a Flink run
START_WITHIN = 5.0  # a tick must have its Flink job this soon when nothing is failing (--stall for Flink)
POLL_SLACK = 3.0  # how late sked may notice that a Flink job ended (fresh runs are polled every 2 s)


# --------------------------------------------------------------------------- FlinkJobID.derive
def fnv1a_hex(s, length):
    """RunNaming.hash: FNV-1a 64 over the UTF-8 bytes, 16 lowercase hex digits, first `length`."""
    h = 0xCBF29CE484222325
    for b in s.encode():
        h = ((h ^ b) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return format(h, "016x")[:length]


def run_name(sj, tick, attempt=1):
    """RunNaming.runName for a scheduled tick (RunNaming.fit: shortened with a hash beyond 63)."""
    suffix = str(int(tick)) if attempt == 1 else f"{int(tick)}-r{attempt}"
    full = f"{sj}-{suffix}"
    if len(full) <= 63:
        return full
    p = sj[:max(1, 63 - len(suffix) - 12)]
    while len(p) > 1 and not p[-1].isalnum():
        p = p[:-1]
    return f"{p}-{fnv1a_hex(sj, 10)}-{suffix}"


def flink_job_id(uid, name):
    """FlinkJobID.derive(scheduledJobUID:runName:): two FNV-1a hashes of "<uid>/<run name>"."""
    identity = f"{uid}/{name}"
    return fnv1a_hex("a:" + identity, 16) + fnv1a_hex("b:" + identity, 16)


def self_test():
    # The published FNV-1a 64 test vectors; the operator's own ids are compared against this
    # derivation again at the end (every status.history/active entry carries one).
    for s, want in (("", "cbf29ce484222325"), ("a", "af63dc4c8601ec8c"), ("foobar", "85944171f73967e8")):
        if fnv1a_hex(s, 16) != want:
            raise chaos.Abort(f"FNV-1a self-test failed for {s!r}: {fnv1a_hex(s, 16)} != {want}")
    if len(flink_job_id("u", "n")) != 32:
        raise chaos.Abort("FlinkJobID derivation does not give 32 hex digits")


# --------------------------------------------------------------------------- Flink cluster
class FlinkCluster:
    """scripts/flink-cluster.sh in DIR: start, SIGKILL the JobManager, restart on the same ports,
    stop. Processes are only ever addressed through DIR/pids (what the script started)."""

    def __init__(self, folder):
        self.dir = folder
        self.url = None
        self.incarnation = None  # 1, 2, ... while a JobManager we started is meant to be up
        self.started = 0
        self.deaths = {}  # incarnation -> when its jobs stopped existing (the TaskManager stopped)

    def _script(self, verb):
        """Runs flink-cluster.sh VERB DIR to its end, even when interrupted meanwhile (re-raised
        after): a start cut short would leave JVMs that DIR/pids does not list yet."""
        out_path, err_path = (os.path.join(self.dir + "-script." + x) for x in ("out", "err"))
        with open(out_path, "w") as out, open(err_path, "w") as err:
            proc = subprocess.Popen(["bash", FLINK_CLUSTER, verb, self.dir], stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                                    start_new_session=True)
        pending, end = None, time.time() + 180
        while proc.poll() is None:
            try:
                proc.wait(timeout=max(0.1, end - time.time()))
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
                raise chaos.Abort(f"flink-cluster.sh {verb} took more than 180 s") from None
            except (KeyboardInterrupt, chaos.Interrupted) as e:
                pending = e
        if pending is not None:
            raise pending
        with open(out_path) as out, open(err_path) as err:
            stdout, stderr = out.read(), err.read()
        if proc.returncode != 0:
            raise chaos.Abort(f"flink-cluster.sh {verb} failed ({proc.returncode}): {stderr[-2500:]}")
        return stdout

    def start(self):
        out = self._script("start")
        m = re.search(r"SKED_TEST_FLINK_URL=(\S+)", out)
        if not m:
            raise chaos.Abort(f"flink-cluster.sh start printed no URL: {out[-500:]}")
        self.url = m.group(1)
        self.rest_port = urllib.parse.urlparse(self.url).port
        self.jar = re.search(r"SKED_TEST_FLINK_JAR=(\S+)", out).group(1)
        self.started += 1
        self.incarnation = self.started

    def pid(self, daemon):
        try:
            with open(os.path.join(self.dir, "pids")) as f:
                for line in f:
                    p, n = line.split()
                    if n == daemon:
                        return int(p)
        except FileNotFoundError:
            pass
        return None

    def kill(self, daemon):
        """SIGKILL one of the cluster's JVMs (by its recorded pid); returns (pid, time)."""
        pid = self.pid(daemon)
        if pid is None:
            raise chaos.Abort(f"no {daemon} in {self.dir}/pids")
        os.kill(pid, signal.SIGKILL)
        t = time.time()
        for _ in range(100):
            if not os.path.exists(f"/proc/{pid}") or _zombie(pid):
                return pid, t
            time.sleep(0.05)
        raise chaos.Abort(f"{daemon} pid {pid} survived SIGKILL")

    def crash_and_restart(self):
        """SIGKILL the JobManager, then its TaskManager (flink-cluster.sh can only start both; a
        TERMed TaskManager that lost its JobManager takes up to 15 s to go), start the cluster again
        in the same folder (same ports). Returns (JobManager pid, kill time, old incarnation, new one)."""
        old = self.incarnation
        self.incarnation = None
        pid, t = self.kill("standalonesession")
        self.kill("taskexecutor")
        self.stop()
        self.deaths[old] = time.time()
        self.incarnation = self.started + 1  # whatever answers on the port from now on is the new one
        self.start()
        return pid, t, old, self.incarnation

    def stop(self):
        self.incarnation = None
        if os.path.exists(os.path.join(self.dir, "pids")):
            self._script("stop")


def _zombie(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[-1].split()[0] == "Z"
    except OSError:
        return True


class JobsPoller(threading.Thread):
    """Every job each JobManager incarnation reports, from GET /jobs/overview on its own port."""

    def __init__(self, cluster, interval=0.5):
        super().__init__(daemon=True, name="flink-jobs-poller")
        self.cluster, self.interval = cluster, interval
        self.lock = threading.Lock()
        self.jobs = {}  # (incarnation, jid) -> dict
        self.polls = collections.Counter()
        self.first_ok = {}  # incarnation -> first successful poll (the REST API is back)
        self.stopped = threading.Event()

    def poll(self):
        inc = self.cluster.incarnation
        if inc is None:
            return False
        try:
            conn = http.client.HTTPConnection("127.0.0.1", self.cluster.rest_port, timeout=2)
            conn.request("GET", "/jobs/overview")
            resp = conn.getresponse()
            body = resp.read()
            conn.close()
            if resp.status != 200:
                self.polls["error"] += 1
                return False
            jobs = json.loads(body).get("jobs") or []
        except (OSError, http.client.HTTPException, ValueError):
            self.polls["error"] += 1
            return False
        now = time.time()
        with self.lock:
            if self.cluster.incarnation != inc:
                return False
            self.polls["ok"] += 1
            self.first_ok.setdefault(inc, now)
            for j in jobs:
                key = (inc, j["jid"])
                rec = self.jobs.get(key)
                if rec is None:
                    rec = self.jobs[key] = {"incarnation": inc, "jid": j["jid"], "name": j.get("name"), "first_seen": now,
                                            "states": []}
                rec["last_seen"] = now
                rec["state"] = j.get("state")
                if not rec["states"] or rec["states"][-1] != j.get("state"):
                    rec["states"].append(j.get("state"))
                rec["start"] = j.get("start-time", -1) / 1000.0 if j.get("start-time", -1) > 0 else None
                rec["end"] = j.get("end-time", -1) / 1000.0 if j.get("end-time", -1) > 0 else None
        return True

    def run(self):
        while not self.stopped.wait(self.interval):
            self.poll()

    def snapshot(self):
        with self.lock:
            return [dict(r) for r in self.jobs.values()]


# --------------------------------------------------------------------------- the proxy
class FaultProxy:
    """A loopback HTTP proxy to the JobManager's REST port that can fail requests on purpose."""

    def __init__(self, cluster, rng):
        self.cluster, self.rng = cluster, rng
        self.lock = threading.Lock()
        self.error_share = 0.0
        self.ambiguous_share = 0.0
        self.force_ambiguous_runs = 0
        self.partition = 0.0  # after the phase's first forced ambiguous run: refuse everything this long
        self.partition_until = 0.0
        self.partitions = []  # dicts: phase, t, t_end, jobId (the submission just before it)
        self.partition_targets = ()  # JAR name prefixes (sked-<uid hash>-) of the ScheduledJobs it follows
        self.phase = None
        self.counts = collections.Counter()  # (phase, what)
        self.ambiguous = []  # (time, phase, method, path, Flink's status, jobId)
        self.requests = collections.deque(maxlen=20000)  # (time, phase, method, path, action, status sked got)
        self.down = False  # the JobManager is being restarted: 502 without trying it
        self.hold_armed = False
        self.held = threading.Event()
        self.release = threading.Event()
        self.held_info = None
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def do_any(self):
                proxy.handle(self)
            do_GET = do_POST = do_PATCH = do_DELETE = do_PUT = do_HEAD = do_any

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        threading.Thread(target=self.server.serve_forever, daemon=True, name="flink-proxy").start()

    def start_phase(self, name, error_share, ambiguous_share, force_runs, partition):
        with self.lock:
            self.phase, self.error_share, self.ambiguous_share, self.force_ambiguous_runs = name, error_share, ambiguous_share, force_runs
            self.partition, self.partition_until = partition, 0.0

    def end_phase(self):
        with self.lock:
            self.phase, self.error_share, self.ambiguous_share, self.force_ambiguous_runs = None, 0.0, 0.0, 0
            self.partition, self.partition_until = 0.0, 0.0

    def partition_done(self, phase):
        return self.partition <= 0 or any(p["phase"] == phase for p in self.partitions)

    def targeted(self, path):
        return not self.partition_targets or any(f"_{t}" in path for t in self.partition_targets)

    def arm_hold(self):
        self.held.clear()
        self.release.clear()
        self.held_info = None
        with self.lock:
            self.hold_armed = True

    def disarm_hold(self):
        with self.lock:
            self.hold_armed = False
        self.release.set()

    @staticmethod
    def read_body(h):
        if "chunked" in (h.headers.get("Transfer-Encoding") or "").lower():
            data = b""
            while True:
                size = int(h.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while h.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return data
                data += h.rfile.read(size)
                h.rfile.readline()
        n = int(h.headers.get("Content-Length") or 0)
        return h.rfile.read(n) if n else b""

    @staticmethod
    def reply(h, status, body, headers=()):
        try:
            h.send_response(status)
            for k, v in headers:
                h.send_header(k, v)
            h.send_header("Content-Length", str(len(body)))
            h.end_headers()
            if h.command != "HEAD":
                h.wfile.write(body)
        except OSError:
            h.close_connection = True

    def forward(self, h, body):
        """(status, headers, body) from the JobManager, or None when it cannot be reached."""
        headers = {k: v for k, v in h.headers.items() if k.lower() not in HOP_BY_HOP}
        if body or h.command in ("POST", "PUT", "PATCH"):
            headers["Content-Length"] = str(len(body))
        try:
            conn = http.client.HTTPConnection("127.0.0.1", self.cluster.rest_port, timeout=60)
            conn.request(h.command, h.path, body=body or None, headers=headers)
            resp = conn.getresponse()
            data = resp.read()
            conn.close()
        except (OSError, http.client.HTTPException):
            return None
        return resp.status, [(k, v) for k, v in resp.getheaders() if k.lower() not in HOP_BY_HOP], data

    def handle(self, h):
        body = self.read_body(h)
        is_run = h.command == "POST" and RUN_PATH.match(h.path.split("?")[0]) is not None
        with self.lock:
            phase, hold = self.phase, self.hold_armed and is_run
            action, partition = "forward", False
            if self.down:
                action, hold = "502-jm-down", False
            elif hold:
                self.hold_armed = False
            elif phase is not None:
                if time.time() < self.partition_until:
                    action = "503-partition"
                elif is_run and self.force_ambiguous_runs > 0 and (self.partition_done(phase) or self.targeted(h.path)):
                    self.force_ambiguous_runs -= 1
                    action = "ambiguous"
                    partition = not self.partition_done(phase)
                else:
                    r = self.rng.random()
                    if r < self.error_share:
                        action = self.rng.choice(("502", "503"))
                    elif r < self.error_share + self.ambiguous_share:
                        action = "ambiguous"
            self.counts[(phase or "-", action + ("-run" if is_run else ""))] += 1
        t = time.time()
        if action in ("502", "503", "503-partition", "502-jm-down"):
            self.requests.append((t, phase, h.command, h.path, action, int(action[:3])))
            msg = json.dumps({"errors": [f"sked chaos proxy: injected {action}"]}).encode()
            return self.reply(h, int(action[:3]), msg, [("Content-Type", "application/json")])
        answer = self.forward(h, body)
        self.requests.append((t, phase, h.command, h.path, action, 503 if action == "ambiguous" else answer and answer[0]))
        if answer is None:
            with self.lock:
                self.counts[(phase or "-", "upstream-down")] += 1
            msg = json.dumps({"errors": ["sked chaos proxy: the JobManager cannot be reached"]}).encode()
            return self.reply(h, 502, msg, [("Content-Type", "application/json")])
        status, headers, data = answer
        job_id = None
        if is_run:
            try:
                job_id = json.loads(body).get("jobId")
            except ValueError:
                pass
        if hold:
            self.held_info = {"t": time.time(), "path": h.path, "status": status, "jobId": job_id}
            self.held.set()
            self.release.wait(60)  # the operator is SIGKILLed meanwhile: this answer reaches no one
        if action == "ambiguous":
            with self.lock:
                self.ambiguous.append({"t": time.time(), "phase": phase, "method": h.command, "path": h.path,
                                       "flink_status": status, "jobId": job_id})
                if partition and self.phase == phase:
                    # Flink took the submission; now the network fails for longer than any
                    # period: sked's retry can only come after the run's next tick.
                    now = time.time()
                    self.partition_until = now + self.partition
                    self.partitions.append({"phase": phase, "t": now, "t_end": self.partition_until, "jobId": job_id})
            msg = json.dumps({"errors": ["sked chaos proxy: injected 503 after forwarding"]}).encode()
            return self.reply(h, 503, msg, [("Content-Type", "application/json")])
        self.reply(h, status, data, headers)

    def close(self):
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


class JarServer:
    """The test JAR over loopback HTTP (Last-Modified, HEAD), as the integration tests serve it."""

    def __init__(self, jar, folder):
        os.makedirs(folder, exist_ok=True)
        shutil.copy(jar, os.path.join(folder, "testjob.jar"))

        class Quiet(http.server.SimpleHTTPRequestHandler):
            def log_message(self, *a):
                pass
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=folder))
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/testjob.jar"
        threading.Thread(target=self.server.serve_forever, daemon=True, name="jar-server").start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


class StatusWatch(threading.Thread):
    """Every status write of the namespace's ScheduledJobs: Ready transitions and active runs."""

    def __init__(self, api, ns):
        super().__init__(daemon=True, name=f"sj-watch-{ns}")
        self.api, self.path = api, chaos.sjs_path(ns)
        self.lock = threading.Lock()
        self.ready = collections.defaultdict(list)  # name -> [(t, status, reason, message)]
        self.max_active = collections.Counter()
        self.stopped = False

    def observe(self, sj):
        name, st = sj["metadata"]["name"], sj.get("status") or {}
        c = next((c for c in st.get("conditions") or [] if c.get("type") == "Ready"), None)
        with self.lock:
            self.max_active[name] = max(self.max_active[name], len(st.get("active") or []))
            if c is None:
                return
            entry = (time.time(), c.get("status"), c.get("reason"), (c.get("message") or "")[:300])
            seq = self.ready[name]
            if not seq or seq[-1][1:3] != entry[1:3]:
                seq.append(entry)

    def run(self):
        while not self.stopped:
            try:
                status, obj = self.api.req("GET", self.path, timeout=10)
                if status != 200:
                    time.sleep(0.5)
                    continue
                for sj in obj["items"]:
                    self.observe(sj)
                for ev in self.api.watch(self.path, obj["metadata"]["resourceVersion"]):
                    if self.stopped or ev.get("type") == "ERROR":
                        break
                    if ev.get("type") in ("ADDED", "MODIFIED"):
                        self.observe(ev["object"])
            except chaos.ApiDown:
                time.sleep(0.5)

    def timeline(self, name):
        with self.lock:
            return list(self.ready.get(name, []))


# --------------------------------------------------------------------------- the scenario
def add_arguments(ap):
    g = ap.add_argument_group("flink scenario (opt-in: --scenarios flink)")
    g.add_argument("--flink-jm-kills", type=int, help="JobManager SIGKILLs (quick 2, full 4)")
    g.add_argument("--flink-proxy-phases", type=int, help="phases of injected 5xx answers (quick 2, full 3)")
    g.add_argument("--flink-sked-kills", type=int, help="operator SIGKILLs during an in-flight submission (quick 1, full 2)")
    g.add_argument("--flink-phase", type=float, help="seconds per proxy phase (quick 20, full 40)")
    g.add_argument("--flink-error-share", type=float, default=0.3, help="share of requests answered 502/503 unforwarded (0.3)")
    g.add_argument("--flink-ambiguous-share", type=float, default=0.1,
                   help="share of requests forwarded but answered 503 (0.1)")
    g.add_argument("--flink-ambiguous-runs", type=int, default=2,
                   help="POST /jars/{id}/run per phase that are always forwarded and answered 503 (2)")
    g.add_argument("--flink-partition", type=float, default=11,
                   help="after the first forced forwarded-then-503 run of a phase, answer everything 503 for this long "
                        "(11: longer than the longest period, 10 s; 0: off)")
    g.add_argument("--flink-deadline", type=int, default=20, help="startingDeadlineSeconds of the Flink ScheduledJobs (20)")


def fill_defaults(args):
    full = args.full
    for name, quick, longer in (("flink_jm_kills", 2, 4), ("flink_proxy_phases", 2, 3), ("flink_sked_kills", 1, 2),
                                ("flink_phase", 20.0, 40.0)):
        if getattr(args, name, None) is None:
            setattr(args, name, longer if full else quick)
    args.flink_healthy = 16.0 if full else 6.0


def fault_plan(args):
    """The order of the faults: proxy phases, JobManager kills and operator kills interleaved."""
    kinds = collections.deque(["proxy"] * args.flink_proxy_phases)
    jm = collections.deque(["jm"] * args.flink_jm_kills)
    sked = collections.deque(["sked"] * args.flink_sked_kills)
    plan = []
    while kinds or jm or sked:
        for q in (kinds, jm, sked):
            if q:
                plan.append(q.popleft())
    return plan


class FlinkRun:
    def __init__(self, suite, key, title, rng):
        self.suite, self.key, self.title, self.rng = suite, key, title, rng
        self.args = suite.args
        self.sc = chaos.Scenario(suite, key, title)
        suite.scenarios.append(self.sc)  # the suite's cleanup kills our operators by PID
        self.cluster = FlinkCluster(os.path.join(suite.work, "flink"))
        self.jm_outages = []  # dicts: t (kill), t_end (JobManager ready again), pid, incarnation
        self.proxy_phases = []  # dicts: t, t_end, name
        self.sked_kills = []  # dicts: t, t_end (replacement ready), held submission
        self.proxy = self.jars = self.poller = self.watch = self.hostile = None

    # -- setup and teardown
    def setup(self):
        self.cluster.start()
        chaos.log(f"  Flink session cluster ready: {self.cluster.url} (work folder {self.cluster.dir})")
        self.jars = JarServer(self.cluster.jar, os.path.join(self.suite.work, "flink-jar"))
        self.proxy = FaultProxy(self.cluster, random.Random(self.rng.random()))
        self.poller = JobsPoller(self.cluster)
        self.poller.start()
        self.hostile = hostile_corpus.FlinkScenarioCorpus(self.sc, self.args, self.cluster.url)

    def teardown(self):
        """Stops exactly what this scenario started; a second Ctrl-C must not cut it short."""
        handlers = {s: signal.signal(s, signal.SIG_IGN) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
        try:
            if self.watch:
                self.watch.stopped = True
            if self.poller:
                self.poller.stopped.set()
            for op in self.sc.operators:
                if op.alive():
                    op.kill()
            for s in (self.proxy, self.jars, self.hostile):
                if s:
                    s.close()
            try:
                self.cluster.stop()
            except Exception as e:  # keep going: the folder is kept and reported
                chaos.log(f"  stopping the Flink cluster: {e}")
        finally:
            for s, h in handlers.items():
                signal.signal(s, h)

    # -- ScheduledJobs
    def create_sjs(self):
        ns, api = self.sc.ns, self.suite.api
        self.sc.sjs = {}
        for name, offset, period, policy, job_args in SJ_SPECS:
            spec = {"schedule": f"{offset}/{period} * * * * *", "concurrencyPolicy": policy,
                    "startingDeadlineSeconds": self.args.flink_deadline,
                    "successfulRunsHistoryLimit": HISTORY_LIMIT, "failedRunsHistoryLimit": HISTORY_LIMIT,
                    "flinkJob": {"jobManagerURL": self.proxy.url, "jarURL": self.jars.url, "entryClass": ENTRY_CLASS,
                                 "args": job_args + ["--name", f"{ns}-{name}"], "parallelism": 1}}
            created = api.must("POST", chaos.sjs_path(ns), chaos.sj_body(ns, name, spec))
            self.sc.sjs[name] = {"policy": policy, "period": period, "offset": offset, "mode": job_args[1]}
            if policy == "Forbid":
                # The partition follows a Forbid submission (FlinkTarget.jarPrefix names its JAR):
                # if sked loses that run, Forbid no longer sees it running.
                self.proxy.partition_targets += (f"sked-{fnv1a_hex(created['metadata']['uid'], 8)}-",)

    # -- faults
    def proxy_phase(self, i):
        a = self.args
        name = f"proxy-{i + 1}"
        t = time.time()
        chaos.log(f"  fault: {name}: {a.flink_error_share:.0%} of requests 502/503 unforwarded, {a.flink_ambiguous_share:.0%} "
                  f"forwarded then 503 (the first {a.flink_ambiguous_runs} runs always; after the first, everything "
                  f"503 for {a.flink_partition:g}s) for {a.flink_phase:g}s")
        self.proxy.start_phase(name, a.flink_error_share, a.flink_ambiguous_share, a.flink_ambiguous_runs, a.flink_partition)
        try:
            self.sc.sleep(a.flink_phase)
            # On a busy machine submissions are fewer: the phase lasts until its forced
            # forwarded-then-503 submissions have happened (at most twice as long).
            while self.proxy.force_ambiguous_runs > 0 and time.time() < t + 2 * a.flink_phase:
                self.sc.sleep(0.2)
        finally:
            self.proxy.end_phase()
        counts = {k[1]: n for k, n in self.proxy.counts.items() if k[0] == name}
        partition = next((p for p in self.proxy.partitions if p["phase"] == name), None)
        self.proxy_phases.append({"t": t, "t_end": time.time(), "name": name, "counts": counts, "partition": partition})
        self.sc.faults.append({"t": t, "t_end": time.time(), "kind": "proxy 5xx", "detail": json.dumps(counts, sort_keys=True)})
        chaos.log(f"         {name}: {counts}")

    def jm_kill(self, i):
        self.poller.poll()  # the last look at this incarnation's jobs
        chaos.log(f"  fault: SIGKILL JobManager pid {self.cluster.pid('standalonesession')} (incarnation {self.cluster.incarnation}); "
                  "restarting the cluster in the same folder")
        # Until the restarted cluster is ready (a TaskManager with free slots), the proxy answers
        # 502 as a reverse proxy in front of a dead JobManager would: sked's backlog of submissions
        # would otherwise take every slot as they free up, and flink-cluster.sh start waits for one.
        self.proxy.down = True
        try:
            pid, t, old, new = self.cluster.crash_and_restart()
        finally:
            self.proxy.down = False
        t_end = time.time()
        self.jm_outages.append({"t": t, "t_end": t_end, "pid": pid, "incarnation": old,
                                "rest_answered": self.poller.first_ok.get(new)})
        # sked looks again with a backoff of a fifth of the outage (2 s to 1 min): every
        # ScheduledJob must be Ready again well within a minute.
        stuck = self.settle(60)
        recovered = time.time() - t_end
        self.jm_outages[-1].update({"ready_after_s": None if stuck else round(recovered, 1), "not_ready": stuck})
        self.sc.faults.append({"t": t, "t_end": t_end, "kind": "SIGKILL JobManager", "outage_s": round(t_end - t, 2),
                               "detail": f"pid {pid}; cluster ready after {t_end - t:.1f}s, every ScheduledJob Ready "
                                         + (f"{recovered:.1f}s later" if not stuck else f"NOT within 60s: {stuck}")})
        chaos.log(f"         cluster ready {t_end - t:.1f}s after the kill (incarnation {new}); every ScheduledJob Ready "
                  + (f"{recovered:.1f}s later" if not stuck else f"NOT within 60s: {stuck}"))

    def sked_kill(self, i):
        self.proxy.arm_hold()
        try:
            if not self.proxy.held.wait(30):
                self.sked_kills.append({"t": time.time(), "t_end": None, "held": None})
                chaos.log("  !! no submission came through the proxy within 30s: operator not killed")
                return
            op = self.sc.running()[-1]
            op.kill()
            held = dict(self.proxy.held_info)
        finally:
            self.proxy.disarm_hold()
        chaos.log(f"  fault: SIGKILL operator pid {op.pid} while Flink's answer to {held['path']} (job {held['jobId']}, "
                  f"HTTP {held['status']}) was in flight")
        new = self.sc.start_operator(self.sc.operator_args)
        self.sc.wait_for("the restarted operator to be ready", new.is_ready, 60)
        self.sked_kills.append({"t": op.ended_at, "t_end": time.time(), "held": held, "pid": op.pid})
        self.sc.faults.append({"t": op.ended_at, "t_end": time.time(), "kind": "SIGKILL operator (submission in flight)",
                               "detail": f"pid {op.pid}; job {held['jobId']}"})

    def run_faults(self):
        a = self.args
        self.sc.sleep(a.flink_healthy)
        n = collections.Counter()
        for kind in fault_plan(a):
            {"proxy": self.proxy_phase, "jm": self.jm_kill, "sked": self.sked_kill}[kind](n[kind])
            n[kind] += 1
            self.sc.sleep(a.flink_healthy)

    def settle(self, timeout):
        """Waits until every ScheduledJob is Ready; None, or {name: reason} of those that are not."""
        end = time.time() + timeout
        while time.time() < end:
            st = {sj["metadata"]["name"]: sj for sj in self.suite.api.must("GET", chaos.sjs_path(self.sc.ns))["items"]}
            ready = {n: _ready(sj) for n, sj in st.items()}
            if all(c is not None and c.get("status") == "True" for c in ready.values()):
                return None
            self.sc.sleep(0.5)
        return {n: (c or {}).get("reason") for n, c in ready.items() if (c or {}).get("status") != "True"}

    # -- the whole scenario
    def run(self):
        t_begin = time.time()
        sc, args, api = self.sc, self.args, self.suite.api
        self_test()
        chaos.log(f"== scenario {self.key}: {self.title}")
        api.must("POST", "/api/v1/namespaces", {"metadata": {"name": sc.ns}}, ok=(201,))
        try:
            self.setup()
            self.watch = StatusWatch(api, sc.ns)
            self.watch.start()
            chaos.start_one_operator(sc, self.hostile.operator_args())
            self.create_sjs()
            t_created = time.time()
            chaos.log(f"  {len(sc.sjs)} Flink ScheduledJobs created (proxy {self.proxy.url} -> {self.cluster.url}); injecting faults")
            self.hostile.run()  # while the healthy ones run, before the faults (analyse checks them then too)
            self.run_faults()
            t_fault_end = time.time()
            not_ready = self.settle(args.converge)
            t_stop = time.time()
            exits = [o.terminate() for o in sc.running()]
            self.hostile.corpus.check_secrets_unseen()
            self.poller.poll()
            self.watch.stopped = True
            # Runs still active at the stop finish by themselves (batch jobs): wait for Flink to say so.
            deadline = time.time() + 20
            while time.time() < deadline and any(r["state"] not in TERMINAL and r["incarnation"] == self.cluster.incarnation
                                                 for r in self.poller.snapshot()):
                time.sleep(0.5)
                self.poller.poll()
            sjs_final = api.must("GET", chaos.sjs_path(sc.ns))["items"]
            try:
                events = api.must("GET", f"/api/v1/namespaces/{sc.ns}/events")["items"]
            except chaos.Abort:
                events = []
            jobs = self.poller.snapshot()
            ready = {n: self.watch.timeline(n) for n in sc.sjs}
            with open(os.path.join(self.suite.work, f"{self.key}-state.json"), "w") as f:
                json.dump({"flink_jobs": jobs, "scheduledJobs": sjs_final, "events": events, "ready": ready,
                           "jm_outages": self.jm_outages, "proxy_phases": self.proxy_phases, "sked_kills": self.sked_kills,
                           "ambiguous": self.proxy.ambiguous, "t_stop": t_stop, "faults": sc.faults,
                           "proxy_requests": list(self.proxy.requests)}, f, indent=1, default=str)
            violations, notes, per_sj, totals = analyse(self, sjs_final, jobs, ready, events, t_stop)
            violations += sc.findings  # the hostile JAR URLs' (kind badinput)
            if not_ready:
                violations.append(_v("ready", None, f"not every ScheduledJob was Ready {args.converge:g}s after the last fault: {not_ready}"))
            for rc in exits:
                if rc != 0:
                    violations.append(_v("operator", None, f"SIGTERM exit status {rc}, not 0"))
            for u in sc.unexpected_exits:
                violations.append(_v("operator", None, f"operator pid {u['pid']} exited by itself with {u['exit']} at {u['at']}: "
                                                       f"{u['log_tail']}"))
        finally:
            self.teardown()
        tolerated = [x for x in violations if x["kind"] in args.tolerate]
        violations = [x for x in violations if x["kind"] not in args.tolerate]
        warn = collections.Counter(o.get("msg", "")[:80] for op in sc.operators for o in op.lines()
                                   if o.get("level") in ("warning", "error", "critical", "raw"))
        result = {
            "scenario": self.key, "title": self.title, "namespace": sc.ns, "seed": args.seed,
            "duration_s": round(time.time() - t_begin, 1), "fault_period_s": round(t_fault_end - t_created, 1),
            "faults": [{**f, "t": chaos.hms(f["t"]), "t_end": chaos.hms(f.get("t_end"))} for f in sc.faults],
            "fault_count": len(sc.faults), "jm_outage_s": [round(o["t_end"] - o["t"], 1) for o in self.jm_outages],
            "proxy": {f"{p}/{w}": n for (p, w), n in sorted(self.proxy.counts.items())},
            "ambiguous": [{**x, "t": chaos.hms(x["t"])} for x in self.proxy.ambiguous],
            "partitions": [{**x, "t": chaos.hms(x["t"]), "t_end": chaos.hms(x["t_end"])} for x in self.proxy.partitions],
            "sked_kills": [{**k, "t": chaos.hms(k["t"]), "t_end": chaos.hms(k.get("t_end"))} for k in self.sked_kills],
            "operators_started": len(sc.operators), "operator_unexpected_exits": sc.unexpected_exits,
            "scheduledJobs": len(sc.sjs), "ticks": totals["ticks"], "jobs": totals["jobs"], "missedRuns": totals["missed"],
            "flink_jobs_by_state": dict(collections.Counter(r["state"] for r in jobs)),
            "jobmanager_incarnations": self.cluster.started, "poller": dict(self.poller.polls),
            "operator_warnings": dict(warn.most_common(8)), "violations": violations, "tolerated": tolerated, "notes": notes,
            "per_scheduledjob": per_sj, "operator_logs": [o.log_path for o in sc.operators], "flink_dir": self.cluster.dir,
            "details": sc.details, "detail_lines": sc.lines,
        }
        print_report(result)
        return result


def _ready(sj):
    return next((c for c in (sj.get("status") or {}).get("conditions") or [] if c.get("type") == "Ready"), None)


def _v(kind, sj, msg):
    return {"kind": kind, "scheduledJob": sj, "message": msg}


# --------------------------------------------------------------------------- checks
def analyse(fr, sjs_final, jobs, ready, events, t_stop):
    """The invariants, on Flink's record (every job of every JobManager incarnation) and the
    ScheduledJobs' final status. Returns (violations, notes, per-ScheduledJob stats, totals)."""
    sc, args = fr.sc, fr.args
    D = args.flink_deadline
    violations, notes = [], []
    v = lambda kind, sj, msg: violations.append(_v(kind, sj, msg))  # noqa: E731
    deaths = fr.cluster.deaths
    killed_at = {o["incarnation"]: o["t"] for o in fr.jm_outages}
    current = fr.cluster.incarnation

    # Faults that did not happen fail the scenario: the checks below would prove nothing.
    for p in fr.proxy_phases:
        c = p["counts"]
        injected = sum(n for k, n in c.items() if k.startswith(("502", "503")))
        amb_runs = c.get("ambiguous-run", 0)
        if injected == 0 or amb_runs < args.flink_ambiguous_runs:
            v("fault", None, f"{p['name']} injected {injected} unforwarded 5xx and {amb_runs} forwarded-then-503 submissions "
              f"(want >= 1 and >= {args.flink_ambiguous_runs}): {c}")
        if args.flink_partition > 0 and (p["partition"] is None or c.get("503-partition", 0) == 0):
            v("fault", None, f"{p['name']}: no partition after a forwarded-then-503 submission: {p['partition']}, {c}")
    if len(fr.jm_outages) != args.flink_jm_kills:
        v("fault", None, f"{len(fr.jm_outages)} JobManager kills, {args.flink_jm_kills} planned")
    for k in fr.sked_kills:
        if k.get("held") is None:
            v("fault", None, "an operator kill found no submission in flight to interrupt")
        elif k["held"]["status"] != 200:
            notes.append(f"the submission in flight when the operator was killed was answered {k['held']['status']} by Flink")

    # When something was failing: JobManager outages (kill to ready), proxy phases, operator kills
    # (kill to the replacement's ready); after each, sked's backoff (outage / 5, at least 2 s) and a
    # few seconds more before it must have caught up.
    faulty = [(o["t"], o["t_end"]) for o in fr.jm_outages] + [(p["t"], p["t_end"]) for p in fr.proxy_phases]
    faulty += [(k["t"], k.get("t_end") or k["t"]) for k in fr.sked_kills]
    faulty = [(a - 1, b + max(2.0, (b - a) / 5) + 3) for a, b in faulty]
    first_ready = min((t for op in sc.operators for t in op.ready_times() if t), default=t_stop)

    def clean(a, b):
        return a >= first_ready + 1 and b <= t_stop and not any(x < b and a < y for x, y in faulty)

    by_name = collections.defaultdict(list)
    for r in jobs:
        by_name[r["name"]].append(r)
    known_names = {f"{sc.ns}-{n}" for n in sc.sjs}
    for name, rs in by_name.items():
        if name not in known_names:
            v("unknown-job", None, f"Flink ran job(s) named {name!r} that no ScheduledJob of this scenario asked for: "
              + ", ".join(r["jid"] for r in rs))

    per_sj, totals = {}, collections.Counter()
    recorded_ids = set()
    missed_events = collections.defaultdict(list)
    for e in events:
        if e.get("reason") == "MissedSchedule":
            missed_events[(e.get("involvedObject") or {}).get("name")].append(e.get("message", ""))
    for sj in sjs_final:
        name, uid = sj["metadata"]["name"], sj["metadata"]["uid"]
        spec = sc.sjs[name]
        period, offset, policy = spec["period"], spec["offset"], spec["policy"]
        st = sj.get("status") or {}
        created = int(chaos.parse_time(sj["metadata"]["creationTimestamp"]))
        last = chaos.parse_time(st.get("lastScheduleTime"))
        missed = st.get("missedRuns") or 0
        ticks = [t for t in range(created + 1, int(last) + 1) if t % period == offset] if last else []
        all_ticks = [t for t in range(created + 1, int(t_stop) + 60) if t % period == offset]
        id_tick = {flink_job_id(uid, run_name(name, t)): t for t in all_ticks}
        mine = by_name.get(f"{sc.ns}-{name}", [])

        # Every Flink job is the derived id of one tick of this ScheduledJob; no tick has two.
        per_tick = collections.defaultdict(list)
        for r in mine:
            t = id_tick.get(r["jid"])
            if t is None:
                v("unknown-job", name, f"Flink job {r['jid']} (incarnation {r['incarnation']}, {r['state']}) is not "
                  f"FlinkJobID.derive(uid, run name) of any tick of {name}")
                continue
            r["tick"] = t
            per_tick[t].append(r)
        for t, rs in sorted(per_tick.items()):
            if len(rs) < 2:
                continue
            desc = "; ".join(f"{r['jid']} in JobManager incarnation {r['incarnation']} ({' -> '.join(r['states'])}, "
                             f"submitted {chaos.hms(r['start'])})" for r in rs)
            completed_before = [r for r in rs[:-1] if r["state"] in TERMINAL]
            if completed_before:
                v("duplicate", name, f"tick {chaos.hms(t)} ({run_name(name, t)}) ran {len(rs)} times: {desc}")
            else:
                # The same id again on a restarted JobManager: the first execution died with its
                # JobManager before ending, and sked had not recorded it (no HA: Flink forgot it).
                notes.append(f"{name}: tick {chaos.hms(t)} re-submitted to a restarted JobManager after its first "
                             f"execution died with the old one: {desc}")

        # What the status says, checked against Flink.
        entries = [(h, h.get("result")) for h in st.get("history") or []] + [(a, "active") for a in st.get("active") or []]
        status_ticks = {}
        recorded_ids |= {x.get("flinkJobID") for x, _ in entries}
        for x, res in entries:
            t = int(chaos.parse_time(x["scheduledTime"]))
            status_ticks[t] = (x, res)
            if x.get("flinkJobID") and x["flinkJobID"] != flink_job_id(uid, x["name"]):
                v("derivation", name, f"status names Flink job {x['flinkJobID']} for {x['name']}, but "
                  f"FlinkJobID.derive(uid {uid}, {x['name']}) = {flink_job_id(uid, x['name'])} (this script's derivation)")
            started, done = chaos.parse_time(x.get("startTime")), chaos.parse_time(x.get("completionTime"))
            if started and done and done < started:
                v("status", name, f"status.history has {x['name']} completed at {x.get('completionTime')}, before its startTime "
                  f"{x.get('startTime')}" + (f" (Flink started it at {chaos.hms(per_tick[t][-1]['start'])})"
                                            if per_tick.get(t) and per_tick[t][-1]["start"] else ""))
            if x["name"] != run_name(name, t):
                v("status", name, f"run {x['name']} for tick {chaos.hms(t)} is not named {run_name(name, t)}")
            seen = per_tick.get(t, [])
            if res == "active":
                live = [r for r in seen if r["incarnation"] == current]
                if not live:
                    v("status", name, f"status.active has {x['name']} ({x.get('flinkJobID')}) but the JobManager does not know it")
                elif live[-1]["state"] in TERMINAL and live[-1]["end"] and live[-1]["end"] < t_stop - 10 - POLL_SLACK:
                    v("status", name, f"status.active has {x['name']} but Flink reports it {live[-1]['state']} since "
                      f"{chaos.hms(live[-1]['end'])}, {t_stop - live[-1]['end']:.0f}s before the operator stopped")
                continue
            if not seen:
                if res != "Failed" or not x.get("message"):
                    v("status", name, f"status.history has {x['name']} {res} but no JobManager ever reported its job {x.get('flinkJobID')}")
                continue
            r = seen[-1]
            forgotten = res == "Failed" and "no longer knows" in (x.get("message") or "")
            if r["state"] in TERMINAL and forgotten and r["end"] and r["incarnation"] in killed_at \
                    and r["end"] >= killed_at[r["incarnation"]] - 10 - POLL_SLACK:
                # It ended shortly before its JobManager was killed, before sked's next poll
                # (every 2 s for fresh runs, else 10 s) saw it: the restarted one cannot say.
                notes.append(f"{name}: {x['name']} ended {r['state']} {killed_at[r['incarnation']] - r['end']:.1f}s before its "
                             f"JobManager was killed; recorded Failed (the restarted JobManager no longer knew it)")
            elif r["state"] in TERMINAL:
                want = TERMINAL[r["state"]]
                if res != want:
                    v("status", name, f"status.history has {x['name']} {res}, Flink reports {r['state']} (incarnation {r['incarnation']})")
                if want == "Failed" and "intentional failure" not in (x.get("message") or ""):
                    v("status", name, f"failed run {x['name']} carries no cause from Flink: {x.get('message')!r}")
            elif r["incarnation"] in deaths:
                if not forgotten:
                    v("status", name, f"{x['name']}'s job died with JobManager incarnation {r['incarnation']} ({r['state']}) but "
                      f"status.history has it {res}: {x.get('message')!r}")
            else:
                v("status", name, f"status.history has {x['name']} {res} while Flink reports {r['state']}")
        # A job that never ended and died with its JobManager before sked learned of it (its
        # answer lost with the JobManager) did not run as far as anyone can tell: noted, and the
        # tick may be counted missed. Every other job is a run.
        lost_with_jm = {t for t, rs in per_tick.items() if t not in status_ticks
                        and all(r["state"] not in TERMINAL and r["incarnation"] in deaths for r in rs)}
        for t in sorted(lost_with_jm):
            r = per_tick[t][-1]
            notes.append(f"{name}: {run_name(name, t)} (job {r['jid']}, {' -> '.join(r['states'])}) died with JobManager "
                         f"incarnation {r['incarnation']} before sked learned of it; not recorded")
        for t, rs in sorted(per_tick.items()):
            if t not in status_ticks and t not in lost_with_jm:
                r = rs[-1]
                counted = [m for m in missed_events.get(name, []) if counts_missed(m, t)]
                v("orphan", name, f"Flink ran {run_name(name, t)} (job {r['jid']}, incarnation {r['incarnation']}, "
                  f"{' -> '.join(r['states'])}, submitted {chaos.hms(r['start'])}) but the ScheduledJob's status does not "
                  f"record it" + (f"; counted missed: {counted[0]}" if counted else "")
                  + ("" if last is None or t <= last else f"; its tick is after status.lastScheduleTime {st.get('lastScheduleTime')}"))
            for r in rs:
                if r["start"] is not None and r["start"] - t > D + 5:
                    v("deadline", name, f"{run_name(name, t)} submitted {r['start'] - t:.1f}s after its tick "
                      f"(startingDeadlineSeconds {D}): job {r['jid']}")

        # Accounting: every tick in (creation, lastScheduleTime] ran or is counted missed, once.
        ran = ((set(per_tick) - lost_with_jm) | set(status_ticks)) & set(ticks)
        lost = len(ticks) - len(ran) - missed
        if lost > 0:
            v("accounting", name, f"{lost} tick(s) neither ran nor counted: {len(ticks)} ticks, {len(ran)} ran, missedRuns {missed}; "
              f"ticks without a run: {[chaos.hms(t) for t in sorted(set(ticks) - ran)][:20]}")
        elif lost < 0:
            v("accounting", name, f"{-lost} tick(s) counted twice: {len(ticks)} ticks, {len(ran)} ran, missedRuns {missed}")

        # Forbid: no two of its Flink jobs ever ran at once (JobManager times; a job of a killed
        # JobManager ends when its TaskManager was stopped).
        intervals = []
        for r in mine:
            if r["start"] is None:
                continue
            end = r["end"] or deaths.get(r["incarnation"]) or float("inf")
            intervals.append((r["start"], end, r))
        if policy == "Forbid":
            intervals.sort(key=lambda x: x[0])
            for (a0, a1, ra), (b0, b1, rb) in zip(intervals, intervals[1:]):
                if b0 < a1:
                    v("forbid", name, f"{rb['jid']} (tick {chaos.hms(rb.get('tick'))}) started {chaos.hms(b0)} while "
                      f"{ra['jid']} (tick {chaos.hms(ra.get('tick'))}) ran until {chaos.hms(a1)}")

        # Liveness: a tick with nothing failing from 1 s before it to START_WITHIN after it has
        # its job (Forbid: or a run of its own was active then). Missed ticks are fine elsewhere.
        stalled = []
        for t in ticks:
            if t in ran or not clean(t - 1, t + START_WITHIN):
                continue
            # (Flink's start-time comes up to a few seconds after sked submitted on a busy machine.)
            if policy == "Forbid" and any(a - 5 <= t and b >= t - POLL_SLACK for a, b, _ in intervals):
                continue
            stalled.append(t)
        if stalled:
            v("liveness", name, f"{len(stalled)} tick(s) without a Flink job although nothing failed from 1s before to "
              f"{START_WITHIN:g}s after them: {[chaos.hms(t) for t in stalled][:10]}")

        # Ready: False with FlinkUnreachable during each JobManager outage it had a tick in, and
        # True again after each one (before the next fault) and at the end.
        seq = ready.get(name, [])
        for o in fr.jm_outages:
            had_tick = any(o["t"] < t < o["t_end"] - 1 for t in all_ticks)
            down = [e for e in seq if o["t"] <= e[0] <= o["t_end"] + 5 and e[1] == "False" and e[2] == "FlinkUnreachable"]
            if had_tick and not down:
                v("ready", name, f"Ready never said FlinkUnreachable while the JobManager was down "
                  f"({chaos.hms(o['t'])} to {chaos.hms(o['t_end'])}): {[(chaos.hms(e[0]),) + e[1:3] for e in seq if e[0] >= o['t'] - 5][:6]}")
            until = min([f["t"] for f in sc.faults if f["t"] > o["t_end"]] + [t_stop])
            before = [e for e in seq if e[0] <= o["t_end"]]
            if before and before[-1][1] == "False" and not any(o["t_end"] <= e[0] <= until and e[1] == "True" for e in seq):
                v("ready", name, f"Ready did not return to True after the JobManager came back at {chaos.hms(o['t_end'])} "
                  f"(before the next fault at {chaos.hms(until)}): {[(chaos.hms(e[0]),) + e[1:3] for e in seq if e[0] >= o['t']][:6]}")
        for o in fr.jm_outages:
            if o.get("not_ready") and name in o["not_ready"]:
                v("ready", name, f"not Ready 60s after the JobManager came back at {chaos.hms(o['t_end'])}: {o['not_ready'][name]}")
        unreachable = sum(1 for e in seq if e[2] == "FlinkUnreachable")
        per_sj[name] = {"policy": policy, "schedule": f"{offset}/{period} * * * * *", "ticks": len(ticks),
                        "flink_jobs": len(mine), "ran": len(ran), "missedRuns": missed, "unreachable_transitions": unreachable,
                        "max_status_active": fr.watch.max_active[name],
                        "results": dict(collections.Counter(res for _, res in entries))}
        totals["ticks"] += len(ticks)
        totals["jobs"] += len(mine)
        totals["missed"] += missed
        totals["unreachable"] += unreachable
    for k in fr.sked_kills:
        held = (k.get("held") or {}).get("jobId")
        if held:
            k["adopted"] = held in recorded_ids
            if not k["adopted"]:
                v("orphan", None, f"the submission in flight when the operator was killed at {chaos.hms(k['t'])} (Flink job {held}) "
                  "is recorded by no ScheduledJob's status")
    for p in fr.proxy_phases:
        hit = [n for n, seq in ready.items() if any(p["t"] <= e[0] <= p["t_end"] + 1 and e[2] == "FlinkUnreachable" for e in seq)]
        p["unreachable_sjs"] = hit
        if not hit:
            notes.append(f"{p['name']}: no ScheduledJob went FlinkUnreachable (sked retried past every injected error)")
    return violations, notes, per_sj, totals


def counts_missed(message, t):
    """Whether a MissedSchedule Event's message counted tick `t` as missed (best effort: Events
    are aggregated)."""
    m = re.match(r"Missed run scheduled at (\S+?Z):", message)
    if m:
        return int(chaos.parse_time(m.group(1))) == t
    m = re.match(r"Skipped \d+ earlier run\(s\) after (\S+?); starting only the most recent one, scheduled at (\S+)", message)
    return bool(m) and chaos.parse_time(m.group(1)) < t < chaos.parse_time(m.group(2))


def print_report(r):
    ok = not r["violations"]
    kinds = collections.Counter(f["kind"] for f in r["faults"])
    out = [f"-- {r['scenario']}: {r['title']} -- {'PASS' if ok else 'FAIL'} ({r['duration_s']}s)",
           f"   faults      {r['fault_count']} in {r['fault_period_s']}s: " + ", ".join(f"{n} x {k}" for k, n in kinds.items()),
           f"   jobmanager  {r['jobmanager_incarnations']} incarnations; down {r['jm_outage_s']} s",
           "   proxy       " + ", ".join(f"{k} {n}" for k, n in r["proxy"].items()),
           f"   ambiguous   {len(r['ambiguous'])} requests forwarded, answered 503: "
           + ", ".join(f"{x['method']} {x['path'].split('?')[0][-40:]} (Flink {x['flink_status']})" for x in r["ambiguous"][:6]),
           "   partitions  " + "; ".join(f"{x['phase']} {x['t']}-{x['t_end']} after job {x['jobId']}" for x in r["partitions"]),
           f"   sked kills  " + "; ".join(f"{k['t']}: job {(k.get('held') or {}).get('jobId')}, adopted after the restart: {k.get('adopted')}"
                                     for k in r["sked_kills"]),
           f"   runs        {r['scheduledJobs']} ScheduledJobs, {r['ticks']} ticks, {r['jobs']} Flink jobs "
           f"{r['flink_jobs_by_state']}, missedRuns {r['missedRuns']}",
           f"   operators   {r['operators_started']} started, {len(r['operator_unexpected_exits'])} exited by themselves"]
    for n, s in r["per_scheduledjob"].items():
        out.append(f"     {n:<11} {s['policy']:<6} ticks {s['ticks']:>3}, jobs {s['flink_jobs']:>3}, missed {s['missedRuns']:>2}, "
                   f"FlinkUnreachable {s['unreachable_transitions']}x, results {s['results']}")
    if r["operator_warnings"]:
        out.append("   op warnings " + "; ".join(f"{n} x {m}" for m, n in r["operator_warnings"].items()))
    out.extend("   " + line for line in r["detail_lines"])
    for label, items in (("notes", r["notes"]), ("tolerated", [f"[{x['kind']}] {x['scheduledJob'] or ''}: {x['message']}" for x in r["tolerated"]])):
        if items:
            out.append(f"   {label:<11} {len(items)}:")
            out.extend(f"     {n}" for n in items[:8])
    out.append(f"   violations  {len(r['violations'])}")
    out.extend(f"     [{x['kind']}] {x['scheduledJob'] or ''}: {x['message']}" for x in r["violations"][:40])
    print("\n".join(out), flush=True)


def scenario_flink(suite, key, title, rng):
    fill_defaults(suite.args)
    return FlinkRun(suite, key, title, rng).run()


scenario_flink.runs_itself = True  # Suite.run_scenario hands over: its own workload, faults and checks
