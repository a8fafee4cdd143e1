#!/usr/bin/env bash
# Set up everything the test suite needs (see scripts/setup.sh), prepare a PostGIS test
# database on the local PostgreSQL, and run the tests. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --test
source scripts/postgis.sh
prepare_postgis_test_db
export PARKSITE_TEST_POSTGIS_URL="${PARKSITE_TEST_POSTGIS_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/parksite_test}"
export PARKSITE_CHROMIUM="${PARKSITE_CHROMIUM:-/usr/bin/chromium}"
# Style and types first: CI fails on a lint or format error (scripts/check.sh).
bash scripts/check.sh
set +e
.venv/bin/python -m pytest "$@"
rc=$?
set -e
if [ "$rc" = 5 ]; then
  echo "pytest collected no tests: failing on purpose" >&2
  exit 1
fi
exit "$rc"
