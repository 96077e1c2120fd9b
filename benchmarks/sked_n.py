"""sked's idle footprint, and sked with N ScheduledJobs all firing on the same ticks."""
import time

from harness.proc import log
from harness.times import iso
from measure import analyse, wait_jobs


def idle(b):
    """2. idle: sked with nothing to do, RSS and CPU seconds over --idle seconds."""
    ns = f"sked-idle-{b.suffix}"
    b.api.ensure_ns(ns)
    p = b.start_sked(ns, "idle")
    t0 = time.time()
    time.sleep(b.a.idle)
    fp = p.window(t0, time.time())
    b.stop_proc(p)
    fp["idle_s"] = b.a.idle
    b.result["sked_idle"] = fp
    log(f"sked idle {b.a.idle}s: {fp}")


def run(b, n):
    """3. sked: N ScheduledJobs on "0,20,40 * * * * *", measured over --ticks ticks."""
    period = 20
    ns = f"sked-n{n}-{b.suffix}"
    w = b.watched_namespace(ns)
    p = b.start_sked(ns, f"n{n}")
    t_ready_proc = time.time()
    # Start creating just after a tick so creation and readiness get the whole period.
    while time.time() % period < 1 or time.time() % period > 2:
        time.sleep(0.1)
    t_create = time.time()
    create_wall = b.create_scheduledjobs(ns, n, "0,20,40 * * * * *")
    log(f"sked N={n}: created {n} ScheduledJobs in {create_wall:.2f}s")
    end = time.time() + 60 + n / 10
    ready = 0
    while time.time() < end:
        items = b.api.list_all(f"/apis/sked.dev/v1alpha1/namespaces/{ns}/scheduledjobs")
        ready = sum(1 for o in items if (o.get("status") or {}).get("nextScheduleTime"))
        if ready >= n:
            break
        time.sleep(1)
    t_ready = time.time()
    if ready < n:
        log(f"sked N={n}: only {ready}/{n} have status.nextScheduleTime after {t_ready - t_create:.0f}s")
    first = (int(t_ready) // period + 1) * period
    ticks = [float(first + k * period) for k in range(b.a.ticks)]
    log(f"sked N={n}: {ready}/{n} ready {t_ready - t_create:.1f}s after creation began; measuring ticks "
        f"{iso(ticks[0])} .. {iso(ticks[-1])}")
    complete = wait_jobs(w, ticks, n, ticks[-1] + b.a.sked_grace)
    t_end = time.time()
    res = analyse(w, ticks, n)
    res.update({"n": n, "namespace": ns, "create_wall_s": round(create_wall, 2),
                "ready_after_s": round(t_ready - t_create, 1), "ready": ready, "complete": complete,
                "watch_reconnects": w.reconnects,
                "footprint_before_load": p.window(t_ready_proc, t_create),
                "footprint_setup": p.window(t_create, ticks[0] - 1),
                "footprint_ticks": p.window(ticks[0] - 1, t_end)})
    res["sked_alive"] = p.alive()
    return b.finish_sked(f"sked N={n}", res, w, p, ns, ticks[0] - 1, t_end)
