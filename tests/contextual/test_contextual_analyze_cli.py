"""CLI: ``adlens analyze URL --json`` and ``adlens contextual batch`` (in process, through the real ``main``)."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_contextual_api_site import FixtureSite, share_home, warm_home

from adlens.cli.main import main
from adlens.config import Settings


@pytest.fixture(scope="module")
def site() -> Iterator[FixtureSite]:
    s = FixtureSite()
    yield s
    s.close()


@pytest.fixture()
def home(fresh_settings: Settings) -> Iterator[Path]:
    warm_home(fresh_settings.home)
    yield fresh_settings.home
    share_home(fresh_settings.home)


def _main(
    args: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "argv", ["adlens", *args])
    monkeypatch.setenv("COLUMNS", "400")
    code = 0
    try:
        main()
    except SystemExit as exc:
        code = int(exc.code or 0)
    out = capsys.readouterr()
    return code, out.out, out.err


def test_analyze_json(
    site: FixtureSite, home: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = _main(
        ["analyze", site.url("/text-only.html"), "-t", "iab-3.1", "-k", "3", "--json"], monkeypatch, capsys
    )
    assert code == 0, err
    doc = json.loads(out)  # exactly one JSON document on stdout
    assert doc["categories"][0]["path"][0] == "Sports"
    assert len(doc["categories"]) <= 3
    assert doc["openrtb"]["site"]["content"]["data"][0]["ext"]["segtax"] == 7


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["analyze", "not-a-url", "--json"], "http"),
        (["analyze", "http://x.test/", "-t", "nope"], "unknown taxonomy"),
    ],
)
def test_analyze_bad_input_is_one_line_exit_2(
    args: list[str],
    message: str,
    home: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, err = _main(args, monkeypatch, capsys)
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0]
    assert out == ""


def test_batch_json_with_a_failing_url(
    site: FixtureSite, home: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    urls = home / "urls.txt"
    urls.write_text(f"{site.url('/text-only.html')}\n# comment\n{site.url('/missing.html')}\n")
    code, out, err = _main(
        ["contextual", "batch", "--file", str(urls), "--top-k", "2", "--json"], monkeypatch, capsys
    )
    assert code == 0, err
    doc = json.loads(out)
    assert (doc["ok"], doc["failed"]) == (1, 1)
    assert [i["status"] for i in doc["items"]] == ["ok", "error"]
    assert "404" in doc["items"][1]["error"]
