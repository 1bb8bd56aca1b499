#!/usr/bin/env bash
# Make sure the test suite has a PostgreSQL server and a NATS server with JetStream.
# Uses the ones on 127.0.0.1:5432 / :4222 when they answer; otherwise installs Debian's
# packages (when missing) and starts private instances under /tmp/watchfloor-services-$UID.
# Prints shell assignments for the Makefile to export.
set -euo pipefail
# Private instances live outside the work tree so that the postgres user can reach them.
# WATCHFLOOR_PRIVATE_SERVICES=1 skips the shared servers (to test this script itself).
state="${WATCHFLOOR_SERVICES_DIR:-/tmp/watchfloor-services-$(id -u)}"
mkdir -p "$state"
private="${WATCHFLOOR_PRIVATE_SERVICES:-0}"

answers() { [ "$private" = 1 ] && [ "$1" -lt 50000 ] && return 1; (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
apt_install() {
  if [ ! -f "$state/.apt-updated" ]; then as_root apt-get update -qq >&2 && touch "$state/.apt-updated"; fi
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "$@" >&2
}

# --- PostgreSQL ---------------------------------------------------------------------------
pg_url=""
if answers 5432 && psql -h 127.0.0.1 -U postgres -d test -Atc 'select 1' >/dev/null 2>&1; then
  pg_url="postgresql+psycopg://postgres@127.0.0.1:5432/test"
else
  port=55432
  if ! answers $port; then
    bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
    if [ -z "$bindir" ]; then apt_install postgresql; bindir=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1); fi
    datadir="$state/pg"
    run=(); if [ "$(id -u)" = 0 ]; then chown -R postgres "$state" 2>/dev/null || true; run=(runuser -u postgres --); fi
    if [ ! -f "$datadir/PG_VERSION" ]; then
      "${run[@]}" "$bindir/initdb" -D "$datadir" -U postgres --auth=trust >/dev/null
    fi
    "${run[@]}" "$bindir/pg_ctl" -D "$datadir" -l "$state/pg.log" -w \
      -o "-p $port -k $state -c listen_addresses=127.0.0.1" start >/dev/null
    "${run[@]}" "$bindir/psql" -h 127.0.0.1 -p $port -U postgres -Atc \
      "select 1 from pg_database where datname='test'" | grep -q 1 || \
      "${run[@]}" "$bindir/createdb" -h 127.0.0.1 -p $port -U postgres test
  fi
  pg_url="postgresql+psycopg://postgres@127.0.0.1:$port/test"
fi

# --- NATS JetStream -----------------------------------------------------------------------
nats_url=""
if answers 4222; then
  nats_url="nats://127.0.0.1:4222"
else
  port=54222
  if ! answers $port; then
    command -v nats-server >/dev/null || [ -x /usr/sbin/nats-server ] || apt_install nats-server
    bin=$(command -v nats-server || echo /usr/sbin/nats-server)
    mkdir -p "$state/nats"
    nohup "$bin" -a 127.0.0.1 -p $port -js -sd "$state/nats" >"$state/nats.log" 2>&1 &
    for _ in $(seq 50); do answers $port && break; sleep 0.1; done
  fi
  nats_url="nats://127.0.0.1:$port"
fi

# --- Chromium for the browser tests -------------------------------------------------------
[ -x /usr/bin/chromium ] || apt_install chromium

echo "WATCHFLOOR_TEST_PG_URL=$pg_url"
echo "WATCHFLOOR_TEST_NATS_URL=$nats_url"
