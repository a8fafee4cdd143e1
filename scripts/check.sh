#!/usr/bin/env bash
# Lint, format and type checks, run by scripts/test.sh (and so by CI) before the tests.
#   ruff check + ruff format --check over the whole tree, mypy over gis/ and scoring/
#   (settings in pyproject.toml)
set -euo pipefail
cd "$(dirname "$0")/.."
echo "==> ruff check"
.venv/bin/ruff check .
echo "==> ruff format --check"
.venv/bin/ruff format --check .
echo "==> mypy"; .venv/bin/mypy gis scoring
