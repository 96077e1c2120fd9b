"""The `flink` scenario's fault-injecting HTTP proxy between sked and the JobManager's REST port."""
import collections
import http.client
import http.server
import json
import re
import threading
import time

HOP_BY_HOP = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailers",
              "transfer-encoding", "upgrade", "content-length", "host"}
RUN_PATH = re.compile(r"^/jars/[^/]+/run$")


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
