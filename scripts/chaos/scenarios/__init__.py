"""The scenarios, one module each: key -> (title, function). A Job scenario's function is a
generator of (sc, args, rng): it starts the operators and yields once they are up (the suite
then creates the ScheduledJobs), injects its faults, and returns. One marked `runs_itself`
(flink) is called as (suite, key, title, rng) and brings its own workload and checks."""
from scenarios.apiserver import scenario_apiserver
from scenarios.backfill import scenario_backfill
from scenarios.badinput import scenario_badinput
from scenarios.catchup import scenario_catchup
from scenarios.expiry import scenario_expiry
from scenarios.flink import scenario_flink
from scenarios.kill import scenario_kill
from scenarios.leader import scenario_leader

SCENARIOS = {
    "kill": ("SIGKILL the operator at random moments, restart it", scenario_kill),
    "leader": ("two operators with leader election, SIGKILL the leader", scenario_leader),
    "apiserver": ("restart kube-apiserver, SIGSTOP it, restart etcd", scenario_apiserver),
    "expiry": ("Force watch expiry: stop kube-apiserver, compact etcd, start it", scenario_expiry),
    "badinput": ("Bad input corpus: invalid ScheduledJobs (fuzzed, classic, 1,000 at once) beside healthy ones", scenario_badinput),
}

# Opt-in (--scenarios flink): a real Flink session cluster behind a fault-injecting proxy, with its
# own workload and checks (scenarios/flink.py).
SCENARIOS["flink"] = ("Flink target: 5xx proxy, JobManager SIGKILLs, operator SIGKILL mid-submission", scenario_flink)
# catch-up after downtime, issue #15
SCENARIOS["catchup"] = ("catchUp All: SIGKILL the operator, keep it down for several ticks, restart it", scenario_catchup)
# a backfill during leader failovers, issue #15
SCENARIOS["backfill"] = ("a backfill of the 10 s before creation while the leader is SIGKILLed again and again", scenario_backfill)
