"""The suite's Kubernetes REST client (admin token, from the control plane's kubeconfig) and
the paths and object helpers the scenarios use."""
import http.client
import json
import re
import time

from common import Abort
from harness.api import ApiBase


class ApiDown(Exception):
    pass


class Api(ApiBase):
    """A minimal Kubernetes REST client: one keep-alive connection per thread, admin token."""

    def __init__(self, kubeconfig):
        text = open(kubeconfig).read()
        server = re.search(r"server:\s*(\S+)", text).group(1)
        ca = re.search(r"certificate-authority:\s*(\S+)", text).group(1)
        super().__init__(server, ca, re.search(r"token:\s*(\S+)", text).group(1))

    def req(self, method, path, body=None, content_type="application/json", timeout=10):
        """(status, decoded body or None). Raises ApiDown when the server cannot be reached."""
        conn = getattr(self.local, "conn", None)
        if conn is None or conn.timeout != timeout:
            if conn is not None:
                conn.close()
            conn = self.local.conn = self.connect(timeout)
        data = json.dumps(body).encode() if body is not None else None
        headers = self.headers(content_type if data is not None else None)
        try:
            conn.request(method, path, body=data, headers=headers)
            resp = conn.getresponse()
            raw = resp.read()
        except (OSError, http.client.HTTPException) as e:
            conn.close()
            self.local.conn = None
            raise ApiDown(f"{method} {path}: {e!r}") from None
        try:
            obj = json.loads(raw) if raw else None
        except ValueError:
            obj = {"raw": raw[:200].decode(errors="replace")}
        return resp.status, obj

    def must(self, method, path, body=None, content_type="application/json", ok=(200, 201), tries=20):
        """req() that retries an unreachable server and fails on an unexpected status."""
        last = None
        for _ in range(tries):
            try:
                status, obj = self.req(method, path, body, content_type)
            except ApiDown as e:
                last = e
                time.sleep(0.5)
                continue
            if status in ok:
                return obj
            if status in (429, 500, 503, 504):
                last = f"HTTP {status}: {obj}"
                time.sleep(0.5)
                continue
            raise Abort(f"{method} {path}: HTTP {status}: {json.dumps(obj)[:300]}")
        raise Abort(f"{method} {path}: {last}")

    def ready(self, timeout=2):
        try:
            status, _ = self.req("GET", "/readyz", timeout=timeout)
            return status == 200
        except ApiDown:
            return False

    def watch(self, path, rv, timeout_s=20):
        """Yields watch events (dicts); raises ApiDown / returns when the stream ends."""
        sep = "&" if "?" in path else "?"
        url = f"{path}{sep}watch=1&allowWatchBookmarks=true&timeoutSeconds={timeout_s}&resourceVersion={rv}"
        conn = self.connect(timeout_s + 15)
        try:
            conn.request("GET", url, headers=self.headers())
            resp = conn.getresponse()
            if resp.status != 200:
                body = resp.read()
                try:
                    obj = json.loads(body)
                except ValueError:
                    obj = {}
                yield {"type": "ERROR", "object": {"code": resp.status, "message": str(obj.get("message", body[:200]))}}
                return
            while True:
                line = resp.readline()
                if not line:
                    return
                line = line.strip()
                if line:
                    yield json.loads(line)
        except (OSError, http.client.HTTPException, ValueError) as e:
            raise ApiDown(f"watch {path}: {e!r}") from None
        finally:
            conn.close()


def jobs_path(ns):
    return f"/apis/batch/v1/namespaces/{ns}/jobs"


def sjs_path(ns):
    return f"/apis/sked.dev/v1alpha1/namespaces/{ns}/scheduledjobs"


def is_complete(job):
    for c in (job.get("status") or {}).get("conditions") or []:
        if c.get("type") in ("Complete", "Failed") and c.get("status") == "True":
            return True
    return False


def owner_uid(job):
    for o in job["metadata"].get("ownerReferences") or []:
        if o.get("controller"):
            return o.get("uid")
    return None


def condition(sj, type_):
    for c in (sj.get("status") or {}).get("conditions") or []:
        if c.get("type") == type_:
            return c
    return None


def job_template(container="main", restart_policy="Never"):
    """The jobTemplate every scenario uses (its Jobs never run: there is no kubelet)."""
    return {"spec": {"backoffLimit": 0, "template": {"spec": {
        "restartPolicy": restart_policy,
        "containers": [{"name": container, "image": "busybox:1.36", "command": ["sh", "-c", "true"]}]}}}}


def sj_body(ns, name, spec, annotations=None):
    md = {"name": name, "namespace": ns}
    if annotations:
        md["annotations"] = annotations
    return {"apiVersion": "sked.dev/v1alpha1", "kind": "ScheduledJob", "metadata": md, "spec": spec}
