"""``adlens recommend eval`` on a tiny data set in MovieLens-100k format written by the test."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

GENRES = ["unknown", "Action", "Comedy"]


def write_movielens_format(root: Path, n_users: int = 40, n_items: int = 30, per_user: int = 10) -> Path:
    rng = np.random.default_rng(3)
    root.mkdir(parents=True, exist_ok=True)
    (root / "u.genre").write_text("".join(f"{g}|{i}\n" for i, g in enumerate(GENRES)), encoding="latin-1")
    items = []
    for i in range(1, n_items + 1):
        flags = ["0", "1", "0"] if i % 2 else ["0", "0", "1"]
        items.append(
            f"{i}|{'Action' if i % 2 else 'Comedy'} film {i} (1995)|01-Jan-1995||http://x|" + "|".join(flags)
        )
    (root / "u.item").write_text("\n".join(items) + "\n", encoding="latin-1")
    users = [f"{u}|{20 + u % 40}|{'M' if u % 2 else 'F'}|student|00000" for u in range(1, n_users + 1)]
    (root / "u.user").write_text("\n".join(users) + "\n", encoding="latin-1")
    rows = []
    for u in range(1, n_users + 1):
        pool = [i for i in range(1, n_items + 1) if i % 2 == u % 2]  # users stick to one genre
        for k, i in enumerate(rng.choice(pool, size=per_user, replace=False)):
            rows.append(f"{u}\t{i}\t{rng.integers(1, 6)}\t{880000000 + 1000 * u + k}")
    (root / "u.data").write_text("\n".join(rows) + "\n")
    return root


def _run_main(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str
) -> tuple[int, str, str]:
    from adlens.cli import main as cli_main

    monkeypatch.setattr(sys, "argv", ["adlens", "recommend", *args])
    code = 0
    try:
        cli_main.main()
    except SystemExit as exc:
        code = int(exc.code or 0)
    out = capsys.readouterr()
    return code, out.out, out.err


def test_eval_cli_runs_every_model_under_recbole(
    fresh_settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    data = write_movielens_format(tmp_path / "ml")
    code, out, err = _run_main(
        monkeypatch, capsys, "eval", "--data", str(data), "--protocol", "recbole", "--quick", "--json"
    )
    assert code == 0, err[-3000:]
    doc = json.loads(out)
    rows = doc["protocols"]["recbole"]["rows"]
    assert [row["model"] for row in rows] == [
        "Popularity",
        "ItemKNN",
        "BPR-MF",
        "Two-tower (adlens)",
        "Two-tower + ItemKNN blend",
    ]
    for row in rows:
        assert 0.0 <= row["ndcg@10"] <= 1.0 and 0.0 <= row["hit@10"] <= 1.0
    # users stick to one genre: the two-tower model must beat popularity on this data
    by_model = {row["model"]: row for row in rows}
    assert by_model["Two-tower (adlens)"]["hit@10"] > by_model["Popularity"]["hit@10"]
    assert "BPR (RecBole)" in doc["protocols"]["recbole"]["published"]
    stored = json.loads((fresh_settings.data_dir / "recommend" / "eval.json").read_text())
    assert stored["protocols"]["recbole"]["rows"][0]["model"] == "Popularity"


def test_eval_cli_bad_input(
    fresh_settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = _run_main(monkeypatch, capsys, "eval", "--data", str(tmp_path / "nothing"), "--json")
    assert code == 2 and err.startswith("error:")
    data = write_movielens_format(tmp_path / "ml")
    code, _, err = _run_main(monkeypatch, capsys, "eval", "--data", str(data), "--protocol", "netflix")
    assert code == 2 and "unknown protocol" in err


def test_pca_keeps_width_for_small_catalogues() -> None:
    from adlens.recommend.features import pca

    x = np.random.default_rng(0).normal(size=(30, 384)).astype(np.float32)
    out = pca(x, 64)
    assert out.shape == (30, 64)
    assert np.allclose(out[:, 30:], 0.0) and np.abs(out[:, :29]).sum() > 0
