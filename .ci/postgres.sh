#!/usr/bin/env bash
# A throwaway PostgreSQL cluster on loopback, for the test suite.
#   .ci/postgres.sh start DIR PORT   initdb + start; prints the URL to use
#   .ci/postgres.sh stop DIR         stop and remove the cluster
# PostgreSQL refuses to run as root, so as root the server runs as the postgres user.
set -euo pipefail

action=${1:?start or stop}
dir=${2:?cluster directory}

pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
if [ -z "$pgbin" ]; then
  echo "PostgreSQL server binaries not found (apt-get install postgresql)" >&2
  exit 1
fi

as_owner() {
  if [ "$(id -u)" = 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

case "$action" in
  start)
    port=${3:?port}
    mkdir -p "$dir"
    [ "$(id -u)" = 0 ] && chown postgres: "$dir"
    as_owner "$pgbin/initdb" -D "$dir/data" -U postgres -A trust --encoding=UTF8 \
      --locale=C.UTF-8 >"$dir/initdb.log"
    as_owner "$pgbin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
      -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off" \
      start >/dev/null
    echo "postgresql://postgres@127.0.0.1:$port/postgres"
    ;;
  stop)
    if [ -d "$dir/data" ]; then
      as_owner "$pgbin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null || true
    fi
    rm -rf "$dir"
    ;;
  *)
    echo "unknown action: $action" >&2
    exit 2
    ;;
esac
