-- Written by an older operator: no Stalled/Reconciling; InvalidSchedule is not transient.
return {
  apiVersion = "sked.dev/v1alpha1",
  kind = "ScheduledJob",
  metadata = { name = "oldinvalid", namespace = "default", generation = 4, uid = "0f6c1b7e-0000-4000-8000-000000000004" },
  spec = { schedule = "61 * * * *", jobTemplate = { spec = {} } },
  status = { observedGeneration = 4, phase = "Invalid", activeRuns = 0,
    conditions = {
      { type = "Ready", status = "False", reason = "InvalidSchedule", message = "minute 61 is out of range 0-59", observedGeneration = 4, lastTransitionTime = "2025-03-01T10:00:00Z" },
    } },
}
