#!/usr/bin/env bash
# The CLI import of the bundled 986k-bar file into a fresh SQLite store for several builds at once (before/after a
# change), alternating with `sqlite3 .import` of the same rows into a table with only a primary key, so that the VM's
# drift hits every build alike. Prints each build's runs, its median and its ratio to the baseline's median.
#   bash bench/cli-import-ab.sh <runs> <dir of a built krxhub> [<dir> ...]
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:?runs}; shift
FILE=data/history/krx-daily-adjusted-2761-stocks-2023-12-05_2025-06-17.csv.gz
TMP=$(mktemp -d /tmp/krxhub-cli-import-ab.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
zcat "$FILE" > "$TMP/plain.csv"
declare -A runs
for _ in $(seq "$RUNS"); do
  rm -rf "$TMP"/plain.db*; start=$(date +%s%N)
  sqlite3 "$TMP/plain.db" > /dev/null <<SQL
PRAGMA journal_mode=WAL;
CREATE TABLE plain_bars (code TEXT NOT NULL, date DATE NOT NULL, open NUMERIC, high NUMERIC, low NUMERIC, close NUMERIC,
    volume BIGINT, change_pct NUMERIC, PRIMARY KEY (code, date));
.mode csv
.import --skip 1 $TMP/plain.csv plain_bars
SQL
  runs[sqlite3]+="$(( ($(date +%s%N) - start) / 1000000 )) "
  for bin in "$@"; do
    rm -rf "$TMP/hub"; start=$(date +%s%N)
    "$bin/krxhub" import "$FILE" --basis adjusted --data-dir "$TMP/hub" > "$TMP/out.txt"
    grep -q "written (new or changed)" "$TMP/out.txt" || { cat "$TMP/out.txt"; exit 1; }
    runs[$bin]+="$(( ($(date +%s%N) - start) / 1000000 )) "
  done
done
median() { printf '%s\n' $1 | sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
base=$(median "${runs[sqlite3]}")
echo "sqlite3: ${runs[sqlite3]}ms, median $base ms"
for bin in "$@"; do
  m=$(median "${runs[$bin]}")
  echo "$bin: ${runs[$bin]}ms, median $m ms, ratio $(echo "scale=3; $base / $m" | bc) (target 0.5)"
done
