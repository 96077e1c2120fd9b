-- Suspended by the user; the operator has observed it.
return {
  apiVersion = "sked.dev/v1alpha1",
  kind = "ScheduledJob",
  metadata = { name = "paused", namespace = "default", generation = 2, uid = "0f6c1b7e-0000-4000-8000-000000000002" },
  spec = { suspend = true, schedule = "*/10 * * * *", jobTemplate = { spec = {} } },
  status = { observedGeneration = 2, phase = "Suspended", activeRuns = 0,
    conditions = {
      { type = "Ready", status = "True", reason = "Suspended", message = "Suspended: no new scheduled runs", observedGeneration = 2, lastTransitionTime = "2025-03-01T10:00:00Z" },
      { type = "Running", status = "False", reason = "NoActiveRuns", message = "", observedGeneration = 2, lastTransitionTime = "2025-03-01T10:00:00Z" },
    } },
}
