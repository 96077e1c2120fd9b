"""Paths, names and errors shared by the fault-injection suite's modules (run.py is the entry
point; it puts scripts/ on sys.path for the `harness` package before importing anything here)."""
import os
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
CONTROL_PLANE = os.path.join(REPO, "scripts", "control-plane.sh")
CRD = os.path.join(REPO, "config", "crd", "sked.dev_scheduledjobs.yaml")
RBAC = os.path.join(REPO, "config", "rbac")
# secrets get, for the corpus' headersSecretRef cases (config/rbac alone reads no Secret)
FLINK_SECRETS = os.path.join(REPO, "config", "flink-secrets", "flink_secrets.yaml")
LABEL = "sked.dev/scheduled-job"
LE_NAMESPACE = "sked-system"
T0 = time.time()
LOAD_AT_START = os.getloadavg()


class Abort(Exception):
    """A setup problem or the global time limit: not a finding about sked."""


class Interrupted(BaseException):
    pass
