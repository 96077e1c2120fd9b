"""What the `flink` scenario (scenarios/flink.py) runs against and checks with:

  naming.py   sked's run names and FlinkJobID.derive, recomputed (with a self-test)
  cluster.py  the Flink session cluster (scripts/flink-cluster.sh), the poller of its jobs, the JAR server
  proxy.py    the fault-injecting HTTP proxy in front of the JobManager
  checks.py   the invariants, on Flink's record of its jobs and the ScheduledJobs' status
"""
