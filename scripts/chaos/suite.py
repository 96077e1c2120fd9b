"""The Suite: one control plane for the whole run (scripts/control-plane.sh), and the course of
a Job scenario: namespace, Recorder and Finisher, the scenario's operators and faults, the
quiescing, the final state, the invariants (invariants.py) and the scenario's result."""
import collections
import json
import os
import signal
import subprocess
import tempfile
import time
import urllib.parse

from common import CONTROL_PLANE, CRD, FLINK_SECRETS, LABEL, LE_NAMESPACE, RBAC, T0, Abort
from finisher import Finisher
from harness.proc import log
from harness.times import hms
from invariants import analyse, operator_exits, split_tolerated, status_problems, violation
from kube import Api, jobs_path, sjs_path
from report import print_report
from scenario import POLICIES, Scenario
from scenarios import SCENARIOS
from watchers import JobRec, Recorder


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
        violations += operator_exits(exits, sc.unexpected_exits)
        if settled_after is None:
            violations.append(violation("status", None, sc.notes[-1]))
        violations, tolerated = split_tolerated(violations, args.tolerate)

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
        print_report(result)
        return result
