"""1. physical: a minimal client creates 1,000 batch/v1 Jobs with C concurrent requests (the floor
any controller's Job creation sits on)."""
from api import parallel
from core import job_template
from harness.proc import log


def run(b):
    res = []
    for rnd in range(b.a.physical_rounds):
        ns = f"physical-{rnd}-{b.suffix}"
        b.api.ensure_ns(ns)
        n = b.a.physical_jobs

        def create(i, ns=ns):
            b.api.req("POST", f"/apis/batch/v1/namespaces/{ns}/jobs",
                      {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": f"p-{i:05d}"},
                       "spec": job_template()["spec"]})

        wall = parallel(n, create, b.a.physical_concurrency)
        log(f"physical round {rnd}: {n} Jobs, {b.a.physical_concurrency} concurrent: {wall:.2f}s")
        res.append(round(wall, 3))
        b.delete_ns_contents(ns)
    b.result["physical"] = {"jobs": b.a.physical_jobs, "concurrency": b.a.physical_concurrency,
                            "wall_s": res, "best_s": min(res), "jobs_per_s_best": round(b.a.physical_jobs / min(res))}
