"""The `kill` scenario: SIGKILL the operator at random moments (10+ times), restart it each time."""
import time

from harness.proc import log


def scenario_kill(sc, args, rng):
    """SIGKILL the only operator (no leader election) at random moments; restart it each time."""
    sc.operator_args = ["--leader-elect=false"]
    op = sc.start_operator(sc.operator_args)
    sc.wait_for("the operator to be ready", op.is_ready, 60)
    yield "ready"
    sc.sleep(args.warmup)
    for i in range(args.kills):
        op = sc.running()[-1]
        up = rng.uniform(*args.kill_uptime)
        sc.sleep(max(0.0, op.started_at + up - time.time()))
        was_ready = op.is_ready()
        op.kill()
        sc.faults.append({"t": op.ended_at, "kind": "SIGKILL operator", "detail": f"pid {op.pid} after {op.ended_at - op.started_at:.1f}s"
                          + ("" if was_ready else " (before it was ready)")})
        log(f"  fault {i + 1}/{args.kills}: SIGKILL operator pid {op.pid} after {op.ended_at - op.started_at:.1f}s"
            + ("" if was_ready else " (still starting)"))
        sc.sleep(rng.uniform(0, 0.5))
        sc.faults[-1]["t_end"] = sc.start_operator(sc.operator_args).started_at
    op = sc.running()[-1]
    sc.wait_for("the last operator to be ready", op.is_ready, 60)
