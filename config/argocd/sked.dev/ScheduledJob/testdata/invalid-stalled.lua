-- Both jobTemplate and flinkJob set: Stalled (needs the user), Ready False.
return {
  apiVersion = "sked.dev/v1alpha1",
  kind = "ScheduledJob",
  metadata = { name = "invalid", namespace = "default", generation = 2, uid = "0f6c1b7e-0000-4000-8000-000000000002" },
  spec = { schedule = "@hourly", jobTemplate = { spec = {} }, flinkJob = { jarURL = "https://example.com/a.jar" } },
  status = { observedGeneration = 2, phase = "Invalid", activeRuns = 0,
    conditions = {
      { type = "Ready", status = "False", reason = "InvalidSpec", message = "exactly one of spec.jobTemplate and spec.flinkJob must be set", observedGeneration = 2, lastTransitionTime = "2025-03-01T10:00:00Z" },
      { type = "Stalled", status = "True", reason = "InvalidSpec", message = "exactly one of spec.jobTemplate and spec.flinkJob must be set", observedGeneration = 2, lastTransitionTime = "2025-03-01T10:00:00Z" },
      { type = "Reconciling", status = "False", reason = "Stalled", message = "", observedGeneration = 2, lastTransitionTime = "2025-03-01T10:00:00Z" },
    } },
}
