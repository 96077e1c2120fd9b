-- Two runs active (concurrencyPolicy Allow).
return {
  apiVersion = "sked.dev/v1alpha1",
  kind = "ScheduledJob",
  metadata = { name = "busy", namespace = "default", generation = 1, uid = "0f6c1b7e-0000-4000-8000-000000000001" },
  spec = { schedule = "*/10 * * * *", jobTemplate = { spec = { template = { spec = { restartPolicy = "Never", containers = { { name = "main", image = "busybox:1.36", command = { "sh", "-c", "true" } } } } } } } },
  status = { observedGeneration = 1, phase = "Running", activeRuns = 2, lastScheduleTime = "2025-03-01T10:00:00Z", nextScheduleTime = "2025-03-01T10:10:00Z",
    conditions = {
      { type = "Ready", status = "True", reason = "Scheduled", message = "Next run at 2025-03-01T10:10:00Z", observedGeneration = 1, lastTransitionTime = "2025-03-01T10:00:00Z" },
      { type = "Running", status = "True", reason = "RunsActive", message = "2 runs active", observedGeneration = 1, lastTransitionTime = "2025-03-01T10:00:00Z" },
      { type = "Stalled", status = "False", reason = "Valid", message = "", observedGeneration = 1, lastTransitionTime = "2025-03-01T10:00:00Z" },
      { type = "Reconciling", status = "False", reason = "Reconciled", message = "", observedGeneration = 1, lastTransitionTime = "2025-03-01T10:00:00Z" },
    } },
}
