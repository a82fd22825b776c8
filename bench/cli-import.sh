#!/usr/bin/env bash
# The issue-13 import figure: the CLI import of the bundled 986k-bar file into a fresh SQLite store, timed from process
# start to exit, against `sqlite3 .import` of the same rows (decompressed CSV) into a table with only a primary key,
# measured alternately in the same invocation. Prints every run, the medians and the ratio of rows/s (baseline = 1).
#   bash bench/cli-import.sh [dir of a built krxhub | publish] [runs]
# "publish" (the default) measures what ships: `dotnet publish` for this platform, precompiled (ReadyToRun), as the
# Dockerfile builds it. A directory measures that build instead, e.g. src/KrxHub/bin/Release/net10.0 (JIT-compiled).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${1:-publish}
RUNS=${2:-3}
FILE=data/history/krx-daily-adjusted-2761-stocks-2023-12-05_2025-06-17.csv.gz
TMP=$(mktemp -d /tmp/krxhub-cli-import.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
if [ "$BIN" = publish ]; then
  dotnet publish src/KrxHub/KrxHub.csproj -c Release --ucr --self-contained false -o "$TMP/publish" > "$TMP/publish.log" 2>&1 \
    || { cat "$TMP/publish.log"; exit 1; }
  BIN="$TMP/publish"
fi
zcat "$FILE" > "$TMP/plain.csv"
ROWS=$(($(wc -l < "$TMP/plain.csv") - 1))
base=(); ours=()
for run in $(seq "$RUNS"); do
  rm -rf "$TMP/plain.db"* "$TMP/hub"
  start=$(date +%s.%N)
  sqlite3 "$TMP/plain.db" <<SQL
PRAGMA journal_mode=WAL;
CREATE TABLE plain_bars (code TEXT NOT NULL, date DATE NOT NULL, open NUMERIC, high NUMERIC, low NUMERIC, close NUMERIC,
    volume BIGINT, change_pct NUMERIC, PRIMARY KEY (code, date));
.mode csv
.import --skip 1 $TMP/plain.csv plain_bars
SQL
  b=$(echo "$(date +%s.%N) - $start" | bc)
  start=$(date +%s.%N)
  "$BIN/krxhub" import "$FILE" --basis adjusted --data-dir "$TMP/hub" > "$TMP/out.txt"
  o=$(echo "$(date +%s.%N) - $start" | bc)
  grep -q "written (new or changed)" "$TMP/out.txt" || { cat "$TMP/out.txt"; exit 1; }
  base+=("$b"); ours+=("$o")
  printf '{"bench":"cli-import","run":%d,"rows":%d,"sqlite3Seconds":%.3f,"krxhubSeconds":%.3f,"ratio":%.3f}\n' "$run" "$ROWS" "$b" "$o" "$(echo "$b / $o" | bc -l)"
done
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
mb=$(median "${base[@]}"); mo=$(median "${ours[@]}")
printf '{"bench":"cli-import","runs":%d,"rows":%d,"sqlite3MedianSeconds":%.3f,"krxhubMedianSeconds":%.3f,"ratioOfMedians":%.3f,"target":0.5}\n' \
  "$RUNS" "$ROWS" "$mb" "$mo" "$(echo "$mb / $mo" | bc -l)"
