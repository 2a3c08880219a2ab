"""When do word vectors help a classifier? Accuracy against the number of labelled documents.

For each labelled set (TREC and SST-2: short texts; 20 Newsgroups: long
posts) and each number of labelled training documents (a stratified subsample
of the training split, one per seed; the test split is fixed), five feature
sets go into the same ``LogisticRegression`` (C=1, lbfgs):

``tfidf``
    ``TfidfVectorizer()`` (defaults, fitted on the labelled texts).
``own``
    ``SkipGramVectorizer(min_count=2, random_state=seed)`` fitted on the
    labelled texts only, then ``StandardScaler``.
``pretrained``
    A ``SkipGramVectorizer`` trained once on unlabelled text (the first
    ``--pretrain-tokens`` tokens of text8like, in 10,000-token documents, at
    the defaults), used through ``SkipGramVectorizer.from_keyed_vectors``
    (no training on the labelled texts), then ``StandardScaler``.
``union_own``, ``union_pretrained``
    ``FeatureUnion`` of ``TfidfVectorizer()`` and
    ``Pipeline(<the vectorizer>, StandardScaler())``, with the word-vector
    block weighted by ``1 / sqrt(n_components)`` (``transformer_weights``)
    so that its expected squared row norm (1) matches a TF-IDF row's.
``union_pretrained_unweighted``
    The same union without the weight (the scaled block then has squared
    norm ``n_components``, 100 times the TF-IDF row's).
``union_pretrained_cv`` (with ``--cv``)
    The union with pretrained vectors, its block weight chosen among
    ``(0, 0.1, 0.3, 1) / sqrt(n_components)`` by 3-fold stratified
    cross-validation on the labelled documents only (TF-IDF and the scaler
    refitted in each fold, as ``GridSearchCV`` over
    ``transformer_weights`` would); weight 0 is TF-IDF alone.

Each feature matrix is computed once and shared by the models that use it
(the pretrained one for all sizes, since it does not depend on the labelled
texts); stacking the blocks gives exactly what the ``FeatureUnion`` computes.
BLAS runs on one thread. Prints a table and writes JSON.

Example::

    python benchmarks/bench_guidance.py --seeds 0 1 \
        --out benchmarks/results/guidance.json
"""

from __future__ import annotations

import argparse
import gzip
import json
import math
import os
import platform
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import numpy as np  # noqa: E402
import scipy.sparse as sp  # noqa: E402
import zoo  # noqa: E402
from sklearn.feature_extraction.text import TfidfVectorizer  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.model_selection import StratifiedKFold, train_test_split  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

import skw2v  # noqa: E402
from skw2v import SkipGramVectorizer  # noqa: E402

MODELS = ("tfidf", "own", "pretrained", "union_own", "union_pretrained",
          "union_pretrained_unweighted")
SETS = {
    "trec": ("short", (100, 300, 1000, 3000)),
    "sst2": ("short", (100, 300, 1000, 3000)),
    "20newsgroups": ("long", (100, 300, 1000, 3000)),
}


def load(name, data_dir):
    corpus = zoo.real_corpora(data_dir, full_text8like=False)[name]()
    return list(corpus.texts), np.asarray(corpus.y_train), list(corpus.test_texts), \
        np.asarray(corpus.y_test)


def pretrain(data_dir, n_tokens, cache):
    """Vectors trained at the defaults on the first ``n_tokens`` tokens of text8like."""
    if cache and os.path.exists(cache):
        kv = skw2v.KeyedVectors.load_word2vec_format(cache)
        print(f"pretrained vectors read from {cache}: {len(kv.index_to_key)} words", flush=True)
        return kv, None
    with gzip.open(os.path.join(data_dir, "text8like.txt.gz"), "rt") as fh:
        tokens = fh.read().split()[:n_tokens]
    docs = [" ".join(tokens[i:i + 10_000]) for i in range(0, len(tokens), 10_000)]
    t0 = time.perf_counter()
    vec = SkipGramVectorizer(random_state=0).fit(docs)
    seconds = time.perf_counter() - t0
    print(f"pretrained on {len(tokens):,} tokens of text8like in {seconds:.0f} s: "
          f"{len(vec.wv_.index_to_key):,} words, learning_rate_={vec.learning_rate_:.4f}",
          flush=True)
    if cache:
        vec.wv_.save_word2vec_format(cache)
    return vec.wv_, dict(n_tokens=len(tokens), seconds=seconds,
                         vocabulary=len(vec.wv_.index_to_key),
                         learning_rate_=float(vec.learning_rate_))


def accuracy(Xa, ya, Xb, yb):
    clf = LogisticRegression(max_iter=3000)
    return float(clf.fit(Xa, ya).score(Xb, yb))


def scaled(Xa, Xb):
    s = StandardScaler().fit(Xa)
    return s.transform(Xa), s.transform(Xb)


def union(T, W, weight):
    return sp.hstack([T, sp.csr_matrix(W * weight)], format="csr")


CV_WEIGHTS = (0.0, 0.1, 0.3, 1.0)


def cv_weight(a, ya, Pa, dim, seed):
    """The union's block weight (times sqrt(dim)) with the best 3-fold CV accuracy."""
    folds = StratifiedKFold(n_splits=3, shuffle=True, random_state=seed)
    scores = np.zeros(len(CV_WEIGHTS))
    for tr, va in folds.split(np.zeros(len(ya)), ya):
        tf = TfidfVectorizer().fit([a[i] for i in tr])
        Ta, Tv = tf.transform([a[i] for i in tr]), tf.transform([a[i] for i in va])
        Sa, Sv = scaled(Pa[tr], Pa[va])
        for k, c in enumerate(CV_WEIGHTS):
            w = c / math.sqrt(dim)
            scores[k] += accuracy(union(Ta, Sa, w), ya[tr], union(Tv, Sv, w), ya[va])
    return CV_WEIGHTS[int(np.argmax(scores))]


def run_set(name, data_dir, kv, seeds, records, cv=False):
    kind, sizes = SETS[name]
    texts, y, test_texts, y_test = load(name, data_dir)
    sizes = [n for n in sizes if n < len(texts)] + [len(texts)]
    pre = SkipGramVectorizer.from_keyed_vectors(kv)
    P_all, P_test = pre.transform(texts), pre.transform(test_texts)
    dim = P_all.shape[1]
    print(f"\n{name} ({kind} texts): {len(texts):,} labelled, {len(test_texts):,} test; "
          f"pretrained vocabulary covers "
          f"{np.mean(np.abs(P_all).sum(axis=1) > 0):.1%} of the training texts", flush=True)
    models = MODELS + (("union_pretrained_cv", "cv_weight_times_sqrt_dim") if cv else ())
    print(f"{'n':>6} {'seed':>4} " + " ".join(f"{m:>12.12}" for m in models) + f" {'s':>5}",
          flush=True)
    for n in sizes:
        for seed in seeds:
            t0 = time.perf_counter()
            if n < len(texts):
                idx, _ = train_test_split(np.arange(len(texts)), train_size=n, stratify=y,
                                          random_state=seed)
            else:
                idx = np.arange(len(texts))
            a = [texts[i] for i in idx]
            ya = y[idx]
            tf = TfidfVectorizer().fit(a)
            Ta, Tb = tf.transform(a), tf.transform(test_texts)
            own = SkipGramVectorizer(min_count=2, random_state=seed).fit(a)
            Oa, Ob = scaled(own.transform(a), own.transform(test_texts))
            Pa, Pb = scaled(P_all[idx], P_test)
            w = 1.0 / math.sqrt(dim)
            acc = {
                "tfidf": accuracy(Ta, ya, Tb, y_test),
                "own": accuracy(Oa, ya, Ob, y_test),
                "pretrained": accuracy(Pa, ya, Pb, y_test),
                "union_own": accuracy(union(Ta, Oa, w), ya, union(Tb, Ob, w), y_test),
                "union_pretrained": accuracy(union(Ta, Pa, w), ya, union(Tb, Pb, w), y_test),
                "union_pretrained_unweighted": accuracy(union(Ta, Pa, 1.0), ya,
                                                        union(Tb, Pb, 1.0), y_test),
            }
            if cv:
                c = cv_weight(a, ya, P_all[idx], dim, seed)
                w = c / math.sqrt(dim)
                acc["union_pretrained_cv"] = accuracy(union(Ta, Pa, w), ya, union(Tb, Pb, w),
                                                      y_test)
                acc["cv_weight_times_sqrt_dim"] = c
            seconds = time.perf_counter() - t0
            records.append(dict(corpus=name, kind=kind, n_labelled=int(n), seed=seed,
                                n_test=len(test_texts), own_vocabulary=len(own.wv_.index_to_key),
                                own_learning_rate_=float(own.learning_rate_),
                                own_n_tokens=int(own.n_tokens_), seconds=seconds,
                                accuracy=acc))
            print(f"{n:>6} {seed:>4} " + " ".join(f"{acc[m]:>12.3f}" for m in models)
                  + f" {seconds:>5.0f}", flush=True)


def summary(records):
    """Mean accuracy over seeds, per corpus and number of labelled documents."""
    models = list(records[0]["accuracy"])
    rows = {}
    for r in records:
        rows.setdefault((r["corpus"], r["n_labelled"]), []).append(r["accuracy"])
    out = []
    for (corpus, n), accs in rows.items():
        out.append(dict(corpus=corpus, n_labelled=n, n_seeds=len(accs),
                        **{m: float(np.mean([a[m] for a in accs])) for m in models}))
    return out, models


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data-dir", default=zoo.DEFAULT_DATA_DIR)
    ap.add_argument("--sets", nargs="+", default=list(SETS), choices=list(SETS))
    ap.add_argument("--seeds", nargs="+", type=int, default=[0, 1])
    ap.add_argument("--pretrain-tokens", type=int, default=4_000_000)
    ap.add_argument("--pretrained-cache", default=None,
                    help="word2vec text file: read if it exists, else written after training")
    ap.add_argument("--cv", action="store_true",
                    help="add union_pretrained_cv (block weight by 3-fold CV on the labelled set)")
    ap.add_argument("--out", default=None)
    args = ap.parse_args(argv)
    # One BLAS thread: on a shared 2-core machine, threaded BLAS in the
    # small LogisticRegression fits spun for seconds instead of milliseconds.
    threadpool_limits(1)
    t0 = time.perf_counter()
    kv, pre_info = pretrain(args.data_dir, args.pretrain_tokens, args.pretrained_cache)
    records = []
    for name in args.sets:
        run_set(name, args.data_dir, kv, args.seeds, records, cv=args.cv)
    table, models = summary(records)
    print("\nmean over seeds")
    print(f"{'corpus':>14} {'n':>6} " + " ".join(f"{m:>12.12}" for m in models))
    for r in table:
        print(f"{r['corpus']:>14} {r['n_labelled']:>6} "
              + " ".join(f"{r[m]:>12.3f}" for m in models))
    total = time.perf_counter() - t0
    print(f"total {total:.0f} s")
    if args.out:
        try:
            commit = subprocess.run(["git", "-C", HERE, "rev-parse", "--short", "HEAD"],
                                    capture_output=True, text=True).stdout.strip()
        except OSError:
            commit = None
        with open(args.out, "w") as fh:
            json.dump(dict(args=vars(args), commit=commit, skw2v=skw2v.__version__,
                           python=platform.python_version(), cpu_count=os.cpu_count(),
                           pretrained=pre_info, total_seconds=total, summary=table,
                           records=records), fh, indent=1)
        print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
