#!/usr/bin/env bash
# Command 1 of the README: install everything, seed the demo, start the server with its web UI.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
exec .venv/bin/adlens serve --demo "$@"
