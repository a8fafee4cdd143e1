#!/usr/bin/env bash
# Set up parksite (see scripts/setup.sh) and serve the web map on the bundled Jiaokou sample
# zone, on the embedded SpatiaLite database. Open http://127.0.0.1:8000/ when it says so.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/parksite serve "$@"
