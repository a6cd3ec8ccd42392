"""Cache throughput: DiskCache vs RedisCache vs a plain dict (baseline), single thread, 1 KiB values.

Also raw redis-py (same server) to show the wrapper's overhead, and EmbeddingCache (384-d float32)
over DiskCache to show the typed layer's cost. Starts its own redis-server on a free loopback port.

Usage: .venv/bin/python bench/cache.py [--n 3000]
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import redis

from adlens.cache import DiskCache, EmbeddingCache, RedisCache


def rate(n: int, fn: Callable[[int], object]) -> float:
    start = time.perf_counter()
    for i in range(n):
        fn(i)
    return n / (time.perf_counter() - start)


def start_redis(workdir: Path) -> tuple[subprocess.Popen[bytes], int] | None:
    binary = shutil.which("redis-server") or "/usr/bin/redis-server"
    if not os.path.exists(binary):
        return None
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    args = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
    proc = subprocess.Popen(
        [*args, "--dir", str(workdir)], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT
    )
    client = redis.Redis(port=port)
    for _ in range(200):
        try:
            client.ping()
            return proc, port
        except redis.exceptions.ConnectionError:
            time.sleep(0.05)
    proc.kill()
    return None


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=3000)
    n = parser.parse_args().n
    value = os.urandom(1024)
    keys = [f"key-{i:08d}" for i in range(n)]
    rows: list[tuple[str, float, float]] = []

    d: dict[tuple[str, str], bytes] = {}
    rows.append(
        (
            "dict (baseline)",
            rate(n, lambda i: d.__setitem__(("b", keys[i]), value)),
            rate(n, lambda i: d.get(("b", keys[i]))),
        )
    )

    with tempfile.TemporaryDirectory() as tmp:
        disk = DiskCache(Path(tmp) / "kv")
        rows.append(
            (
                "DiskCache (4 shards)",
                rate(n, lambda i: disk.set("b", keys[i], value, ttl=3600)),
                rate(n, lambda i: disk.get("b", keys[i])),
            )
        )
        assert disk.stats()["b"]["hits"] == n
        emb = EmbeddingCache(disk, space="text", model_version="bench@1", dim=384)
        vec = np.random.default_rng(0).standard_normal(384).astype(np.float32)
        rows.append(
            (
                "EmbeddingCache/DiskCache 384-d",
                rate(n, lambda i: emb.set(keys[i], vec)),
                rate(n, lambda i: emb.get(keys[i])),
            )
        )
        disk.close()

        server = start_redis(Path(tmp))
        if server is None:
            print("redis-server not installed: Redis rows skipped")
        else:
            proc, port = server
            try:
                raw = redis.Redis(port=port)
                rows.append(
                    (
                        "redis-py raw SET/GET",
                        rate(n, lambda i: raw.set(f"raw:{keys[i]}", value, ex=3600)),
                        rate(n, lambda i: raw.get(f"raw:{keys[i]}")),
                    )
                )
                rc = RedisCache(f"redis://127.0.0.1:{port}/0")
                rows.append(
                    (
                        "RedisCache",
                        rate(n, lambda i: rc.set("b", keys[i], value, ttl=3600)),
                        rate(n, lambda i: rc.get("b", keys[i])),
                    )
                )
                assert rc.stats()["b"]["hits"] == n
                rc.close()
                raw.close()
            finally:
                proc.kill()
                proc.wait()

    base_set, base_get = rows[0][1], rows[0][2]
    print(f"\n{n} ops each, 1 KiB values (EmbeddingCache: 1.5 KiB), one thread\n")
    print(
        f"{'backend':<32} {'sets/s':>12} {'gets/s':>12} {'µs/set':>9} {'µs/get':>9} {'set ×dict':>10} {'get ×dict':>10}"
    )
    print("-" * 96)
    for name, s, g in rows:
        print(
            f"{name:<32} {s:>12,.0f} {g:>12,.0f} {1e6 / s:>9.1f} {1e6 / g:>9.1f}"
            f" {base_set / s:>10,.0f} {base_get / g:>10,.0f}"
        )


if __name__ == "__main__":
    main()
