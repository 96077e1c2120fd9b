#!/usr/bin/env python3
"""sked fault-injection suite (issue #7, "Fault-injection suite").

Starts its own local control plane (scripts/control-plane.sh: etcd + kube-apiserver v1.20.2 +
kube-controller-manager for garbage collection), installs the CRD and RBAC, and runs the real
`sked operator` binary (as its service account, config/rbac and config/flink-secrets) through these scenarios:

  kill       SIGKILL the operator at random moments (10+ times), restarting it each time
  leader     two operators with leader election (4s/3s/1s lease); SIGKILL the current leader
             (found from the Lease's holderIdentity) repeatedly, start a replacement each time
  apiserver  restart kube-apiserver; SIGSTOP it for 20 s, then SIGCONT; restart etcd (same data,
             same ports); one operator, without leader election unless --apiserver-leader-elect
  expiry     stop kube-apiserver, write to etcd and compact it, start kube-apiserver: the
             operator's watches get 410 Gone and must relist (checked in its log)
  badinput   a corpus of bad ScheduledJobs (fuzzed/classic schedules, zones, targets, Job
             templates the API refuses, 10 KiB tokens, a 253-character name, hostile Flink
             URLs, 1,000 invalid at once) beside the healthy ones: each gets Ready=False + a
             Warning Event

Each scenario runs 24 ScheduledJobs (8 each of Allow, Forbid, Replace; half "* * * * * *",
half "*/2 * * * * *"; startingDeadlineSeconds 10) in its own namespace. There is no kubelet:
a finisher thread marks every Job Complete (status subresource) 1-3 s after it appears, and a
watcher thread records every Job ever created (uid, creation resourceVersion, completion
resourceVersion), so Jobs deleted by Replace or by history trimming are still accounted for.

At the end of a scenario faults stop, the system runs healthy for a few seconds, every
ScheduledJob is suspended, the finisher stops, and the script waits for the status to settle;
then the operators get SIGTERM and the invariants are checked from the API server's state (plus
the watcher's record of Jobs that no longer exist):

  duplicates   no two Jobs (distinct uids, even if one was deleted) for the same
               (ScheduledJob, scheduled time, attempt)
  schedule     every Job is for a tick of the schedule after the ScheduledJob's creation, and
               was created within startingDeadlineSeconds (+1 s: creationTimestamp is whole seconds);
               "deadline-held" (tolerated by default): a late Job that landed as a SIGSTOPped
               kube-apiserver resumed, which held the create
  accounting   every tick in (creation, status.lastScheduleTime] has a Job or is counted in
               status.missedRuns, and none is both: #ticks == #ticks-with-a-Job + missedRuns
               (the formula of OperatorHarness.tickAccounting); no Job after lastScheduleTime
  liveness     inside healthy periods (an operator reconciling for >= --grace-operator s, the API
               reachable for >= --grace-api s) no ScheduledJob goes --stall s without a new Job
               (Forbid: without a new or an active run). Only the most recent missed tick is
               started after an outage (by design), and a reconcile more than a period late
               skips a tick the same way, so single ticks are left to the accounting check.
  no-job       status.history / status.active name no run for a tick that never had a Job
  forbid       a Forbid ScheduledJob never had two active runs: each Job was created (its
               creation resourceVersion) after the previous one was completed (the finisher's
               completion resourceVersion) - etcd revisions are a total order
  status       after settling: status.active == the unfinished Jobs, activeRuns == len(active),
               every finished Job that exists is in status.history and every Succeeded history
               entry's Job exists, Cancelled (replaced) runs' Jobs are gone
  operator     no operator exits on its own (crash), and SIGTERM exits 0
  expiry       (expiry) after each round every watch of the operator relisted after 410 Gone
  badinput     (badinput) every admitted bad object has Ready=False with its reason, a message
               naming the field and a Warning Event; API refusals say why; the valid odd ones work

Prints a per-scenario report, writes a JSON result (--json) and, with --report, a Markdown
summary; exits 1 on any violation, 2 on a setup error. Every process it starts (control plane,
operators) is stopped by PID on exit, error or Ctrl-C.

    python3 scripts/chaos/run.py                 # --quick (the CI form, ~9 min)
    python3 scripts/chaos/run.py --full          # longer fault periods, more kills
    python3 scripts/chaos/run.py --scenarios kill,leader --seed 7 --keep
"""
import argparse
import base64
import collections
import concurrent.futures
import datetime as dt
import heapq
import http.client
import json
import os
import random
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
import traceback
import urllib.error
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
CONTROL_PLANE = os.path.join(REPO, "scripts", "control-plane.sh")
CRD = os.path.join(REPO, "config", "crd", "sked.dev_scheduledjobs.yaml")
RBAC = os.path.join(REPO, "config", "rbac")
# secrets get, for the corpus' headersSecretRef cases (config/rbac alone reads no Secret)
FLINK_SECRETS = os.path.join(REPO, "config", "flink-secrets", "flink_secrets.yaml")
LABEL = "sked.dev/scheduled-job"
LE_NAMESPACE = "sked-system"
T0 = time.time()
LOAD_AT_START = os.getloadavg()
# The bad-input corpus holds a ScheduledJob 600 levels deep; json's pure-Python encoder (used
# with indent=) recurses a few frames per level.
sys.setrecursionlimit(max(sys.getrecursionlimit(), 20000))


sys.path.insert(0, os.path.join(REPO, "scripts", "lib"))
from procutil import free_port, log  # noqa: E402  (shared with the other harness)


def parse_time(s):
    """RFC 3339 (with or without fractional seconds) to epoch seconds."""
    if s is None:
        return None
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00")).timestamp()


def rfc3339(t):
    return dt.datetime.fromtimestamp(int(t), dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def hms(t):
    if t is None:
        return "-"
    return dt.datetime.fromtimestamp(t).strftime("%H:%M:%S.%f")[:-3]


class Abort(Exception):
    """A setup problem or the global time limit: not a finding about sked."""


class Interrupted(BaseException):
    pass


# --------------------------------------------------------------------------- API client
class ApiDown(Exception):
    pass


class Api:
    """A minimal Kubernetes REST client: one keep-alive connection per thread, admin token."""

    def __init__(self, kubeconfig):
        text = open(kubeconfig).read()
        server = re.search(r"server:\s*(\S+)", text).group(1)
        ca = re.search(r"certificate-authority:\s*(\S+)", text).group(1)
        self.token = re.search(r"token:\s*(\S+)", text).group(1)
        u = urllib.parse.urlparse(server)
        self.server, self.host, self.port = server, u.hostname, u.port
        self.ctx = ssl.create_default_context(cafile=ca)
        self.local = threading.local()

    def _conn(self, timeout):
        return http.client.HTTPSConnection(self.host, self.port, context=self.ctx, timeout=timeout)

    def req(self, method, path, body=None, content_type="application/json", timeout=10):
        """(status, decoded body or None). Raises ApiDown when the server cannot be reached."""
        conn = getattr(self.local, "conn", None)
        if conn is None or conn.timeout != timeout:
            if conn is not None:
                conn.close()
            conn = self.local.conn = self._conn(timeout)
        data = json.dumps(body).encode() if body is not None else None
        headers = {"Authorization": "Bearer " + self.token, "Accept": "application/json"}
        if data is not None:
            headers["Content-Type"] = content_type
        try:
            conn.request(method, path, body=data, headers=headers)
            resp = conn.getresponse()
            raw = resp.read()
        except (OSError, http.client.HTTPException) as e:
            conn.close()
            self.local.conn = None
            raise ApiDown(f"{method} {path}: {e!r}") from None
        try:
            obj = json.loads(raw) if raw else None
        except ValueError:
            obj = {"raw": raw[:200].decode(errors="replace")}
        return resp.status, obj

    def must(self, method, path, body=None, content_type="application/json", ok=(200, 201), tries=20):
        """req() that retries an unreachable server and fails on an unexpected status."""
        last = None
        for _ in range(tries):
            try:
                status, obj = self.req(method, path, body, content_type)
            except ApiDown as e:
                last = e
                time.sleep(0.5)
                continue
            if status in ok:
                return obj
            if status in (429, 500, 503, 504):
                last = f"HTTP {status}: {obj}"
                time.sleep(0.5)
                continue
            raise Abort(f"{method} {path}: HTTP {status}: {json.dumps(obj)[:300]}")
        raise Abort(f"{method} {path}: {last}")

    def ready(self, timeout=2):
        try:
            status, _ = self.req("GET", "/readyz", timeout=timeout)
            return status == 200
        except ApiDown:
            return False

    def watch(self, path, rv, timeout_s=20):
        """Yields watch events (dicts); raises ApiDown / returns when the stream ends."""
        sep = "&" if "?" in path else "?"
        url = f"{path}{sep}watch=1&allowWatchBookmarks=true&timeoutSeconds={timeout_s}&resourceVersion={rv}"
        conn = self._conn(timeout_s + 15)
        try:
            conn.request("GET", url, headers={"Authorization": "Bearer " + self.token, "Accept": "application/json"})
            resp = conn.getresponse()
            if resp.status != 200:
                body = resp.read()
                try:
                    obj = json.loads(body)
                except ValueError:
                    obj = {}
                yield {"type": "ERROR", "object": {"code": resp.status, "message": str(obj.get("message", body[:200]))}}
                return
            while True:
                line = resp.readline()
                if not line:
                    return
                line = line.strip()
                if line:
                    yield json.loads(line)
        except (OSError, http.client.HTTPException, ValueError) as e:
            raise ApiDown(f"watch {path}: {e!r}") from None
        finally:
            conn.close()


def jobs_path(ns):
    return f"/apis/batch/v1/namespaces/{ns}/jobs"


def sjs_path(ns):
    return f"/apis/sked.dev/v1alpha1/namespaces/{ns}/scheduledjobs"


def is_complete(job):
    for c in (job.get("status") or {}).get("conditions") or []:
        if c.get("type") in ("Complete", "Failed") and c.get("status") == "True":
            return True
    return False


def owner_uid(job):
    for o in job["metadata"].get("ownerReferences") or []:
        if o.get("controller"):
            return o.get("uid")
    return None


# --------------------------------------------------------------------------- Job recorder
class JobRec:
    __slots__ = ("name", "uid", "sj", "owner", "sched", "attempt", "trigger", "created", "rv_created", "seen_at",
                 "complete_rv", "complete_at", "finish_sent_at", "deleted_at", "gone_in_gap")

    def __init__(self, job, now):
        md = job["metadata"]
        a = md.get("annotations") or {}
        self.name = md["name"]
        self.uid = md["uid"]
        self.sj = (md.get("labels") or {}).get(LABEL)
        self.owner = owner_uid(job)
        st = a.get("sked.dev/scheduled-time")
        self.sched = int(parse_time(st)) if st else None
        self.attempt = int(a.get("sked.dev/attempt", "1"))
        self.trigger = a.get("sked.dev/trigger", "schedule")
        self.created = parse_time(md.get("creationTimestamp"))
        self.rv_created = None if is_complete(job) else int(md["resourceVersion"])
        self.seen_at = now
        self.complete_rv = None
        self.complete_at = None
        self.finish_sent_at = None
        self.deleted_at = None
        self.gone_in_gap = False


class Recorder(threading.Thread):
    """Watches the namespace's sked Jobs and remembers every Job that ever existed."""

    def __init__(self, api, ns, on_new):
        super().__init__(daemon=True, name=f"recorder-{ns}")
        self.api, self.ns, self.on_new = api, ns, on_new
        self.path = jobs_path(ns) + "?labelSelector=" + urllib.parse.quote(LABEL)
        self.lock = threading.Lock()
        self.jobs = {}  # uid -> JobRec
        self.relists = []  # (time, reason)
        self.reconnects = 0
        self.frozen = False
        self.synced = threading.Event()
        self.last_event = time.time()

    def observe(self, job, etype, now=None):
        now = now or time.time()
        md = job.get("metadata") or {}
        uid = md.get("uid")
        if not uid or LABEL not in (md.get("labels") or {}):
            return
        new = None
        with self.lock:
            if self.frozen:
                return
            rec = self.jobs.get(uid)
            if rec is None:
                rec = self.jobs[uid] = JobRec(job, now)
                new = rec
            if is_complete(job):
                rv = int(md["resourceVersion"])
                if rec.complete_rv is None or rv < rec.complete_rv:
                    rec.complete_rv = rv
                if rec.complete_at is None:
                    rec.complete_at = now
            if etype == "DELETED" and rec.deleted_at is None:
                rec.deleted_at = now
        if new is not None and not is_complete(job) and etype != "DELETED":
            self.on_new(new)

    def relist(self, reason):
        items, rv = None, None
        while items is None:
            try:
                status, obj = self.api.req("GET", self.path, timeout=15)
            except ApiDown:
                time.sleep(0.5)
                continue
            if status != 200:
                time.sleep(0.5)
                continue
            items, rv = obj["items"], obj["metadata"]["resourceVersion"]
        now = time.time()
        present = set()
        for j in items:
            present.add(j["metadata"]["uid"])
            self.observe(j, "LIST", now)
        with self.lock:
            if reason != "initial":
                self.relists.append((now, reason))
            for uid, rec in self.jobs.items():
                if uid not in present and rec.deleted_at is None:
                    rec.deleted_at = now
                    rec.gone_in_gap = True
        return rv

    def run(self):
        rv = self.relist("initial")
        self.synced.set()
        while not self.frozen:
            try:
                for ev in self.api.watch(self.path, rv):
                    if self.frozen:
                        return
                    t, obj = ev.get("type"), ev.get("object") or {}
                    if t == "ERROR":
                        if obj.get("code") == 410:
                            # A restarted API server's watch cache starts after our last
                            # revision. Relist (for what changed before it), then watch from
                            # the oldest revision the cache still has ("too old resource
                            # version: OURS (OLDEST)"), so that a Job created and deleted since
                            # then (Replace, trimming) is still seen.
                            m = re.search(r"too old resource version: \d+ \((\d+)\)", str(obj.get("message", "")))
                            listed = self.relist("410 Gone")
                            rv = m.group(1) if m else listed
                        else:
                            time.sleep(0.5)
                        break
                    rv = obj.get("metadata", {}).get("resourceVersion", rv)
                    self.last_event = time.time()
                    if t != "BOOKMARK":
                        self.observe(obj, t)
            except ApiDown:
                self.reconnects += 1
                time.sleep(0.5)

    def freeze(self):
        """A last full list, then no more changes: the record the checks use."""
        self.relist("final")
        with self.lock:
            self.frozen = True
            self.relists = [r for r in self.relists if r[1] != "final"]

    def snapshot(self):
        with self.lock:
            return list(self.jobs.values())


# --------------------------------------------------------------------------- finisher
class Finisher(threading.Thread):
    """Plays the Job controller: marks each Job Complete 1-3 s after it appears."""

    def __init__(self, api, ns, recorder_lock, rng, delay=(1.0, 3.0), workers=4):
        super().__init__(daemon=True, name=f"finisher-{ns}")
        self.api, self.ns, self.lock, self.rng, self.delay = api, ns, recorder_lock, rng, delay
        self.heap = []
        self.cv = threading.Condition()
        self.stopped = False
        self.seq = 0
        self.work = collections.deque()
        self.work_cv = threading.Condition()
        self.finished = 0
        self.gone = 0
        self.errors = 0
        self.workers = [threading.Thread(target=self.worker, daemon=True) for _ in range(workers)]

    def add(self, rec):
        with self.cv:
            self.seq += 1
            heapq.heappush(self.heap, (time.time() + self.rng.uniform(*self.delay), self.seq, rec))
            self.cv.notify()

    def stop(self):
        with self.cv:
            self.stopped = True
            self.cv.notify_all()
        with self.work_cv:
            self.work_cv.notify_all()

    def run(self):
        for w in self.workers:
            w.start()
        while True:
            with self.cv:
                while not self.stopped and (not self.heap or self.heap[0][0] > time.time()):
                    self.cv.wait(timeout=(self.heap[0][0] - time.time()) if self.heap else None)
                if self.stopped:
                    return
                _, _, rec = heapq.heappop(self.heap)
            with self.work_cv:
                self.work.append(rec)
                self.work_cv.notify()

    def retry(self, rec, after=0.5):
        with self.cv:
            self.seq += 1
            heapq.heappush(self.heap, (time.time() + after, self.seq, rec))
            self.cv.notify()

    def worker(self):
        while True:
            with self.work_cv:
                while not self.work and not self.stopped:
                    self.work_cv.wait()
                if self.stopped:
                    return
                rec = self.work.popleft()
            self.finish(rec)

    def finish(self, rec):
        path = f"{jobs_path(self.ns)}/{rec.name}/status"
        with self.lock:
            if rec.complete_rv is not None or rec.deleted_at is not None:
                return
            first = rec.finish_sent_at is None
            if first:
                rec.finish_sent_at = time.time()
        try:
            if not first:
                # An earlier attempt may have gone through without us seeing the answer.
                status, job = self.api.req("GET", f"{jobs_path(self.ns)}/{rec.name}", timeout=5)
                if status == 404:
                    self.gone += 1
                    return
                if status == 200 and job["metadata"]["uid"] == rec.uid and is_complete(job):
                    self.record(rec, job)
                    return
            now = rfc3339(time.time())
            patch = {"status": {
                "conditions": [{"type": "Complete", "status": "True", "lastProbeTime": now, "lastTransitionTime": now}],
                "startTime": rfc3339(rec.created), "completionTime": now, "succeeded": 1}}
            if rec.uid:
                patch["metadata"] = {"uid": rec.uid}  # precondition: never finish a same-named successor
            status, job = self.api.req("PATCH", path, patch, "application/merge-patch+json", timeout=5)
        except ApiDown:
            self.errors += 1
            if not self.stopped:
                self.retry(rec)
            return
        if status == 200:
            self.record(rec, job)
        elif status in (404, 409, 422):
            self.gone += 1  # deleted (Replace, history trimming), or the name now has another uid
        else:
            self.errors += 1
            if not self.stopped:
                self.retry(rec)

    def record(self, rec, job):
        rv = int(job["metadata"]["resourceVersion"])
        with self.lock:
            if rec.complete_rv is None or rv < rec.complete_rv:
                rec.complete_rv = rv
            if rec.complete_at is None:
                rec.complete_at = time.time()
        self.finished += 1


# --------------------------------------------------------------------------- operators
class Operator:
    """One `sked operator` process; output in its own log file; stopped by PID."""

    def __init__(self, suite, scenario, index, extra):
        self.suite, self.scenario, self.index = suite, scenario, index
        self.log_path = os.path.join(suite.work, f"{scenario.key}-operator-{index}.log")
        self.metrics_port, self.health_port = free_port(), free_port()
        # Every scenario's operator (flink_scenario.py's too) starts with these; `extra`, the
        # scenario's own, comes last: sc.operator_args, set in scenario_kill, scenario_leader
        # (LE_FAST), scenario_apiserver and start_one_operator (expiry; badinput adds its corpus
        # namespace; flink adds hostile_corpus.FlinkScenarioCorpus.operator_args()).
        self.argv = [suite.args.sked, "operator", "--kubeconfig", suite.operator_kubeconfig,
                     "--namespace", scenario.ns, "--leader-election-namespace", LE_NAMESPACE,
                     "--leader-election-id", f"chaos-{scenario.key}", "--log-format", "json",
                     "--graceful-shutdown-timeout", "10s",
                     "--metrics-bind-address", f"127.0.0.1:{self.metrics_port}",
                     "--health-probe-bind-address", f"127.0.0.1:{self.health_port}",
                     # The JobManager, its proxy and the hostile servers are on loopback, which
                     # sked's egress policy denies by default (badinput and flink deny parts again).
                     "--allowed-url-cidrs", "127.0.0.0/8"] + extra
        self.proc = None
        self.started_at = None
        self.ended_at = None
        self.killed = None  # the signal we sent, when we meant it to end
        self.unexpected = None

    def start(self):
        self.out = open(self.log_path, "ab")
        self.proc = subprocess.Popen(self.argv, stdout=self.out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                     start_new_session=True)
        self.started_at = time.time()
        self.suite.record_pid(self.proc.pid, f"sked-operator-{self.scenario.key}-{self.index}")
        return self

    @property
    def pid(self):
        return self.proc.pid

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def signal(self, sig):
        if self.alive():
            self.proc.send_signal(sig)

    def kill(self):
        self.killed = signal.SIGKILL
        self.ended_at = time.time()
        self.signal(signal.SIGKILL)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
        self.out.close()

    def terminate(self, grace=20):
        """SIGTERM (drain), SIGKILL after `grace`; returns the exit status."""
        if not self.alive():
            return self.proc.returncode if self.proc else None
        self.killed = signal.SIGTERM
        self.signal(signal.SIGCONT)
        self.signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            rc = self.proc.wait()
        self.ended_at = time.time()
        self.out.close()
        return rc

    def lines(self):
        """The log's lines as dicts (`_t`: epoch seconds of `ts`), read incrementally."""
        if not hasattr(self, "_lines"):
            self._lines, self._offset, self._partial = [], 0, b""
        try:
            with open(self.log_path, "rb") as f:
                f.seek(self._offset)
                data = f.read()
        except FileNotFoundError:
            return self._lines
        self._offset += len(data)
        data = self._partial + data
        *complete, self._partial = data.split(b"\n")
        for raw in complete:
            if not raw.strip():
                continue
            try:
                o = json.loads(raw)
                o["_t"] = parse_time(o.get("ts")) if o.get("ts") else None
            except ValueError:
                o = {"msg": raw.decode(errors="replace").rstrip(), "ts": None, "_t": None, "level": "raw"}
            self._lines.append(o)
        return self._lines

    def identity(self):
        for o in self.lines():
            if o.get("msg") == "campaigning for leadership":
                return o.get("identity")
        return None

    def ready_times(self):
        return [o["_t"] for o in self.lines() if o.get("msg") == "ready"]

    def is_ready(self):
        """Reconciling right now (by its log): its last ready/lost line is a ready."""
        state = False
        for o in self.lines():
            if o.get("msg") == "ready":
                state = True
            elif o.get("msg", "").startswith("lost leadership") or o.get("msg") == "draining: finishing in-flight reconciles":
                state = False
        return state and self.alive()

    def intervals(self):
        """When this process was reconciling: [(ready, end)], from its log and our kill times."""
        end_of_life = self.ended_at or time.time()
        out, start = [], None
        for o in self.lines():
            m, t = o.get("msg", ""), o.get("_t")
            if t is None:
                continue
            if m == "ready" and start is None:
                start = t
            elif start is not None and (m.startswith("lost leadership") or m.startswith("draining")):
                out.append((start, t))
                start = None
        if start is not None:
            out.append((start, end_of_life))
        return out


# --------------------------------------------------------------------------- scenarios
POLICIES = ("Allow", "Forbid", "Replace")


def job_template(container="main", restart_policy="Never"):
    """The jobTemplate every scenario uses (its Jobs never run: there is no kubelet)."""
    return {"spec": {"backoffLimit": 0, "template": {"spec": {
        "restartPolicy": restart_policy,
        "containers": [{"name": container, "image": "busybox:1.36", "command": ["sh", "-c", "true"]}]}}}}


def sj_body(ns, name, spec, annotations=None):
    md = {"name": name, "namespace": ns}
    if annotations:
        md["annotations"] = annotations
    return {"apiVersion": "sked.dev/v1alpha1", "kind": "ScheduledJob", "metadata": md, "spec": spec}


class Scenario:
    def __init__(self, suite, key, title):
        self.suite, self.key, self.title = suite, key, title
        self.ns = f"chaos-{key}"
        self.operators = []  # every Operator ever started, in order
        self.faults = []  # dicts: t, kind, detail, outage (start, end) for API faults
        self.api_outages = []  # (start, end)
        self.pauses = []  # [SIGSTOP time, SIGCONT time] of kube-apiserver
        self.unexpected_exits = []
        self.next_index = 0
        self.notes = []
        # Scenario-specific checks beyond analyse(): callables run once the operators have
        # stopped; they append to `findings` (violations), `details` (JSON) and `lines` (report).
        self.after_checks = []
        self.findings = []
        self.details = {}
        self.lines = []

    def finding(self, kind, obj, message):
        self.findings.append({"kind": kind, "scheduledJob": obj, "message": message})

    # -- processes
    def start_operator(self, extra):
        op = Operator(self.suite, self, self.next_index, extra).start()
        self.next_index += 1
        self.operators.append(op)
        return op

    def running(self):
        return [o for o in self.operators if o.killed is None and o.unexpected is None]

    def check_processes(self):
        """An operator that exited without being told to is a finding; start a replacement."""
        for op in list(self.running()):
            if not op.alive():
                rc = op.proc.returncode
                op.unexpected = rc
                op.ended_at = time.time()
                tail = [o.get("msg", "") + " " + json.dumps({k: v for k, v in o.items() if k not in ("msg", "_t")})[:300]
                        for o in op.lines()[-8:]]
                self.unexpected_exits.append({"operator": op.index, "pid": op.pid, "exit": rc, "at": hms(op.ended_at),
                                              "log_tail": tail})
                log(f"  !! operator {op.index} (pid {op.pid}) exited by itself with {rc}; starting a replacement")
                self.start_operator(self.operator_args)

    def sleep(self, seconds):
        end = time.time() + seconds
        while True:
            self.suite.check_deadline()
            self.check_processes()
            left = end - time.time()
            if left <= 0:
                return
            time.sleep(min(0.1, left))

    def wait_for(self, what, pred, timeout):
        end = time.time() + timeout
        while time.time() < end:
            if pred():
                return True
            self.sleep(0.1)
        raise Abort(f"{self.key}: timed out after {timeout}s waiting for {what}")

    def leader(self):
        """The running operator holding the Lease (by holderIdentity), or None."""
        try:
            status, lease = self.suite.api.req("GET", f"/apis/coordination.k8s.io/v1/namespaces/{LE_NAMESPACE}/leases/chaos-{self.key}")
        except ApiDown:
            return None
        if status != 200:
            return None
        holder = (lease.get("spec") or {}).get("holderIdentity")
        for op in self.running():
            if holder and op.identity() == holder:
                return op
        return None

    # -- ScheduledJobs
    def sj_specs(self):
        n = self.suite.args.sjs
        out = []
        for i in range(n):
            policies = getattr(self, "policies", POLICIES)
            policy = policies[i % 3]
            period = 1 if (i // 3) % 2 == 0 else 2
            # A policy twice in the list (catchup): the slot tells them apart.
            name = f"{policy.lower()}{'' if policies.count(policy) == 1 else i % 3}-{period}s-{i // 3}"
            out.append((name, policy, period))
        return out

    def create_sjs(self):
        api, D = self.suite.api, self.suite.args.deadline
        self.sjs = {}
        for name, policy, period in self.sj_specs():
            body = sj_body(self.ns, name, {"schedule": "* * * * * *" if period == 1 else "*/2 * * * * *",
                                           "concurrencyPolicy": policy, "startingDeadlineSeconds": D,
                                           "successfulRunsHistoryLimit": self.suite.args.history,
                                           "failedRunsHistoryLimit": self.suite.args.history, "jobTemplate": job_template(),
                                           **getattr(self, "spec_extra", {})})
            api.must("POST", sjs_path(self.ns), body)
            self.sjs[name] = {"policy": policy, "period": period}

    def suspend_all(self):
        for name in self.sjs:
            self.suite.api.must("PATCH", f"{sjs_path(self.ns)}/{name}", {"spec": {"suspend": True}}, "application/merge-patch+json")
            self.sjs[name]["suspended_at"] = time.time()

    # -- API outages
    def api_fault(self, kind, action, detail=""):
        """Runs `action` (which breaks and repairs the API), then waits for /readyz."""
        t0 = time.time()
        log(f"  fault: {kind} {detail}")
        action()
        self.wait_for("the API server to be ready", lambda: self.suite.api.ready(), 120)
        t1 = time.time()
        self.api_outages.append((t0, t1))
        self.faults.append({"t": t0, "t_end": t1, "kind": kind, "detail": detail, "outage_s": round(t1 - t0, 2)})
        log(f"         API back after {t1 - t0:.1f}s")


def scenario_kill(sc, args, rng):
    """SIGKILL the only operator (no leader election) at random moments; restart it each time."""
    sc.operator_args = ["--leader-elect=false"]
    op = sc.start_operator(sc.operator_args)
    sc.wait_for("the operator to be ready", op.is_ready, 60)
    yield "ready"
    sc.sleep(args.warmup)
    for i in range(args.kills):
        op = sc.running()[-1]
        up = rng.uniform(*args.kill_uptime)
        sc.sleep(max(0.0, op.started_at + up - time.time()))
        was_ready = op.is_ready()
        op.kill()
        sc.faults.append({"t": op.ended_at, "kind": "SIGKILL operator", "detail": f"pid {op.pid} after {op.ended_at - op.started_at:.1f}s"
                          + ("" if was_ready else " (before it was ready)")})
        log(f"  fault {i + 1}/{args.kills}: SIGKILL operator pid {op.pid} after {op.ended_at - op.started_at:.1f}s"
            + ("" if was_ready else " (still starting)"))
        sc.sleep(rng.uniform(0, 0.5))
        sc.faults[-1]["t_end"] = sc.start_operator(sc.operator_args).started_at
    op = sc.running()[-1]
    sc.wait_for("the last operator to be ready", op.is_ready, 60)


LE_FAST = ["--leader-elect=true", "--leader-election-lease-duration", "4s", "--leader-election-renew-deadline", "3s",
           "--leader-election-retry-period", "1s"]


def scenario_leader(sc, args, rng):
    """Two operators with leader election; SIGKILL whichever holds the Lease, start a replacement."""
    sc.operator_args = LE_FAST
    sc.start_operator(LE_FAST)
    sc.start_operator(LE_FAST)
    sc.wait_for("a leader", lambda: sc.leader() is not None and sc.leader().is_ready(), 60)
    yield "ready"
    sc.sleep(args.warmup)
    for i in range(args.leader_kills):
        sc.wait_for("a leader that reconciles", lambda: sc.leader() is not None and sc.leader().is_ready(), 60)
        sc.sleep(rng.uniform(*args.leader_uptime))
        leader = None
        for _ in range(50):
            leader = sc.leader()
            if leader is not None:
                break
            sc.sleep(0.1)
        if leader is None:
            raise Abort("no leader found in the Lease")
        leader.kill()
        t = leader.ended_at
        log(f"  fault {i + 1}/{args.leader_kills}: SIGKILL leader {leader.identity()} (pid {leader.pid})")
        sc.start_operator(LE_FAST)
        standby = [o for o in sc.running() if o is not leader]
        sc.wait_for("the standby to take over", lambda: any(o.is_ready() and o.leader_since_after(t) for o in standby), 60)
        new = next(o for o in standby if o.is_ready() and o.leader_since_after(t))
        took = new.first_ready_after(t) - t
        sc.faults.append({"t": t, "kind": "SIGKILL leader", "detail": f"{leader.identity()} (pid {leader.pid}); "
                          f"{new.identity()} reconciling {took:.1f}s later", "takeover_s": round(took, 2)})
        log(f"         {new.identity()} took over, reconciling {took:.1f}s after the kill")


def _leader_since_after(self, t):
    return self.first_ready_after(t) is not None


def _first_ready_after(self, t):
    for r in self.ready_times():
        if r is not None and r >= t:
            return r
    return None


Operator.leader_since_after = _leader_since_after
Operator.first_ready_after = _first_ready_after


def scenario_apiserver(sc, args, rng):
    """One operator: restart kube-apiserver, SIGSTOP it for 20 s, restart etcd. Without leader
    election by default: a leader would lose its 3 s lease in every outage and cancel its
    in-flight reconciles, which hides what the reconciler does with the API's errors."""
    sc.operator_args = LE_FAST if args.apiserver_leader_elect else ["--leader-elect=false"]
    op = sc.start_operator(sc.operator_args)
    sc.wait_for("the operator to be ready", op.is_ready, 60)
    yield "ready"
    sc.sleep(args.warmup)
    suite = sc.suite
    for round_ in range(args.api_rounds):
        sc.sleep(args.healthy)
        sc.api_fault("restart kube-apiserver", lambda: suite.control_plane("restart-apiserver"))
        sc.sleep(args.healthy)

        def pause():
            pid = suite.component_pid("kube-apiserver")
            suite.paused = pid
            os.kill(pid, signal.SIGSTOP)
            sc.pauses.append([time.time(), None])
            sc.sleep(args.pause)
            os.kill(pid, signal.SIGCONT)
            sc.pauses[-1][1] = time.time()
            suite.paused = None
        sc.api_fault("SIGSTOP kube-apiserver", pause, f"for {args.pause:g}s, then SIGCONT")
        sc.sleep(args.healthy)
        sc.api_fault("restart etcd", lambda: suite.control_plane("restart-etcd"))
    sc.sleep(args.healthy)
    op = sc.running()[-1]
    sc.wait_for("the operator to reconcile again", op.is_ready, 60)


def start_one_operator(sc, extra=()):
    """One operator without leader election, waited for until it reconciles."""
    sc.operator_args = ["--leader-elect=false", *extra]
    op = sc.start_operator(sc.operator_args)
    sc.wait_for("the operator to be ready", op.is_ready, 60)
    return op


# --------------------------------------------------------------------------- watch expiry
WATCH_EXPIRED = "watch expired, relisting"  # the operator's log line (K8sClient Watcher) on 410 Gone
EXPIRY_WATCHES = {"jobs.batch", "scheduledjobs.sked.dev"}  # the operator's informers (its log's `resource`)


def etcd_request(suite, path, body):
    """One call to etcd's v3 JSON gateway (etcd 3.4: POST /v3/kv/...) at the client URL the
    control plane wrote to DIR/env (SKED_TEST_ETCD)."""
    if getattr(suite, "etcd_url", None) is None:
        with open(os.path.join(suite.cp_dir, "env")) as f:
            m = re.search(r"SKED_TEST_ETCD=(\S+)", f.read())
        if not m:
            raise Abort(f"no SKED_TEST_ETCD in {suite.cp_dir}/env")
        suite.etcd_url = m.group(1)
    req = urllib.request.Request(suite.etcd_url + path, data=json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return json.loads(resp.read() or b"{}")
    except urllib.error.HTTPError as e:
        raise Abort(f"etcd {path}: HTTP {e.code}: {e.read()[:300]!r}") from None
    except (OSError, ValueError) as e:
        raise Abort(f"etcd {path}: {e!r}") from None


def etcd_compact_now(suite):
    """Writes a key outside /registry (so that etcd's revision moves past everything any client
    has seen), compacts etcd at that revision and returns it. `physical` makes the call return
    only once the old revisions are really gone."""
    put = etcd_request(suite, "/v3/kv/put", {"key": base64.b64encode(b"/sked-chaos/expiry").decode(),
                                              "value": base64.b64encode(str(time.time()).encode()).decode()})
    revision = int(put["header"]["revision"])
    etcd_request(suite, "/v3/kv/compaction", {"revision": str(revision), "physical": True})
    return revision


def pid_alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (FileNotFoundError, IndexError):
        return False


def stop_apiserver(suite, grace=1.0):
    """Stops kube-apiserver and waits until it is gone: SIGTERM, SIGKILL after `grace` s (it
    lingers for about 10 s after it stopped listening). Its DIR/pids line stays, so that
    `control-plane.sh restart-apiserver` then only starts a new one, on the same port."""
    pid = suite.component_pid("kube-apiserver")
    for sig, wait in ((signal.SIGCONT, 0), (signal.SIGTERM, grace), (signal.SIGKILL, 10)):
        if not pid_alive(pid):
            return
        os.kill(pid, sig)
        end = time.time() + wait
        while time.time() < end and pid_alive(pid):
            time.sleep(0.05)
    if pid_alive(pid):
        raise Abort(f"kube-apiserver (pid {pid}) survived SIGKILL")


def operator_relists(sc, after, before):
    """The operators' relists after an expired watch (410 Gone), from their logs: (time, resource, error)."""
    return [(o["_t"], o.get("resource", "?"), o.get("error", "")) for op in sc.operators for o in op.lines()
            if o.get("msg") == WATCH_EXPIRED and o.get("_t") is not None and after <= o["_t"] < before]


def scenario_expiry(sc, args, rng):
    """One operator; each round stops kube-apiserver, writes to etcd and compacts it at that
    revision, then starts kube-apiserver again. Compaction alone breaks no open watch
    (kube-apiserver serves watches from its watch cache, which keeps the old events), and a plain
    restart expires a watch only if something was written between the operator's last event and
    the new cache's list. This way every watch the operator resumes from its last resourceVersion
    is older than both the new watch cache and etcd's compaction: 410 Gone ("too old resource
    version"), and the operator must relist while the ScheduledJobs keep firing. A round after
    which some watch of the operator did not relist is a violation (kind expiry): either the fault
    did not happen or the operator kept a stale watch."""
    start_one_operator(sc)
    yield "ready"
    sc.sleep(args.warmup)
    suite = sc.suite
    for _ in range(args.expiry_rounds):
        sc.sleep(args.expiry_healthy)
        compacted = []

        def expire():
            stop_apiserver(suite)
            compacted.append(etcd_compact_now(suite))
            suite.control_plane("restart-apiserver")  # only starts it: the old one is gone
        sc.api_fault("stop kube-apiserver, compact etcd, start kube-apiserver", expire)
        fault = sc.faults[-1]
        fault["compacted_revision"] = compacted[0]
        fault["detail"] = f"compacted at revision {compacted[0]}"
        # Give the operator's watches time to come back and be refused (checked afterwards).
        end = time.time() + 15
        while time.time() < end and not EXPIRY_WATCHES <= {r[1] for r in operator_relists(sc, fault["t"], time.time())}:
            sc.sleep(0.2)
        log(f"         operator relisted: {sorted(r[1] for r in operator_relists(sc, fault['t'], time.time()))}")
    sc.sleep(args.healthy)
    op = sc.running()[-1]
    sc.wait_for("the operator to reconcile again", op.is_ready, 60)
    sc.after_checks.append(lambda: check_expiry(sc))


def check_expiry(sc):
    """In every round each of the operator's watches relisted after 410 Gone (from its log)."""
    rounds = [f for f in sc.faults if "compacted_revision" in f]
    ends = [f["t"] for f in rounds[1:]] + [float("inf")]
    per_round = []
    for f, end in zip(rounds, ends):
        relists = operator_relists(sc, f["t"], end)
        resources = collections.Counter(r[1] for r in relists)
        f["operator_relists"] = dict(resources)
        per_round.append({"revision": f["compacted_revision"], "relists": dict(resources),
                          "errors": sorted({r[2][:80] for r in relists})[:4],
                          "first_relist_after_s": round(min(r[0] for r in relists) - f["t"], 2) if relists else None})
        missing = sorted(EXPIRY_WATCHES - set(resources))
        if missing:
            sc.finding("expiry", None, f"etcd compacted at revision {f['compacted_revision']} with kube-apiserver down "
                       f"({hms(f['t'])}), but the operator's watch of {', '.join(missing)} never logged '{WATCH_EXPIRED}'"
                       f" (relisted: {dict(resources) or 'nothing'})")
    sc.details["expiry"] = {"rounds": per_round, "watcher_relists": len(sc_relists(sc))}
    sc.lines.append(f"expiry      {len(rounds)} rounds; operator relists after 410 per round: "
                    + "; ".join(f"rev {r['revision']}: " + (", ".join(f"{k} x{n}" for k, n in sorted(r["relists"].items())) or "NONE")
                                for r in per_round)
                    + f"; this script's watcher relisted {len(sc_relists(sc))}x")

# --------------------------------------------------------------------------- bad input
# Cron fields as sked parses them (robfig/cron v3 grammar, ScheduleParser.swift): second,
# minute, hour, day of month, month, day of week (0-6: robfig has no 7 for Sunday).
CRON_RANGES = ((0, 59), (0, 59), (0, 23), (1, 31), (1, 12), (0, 6))
# Characters no cron field accepts anywhere in a value. Not among them: * and ? (any value),
# "," "/" "-" (lists, steps, ranges; a lone "," is even an empty, valid list), "+" (Go's Atoi
# takes "+5"), letters (month and weekday names), white space (separates fields).
CRON_GARBAGE = "!#$%&()[]{};:<>=|~^`'\"\\@_.\x00\x1b\u00e9\u2603\uff15\u0663"
CRON_DESCRIPTORS = {"yearly", "annually", "monthly", "weekly", "daily", "midnight", "hourly", "every"}
# Hand-written classics. Not here: "@every 0s" (valid: robfig counts less than a second as one).
CRON_CLASSICS = ["61 * * * * *", "* * * *", "TZ=UTC * * * * *", "", "* * * * * * * *", "60 * * * *", "* 24 * * *",
                 "* * 32 * *", "* * * 13 *", "* * * * 7", "0 0 30 2 * * *", "*/0 * * * *", "@reboot", "@every",
                 "@every 5", "CRON_TZ=Europe/Berlin 0 6 * * ?", "   ", "* * * * MON-FRI-SAT"]


def cron_value(rng, k):
    """A valid value for cron field k."""
    lo, hi = CRON_RANGES[k]
    a, b = sorted((rng.randint(lo, hi), rng.randint(lo, hi)))
    return rng.choice(["*", "?", str(a), f"{a}-{b}", f"*/{rng.randint(1, hi)}", f"{a},{b}", f"{a}-{b}/{rng.randint(1, 9)}"])


def bad_cron_value(rng, k):
    """A value that field k rejects whatever the other fields are: out of range (also as a range
    end, in a list, as a stepped start), reversed range, step 0, too many hyphens or slashes,
    a missing number, a garbage character, a word that is no month or weekday name."""
    lo, hi = CRON_RANGES[k]
    big = hi + rng.choice([1, 2, rng.randint(3, 99), rng.randint(100, 10 ** 6)])
    a, b = sorted(rng.sample(range(lo, hi + 1), 2))
    g = rng.choice(CRON_GARBAGE)
    word = "".join(rng.choice("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") for _ in range(rng.randint(4, 9)))
    forms = [str(big), f"{lo}-{big}", f"{a},{big}", f"{big}/{rng.randint(1, 5)}", f"{b}-{a}", "*/0", f"{a}-{b}/0",
             f"{a}-{b}-{hi}", "*/2/3", f"-{a}", f"{a}{g}", f"{g}{a}", word] + (["0", f"0-{b}"] if lo == 1 else [])
    return rng.choice(forms)


def cron_join(rng, fields):
    return "".join(f + rng.choice([" ", " ", "  ", "\t"]) for f in fields[:-1]) + fields[-1]


def invalid_schedule(rng, long=True):
    """(form, schedule): an expression constructed to be invalid for sked (by its documented
    grammar, never by asking sked): one bad field among 5 or 6, a wrong field count, an unknown
    descriptor or a bad @every duration, a TZ=/CRON_TZ= prefix, white space only, or a very long
    one (2-20 KB) of either kind."""
    form = rng.choice(["field", "field", "field", "count", "descriptor", "prefix", "blank"] + (["long"] if long else []))
    if form == "field":
        kinds = list(range(6))[6 - rng.choice([5, 6]):]
        fields = [cron_value(rng, k) for k in kinds]
        i = rng.randrange(len(kinds))
        fields[i] = bad_cron_value(rng, kinds[i])
        return form, cron_join(rng, fields)
    if form == "count":
        n = rng.choice([1, 2, 3, 4, 7, 8, 9, 12])
        return form, cron_join(rng, [cron_value(rng, i % 6) for i in range(n)])
    if form == "descriptor":
        word = "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(2, 10)))
        if word in CRON_DESCRIPTORS:
            word += "x"
        bad_duration = rng.choice(["", str(rng.randint(1, 10 ** 6)), f"{rng.randint(1, 99)}x", "1h 30m", "s", "1hh", "--1s",
                                   f"{rng.randint(1, 9)}e3s", "P1D", "1.2.3s"])
        return form, rng.choice(["@" + word, "@" + word.upper(), "@every " + bad_duration])
    if form == "prefix":
        zone = rng.choice(["UTC", "Europe/Berlin", "America/New_York", "Asia/Tokyo"])
        return form, rng.choice(["TZ=", "CRON_TZ="]) + zone + " " + cron_join(rng, [cron_value(rng, k) for k in range(1, 6)])
    if form == "blank":
        return form, "".join(rng.choice(" \t\n") for _ in range(rng.randint(1, 8)))
    size = rng.randint(2000, 20000)
    if rng.random() < 0.5:  # a huge, valid-looking list with one bad value in it
        values = [str(rng.randint(0, 59)) for _ in range(size // 3)]
        values.insert(rng.randrange(len(values)), str(60 + rng.randint(0, 999)))
        return form, cron_join(rng, ["0", ",".join(values), "*", "*", "*", "*"])
    return form, "".join(rng.choice(CRON_GARBAGE + "0123456789*") for _ in range(size))


def create_all(api, bodies, workers=16):
    """POSTs ScheduledJobs concurrently (one keep-alive connection per thread); returns, per body,
    (HTTP status, response). Retries what did not reach the API server."""
    def post(body):
        for _ in range(20):
            try:
                status, obj = api.req("POST", sjs_path(body["metadata"]["namespace"]), body, timeout=30)
            except ApiDown:
                time.sleep(0.5)
                continue
            if status not in (429, 500, 503, 504):
                return status, obj
            time.sleep(0.5)
        raise Abort(f"creating ScheduledJob {body['metadata']['name']}: the API server did not answer")
    with concurrent.futures.ThreadPoolExecutor(workers) as pool:
        return list(pool.map(post, bodies))


def condition(sj, type_):
    for c in (sj.get("status") or {}).get("conditions") or []:
        if c.get("type") == type_:
            return c
    return None


class BadInput:
    """The bad-input corpus of one scenario, in its own namespace (the healthy ScheduledJobs
    stay in the scenario's, where analyse() checks them). Each item: kind, name, body, what must
    happen (`expect`: the Ready reason and a word its message must contain), and, once created,
    whether the API server admitted it (uid) or refused it (its message)."""

    def __init__(self, sc, args):
        self.sc, self.api, self.args = sc, sc.suite.api, args
        self.ns = sc.ns + "-corpus"
        self.rng = random.Random(f"badinput-{args.seed}")  # the same corpus for the same seed, whatever ran before
        self.items = []

    def add(self, kind, name, spec, expect, annotations=None):
        item = {"kind": kind, "name": name, "body": sj_body(self.ns, name, spec, annotations), "expect": expect}
        self.items.append(item)
        return item

    def spec(self, **overrides):
        return {"schedule": "* * * * * *", "startingDeadlineSeconds": self.args.deadline, "jobTemplate": job_template(), **overrides}

    def create(self, items, label, workers=16):
        """Creates `items` as one fault; an API refusal with a readable message counts as handled."""
        t0 = time.time()
        for item, (status, obj) in zip(items, create_all(self.api, [i["body"] for i in items], workers)):
            obj = obj or {}
            item["created_at"] = t0
            if status == 201:
                item["uid"] = obj["metadata"]["uid"]
            else:
                item["refused"] = f"HTTP {status} {obj.get('reason', '')}: {obj.get('message', '')}"
                if not (400 <= status < 500 and obj.get("message")):
                    self.sc.finding("badinput", item["name"], f"the API server refused it without a readable message: {item['refused'][:300]}")
        t1 = time.time()
        admitted = sum(1 for i in items if "uid" in i)
        self.sc.faults.append({"t": t0, "t_end": t1, "kind": f"bad input: {label}",
                               "detail": f"{len(items)} objects in {t1 - t0:.1f}s: {admitted} admitted, {len(items) - admitted} refused"})
        log(f"  fault: bad input: {label}: {len(items)} objects in {t1 - t0:.1f}s, {admitted} admitted")
        return t0, t1

    def list(self, what):
        return self.api.must("GET", (sjs_path(self.ns) if what == "sjs" else jobs_path(self.ns) if what == "jobs"
                                     else f"/api/v1/namespaces/{self.ns}/events"))["items"]

    def state(self):
        sjs = {sj["metadata"]["name"]: sj for sj in self.list("sjs")}
        events = collections.defaultdict(list)
        for e in self.list("events"):
            events[(e.get("involvedObject") or {}).get("uid")].append(e)
        return sjs, events

    @staticmethod
    def problems(item, sj, events):
        """What an admitted bad object still lacks: a Ready condition False with the expected
        reason and a message that names the field, the phase Invalid (a spec problem; an item's
        `phase` overrides it), a Warning Event with that reason."""
        if sj is None or sj["metadata"]["uid"] != item["uid"]:
            return ["it is gone"]
        reason, word = item["expect"]
        ready = condition(sj, "Ready")
        if ready is None:
            return ["no Ready condition"]
        out = []
        if ready.get("status") != "False":
            out.append(f"Ready is {ready.get('status')} ({ready.get('reason')}), not False")
        if ready.get("reason") != reason:
            out.append(f"Ready reason is {ready.get('reason')!r}, not {reason}")
        if word not in (ready.get("message") or ""):
            out.append(f"Ready message {(ready.get('message') or '')[:160]!r} does not name {word!r}")
        # Spec problems set phase Invalid; a refused run (RunStartFailed) and an item with
        # `phase` None (a reason sked retries: FlinkUnreachable, JarUnavailable) do not.
        phase = item.get("phase", None if reason == "RunStartFailed" else "Invalid")
        if phase and (sj.get("status") or {}).get("phase") != phase:
            out.append(f"phase is {(sj.get('status') or {}).get('phase')!r}, not {phase}")
        if not any(e.get("type") == "Warning" and e.get("reason") == reason for e in events.get(item["uid"], [])):
            out.append(f"no Warning Event with reason {reason}")
        return out

    def await_handled(self, items, timeout):
        """Polls until every admitted item is handled or `timeout` passes. Returns the seconds
        from their creation until all were (None: not all), {name: problems} of the last look,
        and that look's ScheduledJobs."""
        admitted = [i for i in items if "uid" in i]
        start = min((i["created_at"] for i in admitted), default=time.time())
        end = time.time() + timeout
        while True:
            sjs, events = self.state()
            missing = {i["name"]: p for i in admitted for p in [self.problems(i, sjs.get(i["name"]), events)] if p}
            if not missing:
                return time.time() - start, {}, sjs
            if time.time() > end:
                return None, missing, sjs
            self.sc.sleep(2.0)

    def report(self, items, label, took, missing, sjs):
        """Counts for the report; every object still missing something is a violation."""
        for name, problems in sorted(missing.items()):
            self.sc.finding("badinput", name, f"{label}: " + "; ".join(problems))
        admitted = [i for i in items if "uid" in i]
        messages = [(condition(sjs.get(i["name"], {}), "Ready") or {}).get("message") or "" for i in admitted]
        written = [parse_time(c["lastTransitionTime"]) for i in admitted for c in [condition(sjs.get(i["name"], {}), "Ready")] if c]
        row = {"objects": len(items), "admitted": len(admitted), "refused_at_admission": len(items) - len(admitted),
               "handled": len(items) - len(missing), "violations": len(missing),
               "all_handled_after_s": None if took is None else round(took, 1),
               "conditions_written_s": round(max(written) - min(i["created_at"] for i in admitted), 1) if written else None,
               "longest_message": max(map(len, messages), default=0), "example_message": min(messages, key=len, default="")[:200],
               "refused": sorted({i["refused"][:300] for i in items if "refused" in i}),
               "not_handled": {p: sorted(n for n, ps in missing.items() if p in ps) for p in {p for ps in missing.values() for p in ps}}}
        self.sc.details.setdefault("badinput", {})[label] = row
        line = (f"badinput    {label}: {len(items)} objects, {len(admitted)} admitted, {row['refused_at_admission']} refused "
                f"by the API server; {row['handled']} handled" + (f", all by {took:.1f}s after creation" if took is not None else "")
                + (f"; latest Ready transition {row['conditions_written_s']}s after creation" if written else ""))
        for m in row["refused"][:3]:
            line += f"\n               refused: {m[:150]}"
        for p, names in sorted(row["not_handled"].items(), key=lambda kv: -len(kv[1])):
            line += f"\n               NOT handled: {len(names)} x {p[:100]} ({', '.join(names[:3])}{', ...' if len(names) > 3 else ''})"
        self.sc.lines.append(line)

    def dump(self):
        """Forensics for the work folder: the corpus namespace's objects and Events."""
        with open(os.path.join(self.sc.suite.work, f"{self.sc.key}-corpus.json"), "w") as f:
            json.dump({"items": [{k: v for k, v in i.items() if k != "body"} for i in self.items],
                       "scheduledJobs": self.list("sjs"), "jobs": self.list("jobs"), "events": self.list("events")}, f, indent=1)


def corpus_invalid(bad, fuzz):
    """The objects that must end Invalid / RunStartFailed: fuzzed and classic schedules, unknown
    zones, two targets or none, and Job templates the API server rejects when the Job is created."""
    rng = bad.rng
    schedules = [("classic", s) for s in CRON_CLASSICS] + [invalid_schedule(rng) for _ in range(fuzz)]
    for i, (form, schedule) in enumerate(schedules):
        bad.add(f"schedule ({form})", f"cron-{i:03d}", bad.spec(schedule=schedule), ("InvalidSchedule", "spec.schedule"))
    for i, zone in enumerate(["Mars/Olympus", "UTC+25", "Europe/" + "x" * 293]):
        bad.add("time zone", f"zone-{i}", bad.spec(timeZone=zone), ("InvalidTimeZone", "spec.timeZone"))
    flink = {"jobManagerURL": "http://127.0.0.1:9", "jarURL": "http://127.0.0.1:9/job.jar"}
    bad.add("targets", "target-both", bad.spec(flinkJob=flink), ("InvalidSpec", "jobTemplate or flinkJob"))
    neither = bad.spec()
    del neither["jobTemplate"]
    bad.add("targets", "target-none", neither, ("InvalidSpec", "jobTemplate or flinkJob"))
    # The CRD passes jobTemplate.spec through; the Job's own validation refuses these.
    for name, template in [("job-uppercase-container", job_template(container="Main")),
                           ("job-restart-always", job_template(restart_policy="Always"))]:
        bad.add("Job refused", name, bad.spec(schedule="*/5 * * * * *", jobTemplate=template), ("RunStartFailed", "rejected Job"))
    # Numbers past their maxima (they once made the operator trap on every restart): the CRD
    # schema refuses them at apply time, which counts as handled when it says why.
    for field, spec in [("retry.limit", bad.spec(retry={"limit": 2**63 - 1})), ("runTimeoutSeconds", bad.spec(runTimeoutSeconds=10**10)),
                        ("startingDeadlineSeconds", bad.spec(startingDeadlineSeconds=2**63 - 1))]:
        bad.add("number bounds", "bound-" + field.replace(".", "-").lower(), spec, ("InvalidSpec", f"spec.{field}"))
    # Deeper than a JSON decoder reads (the API server admits it): it once failed every list page
    # and watch event it was in, so that nothing in the cluster was reconciled any more.
    deep = 1
    for _ in range(600):
        deep = {"a": deep}
    bad.add("undecodable", "deep-600", bad.spec(jobTemplate={"spec": {"template": deep}}), ("Undecodable", "nested 60"))
    return list(bad.items)


def check_long_name(bad, item, timeout):
    """A 253-character name is valid: it must run, with Job names (and label values) of at most 63."""
    end = time.time() + timeout
    jobs = []
    while time.time() < end:
        jobs = [j for j in bad.list("jobs") if owner_uid(j) == item.get("uid")]
        if len(jobs) >= 2:
            break
        bad.sc.sleep(0.5)
    names = sorted(j["metadata"]["name"] for j in jobs)
    labels = {(j["metadata"].get("labels") or {}).get(LABEL) for j in jobs}
    problems = []
    if len(jobs) < 2:
        problems.append(f"{len(jobs)} Job(s) after {timeout:g}s on '*/2 * * * * *' (expected at least 2)")
    problems += [f"Job name {n} has {len(n)} characters (> 63)" for n in names if len(n) > 63]
    problems += [f"label {LABEL}={v} has {len(v or '')} characters" for v in labels if not v or len(v) > 63]
    sj = bad.api.must("GET", f"{sjs_path(bad.ns)}/{item['name']}")
    ready = condition(sj, "Ready") or {}
    if ready.get("status") != "True":
        problems.append(f"Ready is {ready.get('status')} ({ready.get('reason')}: {ready.get('message')})")
    for p in problems:
        bad.sc.finding("badinput", item["name"], f"253-character name: {p}")
    bad.sc.lines.append(f"badinput    253-character name: {len(jobs)} Jobs within {timeout:g}s, e.g. {names[:1]} "
                        f"({max(map(len, names), default=0)} characters at most)" + (f"; {len(problems)} problem(s)" if problems else ""))
    bad.sc.details.setdefault("badinput", {})["253-character name"] = {"jobs": names, "violations": len(problems)}


def check_tokens(bad, item, stop_token, timeout):
    """10 KiB run-now and stop tokens (README: every new value acts once). The stop is applied
    as soon as the run-now Job exists, as `kubectl sked run-now` then `stop` would: the run-now
    token must have started exactly one run (one Job uid), the stop token must have cancelled
    it (Job gone, history Cancelled, status.lastStopToken), status.lastRunNowToken is the
    run-now token; neither token appears in an operator log (tokens are never logged)."""
    run_token = item["body"]["metadata"]["annotations"]["sked.dev/run-now"]
    path = f"{sjs_path(bad.ns)}/{item['name']}"
    seen = {}  # uid -> (Job name, first seen)

    def manual_jobs():
        jobs = [j for j in bad.list("jobs") if owner_uid(j) == item.get("uid")
                and (j["metadata"].get("annotations") or {}).get("sked.dev/trigger") == "manual"]
        for j in jobs:
            seen.setdefault(j["metadata"]["uid"], (j["metadata"]["name"], hms(time.time())))
        return jobs

    def settled():
        st = bad.api.must("GET", path).get("status") or {}
        return st.get("lastStopToken") == stop_token and not manual_jobs()

    def wait(pred):
        end = time.time() + timeout
        while time.time() < end and not pred():
            bad.sc.sleep(0.25)

    wait(manual_jobs)
    t_stop = time.time()
    bad.api.must("PATCH", path, {"metadata": {"annotations": {"sked.dev/stop": stop_token}}}, "application/merge-patch+json")
    wait(settled)
    sj = bad.api.must("GET", path)
    st = sj.get("status") or {}
    left = manual_jobs()
    problems = []
    if len(seen) != 1:
        problems.append(f"the 10 KiB run-now token made {len(seen)} Jobs (uid, name, first seen): "
                        + "; ".join(f"{u[:8]} {n} {t}" for u, (n, t) in seen.items()) + f"; stop token applied {hms(t_stop)}")
    if st.get("lastRunNowToken") != run_token:
        problems.append("status.lastRunNowToken is not the 10 KiB run-now token")
    if st.get("lastStopToken") != stop_token:
        problems.append("status.lastStopToken is not the 10 KiB stop token (the stop was not handled)")
    if left:
        problems.append(f"Job {left[0]['metadata']['name']} (uid {left[0]['metadata']['uid'][:8]}) still exists "
                        f"{time.time() - t_stop:.0f}s after the stop token")
    cancelled = [h for h in st.get("history") or [] if h.get("trigger") == "manual" and h.get("result") == "Cancelled"]
    if seen and not cancelled:
        problems.append(f"status.history has no Cancelled manual run: {[(h.get('name'), h.get('result')) for h in st.get('history') or []]}")
    if (condition(sj, "Ready") or {}).get("status") != "True":
        problems.append(f"Ready is not True: {condition(sj, 'Ready')}")
    bad.sc.after_checks.append(lambda: check_tokens_unlogged(bad.sc, item["name"], (run_token, stop_token)))
    for p in problems:
        bad.sc.finding("badinput", item["name"], p)
    bad.sc.lines.append(f"badinput    10 KiB tokens: run-now made {len(seen)} Job(s), stop cancelled {len(cancelled)}, "
                        f"{len(left)} left" + (f"; {len(problems)} problem(s)" if problems else ""))
    bad.sc.details.setdefault("badinput", {})["10 KiB tokens"] = {"manual_job_uids": len(seen), "cancelled": len(cancelled),
                                                                 "left": len(left), "violations": len(problems)}


def check_tokens_unlogged(sc, name, tokens):
    for op in sc.operators:
        with open(op.log_path, "rb") as f:
            text = f.read()
        for which, token in zip(("run-now", "stop"), tokens):
            if token[:64].encode() in text:
                sc.finding("badinput", name, f"the {which} token appears in operator log {op.log_path} (tokens are never logged)")


def scenario_badinput(sc, args, rng):
    """One operator on two namespaces: the usual healthy ScheduledJobs fire in the scenario's,
    while a corpus of bad objects goes into the other: fuzzed and classic invalid schedules,
    unknown time zones, two targets or none, Job templates the API server refuses, 10 KiB
    run-now/stop tokens, a 253-character name, hostile jobManagerURLs and URLs with user info
    (hostile_corpus.py), then a burst of --badinput-burst ScheduledJobs with invalid schedules. Every admitted bad object must get Ready=False with its reason, a
    message naming the field and a Warning Event (refusals by the API server must say why); the
    valid odd ones must work; the operator must not crash; analyse() checks that the healthy
    ones kept firing on time meanwhile (liveness, deadline)."""
    bad = BadInput(sc, args)
    bad.api.must("POST", "/api/v1/namespaces", {"metadata": {"name": bad.ns}}, ok=(201,))
    # 127.0.0.1 denied again (the hostile servers listen on 127.0.0.3): "localhost" resolves into it.
    start_one_operator(sc, ["--namespace", bad.ns] + hostile_corpus.BADINPUT_OPERATOR_ARGS)
    yield "ready"
    sc.sleep(args.warmup)
    invalid = corpus_invalid(bad, args.badinput_fuzz)
    long_name = bad.add("valid", ("long-name-" + "0123456789abcdef" * 16)[:252] + "z", bad.spec(schedule="*/2 * * * * *"), None)
    token = lambda: "".join(bad.rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789") for _ in range(10240))
    tokens = bad.add("valid", "tokens-10k", bad.spec(suspend=True), None, annotations={"sked.dev/run-now": token()})
    # A header Secret whose value HTTP cannot carry: its error text once carried the value into
    # status, an Event and the log (readable by people who may not read Secrets).
    secret = "TOPSECRET-" + token()[:48] + "\x01rest"
    bad.api.must("POST", f"/api/v1/namespaces/{bad.ns}/secrets",
                 {"metadata": {"name": "flink-auth", "labels": {"sked.dev/flink-headers": "true"}},
                  "data": {"Authorization": base64.b64encode(secret.encode()).decode()}}, ok=(201,))
    header = bad.spec(schedule="*/2 * * * * *", flinkJob={"jobManagerURL": "http://127.0.0.1:9", "jarURL": "http://127.0.0.1:9/job.jar",
                                                             "headersSecretRef": {"name": "flink-auth"}})
    del header["jobTemplate"]
    invalid.append(bad.add("secret header", "secret-header", header, ("RunStartFailed", 'key "Authorization" of Secret flink-auth')))
    hostile = hostile_corpus.jobmanager_corpus(bad)  # hostile jobManagerURLs and user info (issue #17)
    try:
        hostile.start_watch()
        bad.create(bad.items, f"corpus of {len(bad.items)}")
        check_tokens(bad, tokens, token(), 10)
        check_long_name(bad, long_name, 10)
        took, missing, sjs = bad.await_handled(invalid, 20)
        for kind in dict.fromkeys(i["kind"].split(" (")[0] for i in invalid):
            items = [i for i in invalid if i["kind"].split(" (")[0] == kind]
            bad.report(items, kind, took, {i["name"]: missing[i["name"]] for i in items if i["name"] in missing}, sjs)
        # Thousands failing at once.
        burst = [bad.add("burst", f"burst-{i:04d}", bad.spec(schedule=invalid_schedule(bad.rng, long=False)[1]), ("InvalidSchedule", "spec.schedule"))
                 for i in range(args.badinput_burst)]
        t0, _ = bad.create(burst, f"burst of {len(burst)}", workers=32)
        took, missing, sjs = bad.await_handled(burst, 30)
        bad.report(burst, f"burst of {len(burst)}", took, missing, sjs)
        t_done = time.time()
        hostile.check()  # after the burst: the slow-loris JobManager takes sked's 30 s request timeout
        hostile.suspend()
    finally:
        hostile.close()
    sc.after_checks.append(lambda: report_burst_lag(sc, t0, t_done))
    sc.after_checks.append(lambda: check_secret_unseen(bad, "secret-header", secret))
    sc.after_checks.append(hostile.check_secrets_unseen)
    bad.dump()


def check_secret_unseen(bad, name, secret):
    """A Secret's value is in no ScheduledJob, no Event and no operator log line."""
    needle = secret[:40]
    places = {"ScheduledJobs": json.dumps(bad.list("sjs")), "Events": json.dumps(bad.list("events"))}
    for op in bad.sc.operators:
        with open(op.log_path, "rb") as f:
            places[f"operator log {op.log_path}"] = f.read().decode("utf-8", "replace")
    for where, text in places.items():
        if needle in text:
            bad.sc.finding("badinput", name, f"the Secret's header value appears in {where}")
    bad.sc.lines.append(f"badinput    secret header value: looked for in {len(places)} places, "
                        + ("found" if any(needle in t for t in places.values()) else "never seen"))


def report_burst_lag(sc, t0, t1):
    """The healthy ScheduledJobs' schedule lag for ticks while the burst was created and handled
    (what must hold is checked by analyse: deadline and liveness)."""
    lags = [r.seen_at - r.sched for r in sc.recorder.snapshot()
            if r.rv_created is not None and r.sched is not None and t0 <= r.sched <= t1]
    gaps = []
    for name, x in sc.sjs.items():
        if x["policy"] == "Allow":
            points = [t0] + sorted(r.seen_at for r in sc.recorder.snapshot() if r.sj == name and t0 < r.seen_at < t1) + [t1]
            gaps.append(max(b - a for a, b in zip(points, points[1:])))
    sc.details["burst_healthy_lag_s"] = {"window_s": round(t1 - t0, 1), "jobs": len(lags), "p50": pct(lags, 50),
                                         "p99": pct(lags, 99), "max": max(lags, default=None),
                                         "longest_allow_gap_s": round(max(gaps, default=0), 2)}
    sc.lines.append(f"burst lag   {len(lags)} healthy Jobs for ticks in the {t1 - t0:.0f}s of the burst: "
                    + (f"lag p50 {pct(lags, 50):.2f}s, p99 {pct(lags, 99):.2f}s, max {max(lags):.2f}s" if lags else "NONE")
                    + f"; longest time an Allow ScheduledJob had no new Job {max(gaps, default=0):.1f}s")


SCENARIOS = {
    "kill": ("SIGKILL the operator at random moments, restart it", scenario_kill),
    "leader": ("two operators with leader election, SIGKILL the leader", scenario_leader),
    "apiserver": ("restart kube-apiserver, SIGSTOP it, restart etcd", scenario_apiserver),
    "expiry": ("Force watch expiry: stop kube-apiserver, compact etcd, start it", scenario_expiry),
    "badinput": ("Bad input corpus: invalid ScheduledJobs (fuzzed, classic, 1,000 at once) beside healthy ones", scenario_badinput),
}

# Opt-in (--scenarios flink): a real Flink session cluster behind a fault-injecting proxy, with its
# own workload and checks (flink_scenario.py, which uses this module's helpers as `run`).
sys.modules.setdefault("run", sys.modules[__name__])
import flink_scenario  # noqa: E402
import hostile_corpus  # noqa: E402  (hostile Flink URLs in the badinput and flink corpora)
SCENARIOS["flink"] = ("Flink target: 5xx proxy, JobManager SIGKILLs, operator SIGKILL mid-submission", flink_scenario.scenario_flink)
import catchup_scenario  # noqa: E402  (catch-up after downtime, issue #15)
SCENARIOS["catchup"] = ("catchUp All: SIGKILL the operator, keep it down for several ticks, restart it", catchup_scenario.scenario_catchup)
import backfill_scenario  # noqa: E402  (a backfill during leader failovers, issue #15)
SCENARIOS["backfill"] = ("a backfill of the 10 s before creation while the leader is SIGKILLed again and again", backfill_scenario.scenario_backfill)


# --------------------------------------------------------------------------- checks
def subtract(spans, cuts):
    """The parts of `spans` (list of (a, b)) outside every interval in `cuts`."""
    out = []
    for a, b in spans:
        pieces = [(a, b)]
        for c, d in cuts:
            nxt = []
            for x, y in pieces:
                if d <= x or y <= c:
                    nxt.append((x, y))
                    continue
                if x < c:
                    nxt.append((x, c))
                if d < y:
                    nxt.append((d, y))
            pieces = nxt
        out.extend(pieces)
    return sorted((a, b) for a, b in out if b > a)


def pct(values, p):
    if not values:
        return None
    v = sorted(values)
    return v[max(0, min(len(v) - 1, int(-(-p * len(v) // 100)) - 1))]


def ticks_between(after, until, period):
    """Ticks of "*/period * * * * *" (period divides 60) with after < t <= until (epoch seconds)."""
    t = (int(after) // period + 1) * period
    out = []
    while t <= until:
        out.append(t)
        t += period
    return out


def status_problems(sj, jobs_now):
    """Differences between a ScheduledJob's status and the Jobs that exist (list of strings)."""
    st = sj.get("status") or {}
    uid = sj["metadata"]["uid"]
    mine = [j for j in jobs_now if owner_uid(j) == uid]
    unfinished = sorted(j["metadata"]["name"] for j in mine if not is_complete(j))
    finished = sorted(j["metadata"]["name"] for j in mine if is_complete(j))
    active = sorted(a["name"] for a in st.get("active") or [])
    out = []
    if active != unfinished:
        out.append(f"status.active {active} != unfinished Jobs {unfinished}")
    if (st.get("activeRuns") or 0) != len(active):
        out.append(f"status.activeRuns {st.get('activeRuns')} != {len(active)} active")
    hist = {h["name"]: h for h in st.get("history") or []}
    for n in finished:
        if n not in hist:
            out.append(f"finished Job {n} is not in status.history")
        elif hist[n].get("result") != "Succeeded":
            out.append(f"finished Job {n} is {hist[n].get('result')} in status.history, not Succeeded")
    existing = {j["metadata"]["name"] for j in mine}
    for n, h in hist.items():
        if h.get("result") == "Succeeded" and n not in existing:
            out.append(f"status.history has Succeeded {n} but the Job is gone")
        if h.get("result") == "Cancelled" and n in existing:
            out.append(f"status.history has Cancelled {n} but the Job still exists")
    return out


def healthy_spans(sc, args, until):
    """When sked should be keeping up: an operator reconciling (from its log: `ready` until lost
    leadership, drain or our kill) for at least --grace-operator s, and the API reachable for at
    least --grace-api s. Faults are ours, so their times are exact."""
    spans = [(a + args.grace_operator, min(b, until)) for op in sc.operators for a, b in op.intervals()]
    merged = []
    for a, b in sorted(x for x in spans if x[1] > x[0]):
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], b))
        else:
            merged.append((a, b))
    return subtract(merged, [(a, b + args.grace_api) for a, b in sc.api_outages])


def analyse(sc, sjs_final, jobs_final, recs, t_suspend, args, events=()):
    """All invariants; returns (violations, per-SJ stats, totals, notes, stats)."""
    violations, notes = [], []
    events_by_sj = collections.defaultdict(list)
    for e in events:
        if e.get("reason") == "MissedSchedule":
            events_by_sj[(e.get("involvedObject") or {}).get("name")].append(e)
    v = lambda kind, sj, msg: violations.append({"kind": kind, "scheduledJob": sj, "message": msg})
    D = args.deadline
    healthy = healthy_spans(sc, args, t_suspend)

    totals = collections.Counter()
    per_sj = {}
    lags, lags_healthy = [], []
    by_sj = collections.defaultdict(list)
    for r in recs:
        by_sj[r.sj].append(r)
    jobs_by_owner = collections.defaultdict(list)
    for j in jobs_final:
        jobs_by_owner[owner_uid(j)].append(j)

    for sj in sjs_final:
        name = sj["metadata"]["name"]
        uid = sj["metadata"]["uid"]
        policy, period = sc.sjs[name]["policy"], sc.sjs[name]["period"]
        st = sj.get("status") or {}
        created = int(parse_time(sj["metadata"]["creationTimestamp"]))
        last = parse_time(st.get("lastScheduleTime"))
        missed = st.get("missedRuns") or 0
        mine = [r for r in by_sj.get(name, []) if r.owner == uid]
        for r in by_sj.get(name, []):
            if r.owner != uid:
                v("ownership", name, f"Job {r.name} carries the label but is not controlled by the ScheduledJob")

        # duplicates: two Jobs (distinct uids, one of them possibly deleted since) for one
        # (scheduled time, attempt)
        keyed = collections.defaultdict(list)
        for r in mine:
            keyed[(r.sched, r.attempt)].append(r)
        for (sched, attempt), rs in sorted(keyed.items(), key=lambda kv: (kv[0][0] or 0, kv[0][1])):
            if len(rs) > 1:
                v("duplicate", name, f"{len(rs)} Jobs for tick {rfc3339(sched)} attempt {attempt}: "
                  + ", ".join(f"{r.name} uid {r.uid[:8]} seen {hms(r.seen_at)}" + (f" deleted {hms(r.deleted_at)}" if r.deleted_at else "") for r in rs))

        # schedule and deadline
        for r in mine:
            if r.trigger == "backfill":  # ticks before creation, on request: the backfill scenario checks them
                continue
            if r.trigger != "schedule" or r.attempt != 1:
                v("trigger", name, f"Job {r.name} has trigger {r.trigger} attempt {r.attempt} (only scheduled first attempts expected)")
            if r.sched is None or r.sched % period != 0 or r.sched <= created:
                v("schedule", name, f"Job {r.name} is for {r.sched and rfc3339(r.sched)}, not a tick after creation {rfc3339(created)}")
                continue
            if r.created is not None and r.created - r.sched > D + 1:
                # A create sent before the deadline to an API server that was then SIGSTOPped
                # sits in its socket and is served on SIGCONT: no client can take it back.
                held = [(a, b) for a, b in sc.pauses if b and a <= r.sched + D and b >= r.sched and b - 1 <= r.created <= b + 3]
                if held:
                    v("deadline-held", name, f"Job {r.name} (tick {hms(r.sched)}) created at {hms(r.created)}, {r.created - r.sched:.0f}s after "
                      f"its tick, as kube-apiserver resumed from SIGSTOP ({hms(held[0][0])} to {hms(held[0][1])}): beyond "
                      f"startingDeadlineSeconds={D}, by a request the stopped server held")
                else:
                    v("deadline", name, f"Job {r.name} (tick {hms(r.sched)}) created at {hms(r.created)}, {r.created - r.sched:.0f}s after its tick: "
                      f"beyond startingDeadlineSeconds={D}")
            lag = r.seen_at - r.sched
            if r.rv_created is not None:  # seen by the watch as it was created, so seen_at is exact
                lags.append(lag)
                if any(a <= r.sched and r.sched + period <= b for a, b in healthy):
                    lags_healthy.append(lag)

        # accounting: every tick in (creation, lastScheduleTime] ran or is counted missed, once
        ran = {r.sched for r in mine if r.sched is not None}
        # Runs the status records that the watcher never saw as Jobs. Succeeded, Cancelled and
        # active runs were Jobs (sked saw them): the watcher missed them (a Job created and
        # deleted while it was reconnecting); they ran. A Failed run without a Job is a run
        # that never started (nothing fails a Job here: the finisher only completes them).
        unseen_runs = [(h, h.get("result")) for h in st.get("history") or []] + [(a, "active") for a in st.get("active") or []]
        unseen_runs = [(x, res) for x, res in unseen_runs if x.get("scheduledTime") and int(parse_time(x["scheduledTime"])) not in ran]
        never = [(x, res) for x, res in unseen_runs if res == "Failed"]
        if never:
            v("no-job", name, "status.history records run(s) that never had a Job (the tick is lost; accounted as a failed run): "
              + "; ".join(f"{x['name']} (tick {hms(parse_time(x['scheduledTime']))}, recorded done {hms(parse_time(x.get('completionTime')))}) "
                          f"{res}: {(x.get('message') or '')[:240]}" for x, res in never))
        missed_by_watcher = [x["name"] for x, res in unseen_runs if res != "Failed"]
        if missed_by_watcher:
            notes.append(f"{name}: the watcher missed Job(s) {', '.join(missed_by_watcher)} (status records them); counted as ran")
            ran |= {int(parse_time(x["scheduledTime"])) for x, res in unseen_runs if res != "Failed"}
        # A run started just as we suspended, whose status write then lost to our suspend
        # patch (409): the retry sees a suspended ScheduledJob, which plans no ticks, so
        # lastScheduleTime (and missedRuns) stay behind that run until it is resumed. Such runs
        # are left out of the accounting (they ran: that is all there is to check) and noted.
        suspended_at = sc.sjs[name].get("suspended_at")
        raced = sorted(t for t in ran if (last is None or t > last) and sj["spec"].get("suspend")
                       and suspended_at is not None and t <= suspended_at + 0.5)
        if raced:
            notes.append(f"{name}: run for {', '.join(rfc3339(t) for t in raced)} started as it was being suspended; "
                         f"status.lastScheduleTime stays {st.get('lastScheduleTime')} (its status write lost to the suspend)")
        ticks = ticks_between(created, last, period) if last is not None else []
        tickset = set(ticks)
        # sked accounts a run it failed to start as a Failed run: reported above (no-job), and
        # counted as accounted here so that this check stays about counting.
        ran_in = (ran | {int(parse_time(x["scheduledTime"])) for x, _ in never}) & tickset
        after_last = sorted(t for t in ran if (last is None or t > last) and t not in raced)
        if after_last:
            v("status", name, f"Jobs for ticks after status.lastScheduleTime {st.get('lastScheduleTime')}: "
              + ", ".join(rfc3339(t) for t in after_last))
        lost = len(ticks) - len(ran_in) - missed
        if lost > 0:
            without = sorted(tickset - ran)
            v("accounting", name, f"{lost} tick(s) neither ran nor counted: {len(ticks)} ticks in "
              f"({rfc3339(created)}, {st.get('lastScheduleTime')}], {len(ran_in)} with a Job, missedRuns {missed}; "
              f"ticks without a Job: {[hms(t) for t in without][:30]}")
        elif lost < 0:
            # Which tick: the MissedSchedule Events say which ranges sked counted as skipped
            # (best effort: Events are aggregated and rate-limited).
            hint = []
            for e in events_by_sj.get(name, []):
                m = re.search(r"Skipped (\d+) earlier run\(s\) after (\S+); starting only the most recent one, scheduled at (\S+)", e.get("message", ""))
                if not m:
                    continue
                lo_t, hi_t = parse_time(m.group(2)), parse_time(m.group(3))
                inside = [r for r in mine if r.sched is not None and lo_t < r.sched < hi_t]
                # The Event counted these Jobs' ticks too when its count exceeds the ticks without a Job.
                if inside and int(m.group(1)) > len(ticks_between(lo_t, hi_t - 1, period)) - len({r.sched for r in inside}):
                    hint += [f"Job {r.name} (created {hms(r.created)}, rv {r.rv_created}) is inside Event '{m.group(0)}' "
                             f"(that reconcile did not see it)" for r in inside]
            v("accounting", name, f"{-lost} tick(s) counted twice: {len(ticks)} ticks in ({rfc3339(created)}, "
              f"{st.get('lastScheduleTime')}], {len(ran_in)} with a Job, missedRuns {missed}"
              + (": " + "; ".join(hint) if hint else ""))

        # Forbid: each Job created (etcd revision of its creation) after the previous one was
        # completed (revision of the finisher's write); revisions are a total order.
        if policy == "Forbid":
            # Creation order: creationTimestamp (whole seconds; a Forbid run lives >= 1 s, so two
            # runs share a second only when they overlap), then the exact creation revision.
            order = sorted(mine, key=lambda r: (r.created or 0, r.rv_created if r.rv_created is not None else float("inf")))
            for a, b in zip(order, order[1:]):
                if a.complete_rv is None:
                    v("forbid", name, f"{b.name} was created while {a.name} was never completed")
                elif b.rv_created is not None:
                    if b.rv_created < a.complete_rv:
                        v("forbid", name, f"{b.name} created (rv {b.rv_created}, {hms(b.seen_at)}) while {a.name} was active "
                          f"(completed at rv {a.complete_rv}, {hms(a.complete_at)})")
                elif b.created is not None and a.finish_sent_at is not None and b.created + 1 < a.finish_sent_at:
                    v("forbid", name, f"{b.name} created {hms(b.created)} before {a.name} was completed ({hms(a.finish_sent_at)})")

        # liveness: inside healthy periods no ScheduledJob goes --stall seconds without a new Job
        # (Forbid: without a new Job or an active run). Per tick this cannot be demanded: a
        # reconcile more than one period late (a loaded machine) legitimately skips a tick and
        # counts it missed; those ticks are reported as "skipped while healthy".
        lo = created + 1.0
        spans = [(max(a, lo), b) for a, b in healthy if b > lo]
        covered = [(r.seen_at, r.complete_at if r.complete_at is not None else float("inf")) for r in mine] if policy == "Forbid" else []
        points = sorted(r.seen_at for r in mine)
        longest, where = 0.0, None
        for a, b in subtract(spans, covered):
            inner = [a] + [p for p in points if a < p < b] + [b]
            for x, y in zip(inner, inner[1:]):
                if y - x > longest:
                    longest, where = y - x, (x, y)
        if longest >= args.stall:
            v("liveness", name, f"no new Job for {longest:.1f}s ({hms(where[0])} to {hms(where[1])}) although an operator had been "
              f"reconciling for {args.grace_operator:g}s+ and the API up for {args.grace_api:g}s+"
              + ("" if policy != "Forbid" else " and no run was active"))
        skipped = 0
        if policy != "Forbid":
            for t in ticks_between(created, t_suspend - period, period):
                if t not in ran and any(a <= t - 0.5 and t + period <= b for a, b in healthy):
                    skipped += 1

        # status agrees with the Jobs that exist (final state)
        for p in status_problems(sj, jobs_by_owner.get(uid, [])):
            v("status", name, p)

        deleted = sum(1 for r in mine if r.deleted_at)
        per_sj[name] = {"policy": policy, "period": period, "ticks": len(ticks), "jobs": len(mine), "jobs_deleted": deleted,
                        "missedRuns": missed, "lastScheduleTime": st.get("lastScheduleTime"),
                        "longest_healthy_gap_s": round(longest, 2), "skipped_while_healthy": skipped}
        totals["ticks"] += len(ticks)
        totals["jobs"] += len(mine)
        totals["missed"] += missed
        totals[f"jobs_{policy}"] += len(mine)
        totals["jobs_deleted"] += deleted
        totals["skipped_healthy"] += skipped
        totals["healthy_gap_max"] = max(totals["healthy_gap_max"], longest)

    # How long each fault stopped new runs: until every Allow ScheduledJob had a Job again.
    allow = [n for n, s in sc.sjs.items() if s["policy"] == "Allow"]
    for f in sc.faults:
        t = f["t"]
        firsts = []
        for n in allow:
            after = [r.seen_at for r in by_sj.get(n, []) if r.seen_at > t]
            firsts.append(min(after) - t if after else None)
        f["no_new_runs_s"] = None if None in firsts or not firsts else round(max(firsts), 2)
        end = f.get("t_end", t)
        resumed = []
        for n in allow:
            after = [r.seen_at for r in by_sj.get(n, []) if r.seen_at > end]
            resumed.append(min(after) - end if after else None)
        f["resumed_s"] = None if None in resumed or not resumed else round(max(resumed), 2)
    stats = {
        "schedule_lag_s": {"p50": pct(lags, 50), "p99": pct(lags, 99), "max": max(lags) if lags else None, "n": len(lags)},
        "schedule_lag_healthy_s": {"p50": pct(lags_healthy, 50), "p99": pct(lags_healthy, 99),
                                   "max": max(lags_healthy) if lags_healthy else None, "n": len(lags_healthy)},
        "healthy_s": round(sum(b - a for a, b in healthy), 1),
    }
    return violations, per_sj, totals, notes, stats


def sc_relists(sc):
    return sc.recorder.relists if getattr(sc, "recorder", None) else []


# --------------------------------------------------------------------------- the suite
class Suite:
    def __init__(self, args):
        self.args = args
        self.work = tempfile.mkdtemp(prefix="sked-chaos.")
        self.cp_dir = os.path.join(self.work, "cp")
        self.started = False
        self.paused = None
        self.deadline = time.time() + args.max_seconds
        self.scenarios = []
        self.pids_file = os.path.join(self.work, "operator-pids")

    def check_deadline(self):
        if time.time() > self.deadline:
            raise Abort(f"the run exceeded --max-seconds={self.args.max_seconds}")

    def record_pid(self, pid, name):
        with open(self.pids_file, "a") as f:
            f.write(f"{pid} {name}\n")

    def control_plane(self, verb):
        p = subprocess.run(["bash", CONTROL_PLANE, verb, self.cp_dir], stdin=subprocess.DEVNULL, capture_output=True,
                           text=True, start_new_session=True, timeout=180)
        if p.returncode != 0:
            raise Abort(f"control-plane.sh {verb} failed ({p.returncode}): {p.stderr[-2000:]}")
        return p.stdout

    def component_pid(self, name):
        with open(os.path.join(self.cp_dir, "pids")) as f:
            for line in f:
                pid, n = line.split()
                if n == name:
                    return int(pid)
        raise Abort(f"{name} is not in {self.cp_dir}/pids")

    def kubectl(self, *a, check=True):
        p = subprocess.run(["kubectl", "--kubeconfig", self.admin_kubeconfig, *a], capture_output=True, text=True, timeout=120)
        if check and p.returncode != 0:
            raise Abort(f"kubectl {' '.join(a)}: {p.stderr.strip()}")
        return p.stdout

    def setup(self):
        log(f"work folder {self.work}")
        self.started = True
        self.control_plane("start")
        self.admin_kubeconfig = os.path.join(self.cp_dir, "admin.kubeconfig")
        self.operator_kubeconfig = os.path.join(self.cp_dir, "operator.kubeconfig")
        self.api = Api(self.admin_kubeconfig)
        self.kubectl("apply", "-f", CRD)
        self.kubectl("wait", "--for", "condition=established", "--timeout=60s", "crd/scheduledjobs.sked.dev")
        self.api.must("POST", "/api/v1/namespaces", {"metadata": {"name": LE_NAMESPACE}}, ok=(201, 409))
        self.kubectl("apply", "-k", RBAC)
        self.kubectl("apply", "-f", FLINK_SECRETS)
        log(f"control plane ready ({time.time() - T0:.1f}s): {self.api.server}")

    def cleanup(self):
        # Never leave anything running: operators by PID, then the control plane by DIR/pids.
        # A second Ctrl-C must not cut this short.
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, signal.SIG_IGN)
        for sc in self.scenarios:
            for op in sc.operators:
                if op.alive():
                    op.kill()
        if self.paused:
            try:
                os.kill(self.paused, signal.SIGCONT)
            except OSError:
                pass
        if self.started:
            try:
                self.control_plane("stop")
            except Exception as e:  # keep going: the folder is reported
                log(f"stopping the control plane: {e}")

    def run_scenario(self, key, rng):
        title, body = SCENARIOS[key]
        if getattr(body, "runs_itself", False):  # flink: its own workload, faults and checks
            return body(self, key, title, rng)
        args = self.args
        sc = Scenario(self, key, title)
        self.scenarios.append(sc)
        log(f"== scenario {key}: {title}")
        t_begin = time.time()
        self.api.must("POST", "/api/v1/namespaces", {"metadata": {"name": sc.ns}}, ok=(201,))
        finisher = None

        def on_new(r):
            finisher.add(r)
        sc.recorder = recorder = Recorder(self.api, sc.ns, on_new)
        finisher = Finisher(self.api, sc.ns, recorder.lock, rng, delay=tuple(args.finish_after))
        recorder.start()
        recorder.synced.wait(30)
        finisher.start()
        steps = body(sc, args, rng)
        next(steps)  # operators up
        sc.create_sjs()
        t_created = time.time()
        log(f"  {len(sc.sjs)} ScheduledJobs created; injecting faults")
        for _ in steps:
            pass
        t_fault_end = time.time()
        sc.sleep(args.settle)
        # Quiesce: no new runs, no more finishing; then the status must settle.
        t_suspend = time.time()
        sc.suspend_all()
        finisher.stop()
        settle_start = time.time()
        settled_after, problems = None, []
        while time.time() - settle_start < args.converge:
            sc.sleep(1.0)
            jobs = self.api.must("GET", jobs_path(sc.ns) + "?labelSelector=" + urllib.parse.quote(LABEL))["items"]
            sjs = self.api.must("GET", sjs_path(sc.ns))["items"]
            problems = [f"{sj['metadata']['name']}: {p}" for sj in sjs for p in status_problems(sj, jobs)]
            suspended = all((sj.get("status") or {}).get("phase") in ("Suspended", "Running") for sj in sjs)
            if not problems and suspended:
                settled_after = time.time() - settle_start
                break
        if settled_after is None:
            sc.notes.append(f"status did not settle within {args.converge}s: {problems[:5]}")
        # Stop the operators (a drain must exit 0), then the final state.
        exits = []
        for op in sc.running():
            rc = op.terminate()
            exits.append(rc)
        recorder.freeze()
        jobs_final = self.api.must("GET", jobs_path(sc.ns) + "?labelSelector=" + urllib.parse.quote(LABEL))["items"]
        sjs_final = self.api.must("GET", sjs_path(sc.ns))["items"]
        recs = recorder.snapshot()
        # Forensics for the work folder (kept when something fails): every Job ever seen, the
        # final objects, the Events (MissedSchedule and friends say what sked counted when).
        try:
            events = self.api.must("GET", f"/api/v1/namespaces/{sc.ns}/events")["items"]
        except Abort:
            events = []
        with open(os.path.join(self.work, f"{key}-state.json"), "w") as f:
            json.dump({"jobs_seen": [{k: getattr(r, k) for k in JobRec.__slots__} for r in recs],
                       "scheduledJobs": sjs_final, "jobs": jobs_final, "events": events,
                       "api_outages": sc.api_outages, "pauses": sc.pauses, "faults": sc.faults, "t_suspend": t_suspend,
                       "suspended_at": {n: x.get("suspended_at") for n, x in sc.sjs.items()}}, f, indent=1, default=str)
        violations, per_sj, totals, notes, stats = analyse(sc, sjs_final, jobs_final, recs, t_suspend, args, events)
        sc.notes.extend(notes)
        for check in sc.after_checks:
            check()
        violations.extend(sc.findings)
        for rc in exits:
            if rc != 0:
                violations.append({"kind": "operator", "scheduledJob": None, "message": f"SIGTERM exit status {rc}, not 0"})
        for u in sc.unexpected_exits:
            violations.append({"kind": "operator", "scheduledJob": None,
                               "message": f"operator pid {u['pid']} exited by itself with {u['exit']} at {u['at']}: {u['log_tail']}"})
        if settled_after is None:
            violations.append({"kind": "status", "scheduledJob": None, "message": sc.notes[-1]})
        tolerated = [x for x in violations if x["kind"] in args.tolerate]
        violations = [x for x in violations if x["kind"] not in args.tolerate]

        # operator log summary
        levels = collections.Counter()
        started_runs = 0
        warn_msgs = collections.Counter()
        for op in sc.operators:
            for o in op.lines():
                levels[o.get("level")] += 1
                if o.get("msg") == "started run":
                    started_runs += 1
                if o.get("level") in ("warning", "error", "critical", "raw"):
                    warn_msgs[o.get("msg", "")[:80]] += 1
        result = {
            "scenario": key, "title": title, "namespace": sc.ns, "seed": args.seed,
            "duration_s": round(time.time() - t_begin, 1), "fault_period_s": round(t_fault_end - t_created, 1),
            "faults": [{**f, "t": hms(f["t"]), "t_end": hms(f.get("t_end"))} for f in sc.faults],
            "fault_count": len(sc.faults), "api_outage_s": round(sum(b - a for a, b in sc.api_outages), 1),
            "operators_started": len(sc.operators), "operator_unexpected_exits": sc.unexpected_exits,
            "scheduledJobs": len(sc.sjs), "ticks": totals["ticks"], "jobs": totals["jobs"],
            "jobs_by_policy": {p: totals[f"jobs_{p}"] for p in POLICIES}, "jobs_deleted": totals["jobs_deleted"],
            "missedRuns": totals["missed"], "skipped_while_healthy": totals["skipped_healthy"],
            "longest_healthy_gap_s": round(totals["healthy_gap_max"], 2), **stats,
            "finisher": {"completed": finisher.finished, "gone": finisher.gone, "errors": finisher.errors},
            "watcher": {"relists": [(hms(t), r) for t, r in recorder.relists], "reconnects": recorder.reconnects},
            "status_settled_after_s": None if settled_after is None else round(settled_after, 1),
            "operator_log": {"started_run_lines": started_runs, "levels": dict(levels), "warnings": dict(warn_msgs.most_common(8))},
            "violations": violations, "tolerated": tolerated, "notes": sc.notes, "per_scheduledjob": per_sj,
            "operator_logs": [op.log_path for op in sc.operators], "details": sc.details, "detail_lines": sc.lines,
        }
        self.print_report(result)
        return result

    @staticmethod
    def print_report(r):
        print("\n".join(Suite.report_lines(r)), flush=True)

    @staticmethod
    def report_lines(r):
        ok = not r["violations"]
        out = [f"-- {r['scenario']}: {r['title']} -- {'PASS' if ok else 'FAIL'} ({r['duration_s']}s)"]
        kinds = collections.Counter(f["kind"] for f in r["faults"])
        out.append(f"   faults      {r['fault_count']} in {r['fault_period_s']}s: "
                   + ", ".join(f"{n} x {k}" for k, n in kinds.items())
                   + (f"; API unavailable {r['api_outage_s']}s in total" if r["api_outage_s"] else ""))
        takeovers = [f["takeover_s"] for f in r["faults"] if "takeover_s" in f]
        if takeovers:
            out.append(f"   takeover    standby reconciling {min(takeovers):.1f}-{max(takeovers):.1f}s after the leader was killed")
        outs = [f"{f['kind']} {f['outage_s']}s" for f in r["faults"] if "outage_s" in f]
        if outs:
            out.append("   outages     " + ", ".join(outs))
        gaps = [f["no_new_runs_s"] for f in r["faults"] if f.get("no_new_runs_s") is not None]
        if gaps:
            out.append(f"   recovery    every Allow ScheduledJob had a new Job {pct(gaps, 50):.1f}s (median), "
                       f"{max(gaps):.1f}s (max) after a fault began")
        res = [f["resumed_s"] for f in r["faults"] if f.get("resumed_s") is not None]
        if res:
            out.append(f"   resumed     ... and {pct(res, 50):.1f}s (median), {max(res):.1f}s (max) after the fault was over "
                       f"(replacement started / standby present / API ready)")
        out.append(f"   operators   {r['operators_started']} started, {len(r['operator_unexpected_exits'])} exited by themselves; "
                   f"{r['operator_log']['started_run_lines']} 'started run' log lines")
        jp = r["jobs_by_policy"]
        out.append(f"   runs        {r['scheduledJobs']} ScheduledJobs, {r['ticks']} ticks; {r['jobs']} Jobs "
                   f"(Allow {jp['Allow']}, Forbid {jp['Forbid']}, Replace {jp['Replace']}; {r['jobs_deleted']} since deleted), "
                   f"missedRuns {r['missedRuns']}")
        lag, lh = r["schedule_lag_s"], r["schedule_lag_healthy_s"]
        if lag["n"]:
            out.append(f"   lag         Job created after its tick: p50 {lag['p50']:.2f}s, p99 {lag['p99']:.2f}s, max {lag['max']:.1f}s"
                       + (f"; in healthy periods p99 {lh['p99']:.2f}s, max {lh['max']:.2f}s" if lh["n"] else ""))
        out.append(f"   liveness    {r['healthy_s']}s healthy: longest time without a new Job {r['longest_healthy_gap_s']}s; "
                   f"{r['skipped_while_healthy']} Allow/Replace ticks skipped (reconcile later than one period, counted missed)")
        out.append(f"   status      settled {r['status_settled_after_s']}s after suspending; finisher completed "
                   f"{r['finisher']['completed']} Jobs; watcher relisted {len(r['watcher']['relists'])}x")
        if r["operator_log"]["warnings"]:
            out.append("   op warnings " + "; ".join(f"{n} x {m}" for m, n in r["operator_log"]["warnings"].items()))
        out.extend("   " + line for line in r["detail_lines"])
        if r["notes"]:
            out.append(f"   notes       {len(r['notes'])} (not violations):")
            for n in r["notes"][:6]:
                out.append(f"     {n}")
        if r["tolerated"]:
            out.append(f"   tolerated   {len(r['tolerated'])} (--tolerate):")
            for x in r["tolerated"][:10]:
                out.append(f"     [{x['kind']}] {x['scheduledJob'] or ''}: {x['message']}")
        out.append(f"   violations  {len(r['violations'])}")
        for v in r["violations"][:40]:
            out.append(f"     [{v['kind']}] {v['scheduledJob'] or ''}: {v['message']}")
        if len(r["violations"]) > 40:
            out.append(f"     ... {len(r['violations']) - 40} more in the JSON result")
        return out


def machine_info():
    """nproc, memory, uname and load: what the timings in a report depend on."""
    mem = "?"
    try:
        with open("/proc/meminfo") as f:
            kb = int(re.search(r"MemTotal:\s+(\d+) kB", f.read()).group(1))
        mem = f"{kb / 1024 / 1024:.1f} GiB"
    except (OSError, AttributeError):
        pass
    u = os.uname()
    return {"nproc": len(os.sched_getaffinity(0)), "memory": mem, "uname": f"{u.sysname} {u.release} {u.version} {u.machine}",
            "load_start": " ".join(f"{x:.2f}" for x in LOAD_AT_START), "load_end": " ".join(f"{x:.2f}" for x in os.getloadavg())}


def write_markdown_report(path, summary, args, last_line):
    """--report: the run as a Markdown summary (machine, date, seed, per scenario the faults,
    what was checked, the violations and the durations, then each scenario's full report)."""
    m = machine_info()
    try:
        version = subprocess.run([args.sked, "version"], capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        version = "?"
    results = summary["scenarios"]
    verdict = ("ERROR: " + summary["error"].strip().splitlines()[-1] if summary["error"]
               else "PASS" if summary["violations"] == 0 else f"FAIL: {summary['violations']} violation(s)")
    out = [f"# sked reliability: fault-injection suite, {summary['date'][:10]}", "",
           f"`{' '.join(['python3', 'scripts/chaos/run.py'] + sys.argv[1:])}`", "",
           "| | |", "| --- | --- |",
           f"| result | **{verdict}** |",
           f"| date (UTC) | {summary['date']} |",
           f"| mode, seed | {summary['mode']}, seed {summary['seed']} (rerun with `--seed {summary['seed']}`) |",
           f"| sked | `{args.sked}`: {version} |",
           f"| machine | {m['nproc']} CPUs (nproc), {m['memory']} memory; load average {m['load_start']} at the start, {m['load_end']} at the end "
           f"(other work shares the machine); `{m['uname']}` |",
           f"| duration | {summary['duration_s']} s in total (limit {args.max_seconds:g} s) |", "",
           "| scenario | faults injected | ScheduledJobs | ticks checked | Jobs checked | missedRuns | violations | tolerated | duration |",
           "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for r in results:
        kinds = collections.Counter(f["kind"] for f in r["faults"])
        found = collections.Counter(v["kind"] for v in r["violations"])
        out.append(f"| {r['scenario']} | {', '.join(f'{n} x {k}' for k, n in kinds.items()) or '-'} | {r.get('scheduledJobs', '-')} "
                   f"| {r.get('ticks', '-')} | {r.get('jobs', '-')} | {r.get('missedRuns', '-')} | {len(r['violations'])}"
                   + (f" ({', '.join(f'{n} {k}' for k, n in found.most_common())})" if found else "")
                   + f" | {len(r.get('tolerated', []))} | {r['duration_s']} s |")
    out += ["", "Violations must be 0. Every check is described in `scripts/chaos/README.md`.", ""]
    for r in results:
        try:
            lines = Suite.report_lines(r)
        except KeyError:  # a scenario with its own result shape (flink_scenario.py)
            lines = [f"{f['kind']} at {f['t']}: {f.get('detail', '')}" for f in r["faults"]] + \
                    [f"[{v['kind']}] {v.get('scheduledJob') or ''}: {v['message']}" for v in r["violations"][:40]]
        out += [f"## {r['scenario']}: {r['title']}", "", "```", *lines, "```", ""]
    out += ["```", last_line, "```", ""]
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w") as f:
        f.write("\n".join(out))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    mode = ap.add_mutually_exclusive_group()
    mode.add_argument("--quick", action="store_true", help="the bounded CI form (default): about 9 minutes, at most 15")
    mode.add_argument("--full", action="store_true", help="more faults, longer healthy periods (about 12 minutes; not for CI)")
    ap.add_argument("--scenarios", default="kill,leader,apiserver,expiry,badinput,catchup,backfill", help="comma-separated subset of: " + ", ".join(SCENARIOS))
    ap.add_argument("--sked", default=os.environ.get("SKED_BIN", os.path.join(REPO, ".build", "debug", "sked")), help="the sked binary (env SKED_BIN)")
    ap.add_argument("--seed", type=int, default=None, help="random seed (default: random, printed)")
    ap.add_argument("--sjs", type=int, default=24, help="ScheduledJobs per scenario (split across Allow/Forbid/Replace; default 24)")
    ap.add_argument("--deadline", type=int, default=10, help="startingDeadlineSeconds (default 10)")
    ap.add_argument("--history", type=int, default=5, help="successful/failedRunsHistoryLimit (default 5)")
    ap.add_argument("--kills", type=int, help="operator SIGKILLs in 'kill' (quick 12, full 30)")
    ap.add_argument("--catchup-kills", type=int, help="operator outages in 'catchup' (quick 4, full 10)")
    ap.add_argument("--leader-kills", type=int, help="leader SIGKILLs in 'leader' (quick 8, full 20)")
    ap.add_argument("--api-rounds", type=int, help="rounds of apiserver restart / pause / etcd restart (quick 1, full 2)")
    ap.add_argument("--expiry-rounds", type=int, help="rounds of etcd compaction + kube-apiserver restart in 'expiry' (quick 2, full 4)")
    ap.add_argument("--expiry-healthy", type=float, help="healthy seconds before each round of 'expiry' (quick 8, full 12; --healthy after the last)")
    ap.add_argument("--badinput-fuzz", type=int, default=200, help="fuzzed invalid schedules in 'badinput' (default 200)")
    ap.add_argument("--badinput-burst", type=int, default=1000, help="invalid ScheduledJobs created at once in 'badinput' (default 1000)")
    ap.add_argument("--pause", type=float, default=20, help="seconds kube-apiserver stays SIGSTOPped (default 20)")
    ap.add_argument("--apiserver-leader-elect", action="store_true",
                    help="run the apiserver scenario's operator with leader election (4s/3s/1s) instead of without")
    ap.add_argument("--healthy", type=float, help="healthy seconds between API faults (quick 12, full 20)")
    ap.add_argument("--warmup", type=float, default=3, help="seconds before the first fault")
    ap.add_argument("--settle", type=float, default=5, help="healthy seconds after the last fault before quiescing")
    ap.add_argument("--converge", type=float, default=30, help="how long the status may take to settle after quiescing")
    ap.add_argument("--stall", type=float, default=None, help="longest time a ScheduledJob may go without a new Job while healthy (default: --deadline)")
    ap.add_argument("--tolerate", default="deadline-held",
                    help="comma-separated violation kinds to report without failing (default deadline-held; '' for none)")
    ap.add_argument("--grace-operator", type=float, default=1.0, help="seconds after an operator is ready before its ticks must all run")
    ap.add_argument("--grace-api", type=float, default=None, help="seconds after an API outage before ticks must all run (default: --deadline)")
    ap.add_argument("--max-seconds", type=float, default=None, help="abort (failure) after this long in total (default 600, --full 1500)")
    ap.add_argument("--json", default=None, help="where to write the JSON result (default .build/chaos/chaos-<time>.json)")
    ap.add_argument("--report", nargs="?", const="", default=None, metavar="PATH",
                    help="also write a Markdown summary (machine, date, seed, faults, checks, violations, durations) to PATH; "
                         "without PATH: benchmarks/results/reliability-<UTC date>.md")
    ap.add_argument("--keep", action="store_true", help="keep the work folder (logs, etcd data) even when everything passes")
    flink_scenario.add_arguments(ap)
    args = ap.parse_args()
    full = args.full
    args.kills = args.kills if args.kills is not None else (30 if full else 12)
    args.catchup_kills = args.catchup_kills if args.catchup_kills is not None else (10 if full else 4)
    args.leader_kills = args.leader_kills if args.leader_kills is not None else (20 if full else 8)
    args.api_rounds = args.api_rounds if args.api_rounds is not None else (2 if full else 1)
    args.expiry_rounds = args.expiry_rounds if args.expiry_rounds is not None else (4 if full else 2)
    args.expiry_healthy = args.expiry_healthy if args.expiry_healthy is not None else (12 if full else 8)
    args.healthy = args.healthy if args.healthy is not None else (20 if full else 12)
    args.grace_api = args.grace_api if args.grace_api is not None else float(args.deadline)
    args.stall = args.stall if args.stall is not None else float(args.deadline)
    args.max_seconds = args.max_seconds if args.max_seconds is not None else (1500 if full else 900)
    args.kill_uptime = (1.0, 6.0)
    args.leader_uptime = (1.0, 4.0)
    args.finish_after = (1.0, 3.0)
    args.seed = args.seed if args.seed is not None else random.randrange(1 << 30)
    args.tolerate = {k.strip() for k in args.tolerate.split(",") if k.strip()}
    keys = [k.strip() for k in args.scenarios.split(",") if k.strip()]
    for k in keys:
        if k not in SCENARIOS:
            ap.error(f"unknown scenario {k!r} (known: {', '.join(SCENARIOS)})")
    if not os.access(args.sked, os.X_OK):
        print(f"chaos: {args.sked} is missing: build it first (swift build --product sked) or set SKED_BIN", file=sys.stderr)
        return 2
    if shutil.which("kubectl") is None:
        print("chaos: kubectl is not on PATH", file=sys.stderr)
        return 2
    json_path = args.json or os.path.join(REPO, ".build", "chaos", time.strftime("chaos-%Y%m%dT%H%M%SZ.json", time.gmtime()))

    def on_signal(signum, frame):
        raise Interrupted(signal.Signals(signum).name)
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGHUP, on_signal)
    signal.signal(signal.SIGINT, signal.default_int_handler)  # even when started in the background

    rng = random.Random(args.seed)
    suite = Suite(args)
    log(f"sked chaos suite: scenarios {', '.join(keys)}, seed {args.seed}, {'full' if full else 'quick'}; {args.sked}")
    results, error, rc = [], None, 0
    try:
        suite.setup()
        for k in keys:
            results.append(suite.run_scenario(k, rng))
    except (KeyboardInterrupt, Interrupted) as e:
        error = f"interrupted ({e})" if str(e) else "interrupted (SIGINT)"
        rc = 130
    except Abort as e:
        error = str(e)
        rc = 2
    except Exception:
        error = traceback.format_exc()
        rc = 2
    finally:
        suite.cleanup()
    total = time.time() - T0
    violations = sum(len(r["violations"]) for r in results)
    if rc == 0 and violations:
        rc = 1
    summary = {
        "suite": "sked fault injection (scripts/chaos/run.py)", "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "mode": "full" if full else "quick", "seed": args.seed, "sked": args.sked, "host": socket.gethostname(),
        "cpus": os.cpu_count(), "duration_s": round(total, 1), "error": error, "violations": violations,
        "scenarios": results, "work_folder": suite.work,
    }
    os.makedirs(os.path.dirname(os.path.abspath(json_path)), exist_ok=True)
    with open(json_path, "w") as f:
        json.dump(summary, f, indent=2, default=str)
    line = (f"== {len(results)} scenario(s), {sum(r['fault_count'] for r in results)} faults, "
            f"{sum(r['jobs'] for r in results)} Jobs, {sum(r['ticks'] for r in results)} ticks checked, "
            f"{violations} violation(s) in {total:.0f}s (seed {args.seed}); result {json_path}")
    print(line, flush=True)
    if args.report is not None:
        path = args.report or os.path.join(REPO, "benchmarks", "results", f"reliability-{summary['date'][:10]}.md")
        write_markdown_report(path, summary, args, line)
        print(f"== reliability report {path}", flush=True)
    if error:
        print(f"chaos: ERROR: {error}", file=sys.stderr)
    if rc == 0 and not args.keep:
        shutil.rmtree(suite.work, ignore_errors=True)
    else:
        print(f"chaos: logs and data kept in {suite.work}", file=sys.stderr)
    return rc


if __name__ == "__main__":
    sys.exit(main())
