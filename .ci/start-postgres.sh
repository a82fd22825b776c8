#!/usr/bin/env bash
# Starts a throwaway PostgreSQL 15 cluster on 127.0.0.1:${PGPORT:-55432} and prints its connection string.
# Used by .ci/run and by developers: `KRXHUB_TEST_POSTGRES=$(bash .ci/start-postgres.sh) && export KRXHUB_TEST_POSTGRES`.
# A cluster it starts is recorded in /tmp/krxhub-pg-$PORT.dir; `bash .ci/stop-postgres.sh` stops and removes it.
set -euo pipefail
PORT=${PGPORT:-55432}
BIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
CONN="Host=127.0.0.1;Port=$PORT;Username=postgres;Database=postgres;Pooling=true"
if "$BIN/pg_isready" -h 127.0.0.1 -p "$PORT" >/dev/null 2>&1; then
  echo "$CONN"; exit 0
fi
PGDIR=$(mktemp -d /tmp/krxhub-pg.XXXXXX)
chown postgres:postgres "$PGDIR"
su postgres -c "$BIN/initdb -D $PGDIR/data -U postgres --auth=trust -E UTF8 --locale=C.UTF-8" >/dev/null
su postgres -c "$BIN/pg_ctl -D $PGDIR/data -l $PGDIR/server.log -o '-c listen_addresses=127.0.0.1 -c port=$PORT -c unix_socket_directories=$PGDIR -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200' -w start" >/dev/null
echo "$PGDIR" > "/tmp/krxhub-pg-$PORT.dir"
echo "$CONN"
