"""The benchmark's Markdown report (and its log summary line) and the PNG of p99 lag vs N."""
from footprint import FOOTPRINT_SCHEDULE
from harness.proc import log


def summary(r):
    return (f"{r['jobs']}/{r['expected_jobs']} jobs ({100 * (r['tick_share'] or 0):.1f}%), lag p50 {r['p50_s']}s "
            f"p99 {r['p99_s']}s max {r['max_s']}s, duplicates {r['duplicates']}")


def fmt(x, unit=""):
    return "–" if x is None else f"{x}{unit}"


def lag_row(*cells, lags):
    """A table row: the cells, then p50, p99 and max lag of `lags` (a per-tick or per-cycle entry)."""
    return "| " + " | ".join(f"{c}" for c in cells) + f" | {fmt(lags['p50_s'])} | {fmt(lags['p99_s'])} | {fmt(lags['max_s'])} |"


def cp_cpu(r):
    a = (r.get("kube-apiserver_footprint_ticks") or {}).get("cpu_s")
    e = (r.get("etcd_footprint_ticks") or {}).get("cpu_s")
    return "–" if a is None else f"{a} + {e}"


def markdown(res):
    L = [f"# sked benchmark {res['started']}", ""]
    h = res.get("host", {})
    L += [f"One local kube-apiserver v1.20.2 + etcd (loopback, no kubelet, no kube-controller-manager except the "
          f"reference's). Host: {h.get('nproc')} cores, {h.get('machine')}, kernel {h.get('kernel')}; "
          f"**{h.get('note')}** — load average at start {fmt(h.get('loadavg_start'))}, "
          f"end {fmt(h.get('loadavg_end'))}. sked: `{res.get('sked_bin')}` {res.get('sked_version', '')} (built {res.get('sked_bin_mtime', '?')}).", ""]
    if res.get("sked") or res.get("reference"):
        L += ["Lag = arrival of the Job's ADDED watch event minus its scheduled time (sked: annotation "
              "`sked.dev/scheduled-time`, second precision; CronJob: `<name>-<unix minutes>`). Tick share = "
              "(object, tick) pairs that produced a Job / N × ticks.", ""]
    ph = res.get("physical")
    if ph:
        L += [f"**Physical limit:** {ph['jobs']} batch/v1 Jobs created by a minimal Python client with "
              f"{ph['concurrency']} concurrent keep-alive connections: best {ph['best_s']} s "
              f"({ph['jobs_per_s_best']} Jobs/s; rounds {ph['wall_s']}).", ""]
    idle = res.get("sked_idle")
    if idle:
        L += [f"**sked idle** ({idle.get('idle_s')} s, no ScheduledJobs): RSS {fmt(idle.get('rss_end_mib'), ' MiB')} "
              f"(peak {fmt(idle.get('rss_peak_mib'), ' MiB')}), CPU {fmt(idle.get('cpu_s'), ' s')}.", ""]
    if res.get("sked") or res.get("reference"):
        L += ["| Controller | Setting | N | Ticks | Jobs | Tick share | Dups | p50 lag (s) | p99 lag (s) | max lag (s) "
              "| CPU s (ticks window) | RSS peak (MiB) | apiserver+etcd CPU s |",
              "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in res.get("sked", []):
        fp = r.get("footprint_ticks", {})
        L.append(f"| sked | 0,20,40 * * * * *, workers {res['args']['workers']}{(' ' + res['args']['sked_args']) if res['args'].get('sked_args') else ''} | {r['n']} | {len(r['ticks'])} | "
                 f"{r['jobs']}/{r['expected_jobs']} | {100 * (r['tick_share'] or 0):.1f}% | {r['duplicates']} | "
                 f"{fmt(r['p50_s'])} | {fmt(r['p99_s'])} | {fmt(r['max_s'])} | {fmt(fp.get('cpu_s'))} "
                 f"over {fmt(fp.get('seconds'))} s | {fmt(fp.get('rss_peak_mib'))} | {cp_cpu(r)} |")
    for r in res.get("reference", []):
        fp = r.get("kcm_footprint_ticks", {})
        s = "default QPS 20/burst 30" if r["setting"] == "default" else "QPS/burst 2000"
        L.append(f"| kube-controller-manager v1.20.2 CronJob v2 | {s} | {r['n']} | {len(r['ticks'])} | "
                 f"{r['jobs']}/{r['expected_jobs']} | {100 * (r['tick_share'] or 0):.1f}% | {r['duplicates']} | "
                 f"{fmt(r['p50_s'])} | {fmt(r['p99_s'])} | {fmt(r['max_s'])} | {fmt(fp.get('cpu_s'))} "
                 f"over {fmt(fp.get('seconds'))} s | {fmt(fp.get('rss_peak_mib'))} | {cp_cpu(r)} |")
    if res.get("sked") or res.get("reference"):
        L += ["", "CPU/RSS columns are the controller process (sked, or kube-controller-manager for the reference) "
              "from /proc, from 1 s before the first measured tick until all Jobs arrived (or the deadline).", ""]
    if res.get("sked"):
        L += ["Per tick (sked):", "", "| N | tick | jobs | p50 | p99 | max |", "|---:|---|---:|---:|---:|---:|"]
        for r in res["sked"]:
            L += [lag_row(r["n"], t["tick"], t["jobs"], lags=t) for t in r["per_tick"]]
        L.append("")
        L += ["sked setup (creating N ScheduledJobs until all report status.nextScheduleTime):", "",
              "| N | create wall (s) | ready after (s) | CPU s setup | RSS before load (MiB) | RSS peak setup (MiB) |",
              "|---:|---:|---:|---:|---:|---:|"]
        for r in res["sked"]:
            L.append(f"| {r['n']} | {r['create_wall_s']} | {r['ready_after_s']} | "
                     f"{fmt(r['footprint_setup'].get('cpu_s'))} | {fmt(r['footprint_before_load'].get('rss_end_mib'))} "
                     f"| {fmt(r['footprint_setup'].get('rss_peak_mib'))} |")
        L.append("")
    if res.get("spread"):
        L += ["Spread (`H` in the seconds and minutes fields: each ScheduledJob fires once a cycle at the minute and "
              "second its namespace/name hashes to; every (ScheduledJob, cycle) of the measured cycles must give one Job):", "",
              "| N | schedule | cycles | Jobs | share | dups | Jobs per second of the cycle (min/mean/max) | p50 lag (s) "
              "| p99 lag (s) | max lag (s) | sked CPU s | RSS peak (MiB) | apiserver+etcd CPU s | ready after (s) |",
              "|---:|---|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|"]
        for r in res["spread"]:
            fp = r.get("footprint_ticks", {})
            L.append(f"| {r['n']} | `{r['schedule']}` | {r['cycles']} × {r['cycle_s']} s | {r['jobs']}/{r['expected_jobs']} | "
                     f"{100 * (r['tick_share'] or 0):.1f}% | {r['duplicates']} | {r['per_second_min']}/"
                     f"{r['per_second_mean']}/{r['per_second_max']} | {fmt(r['p50_s'])} | {fmt(r['p99_s'])} | "
                     f"{fmt(r['max_s'])} | {fmt(fp.get('cpu_s'))} over {fmt(fp.get('seconds'))} s | "
                     f"{fmt(fp.get('rss_peak_mib'))} | {cp_cpu(r)} | {r['ready_after_s']} |")
        L += ["", "| N | cycle from | jobs | p50 | p99 | max |", "|---:|---|---:|---:|---:|---:|"]
        for r in res["spread"]:
            L += [lag_row(r["n"], m["cycle"], m["jobs"], lags=m) for m in r["per_cycle"]]
        L.append("")
    if res.get("reference"):
        L += ["Per tick (reference):", "", "| setting | N | tick | jobs | p50 | p99 | max |",
              "|---|---:|---|---:|---:|---:|---:|"]
        for r in res["reference"]:
            L += [lag_row(r["setting"], r["n"], t["tick"], t["jobs"], lags=t) for t in r["per_tick"]]
        L.append("")
    if res.get("footprint"):
        L += footprint_markdown(res)
    return "\n".join(L) + "\n"


def footprint_markdown(res):
    a = res["args"]
    L = ["## Start-up footprint", "",
         f"ScheduledJobs on `{FOOTPRINT_SCHEDULE}` (nothing due), each with a ~1 KiB jobTemplate; finished Jobs "
         "(status Complete, written through /status) with sked's labels, annotations and a controller "
         "ownerReference, the same pod template. sked (`--namespace` that one, `--workers "
         f"{a['workers']}`{(' ' + a['sked_args']) if a.get('sked_args') else ''}, JSON logs at info"
         f"{(', env ' + ' '.join(a['sked_env'])) if a.get('sked_env') else ''}) is started twice: "
         "**first** = the ScheduledJobs have no status yet (every first reconcile writes one), **restart** = "
         "the same population after that (status written: first reconciles should write nothing). "
         "Times from just before exec: *log* = its first log line, *synced* = its `caches synced` line "
         "(ms timestamps), *first* = first completed reconcile, *watches* = WATCH requests sked made (2 = no re-watch), *drained* = the last new reconcile before "
         "`sked_reconcile_duration_seconds_count` stayed ≥ ScheduledJobs for 3 s (both from /metrics, polled "
         "every ≥ 50 ms, so ± one poll). RSS from /proc (VmRSS; anon = heap + stacks, file = mapped binary "
         "and libraries). Idle: CPU seconds over the idle window after the drain. Targets (issue #7): start to "
         "first reconcile ≤ 3 s and RSS ≤ 64 MiB at 10,000/20,000, idle CPU < 1 % of a core.", "",
         "| SJs | Jobs | start | log (s) | synced (s) | first (s) | drained (s) | reconciles | API writes | watches | "
         "CPU s to drained | RSS synced | RSS drained (anon/file) | peak RSS | RSS after idle (anon/file) | "
         "idle CPU | load avg (1 min) |",
         "|---:|---:|---|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for f in res["footprint"]:
        for r in f["runs"]:
            md, mi = r.get("mem_drained") or {}, r.get("mem_after_idle") or {}
            writes = {k: v for k, v in (r.get("kube_requests_startup") or {}).items() if k.split()[0] not in ("GET", "WATCH")}
            L.append(
                f"| {f['scheduledjobs']} | {f['jobs']} | {r['tag'].split('-')[-1]} | {fmt(r['start_to_log_s'])} | "
                f"{fmt(r['start_to_synced_s'])} | {fmt(r['start_to_first_reconcile_s'])} | {fmt(r['start_to_drained_s'])} | "
                f"{r['reconciles_at_drain']} | {', '.join(f'{k} {v}' for k, v in sorted(writes.items())) or 'none'} | "
                f"{sum(v for k, v in (r.get('kube_requests_startup') or {}).items() if k.startswith('WATCH'))} | "
                f"{fmt(r['cpu_to_drained_s'])} | {fmt(r['rss_at_synced_mib'])} | {fmt(md.get('VmRSS'))} "
                f"({fmt(md.get('RssAnon'))}/{fmt(md.get('RssFile'))}) | {fmt(mi.get('VmHWM'))} | {fmt(mi.get('VmRSS'))} "
                f"({fmt(mi.get('RssAnon'))}/{fmt(mi.get('RssFile'))}) | {fmt(r['idle_cpu_s'])} s / {fmt(r['idle_window_s'])} s "
                f"= {fmt(r['idle_cpu_pct_core'])} % | {r['loadavg'][0]:.2f} |")
    L += ["", "Population and the floor (a bare Python client, 24 keep-alive connections; LIST pages of 500, JSON as "
          "served):", "", "| SJs | Jobs | create SJs (s) | create + status Jobs (s) | LIST SJs (s, MiB) | LIST Jobs (s, MiB) "
          "| SJs with history after | history entries | Jobs left | apiserver + etcd CPU s (restart, to drained) |",
          "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for f in res["footprint"]:
        po, ls = f["populate"], f["populate"]["list"]
        r = f["runs"][-1]
        L.append(f"| {f['scheduledjobs']} | {f['jobs']} | {po['create_scheduledjobs_s']} | {po['create_jobs_s']} | "
                 f"{ls['scheduledjobs']['list_s']} ({ls['scheduledjobs']['json_mib']}) | {ls['jobs']['list_s']} "
                 f"({ls['jobs']['json_mib']}) | {f.get('with_status')} | {f.get('history_entries')} | {f.get('jobs_left')} | "
                 f"{fmt((r['control_plane_startup'].get('kube-apiserver') or {}).get('cpu_s'))} + "
                 f"{fmt((r['control_plane_startup'].get('etcd') or {}).get('cpu_s'))} |")
    L += ["", "Resident memory by mapping after the idle window (restart run, MiB; `[anon]` = anonymous memory "
          "other than `[heap]`: Swift/glibc malloc arenas of worker threads, stacks):", ""]
    for f in res["footprint"]:
        r = f["runs"][-1]
        bm = (r.get("mem_after_idle") or {}).get("by_mapping") or {}
        L.append(f"- {f['scheduledjobs']}/{f['jobs']}: " + ", ".join(f"{k} {v}" for k, v in bm.items()))
    probes = [(f, r) for f in res["footprint"] for r in f["runs"] if (r.get("malloc_probe") or {}).get("malloc_in_use_mib") is not None]
    if probes:
        L += ["", "glibc malloc after the idle window (`--malloc-probe`: gdb calls `malloc_stats()`, then `malloc_trim(0)`): "
              "*in use* = bytes in live allocations, *system* = bytes malloc holds from the kernel.", "",
              "| SJs | Jobs | start | RSS before (MiB) | malloc in use | malloc system | arenas | RSS after trim (anon/file) |",
              "|---:|---:|---|---:|---:|---:|---:|---:|"]
        for f, r in probes:
            mp, at = r["malloc_probe"], r["malloc_probe"].get("after_trim") or {}
            L.append(f"| {f['scheduledjobs']} | {f['jobs']} | {r['tag'].split('-')[-1]} | {fmt((r.get('mem_after_idle') or {}).get('VmRSS'))} | "
                     f"{mp['malloc_in_use_mib']} | {mp['malloc_system_mib']} | {mp['arenas']} | {fmt(at.get('VmRSS'))} "
                     f"({fmt(at.get('RssAnon'))}/{fmt(at.get('RssFile'))}) |")
    L.append("")
    return L


def plot(res, path):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as e:
        log(f"no plot: {e}")
        return None
    if not any(r.get("p99_s") is not None for r in res.get("sked", []) + res.get("reference", [])):
        return None  # e.g. a footprint-only run
    fig, ax = plt.subplots(figsize=(7, 4.5))
    series = [("sked", [r for r in res.get("sked", [])])]
    for s in ("default", "unthrottled"):
        series.append((f"kube-controller-manager CronJob v2 ({'QPS 20' if s == 'default' else 'QPS 2000'})",
                       [r for r in res.get("reference", []) if r["setting"] == s]))
    for label, rows in series:
        rows = [r for r in rows if r.get("p99_s") is not None]
        if rows:
            line, = ax.plot([r["n"] for r in rows], [r["p99_s"] for r in rows], marker="o", label=label)
            for r in rows:
                if (r.get("tick_share") or 0) < 1:
                    ax.annotate(f"only {100 * r['tick_share']:.0f}% of ticks\n(p99 of the Jobs that came)",
                                (r["n"], r["p99_s"]), textcoords="offset points", xytext=(-150, -4), fontsize=7,
                                color=line.get_color(), arrowprops={"arrowstyle": "->", "color": line.get_color()})
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("N (objects firing on the same tick)")
    ax.set_ylabel("p99 lag: watch ADDED − scheduled time (s)")
    ax.set_title(f"Schedule lag, one local kube-apiserver v1.20.2 ({res['started']})")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    return path
