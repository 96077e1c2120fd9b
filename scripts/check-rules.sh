#!/usr/bin/env bash
# Checks sked's Prometheus alerting rules (runbooks: docs/alerts.md):
#   - promtool check rules config/prometheus/sked-rules.yaml (syntax, PromQL, templates)
#   - promtool test rules config/prometheus/sked-rules_test.yaml (a firing and a
#     non-firing case for every alert)
#   - the Helm chart's copy, charts/sked/rules/sked-rules.yaml (what
#     templates/prometheusrule.yaml puts in the PrometheusRule's spec.groups through
#     .Files.Get), is byte-identical to config/prometheus/sked-rules.yaml
# Installs promtool when missing: Debian's `prometheus` package ships /usr/bin/promtool
# (its postinst may try to start the prometheus service; in a container policy-rc.d
# usually refuses, which is fine).
# Exits 1 on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."

RULES=config/prometheus/sked-rules.yaml
TESTS=config/prometheus/sked-rules_test.yaml
CHART_RULES=charts/sked/rules/sked-rules.yaml

fail() { echo "check-rules: FAIL: $*" >&2; exit 1; }
trap 'echo "check-rules: FAIL: line $LINENO: $BASH_COMMAND" >&2' ERR

if ! command -v promtool >/dev/null 2>&1; then
  echo "check-rules: promtool not found; installing Debian's prometheus package" >&2
  SUDO=""
  if [ "$(id -u)" != 0 ]; then
    command -v sudo >/dev/null 2>&1 || fail "promtool is missing and installing it needs root (apt-get install prometheus)"
    SUDO=sudo
  fi
  $SUDO apt-get update -qq || fail "apt-get update failed"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends prometheus >/dev/null \
    || fail "apt-get install prometheus failed"
  command -v promtool >/dev/null 2>&1 || fail "promtool still not found after installing prometheus"
fi
echo "check-rules: $(promtool --version 2>&1 | head -n1)" >&2

for f in "$RULES" "$TESTS" "$CHART_RULES"; do
  [ -f "$f" ] || fail "$f is missing"
done

promtool check rules "$RULES" || fail "promtool check rules $RULES"
# promtool resolves rule_files relative to the test file.
promtool test rules "$TESTS" || fail "promtool test rules $TESTS"

if ! diff -u "$RULES" "$CHART_RULES"; then
  fail "$CHART_RULES differs from $RULES (the chart's PrometheusRule would ship other rules): cp $RULES $CHART_RULES"
fi
grep -q '\.Files\.Get "rules/sked-rules.yaml"' charts/sked/templates/prometheusrule.yaml \
  || fail "charts/sked/templates/prometheusrule.yaml does not read rules/sked-rules.yaml"

# Every alert has a runbook section whose anchor its runbook_url names.
anchors=$(grep -o 'docs/alerts\.md#[a-z0-9-]*' "$RULES" | sed 's/.*#//' | sort -u)
alerts=$(sed -n 's/^ *- alert: *\([A-Za-z0-9_]*\).*/\1/p' "$RULES" | tr 'A-Z' 'a-z' | sort -u)
[ "$anchors" = "$alerts" ] || fail "runbook_url anchors ($anchors) do not match the alert names ($alerts)"
for a in $anchors; do
  grep -qiE "^## +$a\$" docs/alerts.md || fail "docs/alerts.md has no section '## ...' for #$a"
done

echo "check-rules: OK ($(echo "$alerts" | wc -l) alerts, rules tested, chart copy identical)" >&2
