"""4. reference: N batch/v1beta1 CronJobs on "* * * * *" handled by kube-controller-manager v1.20.2
(--controllers=cronjob, CronJobControllerV2=true), per client setting, over --ref-ticks ticks."""
import os
import time

from api import Watcher, cronjob_sched_time, parallel
from core import job_template
from harness.proc import log
from harness.times import iso
from measure import analyse, wait_jobs
from report import summary


def start_kcm(b, setting):
    bin_ = os.path.expanduser(b.a.kcm_bin)
    argv = [bin_, "--kubeconfig", b.kubeconfig, "--leader-elect=false", "--secure-port=0", "--port=0",
            "--controllers=cronjob", "--feature-gates=CronJobControllerV2=true"]
    if setting == "unthrottled":
        argv += ["--kube-api-qps=2000", "--kube-api-burst=2000"]
    p = b.start_proc(f"kcm-{setting}", argv)
    time.sleep(5)
    if not p.alive():
        raise RuntimeError(f"kube-controller-manager exited: see {p.logf.name}")
    return p


def run(b, kcm, setting, n):
    ns = f"ref-{setting[:5]}-n{n}-{b.suffix}"
    b.api.ensure_ns(ns)
    w = Watcher(b.api, ns, cronjob_sched_time)
    w.start()
    w.started.wait(10)
    # Create right after a minute boundary so everything exists well before the next one.
    while not (1 <= time.time() % 60 < 40):
        time.sleep(0.2)
    t_create = time.time()

    def create(i):
        b.api.req("POST", f"/apis/batch/v1beta1/namespaces/{ns}/cronjobs", {
            "apiVersion": "batch/v1beta1", "kind": "CronJob", "metadata": {"name": f"cj-{i:05d}"},
            "spec": {"schedule": "* * * * *", "concurrencyPolicy": "Allow",
                     "successfulJobsHistoryLimit": 10, "failedJobsHistoryLimit": 10,
                     "jobTemplate": job_template({"bench": "ref"})}})

    create_wall = parallel(n, create, b.a.create_concurrency)
    t_created = time.time()
    first = (int(t_created + 5) // 60 + 1) * 60
    ticks = [float(first + 60 * k) for k in range(b.a.ref_ticks)]
    log(f"reference {setting} N={n}: created in {create_wall:.2f}s; measuring ticks {iso(ticks[0])} .. "
        f"{iso(ticks[-1])}")
    complete = wait_jobs(w, ticks, n, ticks[-1] + b.a.ref_grace)
    t_end = time.time()
    res = analyse(w, ticks, n)
    res.update({"n": n, "setting": setting, "namespace": ns, "create_wall_s": round(create_wall, 2),
                "complete": complete, "watch_reconnects": w.reconnects,
                "kcm_footprint_ticks": kcm.window(ticks[0] - 1, t_end)})
    res.update(b.cp_footprint(ticks[0] - 1, t_end))
    w.stop()
    b.delete_ns_contents(ns)
    log(f"reference {setting} N={n}: {summary(res)}")
    return res
