"""Safe value formats for typed caches (no pickle): numpy arrays and JSON, each with a small header
and a CRC32, so a truncated or corrupted entry is detected instead of being returned."""

from __future__ import annotations

import json
import struct
import zlib
from typing import Any

import numpy as np

from adlens.errors import InvalidInput

ARRAY_MAGIC = b"ADLA"
JSON_MAGIC = b"ADLJ"
FORMAT_VERSION = 1
MAX_NDIM = 8

# magic, version, dtype code, ndim, pad, crc32(payload)
_ARRAY_HEADER = struct.Struct("<4sBBBxI")
# magic, version, 3 pad bytes, crc32(payload)
_JSON_HEADER = struct.Struct("<4sB3xI")

_DTYPES: dict[int, np.dtype[Any]] = {
    1: np.dtype("<f4"),
    2: np.dtype("<f2"),
    3: np.dtype("<f8"),
    4: np.dtype("i1"),
    5: np.dtype("u1"),
    6: np.dtype("<i2"),
    7: np.dtype("<i4"),
    8: np.dtype("<i8"),
    9: np.dtype("?"),
}
_CODES = {dt.newbyteorder("="): code for code, dt in _DTYPES.items()}


class CorruptEntry(ValueError):
    """A cached value failed its header, length or checksum check."""


def encode_array(array: np.ndarray) -> bytes:
    """``header | shape (uint32 each) | little-endian C-order data``."""
    arr = np.asarray(array)
    code = _CODES.get(arr.dtype.newbyteorder("="))
    if code is None:
        raise InvalidInput(f"cannot cache arrays of dtype {arr.dtype}")
    if arr.ndim > MAX_NDIM or any(d >= 2**32 for d in arr.shape):
        raise InvalidInput(f"cannot cache an array of shape {arr.shape}")
    payload = np.ascontiguousarray(arr, dtype=_DTYPES[code]).tobytes()
    header = _ARRAY_HEADER.pack(ARRAY_MAGIC, FORMAT_VERSION, code, arr.ndim, zlib.crc32(payload))
    return header + struct.pack(f"<{arr.ndim}I", *arr.shape) + payload


def decode_array(blob: bytes) -> np.ndarray:
    """Inverse of :func:`encode_array`; returns a writable array. Raises :class:`CorruptEntry`."""
    if len(blob) < _ARRAY_HEADER.size:
        raise CorruptEntry("array entry shorter than its header")
    magic, version, code, ndim, crc = _ARRAY_HEADER.unpack_from(blob)
    if magic != ARRAY_MAGIC or version != FORMAT_VERSION or code not in _DTYPES or ndim > MAX_NDIM:
        raise CorruptEntry("array entry has a bad header")
    offset = _ARRAY_HEADER.size + 4 * ndim
    if len(blob) < offset:
        raise CorruptEntry("array entry truncated in its shape")
    shape = struct.unpack_from(f"<{ndim}I", blob, _ARRAY_HEADER.size)
    dtype = _DTYPES[code]
    payload = memoryview(blob)[offset:]
    if len(payload) != int(np.prod(shape, dtype=np.int64)) * dtype.itemsize:
        raise CorruptEntry("array entry has the wrong length for its shape")
    if zlib.crc32(payload) != crc:
        raise CorruptEntry("array entry failed its checksum")
    return np.frombuffer(payload, dtype=dtype).reshape(shape).astype(dtype.newbyteorder("="), copy=True)


def encode_json(value: Any) -> bytes:
    try:
        payload = json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode()
    except (TypeError, ValueError) as exc:
        raise InvalidInput(f"cache value must be JSON-serialisable: {exc}") from None
    return _JSON_HEADER.pack(JSON_MAGIC, FORMAT_VERSION, zlib.crc32(payload)) + payload


def decode_json(blob: bytes) -> Any:
    if len(blob) < _JSON_HEADER.size:
        raise CorruptEntry("JSON entry shorter than its header")
    magic, version, crc = _JSON_HEADER.unpack_from(blob)
    payload = memoryview(blob)[_JSON_HEADER.size :]
    if magic != JSON_MAGIC or version != FORMAT_VERSION:
        raise CorruptEntry("JSON entry has a bad header")
    if zlib.crc32(payload) != crc:
        raise CorruptEntry("JSON entry failed its checksum")
    try:
        return json.loads(bytes(payload))
    except ValueError as exc:
        raise CorruptEntry(f"JSON entry does not parse: {exc}") from None


__all__ = ["CorruptEntry", "decode_array", "decode_json", "encode_array", "encode_json"]
