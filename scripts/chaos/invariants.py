"""The invariants of the Job scenarios (run.py's docstring and scripts/chaos/README.md say what
each one means), one function each, run by analyse() on a scenario's final state: the API
server's ScheduledJobs and Jobs, plus the Recorder's record of every Job that ever existed.
What a check finds is a violation ({kind, scheduledJob, message}) or a note (not a violation)."""
import collections
import re

from harness.times import hms, parse_time, pct, rfc3339
from kube import is_complete, owner_uid


def violation(kind, sj, message):
    return {"kind": kind, "scheduledJob": sj, "message": message}


def split_tolerated(violations, tolerate):
    """(violations, tolerated): the kinds in `tolerate` (--tolerate) are reported without failing."""
    return [x for x in violations if x["kind"] not in tolerate], [x for x in violations if x["kind"] in tolerate]


def operator_exits(exits, unexpected_exits):
    """operator: no operator exits on its own (crash), and SIGTERM exits 0."""
    out = [violation("operator", None, f"SIGTERM exit status {rc}, not 0") for rc in exits if rc != 0]
    for u in unexpected_exits:
        out.append(violation("operator", None, f"operator pid {u['pid']} exited by itself with {u['exit']} at {u['at']}: "
                                               f"{u['log_tail']}"))
    return out


def subtract(spans, cuts):
    """The parts of `spans` (list of (a, b)) outside every interval in `cuts`."""
    out = []
    for a, b in spans:
        pieces = [(a, b)]
        for c, d in cuts:
            nxt = []
            for x, y in pieces:
                if d <= x or y <= c:
                    nxt.append((x, y))
                    continue
                if x < c:
                    nxt.append((x, c))
                if d < y:
                    nxt.append((d, y))
            pieces = nxt
        out.extend(pieces)
    return sorted((a, b) for a, b in out if b > a)


def ticks_between(after, until, period):
    """Ticks of "*/period * * * * *" (period divides 60) with after < t <= until (epoch seconds)."""
    t = (int(after) // period + 1) * period
    out = []
    while t <= until:
        out.append(t)
        t += period
    return out


def status_problems(sj, jobs_now):
    """Differences between a ScheduledJob's status and the Jobs that exist (list of strings)."""
    st = sj.get("status") or {}
    uid = sj["metadata"]["uid"]
    mine = [j for j in jobs_now if owner_uid(j) == uid]
    unfinished = sorted(j["metadata"]["name"] for j in mine if not is_complete(j))
    finished = sorted(j["metadata"]["name"] for j in mine if is_complete(j))
    active = sorted(a["name"] for a in st.get("active") or [])
    out = []
    if active != unfinished:
        out.append(f"status.active {active} != unfinished Jobs {unfinished}")
    if (st.get("activeRuns") or 0) != len(active):
        out.append(f"status.activeRuns {st.get('activeRuns')} != {len(active)} active")
    hist = {h["name"]: h for h in st.get("history") or []}
    for n in finished:
        if n not in hist:
            out.append(f"finished Job {n} is not in status.history")
        elif hist[n].get("result") != "Succeeded":
            out.append(f"finished Job {n} is {hist[n].get('result')} in status.history, not Succeeded")
    existing = {j["metadata"]["name"] for j in mine}
    for n, h in hist.items():
        if h.get("result") == "Succeeded" and n not in existing:
            out.append(f"status.history has Succeeded {n} but the Job is gone")
        if h.get("result") == "Cancelled" and n in existing:
            out.append(f"status.history has Cancelled {n} but the Job still exists")
    return out


def healthy_spans(sc, args, until):
    """When sked should be keeping up: an operator reconciling (from its log: `ready` until lost
    leadership, drain or our kill) for at least --grace-operator s, and the API reachable for at
    least --grace-api s. Faults are ours, so their times are exact."""
    spans = [(a + args.grace_operator, min(b, until)) for op in sc.operators for a, b in op.intervals()]
    merged = []
    for a, b in sorted(x for x in spans if x[1] > x[0]):
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], b))
        else:
            merged.append((a, b))
    return subtract(merged, [(a, b + args.grace_api) for a, b in sc.api_outages])


class Checks:
    """One scenario's analysis: what every check reads (the scenario, the options, when healthy)
    and where it writes (violations, notes, schedule lags)."""

    def __init__(self, sc, args, t_suspend, events):
        self.sc, self.args, self.t_suspend = sc, args, t_suspend
        self.violations, self.notes = [], []
        self.lags, self.lags_healthy = [], []
        self.events_by_sj = collections.defaultdict(list)
        for e in events:
            if e.get("reason") == "MissedSchedule":
                self.events_by_sj[(e.get("involvedObject") or {}).get("name")].append(e)
        self.healthy = healthy_spans(sc, args, t_suspend)

    def v(self, kind, sj, msg):
        self.violations.append(violation(kind, sj, msg))


class Subject:
    """One ScheduledJob as the checks see it: its final object, and the Jobs recorded for it
    (`recs`: every Job with its label; `mine`: those it controls)."""

    def __init__(self, sc, sj, recs):
        self.sj = sj
        self.name = name = sj["metadata"]["name"]
        self.uid = sj["metadata"]["uid"]
        self.policy, self.period = sc.sjs[name]["policy"], sc.sjs[name]["period"]
        self.st = sj.get("status") or {}
        self.created = int(parse_time(sj["metadata"]["creationTimestamp"]))
        self.last = parse_time(self.st.get("lastScheduleTime"))
        self.missed = self.st.get("missedRuns") or 0
        self.recs = recs
        self.mine = [r for r in recs if r.owner == self.uid]


def ownership(c, s):
    """ownership: every Job with the ScheduledJob's label is controlled by it."""
    name, uid, v = s.name, s.uid, c.v
    for r in s.recs:
        if r.owner != uid:
            v("ownership", name, f"Job {r.name} carries the label but is not controlled by the ScheduledJob")


def duplicates(c, s):
    """duplicates: no two Jobs (distinct uids, one of them possibly deleted since) for one
    (scheduled time, attempt)."""
    name, mine, v = s.name, s.mine, c.v
    keyed = collections.defaultdict(list)
    for r in mine:
        keyed[(r.sched, r.attempt)].append(r)
    for (sched, attempt), rs in sorted(keyed.items(), key=lambda kv: (kv[0][0] or 0, kv[0][1])):
        if len(rs) > 1:
            v("duplicate", name, f"{len(rs)} Jobs for tick {rfc3339(sched)} attempt {attempt}: "
              + ", ".join(f"{r.name} uid {r.uid[:8]} seen {hms(r.seen_at)}" + (f" deleted {hms(r.deleted_at)}" if r.deleted_at else "") for r in rs))


def schedule(c, s):
    """schedule, trigger, deadline, deadline-held: every Job is a first scheduled attempt for a
    tick after the creation, created within startingDeadlineSeconds; collects the lags."""
    name, mine, period, created, v = s.name, s.mine, s.period, s.created, c.v
    sc, D, healthy, lags, lags_healthy = c.sc, c.args.deadline, c.healthy, c.lags, c.lags_healthy
    for r in mine:
        if r.trigger == "backfill":  # ticks before creation, on request: the backfill scenario checks them
            continue
        if r.trigger != "schedule" or r.attempt != 1:
            v("trigger", name, f"Job {r.name} has trigger {r.trigger} attempt {r.attempt} (only scheduled first attempts expected)")
        if r.sched is None or r.sched % period != 0 or r.sched <= created:
            v("schedule", name, f"Job {r.name} is for {r.sched and rfc3339(r.sched)}, not a tick after creation {rfc3339(created)}")
            continue
        if r.created is not None and r.created - r.sched > D + 1:
            # A create sent before the deadline to an API server that was then SIGSTOPped
            # sits in its socket and is served on SIGCONT: no client can take it back.
            held = [(a, b) for a, b in sc.pauses if b and a <= r.sched + D and b >= r.sched and b - 1 <= r.created <= b + 3]
            if held:
                v("deadline-held", name, f"Job {r.name} (tick {hms(r.sched)}) created at {hms(r.created)}, {r.created - r.sched:.0f}s after "
                  f"its tick, as kube-apiserver resumed from SIGSTOP ({hms(held[0][0])} to {hms(held[0][1])}): beyond "
                  f"startingDeadlineSeconds={D}, by a request the stopped server held")
            else:
                v("deadline", name, f"Job {r.name} (tick {hms(r.sched)}) created at {hms(r.created)}, {r.created - r.sched:.0f}s after its tick: "
                  f"beyond startingDeadlineSeconds={D}")
        lag = r.seen_at - r.sched
        if r.rv_created is not None:  # seen by the watch as it was created, so seen_at is exact
            lags.append(lag)
            if any(a <= r.sched and r.sched + period <= b for a, b in healthy):
                lags_healthy.append(lag)


def no_job(c, s):
    """no-job: status.history / status.active name no run for a tick that never had a Job.
    Returns the ticks that ran (with a Job, or a run the status records that the watcher
    missed) and the status's runs that never had a Job."""
    name, mine, st, v, notes = s.name, s.mine, s.st, c.v, c.notes
    ran = {r.sched for r in mine if r.sched is not None}
    # Runs the status records that the watcher never saw as Jobs. Succeeded, Cancelled and
    # active runs were Jobs (sked saw them): the watcher missed them (a Job created and
    # deleted while it was reconnecting); they ran. A Failed run without a Job is a run
    # that never started (nothing fails a Job here: the finisher only completes them).
    unseen_runs = [(h, h.get("result")) for h in st.get("history") or []] + [(a, "active") for a in st.get("active") or []]
    unseen_runs = [(x, res) for x, res in unseen_runs if x.get("scheduledTime") and int(parse_time(x["scheduledTime"])) not in ran]
    never = [(x, res) for x, res in unseen_runs if res == "Failed"]
    if never:
        v("no-job", name, "status.history records run(s) that never had a Job (the tick is lost; accounted as a failed run): "
          + "; ".join(f"{x['name']} (tick {hms(parse_time(x['scheduledTime']))}, recorded done {hms(parse_time(x.get('completionTime')))}) "
                      f"{res}: {(x.get('message') or '')[:240]}" for x, res in never))
    missed_by_watcher = [x["name"] for x, res in unseen_runs if res != "Failed"]
    if missed_by_watcher:
        notes.append(f"{name}: the watcher missed Job(s) {', '.join(missed_by_watcher)} (status records them); counted as ran")
        ran |= {int(parse_time(x["scheduledTime"])) for x, res in unseen_runs if res != "Failed"}
    return ran, never


def raced_with_suspend(c, s, ran):
    """The runs that started as the ScheduledJob was suspended (noted; left out of the accounting)."""
    sc, name, sj, st, last, notes = c.sc, s.name, s.sj, s.st, s.last, c.notes
    # A run started just as we suspended, whose status write then lost to our suspend
    # patch (409): the retry sees a suspended ScheduledJob, which plans no ticks, so
    # lastScheduleTime (and missedRuns) stay behind that run until it is resumed. Such runs
    # are left out of the accounting (they ran: that is all there is to check) and noted.
    suspended_at = sc.sjs[name].get("suspended_at")
    raced = sorted(t for t in ran if (last is None or t > last) and sj["spec"].get("suspend")
                   and suspended_at is not None and t <= suspended_at + 0.5)
    if raced:
        notes.append(f"{name}: run for {', '.join(rfc3339(t) for t in raced)} started as it was being suspended; "
                     f"status.lastScheduleTime stays {st.get('lastScheduleTime')} (its status write lost to the suspend)")
    return raced


def after_last_schedule(c, s, ran, raced):
    """status: no Job for a tick after status.lastScheduleTime."""
    name, st, last, v = s.name, s.st, s.last, c.v
    after_last = sorted(t for t in ran if (last is None or t > last) and t not in raced)
    if after_last:
        v("status", name, f"Jobs for ticks after status.lastScheduleTime {st.get('lastScheduleTime')}: "
          + ", ".join(rfc3339(t) for t in after_last))


def accounting(c, s, ran, never, raced):
    """accounting: every tick in (creation, lastScheduleTime] ran or is counted missed, once
    (#ticks == #ticks-with-a-Job + missedRuns). Returns the ticks."""
    name, mine, st, period, created, last, missed, v = s.name, s.mine, s.st, s.period, s.created, s.last, s.missed, c.v
    events_by_sj = c.events_by_sj
    ticks = ticks_between(created, last, period) if last is not None else []
    tickset = set(ticks)
    # sked accounts a run it failed to start as a Failed run: reported above (no-job), and
    # counted as accounted here so that this check stays about counting.
    ran_in = (ran | {int(parse_time(x["scheduledTime"])) for x, _ in never}) & tickset
    lost = len(ticks) - len(ran_in) - missed
    if lost > 0:
        without = sorted(tickset - ran)
        v("accounting", name, f"{lost} tick(s) neither ran nor counted: {len(ticks)} ticks in "
          f"({rfc3339(created)}, {st.get('lastScheduleTime')}], {len(ran_in)} with a Job, missedRuns {missed}; "
          f"ticks without a Job: {[hms(t) for t in without][:30]}")
    elif lost < 0:
        # Which tick: the MissedSchedule Events say which ranges sked counted as skipped
        # (best effort: Events are aggregated and rate-limited).
        hint = []
        for e in events_by_sj.get(name, []):
            m = re.search(r"Skipped (\d+) earlier run\(s\) after (\S+); starting only the most recent one, scheduled at (\S+)", e.get("message", ""))
            if not m:
                continue
            lo_t, hi_t = parse_time(m.group(2)), parse_time(m.group(3))
            inside = [r for r in mine if r.sched is not None and lo_t < r.sched < hi_t]
            # The Event counted these Jobs' ticks too when its count exceeds the ticks without a Job.
            if inside and int(m.group(1)) > len(ticks_between(lo_t, hi_t - 1, period)) - len({r.sched for r in inside}):
                hint += [f"Job {r.name} (created {hms(r.created)}, rv {r.rv_created}) is inside Event '{m.group(0)}' "
                         f"(that reconcile did not see it)" for r in inside]
        v("accounting", name, f"{-lost} tick(s) counted twice: {len(ticks)} ticks in ({rfc3339(created)}, "
          f"{st.get('lastScheduleTime')}], {len(ran_in)} with a Job, missedRuns {missed}"
          + (": " + "; ".join(hint) if hint else ""))
    return ticks


def forbid(c, s):
    """forbid: a Forbid ScheduledJob never had two active runs."""
    name, mine, policy, v = s.name, s.mine, s.policy, c.v
    # Forbid: each Job created (etcd revision of its creation) after the previous one was
    # completed (revision of the finisher's write); revisions are a total order.
    if policy == "Forbid":
        # Creation order: creationTimestamp (whole seconds; a Forbid run lives >= 1 s, so two
        # runs share a second only when they overlap), then the exact creation revision.
        order = sorted(mine, key=lambda r: (r.created or 0, r.rv_created if r.rv_created is not None else float("inf")))
        for a, b in zip(order, order[1:]):
            if a.complete_rv is None:
                v("forbid", name, f"{b.name} was created while {a.name} was never completed")
            elif b.rv_created is not None:
                if b.rv_created < a.complete_rv:
                    v("forbid", name, f"{b.name} created (rv {b.rv_created}, {hms(b.seen_at)}) while {a.name} was active "
                      f"(completed at rv {a.complete_rv}, {hms(a.complete_at)})")
            elif b.created is not None and a.finish_sent_at is not None and b.created + 1 < a.finish_sent_at:
                v("forbid", name, f"{b.name} created {hms(b.created)} before {a.name} was completed ({hms(a.finish_sent_at)})")


def liveness(c, s, ran):
    """Returns the longest healthy time without a new Job, and the ticks skipped while healthy."""
    name, mine, policy, period, created, v = s.name, s.mine, s.policy, s.period, s.created, c.v
    args, healthy, t_suspend = c.args, c.healthy, c.t_suspend
    # liveness: inside healthy periods no ScheduledJob goes --stall seconds without a new Job
    # (Forbid: without a new Job or an active run). Per tick this cannot be demanded: a
    # reconcile more than one period late (a loaded machine) legitimately skips a tick and
    # counts it missed; those ticks are reported as "skipped while healthy".
    lo = created + 1.0
    spans = [(max(a, lo), b) for a, b in healthy if b > lo]
    covered = [(r.seen_at, r.complete_at if r.complete_at is not None else float("inf")) for r in mine] if policy == "Forbid" else []
    points = sorted(r.seen_at for r in mine)
    longest, where = 0.0, None
    for a, b in subtract(spans, covered):
        inner = [a] + [p for p in points if a < p < b] + [b]
        for x, y in zip(inner, inner[1:]):
            if y - x > longest:
                longest, where = y - x, (x, y)
    if longest >= args.stall:
        v("liveness", name, f"no new Job for {longest:.1f}s ({hms(where[0])} to {hms(where[1])}) although an operator had been "
          f"reconciling for {args.grace_operator:g}s+ and the API up for {args.grace_api:g}s+"
          + ("" if policy != "Forbid" else " and no run was active"))
    skipped = 0
    if policy != "Forbid":
        for t in ticks_between(created, t_suspend - period, period):
            if t not in ran and any(a <= t - 0.5 and t + period <= b for a, b in healthy):
                skipped += 1
    return longest, skipped


def status(c, s, jobs):
    """status: after settling, the ScheduledJob's status agrees with the Jobs that exist."""
    for p in status_problems(s.sj, jobs):
        c.v("status", s.name, p)


def recovery(sc, by_sj):
    """How long each fault stopped new runs (fault["no_new_runs_s"], from its start, and
    fault["resumed_s"], from its end): until every Allow ScheduledJob had a Job again."""
    allow = [n for n, s in sc.sjs.items() if s["policy"] == "Allow"]
    for f in sc.faults:
        t = f["t"]
        firsts = []
        for n in allow:
            after = [r.seen_at for r in by_sj.get(n, []) if r.seen_at > t]
            firsts.append(min(after) - t if after else None)
        f["no_new_runs_s"] = None if None in firsts or not firsts else round(max(firsts), 2)
        end = f.get("t_end", t)
        resumed = []
        for n in allow:
            after = [r.seen_at for r in by_sj.get(n, []) if r.seen_at > end]
            resumed.append(min(after) - end if after else None)
        f["resumed_s"] = None if None in resumed or not resumed else round(max(resumed), 2)


def analyse(sc, sjs_final, jobs_final, recs, t_suspend, args, events=()):
    """All invariants; returns (violations, per-SJ stats, totals, notes, stats)."""
    c = Checks(sc, args, t_suspend, events)
    totals = collections.Counter()
    per_sj = {}
    by_sj = collections.defaultdict(list)
    for r in recs:
        by_sj[r.sj].append(r)
    jobs_by_owner = collections.defaultdict(list)
    for j in jobs_final:
        jobs_by_owner[owner_uid(j)].append(j)

    for sj in sjs_final:
        s = Subject(sc, sj, by_sj.get(sj["metadata"]["name"], []))
        name, policy, period, st, mine, missed = s.name, s.policy, s.period, s.st, s.mine, s.missed
        ownership(c, s)
        duplicates(c, s)
        schedule(c, s)
        ran, never = no_job(c, s)
        raced = raced_with_suspend(c, s, ran)
        after_last_schedule(c, s, ran, raced)
        ticks = accounting(c, s, ran, never, raced)
        forbid(c, s)
        longest, skipped = liveness(c, s, ran)
        status(c, s, jobs_by_owner.get(s.uid, []))

        deleted = sum(1 for r in mine if r.deleted_at)
        per_sj[name] = {"policy": policy, "period": period, "ticks": len(ticks), "jobs": len(mine), "jobs_deleted": deleted,
                        "missedRuns": missed, "lastScheduleTime": st.get("lastScheduleTime"),
                        "longest_healthy_gap_s": round(longest, 2), "skipped_while_healthy": skipped}
        totals["ticks"] += len(ticks)
        totals["jobs"] += len(mine)
        totals["missed"] += missed
        totals[f"jobs_{policy}"] += len(mine)
        totals["jobs_deleted"] += deleted
        totals["skipped_healthy"] += skipped
        totals["healthy_gap_max"] = max(totals["healthy_gap_max"], longest)

    recovery(sc, by_sj)
    lags, lags_healthy, healthy = c.lags, c.lags_healthy, c.healthy
    stats = {
        "schedule_lag_s": {"p50": pct(lags, 50), "p99": pct(lags, 99), "max": max(lags) if lags else None, "n": len(lags)},
        "schedule_lag_healthy_s": {"p50": pct(lags_healthy, 50), "p99": pct(lags_healthy, 99),
                                   "max": max(lags_healthy) if lags_healthy else None, "n": len(lags_healthy)},
        "healthy_s": round(sum(b - a for a, b in healthy), 1),
    }
    return c.violations, per_sj, totals, c.notes, stats
