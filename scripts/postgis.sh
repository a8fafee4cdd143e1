#!/usr/bin/env bash
# Helpers to reach the local PostgreSQL and prepare a PostGIS database (sourced by test.sh).
pg_running() { pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; }

start_postgres() {
  if pg_running; then return 0; fi
  if command -v pg_ctlcluster >/dev/null 2>&1; then
    local ver
    ver=$(ls /etc/postgresql 2>/dev/null | sort -V | tail -n 1)
    [ -n "$ver" ] && pg_ctlcluster --skip-systemctl-redirect "$ver" main start || true
  fi
  for _ in $(seq 1 30); do pg_running && return 0; sleep 1; done
  echo "PostgreSQL is not reachable on 127.0.0.1:5432" >&2
  return 1
}

prepare_postgis_test_db() {
  local db=${PARKSITE_TEST_PG_DB:-parksite_test}
  start_postgres
  psql -h 127.0.0.1 -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname='$db'" | grep -q 1 \
    || psql -h 127.0.0.1 -U postgres -qc "CREATE DATABASE $db"
  psql -h 127.0.0.1 -U postgres -d "$db" -qc "CREATE EXTENSION IF NOT EXISTS postgis"
}
