"""The `backfill` scenario (issue #15): a backfill during leader failovers.

The `leader` scenario's faults (two operators with leader election, the Lease holder SIGKILLed
again and again), and right after the ScheduledJobs are created each gets a
`sked.dev/backfill` request for the 10 s before its creation. Under Allow those ticks start at
once, under Forbid and Replace one after another, so the backfill is still going while leaders
die. Besides the suite's invariants (duplicates: one Job per tick and attempt, whichever leader
created it), each backfill must complete with exactly one Job for every tick in its range, and
status.backfill must say so.
"""
import time

from harness.proc import log
from harness.times import hms, parse_time, rfc3339
from kube import sjs_path
from scenarios.leader import scenario_leader

RANGE_S = 10


def scenario_backfill(sc, args, rng):
    steps = scenario_leader(sc, args, rng)
    yield next(steps)  # operators up; the runner creates the ScheduledJobs now
    requested = {}
    for name in sc.sjs:
        sj = sc.suite.api.must("GET", f"{sjs_path(sc.ns)}/{name}")
        created = int(parse_time(sj["metadata"]["creationTimestamp"]))
        start, end = created - RANGE_S, created - 1
        value = f"from={rfc3339(start)},to={rfc3339(end)}"
        sc.suite.api.must("PATCH", f"{sjs_path(sc.ns)}/{name}", {"metadata": {"annotations": {"sked.dev/backfill": value}}},
                          "application/merge-patch+json")
        period = sc.sjs[name]["period"]
        requested[name] = {"value": value, "ticks": [t for t in range(start, end + 1) if t % period == 0]}
    t0 = time.time()
    sc.faults.append({"t": t0, "t_end": t0, "kind": "backfill requested", "detail": f"{len(requested)} ScheduledJobs, the {RANGE_S} s before each one's creation"})
    log(f"  backfill requested on {len(requested)} ScheduledJobs ({RANGE_S} s before creation each)")
    for _ in steps:
        pass
    sc.after_checks.append(lambda: check_backfills(sc, requested))


def check_backfills(sc, requested):
    """Every requested tick has exactly one backfill Job (deleted ones included: the recorder
    saw every Job), and status.backfill completed with that count."""
    with sc.recorder.lock:
        jobs = [r for r in sc.recorder.jobs.values() if r.trigger == "backfill"]
    done = 0
    for name, req in sorted(requested.items()):
        sj = sc.suite.api.must("GET", f"{sjs_path(sc.ns)}/{name}")
        status = (sj.get("status") or {}).get("backfill") or {}
        mine = sorted(r.sched for r in jobs if r.sj == name and r.owner == sj["metadata"]["uid"] and r.attempt == 1)
        if status.get("request") != req["value"] or not status.get("completed") or status.get("error"):
            sc.finding("backfill", name, f"status.backfill is {status}, not the completed request {req['value']}")
            continue
        if mine != req["ticks"]:
            missing = sorted(set(req["ticks"]) - set(mine))
            extra = sorted(t for t in mine if t not in req["ticks"] or mine.count(t) > 1)
            sc.finding("backfill", name, f"backfill Jobs for {len(mine)} tick(s), {len(req['ticks'])} requested; "
                       f"missing {[hms(t) for t in missing]}, extra or doubled {[hms(t) for t in extra]}")
            continue
        if status.get("started") != len(req["ticks"]):
            sc.finding("backfill", name, f"status.backfill.started is {status.get('started')}, {len(req['ticks'])} Jobs ran")
            continue
        done += 1
    total = sum(len(r["ticks"]) for r in requested.values())
    sc.lines.append(f"backfill    {done}/{len(requested)} backfills complete with one Job per tick ({total} ticks) through "
                    f"{sum(1 for f in sc.faults if f['kind'] == 'SIGKILL leader')} leader kills")
    sc.details["backfill"] = {"complete": done, "requested": len(requested), "ticks": total}
