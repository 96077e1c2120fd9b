-- Flink JobManager unreachable: the operator retries (Reconciling True), not Stalled.
return {
  apiVersion = "sked.dev/v1alpha1",
  kind = "ScheduledJob",
  metadata = { name = "flink", namespace = "default", generation = 1, uid = "0f6c1b7e-0000-4000-8000-000000000001" },
  spec = { schedule = "0 3 * * *", flinkJob = { jobManagerURL = "http://flink-jobmanager:8081", jarURL = "https://example.com/batch.jar" } },
  status = { observedGeneration = 1, phase = "Scheduled", activeRuns = 0,
    conditions = {
      { type = "Ready", status = "False", reason = "FlinkUnreachable", message = "GET http://flink-jobmanager:8081/overview: connection refused; retrying", observedGeneration = 1, lastTransitionTime = "2025-03-01T10:00:00Z" },
      { type = "Reconciling", status = "True", reason = "FlinkUnreachable", message = "retrying in 30s", observedGeneration = 1, lastTransitionTime = "2025-03-01T10:00:00Z" },
      { type = "Stalled", status = "False", reason = "Valid", message = "", observedGeneration = 1, lastTransitionTime = "2025-03-01T10:00:00Z" },
    } },
}
