#!/usr/bin/env python3
"""Spread benchmark (issue #15): N ScheduledJobs on an `H` schedule, one local API server.

N ScheduledJobs (default 10,000) on "H * * * * *": each fires once a minute, at a second its
namespace/name hashes to, so about N/60 Jobs are due every second instead of N on one second.
Measured over --minutes minutes after every ScheduledJob has status.nextScheduleTime:

  lag      arrival of each Job's ADDED watch event (this process, loopback) minus its
           scheduled time (annotation sked.dev/scheduled-time), p50 / p99 / max
  spread   Jobs due per second: mean and the busiest second (how evenly H spread them)
  share    Jobs that arrived / ticks due in the window

Compare with bench.py's same-second figure for N = 1,000 (README, "Performance"): the claim is
that 10,000 spread ScheduledJobs keep that lag. Uses bench.py's control plane, watcher and sked
process helpers; every process it starts is stopped by PID on exit, Ctrl-C or error.

    python3 benchmarks/spread.py --n 10000 --minutes 2
"""
import argparse
import collections
import json
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import bench  # noqa: E402
from bench import Bench, Watcher, job_template, log, parallel, pct, sked_sched_time  # noqa: E402

SCHEDULE = "H * * * * *"


def run(b, a):
    ns = f"spread-n{a.n}-{b.suffix}"
    b.api.ensure_ns(ns)
    w = Watcher(b.api, ns, sked_sched_time)
    w.start()
    w.started.wait(10)
    p = b.start_sked(ns, f"spread-n{a.n}")
    t_create = time.time()

    def create(i):
        b.api.req("POST", f"/apis/sked.dev/v1alpha1/namespaces/{ns}/scheduledjobs", {
            "apiVersion": "sked.dev/v1alpha1", "kind": "ScheduledJob", "metadata": {"name": f"sj-{i:05d}"},
            "spec": {"schedule": SCHEDULE, "concurrencyPolicy": "Allow", "successfulRunsHistoryLimit": 2,
                     "failedRunsHistoryLimit": 2, "jobTemplate": job_template()}})

    create_wall = parallel(a.n, create, a.create_concurrency)
    log(f"spread N={a.n}: created {a.n} ScheduledJobs in {create_wall:.1f}s")
    end = time.time() + 120 + a.n / 20
    ready = 0
    nexts = {}
    while time.time() < end:
        items = b.api.list_all(f"/apis/sked.dev/v1alpha1/namespaces/{ns}/scheduledjobs", deadline=120)
        nexts = {o["metadata"]["name"]: (o.get("status") or {}).get("nextScheduleTime") for o in items}
        ready = sum(1 for v in nexts.values() if v)
        if ready >= a.n:
            break
        time.sleep(2)
    t_ready = time.time()
    log(f"spread N={a.n}: {ready}/{a.n} ready {t_ready - t_create:.1f}s after creation began")
    # The window: whole minutes after everything is ready, so every ScheduledJob has a tick in each.
    start = (int(t_ready) // 60 + 1) * 60
    stop = start + 60 * a.minutes
    log(f"spread N={a.n}: measuring ticks {bench.iso(start)} .. {bench.iso(stop)}")
    while time.time() < stop + a.grace:
        time.sleep(1)
    added = w.snapshot()
    lags = [arrival - sched for arrival, sched, _ in added.values() if sched is not None and start <= sched < stop]
    due = collections.Counter(int(sched) for _, sched, _ in added.values() if sched is not None and start <= sched < stop)
    expected = a.n * a.minutes
    res = {"n": a.n, "schedule": SCHEDULE, "minutes": a.minutes, "window": [bench.iso(start), bench.iso(stop)],
           "create_wall_s": round(create_wall, 1), "ready_after_s": round(t_ready - t_create, 1), "ready": ready,
           "jobs_in_window": len(lags), "expected": expected, "share": round(len(lags) / expected, 4) if expected else None,
           "lag_p50_s": bench.r3(pct(lags, 50)), "lag_p99_s": bench.r3(pct(lags, 99)), "lag_max_s": bench.r3(max(lags, default=None) if lags else None),
           "due_per_second_mean": round(len(lags) / (60 * a.minutes), 1), "due_busiest_second": max(due.values(), default=0),
           "distinct_seconds": len({s % 60 for s in due}), "sked_alive": p.alive(), "watch_reconnects": w.reconnects,
           "sked_footprint": p.window(start, stop)}
    res.update(b.cp_footprint(start, stop))
    w.stop()
    b.stop_proc(p)
    b.delete_ns_contents(ns)
    return res


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=10000)
    ap.add_argument("--minutes", type=int, default=2)
    ap.add_argument("--grace", type=float, default=30, help="seconds after the window to wait for late Jobs")
    ap.add_argument("--create-concurrency", type=int, default=24)
    ap.add_argument("--workers", type=int, default=16)
    ap.add_argument("--sked-args", default="")
    ap.add_argument("--sked-env", action="append", default=[])
    ap.add_argument("--sked-bin", default=os.path.join(bench.REPO, ".build-release/release/sked"))
    ap.add_argument("--out", default=os.path.join(HERE, "results"))
    a = ap.parse_args()
    b = Bench(a)
    try:
        b.start_control_plane()
        res = run(b, a)
    finally:
        b.cleanup()
    res["started"] = b.stamp
    path = os.path.join(a.out, f"{b.stamp}-spread.json")
    os.makedirs(a.out, exist_ok=True)
    with open(path, "w") as f:
        json.dump(res, f, indent=1)
    log(f"spread N={a.n}: lag p50 {res['lag_p50_s']}s p99 {res['lag_p99_s']}s max {res['lag_max_s']}s; "
        f"{res['jobs_in_window']}/{res['expected']} Jobs; {res['due_per_second_mean']}/s due on average, busiest second "
        f"{res['due_busiest_second']}, {res['distinct_seconds']} distinct seconds; written {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
