-- One-shot whose run failed after its retries.
return {
  apiVersion = "sked.dev/v1alpha1",
  kind = "ScheduledJob",
  metadata = { name = "oncefail", namespace = "default", generation = 1, uid = "0f6c1b7e-0000-4000-8000-000000000001" },
  spec = { retry = { limit = 1 }, jobTemplate = { spec = {} } },
  status = { observedGeneration = 1, phase = "Failed", activeRuns = 0, lastScheduleTime = "2025-03-01T10:00:00Z",
    conditions = {
      { type = "Ready", status = "True", reason = "Scheduled", message = "One-shot run failed after 2 attempts: exit code 3", observedGeneration = 1, lastTransitionTime = "2025-03-01T10:00:00Z" },
      { type = "Running", status = "False", reason = "NoActiveRuns", message = "", observedGeneration = 1, lastTransitionTime = "2025-03-01T10:00:00Z" },
      { type = "Stalled", status = "False", reason = "Valid", message = "", observedGeneration = 1, lastTransitionTime = "2025-03-01T10:00:00Z" },
    } },
}
