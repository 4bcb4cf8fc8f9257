#!/usr/bin/env bash
# Makes sure PostgreSQL and Redis answer on their default local ports, starting the local
# servers when they are installed but down. Exits non-zero when one cannot be reached.
set -euo pipefail

pg_up() { pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null || (echo > /dev/tcp/127.0.0.1/5432) 2>/dev/null; }
redis_up() { [ "$(redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null)" = "PONG" ] || \
  (exec 3<>/dev/tcp/127.0.0.1/6379 && printf 'PING\r\n' >&3 && read -t 2 -r line <&3 && [[ $line == +PONG* ]]) 2>/dev/null; }

wait_for() {
  local name=$1 check=$2
  for _ in $(seq 1 30); do
    if $check; then echo "$name: up"; return 0; fi
    sleep 1
  done
  echo "$name: not reachable on its default local port" >&2
  return 1
}

if ! pg_up; then
  if command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ]; then
    echo "PostgreSQL is down; starting the local cluster"
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n 1)" main start || true
  fi
fi
if ! redis_up; then
  if command -v redis-server >/dev/null 2>&1; then
    echo "Redis is down; starting a local server"
    redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no || true
  fi
fi
wait_for PostgreSQL pg_up
wait_for Redis redis_up
