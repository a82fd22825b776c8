#!/usr/bin/env bash
# The issue-17 HTTP load figure: `krxhub serve` on loopback, and wrk with C connections (default 500) for S seconds
# (default 60) over a mix of read endpoints (bench/load-mix.lua rotates through them). Prints one JSON line: requests/s,
# errors (non-2xx answers + socket errors: connect, read, write, timeout), latency p50/p90/p99/max and the hub's RSS.
#   bash bench/load-http.sh <dir of a built krxhub, or krxhub.dll> [seconds] [connections] [data-dir]
#   e.g. bash bench/load-http.sh src/KrxHub/bin/Release/net10.0 60 500
# Without a data dir the hub starts on a fresh temporary one (the first start loads the bundled data, ~25 s) that is
# removed at the end; a data dir given is created and loaded on first use and kept, so later runs start at once.
# Environment: KRXHUB_LOAD_PORT (default 5181), KRXHUB_LOAD_THREADS (wrk threads, default 2), KRXHUB_LOAD_TIMEOUT
# (wrk's per-request timeout in s/m, default 10s: a slower answer counts as a timeout error), KRXHUB_LOAD_KEY (an API key, for
# a data dir that holds keys; the hub is then started with a per-key limit high enough not to answer 429 to the run).
set -euo pipefail
cd "$(dirname "$0")/.."
TARGET=${1:?the directory of a built krxhub (…/bin/Release/net10.0) or its krxhub.dll}
SECONDS_=${2:-60}
CONNECTIONS=${3:-500}
DATA_DIR=${4:-}
PORT=${KRXHUB_LOAD_PORT:-5181}
THREADS=${KRXHUB_LOAD_THREADS:-2}
TIMEOUT=${KRXHUB_LOAD_TIMEOUT:-10s}
KEY=${KRXHUB_LOAD_KEY:-}

command -v wrk > /dev/null || { echo "wrk is not installed: sudo apt-get update && sudo apt-get install -y wrk" >&2; exit 1; }
source bench/load-hub.sh
HUB_ENV=()
[[ -z $KEY ]] || HUB_ENV=(KRXHUB_ACCESS__REQUESTSPERMINUTEPERKEY=1000000000)
start_hub "$TARGET" "$PORT" "$DATA_DIR" $((CONNECTIONS * 2 + 256)) "${HUB_ENV[@]}"

# Every path of the mix must answer 200 before the run: a mix of 404s would measure nothing.
AUTH=()
[[ -z $KEY ]] || AUTH=(-H "Authorization: Bearer $KEY")
mapfile -t PATHS < <(sed -n 's/^ *"\(\/[^"]*\)",.*$/\1/p' bench/load-mix.lua)
for path in "${PATHS[@]}"; do
  status=$(curl -s -o /dev/null -w '%{http_code}' "${AUTH[@]}" "$BASE$path")
  [[ $status == 200 ]] || { echo "GET $path answered $status before the run" >&2; exit 1; }
done

wrk -t"$THREADS" -c"$CONNECTIONS" -d"${SECONDS_}s" --timeout "$TIMEOUT" --latency -s bench/load-mix.lua "$BASE" -- "$KEY" \
  > "$TMP/wrk.txt" 2>&1 || { cat "$TMP/wrk.txt" >&2; echo "wrk failed" >&2; exit 1; }
RSS_MB=$(hub_rss_mb VmRSS)
PEAK_MB=$(hub_rss_mb VmHWM)
cat "$TMP/wrk.txt" >&2

# wrk's units: us, ms, s (latency); its error lines appear only when there were errors.
ms() { awk -v v="$1" 'BEGIN { n = v + 0; if (v ~ /us$/) n /= 1000; else if (v ~ /ms$/) n = n; else if (v ~ /s$/) n *= 1000; printf "%.3f", n }'; }
pct() { ms "$(awk -v p="$1%" '$1 == p {print $2}' "$TMP/wrk.txt")"; }
REQUESTS=$(awk '/requests in/ {print $1}' "$TMP/wrk.txt")
RPS=$(awk '/^Requests\/sec:/ {print $2}' "$TMP/wrk.txt")
NON2XX=$(awk '/Non-2xx or 3xx responses:/ {print $NF}' "$TMP/wrk.txt")
read -r CONNECT READ WRITE TIMEOUTS < <(awk '/Socket errors:/ {gsub(",", ""); print $4, $6, $8, $10}' "$TMP/wrk.txt") || true
NON2XX=${NON2XX:-0}; CONNECT=${CONNECT:-0}; READ=${READ:-0}; WRITE=${WRITE:-0}; TIMEOUTS=${TIMEOUTS:-0}
ERRORS=$((NON2XX + CONNECT + READ + WRITE + TIMEOUTS))
MAX=$(ms "$(awk '/^ *Latency / {print $4; exit}' "$TMP/wrk.txt")")
MET=$([[ $ERRORS == 0 ]] && echo true || echo false)
printf '{"bench":"load-http","connections":%d,"threads":%d,"seconds":%d,"timeout":"%s","endpoints":%d,"requests":%d,"requestsPerSecond":%s,' \
  "$CONNECTIONS" "$THREADS" "$SECONDS_" "$TIMEOUT" "${#PATHS[@]}" "$REQUESTS" "$RPS"
printf '"errors":%d,"non2xx":%d,"socketErrors":{"connect":%d,"read":%d,"write":%d,"timeout":%d},' \
  "$ERRORS" "$NON2XX" "$CONNECT" "$READ" "$WRITE" "$TIMEOUTS"
printf '"p50Ms":%s,"p90Ms":%s,"p99Ms":%s,"maxMs":%s,"hubRssMb":%d,"hubPeakRssMb":%d,"target":"0 errors, p99 reported","met":%s,"cores":%d}\n' \
  "$(pct 50)" "$(pct 90)" "$(pct 99)" "$MAX" "$RSS_MB" "$PEAK_MB" "$MET" "$(nproc)"
