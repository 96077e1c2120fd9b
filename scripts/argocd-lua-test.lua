-- Runs an Argo CD health check, resource action or action discovery script outside Argo CD.
--
--   lua5.1 scripts/argocd-lua-test.lua <health.lua> <object.lua>
--       prints one line: STATUS<TAB>MESSAGE (newlines in the message become spaces)
--   lua5.1 scripts/argocd-lua-test.lua action <action.lua> <object.lua>
--       prints the object the action returns, as JSON on one line
--   lua5.1 scripts/argocd-lua-test.lua discovery <discovery.lua> <object.lua>
--       prints the actions table, as JSON on one line
--
-- <object.lua> is a file `return { ... }`: the object as a Lua table literal (arrays as
-- {a, b}, JSON null left out). Exit status: 0 ok, 1 the script failed or returned
-- something Argo CD would reject, 2 bad usage.
--
-- Argo CD runs these scripts in gopher-lua (Lua 5.1) with only the base, table, string
-- and math libraries as globals and `os` (date/time only) reachable through
-- require("os"), so the scripts run here in the same kind of sandbox: a script that
-- works here but uses io, or the global os, would fail in Argo CD.

local function fail(code, msg)
  io.stderr:write("argocd-lua-test: ", msg, "\n")
  os.exit(code)
end

local usage = "usage: lua5.1 scripts/argocd-lua-test.lua [action|discovery] <script.lua> <object.lua>"
local mode, script, objectFile
if #arg == 2 and arg[1] ~= "action" and arg[1] ~= "discovery" then
  mode, script, objectFile = "health", arg[1], arg[2]
elseif #arg == 3 and (arg[1] == "action" or arg[1] == "discovery" or arg[1] == "health") then
  mode, script, objectFile = arg[1], arg[2], arg[3]
else
  fail(2, usage)
end

-- ---------------------------------------------------------------- sandbox

local safeOs = { date = os.date, time = os.time, clock = os.clock, difftime = os.difftime }

local function sandbox(object)
  local env = {
    assert = assert, error = error, ipairs = ipairs, next = next, pairs = pairs,
    pcall = pcall, print = print, select = select, tonumber = tonumber,
    tostring = tostring, type = type, unpack = unpack, xpcall = xpcall,
    getmetatable = getmetatable, setmetatable = setmetatable,
    rawequal = rawequal, rawget = rawget, rawset = rawset,
    string = string, table = table, math = math,
    require = function(name)
      if name == "os" then return safeOs end
      error("module '" .. tostring(name) .. "' is not available in Argo CD", 2)
    end,
    obj = object,
  }
  env._G = env
  return env
end

local function loadObject(path)
  local chunk, err = loadfile(path)
  if not chunk then fail(1, "cannot load object: " .. err) end
  setfenv(chunk, {}) -- data only
  local ok, value = pcall(chunk)
  if not ok then fail(1, "object file failed: " .. tostring(value)) end
  if type(value) ~= "table" then fail(1, "object file must `return { ... }`") end
  return value
end

local function runScript(path, object)
  local chunk, err = loadfile(path)
  if not chunk then fail(1, "cannot load script: " .. err) end
  setfenv(chunk, sandbox(object))
  local ok, value = pcall(chunk)
  if not ok then fail(1, "script failed: " .. tostring(value)) end
  return value
end

-- ---------------------------------------------------------------- JSON

local escapes = { ['"'] = '\\"', ['\\'] = '\\\\', ['\b'] = '\\b', ['\f'] = '\\f',
                  ['\n'] = '\\n', ['\r'] = '\\r', ['\t'] = '\\t' }

local function encodeString(s)
  return '"' .. s:gsub('[%c"\\]', function(c)
    return escapes[c] or string.format("\\u%04x", c:byte())
  end) .. '"'
end

local function encodeNumber(x)
  if x ~= x or x == math.huge or x == -math.huge then error("cannot encode " .. tostring(x) .. " as JSON") end
  if x == math.floor(x) and math.abs(x) < 2^53 then return string.format("%d", x) end
  return string.format("%.17g", x)
end

local encode

-- A table whose keys are exactly 1..n (n >= 1) is an array; anything else, including
-- the empty table, is an object (Kubernetes has far more empty maps than empty lists).
local function isArray(t)
  local n = 0
  for _ in pairs(t) do n = n + 1 end
  if n == 0 then return false end
  for i = 1, n do
    if t[i] == nil then return false end
  end
  return true
end

local function encodeTable(t, seen)
  if seen[t] then error("cannot encode a table that contains itself") end
  seen[t] = true
  local parts = {}
  if isArray(t) then
    for i = 1, #t do parts[i] = encode(t[i], seen) end
    seen[t] = nil
    return "[" .. table.concat(parts, ",") .. "]"
  end
  local keys = {}
  for k in pairs(t) do
    if type(k) ~= "string" and type(k) ~= "number" then error("cannot encode a " .. type(k) .. " key as JSON") end
    keys[#keys + 1] = k
  end
  -- Sorted keys make the output stable, so it can be compared as text.
  table.sort(keys, function(a, b) return tostring(a) < tostring(b) end)
  for i, k in ipairs(keys) do
    parts[i] = encodeString(tostring(k)) .. ":" .. encode(t[k], seen)
  end
  seen[t] = nil
  return "{" .. table.concat(parts, ",") .. "}"
end

encode = function(v, seen)
  local kind = type(v)
  if kind == "string" then return encodeString(v) end
  if kind == "number" then return encodeNumber(v) end
  if kind == "boolean" then return tostring(v) end
  if kind == "nil" then return "null" end
  if kind == "table" then return encodeTable(v, seen) end
  error("cannot encode a " .. kind .. " as JSON")
end

local function printJSON(v)
  local ok, text = pcall(encode, v, {})
  if not ok then fail(1, tostring(text)) end
  io.write(text, "\n")
end

-- ---------------------------------------------------------------- main

local object = loadObject(objectFile)
local result = runScript(script, object)

if mode == "health" then
  local valid = { Healthy = true, Progressing = true, Degraded = true, Suspended = true, Missing = true, Unknown = true }
  if type(result) ~= "table" then fail(1, "health script must return a table, got " .. type(result)) end
  if not valid[result.status] then fail(1, "invalid health status: " .. tostring(result.status)) end
  if result.message ~= nil and type(result.message) ~= "string" then fail(1, "health message must be a string") end
  local message = (result.message or ""):gsub("[\r\n]+", " ")
  io.write(result.status, "\t", message, "\n")
elseif mode == "action" then
  if type(result) ~= "table" then fail(1, "action must return the object, got " .. type(result)) end
  printJSON(result)
else
  if type(result) ~= "table" then fail(1, "discovery must return the actions table, got " .. type(result)) end
  for name, a in pairs(result) do
    if type(name) ~= "string" or type(a) ~= "table" then fail(1, "actions must map names to tables") end
    if a.disabled ~= nil and type(a.disabled) ~= "boolean" then fail(1, "action " .. name .. ": disabled must be a boolean") end
  end
  printJSON(result)
end
