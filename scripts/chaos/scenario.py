"""A scenario's state (namespace, operators, faults, findings) and what scenarios do with it."""
import json
import time

from common import Abort, LE_NAMESPACE
from harness.proc import log
from harness.times import hms
from kube import ApiDown, job_template, sj_body, sjs_path
from operators import Operator

POLICIES = ("Allow", "Forbid", "Replace")


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


LE_FAST = ["--leader-elect=true", "--leader-election-lease-duration", "4s", "--leader-election-renew-deadline", "3s",
           "--leader-election-retry-period", "1s"]


def start_one_operator(sc, extra=()):
    """One operator without leader election, waited for until it reconciles."""
    sc.operator_args = ["--leader-elect=false", *extra]
    op = sc.start_operator(sc.operator_args)
    sc.wait_for("the operator to be ready", op.is_ready, 60)
    return op
