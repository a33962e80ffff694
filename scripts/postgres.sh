#!/usr/bin/env bash
# A throwaway PostgreSQL for the scale-out test: Debian's server, a cluster in DIR, listening
# on 127.0.0.1:PORT, database "aisle" owned by user "aisle" (trust auth on loopback only).
#   scripts/postgres.sh start DIR PORT     (installs postgresql with apt when missing)
#   scripts/postgres.sh stop DIR
set -euo pipefail
command="$1"; dir="$2"
BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
as_owner() {
  # PostgreSQL refuses to run as root: run it as the postgres user then.
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
if [ "$command" = stop ]; then
  as_owner "$BIN/pg_ctl" -D "$dir" -m fast stop >/dev/null 2>&1 || true
  exit 0
fi
port="$3"
if [ -z "$BIN" ] || [ ! -x "$BIN/initdb" ]; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get install -y -q postgresql >/dev/null 2>&1 || { $SUDO apt-get update -q >/dev/null && $SUDO apt-get install -y -q postgresql >/dev/null; }
  BIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
fi
mkdir -p "$dir"
[ "$(id -u)" -eq 0 ] && chown postgres "$dir"
as_owner "$BIN/initdb" -D "$dir" -U aisle -A trust --no-sync >/dev/null
as_owner "$BIN/pg_ctl" -D "$dir" -l "$dir/server.log" -w \
  -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off" start >/dev/null
as_owner "$BIN/createdb" -h 127.0.0.1 -p "$port" -U aisle aisle
echo "postgresql+psycopg://aisle@127.0.0.1:$port/aisle"
