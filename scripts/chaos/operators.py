"""One `sked operator` process of a scenario, and what its JSON log says about it."""
import json
import os
import signal
import subprocess
import time

from common import LE_NAMESPACE
from harness.proc import free_port
from harness.times import parse_time


class Operator:
    """One `sked operator` process; output in its own log file; stopped by PID."""

    def __init__(self, suite, scenario, index, extra):
        self.suite, self.scenario, self.index = suite, scenario, index
        self.log_path = os.path.join(suite.work, f"{scenario.key}-operator-{index}.log")
        self.metrics_port, self.health_port = free_port(), free_port()
        # Every scenario's operator (scenarios/flink.py's too) starts with these; `extra`, the
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

    def first_ready_after(self, t):
        for r in self.ready_times():
            if r is not None and r >= t:
                return r
        return None

    def leader_since_after(self, t):
        return self.first_ready_after(t) is not None

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
