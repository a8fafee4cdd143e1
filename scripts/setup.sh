#!/usr/bin/env bash
# Set up parksite on a fresh Debian/Ubuntu machine: Debian packages, a virtualenv in .venv,
# and the project installed into it. Safe to run again: it only installs what is missing.
#   bash scripts/setup.sh          # runtime (web map, CLI, SpatiaLite)
#   bash scripts/setup.sh --test   # plus PostGIS, GDAL tools, Chromium and Node (eslint) for the
#                                  # test suite and scripts/check.sh
set -euo pipefail
cd "$(dirname "$0")/.."

want_test=0
[ "${1:-}" = "--test" ] && want_test=1

# Debian packages: SpatiaLite for the embedded database, postgresql-client for PostGIS backups
# (below); PostGIS, gdal-bin (gdaldem is the reference the slope tests compare against) and
# Chromium for the test suite; Pango and HarfBuzz for WeasyPrint (PDF reports, CJK text in
# fonts-noto-cjk), poppler-utils (pdftotext, pdftoppm) for the report tests; docker-compose
# (Debian's Compose 1.29: `docker-compose config` validates docker-compose.yml against the
# Compose specification without a Docker daemon, tests/test_compose.py).
debs=(libsqlite3-mod-spatialite fonts-noto-cjk libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0)
if [ "$want_test" = 1 ]; then
  # PostGIS for the PostgreSQL the machine runs (15 on Debian 12).
  pg_major=$(ls /etc/postgresql 2>/dev/null | sort -V | tail -n 1)
  debs+=("postgresql-${pg_major:-15}-postgis-3" gdal-bin chromium chromium-driver poppler-utils docker-compose)
  # Node and npm for eslint (scripts/check.sh), unless a Node with npm is already installed
  # (e.g. one that bundles npm, which Debian's npm package would conflict with).
  if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    debs+=(nodejs npm)
  fi
fi
missing=()
for p in "${debs[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
# pg_dump, pg_restore and psql for `parksite db backup|restore` on PostGIS (any installed
# postgresql-client-N will do; the server's major version or newer).
command -v pg_dump >/dev/null 2>&1 && command -v psql >/dev/null 2>&1 || missing+=(postgresql-client)
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" = 0 ] || SUDO="sudo"
  echo "==> apt-get install ${missing[*]}"
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  echo "==> creating .venv"
  "$PY" -m venv .venv
fi
stamp=.venv/.parksite-installed
extras=""
[ "$want_test" = 1 ] && extras="[test]"
if [ ! -f "$stamp$extras" ] || [ pyproject.toml -nt "$stamp$extras" ]; then
  echo "==> pip install -e .$extras"
  .venv/bin/pip install -q --upgrade pip
  .venv/bin/pip install -q -e ".$extras"
  touch "$stamp$extras"
fi

# eslint and its rules, exactly as package-lock.json pins them, into node_modules.
if [ "$want_test" = 1 ]; then
  npm_stamp=node_modules/.parksite-installed
  if [ ! -f "$npm_stamp" ] || [ package-lock.json -nt "$npm_stamp" ]; then
    echo "==> npm ci"
    npm ci --no-audit --no-fund
    touch "$npm_stamp"
  fi
fi
