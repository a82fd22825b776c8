#!/usr/bin/env bash
# Stops and removes the throwaway cluster that .ci/start-postgres.sh started on ${PGPORT:-55432}; a cluster it did not start is left alone.
set -uo pipefail
PORT=${PGPORT:-55432}
MARKER="/tmp/krxhub-pg-$PORT.dir"
[ -f "$MARKER" ] || exit 0
PGDIR=$(cat "$MARKER")
BIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
su postgres -c "$BIN/pg_ctl -D $PGDIR/data -m fast -w stop" >/dev/null 2>&1
rm -rf "$PGDIR" "$MARKER"
