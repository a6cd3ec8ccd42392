#!/usr/bin/env bash
# Command 2 of the README: install the test extras and run lint plus the full test suite.
# Tests start the servers they need themselves (redis-server, Milvus, a local fixture web site),
# bound to 127.0.0.1 only.
set -euo pipefail
cd "$(dirname "$0")/.."
export ADLENS_HOME="${ADLENS_HOME:-$PWD/.adlens-test}"
export ADLENS_MODEL_DIR="${ADLENS_MODEL_DIR:-$HOME/.adlens/models}"
bash scripts/install.sh --test
echo "==> ruff" >&2
.venv/bin/ruff check src tests bench eval
.venv/bin/ruff format --check src tests bench eval
echo "==> mypy" >&2
.venv/bin/mypy
echo "==> pytest" >&2
set +e
.venv/bin/python -m pytest "$@"
rc=$?
set -e
# pytest exits 5 when no test was collected: that is a failure for us.
[ "$rc" = 5 ] && { echo "error: no tests were collected" >&2; exit 1; }
exit "$rc"
