"""The `leader` scenario: two operators with leader election (4s/3s/1s lease); SIGKILL the
current leader (found from the Lease's holderIdentity) repeatedly, start a replacement each time."""
from common import Abort
from harness.proc import log
from scenario import LE_FAST


def scenario_leader(sc, args, rng):
    """Two operators with leader election; SIGKILL whichever holds the Lease, start a replacement."""
    sc.operator_args = LE_FAST
    sc.start_operator(LE_FAST)
    sc.start_operator(LE_FAST)
    sc.wait_for("a leader", lambda: sc.leader() is not None and sc.leader().is_ready(), 60)
    yield "ready"
    sc.sleep(args.warmup)
    for i in range(args.leader_kills):
        sc.wait_for("a leader that reconciles", lambda: sc.leader() is not None and sc.leader().is_ready(), 60)
        sc.sleep(rng.uniform(*args.leader_uptime))
        leader = None
        for _ in range(50):
            leader = sc.leader()
            if leader is not None:
                break
            sc.sleep(0.1)
        if leader is None:
            raise Abort("no leader found in the Lease")
        leader.kill()
        t = leader.ended_at
        log(f"  fault {i + 1}/{args.leader_kills}: SIGKILL leader {leader.identity()} (pid {leader.pid})")
        sc.start_operator(LE_FAST)
        standby = [o for o in sc.running() if o is not leader]
        sc.wait_for("the standby to take over", lambda: any(o.is_ready() and o.leader_since_after(t) for o in standby), 60)
        new = next(o for o in standby if o.is_ready() and o.leader_since_after(t))
        took = new.first_ready_after(t) - t
        sc.faults.append({"t": t, "kind": "SIGKILL leader", "detail": f"{leader.identity()} (pid {leader.pid}); "
                          f"{new.identity()} reconciling {took:.1f}s later", "takeover_s": round(took, 2)})
        log(f"         {new.identity()} took over, reconciling {took:.1f}s after the kill")
