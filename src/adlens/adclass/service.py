"""Classification runs: batched, idempotent, resumable.

:func:`classify_keyword` reads the keyword's ads that have no stored result for the classifier's
version, classifies them in batches and stores each batch in one transaction. A run that stops (error,
cancel, crash) leaves every finished batch stored and nothing half-written; the next run starts with
the first ad still unclassified. The same function backs the API (sync and as the
``adclass.classify`` job), the CLI and the demo.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections import Counter
from pathlib import Path
from typing import Any

from adlens.adclass.db import get_db
from adlens.adclass.repository import AdRepository
from adlens.errors import AdlensError, InvalidInput, Unavailable

log = logging.getLogger("adlens.adclass")

JOB_KIND = "adclass.classify"
BACKENDS = ("fast", "llm", "ensemble")
BATCH_SIZE = 64
HEAD_FILE = "theme_head.json"


class ClassificationFailed(AdlensError):
    """A batch failed; the batches before it are stored and a re-run resumes after them."""

    status = 500
    code = "classification-failed"
    title = "Classification failed"


def repository(runtime: Any) -> AdRepository:
    return AdRepository(get_db(runtime))


def head_path(settings: Any) -> Path:
    """Where the retrained theme head lives (``data_dir/adclass/theme_head.json``)."""
    return Path(settings.data_dir) / "adclass" / HEAD_FILE


def _clf_key(backend: str) -> str:
    return f"adclass.classifier.{backend}"


def _file_sig(path: Path | None) -> tuple[int, int, int] | None:
    """What changes when ``path`` is replaced or edited (``None`` when absent or not configured)."""
    if path is None:
        return None
    try:
        st = path.stat()
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_size, st.st_ino)


class _Loaded:
    """A built classifier and the signature of the files it was built from."""

    def __init__(self, sig: tuple[Any, ...], classifier: Any) -> None:
        self.sig, self.classifier = sig, classifier

    def close(self) -> None:
        for name in ("shutdown", "close"):
            method = getattr(self.classifier, name, None)
            if callable(method):
                method()
                return


def load_classifier(runtime: Any, backend: str = "fast") -> Any:
    """The runtime's classifier for ``backend`` (built once; dropped by :func:`forget_classifiers`).

    Rebuilt when the theme head or the configured themes file changed on disk (one ``stat`` each per
    call), so a retrain in another worker process, or an edited themes file, is used without a restart.
    """
    if backend not in BACKENDS:
        raise InvalidInput(f"unknown backend {backend!r}; choose one of {', '.join(BACKENDS)}")
    from adlens.adclass.classifiers import get_classifier

    path = head_path(runtime.settings)

    def build() -> Any:
        from adlens.adclass.classifiers.head import LinearHead
        from adlens.adclass.deployment import configured_themes

        themes = configured_themes(runtime.settings)
        usable = path.is_file() and LinearHead.matches(path, themes)
        if path.is_file() and not usable:
            log.warning("ignoring %s: it was trained for other themes (retrain to replace it)", path)
        try:
            return get_classifier(backend, runtime, themes, head_path=path if usable else None)
        except AdlensError:
            raise
        except Exception as exc:  # a model that fails to load is a clear 503, not a traceback
            log.exception("the %s classifier could not be loaded", backend)
            raise Unavailable(
                f"the {backend} classifier could not be loaded ({type(exc).__name__}: {exc})"[:300]
            ) from exc

    from adlens.adclass.deployment import themes_path

    key = _clf_key(backend)
    sig = (_file_sig(path), _file_sig(themes_path(runtime.settings)))
    loaded: _Loaded = runtime.shared(key, lambda: _Loaded(sig, build()))
    if loaded.sig != sig:
        runtime.forget(key)
        loaded = runtime.shared(key, lambda: _Loaded(sig, build()))
    return loaded.classifier


def forget_classifiers(runtime: Any) -> None:
    """After a retrain: the next call builds classifiers with the new head (and a new version)."""
    for backend in BACKENDS:
        runtime.forget(_clf_key(backend))


def classifier_loaded(runtime: Any) -> bool:
    return any(runtime.is_loaded(_clf_key(b)) for b in BACKENDS)


def profile_overrides(kw: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {k: kw[k] for k in ("aliases", "handles", "products", "negatives") if kw.get(k)}
    if kw.get("description"):
        out["description"] = kw["description"]
    return out


def stored_version(classifier_version: str, overrides: dict[str, Any], brands: str | None = None) -> str:
    """The version results are keyed by: the classifier's, plus a digest of the keyword's own profile
    and of the deployment's brands file (``brands``, when one is configured)."""
    version = classifier_version
    if brands:
        version += f"+brands-{brands}"
    if not overrides:
        return version
    digest = hashlib.sha256(json.dumps(overrides, sort_keys=True).encode()).hexdigest()[:8]
    return f"{version}+profile-{digest}"


def _to_ad(row: dict[str, Any]) -> Any:
    from adlens.adclass.classifiers import Ad

    return Ad(
        ad_id=str(row["id"]),
        body_text=row.get("body_text") or "",
        page_name=row.get("page_name") or "",
        title=row.get("title") or "",
        description=row.get("description") or "",
        extra={"external_id": row.get("external_id"), "platform": row.get("platform")},
    )


def classify_keyword(
    runtime: Any,
    keyword: str,
    backend: str = "fast",
    limit: int | None = None,
    ctx: Any = None,
    *,
    classifier: Any = None,
    batch_size: int = BATCH_SIZE,
    include_results: bool = True,
) -> dict[str, Any]:
    """Classify the keyword's not-yet-classified ads; returns counts and (optionally) all results.

    ``classifier`` overrides the runtime's one for ``backend`` (e.g. a configured instance). ``limit``
    caps how many ads this run classifies. Already classified ads are never classified again for the
    same version.
    """
    if limit is not None and limit < 1:
        raise InvalidInput("limit must be at least 1")
    if batch_size < 1:
        raise InvalidInput("batch_size must be at least 1")
    repo = repository(runtime)
    kw = repo.get_keyword(keyword)
    clf = classifier if classifier is not None else load_classifier(runtime, backend)
    from adlens.adclass.classifiers.brand import profile_for

    overrides = profile_overrides(kw)
    brand = profile_for(kw["keyword"], runtime, overrides)
    from adlens.adclass.deployment import brands_digest

    version = stored_version(str(clf.version), overrides, brands_digest(runtime.settings))
    total_ads = repo.count_ads(kw["id"])
    already = repo.count_classified(kw["id"], version)
    todo = total_ads - already if limit is None else min(limit, total_ads - already)
    started = time.perf_counter()
    done = 0
    batches = 0
    notes: Counter[str] = Counter()
    after_id = 0
    if ctx is not None:
        ctx.progress(
            done=0, total=todo, message=f"classifying {kw['keyword']} with {clf.name}", skipped=already
        )
    while done < todo:
        if ctx is not None:
            ctx.check_cancelled()
        rows = repo.pending_ads(kw["id"], version, min(batch_size, todo - done), after_id)
        if not rows:
            break
        ads = [_to_ad(r) for r in rows]
        try:
            predictions = clf.classify(kw["keyword"], ads, brand)
        except AdlensError:
            raise
        except Exception as exc:
            log.exception("adclass batch %d failed for keyword id %s", batches + 1, kw["id"])
            raise ClassificationFailed(
                f"batch {batches + 1} failed ({type(exc).__name__}); {already + done} ads are stored, "
                "run again to resume"
            ) from exc
        if len(predictions) != len(ads):
            raise ClassificationFailed(
                f"the {clf.name} classifier returned {len(predictions)} results for {len(ads)} ads"
            )
        try:
            repo.store_predictions(kw["id"], version, str(clf.name), predictions)
        except AdlensError:
            raise
        except Exception as exc:  # the batch's transaction was rolled back: nothing of it is stored
            log.exception("adclass batch %d could not be stored", batches + 1)
            raise ClassificationFailed(
                f"batch {batches + 1} could not be stored ({type(exc).__name__}); {already + done} ads are "
                "stored, run again to resume"
            ) from exc
        for p in predictions:
            notes.update(p.notes or [])
        done += len(rows)
        batches += 1
        after_id = rows[-1]["id"]
        if ctx is not None:
            ctx.progress(done=done, total=todo, message=f"{done}/{todo} ads", skipped=already)
            ctx.checkpoint({"keyword": kw["keyword"], "version": version, "last_ad_id": after_id})
    seconds = time.perf_counter() - started
    remaining = total_ads - repo.count_classified(kw["id"], version)
    result: dict[str, Any] = {
        "keyword": kw["keyword"],
        "backend": str(clf.name),
        "classifier_version": version,
        "ads": total_ads,
        "classified": done,
        "skipped": already,
        "remaining": remaining,
        "batches": batches,
        "seconds": round(seconds, 3),
        "ads_per_second": round(done / seconds, 2) if done and seconds > 0 else None,
        "notes": dict(notes),
    }
    if include_results:
        result["results"] = [
            {
                "ad_id": r["ad_id"],
                "external_id": r["external_id"],
                "is_relevant": r["is_relevant"],
                "theme": r["theme"],
                "confidence": r["confidence"],
                "notes": r["notes"],
            }
            for r in repo.results(kw["id"], version=version, classified_only=True, limit=None)
        ]
    return result


def make_job_handler(runtime: Any) -> Any:
    """The ``adclass.classify`` job: params ``keyword``, ``backend``, ``limit``."""

    def handler(ctx: Any, params: dict[str, Any]) -> dict[str, Any]:
        return classify_keyword(
            runtime,
            str(params.get("keyword", "")),
            str(params.get("backend") or "fast"),
            params.get("limit"),
            ctx,
            include_results=False,
        )

    return handler


def register_jobs(runtime: Any) -> None:
    if JOB_KIND not in runtime.jobs.kinds:
        runtime.jobs.register(JOB_KIND, make_job_handler(runtime))


EXPORT_COLUMNS = (
    "ad_id", "external_id", "page_name", "title", "body_text", "description", "platform", "started_at",
    "is_relevant", "theme", "confidence", "relevance_prob", "backend", "classifier_version", "classified_at",
    "label_relevant", "label_theme", "label_author", "notes",
)  # fmt: skip


def _cell(value: Any) -> Any:
    """Spreadsheet-safe cell: formulas are neutralised, lists joined."""
    if isinstance(value, list):
        value = "; ".join(str(v) for v in value)
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def export_csv(runtime: Any, keyword: str) -> str:
    """All ads of the keyword with their latest classification and label, as CSV text."""
    import csv
    import io

    repo = repository(runtime)
    kw = repo.get_keyword(keyword)
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(EXPORT_COLUMNS)
    for r in repo.results(kw["id"], limit=None):
        label = r.get("label") or {}
        flat = {**r, "label_relevant": label.get("is_relevant"), "label_theme": label.get("theme"),
                "label_author": label.get("author")}  # fmt: skip
        writer.writerow([_cell(flat.get(c)) for c in EXPORT_COLUMNS])
    return buf.getvalue()


def stats(runtime: Any, keyword: str) -> dict[str, Any]:
    repo = repository(runtime)
    kw = repo.get_keyword(keyword)
    return {"keyword": kw["keyword"], **repo.stats(kw["id"])}


__all__ = [
    "BACKENDS",
    "BATCH_SIZE",
    "JOB_KIND",
    "ClassificationFailed",
    "classifier_loaded",
    "classify_keyword",
    "export_csv",
    "forget_classifiers",
    "head_path",
    "load_classifier",
    "make_job_handler",
    "profile_overrides",
    "register_jobs",
    "repository",
    "stats",
]
