"""The Finisher: plays the Job controller (there is no kubelet), marking each Job Complete."""
import collections
import heapq
import threading
import time

from harness.times import rfc3339
from kube import ApiDown, is_complete, jobs_path


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
