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
import json
import os
import random
import signal
import time

import hostile_corpus  # hostile JAR URLs on the real JobManager (issue #17)
from common import Abort
from flink.checks import TERMINAL, analyse
from flink.cluster import FlinkCluster, JarServer, JobsPoller
from flink.naming import fnv1a_hex, self_test
from flink.proxy import FaultProxy
from harness.proc import log
from harness.times import hms
from invariants import operator_exits, split_tolerated, violation
from kube import condition, sj_body, sjs_path
from scenario import Scenario, start_one_operator
from watchers import StatusWatch

ENTRY_CLASS = "dev.sked.testjob.TestJob"
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
        self.sc = Scenario(suite, key, title)
        suite.scenarios.append(self.sc)  # the suite's cleanup kills our operators by PID
        self.cluster = FlinkCluster(os.path.join(suite.work, "flink"))
        self.jm_outages = []  # dicts: t (kill), t_end (JobManager ready again), pid, incarnation
        self.proxy_phases = []  # dicts: t, t_end, name
        self.sked_kills = []  # dicts: t, t_end (replacement ready), held submission
        self.proxy = self.jars = self.poller = self.watch = self.hostile = None

    # -- setup and teardown
    def setup(self):
        self.cluster.start()
        log(f"  Flink session cluster ready: {self.cluster.url} (work folder {self.cluster.dir})")
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
                log(f"  stopping the Flink cluster: {e}")
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
            created = api.must("POST", sjs_path(ns), sj_body(ns, name, spec))
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
        log(f"  fault: {name}: {a.flink_error_share:.0%} of requests 502/503 unforwarded, {a.flink_ambiguous_share:.0%} "
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
        log(f"         {name}: {counts}")

    def jm_kill(self, i):
        self.poller.poll()  # the last look at this incarnation's jobs
        log(f"  fault: SIGKILL JobManager pid {self.cluster.pid('standalonesession')} (incarnation {self.cluster.incarnation}); "
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
        log(f"         cluster ready {t_end - t:.1f}s after the kill (incarnation {new}); every ScheduledJob Ready "
            + (f"{recovered:.1f}s later" if not stuck else f"NOT within 60s: {stuck}"))

    def sked_kill(self, i):
        self.proxy.arm_hold()
        try:
            if not self.proxy.held.wait(30):
                self.sked_kills.append({"t": time.time(), "t_end": None, "held": None})
                log("  !! no submission came through the proxy within 30s: operator not killed")
                return
            op = self.sc.running()[-1]
            op.kill()
            held = dict(self.proxy.held_info)
        finally:
            self.proxy.disarm_hold()
        log(f"  fault: SIGKILL operator pid {op.pid} while Flink's answer to {held['path']} (job {held['jobId']}, "
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
            st = {sj["metadata"]["name"]: sj for sj in self.suite.api.must("GET", sjs_path(self.sc.ns))["items"]}
            ready = {n: condition(sj, "Ready") for n, sj in st.items()}
            if all(c is not None and c.get("status") == "True" for c in ready.values()):
                return None
            self.sc.sleep(0.5)
        return {n: (c or {}).get("reason") for n, c in ready.items() if (c or {}).get("status") != "True"}

    # -- the whole scenario
    def run(self):
        t_begin = time.time()
        sc, args, api = self.sc, self.args, self.suite.api
        self_test()
        log(f"== scenario {self.key}: {self.title}")
        api.must("POST", "/api/v1/namespaces", {"metadata": {"name": sc.ns}}, ok=(201,))
        try:
            self.setup()
            self.watch = StatusWatch(api, sc.ns)
            self.watch.start()
            start_one_operator(sc, self.hostile.operator_args())
            self.create_sjs()
            t_created = time.time()
            log(f"  {len(sc.sjs)} Flink ScheduledJobs created (proxy {self.proxy.url} -> {self.cluster.url}); injecting faults")
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
            sjs_final = api.must("GET", sjs_path(sc.ns))["items"]
            try:
                events = api.must("GET", f"/api/v1/namespaces/{sc.ns}/events")["items"]
            except Abort:
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
                violations.append(violation("ready", None, f"not every ScheduledJob was Ready {args.converge:g}s after the last fault: {not_ready}"))
            violations += operator_exits(exits, sc.unexpected_exits)
        finally:
            self.teardown()
        violations, tolerated = split_tolerated(violations, args.tolerate)
        warn = collections.Counter(o.get("msg", "")[:80] for op in sc.operators for o in op.lines()
                                   if o.get("level") in ("warning", "error", "critical", "raw"))
        result = {
            "scenario": self.key, "title": self.title, "namespace": sc.ns, "seed": args.seed,
            "duration_s": round(time.time() - t_begin, 1), "fault_period_s": round(t_fault_end - t_created, 1),
            "faults": [{**f, "t": hms(f["t"]), "t_end": hms(f.get("t_end"))} for f in sc.faults],
            "fault_count": len(sc.faults), "jm_outage_s": [round(o["t_end"] - o["t"], 1) for o in self.jm_outages],
            "proxy": {f"{p}/{w}": n for (p, w), n in sorted(self.proxy.counts.items())},
            "ambiguous": [{**x, "t": hms(x["t"])} for x in self.proxy.ambiguous],
            "partitions": [{**x, "t": hms(x["t"]), "t_end": hms(x["t_end"])} for x in self.proxy.partitions],
            "sked_kills": [{**k, "t": hms(k["t"]), "t_end": hms(k.get("t_end"))} for k in self.sked_kills],
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
