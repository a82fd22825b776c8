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
BASE=http://127.0.0.1:$PORT

command -v wrk > /dev/null || { echo "wrk is not installed: sudo apt-get update && sudo apt-get install -y wrk" >&2; exit 1; }
command -v curl > /dev/null || { echo "curl is not installed: sudo apt-get install -y curl" >&2; exit 1; }
if [[ -d $TARGET ]]; then HUB=("$TARGET/krxhub"); elif [[ $TARGET == *.dll ]]; then HUB=(dotnet "$TARGET"); else HUB=("$TARGET"); fi
[[ -e ${HUB[-1]} ]] || { echo "no krxhub at ${HUB[-1]} (build it: dotnet build -c Release src/KrxHub)" >&2; exit 1; }

# Every connection is a file descriptor, in wrk and in the hub (started from this shell, so it inherits the limit).
NEED=$((CONNECTIONS * 2 + 256))
ulimit -n "$(ulimit -Hn)" 2> /dev/null || true
if [[ $(ulimit -n) != unlimited && $(ulimit -n) -lt $NEED ]]; then
  echo "open-file limit $(ulimit -n) < $NEED for $CONNECTIONS connections; raise the hard limit (ulimit -Hn, /etc/security/limits.conf)" >&2
  exit 1
fi
if curl -s -o /dev/null "$BASE/health/live"; then echo "something already answers on $BASE; set KRXHUB_LOAD_PORT" >&2; exit 1; fi

TMP=$(mktemp -d /tmp/krxhub-load-http.XXXXXX)
[[ -n $DATA_DIR ]] || DATA_DIR=$TMP/data
HUB_PID=
cleanup() {
  if [[ -n $HUB_PID ]] && kill -0 "$HUB_PID" 2> /dev/null; then kill "$HUB_PID"; wait "$HUB_PID" 2> /dev/null || true; fi
  rm -rf "$TMP"
}
trap cleanup EXIT

HUB_ENV=()
[[ -z $KEY ]] || HUB_ENV=(KRXHUB_ACCESS__REQUESTSPERMINUTEPERKEY=1000000000)
env "${HUB_ENV[@]}" "${HUB[@]}" serve --urls "$BASE" --data-dir "$DATA_DIR" > "$TMP/hub.log" 2>&1 &
HUB_PID=$!
echo "hub pid $HUB_PID on $BASE, data dir $DATA_DIR (log: waiting for /health/ready; a first start loads the bundled data)" >&2
for _ in $(seq 600); do
  curl -sf -o /dev/null "$BASE/health/ready" && break
  kill -0 "$HUB_PID" 2> /dev/null || { cat "$TMP/hub.log" >&2; echo "the hub exited" >&2; exit 1; }
  sleep 1
done
curl -sf -o /dev/null "$BASE/health/ready" || { tail -20 "$TMP/hub.log" >&2; echo "the hub was not ready after 600 s" >&2; exit 1; }

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
RSS_KB=$(awk '/^VmRSS:/ {print $2}' "/proc/$HUB_PID/status")
PEAK_KB=$(awk '/^VmHWM:/ {print $2}' "/proc/$HUB_PID/status")
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
  "$(pct 50)" "$(pct 90)" "$(pct 99)" "$MAX" $((RSS_KB / 1024)) $((PEAK_KB / 1024)) "$MET" "$(nproc)"
