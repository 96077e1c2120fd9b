-- The spec was edited (generation 3) but status still describes generation 2.
return {
  apiVersion = "sked.dev/v1alpha1",
  kind = "ScheduledJob",
  metadata = { name = "edited", namespace = "default", generation = 3, uid = "0f6c1b7e-0000-4000-8000-000000000003" },
  spec = { schedule = "*/10 * * * *", jobTemplate = { spec = { template = { spec = { restartPolicy = "Never", containers = { { name = "main", image = "busybox:1.36", command = { "sh", "-c", "true" } } } } } } } },
  status = { observedGeneration = 2, phase = "Scheduled", activeRuns = 0, nextScheduleTime = "2025-03-01T10:10:00Z",
    conditions = {
      { type = "Ready", status = "True", reason = "Scheduled", message = "Next run at 2025-03-01T10:10:00Z", observedGeneration = 2, lastTransitionTime = "2025-03-01T10:00:00Z" },
      { type = "Stalled", status = "False", reason = "Valid", message = "", observedGeneration = 2, lastTransitionTime = "2025-03-01T10:00:00Z" },
      { type = "Reconciling", status = "False", reason = "Reconciled", message = "", observedGeneration = 2, lastTransitionTime = "2025-03-01T10:00:00Z" },
    } },
}
