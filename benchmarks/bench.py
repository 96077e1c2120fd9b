#!/usr/bin/env python3
"""sked vs. Kubernetes' CronJob controller: schedule-lag benchmark on one local API server.

Run through benchmarks/run.sh. One run, one control plane (etcd + kube-apiserver v1.20.2,
started WITHOUT kube-controller-manager), in this order:

  1. physical   a minimal client creates 1,000 batch/v1 Jobs with C concurrent requests
  2. idle       sked with nothing to do, RSS and CPU seconds over --idle seconds
  3. sked       per N: N ScheduledJobs on "0,20,40 * * * * *", measured over K ticks
  4. reference  per setting (default client limits, --kube-api-qps/burst=2000) and N:
                N batch/v1beta1 CronJobs on "* * * * *" handled by kube-controller-manager
                v1.20.2 (--controllers=cronjob, CronJobControllerV2=true), over K ticks
  5. footprint  per --footprint SJS,JOBS (default 10000,20000): SJS ScheduledJobs on "0 0 1 1 *"
                (nothing due) and JOBS finished Jobs owned by them, created up front; sked started
                twice on that namespace (first start: no status yet; restart: status written):
                process start -> "caches synced" log line -> first reconcile -> queue drained,
                RSS at each point and CPU over an idle window (--footprint-idle, 60 s)

Lag = arrival time of a Job's ADDED watch event (this process, loopback) minus its
scheduled time (sked: annotation sked.dev/scheduled-time; CronJob v2: <name>-<unix minutes>).
Only ticks after every object exists (and, for sked, has status.nextScheduleTime) count.
Nothing runs Pods (no kubelet), so Jobs stay active; concurrencyPolicy is Allow.
Every process this script starts is recorded by PID and stopped on exit, Ctrl-C or error.
"""
import argparse
import datetime as dt
import json
import os
import platform
import signal
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
# The benchmarks are modules beside this file (sys.path[0]); the harnesses' shared ones in scripts/harness.
sys.path.insert(1, os.path.join(REPO, "scripts"))
import footprint  # noqa: E402
import physical  # noqa: E402
import reference  # noqa: E402
import sked_n  # noqa: E402
import spread  # noqa: E402
from core import Bench  # noqa: E402
from harness.proc import log  # noqa: E402
from harness.times import iso  # noqa: E402
from report import plot  # noqa: E402


def run(b):
    """Every benchmark the options ask for, in order; the result files are rewritten after each."""
    a = b.a
    b.result["host"] = {"nproc": os.cpu_count(), "machine": platform.machine(), "kernel": platform.release(),
                        "loadavg_start": os.getloadavg(),
                        "note": "shared machine (other work running concurrently); 2 cores"}
    try:
        b.result["sked_version"] = subprocess.run([a.sked_bin, "--version"], capture_output=True, text=True,
                                                  timeout=10).stdout.strip()
    except Exception:  # noqa: BLE001
        pass
    b.result["sked_bin"] = a.sked_bin
    st = os.stat(a.sked_bin)
    b.result["sked_bin_mtime"] = iso(st.st_mtime)
    b.result["sked_bin_size"] = st.st_size
    b.start_control_plane()
    if a.physical_jobs > 0:
        physical.run(b)
    if a.idle > 0:
        sked_n.idle(b)
    b.result["sked"] = []
    for n in a.sked_n:
        b.result["sked"].append(sked_n.run(b, n))
        b.write()
    b.result["spread"] = []
    for n in a.spread:
        b.result["spread"].append(spread.run(b, n))
        b.write()
    b.result["reference"] = []
    for setting in a.ref_settings:
        if not a.ref_n:
            break
        kcm = reference.start_kcm(b, setting)
        try:
            for n in a.ref_n:
                b.result["reference"].append(reference.run(b, kcm, setting, n))
                b.write()
        finally:
            b.stop_proc(kcm)
    # Last: the populations stay in the API server (its watch cache) until the control plane stops.
    b.result["footprint"] = []
    for n_sj, n_jobs in a.footprint:
        b.result["footprint"].append(footprint.run(b, n_sj, n_jobs))
        b.write()
    b.result["host"]["loadavg_end"] = os.getloadavg()
    b.result["finished"] = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H%M%SZ")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ints = lambda s: [int(x) for x in s.split(",") if x]  # noqa: E731
    ap.add_argument("--quick", action="store_true", help="N=10,100 for sked only, short idle")
    ap.add_argument("--sked-n", type=ints, default=[10, 100, 1000], help="comma-separated N for sked")
    ap.add_argument("--spread", type=ints, default=[], metavar="N",
                    help="comma-separated N: N ScheduledJobs on 'H H/P * * * *' (a hashed second and minute, "
                         "every P minutes), measured over --spread-cycles cycles (e.g. --spread 10000)")
    ap.add_argument("--spread-period", type=int, default=4, choices=[1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30, 60],
                    metavar="P", help="minutes between one ScheduledJob's runs under --spread (divides 60; default 4)")
    ap.add_argument("--spread-cycles", type=int, default=1, help="measured cycles of --spread-period minutes")
    ap.add_argument("--ref-n", type=ints, default=[10, 1000], help="comma-separated N for the reference ('' = none)")
    ap.add_argument("--ref-settings", default="default,unthrottled", type=lambda s: [x for x in s.split(",") if x])
    ap.add_argument("--ticks", type=int, default=3, help="measured sked ticks (20 s apart)")
    ap.add_argument("--ref-ticks", type=int, default=2, help="measured reference ticks (60 s apart)")
    ap.add_argument("--sked-grace", type=float, default=25, help="seconds after the last sked tick to wait for Jobs")
    ap.add_argument("--ref-grace", type=float, default=90, help="seconds after the last reference tick to wait")
    ap.add_argument("--idle", type=float, default=60, help="seconds of idle sked footprint (0 = skip)")
    ap.add_argument("--footprint", action="append", metavar="SJS,JOBS",
                    type=lambda s: tuple(ints(s)) if s not in ("", "none") else None,
                    help="start-up footprint with SJS ScheduledJobs and JOBS finished Jobs already in the cluster; "
                         "repeatable (default 10000,20000; none with --quick or --footprint none)")
    ap.add_argument("--footprint-idle", type=float, default=60, help="idle seconds measured after the start-up")
    ap.add_argument("--malloc-probe", action="store_true",
                    help="after each footprint idle window, attach gdb: malloc_stats() and RSS after malloc_trim(0)")
    ap.add_argument("--footprint-timeout", type=float, default=300, help="seconds to wait for the start-up to drain")
    ap.add_argument("--physical-jobs", type=int, default=1000)
    ap.add_argument("--physical-concurrency", type=int, default=24)
    ap.add_argument("--physical-rounds", type=int, default=2)
    ap.add_argument("--create-concurrency", type=int, default=24)
    ap.add_argument("--workers", type=int, default=16, help="sked --workers")
    ap.add_argument("--sked-args", default="", help="extra sked operator flags, e.g. '--kube-api-qps 5000'")
    ap.add_argument("--sked-env", action="append", default=[], metavar="KEY=VALUE",
                    help="environment for every sked process (repeatable), e.g. MALLOC_ARENA_MAX=2")
    ap.add_argument("--sked-bin", default=os.path.join(REPO, ".build-release/release/sked"))
    ap.add_argument("--kcm-bin", default="~/.cache/sked/k8s-v1.20.2/kube-controller-manager")
    ap.add_argument("--out", default=os.path.join(HERE, "results"))
    ap.add_argument("--replot", metavar="JSON", help="only redraw the PNG of an earlier result")
    a = ap.parse_args()
    if a.replot:
        print(plot(json.load(open(a.replot)), a.replot[:-len(".json")] + ".png"))
        return 0
    if a.quick:
        if "--sked-n" not in sys.argv:
            a.sked_n = [10, 100]
        if "--ref-n" not in sys.argv:
            a.ref_n = []
        if "--idle" not in sys.argv:
            a.idle = 30
    if a.footprint is None:
        a.footprint = [] if a.quick else [(10000, 20000)]
    a.footprint = [f for f in a.footprint if f]
    if any(len(f) != 2 or (f[0] == 0 and f[1] > 0) for f in a.footprint):
        ap.error("--footprint takes SJS,JOBS, e.g. 10000,20000 (0,0: the baseline; Jobs need owners)")
    if not os.path.exists(a.sked_bin):
        alt = os.path.join(REPO, ".build/debug/sked")
        log(f"{a.sked_bin} missing; using the DEBUG build {alt}")
        a.sked_bin = alt

    b = Bench(a)

    def on_term(*_):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_term)
    rc = 0
    try:
        run(b)
    except KeyboardInterrupt:
        log("interrupted; cleaning up")
        b.result["interrupted"] = True
        rc = 130
    except Exception as e:  # noqa: BLE001
        log(f"FAILED: {e!r}")
        b.result["error"] = repr(e)
        rc = 1
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        b.cleanup()
    base = b.write()
    try:
        p = plot(b.result, base + ".png")
        if p:
            log("plot:", p)
    except Exception as e:  # noqa: BLE001
        log(f"plot failed: {e!r}")
    print(open(base + ".md").read())  # noqa: SIM115
    log(f"results: {base}.md / .json; logs in {b.work}")
    return rc


if __name__ == "__main__":
    sys.exit(main())
