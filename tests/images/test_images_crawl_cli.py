"""``adlens crawl URL --json`` and ``adlens images crawls list|show|delete`` as a user runs them."""

from __future__ import annotations

import json
import sys
from typing import Any

import pytest

from adlens.cli import main as cli_main


def run_main(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str
) -> tuple[int, str, str]:
    """The CLI entry point in-process (same error handling as the installed ``adlens`` script)."""
    monkeypatch.setattr(sys, "argv", ["adlens", *args])
    code = 0
    try:
        cli_main.main()
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def test_crawl_json_then_manage_the_crawl(
    fresh_settings: Any, images_site: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from adlens.config import reset_settings

    monkeypatch.setenv("ADLENS_OCR_ENABLED", "false")  # OCR is tested in test_images_crawl.py
    reset_settings()
    url = images_site.url + "broken.html"
    code, out, err = run_main(monkeypatch, capsys, "crawl", url, "--limit", "2", "--depth", "1", "--json")
    assert code == 0, err
    doc = json.loads(out)  # exactly one JSON document on stdout
    assert {"crawl_id", "pages", "images", "errors"} <= set(doc)
    # broken.html (only slow.jpg is good: 2 s is within the CLI's 15 s) and the home page (2 images)
    assert doc["pages"] == 2 and doc["images"] == 3
    kinds = {e["kind"] for e in doc["errors"]}
    assert {"http-404", "http-500", "too-large", "undecodable", "unsupported-type"} <= kinds
    crawl_id = doc["crawl_id"]

    code, out, _ = run_main(monkeypatch, capsys, "images", "crawls", "list", "--json")
    assert code == 0 and [c["crawl_id"] for c in json.loads(out)["crawls"]] == [crawl_id]
    code, out, _ = run_main(monkeypatch, capsys, "images", "crawls", "show", crawl_id, "--json")
    shown = json.loads(out)
    assert shown["status"] == "done" and shown["error_count"] == len(doc["errors"])
    code, out, _ = run_main(monkeypatch, capsys, "images", "crawls", "delete", crawl_id, "--json")
    assert code == 0 and json.loads(out)["deleted"] is True
    code, out, err = run_main(monkeypatch, capsys, "images", "crawls", "show", crawl_id)
    assert code == 2 and err.strip().startswith("error: no crawl") and "Traceback" not in err


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["file:///etc/passwd"], "scheme"),
        (["http://"], "no host"),
        (["http://user:pw@example.com/"], "credentials"),
        (["https://example.com/", "--limit", "0"], "limit"),
        (["https://example.com/", "--depth", "-1"], "depth"),
    ],
)
def test_bad_input_is_a_one_line_error(
    fresh_settings: Any,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    words: str,
) -> None:
    code, out, err = run_main(monkeypatch, capsys, "crawl", *args, "--json")
    assert code == 2, err
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:") and words in lines[0], err
