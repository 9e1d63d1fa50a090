#!/usr/bin/env bash
# Akka.Alerting build entry point.
#   ./build.sh demo [--duration 20s] [service args...]   run the whole pipeline on the embedded broker and store
#   ./build.sh test [dotnet test args...]                 run every test project against a private PostgreSQL 15
#   ./build.sh bench [--quick]                            run the macro benchmarks, write artifacts/bench/results.json
#   ./build.sh reliability [--quick]                      run the reliability scenarios, write artifacts/reliability/results.json
# Each verb installs what is missing (apt: PostgreSQL 15 for test and bench), restores and builds first.
set -euo pipefail
cd "$(dirname "$0")"
ROOT=$(pwd)
CONFIG=${CONFIG:-Release}
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

log() { printf '[build] %s\n' "$*" >&2; }

# Installs the named apt packages that are missing (the Kafka client's native library comes from NuGet).
ensure_packages() {
  local missing=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    local SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    log "installing ${missing[*]}"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
}

build() {
  log "restore and build ($CONFIG)"
  dotnet build Akka.Alerting.sln -c "$CONFIG" -nologo -clp:NoSummary -v:q
}

PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
PG_DIR=""
PG_USER=""
start_postgres() {
  if [ ! -x "$PG_BIN/initdb" ]; then ensure_packages postgresql-15; fi
  PG_DIR=$(mktemp -d /tmp/alerting-pg.XXXXXX)
  chmod 755 "$PG_DIR"
  local run=()
  if [ "$(id -u)" -eq 0 ]; then
    PG_USER=postgres
    id -u "$PG_USER" >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin "$PG_USER"
    chown "$PG_USER" "$PG_DIR"
    run=(runuser -u "$PG_USER" --)
  fi
  local port
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()' 2>/dev/null \
         || echo $((20000 + RANDOM % 20000)))
  "${run[@]}" "$PG_BIN/initdb" -D "$PG_DIR/data" -U alerting --auth=trust -E UTF8 --no-locale >/dev/null
  # Tests trade durability for speed (they assert behaviour, not figures); benchmarks run durable, as production does.
  local durability="-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
  [ "${1:-}" = durable ] && durability=""
  "${run[@]}" "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/log" -w -t 60 \
      -o "-c listen_addresses=127.0.0.1 -p $port -k $PG_DIR $durability -c max_connections=300" start >/dev/null
  # Timeout=60: the test projects run at once on two cores, and a burst of new connections can wait longer than
  # Npgsql's default 15 s for the server to accept them (a persistence plugin whose start-up connection times out
  # stays failed for the whole spec).
  export ALERTING_TEST_POSTGRES="Host=127.0.0.1;Port=$port;Username=alerting;Database=postgres;Pooling=true;Maximum Pool Size=50;Timeout=60"
  log "PostgreSQL 15 on 127.0.0.1:$port (data in $PG_DIR)"
}
stop_postgres() {
  [ -n "$PG_DIR" ] || return 0
  local run=(); [ -n "$PG_USER" ] && run=(runuser -u "$PG_USER" --)
  "${run[@]}" "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m immediate -w stop >/dev/null 2>&1 || true
  rm -rf "$PG_DIR"
  PG_DIR=""
}

verb=${1:-}
[ $# -gt 0 ] && shift
case "$verb" in
  demo)
    build
    exec dotnet run --no-build -c "$CONFIG" --project src/Alerting.Service -- demo "$@"
    ;;
  test)
    ensure_packages chromium iproute2  # iproute2: ss, read by the embedded broker spec; the web view's browser specs drive Debian's chromium (never a downloaded browser)
    build
    trap stop_postgres EXIT
    start_postgres
    mkdir -p artifacts/test
    rm -f artifacts/test/*.trx
    status=0
    dotnet test Akka.Alerting.sln -c "$CONFIG" --no-build --nologo \
        --logger "trx" --results-directory artifacts/test "$@" || status=$?
    # The quick reliability scenarios (the real service in child processes); a failed one fails the run.
    dotnet run --no-build -c "$CONFIG" --project tests/Alerting.Reliability -- --quick || status=$?
    # One plain closing line over every test project.
    python3 - artifacts/test <<'PY' || true
import glob, sys, xml.etree.ElementTree as ET
p = f = s = 0
for path in glob.glob(sys.argv[1] + "/*.trx"):
    c = ET.parse(path).getroot().find(".//{*}ResultSummary/{*}Counters")
    if c is None: continue
    p += int(c.get("passed", 0)); f += int(c.get("failed", 0)) + int(c.get("error", 0)) + int(c.get("timeout", 0))
    s += int(c.get("notExecuted", 0))
print(f"{p} passed, {f} failed, {s} skipped")
PY
    exit $status
    ;;
  bench)
    build
    trap stop_postgres EXIT
    start_postgres durable
    dotnet run --no-build -c "$CONFIG" --project tests/Alerting.Benchmarks -- "$@"
    ;;
  reliability)
    build
    trap stop_postgres EXIT
    start_postgres
    dotnet run --no-build -c "$CONFIG" --project tests/Alerting.Reliability -- "$@"
    ;;
  *)
    sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//'
    exit 2
    ;;
esac
