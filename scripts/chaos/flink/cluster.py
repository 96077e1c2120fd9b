"""The Flink session cluster of the `flink` scenario (scripts/flink-cluster.sh in its own folder),
the poller that records every job each JobManager incarnation reports, and the test JAR's server."""
import collections
import functools
import http.client
import http.server
import json
import os
import re
import shutil
import signal
import subprocess
import threading
import time
import urllib.parse

from common import REPO, Abort, Interrupted
from harness.proc import wait_gone

FLINK_CLUSTER = os.path.join(REPO, "scripts", "flink-cluster.sh")


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
                raise Abort(f"flink-cluster.sh {verb} took more than 180 s") from None
            except (KeyboardInterrupt, Interrupted) as e:
                pending = e
        if pending is not None:
            raise pending
        with open(out_path) as out, open(err_path) as err:
            stdout, stderr = out.read(), err.read()
        if proc.returncode != 0:
            raise Abort(f"flink-cluster.sh {verb} failed ({proc.returncode}): {stderr[-2500:]}")
        return stdout

    def start(self):
        out = self._script("start")
        m = re.search(r"SKED_TEST_FLINK_URL=(\S+)", out)
        if not m:
            raise Abort(f"flink-cluster.sh start printed no URL: {out[-500:]}")
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
            raise Abort(f"no {daemon} in {self.dir}/pids")
        os.kill(pid, signal.SIGKILL)
        t = time.time()
        if wait_gone(pid, 5):
            return pid, t
        raise Abort(f"{daemon} pid {pid} survived SIGKILL")

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
