"""Schedule lag from a Watcher's record: the first Job of each (object, scheduled time), lag
percentiles, and the wait for the expected Jobs."""
import time

from harness.times import iso, pct


def r3(x):
    return None if x is None else round(x, 3)


def lag_summary(v):
    return {"p50_s": r3(pct(v, 50)), "p99_s": r3(pct(v, 99)), "max_s": r3(max(v) if v else None)}


def first_jobs(watcher, keep):
    """[(scheduled time, lag)] of the first Job of each (ScheduledJob or CronJob, scheduled time)
    the watch saw, for the scheduled times `keep` accepts; and how many more there were (duplicates)."""
    seen, dup, out = set(), 0, []
    for name, (arr, st, owner) in watcher.snapshot().items():
        if st is None or not keep(st):
            continue
        key = (owner or name, st)
        if key in seen:
            dup += 1
            continue
        seen.add(key)
        out.append((st, arr - st))
    return out, dup


def analyse(watcher, ticks, n):
    """The measurement shared by sked and the reference: N objects on the same `ticks`."""
    tickset = set(ticks)
    firsts, dup = first_jobs(watcher, lambda st: st in tickset)
    lags, per_tick = [lag for _, lag in firsts], {t: [] for t in ticks}
    for st, lag in firsts:
        per_tick[st].append(lag)
    expected = n * len(ticks)

    def summ(v):
        return {**lag_summary(v), "min_s": r3(min(v) if v else None)}

    out = {"ticks": [iso(t) for t in ticks], "expected_jobs": expected, "jobs": len(lags),
           "tick_share": round(len(lags) / expected, 4) if expected else None, "duplicates": dup, **summ(lags),
           "per_tick": [{"tick": iso(t), "jobs": len(per_tick[t]), **summ(per_tick[t])} for t in ticks]}
    return out


def wait_jobs(watcher, ticks, n, deadline):
    want = n * len(ticks)
    tickset = set(ticks)
    while time.time() < deadline:
        got = sum(1 for (_, st, _) in watcher.snapshot().values() if st in tickset)
        if got >= want and time.time() > ticks[-1] + 1:
            return True
        time.sleep(0.5)
    return False
