#!/usr/bin/env bash
# A separate venv for the Chroma baseline of bench/store.py: chromadb's grpcio conflicts with the
# pymilvus 2.3.x pin of the main environment, so Chroma runs in its own interpreter.
set -euo pipefail
cd "$(dirname "$0")/.."
python3.11 -m venv .venv-chroma
.venv-chroma/bin/pip install -q chromadb==1.5.9 numpy
echo "ok: .venv/bin/python bench/store.py --sizes 100000 (uses .venv-chroma/bin/python)"
