"""The `apiserver` scenario: restart kube-apiserver; SIGSTOP it for 20 s, then SIGCONT; restart
etcd (same data, same ports); one operator, without leader election unless --apiserver-leader-elect."""
import os
import signal
import time

from scenario import LE_FAST


def scenario_apiserver(sc, args, rng):
    """One operator: restart kube-apiserver, SIGSTOP it for 20 s, restart etcd. Without leader
    election by default: a leader would lose its 3 s lease in every outage and cancel its
    in-flight reconciles, which hides what the reconciler does with the API's errors."""
    sc.operator_args = LE_FAST if args.apiserver_leader_elect else ["--leader-elect=false"]
    op = sc.start_operator(sc.operator_args)
    sc.wait_for("the operator to be ready", op.is_ready, 60)
    yield "ready"
    sc.sleep(args.warmup)
    suite = sc.suite
    for round_ in range(args.api_rounds):
        sc.sleep(args.healthy)
        sc.api_fault("restart kube-apiserver", lambda: suite.control_plane("restart-apiserver"))
        sc.sleep(args.healthy)

        def pause():
            pid = suite.component_pid("kube-apiserver")
            suite.paused = pid
            os.kill(pid, signal.SIGSTOP)
            sc.pauses.append([time.time(), None])
            sc.sleep(args.pause)
            os.kill(pid, signal.SIGCONT)
            sc.pauses[-1][1] = time.time()
            suite.paused = None
        sc.api_fault("SIGSTOP kube-apiserver", pause, f"for {args.pause:g}s, then SIGCONT")
        sc.sleep(args.healthy)
        sc.api_fault("restart etcd", lambda: suite.control_plane("restart-etcd"))
    sc.sleep(args.healthy)
    op = sc.running()[-1]
    sc.wait_for("the operator to reconcile again", op.is_ready, 60)
