#!/usr/bin/env python3
"""sked fault-injection suite (issue #7, "Fault-injection suite").

Starts its own local control plane (scripts/control-plane.sh: etcd + kube-apiserver v1.20.2 +
kube-controller-manager for garbage collection), installs the CRD and RBAC, and runs the real
`sked operator` binary (as its service account, config/rbac and config/flink-secrets) through these scenarios:

  kill       SIGKILL the operator at random moments (10+ times), restarting it each time
  leader     two operators with leader election (4s/3s/1s lease); SIGKILL the current leader
             (found from the Lease's holderIdentity) repeatedly, start a replacement each time
  apiserver  restart kube-apiserver; SIGSTOP it for 20 s, then SIGCONT; restart etcd (same data,
             same ports); one operator, without leader election unless --apiserver-leader-elect
  expiry     stop kube-apiserver, write to etcd and compact it, start kube-apiserver: the
             operator's watches get 410 Gone and must relist (checked in its log)
  badinput   a corpus of bad ScheduledJobs (fuzzed/classic schedules, zones, targets, Job
             templates the API refuses, 10 KiB tokens, a 253-character name, hostile Flink
             URLs, 1,000 invalid at once) beside the healthy ones: each gets Ready=False + a
             Warning Event

Each scenario runs 24 ScheduledJobs (8 each of Allow, Forbid, Replace; half "* * * * * *",
half "*/2 * * * * *"; startingDeadlineSeconds 10) in its own namespace. There is no kubelet:
a finisher thread marks every Job Complete (status subresource) 1-3 s after it appears, and a
watcher thread records every Job ever created (uid, creation resourceVersion, completion
resourceVersion), so Jobs deleted by Replace or by history trimming are still accounted for.

At the end of a scenario faults stop, the system runs healthy for a few seconds, every
ScheduledJob is suspended, the finisher stops, and the script waits for the status to settle;
then the operators get SIGTERM and the invariants are checked from the API server's state (plus
the watcher's record of Jobs that no longer exist):

  duplicates   no two Jobs (distinct uids, even if one was deleted) for the same
               (ScheduledJob, scheduled time, attempt)
  schedule     every Job is for a tick of the schedule after the ScheduledJob's creation, and
               was created within startingDeadlineSeconds (+1 s: creationTimestamp is whole seconds);
               "deadline-held" (tolerated by default): a late Job that landed as a SIGSTOPped
               kube-apiserver resumed, which held the create
  accounting   every tick in (creation, status.lastScheduleTime] has a Job or is counted in
               status.missedRuns, and none is both: #ticks == #ticks-with-a-Job + missedRuns
               (the formula of OperatorHarness.tickAccounting); no Job after lastScheduleTime
  liveness     inside healthy periods (an operator reconciling for >= --grace-operator s, the API
               reachable for >= --grace-api s) no ScheduledJob goes --stall s without a new Job
               (Forbid: without a new or an active run). Only the most recent missed tick is
               started after an outage (by design), and a reconcile more than a period late
               skips a tick the same way, so single ticks are left to the accounting check.
  no-job       status.history / status.active name no run for a tick that never had a Job
  forbid       a Forbid ScheduledJob never had two active runs: each Job was created (its
               creation resourceVersion) after the previous one was completed (the finisher's
               completion resourceVersion) - etcd revisions are a total order
  status       after settling: status.active == the unfinished Jobs, activeRuns == len(active),
               every finished Job that exists is in status.history and every Succeeded history
               entry's Job exists, Cancelled (replaced) runs' Jobs are gone
  operator     no operator exits on its own (crash), and SIGTERM exits 0
  expiry       (expiry) after each round every watch of the operator relisted after 410 Gone
  badinput     (badinput) every admitted bad object has Ready=False with its reason, a message
               naming the field and a Warning Event; API refusals say why; the valid odd ones work

Prints a per-scenario report, writes a JSON result (--json) and, with --report, a Markdown
summary; exits 1 on any violation, 2 on a setup error. Every process it starts (control plane,
operators) is stopped by PID on exit, error or Ctrl-C.

    python3 scripts/chaos/run.py                 # --quick (the CI form, ~9 min)
    python3 scripts/chaos/run.py --full          # longer fault periods, more kills
    python3 scripts/chaos/run.py --scenarios kill,leader --seed 7 --keep
"""
import argparse
import datetime as dt
import json
import os
import random
import shutil
import signal
import socket
import sys
import time
import traceback

# The suite's modules are beside this file (sys.path[0]); the harnesses' shared ones in scripts/harness.
sys.path.insert(1, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from common import REPO, T0, Abort, Interrupted  # noqa: E402
from harness.proc import log  # noqa: E402
from report import write_markdown_report  # noqa: E402
from scenarios import SCENARIOS  # noqa: E402
from scenarios.flink import add_arguments as add_flink_arguments  # noqa: E402
from suite import Suite  # noqa: E402

# The bad-input corpus holds a ScheduledJob 600 levels deep; json's pure-Python encoder (used
# with indent=) recurses a few frames per level.
sys.setrecursionlimit(max(sys.getrecursionlimit(), 20000))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    mode = ap.add_mutually_exclusive_group()
    mode.add_argument("--quick", action="store_true", help="the bounded CI form (default): about 9 minutes, at most 15")
    mode.add_argument("--full", action="store_true", help="more faults, longer healthy periods (about 12 minutes; not for CI)")
    ap.add_argument("--scenarios", default="kill,leader,apiserver,expiry,badinput,catchup,backfill", help="comma-separated subset of: " + ", ".join(SCENARIOS))
    ap.add_argument("--sked", default=os.environ.get("SKED_BIN", os.path.join(REPO, ".build", "debug", "sked")), help="the sked binary (env SKED_BIN)")
    ap.add_argument("--seed", type=int, default=None, help="random seed (default: random, printed)")
    ap.add_argument("--sjs", type=int, default=24, help="ScheduledJobs per scenario (split across Allow/Forbid/Replace; default 24)")
    ap.add_argument("--deadline", type=int, default=10, help="startingDeadlineSeconds (default 10)")
    ap.add_argument("--history", type=int, default=5, help="successful/failedRunsHistoryLimit (default 5)")
    ap.add_argument("--kills", type=int, help="operator SIGKILLs in 'kill' (quick 12, full 30)")
    ap.add_argument("--catchup-kills", type=int, help="operator outages in 'catchup' (quick 4, full 10)")
    ap.add_argument("--leader-kills", type=int, help="leader SIGKILLs in 'leader' (quick 8, full 20)")
    ap.add_argument("--api-rounds", type=int, help="rounds of apiserver restart / pause / etcd restart (quick 1, full 2)")
    ap.add_argument("--expiry-rounds", type=int, help="rounds of etcd compaction + kube-apiserver restart in 'expiry' (quick 2, full 4)")
    ap.add_argument("--expiry-healthy", type=float, help="healthy seconds before each round of 'expiry' (quick 8, full 12; --healthy after the last)")
    ap.add_argument("--badinput-fuzz", type=int, default=200, help="fuzzed invalid schedules in 'badinput' (default 200)")
    ap.add_argument("--badinput-burst", type=int, default=1000, help="invalid ScheduledJobs created at once in 'badinput' (default 1000)")
    ap.add_argument("--pause", type=float, default=20, help="seconds kube-apiserver stays SIGSTOPped (default 20)")
    ap.add_argument("--apiserver-leader-elect", action="store_true",
                    help="run the apiserver scenario's operator with leader election (4s/3s/1s) instead of without")
    ap.add_argument("--healthy", type=float, help="healthy seconds between API faults (quick 12, full 20)")
    ap.add_argument("--warmup", type=float, default=3, help="seconds before the first fault")
    ap.add_argument("--settle", type=float, default=5, help="healthy seconds after the last fault before quiescing")
    ap.add_argument("--converge", type=float, default=30, help="how long the status may take to settle after quiescing")
    ap.add_argument("--stall", type=float, default=None, help="longest time a ScheduledJob may go without a new Job while healthy (default: --deadline)")
    ap.add_argument("--tolerate", default="deadline-held",
                    help="comma-separated violation kinds to report without failing (default deadline-held; '' for none)")
    ap.add_argument("--grace-operator", type=float, default=1.0, help="seconds after an operator is ready before its ticks must all run")
    ap.add_argument("--grace-api", type=float, default=None, help="seconds after an API outage before ticks must all run (default: --deadline)")
    ap.add_argument("--max-seconds", type=float, default=None, help="abort (failure) after this long in total (default 600, --full 1500)")
    ap.add_argument("--json", default=None, help="where to write the JSON result (default .build/chaos/chaos-<time>.json)")
    ap.add_argument("--report", nargs="?", const="", default=None, metavar="PATH",
                    help="also write a Markdown summary (machine, date, seed, faults, checks, violations, durations) to PATH; "
                         "without PATH: benchmarks/results/reliability-<UTC date>.md")
    ap.add_argument("--keep", action="store_true", help="keep the work folder (logs, etcd data) even when everything passes")
    add_flink_arguments(ap)
    args = ap.parse_args()
    full = args.full
    args.kills = args.kills if args.kills is not None else (30 if full else 12)
    args.catchup_kills = args.catchup_kills if args.catchup_kills is not None else (10 if full else 4)
    args.leader_kills = args.leader_kills if args.leader_kills is not None else (20 if full else 8)
    args.api_rounds = args.api_rounds if args.api_rounds is not None else (2 if full else 1)
    args.expiry_rounds = args.expiry_rounds if args.expiry_rounds is not None else (4 if full else 2)
    args.expiry_healthy = args.expiry_healthy if args.expiry_healthy is not None else (12 if full else 8)
    args.healthy = args.healthy if args.healthy is not None else (20 if full else 12)
    args.grace_api = args.grace_api if args.grace_api is not None else float(args.deadline)
    args.stall = args.stall if args.stall is not None else float(args.deadline)
    args.max_seconds = args.max_seconds if args.max_seconds is not None else (1500 if full else 900)
    args.kill_uptime = (1.0, 6.0)
    args.leader_uptime = (1.0, 4.0)
    args.finish_after = (1.0, 3.0)
    args.seed = args.seed if args.seed is not None else random.randrange(1 << 30)
    args.tolerate = {k.strip() for k in args.tolerate.split(",") if k.strip()}
    keys = [k.strip() for k in args.scenarios.split(",") if k.strip()]
    for k in keys:
        if k not in SCENARIOS:
            ap.error(f"unknown scenario {k!r} (known: {', '.join(SCENARIOS)})")
    if not os.access(args.sked, os.X_OK):
        print(f"chaos: {args.sked} is missing: build it first (swift build --product sked) or set SKED_BIN", file=sys.stderr)
        return 2
    if shutil.which("kubectl") is None:
        print("chaos: kubectl is not on PATH", file=sys.stderr)
        return 2
    json_path = args.json or os.path.join(REPO, ".build", "chaos", time.strftime("chaos-%Y%m%dT%H%M%SZ.json", time.gmtime()))

    def on_signal(signum, frame):
        raise Interrupted(signal.Signals(signum).name)
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGHUP, on_signal)
    signal.signal(signal.SIGINT, signal.default_int_handler)  # even when started in the background

    rng = random.Random(args.seed)
    suite = Suite(args)
    log(f"sked chaos suite: scenarios {', '.join(keys)}, seed {args.seed}, {'full' if full else 'quick'}; {args.sked}")
    results, error, rc = [], None, 0
    try:
        suite.setup()
        for k in keys:
            results.append(suite.run_scenario(k, rng))
    except (KeyboardInterrupt, Interrupted) as e:
        error = f"interrupted ({e})" if str(e) else "interrupted (SIGINT)"
        rc = 130
    except Abort as e:
        error = str(e)
        rc = 2
    except Exception:
        error = traceback.format_exc()
        rc = 2
    finally:
        suite.cleanup()
    total = time.time() - T0
    violations = sum(len(r["violations"]) for r in results)
    if rc == 0 and violations:
        rc = 1
    summary = {
        "suite": "sked fault injection (scripts/chaos/run.py)", "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "mode": "full" if full else "quick", "seed": args.seed, "sked": args.sked, "host": socket.gethostname(),
        "cpus": os.cpu_count(), "duration_s": round(total, 1), "error": error, "violations": violations,
        "scenarios": results, "work_folder": suite.work,
    }
    os.makedirs(os.path.dirname(os.path.abspath(json_path)), exist_ok=True)
    with open(json_path, "w") as f:
        json.dump(summary, f, indent=2, default=str)
    line = (f"== {len(results)} scenario(s), {sum(r['fault_count'] for r in results)} faults, "
            f"{sum(r['jobs'] for r in results)} Jobs, {sum(r['ticks'] for r in results)} ticks checked, "
            f"{violations} violation(s) in {total:.0f}s (seed {args.seed}); result {json_path}")
    print(line, flush=True)
    if args.report is not None:
        path = args.report or os.path.join(REPO, "benchmarks", "results", f"reliability-{summary['date'][:10]}.md")
        write_markdown_report(path, summary, args, line)
        print(f"== reliability report {path}", flush=True)
    if error:
        print(f"chaos: ERROR: {error}", file=sys.stderr)
    if rc == 0 and not args.keep:
        shutil.rmtree(suite.work, ignore_errors=True)
    else:
        print(f"chaos: logs and data kept in {suite.work}", file=sys.stderr)
    return rc


if __name__ == "__main__":
    sys.exit(main())
