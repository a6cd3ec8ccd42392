"""``adlens recommend train --config``, ``for``, ``similar``, ``add-item``, ``history``, ``models`` on tiny data."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from adlens.cli import main as cli_main
from adlens.recommend.catalogue import write_catalogue
from adlens.recommend.synthetic import SyntheticSpec, generate

from .conftest import TINY_SPEC_ARGS
from .test_recommend_cli import write_movielens_format

TINY_YAML = {
    "two_tower": {
        "dim": 24,
        "id_dim": 8,
        "hidden": 48,
        "max_epochs": 6,
        "patience": 3,
        "lr": 0.005,
        "batch_size": 256,
        "text_dim": 8,
    }
}


def _write_inputs(tmp_path: Path, use_text: bool = True) -> tuple[Path, Path]:
    data = write_catalogue(generate(SyntheticSpec(**TINY_SPEC_ARGS)), tmp_path / "catalogue")
    config = tmp_path / "tiny.yaml"
    doc = {"two_tower": {**TINY_YAML["two_tower"], "use_text": use_text}}
    config.write_text(yaml.safe_dump(doc))
    return data, config


def _sub(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "adlens.cli", "recommend", *args],
        capture_output=True,
        text=True,
        env={**os.environ, "ADLENS_HOME": str(home)},
        timeout=300,
    )


def test_train_with_text_then_recommend_from_a_subprocess(
    fresh_settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    data, config = _write_inputs(tmp_path, use_text=True)
    code, out, err = _main(
        monkeypatch, capsys, "train", "--config", str(config), "--data", str(data), "--json"
    )
    assert code == 0, err
    doc = json.loads(out)
    assert doc["model"] == "v0001" and doc["config"]["dim"] == 24 and doc["config"]["text_dim"] == 8
    assert doc["n_items"] == TINY_SPEC_ARGS["n_items"] and doc["metrics"]["valid_hit@10"] > 0
    assert doc["index"]["items"] == TINY_SPEC_ARGS["n_items"]
    ckpt = fresh_settings.data_dir / "recommend" / "models" / "two-tower-0001.pt"
    assert ckpt.is_file()

    # the installed entry point, in another process, serves the stored model from the store
    r = _sub(fresh_settings.home, "for", "user0001", "--k", "4", "--json")
    assert r.returncode == 0, r.stderr[-3000:]
    rec = json.loads(r.stdout)
    assert rec["strategy"] == "user_tower" and len(rec["items"]) == 4 and rec["items"][0]["because"]
    bad = _sub(fresh_settings.home, "similar", "no-such-item", "--json")
    assert bad.returncode == 2 and bad.stderr.startswith("error:") and "unknown item" in bad.stderr
    assert bad.stdout == ""


def _main(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str
) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "argv", ["adlens", "recommend", *args])
    code = 0
    try:
        cli_main.main()
    except SystemExit as exc:
        code = int(exc.code or 0)
    out = capsys.readouterr()
    return code, out.out, out.err


def test_cli_commands_and_bad_input_in_process(
    fresh_settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    data, config = _write_inputs(tmp_path, use_text=False)
    code, out, err = _main(
        monkeypatch, capsys, "train", "--config", str(config), "--data", str(data), "--json"
    )
    assert code == 0, err
    assert json.loads(out)["version"] == 1

    code, out, _ = _main(monkeypatch, capsys, "similar", "m0003", "--k", "3", "--json")
    assert code == 0 and len(json.loads(out)["items"]) == 3
    code, out, _ = _main(
        monkeypatch, capsys, "for", "user0002", "--k", "3", "--filter", '{"year": {"$gte": 2000}}', "--json"
    )
    assert code == 0 and all(it["year"] >= 2000 for it in json.loads(out)["items"])
    code, out, _ = _main(monkeypatch, capsys, "for", "nobody-yet", "--context", "m0001", "--k", "2", "--json")
    assert code == 0 and json.loads(out)["strategy"] == "context"
    code, out, _ = _main(
        monkeypatch, capsys, "add-item", "brand-new", "--title", "New", "--genre", "Drama", "--json"
    )
    assert code == 0 and json.loads(out)["cold_start"] is True
    code, out, _ = _main(monkeypatch, capsys, "history", "user0002", "--limit", "2", "--json")
    assert code == 0 and len(json.loads(out)["items"]) == 2
    code, out, _ = _main(monkeypatch, capsys, "models", "--json")
    assert code == 0 and json.loads(out)["latest"] == 1
    code, out, _ = _main(monkeypatch, capsys, "for", "user0002", "--k", "3")  # human output
    assert code == 0 and "user_tower" in out

    bad = [
        (("for", "ghost", "--json"), "unknown user"),
        (("for", "user0001", "--k", "0", "--json"), "1..500"),
        (("for", "user0001", "--filter", "{nope", "--json"), "not valid JSON"),
        (("for", "user0001", "--model", "5", "--json"), "version 5"),
        (("similar", "missing-item", "--json"), "unknown item"),
        (("similar", "m0001", "--k", "9999", "--json"), "1..500"),
        (("train", "--config", str(tmp_path / "none.yaml"), "--json"), "cannot read config"),
        (("train", "--data", str(tmp_path / "nowhere"), "--json"), "no MovieLens-100k"),
    ]
    for args, fragment in bad:
        code, out, err = _main(monkeypatch, capsys, *args)
        assert code == 2, (args, out, err)
        assert err.startswith("error:") and fragment in err and "Traceback" not in err, (args, err)
        assert out == ""


def test_train_on_movielens_format_folder(
    fresh_settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    data = write_movielens_format(tmp_path / "ml")
    _, config = _write_inputs(tmp_path, use_text=False)
    code, out, err = _main(
        monkeypatch, capsys, "train", "--config", str(config), "--data", str(data), "--json"
    )
    assert code == 0, err
    doc = json.loads(out)
    assert doc["dataset"] == "movielens-100k" and doc["n_items"] == 30
    code, out, _ = _main(monkeypatch, capsys, "similar", "1", "--k", "5", "--json")
    sim = json.loads(out)
    assert code == 0 and sim["items"][0]["year"] == 1995  # year parsed from "... (1995)"
