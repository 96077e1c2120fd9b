-- Argo CD health check for sked.dev/ScheduledJob (gopher-lua, Lua 5.1 semantics).
-- Argo sets the global `obj` (the live object); we return hs = {status, message}.
-- The operator writes kstatus-style conditions; Stalled/Reconciling may be absent on
-- objects written by older operators, so Ready's reason is the fallback signal.
local hs = {}

-- Ready=False reasons the operator retries on its own (outside help is not required).
local transient = {
  FlinkUnreachable = true, JarUnavailable = true, SecretUnavailable = true, Forbidden = true,
}

local function condition(status, type)
  if status.conditions == nil then return nil end
  for _, c in ipairs(status.conditions) do
    if c.type == type then return c end
  end
  return nil
end

-- The condition's message, or its reason when the message is empty.
local function text(c, fallback)
  if c ~= nil and c.message ~= nil and c.message ~= "" then return c.message end
  if c ~= nil and c.reason ~= nil and c.reason ~= "" then return c.reason end
  return fallback
end

local meta = obj.metadata or {}
local spec = obj.spec or {}
local status = obj.status
local generation = meta.generation

-- Argo itself answers "Pending deletion" before running this script; mirror it so the
-- script gives the same answer when it is run on its own (scripts/argocd-lua-test.lua).
if meta.deletionTimestamp ~= nil then
  hs.status = "Progressing"
  hs.message = "Pending deletion"
  return hs
end

-- Until the operator has seen this spec, nothing in status describes it.
if status == nil or status.observedGeneration == nil
    or (generation ~= nil and status.observedGeneration < generation) then
  hs.status = "Progressing"
  if generation ~= nil then
    hs.message = "Waiting for the operator to observe generation " .. tostring(generation)
  else
    hs.message = "Waiting for the operator to observe the ScheduledJob"
  end
  return hs
end

local ready = condition(status, "Ready")
local stalled = condition(status, "Stalled")
local reconciling = condition(status, "Reconciling")

-- Stalled: the spec is invalid or a run start was refused; only a user can fix it.
if stalled ~= nil and stalled.status == "True" then
  hs.status = "Degraded"
  hs.message = text(stalled, text(ready, "Stalled"))
  return hs
end

if ready ~= nil and ready.status == "False" then
  local retrying
  if reconciling ~= nil then
    retrying = reconciling.status == "True"
  else
    retrying = transient[ready.reason] == true
  end
  if retrying then
    hs.status = "Progressing"
    hs.message = text(ready, text(reconciling, "Reconciling"))
  else
    hs.status = "Degraded"
    hs.message = text(ready, "Not ready")
  end
  return hs
end

-- A one-shot whose only run failed (after its retries) stays failed.
if status.phase == "Failed" then
  hs.status = "Degraded"
  local m = text(ready, nil)
  hs.message = "Last run failed" .. (m and (": " .. m) or "")
  return hs
end

if spec.suspend == true or status.phase == "Suspended" then
  hs.status = "Suspended"
  hs.message = text(ready, "Suspended")
  return hs
end

if status.phase == "Running" then
  hs.status = "Healthy"
  if type(status.activeRuns) == "number" then
    hs.message = tostring(status.activeRuns) .. " run(s) active"
  else
    hs.message = "Running"
  end
  return hs
end

hs.status = "Healthy"
hs.message = text(ready, status.phase or "Ready")
if status.nextScheduleTime ~= nil and status.nextScheduleTime ~= "" then
  hs.message = hs.message .. "; next run at " .. status.nextScheduleTime
end
return hs
