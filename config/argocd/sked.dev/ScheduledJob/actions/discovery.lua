-- Argo CD resource actions offered for a ScheduledJob. suspend/resume follow the
-- desired state (spec.suspend), so each is greyed out when it would change nothing.
-- run-now works while suspended too (the operator still honours it); stop is always
-- offered because status.activeRuns may lag behind.
local actions = {}
local suspended = obj.spec ~= nil and obj.spec.suspend == true
actions["run-now"] = {["disabled"] = false, ["displayName"] = "Run now", ["iconClass"] = "fa fa-fw fa-play"}
actions["stop"] = {["disabled"] = false, ["displayName"] = "Stop active runs", ["iconClass"] = "fa fa-fw fa-stop"}
actions["suspend"] = {["disabled"] = suspended, ["iconClass"] = "fa fa-fw fa-pause"}
actions["resume"] = {["disabled"] = not suspended, ["iconClass"] = "fa fa-fw fa-play-circle"}
return actions
