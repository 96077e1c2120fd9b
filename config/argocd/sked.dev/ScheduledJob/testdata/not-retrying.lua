-- Reconciling present and False: the operator is not retrying, so Ready False is Degraded whatever the reason.
return {
  apiVersion = "sked.dev/v1alpha1",
  kind = "ScheduledJob",
  metadata = { name = "refused", namespace = "default", generation = 1, uid = "0f6c1b7e-0000-4000-8000-000000000001" },
  spec = { schedule = "*/10 * * * *", jobTemplate = { spec = { template = { spec = { restartPolicy = "Never", containers = { { name = "main", image = "busybox:1.36", command = { "sh", "-c", "true" } } } } } } } },
  status = { observedGeneration = 1, phase = "Scheduled", activeRuns = 0,
    conditions = {
      { type = "Ready", status = "False", reason = "SecretUnavailable", message = "Secret default/creds not found", observedGeneration = 1, lastTransitionTime = "2025-03-01T10:00:00Z" },
      { type = "Reconciling", status = "False", reason = "SecretUnavailable", message = "", observedGeneration = 1, lastTransitionTime = "2025-03-01T10:00:00Z" },
      { type = "Stalled", status = "False", reason = "Valid", message = "", observedGeneration = 1, lastTransitionTime = "2025-03-01T10:00:00Z" },
    } },
}
