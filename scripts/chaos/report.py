"""The suite's reports: a Job scenario's lines (printed as it ends, and in the Markdown), the
machine's facts, and the --report Markdown summary of a whole run."""
import collections
import os
import re
import subprocess
import sys

from common import LOAD_AT_START
from harness.times import pct


def print_report(r):
    print("\n".join(report_lines(r)), flush=True)


def report_lines(r):
    ok = not r["violations"]
    out = [f"-- {r['scenario']}: {r['title']} -- {'PASS' if ok else 'FAIL'} ({r['duration_s']}s)"]
    kinds = collections.Counter(f["kind"] for f in r["faults"])
    out.append(f"   faults      {r['fault_count']} in {r['fault_period_s']}s: "
               + ", ".join(f"{n} x {k}" for k, n in kinds.items())
               + (f"; API unavailable {r['api_outage_s']}s in total" if r["api_outage_s"] else ""))
    takeovers = [f["takeover_s"] for f in r["faults"] if "takeover_s" in f]
    if takeovers:
        out.append(f"   takeover    standby reconciling {min(takeovers):.1f}-{max(takeovers):.1f}s after the leader was killed")
    outs = [f"{f['kind']} {f['outage_s']}s" for f in r["faults"] if "outage_s" in f]
    if outs:
        out.append("   outages     " + ", ".join(outs))
    gaps = [f["no_new_runs_s"] for f in r["faults"] if f.get("no_new_runs_s") is not None]
    if gaps:
        out.append(f"   recovery    every Allow ScheduledJob had a new Job {pct(gaps, 50):.1f}s (median), "
                   f"{max(gaps):.1f}s (max) after a fault began")
    res = [f["resumed_s"] for f in r["faults"] if f.get("resumed_s") is not None]
    if res:
        out.append(f"   resumed     ... and {pct(res, 50):.1f}s (median), {max(res):.1f}s (max) after the fault was over "
                   f"(replacement started / standby present / API ready)")
    out.append(f"   operators   {r['operators_started']} started, {len(r['operator_unexpected_exits'])} exited by themselves; "
               f"{r['operator_log']['started_run_lines']} 'started run' log lines")
    jp = r["jobs_by_policy"]
    out.append(f"   runs        {r['scheduledJobs']} ScheduledJobs, {r['ticks']} ticks; {r['jobs']} Jobs "
               f"(Allow {jp['Allow']}, Forbid {jp['Forbid']}, Replace {jp['Replace']}; {r['jobs_deleted']} since deleted), "
               f"missedRuns {r['missedRuns']}")
    lag, lh = r["schedule_lag_s"], r["schedule_lag_healthy_s"]
    if lag["n"]:
        out.append(f"   lag         Job created after its tick: p50 {lag['p50']:.2f}s, p99 {lag['p99']:.2f}s, max {lag['max']:.1f}s"
                   + (f"; in healthy periods p99 {lh['p99']:.2f}s, max {lh['max']:.2f}s" if lh["n"] else ""))
    out.append(f"   liveness    {r['healthy_s']}s healthy: longest time without a new Job {r['longest_healthy_gap_s']}s; "
               f"{r['skipped_while_healthy']} Allow/Replace ticks skipped (reconcile later than one period, counted missed)")
    out.append(f"   status      settled {r['status_settled_after_s']}s after suspending; finisher completed "
               f"{r['finisher']['completed']} Jobs; watcher relisted {len(r['watcher']['relists'])}x")
    if r["operator_log"]["warnings"]:
        out.append("   op warnings " + "; ".join(f"{n} x {m}" for m, n in r["operator_log"]["warnings"].items()))
    out.extend("   " + line for line in r["detail_lines"])
    if r["notes"]:
        out.append(f"   notes       {len(r['notes'])} (not violations):")
        for n in r["notes"][:6]:
            out.append(f"     {n}")
    if r["tolerated"]:
        out.append(f"   tolerated   {len(r['tolerated'])} (--tolerate):")
        for x in r["tolerated"][:10]:
            out.append(f"     [{x['kind']}] {x['scheduledJob'] or ''}: {x['message']}")
    out.append(f"   violations  {len(r['violations'])}")
    for v in r["violations"][:40]:
        out.append(f"     [{v['kind']}] {v['scheduledJob'] or ''}: {v['message']}")
    if len(r["violations"]) > 40:
        out.append(f"     ... {len(r['violations']) - 40} more in the JSON result")
    return out


def machine_info():
    """nproc, memory, uname and load: what the timings in a report depend on."""
    mem = "?"
    try:
        with open("/proc/meminfo") as f:
            kb = int(re.search(r"MemTotal:\s+(\d+) kB", f.read()).group(1))
        mem = f"{kb / 1024 / 1024:.1f} GiB"
    except (OSError, AttributeError):
        pass
    u = os.uname()
    return {"nproc": len(os.sched_getaffinity(0)), "memory": mem, "uname": f"{u.sysname} {u.release} {u.version} {u.machine}",
            "load_start": " ".join(f"{x:.2f}" for x in LOAD_AT_START), "load_end": " ".join(f"{x:.2f}" for x in os.getloadavg())}


def write_markdown_report(path, summary, args, last_line):
    """--report: the run as a Markdown summary (machine, date, seed, per scenario the faults,
    what was checked, the violations and the durations, then each scenario's full report)."""
    m = machine_info()
    try:
        version = subprocess.run([args.sked, "version"], capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        version = "?"
    results = summary["scenarios"]
    verdict = ("ERROR: " + summary["error"].strip().splitlines()[-1] if summary["error"]
               else "PASS" if summary["violations"] == 0 else f"FAIL: {summary['violations']} violation(s)")
    out = [f"# sked reliability: fault-injection suite, {summary['date'][:10]}", "",
           f"`{' '.join(['python3', 'scripts/chaos/run.py'] + sys.argv[1:])}`", "",
           "| | |", "| --- | --- |",
           f"| result | **{verdict}** |",
           f"| date (UTC) | {summary['date']} |",
           f"| mode, seed | {summary['mode']}, seed {summary['seed']} (rerun with `--seed {summary['seed']}`) |",
           f"| sked | `{args.sked}`: {version} |",
           f"| machine | {m['nproc']} CPUs (nproc), {m['memory']} memory; load average {m['load_start']} at the start, {m['load_end']} at the end "
           f"(other work shares the machine); `{m['uname']}` |",
           f"| duration | {summary['duration_s']} s in total (limit {args.max_seconds:g} s) |", "",
           "| scenario | faults injected | ScheduledJobs | ticks checked | Jobs checked | missedRuns | violations | tolerated | duration |",
           "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for r in results:
        kinds = collections.Counter(f["kind"] for f in r["faults"])
        found = collections.Counter(v["kind"] for v in r["violations"])
        out.append(f"| {r['scenario']} | {', '.join(f'{n} x {k}' for k, n in kinds.items()) or '-'} | {r.get('scheduledJobs', '-')} "
                   f"| {r.get('ticks', '-')} | {r.get('jobs', '-')} | {r.get('missedRuns', '-')} | {len(r['violations'])}"
                   + (f" ({', '.join(f'{n} {k}' for k, n in found.most_common())})" if found else "")
                   + f" | {len(r.get('tolerated', []))} | {r['duration_s']} s |")
    out += ["", "Violations must be 0. Every check is described in `scripts/chaos/README.md`.", ""]
    for r in results:
        try:
            lines = report_lines(r)
        except KeyError:  # a scenario with its own result shape (scenarios/flink.py)
            lines = [f"{f['kind']} at {f['t']}: {f.get('detail', '')}" for f in r["faults"]] + \
                    [f"[{v['kind']}] {v.get('scheduledJob') or ''}: {v['message']}" for v in r["violations"][:40]]
        out += [f"## {r['scenario']}: {r['title']}", "", "```", *lines, "```", ""]
    out += ["```", last_line, "```", ""]
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w") as f:
        f.write("\n".join(out))
