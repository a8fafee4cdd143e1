#!/usr/bin/env bash
# Lint, format and type checks, run by scripts/test.sh (and so by CI) before the tests.
#   ruff check + ruff format --check over the whole tree, mypy over gis/ and scoring/
#   (settings in pyproject.toml)
#   eslint over the web map's own ES modules (eslint.config.js; installed from package-lock.json
#   into node_modules by `bash scripts/setup.sh --test`)
set -euo pipefail
cd "$(dirname "$0")/.."
echo "==> ruff check"
.venv/bin/ruff check .
echo "==> ruff format --check"
.venv/bin/ruff format --check .
echo "==> mypy"; .venv/bin/mypy gis scoring
echo "==> eslint app/static/js"
if [ ! -x node_modules/.bin/eslint ]; then
  echo "eslint is not installed: run bash scripts/setup.sh --test (npm ci)" >&2
  exit 1
fi
npx --no-install eslint app/static/js
