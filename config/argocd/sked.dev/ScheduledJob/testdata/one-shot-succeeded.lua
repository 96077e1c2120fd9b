-- One-shot (no schedule) whose run succeeded.
return {
  apiVersion = "sked.dev/v1alpha1",
  kind = "ScheduledJob",
  metadata = { name = "once", namespace = "default", generation = 1, uid = "0f6c1b7e-0000-4000-8000-000000000001" },
  spec = { jobTemplate = { spec = {} } },
  status = { observedGeneration = 1, phase = "Succeeded", activeRuns = 0, lastScheduleTime = "2025-03-01T10:00:00Z", lastSuccessfulTime = "2025-03-01T10:00:05Z",
    conditions = {
      { type = "Ready", status = "True", reason = "Scheduled", message = "One-shot run succeeded", observedGeneration = 1, lastTransitionTime = "2025-03-01T10:00:00Z" },
      { type = "Running", status = "False", reason = "NoActiveRuns", message = "", observedGeneration = 1, lastTransitionTime = "2025-03-01T10:00:00Z" },
    } },
}
