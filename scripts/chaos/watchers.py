"""The suite's watchers: the Recorder remembers every sked Job that ever existed in a namespace
(so that Jobs deleted by Replace or history trimming are still accounted for), the StatusWatch
every status write of its ScheduledJobs (Ready transitions, active runs)."""
import collections
import re
import threading
import time
import urllib.parse

from common import LABEL
from harness.times import parse_time
from kube import ApiDown, is_complete, jobs_path, owner_uid, sjs_path


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


class StatusWatch(threading.Thread):
    """Every status write of the namespace's ScheduledJobs: Ready transitions and active runs."""

    def __init__(self, api, ns):
        super().__init__(daemon=True, name=f"sj-watch-{ns}")
        self.api, self.path = api, sjs_path(ns)
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
            except ApiDown:
                time.sleep(0.5)

    def timeline(self, name):
        with self.lock:
            return list(self.ready.get(name, []))
