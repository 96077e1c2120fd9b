"""The benchmark run's state and lifecycle: one control plane (scripts/control-plane.sh, without
kube-controller-manager), the processes it starts (stopped by PID), sked's start, the shared
Job template, and the result files. The benchmarks (physical.py, sked_n.py, spread.py,
reference.py, footprint.py) are functions of a Bench."""
import datetime as dt
import json
import os
import shutil
import subprocess
import tempfile
import time
import urllib.request

from api import Api, Watcher, parallel, sked_sched_time
from harness.proc import free_port, log
from procs import Proc, Sampler, scrape
from report import markdown, summary

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)


def job_template(labels=None):
    return {
        "metadata": {"labels": labels or {"bench": "sked"}},
        "spec": {"backoffLimit": 0, "template": {"spec": {"restartPolicy": "Never", "containers": [
            {"name": "c", "image": "busybox:1.36", "command": ["true"]}]}}},
    }


class Bench:
    def __init__(self, args):
        self.a = args
        self.procs = []
        self.cp_dir = None
        self.stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H%M%SZ")
        self.work = tempfile.mkdtemp(prefix=f"sked-bench-{self.stamp}-")
        self.suffix = str(int(time.time()))[-5:]
        self.result = {"started": self.stamp, "workdir": self.work, "args": vars(args)}

    # -- lifecycle
    def start_control_plane(self):
        self.cp_dir = os.path.join(self.work, "cp")
        env = dict(os.environ, SKED_CONTROLLERS="none")
        log("starting control plane in", self.cp_dir)
        out = subprocess.run(["bash", os.path.join(REPO, "scripts/control-plane.sh"), "start", self.cp_dir], env=env,
                             capture_output=True, text=True, timeout=180)
        if out.returncode != 0:
            raise RuntimeError("control plane failed: " + out.stderr[-2000:])
        self.kubeconfig = os.path.join(self.cp_dir, "admin.kubeconfig")
        with open(self.kubeconfig) as f:
            server = next(l.split("server:")[1].strip() for l in f if "server:" in l)
        self.api = Api(server, os.path.join(self.cp_dir, "certs/apiserver.crt"), "admintoken")
        self.result["apiserver"] = server
        self.cp_samplers = {}
        with open(os.path.join(self.cp_dir, "pids")) as f:
            for line in f:
                pid, name = line.split()
                self.cp_samplers[name] = Sampler(name, int(pid))
        subprocess.run(["kubectl", "--kubeconfig", self.kubeconfig, "apply", "-f",
                        os.path.join(REPO, "config/crd/sked.dev_scheduledjobs.yaml")], check=True, timeout=60,
                       capture_output=True)
        subprocess.run(["kubectl", "--kubeconfig", self.kubeconfig, "wait", "--for=condition=Established",
                        "crd/scheduledjobs.sked.dev", "--timeout=60s"], check=True, timeout=90, capture_output=True)

    def cleanup(self):
        for p in reversed(self.procs):
            try:
                p.stop()
            except Exception as e:  # noqa: BLE001
                log(f"stopping {p.name}: {e}")
        self.procs = []
        if self.cp_dir:
            subprocess.run(["bash", os.path.join(REPO, "scripts/control-plane.sh"), "stop", self.cp_dir], timeout=120)
            shutil.rmtree(os.path.join(self.cp_dir, "etcd"), ignore_errors=True)
            self.cp_dir = None

    def cp_footprint(self, t0, t1):
        return {f"{k}_footprint_ticks": v.window(t0, t1) for k, v in self.cp_samplers.items()}

    def start_proc(self, name, argv):
        env = dict(os.environ, **dict(kv.split("=", 1) for kv in self.a.sked_env)) if name.startswith("sked") and self.a.sked_env else None
        p = Proc(name, argv, os.path.join(self.work, f"{name}.log"), env=env)
        self.procs.append(p)
        return p

    def stop_proc(self, p):
        p.stop()
        self.procs.remove(p)

    def delete_ns_contents(self, ns):
        for path in (f"/apis/sked.dev/v1alpha1/namespaces/{ns}/scheduledjobs",
                     f"/apis/batch/v1beta1/namespaces/{ns}/cronjobs", f"/apis/batch/v1/namespaces/{ns}/jobs"):
            try:
                self.api.req("DELETE", path, ok=(200, 404))
            except Exception as e:  # noqa: BLE001
                log(f"deletecollection {path}: {e}")

    # -- sked process
    def sked_argv(self, ns, mport, hport, log_format, log_level):
        """`sked operator` on `ns`, without leader election, metrics and probes on these ports."""
        return [self.a.sked_bin, "operator", "--kubeconfig", self.kubeconfig, "--namespace", ns,
                "--leader-elect=false", "--metrics-bind-address", f"127.0.0.1:{mport}",
                "--health-probe-bind-address", f"127.0.0.1:{hport}", "--log-format", log_format,
                "--log-level", log_level, "--workers", str(self.a.workers)] + self.a.sked_args.split()

    def start_sked(self, ns, tag):
        mport, hport = free_port(), free_port()
        argv = self.sked_argv(ns, mport, hport, "text", "warning")
        p = self.start_proc(f"sked-{tag}", argv)
        p.metrics_port = mport
        end = time.time() + 60
        while time.time() < end:
            if not p.alive():
                raise RuntimeError(f"sked exited: see {p.logf.name}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{hport}/readyz", timeout=2) as r:
                    if r.status == 200:
                        return p
            except OSError:
                pass
            time.sleep(0.25)
        raise TimeoutError("sked not ready in 60s")

    # -- shared by the sked benchmarks
    def watched_namespace(self, ns):
        """Creates `ns` and returns a started watch of its Jobs."""
        self.api.ensure_ns(ns)
        w = Watcher(self.api, ns, sked_sched_time)
        w.start()
        w.started.wait(10)
        return w

    def create_scheduledjobs(self, ns, n, schedule):
        """Creates sj-00000… on `schedule` (Allow, the shared Job template); returns the wall time."""
        def create(i):
            self.api.req("POST", f"/apis/sked.dev/v1alpha1/namespaces/{ns}/scheduledjobs", {
                "apiVersion": "sked.dev/v1alpha1", "kind": "ScheduledJob", "metadata": {"name": f"sj-{i:05d}"},
                "spec": {"schedule": schedule, "concurrencyPolicy": "Allow",
                         "successfulRunsHistoryLimit": 10, "failedRunsHistoryLimit": 10,
                         "jobTemplate": job_template()}})

        return parallel(n, create, self.a.create_concurrency)

    def finish_sked(self, what, res, w, p, ns, t0, t_end):
        """The end of a sked benchmark: the control plane's footprint from t0 to t_end and sked's
        metrics into `res`; then the watch, sked and the namespace's objects go."""
        res.update(self.cp_footprint(t0, t_end))
        res["sked_metrics"] = scrape(p.metrics_port)
        w.stop()
        self.stop_proc(p)
        self.delete_ns_contents(ns)
        log(f"{what}: {summary(res)}")
        return res

    # -- output
    def write(self):
        os.makedirs(self.a.out, exist_ok=True)
        base = os.path.join(self.a.out, f"{self.stamp}{'-quick' if self.a.quick else ''}")
        with open(base + ".json", "w") as f:
            json.dump(self.result, f, indent=2)
        with open(base + ".md", "w") as f:
            f.write(markdown(self.result))
        return base
