-- Written by an older operator: no Stalled/Reconciling; FlinkUnreachable is transient by reason.
return {
  apiVersion = "sked.dev/v1alpha1",
  kind = "ScheduledJob",
  metadata = { name = "oldflink", namespace = "default", generation = 1, uid = "0f6c1b7e-0000-4000-8000-000000000001" },
  spec = { schedule = "0 3 * * *", flinkJob = { jobManagerURL = "http://flink-jobmanager:8081", jarURL = "https://example.com/batch.jar" } },
  status = { observedGeneration = 1, phase = "Scheduled", activeRuns = 0,
    conditions = {
      { type = "Ready", status = "False", reason = "FlinkUnreachable", message = "connection refused", observedGeneration = 1, lastTransitionTime = "2025-03-01T10:00:00Z" },
    } },
}
