"""Draw a batch of items for the hand-labelled theme set (labelling aid; no text is stored).

    .venv/bin/python eval/adclass_theme_sample.py --show > /tmp/candidates.tsv   # texts to read
    .venv/bin/python eval/adclass_theme_sample.py --add answers.tsv                # append labels

Batch 2 (the default; seed 8, items not labelled before): 190 tweets with a target, 100 tweets without a
target that name Apple, Google, iPad, iPhone or Android (``brand-tweets-sxsw-emotion``), 30
Advocacy/Political ads and 100 other ads (``ad-transcripts-industry``), the same sources and proportions as
the first batch (seed 7). Exact duplicates of a labelled text (retweets) are skipped.

Batch 3 (``--batch 3``; seed 9; training only): tweets only — 380 with a target and 170 without a target
that name one of the five names, none labelled before, and skipping every tweet whose normalised text
(``tweet_key`` in eval/adclass.py: no "RT @mention", "@mention" or "{link}", lower case, spaces squeezed)
equals that of ANY labelled tweet (so no retweet of a dev or test item enters training) or of another
drawn tweet. Its labels go to the separate file ``eval/adclass_theme_labels_train3.tsv`` (written whole,
atomically), which is used for training only.

The labeller writes ``index<TAB>theme code`` lines (P = Product Promotion, B = Brand Awareness, M = Meme,
N = News, F = Fan Content, S = Personal Post) after reading each text; ``--add`` stores
``(source, row, sha1 of the text, keyword, theme)`` rows. Indexes left out of the answers (texts not about
the keyword, spam) are not stored.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import sys
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
LABELS = ROOT / "eval" / "adclass_theme_labels.tsv"
TRAIN3 = ROOT / "eval" / "adclass_theme_labels_train3.tsv"
SEED = 8
SEED3 = 9
CODES = {
    "P": "Product Promotion",
    "B": "Brand Awareness",
    "M": "Meme",
    "N": "News",
    "F": "Fan Content",
    "S": "Personal Post",
}
TARGET_KEYWORD = {
    "iPad": "iPad",
    "Apple": "Apple",
    "iPad or iPhone App": "iPad",
    "Google": "Google",
    "iPhone": "iPhone",
    "Other Google product or service": "Google",
    "Android App": "Android",
    "Android": "Android",
    "Other Apple product or service": "Apple",
}
NAMES = ("Apple", "Google", "iPad", "iPhone", "Android")


def sha(text: str) -> str:
    return hashlib.sha1(" ".join(str(text).split()).encode()).hexdigest()[:8]


def first_name(text: str) -> str | None:
    hits = [(m.start(), n) for n in NAMES for m in [re.search(rf"(?i)\b{n}\b", text)] if m]
    return min(hits)[1] if hits else None


def candidates(data: Path) -> pd.DataFrame:
    labelled = pd.read_csv(LABELS, sep="\t")
    done = set(zip(labelled["source"], labelled["row"], strict=True))
    done_text = set(labelled["text_sha1"])
    rng = np.random.default_rng(SEED)
    tw = pd.read_csv(
        data / "brand-tweets-sxsw-emotion" / "judge-1377884607_tweet_product_company.csv", encoding="latin-1"
    )
    tw.columns = ["text", "target", "emotion"]
    tw = tw.reset_index().rename(columns={"index": "row"})
    tw = tw[tw["text"].notna()]
    tw = tw[[("tweets", r) not in done for r in tw["row"]]]
    tw = tw[[sha(t) not in done_text for t in tw["text"]]]
    tw = tw.drop_duplicates(subset=[*["text"]])
    targeted = tw[tw["target"].notna()]
    untargeted = tw[tw["target"].isna()].copy()
    untargeted["kw"] = [first_name(t) for t in untargeted["text"]]
    untargeted = untargeted[untargeted["kw"].notna()]
    rows = []
    for r in targeted.iloc[rng.permutation(len(targeted))[:190]].itertuples():
        rows.append(("tweets", r.row, TARGET_KEYWORD[r.target], r.text))
    for r in untargeted.iloc[rng.permutation(len(untargeted))[:100]].itertuples():
        rows.append(("tweets", r.row, r.kw, r.text))
    ads = pd.read_csv(data / "ad-transcripts-industry" / "Advertisement_Transcripts_deduped_edited.csv")
    ads = ads.reset_index().rename(columns={"index": "row"})
    ads = ads[[("ads", r) not in done for r in ads["row"]]]
    cat = ads["Category"].str.strip().str.title()
    adv = ads[cat.isin(["Advocacy", "Political"])]
    other = ads[~cat.isin(["Advocacy", "Political"])]
    for frame, n in ((adv, 30), (other, 100)):
        for r in frame.iloc[rng.permutation(len(frame))[:n]].itertuples():
            rows.append(("ads", r.row, str(r.Advertiser).strip(), r.Ad_copy))
    return pd.DataFrame(rows, columns=["source", "row", "keyword", "text"])


def load_tweets(data: Path) -> pd.DataFrame:
    tw = pd.read_csv(
        data / "brand-tweets-sxsw-emotion" / "judge-1377884607_tweet_product_company.csv", encoding="latin-1"
    )
    tw.columns = ["text", "target", "emotion"]
    tw = tw.reset_index().rename(columns={"index": "row"})
    return tw[tw["text"].notna()]


def candidates3(data: Path) -> pd.DataFrame:
    """Batch 3: tweets only, none labelled before, no normalised copy of any labelled tweet or of each other."""
    sys.path.insert(0, str(ROOT / "eval"))
    from adclass import tweet_key

    labelled = pd.read_csv(LABELS, sep="\t")
    done_rows = set(labelled.loc[labelled["source"] == "tweets", "row"])
    tw = load_tweets(data)
    key_of = {r.row: tweet_key(str(r.text)) for r in tw.itertuples()}
    done_keys = {key_of[r] for r in done_rows}
    rng = np.random.default_rng(SEED3)
    tw = tw[[r not in done_rows and key_of[r] not in done_keys for r in tw["row"]]].copy()
    tw["key"] = [key_of[r] for r in tw["row"]]
    tw = tw.drop_duplicates(subset=["key"])
    targeted = tw[tw["target"].notna()]
    untargeted = tw[tw["target"].isna()].copy()
    untargeted["kw"] = [first_name(t) for t in untargeted["text"]]
    untargeted = untargeted[untargeted["kw"].notna()]
    rows = []
    for r in targeted.iloc[rng.permutation(len(targeted))[:380]].itertuples():
        rows.append(("tweets", r.row, TARGET_KEYWORD[r.target], r.text))
    for r in untargeted.iloc[rng.permutation(len(untargeted))[:170]].itertuples():
        rows.append(("tweets", r.row, r.kw, r.text))
    return pd.DataFrame(rows, columns=["source", "row", "keyword", "text"])


def read_answers(path: Path, n: int) -> dict[int, str]:
    answers: dict[int, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            parts = line.split()
            if (
                len(parts) < 2
                or not parts[0].isdigit()
                or not 0 <= int(parts[0]) < n
                or parts[1].upper() not in CODES
            ):
                raise SystemExit(f"bad answer line: {line!r}")
            idx, code = parts[:2]
            answers[int(idx)] = CODES[code.upper()]
    return answers


def write_train3(cand: pd.DataFrame, answers: dict[int, str]) -> None:
    """Write the batch-3 label file whole and atomically (temp file + rename)."""
    tmp = TRAIN3.with_suffix(".tsv.tmp")
    with tmp.open("w", encoding="utf-8") as out:
        out.write("source\trow\ttext_sha1\tkeyword\ttheme\n")
        for i, theme in sorted(answers.items()):
            r = cand.iloc[i]
            out.write(f"{r.source}\t{r.row}\t{sha(r.text)}\t{r.keyword}\t{theme}\n")
    os.replace(tmp, TRAIN3)
    print(f"wrote {len(answers)} labels to {TRAIN3}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    ap.add_argument("--show", action="store_true", help="print index, source, keyword and text to read")
    ap.add_argument("--add", type=Path, help="file of 'index<TAB>code' lines to append to the label file")
    ap.add_argument("--batch", type=int, choices=(2, 3), default=2, help="2 (default) or 3 (training only)")
    args = ap.parse_args()
    cand = candidates3(args.data) if args.batch == 3 else candidates(args.data)
    if args.show:
        for i, r in enumerate(cand.itertuples()):
            text = " ".join(str(r.text).split())
            print(f"{i}\t{r.source}\t{r.keyword}\t{text}")
    if args.add and args.batch == 3:
        write_train3(cand, read_answers(args.add, len(cand)))
    elif args.add:
        answers = {}
        for line in args.add.read_text(encoding="utf-8").splitlines():
            if line.strip():
                idx, code = line.split()[:2]
                answers[int(idx)] = CODES[code.upper()]
        with LABELS.open("a", encoding="utf-8") as out:
            for i, theme in sorted(answers.items()):
                r = cand.iloc[i]
                out.write(f"{r.source}\t{r.row}\t{sha(r.text)}\t{r.keyword}\t{theme}\n")
        print(f"appended {len(answers)} labels to {LABELS}")


if __name__ == "__main__":
    main()
