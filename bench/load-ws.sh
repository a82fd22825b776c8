#!/usr/bin/env bash
# The issue-17 WebSocket soak: `krxhub serve` on loopback (its simulated exchange trading, always open without broker
# keys), and `KrxHub.Bench ws-soak` with N clients (default 1000) on /ws for S seconds (default 600), each subscribed to
# the ticks of 5 codes and one ranking. Prints a JSON line every 30 s (clients connected, messages/s, errors, the hub's
# RSS) and a summary (errors, RSS first/last/max, messages). Loopback clients are not capped per address (the default
# KRXHUB_ACCESS__WEBSOCKETSPERIP=50 applies to other addresses), so 1000 of them may connect.
#   bash bench/load-ws.sh <dir of a built krxhub, or krxhub.dll> [seconds] [clients] [data-dir]
#   e.g. bash bench/load-ws.sh src/KrxHub/bin/Release/net10.0 600 1000
# Without a data dir the hub starts on a fresh temporary one (the first start loads the bundled data, ~25 s); a data dir
# given is created and loaded on first use and kept. Environment: KRXHUB_LOAD_PORT (default 5182), KRXHUB_LOAD_KEY (an API
# key, for a data dir that holds keys; the hub then allows that many connections per key), KRXHUB_LOAD_CONFIGURATION
# (of the bench build, default Release), KRXHUB_LOAD_REPORT (seconds between report lines, default 30).
set -euo pipefail
cd "$(dirname "$0")/.."
TARGET=${1:?the directory of a built krxhub (…/bin/Release/net10.0) or its krxhub.dll}
SECONDS_=${2:-600}
CLIENTS=${3:-1000}
DATA_DIR=${4:-}
PORT=${KRXHUB_LOAD_PORT:-5182}
KEY=${KRXHUB_LOAD_KEY:-}
CONFIGURATION=${KRXHUB_LOAD_CONFIGURATION:-Release}
REPORT=${KRXHUB_LOAD_REPORT:-30}

# Built before the hub starts, so that the build's CPU is not in the soak.
dotnet build -c "$CONFIGURATION" bench/KrxHub.Bench -v quiet -nologo > /dev/null \
  || { dotnet build -c "$CONFIGURATION" bench/KrxHub.Bench -v quiet -nologo >&2; exit 1; }
BENCH=bench/KrxHub.Bench/bin/$CONFIGURATION/net10.0/KrxHub.Bench.dll

source bench/load-hub.sh
HUB_ENV=()
[[ -z $KEY ]] || HUB_ENV=("KRXHUB_ACCESS__WEBSOCKETSPERKEY=$((CLIENTS + 10))")
start_hub "$TARGET" "$PORT" "$DATA_DIR" $((CLIENTS * 2 + 256)) "${HUB_ENV[@]}"

SOAK=(ws-soak --url "$BASE" --pid "$HUB_PID" --clients "$CLIENTS" --seconds "$SECONDS_" --report "$REPORT")
[[ -z $KEY ]] || SOAK+=(--key "$KEY")
status=0
dotnet "$BENCH" "${SOAK[@]}" || status=$?
printf '{"bench":"ws-soak","hubPeakRssMb":%d,"hubRssMb":%d}\n' "$(hub_rss_mb VmHWM)" "$(hub_rss_mb VmRSS)"
exit "$status"
