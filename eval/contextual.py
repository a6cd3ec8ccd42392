"""Quality of the zero-shot contextual scorer: AG News test (top-1, top-3, ECE), dev corpora, calibration.

    .venv/bin/python eval/contextual.py [--data ../shared/data] [--dev-only] [--write-calibration]
                                        [--views minilm,minilm+e5] [--json] [--no-demo-pages]
                                        [--encoder minilm|mpnet]

Protocol (fit on train, choose on dev, report on test; nothing is trained on AG News):

* **choose** the scoring knobs, the head's features and weight and the calibrator on dev corpora that
  are neither AG News nor BBC: ``news-dev`` and ``news-dev2`` (news-style snippets written for adlens,
  ``src/adlens/contextual/data/dev``) and the *dev* half of the ad-transcripts corpus;
* **train** the linear head on the example sentences, ``news-train`` + ``news-train2`` and the *train*
  half of the ad copies (scored out of fold wherever the head saw them);
* **fit** the temperature (and the isotonic map, when dev prefers it) on ads-train out of fold;
* **report** top-1 / top-3 / ECE (15 bins) on all 7,600 AG News test texts. The AG News → IAB
  mapping (``contextual_data.py``) is frozen. ``--dev-only`` never reads AG News. BBC is never read.

Embeddings are cached by text hash under ``<cache_dir>/contextual-eval`` so re-runs are fast.

Comparisons with all-mpnet-base-v2 (``adlens.embed.mpnet``, ``./scripts/install.sh --mpnet``; dev only,
nothing written): ``--views minilm,minilm+mpnet`` adds the
head view ``minilm+mpnet`` to the dev table (reported, never chosen); ``--encoder mpnet`` (needs
``--dev-only``, refuses ``--write-calibration``) embeds nodes, exemplars and documents with mpnet
instead of MiniLM, so the prototype scores and the head's document vectors (still labelled
``minilm`` in the table) are mpnet's.

Brand safety has its own script: ``eval/contextual_safety.py``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

import numpy as np
from contextual_data import (
    AG_NEWS_TO_IAB,
    CachedEmbedder,
    Corpus,
    load_ads,
    load_ag_news,
    load_news_dev,
    merge,
    metrics,
    names_to_cols,
    per_class,
    root_columns,
)
from contextual_head import (
    FEATURES,
    HEAD_C,
    HEAD_WEIGHTS,
    MPNET_FEATURES,
    blend,
    corpus_features,
    exemplar_features,
    labels_of,
    oof_log_proba,
    use_mpnet_view,
)

from adlens.config import get_settings
from adlens.contextual.calibration import (
    CALIBRATION_FILE,
    DEFAULT_TEMPERATURE,
    TemperatureCalibrator,
    expected_calibration_error,
    load_calibration,
    softmax,
)
from adlens.contextual.head import fit_head
from adlens.contextual.nodes import embedder_id
from adlens.contextual.scoring import ContextScorer, Document, RawScores, ScoringParams
from adlens.contextual.taxonomy import load_taxonomy
from adlens.embed.mpnet import MpnetEmbedder
from adlens.runtime import Runtime

GRID: list[dict[str, Any]] = [
    {"alpha": a, "exemplar_weight": g, "exemplar_top": k, "lexical_bonus": lex}
    for a in (0.3, 0.5)
    for g in (0.0, 0.3, 0.5, 0.7)
    for k in (1, 2)
    for lex in (0.0, 0.02)
]

E5_MIN_GAIN = 0.02  # decided before the E5 view was tried on dev, from its measured cost

# The demo pages D ships (src/adlens/contextual/data/demo_pages) with their intended tier-1 category.
DEMO_PAGES = {
    "marathon": ["Sports"],
    "cold-brew": ["Food & Drink"],
    "motorcycle-review": ["Automotive"],
    "lisbon-travel": ["Travel"],
    "markets-news": ["Business and Finance", "Personal Finance"],
    "cat-care": ["Pets"],
}


def demo_pages_eval(runtime: Runtime, scorer: ContextScorer) -> list[dict[str, Any]]:
    """Text only vs text + images on the shipped demo pages, fetched from a loopback HTTP server."""
    import functools
    import http.server
    import threading

    from adlens.contextual.document import build_document

    root = Path(__file__).resolve().parents[1] / "src/adlens/contextual/data/demo_pages"

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

    handler = functools.partial(Quiet, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    cols = root_columns(scorer)
    rows = []
    try:
        for name, labels in DEMO_PAGES.items():
            built = build_document(runtime, f"http://127.0.0.1:{server.server_port}/{name}.html")
            doc = built.document
            truth = names_to_cols(scorer, labels)
            plain = Document(**{**doc.__dict__, "images": []})
            out: dict[str, Any] = {"page": name, "images": len(doc.images)}
            for label, d in (("text", plain), ("text+images", doc)):
                probs = scorer.calibrator.transform(scorer.tier1_scores(scorer.node_scores([d])))[0]
                top = int(probs.argmax())
                out[label] = {"top1": top in truth, "p_true": float(probs[truth].sum()), "top": top}
            rows.append(out)
    finally:
        server.shutdown()
    names = {j: scorer.taxonomy.nodes[i].name for i, j in cols.items()}
    for r in rows:
        for label in ("text", "text+images"):
            r[label]["top"] = names[r[label]["top"]]
    return rows


def choose_knobs(scorer: ContextScorer, devs: list[Corpus], log: Any) -> list[dict[str, Any]]:
    """Grid over the prototype knobs, ranked by the mean top-1 of the dev corpora (head off)."""
    base = scorer.params
    choice: list[dict[str, Any]] = []
    raws: dict[tuple[int, float], list[RawScores]] = {}
    for variant in GRID:
        scorer.params = replace(base, **variant, head_weight=0.0)
        key = (variant["exemplar_top"], variant["lexical_bonus"])  # the knobs applied in node_scores
        if key not in raws:
            raws[key] = [scorer.node_scores(c.docs) for c in devs]
        row: dict[str, Any] = {"variant": variant}
        for c, raw in zip(devs, raws[key], strict=True):
            row[c.name] = metrics(softmax(scorer.tier1_scores(raw), DEFAULT_TEMPERATURE), c.truth)["top1"]
        row["mean"] = float(np.mean([row[c.name] for c in devs]))
        choice.append(row)
        log(f"  dev {variant}: " + " ".join(f"{c.name} {row[c.name]:.3f}" for c in devs))
    best = max(choice, key=lambda c: c["mean"])
    scorer.params = replace(base, **best["variant"])
    return choice


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "data")
    ap.add_argument("--taxonomy", default="iab-3.1")
    ap.add_argument("--limit", type=int, default=0, help="Use only the first N AG News rows (smoke runs).")
    ap.add_argument("--write-calibration", action="store_true", help="Ship the fitted head and calibration.")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--dev-only", action="store_true", help="Do not read AG News (choose on dev only).")
    ap.add_argument("--no-demo-pages", action="store_true", help="Skip the text+images demo-page check.")
    ap.add_argument("--views", default=",".join(FEATURES), help="Head feature sets to compare on dev.")
    ap.add_argument("--no-grid", action="store_true", help="Keep the shipped prototype knobs (no grid).")
    ap.add_argument(
        "--encoder",
        choices=("minilm", "mpnet"),
        default="minilm",
        help="Text encoder of the prototype scorer (mpnet: a dev-only comparison).",
    )
    args = ap.parse_args(argv)
    views = [v for v in args.views.split(",") if v]
    if args.encoder == "mpnet" and (not args.dev_only or args.write_calibration):
        ap.error(
            "--encoder mpnet is a dev-only comparison: use it with --dev-only, without --write-calibration"
        )
    t0 = time.perf_counter()
    os.environ.setdefault("ADLENS_ALLOW_PRIVATE_NETWORKS", "true")  # the demo pages are served on 127.0.0.1
    settings = get_settings()
    runtime = Runtime(settings)
    cache = settings.cache_dir / "contextual-eval"
    embedder = CachedEmbedder(runtime.text_embedder, cache / "embeddings.npz")
    mpnet: CachedEmbedder | None = None
    if args.encoder == "mpnet" or MPNET_FEATURES in views:
        mpnet = CachedEmbedder(MpnetEmbedder(settings.models_dir, max_seq_length=384), cache / "mpnet.npz")
        use_mpnet_view(mpnet)
        if args.encoder == "mpnet":
            embedder = mpnet
    e5: CachedEmbedder | None = None
    if "minilm+e5" in views:
        from adlens.embed.e5 import E5Embedder

        e5 = CachedEmbedder(E5Embedder(threads=1), cache / "e5.npz")
    tax = load_taxonomy(args.taxonomy)
    key = f"{tax.version}|{embedder_id(runtime.text_embedder)}"  # the product's key
    shipped_cal = load_calibration(key)
    known: dict[str, Any] = {
        k: tuple(v) if isinstance(v, list) else v
        for k, v in (shipped_cal.params if shipped_cal else {}).items()
        if k in ScoringParams.__dataclass_fields__
    }
    shipped = ScoringParams(**known)
    scorer = ContextScorer(
        tax,
        embedder,
        cache_dir=settings.cache_dir,
        calibrator=TemperatureCalibrator(DEFAULT_TEMPERATURE, "default"),
        params=replace(shipped, head_weight=0.0),
        view=e5,
    )
    log = print if not args.json else (lambda *a, **k: print(*a, file=sys.stderr, **k))
    news_dev, news_dev2 = load_news_dev(scorer), load_news_dev(scorer, "news-dev2")
    ads_train, ads_dev = load_ads(
        args.data / "ad-transcripts-industry" / "Advertisement_Transcripts_deduped_edited.csv", scorer
    )
    news_train = merge(
        "news-train+2", load_news_dev(scorer, "news-train"), load_news_dev(scorer, "news-train2")
    )
    devs = [news_dev, news_dev2, ads_dev]
    log("corpora: " + ", ".join(f"{c.name} {len(c.docs)}" for c in [*devs, news_train, ads_train]))

    # 1. prototype knobs on the dev corpora
    choice = [] if args.no_grid else choose_knobs(scorer, devs, log)
    log(f"knobs: {asdict(scorer.params)}")

    # 2. the head: features and weight chosen on dev (news-dev, news-dev2, ads-dev; news-train OOF)
    raws = {c.name: scorer.node_scores(c.docs) for c in [*devs, news_train, ads_train]}
    if e5 is not None:
        e5.save()
    embedder.save()
    if mpnet is not None:
        mpnet.save()
    protos = {name: scorer.tier1_scores(raw) for name, raw in raws.items()}
    head_choice: list[dict[str, Any]] = []
    heads: dict[str, Any] = {}
    for feat in views:
        ex_x, ex_y = exemplar_features(scorer, feat)
        x = {name: corpus_features(raw, feat) for name, raw in raws.items()}
        y_ntr, y_ads = labels_of(scorer, news_train), labels_of(scorer, ads_train)
        full_x = np.vstack([ex_x, x[news_train.name], x[ads_train.name]])
        full_y = [*ex_y, *y_ntr, *y_ads]
        head = fit_head(full_x, full_y, key="dev", c=HEAD_C, features=feat)
        lp = {c.name: head.log_proba(x[c.name], scorer._root_ids) for c in devs}
        lp[news_train.name] = oof_log_proba(
            scorer, news_train, x[news_train.name], (np.vstack([ex_x, x[ads_train.name]]), [*ex_y, *y_ads])
        )
        lp[ads_train.name] = oof_log_proba(
            scorer, ads_train, x[ads_train.name], (np.vstack([ex_x, x[news_train.name]]), [*ex_y, *y_ntr])
        )
        heads[feat] = (full_x, full_y, lp)
        for hw in HEAD_WEIGHTS:
            if hw == 0 and feat != views[0]:
                continue
            row: dict[str, Any] = {"features": feat if hw else "none", "head_weight": hw}
            for c in [*devs, news_train]:
                t1 = blend(scorer, protos[c.name], lp[c.name], hw)
                m = metrics(softmax(t1, DEFAULT_TEMPERATURE), c.truth)
                row[c.name] = m["top1"]
                if mpnet is not None:  # mpnet comparisons also look at top-3 (not a choice criterion)
                    row[f"top3 {c.name}"] = m["top3"]
            row["mean"] = float(np.mean([row[c.name] for c in [*devs, news_train]]))
            head_choice.append(row)
            log(f"  head {row}")

    # the E5 view costs ~6x the scoring time of a page (bench/contextual.py --views-only): it is kept
    # only if it raises the dev mean top-1 by at least E5_MIN_GAIN over the MiniLM-only head
    def best_of(rows: list[dict[str, Any]]) -> dict[str, Any]:
        return max(rows, key=lambda r: (round(r["mean"], 6), -r["head_weight"]))

    # the mpnet view is reported only: no shipped scorer can compute it
    head_choice_product = [r for r in head_choice if r["features"] != MPNET_FEATURES]
    best_head = best_of(
        [r for r in head_choice_product if r["features"] != "minilm+e5"] or head_choice_product
    )
    with_e5 = [r for r in head_choice if r["features"] == "minilm+e5"]
    if with_e5 and best_of(with_e5)["mean"] >= best_head["mean"] + E5_MIN_GAIN:
        best_head = best_of(with_e5)
    feat = best_head["features"] if best_head["head_weight"] else views[0]
    scorer.params = replace(scorer.params, head_weight=best_head["head_weight"])
    log(f"head chosen on dev: features {feat}, weight {scorer.params.head_weight}")
    full_x, full_y, lp = heads[feat]
    head = fit_head(
        full_x,
        full_y,
        key=key,
        c=HEAD_C,
        features=feat,
        fitted_on=f"exemplars + {news_train.name} ({len(news_train.docs)}) + {ads_train.name} ({len(ads_train.docs)})",
    )
    scorer.head = head
    if feat != "minilm+e5":
        scorer.view = None

    # 3. calibration on ads-train (out of fold), temperature vs + isotonic chosen on dev
    h = scorer.params.head_weight
    train_scores = blend(scorer, protos[ads_train.name], lp[ads_train.name], h)
    cal = TemperatureCalibrator.fit(
        train_scores, ads_train.truth, fitted_on=f"{ads_train.name} ({len(ads_train.docs)} ad copies)"
    )
    cal.params = {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(scorer.params).items()}
    log(f"temperature fitted on {cal.fitted_on}: T = {cal.temperature:.4f}")
    from sklearn.isotonic import IsotonicRegression

    def top1(probs: np.ndarray, truth: list[list[int]]) -> tuple[np.ndarray, np.ndarray]:
        idx = probs.argmax(axis=1)
        return probs[np.arange(len(probs)), idx], np.array([i in t for i, t in zip(idx, truth, strict=True)])

    iso = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip")
    iso.fit(*top1(cal.transform(train_scores), ads_train.truth))
    dev_scores = {c.name: blend(scorer, protos[c.name], lp[c.name], h) for c in devs}
    ece_t, ece_i = [], []
    for c in devs:
        conf, ok = top1(cal.transform(dev_scores[c.name]), c.truth)
        ece_t.append(expected_calibration_error(conf, ok))
        ece_i.append(expected_calibration_error(iso.predict(conf), ok))
    temperature_only = TemperatureCalibrator(cal.temperature, cal.fitted_on, cal.n, dict(cal.params))
    if np.mean(ece_i) < np.mean(ece_t):
        cal.isotonic = ([float(v) for v in iso.X_thresholds_], [float(v) for v in iso.y_thresholds_])
    log(
        f"calibrator chosen on dev: {'temperature + isotonic' if cal.isotonic else 'temperature'} "
        f"(dev mean ECE temperature {np.mean(ece_t):.3f}, + isotonic {np.mean(ece_i):.3f})"
    )
    scorer.calibrator = cal

    # 4. report: the dev corpora, and AG News test unless --dev-only
    rows: list[dict[str, Any]] = []

    def row_for(name: str, scores: np.ndarray, truth: list[list[int]]) -> dict[str, Any]:
        raw_m = metrics(softmax(scores, DEFAULT_TEMPERATURE), truth)
        cal_m = metrics(cal.transform(scores), truth)
        return {
            "corpus": name,
            "n": raw_m["n"],
            "top1": raw_m["top1"],
            "top3": raw_m["top3"],
            "ece_uncalibrated": raw_m["ece"],
            "ece_temperature": metrics(temperature_only.transform(scores), truth)["ece"],
            "ece_calibrated": cal_m["ece"],
            "mean_conf_calibrated": cal_m["mean_conf"],
        }

    ag_rows: dict[str, Any] = {}
    t_ag = 0.0
    if not args.dev_only:
        ag = load_ag_news(args.data / "ag-news-test" / "ag_news_test.csv", scorer)
        if args.limit:
            ag = Corpus(ag.name, ag.docs[: args.limit], ag.truth[: args.limit], ag.classes[: args.limit])
        t_s = time.perf_counter()
        ag_scores = scorer.tier1_scores(scorer.node_scores(ag.docs))
        t_ag = time.perf_counter() - t_s
        chosen = scorer.params
        scorer.params = replace(chosen, head_weight=0.0)
        proto_ag = scorer.tier1_scores(scorer.node_scores(ag.docs))
        scorer.params = replace(chosen, alpha=1.0, exemplar_weight=0.0, lexical_bonus=0.0, head_weight=0.0)
        base_ag = scorer.tier1_scores(scorer.node_scores(ag.docs))
        scorer.params = chosen
        rows.append(row_for("ag-news-test (baseline: node texts only)", base_ag, ag.truth))
        rows.append(row_for("ag-news-test (prototypes, no head)", proto_ag, ag.truth))
        rows.append(row_for(f"ag-news-test (adlens, head {feat})", ag_scores, ag.truth))
        ag_rows = {"per_class": per_class(cal.transform(ag_scores), ag, scorer)}
    for c in devs:
        rows.append(row_for(f"{c.name} (chosen on)", dev_scores[c.name], c.truth))
    ntr = blend(scorer, protos[news_train.name], lp[news_train.name], h)
    rows.append(row_for(f"{news_train.name} (out of fold)", ntr, news_train.truth))
    embedder.save()
    if e5 is not None:
        e5.save()
    if mpnet is not None:
        mpnet.save()
    demo: list[dict[str, Any]] = [] if args.no_demo_pages else demo_pages_eval(runtime, scorer)
    result: dict[str, Any] = {
        "taxonomy": scorer.taxonomy.version,
        "params": asdict(scorer.params),
        "head_features": feat,
        "dev_choice": choice,
        "head_choice": head_choice,
        "calibration": cal.to_dict(),
        "rows": rows,
        "ag_news": ag_rows,
        "ag_news_mapping": AG_NEWS_TO_IAB,
        "demo_pages": demo,
        "timing_s": {"total": time.perf_counter() - t0, "ag_news_scoring": t_ag},
    }
    if args.write_calibration:
        doc = json.loads(CALIBRATION_FILE.read_text()) if CALIBRATION_FILE.is_file() else {}
        doc = {k: v for k, v in doc.items() if not k.startswith(f"{scorer.taxonomy.version}|CachedEmbedder")}
        doc[key] = cal.to_dict()
        tmp = CALIBRATION_FILE.with_suffix(".tmp")
        tmp.write_text(json.dumps(doc, indent=1, sort_keys=True) + "\n")
        tmp.replace(CALIBRATION_FILE)
        head.save()
        log(f"calibration and head written to {CALIBRATION_FILE.parent}")
    if args.json:
        print(json.dumps(result, indent=1, default=float))
    else:
        print(
            f"\n{'corpus':<46}{'n':>6}{'top-1':>8}{'top-3':>8}{'ECE raw':>9}{'ECE T':>9}{'ECE cal':>9}{'conf':>7}"
        )
        for r in rows:
            print(
                f"{r['corpus']:<46}{r['n']:>6}{r['top1']:>8.3f}{r['top3']:>8.3f}{r['ece_uncalibrated']:>9.3f}"
                f"{r['ece_temperature']:>9.3f}{r['ece_calibrated']:>9.3f}{r['mean_conf_calibrated']:>7.3f}"
            )
        if ag_rows:
            print("\nAG News per class (calibrated top-1, most predicted tier-1):")
            for cls, v in ag_rows["per_class"].items():
                print(f"  {cls:<9} {v['top1']:.3f}  {v['predicted']}")
        for page in demo:
            t, ti = page["text"], page["text+images"]
            print(
                f"  demo {page['page']:<18} images {page['images']}  text: {t['top']:<22} p={t['p_true']:.2f}"
                f"  text+images: {ti['top']:<22} p={ti['p_true']:.2f}"
            )
        print(
            f"\n(T = {cal.temperature:.4f}; AG News scoring {t_ag:.1f}s; total {result['timing_s']['total']:.1f}s)"
        )
    runtime.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
