"""Vocabulary: pruning, deterministic ordering, subsampling and noise tables.

Imports only NumPy. Functions take and return arrays; no state.
"""

from __future__ import annotations

import numpy as np


def order_vocabulary(tokens, counts, min_count=1, max_vocab_size=None, *, doc_freq=None,
                     doc_count_range=None):
    """Prune and order a vocabulary.

    Words with ``count >= min_count`` (and, when ``doc_freq`` is given, a
    document frequency within ``doc_count_range``) are kept, sorted by count
    descending and then by token (code-point order), so the order never
    depends on hashing or on the order of the corpus. ``max_vocab_size``
    then keeps the most frequent words.

    Parameters
    ----------
    tokens : sequence of str
        Distinct tokens.
    counts : ndarray of int of shape (n_tokens,)
        Their counts.
    min_count : int, default=1
    max_vocab_size : int or None, default=None
    doc_freq : ndarray of int of shape (n_tokens,) or None, default=None
        Number of documents each token occurs in.
    doc_count_range : (float, float) or None, default=None
        ``(low, high)``: keep the words with ``low <= doc_freq <= high``
        (see :func:`doc_count_range`). Ignored without ``doc_freq``.

    Returns
    -------
    order : ndarray of intp
        Indices into ``tokens`` of the kept words, in vocabulary order.
    """
    counts = np.asarray(counts, dtype=np.int64)
    mask = counts >= min_count
    if doc_freq is not None and doc_count_range is not None:
        low, high = doc_count_range
        df = np.asarray(doc_freq, dtype=np.int64)
        mask &= (df >= low) & (df <= high)
    keep = np.flatnonzero(mask)
    if keep.size == 0:
        return keep
    # Python's str ordering is code-point order for every string (NumPy's
    # fixed-width unicode would drop trailing NUL characters). Sorted by
    # token, then stably by decreasing count: the order of the key
    # ``(-count, token)``, without a key tuple per word (freed tuples stay in
    # CPython's free list, scattered through memory, and keep it resident).
    by_token = np.array(sorted(keep.tolist(), key=tokens.__getitem__), dtype=np.intp)
    keep = by_token[np.argsort(-counts[by_token], kind="stable")]
    if max_vocab_size is not None:
        keep = keep[:max_vocab_size]
    return keep


def doc_count_range(min_df, max_df, n_docs):
    """Document-count bounds of ``min_df`` and ``max_df``, as CountVectorizer computes them.

    An int is a number of documents; a float is a proportion of the
    ``n_docs`` documents (``max_df * n_docs``, not rounded).

    Returns
    -------
    low, high : float
        Keep the words that occur in ``low <= df <= high`` documents.
    """
    def bound(value):
        return value if isinstance(value, (int, np.integer)) else value * n_docs

    return bound(min_df), bound(max_df)


def needs_doc_freq(min_df, max_df):
    """Whether ``min_df`` and ``max_df`` can prune anything (so document frequencies are needed).

    ``min_df=1`` (or a proportion of 0) and ``max_df=1.0`` keep every word.
    """
    int_like = (int, np.integer)
    min_prunes = min_df > 1 if isinstance(min_df, int_like) else min_df > 0
    max_prunes = True if isinstance(max_df, int_like) else max_df < 1
    return bool(min_prunes or max_prunes)


def keep_probabilities(counts, subsample):
    """word2vec's frequent-word subsampling: probability of keeping each word.

    With ``f = count / total`` and threshold ``t``, a word is kept with
    probability ``min(1, (sqrt(f / t) + 1) * t / f)`` (the formula of the
    word2vec C tool and gensim). ``subsample=0`` keeps every word.

    Parameters
    ----------
    counts : ndarray of int of shape (n_words,)
    subsample : float
        Threshold ``t`` in ``[0, 1)``.

    Returns
    -------
    p : ndarray of float64 of shape (n_words,)
    """
    counts = np.asarray(counts, dtype=np.float64)
    if subsample == 0 or counts.size == 0:
        return np.ones_like(counts)
    tc = subsample * counts.sum()
    p = (np.sqrt(counts / tc) + 1.0) * tc / counts
    return np.minimum(p, 1.0)


def noise_weights(counts, exponent=0.75):
    """``count ** exponent``, without overflow.

    When every power is finite it is returned as is (so results do not
    change for usual exponents). ``1e6 ** 60`` overflows float64, though,
    and an infinite weight would make the sampler uniform: then the weights
    are computed in log space, as ``exp(exponent * (log(count) -
    log(max_count)))``, i.e. divided by the largest one, which is the same
    distribution. Words with count 0 get weight 0 (1 when ``exponent ==
    0``, as ``0 ** 0``).

    Parameters
    ----------
    counts : ndarray of int of shape (n_words,)
        Non-negative, not all zero.
    exponent : float
        Finite.

    Returns
    -------
    weights : ndarray of float64 of shape (n_words,)
    """
    c = np.asarray(counts, dtype=np.float64)
    with np.errstate(over="ignore"):
        w = c ** exponent
    if np.all(np.isfinite(w)):
        return w
    w = np.zeros_like(c)
    pos = c > 0
    logs = np.log(c[pos])
    w[pos] = np.exp(exponent * (logs - logs.max()))
    return w


class AliasSampler:
    """Exact O(1) sampling from a discrete distribution (Walker/Vose alias method).

    Parameters
    ----------
    weights : ndarray of float of shape (n,)
        Non-negative weights, not all zero.
    """

    def __init__(self, weights):
        w = np.asarray(weights, dtype=np.float64)
        n = w.size
        scaled = w * (n / w.sum())
        prob = np.ones(n, dtype=np.float64)
        alias = np.arange(n, dtype=np.int32)
        small = [i for i in range(n) if scaled[i] < 1.0]
        large = [i for i in range(n) if scaled[i] >= 1.0]
        while small and large:
            s = small.pop()
            g = large[-1]
            prob[s] = scaled[s]
            alias[s] = g
            scaled[g] -= 1.0 - scaled[s]
            if scaled[g] < 1.0:
                large.pop()
                small.append(g)
        # leftovers are 1 up to rounding
        self.prob = prob.astype(np.float32)
        self.alias = alias

    def sample(self, size, rng):
        """Draw ``size`` ids (int32) with ``rng``."""
        n = self.prob.size
        i = rng.integers(0, n, size=size, dtype=np.int32)
        u = rng.random(size, dtype=np.float32)
        own = u < self.prob[i]
        u = None
        # np.where(own, i, alias[i]), with fewer arrays of the draws' size at once
        out = self.alias[i]
        np.copyto(out, i, where=own)
        return out


def noise_sampler(counts, exponent=0.75):
    """An :class:`AliasSampler` over ``count ** exponent`` (see :func:`noise_weights`)."""
    return AliasSampler(noise_weights(counts, exponent))


def draw_negatives(sampler, size, rng):
    """Draw word ids from the noise distribution.

    Parameters
    ----------
    sampler : AliasSampler
        From :func:`noise_sampler`.
    size : int or tuple of int
    rng : numpy.random.Generator

    Returns
    -------
    ids : ndarray of int32
    """
    return sampler.sample(size, rng)
