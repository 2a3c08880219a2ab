"""Quality on real text, side by side with gensim (slow: run with ``-m slow``).

Needs ``../shared/data`` beside the project (the benchmark corpora); the
default test run skips these tests by their marker.
"""

import gzip
import os

import numpy as np
import pytest

from skw2v import SkipGramVectorizer
from skw2v.evaluation import evaluate_similarity

DATA = os.path.join(os.path.dirname(__file__), "..", "..", "shared", "data")
pytestmark = pytest.mark.slow


def corpus_1m():
    path = os.path.join(DATA, "text8like_1M.txt.gz")
    if not os.path.exists(path):
        pytest.skip(f"benchmark data not found at {path}")
    with gzip.open(path, "rt") as fh:
        toks = fh.read().split()
    return [toks[i:i + 10_000] for i in range(0, len(toks), 10_000)]


def test_similarity_on_text8like_1m_is_close_to_gensim():
    gensim = pytest.importorskip("gensim")
    docs = corpus_1m()
    ours = SkipGramVectorizer(analyzer=list, random_state=0).fit(docs)
    theirs = gensim.models.Word2Vec(docs, vector_size=100, window=5, negative=5, epochs=5,
                                    min_count=5, sample=1e-3, sg=1, workers=1, seed=1)
    ws = os.path.join(DATA, "ws353.txt")
    ours_rho = evaluate_similarity(ours.wv_, ws).spearman
    theirs_rho = evaluate_similarity(theirs.wv, ws).spearman
    assert ours_rho > 0.25
    assert ours_rho > theirs_rho - 0.05, (ours_rho, theirs_rho)
    assert np.all(np.diff(ours.loss_curve_[:3]) < 0)


@pytest.mark.parametrize("extra", [dict(n_jobs=2), dict(n_jobs=2, n_shards=2)])
def test_parallel_training_keeps_quality_on_text8like_1m(extra):
    docs = corpus_1m()
    ws = os.path.join(DATA, "ws353.txt")
    one = SkipGramVectorizer(analyzer=list, random_state=0).fit(docs)
    two = SkipGramVectorizer(analyzer=list, random_state=0, **extra).fit(docs)
    rho1 = evaluate_similarity(one.wv_, ws).spearman
    rho2 = evaluate_similarity(two.wv_, ws).spearman
    assert rho2 > rho1 - 0.05, (rho1, rho2)
