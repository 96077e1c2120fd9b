"""The `flink` scenario's invariants, on Flink's record (every job of every JobManager
incarnation) and the ScheduledJobs' final status (see scripts/chaos/README.md)."""
import collections
import re

from flink.naming import flink_job_id, run_name
from harness.times import hms, parse_time
from invariants import violation

TERMINAL = {"FINISHED": "Succeeded", "FAILED": "Failed", "CANCELED": "Cancelled"}
START_WITHIN = 5.0  # a tick must have its Flink job this soon when nothing is failing (--stall for Flink)
POLL_SLACK = 3.0  # how late sked may notice that a Flink job ended (fresh runs are polled every 2 s)


def analyse(fr, sjs_final, jobs, ready, events, t_stop):
    """The invariants, on Flink's record (every job of every JobManager incarnation) and the
    ScheduledJobs' final status. Returns (violations, notes, per-ScheduledJob stats, totals)."""
    sc, args = fr.sc, fr.args
    D = args.flink_deadline
    violations, notes = [], []
    v = lambda kind, sj, msg: violations.append(violation(kind, sj, msg))  # noqa: E731
    deaths = fr.cluster.deaths
    killed_at = {o["incarnation"]: o["t"] for o in fr.jm_outages}
    current = fr.cluster.incarnation

    # Faults that did not happen fail the scenario: the checks below would prove nothing.
    for p in fr.proxy_phases:
        c = p["counts"]
        injected = sum(n for k, n in c.items() if k.startswith(("502", "503")))
        amb_runs = c.get("ambiguous-run", 0)
        if injected == 0 or amb_runs < args.flink_ambiguous_runs:
            v("fault", None, f"{p['name']} injected {injected} unforwarded 5xx and {amb_runs} forwarded-then-503 submissions "
              f"(want >= 1 and >= {args.flink_ambiguous_runs}): {c}")
        if args.flink_partition > 0 and (p["partition"] is None or c.get("503-partition", 0) == 0):
            v("fault", None, f"{p['name']}: no partition after a forwarded-then-503 submission: {p['partition']}, {c}")
    if len(fr.jm_outages) != args.flink_jm_kills:
        v("fault", None, f"{len(fr.jm_outages)} JobManager kills, {args.flink_jm_kills} planned")
    for k in fr.sked_kills:
        if k.get("held") is None:
            v("fault", None, "an operator kill found no submission in flight to interrupt")
        elif k["held"]["status"] != 200:
            notes.append(f"the submission in flight when the operator was killed was answered {k['held']['status']} by Flink")

    # When something was failing: JobManager outages (kill to ready), proxy phases, operator kills
    # (kill to the replacement's ready); after each, sked's backoff (outage / 5, at least 2 s) and a
    # few seconds more before it must have caught up.
    faulty = [(o["t"], o["t_end"]) for o in fr.jm_outages] + [(p["t"], p["t_end"]) for p in fr.proxy_phases]
    faulty += [(k["t"], k.get("t_end") or k["t"]) for k in fr.sked_kills]
    faulty = [(a - 1, b + max(2.0, (b - a) / 5) + 3) for a, b in faulty]
    first_ready = min((t for op in sc.operators for t in op.ready_times() if t), default=t_stop)

    def clean(a, b):
        return a >= first_ready + 1 and b <= t_stop and not any(x < b and a < y for x, y in faulty)

    by_name = collections.defaultdict(list)
    for r in jobs:
        by_name[r["name"]].append(r)
    known_names = {f"{sc.ns}-{n}" for n in sc.sjs}
    for name, rs in by_name.items():
        if name not in known_names:
            v("unknown-job", None, f"Flink ran job(s) named {name!r} that no ScheduledJob of this scenario asked for: "
              + ", ".join(r["jid"] for r in rs))

    per_sj, totals = {}, collections.Counter()
    recorded_ids = set()
    missed_events = collections.defaultdict(list)
    for e in events:
        if e.get("reason") == "MissedSchedule":
            missed_events[(e.get("involvedObject") or {}).get("name")].append(e.get("message", ""))
    for sj in sjs_final:
        name, uid = sj["metadata"]["name"], sj["metadata"]["uid"]
        spec = sc.sjs[name]
        period, offset, policy = spec["period"], spec["offset"], spec["policy"]
        st = sj.get("status") or {}
        created = int(parse_time(sj["metadata"]["creationTimestamp"]))
        last = parse_time(st.get("lastScheduleTime"))
        missed = st.get("missedRuns") or 0
        ticks = [t for t in range(created + 1, int(last) + 1) if t % period == offset] if last else []
        all_ticks = [t for t in range(created + 1, int(t_stop) + 60) if t % period == offset]
        id_tick = {flink_job_id(uid, run_name(name, t)): t for t in all_ticks}
        mine = by_name.get(f"{sc.ns}-{name}", [])

        # Every Flink job is the derived id of one tick of this ScheduledJob; no tick has two.
        per_tick = collections.defaultdict(list)
        for r in mine:
            t = id_tick.get(r["jid"])
            if t is None:
                v("unknown-job", name, f"Flink job {r['jid']} (incarnation {r['incarnation']}, {r['state']}) is not "
                  f"FlinkJobID.derive(uid, run name) of any tick of {name}")
                continue
            r["tick"] = t
            per_tick[t].append(r)
        for t, rs in sorted(per_tick.items()):
            if len(rs) < 2:
                continue
            desc = "; ".join(f"{r['jid']} in JobManager incarnation {r['incarnation']} ({' -> '.join(r['states'])}, "
                             f"submitted {hms(r['start'])})" for r in rs)
            completed_before = [r for r in rs[:-1] if r["state"] in TERMINAL]
            if completed_before:
                v("duplicate", name, f"tick {hms(t)} ({run_name(name, t)}) ran {len(rs)} times: {desc}")
            else:
                # The same id again on a restarted JobManager: the first execution died with its
                # JobManager before ending, and sked had not recorded it (no HA: Flink forgot it).
                notes.append(f"{name}: tick {hms(t)} re-submitted to a restarted JobManager after its first "
                             f"execution died with the old one: {desc}")

        # What the status says, checked against Flink.
        entries = [(h, h.get("result")) for h in st.get("history") or []] + [(a, "active") for a in st.get("active") or []]
        status_ticks = {}
        recorded_ids |= {x.get("flinkJobID") for x, _ in entries}
        for x, res in entries:
            t = int(parse_time(x["scheduledTime"]))
            status_ticks[t] = (x, res)
            if x.get("flinkJobID") and x["flinkJobID"] != flink_job_id(uid, x["name"]):
                v("derivation", name, f"status names Flink job {x['flinkJobID']} for {x['name']}, but "
                  f"FlinkJobID.derive(uid {uid}, {x['name']}) = {flink_job_id(uid, x['name'])} (this script's derivation)")
            started, done = parse_time(x.get("startTime")), parse_time(x.get("completionTime"))
            if started and done and done < started:
                v("status", name, f"status.history has {x['name']} completed at {x.get('completionTime')}, before its startTime "
                  f"{x.get('startTime')}" + (f" (Flink started it at {hms(per_tick[t][-1]['start'])})"
                                            if per_tick.get(t) and per_tick[t][-1]["start"] else ""))
            if x["name"] != run_name(name, t):
                v("status", name, f"run {x['name']} for tick {hms(t)} is not named {run_name(name, t)}")
            seen = per_tick.get(t, [])
            if res == "active":
                live = [r for r in seen if r["incarnation"] == current]
                if not live:
                    v("status", name, f"status.active has {x['name']} ({x.get('flinkJobID')}) but the JobManager does not know it")
                elif live[-1]["state"] in TERMINAL and live[-1]["end"] and live[-1]["end"] < t_stop - 10 - POLL_SLACK:
                    v("status", name, f"status.active has {x['name']} but Flink reports it {live[-1]['state']} since "
                      f"{hms(live[-1]['end'])}, {t_stop - live[-1]['end']:.0f}s before the operator stopped")
                continue
            if not seen:
                if res != "Failed" or not x.get("message"):
                    v("status", name, f"status.history has {x['name']} {res} but no JobManager ever reported its job {x.get('flinkJobID')}")
                continue
            r = seen[-1]
            forgotten = res == "Failed" and "no longer knows" in (x.get("message") or "")
            if r["state"] in TERMINAL and forgotten and r["end"] and r["incarnation"] in killed_at \
                    and r["end"] >= killed_at[r["incarnation"]] - 10 - POLL_SLACK:
                # It ended shortly before its JobManager was killed, before sked's next poll
                # (every 2 s for fresh runs, else 10 s) saw it: the restarted one cannot say.
                notes.append(f"{name}: {x['name']} ended {r['state']} {killed_at[r['incarnation']] - r['end']:.1f}s before its "
                             f"JobManager was killed; recorded Failed (the restarted JobManager no longer knew it)")
            elif r["state"] in TERMINAL:
                want = TERMINAL[r["state"]]
                if res != want:
                    v("status", name, f"status.history has {x['name']} {res}, Flink reports {r['state']} (incarnation {r['incarnation']})")
                if want == "Failed" and "intentional failure" not in (x.get("message") or ""):
                    v("status", name, f"failed run {x['name']} carries no cause from Flink: {x.get('message')!r}")
            elif r["incarnation"] in deaths:
                if not forgotten:
                    v("status", name, f"{x['name']}'s job died with JobManager incarnation {r['incarnation']} ({r['state']}) but "
                      f"status.history has it {res}: {x.get('message')!r}")
            else:
                v("status", name, f"status.history has {x['name']} {res} while Flink reports {r['state']}")
        # A job that never ended and died with its JobManager before sked learned of it (its
        # answer lost with the JobManager) did not run as far as anyone can tell: noted, and the
        # tick may be counted missed. Every other job is a run.
        lost_with_jm = {t for t, rs in per_tick.items() if t not in status_ticks
                        and all(r["state"] not in TERMINAL and r["incarnation"] in deaths for r in rs)}
        for t in sorted(lost_with_jm):
            r = per_tick[t][-1]
            notes.append(f"{name}: {run_name(name, t)} (job {r['jid']}, {' -> '.join(r['states'])}) died with JobManager "
                         f"incarnation {r['incarnation']} before sked learned of it; not recorded")
        for t, rs in sorted(per_tick.items()):
            if t not in status_ticks and t not in lost_with_jm:
                r = rs[-1]
                counted = [m for m in missed_events.get(name, []) if counts_missed(m, t)]
                v("orphan", name, f"Flink ran {run_name(name, t)} (job {r['jid']}, incarnation {r['incarnation']}, "
                  f"{' -> '.join(r['states'])}, submitted {hms(r['start'])}) but the ScheduledJob's status does not "
                  f"record it" + (f"; counted missed: {counted[0]}" if counted else "")
                  + ("" if last is None or t <= last else f"; its tick is after status.lastScheduleTime {st.get('lastScheduleTime')}"))
            for r in rs:
                if r["start"] is not None and r["start"] - t > D + 5:
                    v("deadline", name, f"{run_name(name, t)} submitted {r['start'] - t:.1f}s after its tick "
                      f"(startingDeadlineSeconds {D}): job {r['jid']}")

        # Accounting: every tick in (creation, lastScheduleTime] ran or is counted missed, once.
        ran = ((set(per_tick) - lost_with_jm) | set(status_ticks)) & set(ticks)
        lost = len(ticks) - len(ran) - missed
        if lost > 0:
            v("accounting", name, f"{lost} tick(s) neither ran nor counted: {len(ticks)} ticks, {len(ran)} ran, missedRuns {missed}; "
              f"ticks without a run: {[hms(t) for t in sorted(set(ticks) - ran)][:20]}")
        elif lost < 0:
            v("accounting", name, f"{-lost} tick(s) counted twice: {len(ticks)} ticks, {len(ran)} ran, missedRuns {missed}")

        # Forbid: no two of its Flink jobs ever ran at once (JobManager times; a job of a killed
        # JobManager ends when its TaskManager was stopped).
        intervals = []
        for r in mine:
            if r["start"] is None:
                continue
            end = r["end"] or deaths.get(r["incarnation"]) or float("inf")
            intervals.append((r["start"], end, r))
        if policy == "Forbid":
            intervals.sort(key=lambda x: x[0])
            for (a0, a1, ra), (b0, b1, rb) in zip(intervals, intervals[1:]):
                if b0 < a1:
                    v("forbid", name, f"{rb['jid']} (tick {hms(rb.get('tick'))}) started {hms(b0)} while "
                      f"{ra['jid']} (tick {hms(ra.get('tick'))}) ran until {hms(a1)}")

        # Liveness: a tick with nothing failing from 1 s before it to START_WITHIN after it has
        # its job (Forbid: or a run of its own was active then). Missed ticks are fine elsewhere.
        stalled = []
        for t in ticks:
            if t in ran or not clean(t - 1, t + START_WITHIN):
                continue
            # (Flink's start-time comes up to a few seconds after sked submitted on a busy machine.)
            if policy == "Forbid" and any(a - 5 <= t and b >= t - POLL_SLACK for a, b, _ in intervals):
                continue
            stalled.append(t)
        if stalled:
            v("liveness", name, f"{len(stalled)} tick(s) without a Flink job although nothing failed from 1s before to "
              f"{START_WITHIN:g}s after them: {[hms(t) for t in stalled][:10]}")

        # Ready: False with FlinkUnreachable during each JobManager outage it had a tick in, and
        # True again after each one (before the next fault) and at the end.
        seq = ready.get(name, [])
        for o in fr.jm_outages:
            had_tick = any(o["t"] < t < o["t_end"] - 1 for t in all_ticks)
            down = [e for e in seq if o["t"] <= e[0] <= o["t_end"] + 5 and e[1] == "False" and e[2] == "FlinkUnreachable"]
            if had_tick and not down:
                v("ready", name, f"Ready never said FlinkUnreachable while the JobManager was down "
                  f"({hms(o['t'])} to {hms(o['t_end'])}): {[(hms(e[0]),) + e[1:3] for e in seq if e[0] >= o['t'] - 5][:6]}")
            until = min([f["t"] for f in sc.faults if f["t"] > o["t_end"]] + [t_stop])
            before = [e for e in seq if e[0] <= o["t_end"]]
            if before and before[-1][1] == "False" and not any(o["t_end"] <= e[0] <= until and e[1] == "True" for e in seq):
                v("ready", name, f"Ready did not return to True after the JobManager came back at {hms(o['t_end'])} "
                  f"(before the next fault at {hms(until)}): {[(hms(e[0]),) + e[1:3] for e in seq if e[0] >= o['t']][:6]}")
        for o in fr.jm_outages:
            if o.get("not_ready") and name in o["not_ready"]:
                v("ready", name, f"not Ready 60s after the JobManager came back at {hms(o['t_end'])}: {o['not_ready'][name]}")
        unreachable = sum(1 for e in seq if e[2] == "FlinkUnreachable")
        per_sj[name] = {"policy": policy, "schedule": f"{offset}/{period} * * * * *", "ticks": len(ticks),
                        "flink_jobs": len(mine), "ran": len(ran), "missedRuns": missed, "unreachable_transitions": unreachable,
                        "max_status_active": fr.watch.max_active[name],
                        "results": dict(collections.Counter(res for _, res in entries))}
        totals["ticks"] += len(ticks)
        totals["jobs"] += len(mine)
        totals["missed"] += missed
        totals["unreachable"] += unreachable
    for k in fr.sked_kills:
        held = (k.get("held") or {}).get("jobId")
        if held:
            k["adopted"] = held in recorded_ids
            if not k["adopted"]:
                v("orphan", None, f"the submission in flight when the operator was killed at {hms(k['t'])} (Flink job {held}) "
                  "is recorded by no ScheduledJob's status")
    for p in fr.proxy_phases:
        hit = [n for n, seq in ready.items() if any(p["t"] <= e[0] <= p["t_end"] + 1 and e[2] == "FlinkUnreachable" for e in seq)]
        p["unreachable_sjs"] = hit
        if not hit:
            notes.append(f"{p['name']}: no ScheduledJob went FlinkUnreachable (sked retried past every injected error)")
    return violations, notes, per_sj, totals


def counts_missed(message, t):
    """Whether a MissedSchedule Event's message counted tick `t` as missed (best effort: Events
    are aggregated)."""
    m = re.match(r"Missed run scheduled at (\S+?Z):", message)
    if m:
        return int(parse_time(m.group(1))) == t
    m = re.match(r"Skipped \d+ earlier run\(s\) after (\S+?); starting only the most recent one, scheduled at (\S+)", message)
    return bool(m) and parse_time(m.group(1)) < t < parse_time(m.group(2))
