-- Healthy and waiting for the next tick; already annotated by earlier run-now/stop.
return {
  apiVersion = "sked.dev/v1alpha1",
  kind = "ScheduledJob",
  metadata = { name = "nightly", namespace = "default", generation = 1, annotations = { ["sked.dev/run-now"] = "2025-03-01T09:00:00Z", ["sked.dev/stop"] = "1740819600000" }, uid = "0f6c1b7e-0000-4000-8000-000000000001" },
  spec = { schedule = "*/10 * * * *", jobTemplate = { spec = { template = { spec = { restartPolicy = "Never", containers = { { name = "main", image = "busybox:1.36", command = { "sh", "-c", "true" } } } } } } } },
  status = { observedGeneration = 1, phase = "Scheduled", activeRuns = 0, lastScheduleTime = "2025-03-01T10:00:00Z", nextScheduleTime = "2025-03-01T10:10:00Z", lastSuccessfulTime = "2025-03-01T10:00:07Z",
    conditions = {
      { type = "Ready", status = "True", reason = "Scheduled", message = "Schedule is valid", observedGeneration = 1, lastTransitionTime = "2025-03-01T10:00:00Z" },
      { type = "Running", status = "False", reason = "NoActiveRuns", message = "", observedGeneration = 1, lastTransitionTime = "2025-03-01T10:00:00Z" },
      { type = "Stalled", status = "False", reason = "Valid", message = "", observedGeneration = 1, lastTransitionTime = "2025-03-01T10:00:00Z" },
      { type = "Reconciling", status = "False", reason = "Reconciled", message = "", observedGeneration = 1, lastTransitionTime = "2025-03-01T10:00:00Z" },
    } },
}
