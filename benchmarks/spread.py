"""3b. spread: N ScheduledJobs on one H schedule (issue #15)."""
import time

from harness.proc import log
from harness.times import iso, parse_time
from measure import first_jobs, lag_summary


def run(b, n):
    """N ScheduledJobs all on one `H` schedule: each fires every P minutes at the minute and
    second its namespace/name hashes to (`H H/P * * * *`; P = 1: `H * * * * *`), so N objects
    make about N/(60·P) Jobs a second instead of N at once. Every (ScheduledJob, cycle) of
    the measured cycles (P minutes each, aligned to minute 0) must give exactly one Job."""
    period = b.a.spread_period
    schedule = "H * * * * *" if period == 1 else f"H H/{period} * * * *"
    cycles, cycle_s = b.a.spread_cycles, 60 * period
    ns = f"sked-h{n}-{b.suffix}"
    w = b.watched_namespace(ns)
    p = b.start_sked(ns, f"h{n}")
    t_create = time.time()
    create_wall = b.create_scheduledjobs(ns, n, schedule)
    log(f"spread N={n}: created {n} ScheduledJobs in {create_wall:.2f}s")
    end, ready, items = time.time() + 120 + n / 10, 0, []
    while time.time() < end:
        items = b.api.list_all(f"/apis/sked.dev/v1alpha1/namespaces/{ns}/scheduledjobs", deadline=120)
        ready = sum(1 for o in items if (o.get("status") or {}).get("nextScheduleTime"))
        if ready >= n:
            break
        time.sleep(10)  # a LIST of every object costs the API server as much as the runs do
    t_ready = time.time()
    # Where the hash put each object: the second of its cycle of its next start.
    slots = [int(parse_time(o["status"]["nextScheduleTime"])) % cycle_s for o in items
             if (o.get("status") or {}).get("nextScheduleTime")]
    per_second = [0] * cycle_s
    for k in slots:
        per_second[k] += 1
    # Whole cycles from the first that begins 30 s after all are ready (the setup's burst of
    # first status writes is over by then).
    w0 = (int(t_ready + 30) // cycle_s + 1) * cycle_s
    w1 = w0 + cycle_s * cycles
    log(f"spread N={n}: {ready}/{n} ready {t_ready - t_create:.1f}s after creation began; per second of "
        f"the cycle {min(per_second)}..{max(per_second)}; measuring {iso(w0)} .. {iso(w1)}")
    deadline = w1 + b.a.sked_grace
    complete = False
    while time.time() < deadline:
        got = sum(1 for (_, st, _) in w.snapshot().values() if st is not None and w0 <= st < w1)
        if got >= n * cycles and time.time() > w1 + 1:
            complete = True
            break
        time.sleep(1)
    t_end = time.time()
    firsts, dup = first_jobs(w, lambda st: w0 <= st < w1)
    lags, per_cycle = [lag for _, lag in firsts], {c: [] for c in range(cycles)}
    for st, lag in firsts:
        per_cycle[int(st - w0) // cycle_s].append(lag)

    expected = n * cycles
    res = {"n": n, "schedule": schedule, "namespace": ns, "window": [iso(w0), iso(w1)], "cycles": cycles,
           "cycle_s": cycle_s,
           "expected_jobs": expected, "jobs": len(lags), "tick_share": round(len(lags) / expected, 4),
           "duplicates": dup, **lag_summary(lags), "complete": complete,
           "per_cycle": [{"cycle": iso(w0 + cycle_s * c), "jobs": len(v), **lag_summary(v)} for c, v in per_cycle.items()],
           "per_second_min": min(per_second), "per_second_max": max(per_second),
           "per_second_mean": round(len(slots) / cycle_s, 1), "create_wall_s": round(create_wall, 2),
           "ready_after_s": round(t_ready - t_create, 1), "ready": ready, "watch_reconnects": w.reconnects,
           "footprint_setup": p.window(t_create, w0 - 1), "footprint_ticks": p.window(w0 - 1, t_end),
           "sked_alive": p.alive()}
    return b.finish_sked(f"spread N={n}", res, w, p, ns, w0 - 1, t_end)
