-- Argo CD action "stop": the operator stops all active runs on every new value of the
-- sked.dev/stop annotation, so set it to the current UTC time (as argo-rollouts' restart does).
local os = require("os")
if obj.metadata.annotations == nil then
  obj.metadata.annotations = {}
end
local key = "sked.dev/stop"
local token = os.date("!%Y-%m-%dT%H:%M:%SZ")
-- Two clicks within one second would repeat the value and be ignored; keep it new.
local n = 1
local candidate = token
while obj.metadata.annotations[key] == candidate do
  n = n + 1
  candidate = token .. "-" .. tostring(n)
end
obj.metadata.annotations[key] = candidate
return obj
