#!/usr/bin/env bash
# Start a throwaway PostgreSQL cluster on loopback for the service tests and print its URL
# on stdout's last line. Debian, as root: installs the `postgresql` package when missing.
#
#   export MAGNETS_TEST_POSTGRES_URL="$(.ci/postgres.sh | tail -1)"
#   .venv/bin/pytest -q tests/service
#
# The cluster lives in a temporary directory (or $MAGNETS_PG_DATA); stop it with the
# `pg_ctl ... stop` line printed on stderr.
set -euo pipefail

# A free loopback port unless one is given: a system cluster may already hold 5432.
PORT="${MAGNETS_PG_PORT:-$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}"
DB=magnets_test
ROLE=magnets

if ! compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null; then
    echo "installing postgresql..." >&2
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
fi
BIN="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)"

DATA="${MAGNETS_PG_DATA:-$(mktemp -d /tmp/magnets-pg.XXXXXX)}"
mkdir -p "$DATA"
chown postgres: "$DATA"
chmod 700 "$DATA"

as_postgres() { runuser -u postgres -- "$@"; }

# Trust on the cluster's own socket directory (only root and postgres reach it), so the
# superuser can set things up; a password over TCP, which is what the service uses.
as_postgres "$BIN/initdb" -D "$DATA" -U postgres --auth-local=trust --auth-host=scram-sha-256 >&2
as_postgres "$BIN/pg_ctl" -D "$DATA" -l "$DATA/server.log" -w \
    -o "-c listen_addresses=127.0.0.1 -p $PORT -k $DATA" start >&2

PASSWORD="$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')"
as_postgres "$BIN/psql" -h "$DATA" -p "$PORT" -U postgres -v ON_ERROR_STOP=1 -q \
    -c "CREATE ROLE $ROLE LOGIN PASSWORD '$PASSWORD'" \
    -c "CREATE DATABASE $DB OWNER $ROLE" >&2

echo "stop with: runuser -u postgres -- $BIN/pg_ctl -D $DATA stop" >&2
echo "postgresql+psycopg://$ROLE:$PASSWORD@127.0.0.1:$PORT/$DB"
