#!/usr/bin/env bash
# The issue-13 import figure: the CLI import of the bundled 986k-bar file into a fresh SQLite store, timed from process
# start to exit, against `sqlite3 .import` of the same rows (decompressed CSV) into a table with only a primary key,
# measured alternately in the same invocation (bench/cli-import-ab.sh). Prints every run, the medians and the ratio.
#   bash bench/cli-import.sh [dir of a built krxhub | publish] [runs]
# "publish" (the default) measures what ships: `dotnet publish` for this platform, precompiled (ReadyToRun), as the
# Dockerfile builds it. A directory measures that build instead, e.g. src/KrxHub/bin/Release/net10.0 (JIT-compiled).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${1:-publish}
RUNS=${2:-3}
TMP=$(mktemp -d /tmp/krxhub-cli-import.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
if [ "$BIN" = publish ]; then
  dotnet publish src/KrxHub/KrxHub.csproj -c Release --ucr --self-contained false -o "$TMP/publish" > "$TMP/publish.log" 2>&1 \
    || { cat "$TMP/publish.log"; exit 1; }
  BIN="$TMP/publish"
fi
bash bench/cli-import-ab.sh "$RUNS" "$BIN"
