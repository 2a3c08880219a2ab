"""The corpus zoo (slow): the defaults train on every corpus without diverging.

Every corpus of ``benchmarks/zoo.py`` (all of ``../shared/data`` with the
1M-token text8like prefix, BBC News, and the adversarial corpora) is fitted at
the defaults, at ``batch_size=4096`` and at ``learning_rate=0.1``; each fit
must finish without :class:`~skw2v.TrainingDiverged`, with a finite loss
curve that ends below where it started. ``benchmarks/bench_zoo.py`` prints
the same runs as a table, with the full text8like and downstream accuracies.
"""

import os
import sys

import numpy as np
import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "benchmarks"))

import zoo  # noqa: E402

from skw2v import SkipGramVectorizer  # noqa: E402

DATA = os.path.join(HERE, "..", "..", "shared", "data")
pytestmark = pytest.mark.slow

REAL = zoo.real_corpora(DATA, full_text8like=False)
ADVERSARIAL = zoo.adversarial_corpora()
_cache: dict = {}


def load(name):
    if name not in _cache:
        if name in REAL and not os.path.isdir(DATA):
            pytest.skip(f"benchmark data not found at {DATA}")
        _cache.clear()  # one corpus in memory at a time
        _cache[name] = {**REAL, **ADVERSARIAL}[name]()
    return _cache[name]


@pytest.mark.parametrize("setting", list(zoo.SETTINGS))
@pytest.mark.parametrize("name", list(REAL) + list(ADVERSARIAL))
def test_defaults_train_on_every_corpus(name, setting):
    corpus = load(name)
    vec = SkipGramVectorizer(random_state=0, **zoo.SETTINGS[setting]).fit(corpus.texts)
    curve = vec.loss_curve_
    assert np.all(np.isfinite(curve)), curve
    assert np.all(np.isfinite(vec.vectors_))
    assert curve[-1] < curve[0], curve


@pytest.mark.parametrize("seed", range(5))
def test_defaults_train_on_all_of_20_newsgroups(seed):
    corpus = load("20newsgroups")
    vec = SkipGramVectorizer(random_state=seed).fit(corpus.texts)
    assert np.all(np.isfinite(vec.loss_curve_))
    assert vec.loss_curve_[-1] < vec.loss_curve_[0]
