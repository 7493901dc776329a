#!/usr/bin/env bash
# PostgreSQL for the archive tests (issue 13): 127.0.0.1:5432, user postgres, no password — Debian's
# package and its default cluster. Installs it with apt when missing, creates and starts the cluster
# when none runs, trusts local TCP connections. A no-op where PostgreSQL already answers.
# Run by .ci/run and by `npm test` (infra/scripts/bootstrap.mjs) when nothing answers on 5432.
set -euo pipefail

if ! command -v pg_ctlcluster >/dev/null 2>&1 || ! command -v psql >/dev/null 2>&1; then
  echo "[wabulk] postgresql missing: installing it with apt"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
fi
if ! pg_isready -q -h 127.0.0.1 -p 5432; then
  pg_version="$(ls /etc/postgresql 2>/dev/null | sort -V | tail -n 1)"
  if [ -z "$pg_version" ]; then
    pg_version="$(ls /usr/lib/postgresql | sort -V | tail -n 1)"
    echo "[wabulk] no PostgreSQL cluster: creating $pg_version/main"
    pg_createcluster --port 5432 "$pg_version" main >/dev/null
  fi
  echo "[wabulk] starting PostgreSQL $pg_version/main"
  pg_ctlcluster --skip-systemctl-redirect "$pg_version" main start
fi
for _ in $(seq 1 60); do
  pg_isready -q -h 127.0.0.1 -p 5432 && break
  sleep 0.5
done
if ! pg_isready -h 127.0.0.1 -p 5432; then
  echo "[wabulk] PostgreSQL does not answer on 127.0.0.1:5432 after 30 s" >&2
  exit 1
fi
# A fresh Debian cluster asks for a password (scram) over TCP: the tests connect as postgres
# without one, so local TCP connections are trusted (this machine only listens on localhost).
if ! psql -h 127.0.0.1 -p 5432 -U postgres -w -tAc 'select 1' >/dev/null 2>&1; then
  pg_hba="$(su postgres -c "psql -p 5432 -tAc 'show hba_file'")"
  echo "[wabulk] trusting 127.0.0.1/32 and ::1/128 in $pg_hba"
  sed -i -E 's/^(host[[:space:]]+all[[:space:]]+all[[:space:]]+(127\.0\.0\.1\/32|::1\/128)[[:space:]]+)[a-z0-9-]+/\1trust/' "$pg_hba"
  su postgres -c "psql -p 5432 -tAc 'select pg_reload_conf()'" >/dev/null
  if ! psql -h 127.0.0.1 -p 5432 -U postgres -w -tAc 'select 1' >/dev/null; then
    echo "[wabulk] psql -h 127.0.0.1 -U postgres still needs a password: check $pg_hba" >&2
    exit 1
  fi
fi
echo "[wabulk] PostgreSQL $(psql -h 127.0.0.1 -p 5432 -U postgres -w -tAc 'show server_version') on 127.0.0.1:5432"

