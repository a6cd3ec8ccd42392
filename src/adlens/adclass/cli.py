"""``adlens adclass …`` (also ``adlens ads …``): import, classify, stats, export, label, retrain."""

from __future__ import annotations

import getpass
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import typer

from adlens.cli.output import console, emit, err_console
from adlens.config import get_settings
from adlens.errors import InvalidInput, PayloadTooLarge

__all__ = ["app", "groups"]

app = typer.Typer(help="Ad relevance and theme classification for brand keywords", no_args_is_help=True)

JSON = typer.Option(False, "--json", help="Print one JSON document.")
KEYWORD = typer.Option(..., "--keyword", "-k", help="Brand keyword, e.g. Pepsi.")


@contextmanager
def _runtime() -> Iterator[Any]:
    from adlens.runtime import Runtime

    runtime = Runtime(get_settings())
    try:
        yield runtime
    finally:
        runtime.close()


def _default_author() -> str:
    try:
        return getpass.getuser()
    except Exception:
        return os.environ.get("USER", "cli")


@app.command("import")
def import_(
    file: Path = typer.Argument(..., help="CSV, JSON/JSON Lines or XLSX ad-library export."),
    keyword: str = KEYWORD,
    mapping: Path | None = typer.Option(None, "--mapping", "-m", help="YAML {field: column} mapping."),
    encoding: str | None = typer.Option(None, "--encoding", help="Text encoding when not UTF-8."),
    json_: bool = JSON,
) -> None:
    """Import ads for KEYWORD; every rejected row is reported with its reason."""
    from adlens.adclass.importer import import_ads, load_mapping
    from adlens.adclass.service import repository

    if not file.is_file():
        raise InvalidInput(f"no such file: {file}")
    settings = get_settings()
    if file.stat().st_size > settings.max_upload_bytes:
        raise PayloadTooLarge(f"{file.name} is larger than the limit of {settings.max_upload_bytes:,} bytes")
    parsed = load_mapping(mapping) if mapping is not None else None
    with _runtime() as runtime:
        result = import_ads(
            repository(runtime), keyword, file.read_bytes(), file.name, mapping=parsed, encoding=encoding
        )

    def human(r: dict[str, Any]) -> None:
        console.print(
            f"{r['keyword']}: {r['imported']} imported, {r['updated']} updated, {r['unchanged']} unchanged, "
            f"{r['rejected']} rejected ({r['rows']} rows, {r['format']})"
        )
        for row in r["rejected_rows"][:50]:
            console.print(f"  row {row['row']}: {row['reason']}", markup=False)
        for w in r["warnings"]:
            console.print(f"  note: {w}", markup=False)

    emit(result, json_, human)


@app.command()
def classify(
    keyword: str = KEYWORD,
    backend: str = typer.Option("fast", "--backend", "-b", help="fast | llm | ensemble"),
    limit: int | None = typer.Option(None, "--limit", min=1, help="Classify at most N new ads."),
    json_: bool = JSON,
) -> None:
    """Classify the keyword's stored ads (resumes where a previous run stopped)."""
    from adlens.adclass.service import classify_keyword
    from adlens.cli.progress import cli_job

    with _runtime() as runtime, cli_job(f"classifying {keyword}", quiet=json_) as ctx:
        result = classify_keyword(runtime, keyword, backend, limit, ctx)

    def human(r: dict[str, Any]) -> None:
        from rich.table import Table

        table = Table(
            "ad", "relevant", "theme", "confidence", title=f"{r['keyword']} · {r['classifier_version']}"
        )
        for row in r["results"][:40]:
            table.add_row(
                str(row["ad_id"]),
                "yes" if row["is_relevant"] else "no",
                row["theme"],
                f"{row['confidence']:.2f}",
            )
        console.print(table)
        console.print(
            f"{r['classified']} classified, {r['skipped']} already done, {r['remaining']} remaining"
            + (f" · {r['ads_per_second']} ads/s" if r["ads_per_second"] else "")
        )

    emit(result, json_, human)


@app.command()
def stats(keyword: str = typer.Argument(..., help="Brand keyword."), json_: bool = JSON) -> None:
    """Totals, relevance rate and theme distribution of a keyword."""
    from adlens.adclass.service import stats as keyword_stats

    with _runtime() as runtime:
        result = keyword_stats(runtime, keyword)

    def human(r: dict[str, Any]) -> None:
        rate = "—" if r["relevance_rate"] is None else f"{r['relevance_rate']:.1%}"
        console.print(f"{r['keyword']}: {r['ads']} ads, {r['classified']} classified, relevance {rate}")
        for theme, n in r["themes"].items():
            console.print(f"  {theme:<20} {n:>7}  " + "█" * max(1, round(40 * n / max(r["classified"], 1))))

    emit(result, json_, human)


@app.command()
def export(
    keyword: str = typer.Argument(..., help="Brand keyword."),
    out: Path = typer.Option(..., "--out", "-o", help="CSV file to write."),
    json_: bool = JSON,
) -> None:
    """Write the keyword's ads with their latest results and labels to a CSV file (atomically)."""
    from adlens.adclass.service import export_csv

    with _runtime() as runtime:
        text = export_csv(runtime, keyword)
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_text(text, encoding="utf-8", newline="")
    tmp.replace(out)
    rows = max(text.count("\n") - 1, 0)
    emit(
        {"keyword": keyword, "out": str(out), "rows": rows},
        json_,
        lambda r: console.print(f"wrote {r['out']}"),
    )


def _review(runtime: Any, keyword: str, author: str, limit: int, include_labelled: bool) -> dict[str, Any]:
    from adlens.adclass.labels import add_label, theme_names
    from adlens.adclass.service import repository

    repo = repository(runtime)
    kw = repo.get_keyword(keyword)
    names = theme_names(runtime)
    rows = [
        r
        for r in repo.results(kw["id"], classified_only=True, limit=None)
        if include_labelled or not r["label"]
    ]
    stored = 0
    for row in rows[:limit]:
        err_console.rule(f"ad {row['ad_id']} · {row['page_name'] or '(no page)'}")
        for key in ("title", "body_text", "description"):
            if row.get(key):
                err_console.print(str(row[key])[:800], markup=False)
        err_console.print(
            f"prediction: {'RELEVANT' if row['is_relevant'] else 'not relevant'} · {row['theme']} "
            f"(confidence {row['confidence']:.2f})",
            markup=False,
        )
        choice = (
            typer.prompt("[a]ccept, [c]orrect, [s]kip, [q]uit", default="a", err=True).strip().lower()[:1]
        )
        if choice == "q":
            break
        if choice == "s":
            continue
        relevant, theme = bool(row["is_relevant"]), str(row["theme"])
        if choice == "c":
            relevant = typer.confirm("relevant to the brand?", default=relevant, err=True)
            for i, name in enumerate(names, 1):
                err_console.print(f"  {i}. {name}")
            default = str(names.index(theme) + 1) if theme in names else "1"
            pick = typer.prompt("theme number", default=default, err=True).strip()
            if not pick.isdigit() or not 1 <= int(pick) <= len(names):
                raise InvalidInput(f"theme number must be 1..{len(names)}")
            theme = names[int(pick) - 1]
        add_label(runtime, keyword, row["ad_id"], is_relevant=relevant, theme=theme, author=author)
        stored += 1
    return {"keyword": kw["keyword"], "reviewed": stored, "author": author}


@app.command()
def label(
    keyword: str = KEYWORD,
    ad: int | None = typer.Option(None, "--ad", help="Label one ad (non-interactive)."),
    relevant: str | None = typer.Option(None, "--relevant", help="yes | no"),
    theme: str | None = typer.Option(None, "--theme", help="Theme name."),
    author: str | None = typer.Option(None, "--author", help="Who reviews (default: the OS user)."),
    note: str | None = typer.Option(None, "--note"),
    limit: int = typer.Option(50, "--limit", min=1, help="Review at most N ads."),
    include_labelled: bool = typer.Option(False, "--all", help="Also review ads that already have a label."),
    json_: bool = JSON,
) -> None:
    """Review predictions in the terminal (accept or correct); or store one label with --ad."""
    from adlens.adclass.labels import add_label, parse_bool

    who = author or _default_author()
    with _runtime() as runtime:
        if ad is not None:
            result = add_label(
                runtime, keyword, ad, is_relevant=parse_bool(relevant), theme=theme, author=who, note=note
            )
        else:
            if relevant is not None or theme is not None:
                raise InvalidInput("--relevant/--theme need --ad")
            result = _review(runtime, keyword, who, limit, include_labelled)
    emit(
        result,
        json_,
        lambda r: console.print("label stored" if ad is not None else f"{r['reviewed']} labels stored"),
    )


@app.command()
def retrain(
    keyword: str | None = typer.Option(None, "--keyword", "-k", help="Only this keyword's labels."),
    json_: bool = JSON,
) -> None:
    """Retrain the theme head on the stored labels and print its metrics."""
    from adlens.adclass.labels import retrain as run_retrain

    with _runtime() as runtime:
        result = run_retrain(runtime, keyword)

    def human(r: dict[str, Any]) -> None:
        m = r["metrics"]
        console.print(f"trained on {r['labels_used']} labels → {m.get('version')}")
        if "dev_accuracy" in m:
            console.print(
                f"dev accuracy {m['dev_accuracy']:.3f} (prototypes {m['dev_accuracy_prototypes']:.3f})"
            )

    emit(result, json_, human)


@app.command()
def keywords(json_: bool = JSON) -> None:
    """List keywords with their ad counts."""
    from adlens.adclass.service import repository

    with _runtime() as runtime:
        rows = repository(runtime).list_keywords()

    def human(r: dict[str, Any]) -> None:
        for k in r["keywords"]:
            console.print(f"{k['keyword']}: {k['ads']} ads", markup=False)

    emit({"keywords": rows}, json_, human)


groups: dict[str, typer.Typer] = {"ads": app}
