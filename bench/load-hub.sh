# Sourced by bench/load-http.sh and bench/load-ws.sh: starts `krxhub serve` on loopback for a load run and stops it on exit.
#   start_hub <dir of a built krxhub, or krxhub.dll> <port> <data dir or ""> <open files needed> [ENV=value …]
# Sets HUB_PID, BASE and TMP (a temporary directory, removed on exit with the hub's log; the data dir too when none was given).
# The open-file limit is raised to the hard limit first: every connection is a descriptor, in the load tool and in the hub
# (started from this shell, so it inherits the limit).
start_hub() {
  local target=$1 port=$2 data_dir=$3 need=$4
  shift 4
  local hub
  if [[ -d $target ]]; then hub=("$target/krxhub"); elif [[ $target == *.dll ]]; then hub=(dotnet "$target"); else hub=("$target"); fi
  [[ -e ${hub[-1]} ]] || { echo "no krxhub at ${hub[-1]} (build it: dotnet build -c Release src/KrxHub)" >&2; exit 1; }
  command -v curl > /dev/null || { echo "curl is not installed: sudo apt-get install -y curl" >&2; exit 1; }
  ulimit -n "$(ulimit -Hn)" 2> /dev/null || true
  if [[ $(ulimit -n) != unlimited && $(ulimit -n) -lt $need ]]; then
    echo "open-file limit $(ulimit -n) < $need; raise the hard limit (ulimit -Hn, /etc/security/limits.conf)" >&2
    exit 1
  fi

  BASE=http://127.0.0.1:$port
  if curl -s -o /dev/null "$BASE/health/live"; then echo "something already answers on $BASE; set KRXHUB_LOAD_PORT" >&2; exit 1; fi
  TMP=$(mktemp -d /tmp/krxhub-load.XXXXXX)
  [[ -n $data_dir ]] || data_dir=$TMP/data
  HUB_PID=
  trap stop_hub EXIT
  env "$@" "${hub[@]}" serve --urls "$BASE" --data-dir "$data_dir" > "$TMP/hub.log" 2>&1 &
  HUB_PID=$!
  echo "hub pid $HUB_PID on $BASE, data dir $data_dir: waiting for /health/ready (a first start loads the bundled data, ~25 s)" >&2
  for _ in $(seq 600); do
    curl -sf -o /dev/null "$BASE/health/ready" && return 0
    kill -0 "$HUB_PID" 2> /dev/null || { cat "$TMP/hub.log" >&2; echo "the hub exited" >&2; exit 1; }
    sleep 1
  done
  tail -20 "$TMP/hub.log" >&2
  echo "the hub was not ready after 600 s" >&2
  exit 1
}

stop_hub() {
  if [[ -n ${HUB_PID:-} ]] && kill -0 "$HUB_PID" 2> /dev/null; then kill "$HUB_PID"; wait "$HUB_PID" 2> /dev/null || true; fi
  rm -rf "${TMP:?}"
}

# The hub's resident set now and at its peak, in MB (VmRSS, VmHWM).
hub_rss_mb() { awk -v k="$1:" '$1 == k {print int($2 / 1024)}' "/proc/$HUB_PID/status"; }
