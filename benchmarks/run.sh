#!/usr/bin/env bash
# Benchmark sked against kube-controller-manager's CronJob controller on one local API server.
#   benchmarks/run.sh --quick   sked only, N=10,100 (~4 min)
#   benchmarks/run.sh           physical limit, sked N=10,100,1000, reference N=10,1000 twice,
#                               start-up footprint with 10,000 ScheduledJobs + 20,000 Jobs (~28 min)
# Any option of benchmarks/bench.py passes through (e.g. --sked-n 10,100,1000,5000, --ref-n '').
# Results: benchmarks/results/<UTC date>[-quick].{md,json,png}. Not part of the test suite.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PYPLOT="${SKED_PYPLOT:-$HOME/.cache/sked/pyplot}"
if ! python3 -c 'import matplotlib' 2>/dev/null && [ ! -d "$PYPLOT/matplotlib" ]; then
  echo "run.sh: installing matplotlib into $PYPLOT (for the plot only)" >&2
  pip install --quiet --target "$PYPLOT" matplotlib >&2 || echo "run.sh: no matplotlib; the table is still written" >&2
fi
export PYTHONPATH="$PYPLOT${PYTHONPATH:+:$PYTHONPATH}"
exec python3 "$HERE/bench.py" "$@"
