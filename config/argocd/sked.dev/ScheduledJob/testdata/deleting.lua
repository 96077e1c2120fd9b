-- Being deleted (a finalizer holds it); Argo says Pending deletion before running the script.
return {
  apiVersion = "sked.dev/v1alpha1",
  kind = "ScheduledJob",
  metadata = { name = "gone", namespace = "default", generation = 1, deletionTimestamp = "2025-03-01T11:00:00Z", finalizers = { "sked.dev/runs" }, uid = "0f6c1b7e-0000-4000-8000-000000000001" },
  spec = { schedule = "*/10 * * * *", jobTemplate = { spec = { template = { spec = { restartPolicy = "Never", containers = { { name = "main", image = "busybox:1.36", command = { "sh", "-c", "true" } } } } } } } },
  status = { observedGeneration = 1, phase = "Scheduled", activeRuns = 0, conditions = {
      { type = "Ready", status = "True", reason = "Scheduled", message = "ok", observedGeneration = 1, lastTransitionTime = "2025-03-01T10:00:00Z" },
  } },
}
