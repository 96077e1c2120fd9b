#!/usr/bin/env bash
# Unit tests for the Argo CD health check and resource actions of ScheduledJob
# (config/argocd/sked.dev/ScheduledJob), run with Lua 5.1 like Argo CD's gopher-lua:
# - health of every fixture in testdata/expected.tsv (status and message substring),
# - each action's output (only the intended field changes) and discovery's enablement,
# - the runner's JSON encoder against testdata/json-edge-cases.json,
# - config/argocd/argocd-cm-patch.yaml is what scripts/argocd-cm.py generates.
# Usage: scripts/test-argocd.sh   (exit 1 naming the first failing cases)
set -euo pipefail
cd "$(dirname "$0")/.."

command -v lua5.1 >/dev/null || apt-get install -y lua5.1 >/dev/null || { apt-get update >/dev/null && apt-get install -y lua5.1 >/dev/null; }

DIR=config/argocd/sked.dev/ScheduledJob
RUNNER=scripts/argocd-lua-test.lua
failures=0
fail() { echo "FAIL $*" >&2; failures=$((failures + 1)); }

# Health: every fixture must be listed, and every listed fixture must match.
listed=" "
while IFS=$'\t' read -r file want_status want_msg; do
  [[ -z "$file" || "$file" == \#* ]] && continue
  listed+="$file "
  if ! out=$(lua5.1 "$RUNNER" "$DIR/health.lua" "$DIR/testdata/$file" 2>&1); then
    fail "health $file: runner failed: $out"; continue
  fi
  status=${out%%$'\t'*}
  msg=${out#*$'\t'}
  if [[ "$status" != "$want_status" || "$msg" != *"$want_msg"* ]]; then
    fail "health $file: got '$status' '$msg', want '$want_status' with '$want_msg'"
  fi
done < "$DIR/testdata/expected.tsv"
for f in "$DIR"/testdata/*.lua; do
  name=${f##*/}
  [[ "$name" == identity-action.lua || "$listed" == *" $name "* ]] || fail "health $name: fixture missing from expected.tsv"
done

# Actions and discovery: JSON from the runner, checked in Python (stdlib json).
python3 - "$DIR" "$RUNNER" <<'EOF' || failures=$((failures + 1))
import copy, json, os, re, subprocess, sys, tempfile
d, runner = sys.argv[1], sys.argv[2]
bad = []

def run(mode, script, fixture):
    path = fixture if "/" in fixture else f"{d}/testdata/{fixture}"
    p = subprocess.run(["lua5.1", runner, mode, script, path], capture_output=True, text=True)
    if p.returncode != 0:
        raise SystemExit(f"FAIL {mode} {script} {fixture}: {p.stderr.strip()}")
    assert p.stdout.count("\n") == 1, f"{mode} {fixture}: output is not one line"
    return json.loads(p.stdout)

identity = f"{d}/testdata/identity-action.lua"
want = json.load(open(f"{d}/testdata/json-edge-cases.json", encoding="utf-8"))
if run("action", identity, "json-edge-cases.lua") != want:
    bad.append("json encoder: json-edge-cases.lua does not encode to json-edge-cases.json")

token = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ(-\d+)?$")
# scheduled.lua already carries run-now/stop tokens; fresh.lua has no annotations at all.
for fixture in ["scheduled.lua", "fresh.lua", "suspended.lua"]:
    before = run("action", identity, fixture)
    for name, key in [("run-now", "sked.dev/run-now"), ("stop", "sked.dev/stop")]:
        after = run("action", f"{d}/actions/{name}/action.lua", fixture)
        old = before["metadata"].get("annotations", {}).get(key)
        new = after["metadata"].get("annotations", {}).get(key)
        if not isinstance(new, str) or not token.match(new) or new == old:
            bad.append(f"action {name} {fixture}: {key} is {new!r} (was {old!r}), want a new UTC timestamp")
        expected = copy.deepcopy(before)
        expected["metadata"].setdefault("annotations", {})[key] = new
        if after != expected:
            bad.append(f"action {name} {fixture}: changed more than {key}")
    for name, value in [("suspend", True), ("resume", False)]:
        after = run("action", f"{d}/actions/{name}/action.lua", fixture)
        expected = copy.deepcopy(before)
        expected["spec"]["suspend"] = value
        if after != expected:
            bad.append(f"action {name} {fixture}: want only spec.suspend={str(value).lower()}")

# A repeated click within the same second must still produce a new value.
same = run("action", f"{d}/actions/run-now/action.lua", "scheduled.lua")["metadata"]["annotations"]["sked.dev/run-now"]
with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as t:
    t.write('return { metadata = { name = "x", annotations = { ["sked.dev/run-now"] = %s } }, spec = {} }\n' % json.dumps(same))
try:
    again = run("action", f"{d}/actions/run-now/action.lua", t.name)["metadata"]["annotations"]["sked.dev/run-now"]
    if again == same:
        bad.append(f"action run-now: repeated within a second kept the same value {same!r}")
finally:
    os.unlink(t.name)

for fixture, suspended in [("scheduled.lua", False), ("suspended.lua", True), ("fresh.lua", False)]:
    acts = run("discovery", f"{d}/actions/discovery.lua", fixture)
    if sorted(acts) != ["resume", "run-now", "stop", "suspend"]:
        bad.append(f"discovery {fixture}: actions {sorted(acts)}")
        continue
    got = {n: acts[n].get("disabled", False) for n in acts}
    want = {"run-now": False, "stop": False, "suspend": suspended, "resume": not suspended}
    if got != want:
        bad.append(f"discovery {fixture}: disabled {got}, want {want}")

for b in bad:
    print("FAIL", b, file=sys.stderr)
sys.exit(1 if bad else 0)
EOF

python3 scripts/argocd-cm.py --check || fail "config/argocd/argocd-cm-patch.yaml: out of date"

if (( failures )); then
  echo "test-argocd: $failures failure(s)" >&2
  exit 1
fi
echo "test-argocd: ok"
