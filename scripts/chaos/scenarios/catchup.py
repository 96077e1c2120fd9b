"""The `catchup` scenario (issue #15): catch-up after downtime, with `catchUp: {policy: All}`.

The usual ScheduledJobs (every 1 or 2 s, startingDeadlineSeconds 10), but Allow and Forbid only
(All does not go with Replace), all with `catchUp: {policy: All, maxRuns: 100}` (the window is
the starting deadline). The only operator is SIGKILLed and stays down for 2-5 s each time, so
every outage holds several ticks per ScheduledJob. The suite's invariants hold as for every
scenario (no duplicate, every tick a Job or counted missed, Forbid never overlaps, Jobs inside
the deadline). On top: an Allow ScheduledJob misses nothing (every tick of an outage is well
inside the window when the operator is back), which with the default Latest policy would be
every tick of an outage but the last.
"""
import time

from harness.proc import log
from kube import sjs_path

DOWN = (2.0, 5.0)


def scenario_catchup(sc, args, rng):
    sc.policies = ("Allow", "Forbid", "Allow")
    sc.spec_extra = {"catchUp": {"policy": "All", "maxRuns": 100}}
    sc.operator_args = ["--leader-elect=false"]
    op = sc.start_operator(sc.operator_args)
    sc.wait_for("the operator to be ready", op.is_ready, 60)
    yield "ready"
    sc.sleep(args.warmup)
    downs = []
    for i in range(args.catchup_kills):
        op = sc.running()[-1]
        sc.sleep(max(0.0, op.started_at + rng.uniform(3.0, 6.0) - time.time()))
        op.kill()
        down = rng.uniform(*DOWN)
        log(f"  fault {i + 1}/{args.catchup_kills}: SIGKILL operator pid {op.pid}; down for {down:.1f}s")
        sc.faults.append({"t": op.ended_at, "kind": "SIGKILL operator, downtime", "detail": f"pid {op.pid}, down {down:.1f}s"})
        sc.sleep(down)
        started = sc.start_operator(sc.operator_args)
        sc.faults[-1]["t_end"] = started.started_at
        downs.append(started.started_at - op.ended_at)
    op = sc.running()[-1]
    sc.wait_for("the last operator to be ready", op.is_ready, 60)
    sc.after_checks.append(lambda: check_nothing_missed(sc, downs))


def check_nothing_missed(sc, downs):
    """Allow ScheduledJobs with catchUp All: every tick of an outage ran (missedRuns 0)."""
    sjs = sc.suite.api.must("GET", sjs_path(sc.ns))["items"]
    allow = [sj for sj in sjs if sj["spec"].get("concurrencyPolicy") == "Allow"]
    missed = {sj["metadata"]["name"]: (sj.get("status") or {}).get("missedRuns") or 0 for sj in allow}
    caught = sum((sj.get("status") or {}).get("scheduledRuns") or 0 for sj in allow)
    for name, n in sorted(missed.items()):
        if n:
            sc.finding("catchup", name, f"catchUp All: {n} tick(s) counted missed although every outage ({', '.join(f'{d:.1f}s' for d in downs)}) was shorter than the window (startingDeadlineSeconds)")
    sc.lines.append(f"catchup     {len(allow)} Allow ScheduledJobs with catchUp All after {len(downs)} outages of "
                    f"{min(downs, default=0):.1f}-{max(downs, default=0):.1f}s: {sum(missed.values())} tick(s) missed, {caught} scheduled runs")
    sc.details["catchup"] = {"outages_s": [round(d, 1) for d in downs], "allow_missed": missed, "allow_scheduled_runs": caught}
