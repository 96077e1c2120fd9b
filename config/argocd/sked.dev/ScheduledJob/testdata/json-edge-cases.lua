-- Exercises the runner's JSON encoder (quotes, backslashes, control characters, UTF-8,
-- empty maps, nested arrays, non-integer numbers) and a multi-line health message.
return {
  apiVersion = "sked.dev/v1alpha1",
  kind = "ScheduledJob",
  metadata = { name = "edge", namespace = "default", generation = 2, labels = {},
    annotations = { note = "say \"hi\"\\ \t tab\nnewline \1 bell\127 ünïcödé ✓" } },
  spec = { schedule = "@every 20s", jobTemplate = { spec = { backoffLimit = 0, activeDeadlineSeconds = 1.5,
    template = { spec = { containers = { { name = "a", args = { "x", "", "-1" } }, { name = "b" } } } } } } },
  status = { observedGeneration = 2, phase = "Scheduled", activeRuns = 0, missedRuns = -3,
    conditions = {
      { type = "Ready", status = "True", reason = "Scheduled", message = "line one\nline two", observedGeneration = 2 },
    } },
}
