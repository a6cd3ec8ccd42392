"""Derived model files (ONNX exports) built once into a cache directory and verified by sha256.

Each artifact ``name.onnx`` has a sidecar ``name.onnx.json`` holding its sha256 and the id of the
source it was built from. A missing, corrupt or stale file is rebuilt; files are written to a temp
file and renamed into place, under a file lock so that concurrent processes build it once.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from adlens.errors import Unavailable
from adlens.file_lock import file_lock


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def sidecar_path(path: Path) -> Path:
    return path.with_name(path.name + ".json")


def is_valid(path: Path, source_id: str) -> bool:
    """True when ``path`` exists and matches the sha256 and source recorded in its sidecar."""
    side = sidecar_path(path)
    if not path.is_file() or not side.is_file():
        return False
    try:
        meta = json.loads(side.read_text())
    except (OSError, ValueError):
        return False
    return meta.get("source") == source_id and meta.get("sha256") == sha256_file(path)


def _write_atomic(target: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def ensure_artifact(path: Path, source_id: str, build: Callable[[Path], None]) -> Path:
    """Return ``path`` after making sure it holds a verified build of ``source_id``.

    ``build(tmp_path)`` must write the artifact to ``tmp_path``; it is only called when the cached
    file is missing, corrupt (checksum mismatch) or was built from another source.
    """
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise Unavailable(f"cannot create model cache directory {path.parent}: {exc.strerror}") from exc
    if is_valid(path, source_id):
        return path
    with file_lock(path.with_name(path.name + ".lock")):
        if is_valid(path, source_id):  # another process built it meanwhile
            return path
        fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        os.close(fd)
        tmp = Path(tmp_name)
        try:
            build(tmp)
            digest = sha256_file(tmp)
            tmp.chmod(0o644)
            os.replace(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)
        meta = {
            "source": source_id,
            "sha256": digest,
            "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }
        _write_atomic(sidecar_path(path), json.dumps(meta, indent=2).encode())
    return path


__all__ = ["ensure_artifact", "is_valid", "sha256_file", "sidecar_path"]
