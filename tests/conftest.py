"""Shared fixtures for the estimator tests: a planted-topic corpus and quality measures.

The planted corpus has ``n_topics`` disjoint word sets; every document is drawn
from a single topic. Words of one topic therefore co-occur only with each
other, and a working skip-gram model must place them nearer to each other than
to the words of any other topic.
"""

import numpy as np
import pytest


def planted_corpus(n_docs=90, n_topics=3, words_per_topic=8, doc_len=(8, 16), seed=0):
    """Documents drawn from one topic each, with a seeded NumPy generator.

    Returns
    -------
    docs : list of str
    labels : ndarray of int
        Topic of each document (documents cycle through the topics).
    topics : list of list of str
        The word set of each topic. Words look like ``"t1w3"`` (topic 1, word 3).
    """
    rng = np.random.default_rng(seed)
    topics = [[f"t{t}w{i}" for i in range(words_per_topic)] for t in range(n_topics)]
    docs, labels = [], []
    for d in range(n_docs):
        t = d % n_topics
        n = int(rng.integers(doc_len[0], doc_len[1], endpoint=True))
        docs.append(" ".join(rng.choice(topics[t], size=n)))
        labels.append(t)
    return docs, np.asarray(labels), topics


def topic_separation(index_to_key, vectors, topics):
    """Fraction of words whose every same-topic word is nearer than every other-topic word.

    Nearness is cosine similarity of the rows of ``vectors``. 1.0 means the
    topics are perfectly separated; random vectors give a value near 0.
    """
    topic_of = {w: t for t, words in enumerate(topics) for w in words}
    lab = np.array([topic_of[w] for w in index_to_key])
    W = np.asarray(vectors, dtype=np.float64)
    W = W / np.linalg.norm(W, axis=1, keepdims=True)
    S = W @ W.T
    ok = []
    for i in range(len(lab)):
        same = (lab == lab[i]) & (np.arange(len(lab)) != i)
        other = lab != lab[i]
        ok.append(S[i, same].min() > S[i, other].max())
    return float(np.mean(ok))


@pytest.fixture(scope="session")
def planted():
    """The default planted corpus: ``(docs, labels, topics)``; treat as read-only."""
    docs, labels, topics = planted_corpus()
    return tuple(docs), labels, topics


@pytest.fixture
def make_corpus():
    """The planted-corpus builder, for tests that need other sizes or seeds."""
    return planted_corpus


@pytest.fixture
def separation():
    """The :func:`topic_separation` measure."""
    return topic_separation


@pytest.fixture
def small_params():
    """Fast, deterministic estimator parameters for the planted corpus."""
    return dict(n_components=16, window=3, min_count=1, subsample=0.0, epochs=5,
                random_state=0)


@pytest.fixture
def unbounded_loss():
    """Negative sampling without curvature bounds: plain summed SGD steps, which
    can diverge (the built-in losses bound every row's step)."""
    from skw2v.losses import NegativeSamplingLoss

    class UnboundedNegativeSampling(NegativeSamplingLoss):
        def curvature(self, *args):
            return None

    return UnboundedNegativeSampling()


def _fused_window_step(W_in, W_out, inputs, indptr, targets, negatives, lr):
    """One batch of whole windows through negative sampling's fused kernel.

    The kernel is the one the built-in loss hands to the trainer
    (``NegativeSamplingLoss().window_kernel()``), on a single batch.
    """
    from skw2v.losses import NegativeSamplingLoss

    kernel = NegativeSamplingLoss().window_kernel()
    n_windows, n_pairs = indptr.size - 1, int(indptr[-1])
    chunk = kernel.chunk(inputs, indptr, np.array([0, n_windows]), targets, negatives,
                         W_in.shape[0], W_out.shape[0])
    return kernel.step(W_in, W_out, chunk, 0, (0, n_pairs), (0, n_windows), lr)


@pytest.fixture
def fused_step():
    """``fused_step(W_in, W_out, inputs, indptr, targets, negatives, lr)``: the fused kernel."""
    return _fused_window_step


class _Interrupt:
    """A fit callback that raises KeyboardInterrupt at the end of epoch ``after_epoch``."""

    def __init__(self, after_epoch):
        self.after_epoch = after_epoch

    def __call__(self, est, info):
        if info.epoch == self.after_epoch:
            raise KeyboardInterrupt


@pytest.fixture
def interrupt_after():
    """``interrupt_after(k)``: a callback that interrupts a fit after epoch ``k``."""
    return _Interrupt


@pytest.fixture
def trainings(monkeypatch):
    """The number of calls of the trainer so far (a list holding one int)."""
    from skw2v._fitting import trainer

    count = [0]
    train = trainer.train

    def counting(*args, **kwargs):
        count[0] += 1
        return train(*args, **kwargs)

    monkeypatch.setattr(trainer, "train", counting)
    return count
