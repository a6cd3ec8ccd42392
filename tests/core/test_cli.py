"""The CLI shell: JSON output, masked secrets, one-line errors with non-zero exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
import typer

from adlens.cli import main as cli_main
from adlens.errors import InvalidInput


def _run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "adlens.cli", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=120,
    )


def test_config_json_masks_secrets() -> None:
    r = _run("config", "--json", env={"ADLENS_API_KEY": "topsecret", "ADLENS_PORT": "8123"})
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["port"] == 8123 and doc["api_key"] == "***"
    assert "topsecret" not in r.stdout + r.stderr


def test_unknown_command_is_a_usage_error() -> None:
    r = _run("no-such-command")
    assert r.returncode == 2
    assert "Traceback" not in r.stderr


def test_domain_error_is_one_line_and_exit_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    @cli_main.app.command("fail-for-test")
    def fail_for_test() -> None:
        raise InvalidInput("column 'year' not found in data.csv")

    monkeypatch.setattr(sys, "argv", ["adlens", "fail-for-test"])
    with pytest.raises(SystemExit) as info:
        cli_main.main()
    assert info.value.code == 2
    err = capsys.readouterr().err.strip()
    assert err == "error: column 'year' not found in data.csv"
    cli_main.app.registered_commands = [
        c for c in cli_main.app.registered_commands if c.name != "fail-for-test"
    ]


def test_exit_code_propagates(monkeypatch: pytest.MonkeyPatch) -> None:
    @cli_main.app.command("exit-for-test")
    def exit_for_test() -> None:
        raise typer.Exit(3)

    monkeypatch.setattr(sys, "argv", ["adlens", "exit-for-test"])
    with pytest.raises(SystemExit) as info:
        cli_main.main()
    assert info.value.code == 3
    cli_main.app.registered_commands = [
        c for c in cli_main.app.registered_commands if c.name != "exit-for-test"
    ]


def test_jobs_cli_lists_and_shows_jobs_of_another_process(tmp_path) -> None:
    from adlens.config import Settings
    from adlens.jobs import LocalJobRunner

    home = tmp_path / "home"
    settings = Settings(home=home)
    settings.ensure_dirs()
    runner = LocalJobRunner.from_settings(settings)
    runner.register("test.sum", lambda ctx, params: {"sum": sum(params["xs"])})
    runner.start()
    job = runner.submit("test.sum", {"xs": [1, 2, 3]})
    import time

    deadline = time.monotonic() + 30
    while runner.get(job.id).state != "done" and time.monotonic() < deadline:
        time.sleep(0.05)
    runner.shutdown()

    env = {"ADLENS_HOME": str(home)}
    listed = _run("jobs", "list", "--json", env=env)
    assert listed.returncode == 0, listed.stderr
    assert [j["id"] for j in json.loads(listed.stdout)["jobs"]] == [job.id]
    shown = _run("jobs", "show", job.id, "--json", env=env)
    assert json.loads(shown.stdout)["result"] == {"sum": 6}
    missing = _run("jobs", "show", "nope", env=env)
    assert missing.returncode == 2
    assert missing.stderr.strip().startswith("error:") and len(missing.stderr.strip().splitlines()) == 1


def test_application_commands_load_lazily_and_top_level_extras_resolve() -> None:
    import subprocess
    import sys

    code = "import sys, adlens.cli.main; print('torch' in sys.modules, 'adlens.recommend' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]

    from typer.testing import CliRunner

    from adlens.cli.main import app

    runner = CliRunner()
    listing = runner.invoke(app, ["--help"]).output
    for name in ("contextual", "analyze", "taxonomy", "images", "crawl", "adclass", "ads", "creators"):
        assert name in listing
    for argv in (["crawl", "--help"], ["taxonomy", "list", "--help"], ["ads", "classify", "--help"]):
        result = runner.invoke(app, argv)
        assert result.exit_code == 0, (argv, result.output)
    assert runner.invoke(app, ["no-such-command"]).exit_code == 2
