#!/usr/bin/env bash
# The dashboard's whole-market backtest (KrxHub.Bench dashboard --only backtest) for several builds at once, alternating
# build by build within each round so that the VM's drift and other work hit every build alike. Each invocation starts
# its own hub on one data directory (loaded with the bundled data on its first start), waits for the backtest warm-up,
# runs the bench once (its first run is the page's first click after the warm-up) and stops the hub. Prints one line per
# invocation with the bench's JSON and the simulation times the hub logged.
#   dotnet build -c Release bench/KrxHub.Bench
#   bash bench/dashboard-backtest-ab.sh <rounds> <data dir> <dir of a built krxhub> [<dir> ...]
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:?rounds}; DATA=${2:?data dir}; shift 2
URL=http://127.0.0.1:5099
BENCH=bench/KrxHub.Bench/bin/Release/net10.0/KrxHub.Bench.dll
LOG=$(mktemp /tmp/krxhub-dashboard-ab.XXXXXX)
trap 'rm -f "$LOG"' EXIT
for round in $(seq "$ROUNDS"); do
  for bin in "$@"; do
    "$bin/krxhub" serve --urls "$URL" --data-dir "$DATA" > "$LOG" 2>&1 &
    hub=$!
    for _ in $(seq 600); do grep -q "backtest warm-up" "$LOG" && break; sleep 1; done
    sleep 2
    result=$(dotnet "$BENCH" dashboard --url "$URL" --only backtest --runs 7 | grep dashboard-backtest-all || true)
    simulated=$(grep -o "simulated in [0-9.]* s" "$LOG" | sed 's/simulated in //; s/ s$//' | tr '\n' ' ')
    echo "round $round $bin $result simulated: $simulated"
    kill "$hub"; wait "$hub" 2>/dev/null || true
  done
done
