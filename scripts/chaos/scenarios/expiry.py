"""The `expiry` scenario: stop kube-apiserver, write to etcd and compact it, start kube-apiserver:
the operator's watches get 410 Gone and must relist (checked in its log)."""
import base64
import collections
import json
import os
import re
import signal
import time
import urllib.error
import urllib.request

from common import Abort
from harness.proc import log, pid_alive, wait_gone
from harness.times import hms
from scenario import start_one_operator

WATCH_EXPIRED = "watch expired, relisting"  # the operator's log line (K8sClient Watcher) on 410 Gone
EXPIRY_WATCHES = {"jobs.batch", "scheduledjobs.sked.dev"}  # the operator's informers (its log's `resource`)


def etcd_request(suite, path, body):
    """One call to etcd's v3 JSON gateway (etcd 3.4: POST /v3/kv/...) at the client URL the
    control plane wrote to DIR/env (SKED_TEST_ETCD)."""
    if getattr(suite, "etcd_url", None) is None:
        with open(os.path.join(suite.cp_dir, "env")) as f:
            m = re.search(r"SKED_TEST_ETCD=(\S+)", f.read())
        if not m:
            raise Abort(f"no SKED_TEST_ETCD in {suite.cp_dir}/env")
        suite.etcd_url = m.group(1)
    req = urllib.request.Request(suite.etcd_url + path, data=json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return json.loads(resp.read() or b"{}")
    except urllib.error.HTTPError as e:
        raise Abort(f"etcd {path}: HTTP {e.code}: {e.read()[:300]!r}") from None
    except (OSError, ValueError) as e:
        raise Abort(f"etcd {path}: {e!r}") from None


def etcd_compact_now(suite):
    """Writes a key outside /registry (so that etcd's revision moves past everything any client
    has seen), compacts etcd at that revision and returns it. `physical` makes the call return
    only once the old revisions are really gone."""
    put = etcd_request(suite, "/v3/kv/put", {"key": base64.b64encode(b"/sked-chaos/expiry").decode(),
                                              "value": base64.b64encode(str(time.time()).encode()).decode()})
    revision = int(put["header"]["revision"])
    etcd_request(suite, "/v3/kv/compaction", {"revision": str(revision), "physical": True})
    return revision


def stop_apiserver(suite, grace=1.0):
    """Stops kube-apiserver and waits until it is gone: SIGTERM, SIGKILL after `grace` s (it
    lingers for about 10 s after it stopped listening). Its DIR/pids line stays, so that
    `control-plane.sh restart-apiserver` then only starts a new one, on the same port."""
    pid = suite.component_pid("kube-apiserver")
    for sig, wait in ((signal.SIGCONT, 0), (signal.SIGTERM, grace), (signal.SIGKILL, 10)):
        if not pid_alive(pid):
            return
        os.kill(pid, sig)
        wait_gone(pid, wait)
    if pid_alive(pid):
        raise Abort(f"kube-apiserver (pid {pid}) survived SIGKILL")


def operator_relists(sc, after, before):
    """The operators' relists after an expired watch (410 Gone), from their logs: (time, resource, error)."""
    return [(o["_t"], o.get("resource", "?"), o.get("error", "")) for op in sc.operators for o in op.lines()
            if o.get("msg") == WATCH_EXPIRED and o.get("_t") is not None and after <= o["_t"] < before]


def scenario_expiry(sc, args, rng):
    """One operator; each round stops kube-apiserver, writes to etcd and compacts it at that
    revision, then starts kube-apiserver again. Compaction alone breaks no open watch
    (kube-apiserver serves watches from its watch cache, which keeps the old events), and a plain
    restart expires a watch only if something was written between the operator's last event and
    the new cache's list. This way every watch the operator resumes from its last resourceVersion
    is older than both the new watch cache and etcd's compaction: 410 Gone ("too old resource
    version"), and the operator must relist while the ScheduledJobs keep firing. A round after
    which some watch of the operator did not relist is a violation (kind expiry): either the fault
    did not happen or the operator kept a stale watch."""
    start_one_operator(sc)
    yield "ready"
    sc.sleep(args.warmup)
    suite = sc.suite
    for _ in range(args.expiry_rounds):
        sc.sleep(args.expiry_healthy)
        compacted = []

        def expire():
            stop_apiserver(suite)
            compacted.append(etcd_compact_now(suite))
            suite.control_plane("restart-apiserver")  # only starts it: the old one is gone
        sc.api_fault("stop kube-apiserver, compact etcd, start kube-apiserver", expire)
        fault = sc.faults[-1]
        fault["compacted_revision"] = compacted[0]
        fault["detail"] = f"compacted at revision {compacted[0]}"
        # Give the operator's watches time to come back and be refused (checked afterwards).
        end = time.time() + 15
        while time.time() < end and not EXPIRY_WATCHES <= {r[1] for r in operator_relists(sc, fault["t"], time.time())}:
            sc.sleep(0.2)
        log(f"         operator relisted: {sorted(r[1] for r in operator_relists(sc, fault['t'], time.time()))}")
    sc.sleep(args.healthy)
    op = sc.running()[-1]
    sc.wait_for("the operator to reconcile again", op.is_ready, 60)
    sc.after_checks.append(lambda: check_expiry(sc))


def check_expiry(sc):
    """In every round each of the operator's watches relisted after 410 Gone (from its log)."""
    rounds = [f for f in sc.faults if "compacted_revision" in f]
    ends = [f["t"] for f in rounds[1:]] + [float("inf")]
    per_round = []
    for f, end in zip(rounds, ends):
        relists = operator_relists(sc, f["t"], end)
        resources = collections.Counter(r[1] for r in relists)
        f["operator_relists"] = dict(resources)
        per_round.append({"revision": f["compacted_revision"], "relists": dict(resources),
                          "errors": sorted({r[2][:80] for r in relists})[:4],
                          "first_relist_after_s": round(min(r[0] for r in relists) - f["t"], 2) if relists else None})
        missing = sorted(EXPIRY_WATCHES - set(resources))
        if missing:
            sc.finding("expiry", None, f"etcd compacted at revision {f['compacted_revision']} with kube-apiserver down "
                       f"({hms(f['t'])}), but the operator's watch of {', '.join(missing)} never logged '{WATCH_EXPIRED}'"
                       f" (relisted: {dict(resources) or 'nothing'})")
    sc.details["expiry"] = {"rounds": per_round, "watcher_relists": len(sc_relists(sc))}
    sc.lines.append(f"expiry      {len(rounds)} rounds; operator relists after 410 per round: "
                    + "; ".join(f"rev {r['revision']}: " + (", ".join(f"{k} x{n}" for k, n in sorted(r["relists"].items())) or "NONE")
                                for r in per_round)
                    + f"; this script's watcher relisted {len(sc_relists(sc))}x")


def sc_relists(sc):
    return sc.recorder.relists if getattr(sc, "recorder", None) else []
