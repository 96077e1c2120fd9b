-- Just created: the operator has not written status yet.
return {
  apiVersion = "sked.dev/v1alpha1",
  kind = "ScheduledJob",
  metadata = { name = "fresh", namespace = "default", generation = 1, uid = "0f6c1b7e-0000-4000-8000-000000000001" },
  spec = { schedule = "*/10 * * * *", jobTemplate = { spec = { template = { spec = { restartPolicy = "Never", containers = { { name = "main", image = "busybox:1.36", command = { "sh", "-c", "true" } } } } } } } },
}
