"""5. footprint: SJS ScheduledJobs on "0 0 1 1 *" (nothing due) and JOBS finished Jobs owned by
them, created up front; sked started twice on that namespace (first start: no status yet;
restart: status written): process start -> "caches synced" log line -> first reconcile ->
queue drained, RSS at each point and CPU over an idle window."""
import datetime as dt
import json
import os
import time

from api import list_size, parallel
from harness.proc import free_port, log
from harness.times import iso, parse_time
from procs import diff, malloc_probe, mem_detail, rss_by_mapping, scrape_startup

# A 5-field schedule that fires once a year: nothing is due while the footprint is measured.
FOOTPRINT_SCHEDULE = "0 0 1 1 *"


def realistic_job_spec():
    """A batch/v1 JobSpec of the size real ones have (image, command, env, resources): ~1 KiB of JSON."""
    return {"backoffLimit": 2, "activeDeadlineSeconds": 3600, "template": {
        "metadata": {"labels": {"app": "nightly-report", "tier": "batch"},
                     "annotations": {"example.com/owner": "data-platform"}},
        "spec": {"restartPolicy": "Never", "terminationGracePeriodSeconds": 30, "containers": [{
            "name": "report", "image": "registry.example.com/data-platform/nightly-report:1.14.2",
            "imagePullPolicy": "IfNotPresent", "command": ["/bin/sh", "-c"],
            "args": ["python -m report.run --date \"$(date -u +%F)\" --output s3://reports/nightly/ --format parquet"],
            "env": [{"name": "LOG_LEVEL", "value": "info"}, {"name": "REPORT_BUCKET", "value": "s3://reports"},
                    {"name": "DB_HOST", "value": "postgres.databases.svc.cluster.local"},
                    {"name": "DB_USER", "valueFrom": {"secretKeyRef": {"name": "report-db", "key": "user"}}},
                    {"name": "DB_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "report-db", "key": "password"}}},
                    {"name": "POD_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}}],
            "resources": {"requests": {"cpu": "250m", "memory": "256Mi"}, "limits": {"memory": "1Gi"}}}]}}}


def populate(b, ns, n_sj, n_jobs):
    """n_sj ScheduledJobs that never fire during the run, and n_jobs finished Jobs owned by them
    (labels, annotations and owner reference as sked writes them; status Complete via /status)."""
    per_sj = -(-n_jobs // n_sj) if n_sj else 0
    uids = [None] * n_sj
    sj_path = f"/apis/sked.dev/v1alpha1/namespaces/{ns}/scheduledjobs"

    def mk_sj(i):
        _, o = b.api.req("POST", sj_path, {
            "apiVersion": "sked.dev/v1alpha1", "kind": "ScheduledJob",
            "metadata": {"name": f"sj-{i:05d}", "labels": {"team": f"team-{i % 20}"}},
            "spec": {"schedule": FOOTPRINT_SCHEDULE, "concurrencyPolicy": "Forbid",
                     "successfulRunsHistoryLimit": max(3, per_sj), "failedRunsHistoryLimit": 1,
                     "jobTemplate": {"metadata": {"labels": {"app": "nightly-report"}}, "spec": realistic_job_spec()}}})
        uids[i] = o["metadata"]["uid"]

    wall_sj = parallel(n_sj, mk_sj, b.a.create_concurrency)
    log(f"footprint: created {n_sj} ScheduledJobs in {wall_sj:.1f}s")

    def mk_job(j):
        i, k = j % n_sj, j // n_sj
        sj = f"sj-{i:05d}"
        # Past ticks of FOOTPRINT_SCHEDULE: 1 January of this year, the year before, ...
        year = dt.datetime.now(dt.timezone.utc).year - k
        t = dt.datetime(year, 1, 1, tzinfo=dt.timezone.utc).timestamp()
        name = f"{sj}-{int(t)}"
        b.api.req("POST", f"/apis/batch/v1/namespaces/{ns}/jobs", {
            "apiVersion": "batch/v1", "kind": "Job",
            "metadata": {"name": name,
                         "labels": {"app": "nightly-report", "sked.dev/scheduled-job": sj,
                                    "app.kubernetes.io/managed-by": "sked"},
                         "annotations": {"sked.dev/scheduled-time": iso(t), "sked.dev/trigger": "schedule",
                                         "sked.dev/run-id": str(int(t)), "sked.dev/attempt": "1"},
                         "ownerReferences": [{"apiVersion": "sked.dev/v1alpha1", "kind": "ScheduledJob", "name": sj,
                                              "uid": uids[i], "controller": True, "blockOwnerDeletion": True}]},
            "spec": realistic_job_spec()})
        b.api.req("PATCH", f"/apis/batch/v1/namespaces/{ns}/jobs/{name}/status", {"status": {
            "startTime": iso(t + 1), "completionTime": iso(t + 95), "succeeded": 1,
            "conditions": [{"type": "Complete", "status": "True", "lastProbeTime": iso(t + 95),
                            "lastTransitionTime": iso(t + 95)}]}}, ctype="application/merge-patch+json")

    wall_jobs = parallel(n_jobs, mk_job, b.a.create_concurrency)
    log(f"footprint: created {n_jobs} finished Jobs (POST + PATCH status) in {wall_jobs:.1f}s")
    # What a bare client needs to read the same population (the floor for "caches synced").
    lists = {}
    for kind, path in (("scheduledjobs", sj_path),
                       ("jobs", f"/apis/batch/v1/namespaces/{ns}/jobs?labelSelector=sked.dev%2Fscheduled-job")):
        t0 = time.perf_counter()
        n, size = list_size(b.api, path)
        lists[kind] = {"items": n, "json_mib": round(size / 2 ** 20, 1), "list_s": round(time.perf_counter() - t0, 2)}
    log(f"footprint: python LIST (limit 500): {lists}")
    return {"create_scheduledjobs_s": round(wall_sj, 1), "create_jobs_s": round(wall_jobs, 1),
            "concurrency": b.a.create_concurrency, "list": lists}


def start(b, ns, n_sj, tag):
    """Start sked on a populated namespace and time its start-up from the outside: process start
    (just before exec), its 'caches synced' log line (JSON, ms timestamps), the first completed
    reconcile and the drained queue (sked_reconcile_duration_seconds_count from /metrics,
    polled at most every 50 ms, and less often when a scrape is slow); then an idle window."""
    mport, hport = free_port(), free_port()
    argv = b.sked_argv(ns, mport, hport, "json", "info")
    t0 = time.time()
    p = b.start_proc(f"sked-fp-{tag}", argv)
    logr = open(p.logf.name, "rb")  # noqa: SIM115
    t_log_start = t_synced = t_first = None
    synced_counts, count, last_change, scrape_s, polls = None, 0, None, [], 0
    end = t0 + b.a.footprint_timeout
    while time.time() < end:
        if not p.alive():
            raise RuntimeError(f"sked exited during start-up: see {p.logf.name}")
        for line in logr.readlines():
            try:
                ev = json.loads(line)
            except ValueError:
                continue
            msg = ev.get("msg") or ev.get("message")
            if msg == "starting sked" and t_log_start is None:
                t_log_start = parse_time(ev["ts"])
            if msg == "caches synced" and t_synced is None:
                t_synced = parse_time(ev["ts"])
                synced_counts = {k: ev.get(k) for k in ("scheduledJobs", "jobs")}
                if synced_counts["scheduledJobs"] is None:  # metadata nested or flattened
                    md = ev.get("metadata") or {}
                    synced_counts = {k: md.get(k) for k in ("scheduledJobs", "jobs")}
        s0 = time.perf_counter()
        m = scrape_startup(mport)
        now = time.time()
        scrape_s.append(time.perf_counter() - s0)
        polls += 1
        if m is not None:
            c = m["reconciles"]
            if c > 0 and t_first is None:
                t_first = now
            if c != count:
                count, last_change = c, now
            if t_synced and count >= n_sj and now - (last_change or t_synced) >= 3:
                break
        time.sleep(max(0.05, 10 * scrape_s[-1]))
    else:
        log(f"footprint {tag}: not drained after {b.a.footprint_timeout}s ({count} reconciles)")
    logr.close()
    t_drained = last_change or t_synced
    mem_drained = mem_detail(p.pid)
    m_drained = scrape_startup(mport) or {}
    time.sleep(1)
    t_idle0 = time.time()
    time.sleep(b.a.footprint_idle)
    t_idle1 = time.time()
    mem_idle = mem_detail(p.pid)
    mem_idle["by_mapping"] = rss_by_mapping(p.pid)
    probe = malloc_probe(p.pid, p.logf.name) if b.a.malloc_probe else None
    m_end = scrape_startup(mport) or {}
    idle = p.window(t_idle0, t_idle1)
    at_synced = next((s for s in p.samples if t_synced and s[0] >= t_synced), None)
    startup = p.window(t0, t_drained or time.time())
    rel = lambda t: None if t is None else round(t - t0, 3)  # noqa: E731
    res = {
        "tag": tag, "t_start": iso(t0),
        "start_to_log_s": rel(t_log_start), "start_to_synced_s": rel(t_synced),
        "start_to_first_reconcile_s": rel(t_first), "start_to_drained_s": rel(t_drained),
        "synced_counts": synced_counts, "reconciles_at_drain": count,
        "reconciles_after_idle": m_end.get("reconciles"),
        "kube_requests_startup": m_drained.get("requests"), "kube_requests_idle": diff(m_end.get("requests"), m_drained.get("requests")),
        "metrics_polls": polls, "metrics_scrape_ms_max": round(1000 * max(scrape_s), 1) if scrape_s else None,
        "metrics_bytes": m_end.get("bytes"),
        "rss_at_synced_mib": round(at_synced[1] / 1024, 1) if at_synced else None,
        "cpu_to_drained_s": startup.get("cpu_s"), "rss_peak_startup_mib": startup.get("rss_peak_mib"),
        "mem_drained": mem_drained, "mem_after_idle": mem_idle, "malloc_probe": probe,
        "idle_window_s": idle.get("seconds"), "idle_cpu_s": idle.get("cpu_s"),
        "idle_cpu_pct_core": (round(100 * idle["cpu_s"] / idle["seconds"], 2)
                              if idle.get("cpu_s") is not None and idle.get("seconds") else None),
        "idle_rss_peak_mib": idle.get("rss_peak_mib"),
        "loadavg": os.getloadavg(),
    }
    res["control_plane_startup"] = {k: v.window(t0, t_drained or time.time()) for k, v in b.cp_samplers.items()}
    b.stop_proc(p)
    log(f"footprint {tag}: start->synced {res['start_to_synced_s']}s, ->first reconcile "
        f"{res['start_to_first_reconcile_s']}s, ->drained {res['start_to_drained_s']}s ({count} reconciles); "
        f"RSS synced {res['rss_at_synced_mib']} / drained {mem_drained.get('VmRSS')} / idle "
        f"{mem_idle.get('VmRSS')} MiB; idle CPU {res['idle_cpu_s']}s / {res['idle_window_s']}s")
    return res


def run(b, n_sj, n_jobs):
    ns = f"sked-fp{n_sj}-{b.suffix}"
    b.api.ensure_ns(ns)
    res = {"scheduledjobs": n_sj, "jobs": n_jobs, "namespace": ns, "schedule": FOOTPRINT_SCHEDULE}
    res["populate"] = populate(b, ns, n_sj, n_jobs)
    # 1. First start: the ScheduledJobs have no status yet, so every first reconcile writes one
    #    (history = the Jobs found). 2. Restart: same population, status already written, so
    #    the first reconciles should be no-ops (no PUTs): the steady-state restart.
    res["runs"] = [start(b, ns, n_sj, f"{n_sj}-first"), start(b, ns, n_sj, f"{n_sj}-restart")]
    res["runs"][0]["variant"] = "first start (no status yet)"
    res["runs"][1]["variant"] = "restart (status written)"
    items = b.api.list_all(f"/apis/sked.dev/v1alpha1/namespaces/{ns}/scheduledjobs", deadline=120)
    res["with_status"] = sum(1 for o in items if (o.get("status") or {}).get("history"))
    res["history_entries"] = sum(len((o.get("status") or {}).get("history") or []) for o in items)
    res["jobs_left"] = list_size(b.api, f"/apis/batch/v1/namespaces/{ns}/jobs")[0]
    log(f"footprint {n_sj}/{n_jobs}: {res['with_status']} ScheduledJobs with history "
        f"({res['history_entries']} entries), {res['jobs_left']} Jobs left")
    return res
