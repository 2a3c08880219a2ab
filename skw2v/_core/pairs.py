"""Encoded corpora and skip-gram pair generation, as array operations.

A corpus is one flat ``int32`` array of word ids plus ``int64`` document
offsets (``offsets[i]:offsets[i+1]`` is document ``i``). Windows never cross a
document boundary. Imports only NumPy.
"""

from __future__ import annotations

import numpy as np


def document_bounds(offsets, start, stop):
    """Start and end offsets of the document of each position in ``[start, stop)``.

    Parameters
    ----------
    offsets : ndarray of int64 of shape (n_documents + 1,)
    start, stop : int

    Returns
    -------
    lo, hi : ndarray of int64 of shape (stop - start,)
    """
    first = np.searchsorted(offsets, start, side="right") - 1
    last = np.searchsorted(offsets, stop, side="left")
    bounds = offsets[first:last + 1]
    lengths = np.diff(np.clip(bounds, start, stop))
    lo = np.repeat(bounds[:-1], lengths)
    hi = np.repeat(bounds[1:], lengths)
    return lo, hi


def skipgram_pairs(ids, offsets, start, stop, window, rng=None, base=0):
    """All (center, outside) pairs whose center lies in ``[start, stop)``.

    Each center draws its radius uniformly from ``1..window`` (word2vec's
    dynamic window), and pairs are produced in text order: by center
    position, then by offset from ``-window`` to ``+window``.

    Parameters
    ----------
    ids : ndarray of int32
        Tokens at positions ``base, base + 1, ...``: the whole corpus, or any
        slice of it holding ``[start - window, stop + window)`` (clipped to
        the corpus).
    offsets : ndarray of int64 of shape (n_documents + 1,)
        Document offsets in the whole corpus.
    start, stop : int
        Range of center positions.
    window : int
        Maximum radius.
    rng : numpy.random.Generator or None
        Draws the radii; None uses the full ``window`` for every center
        (deterministic, as for scoring).
    base : int, default=0
        Corpus position of ``ids[0]``.

    Returns
    -------
    centers, outside : ndarray of int32 of shape (n_pairs,)
        Word ids.
    position : ndarray of intp of shape (n_pairs,)
        Center position of each pair, relative to ``start`` (non-decreasing:
        the pairs of one window are contiguous).
    """
    n = stop - start
    if n <= 0:
        empty = np.empty(0, dtype=np.int32)
        return empty, empty, np.empty(0, dtype=np.intp)
    lo, hi = document_bounds(offsets, start, stop)
    if rng is None:
        radius = np.full(n, window, dtype=np.int32)
    else:
        radius = rng.integers(1, window + 1, size=n, dtype=np.int32)
    pos = np.arange(start, stop, dtype=np.int64)
    # The valid offsets of a center are -left..-1 and 1..right: one run of
    # left + right pairs, generated flat (no (n, 2 * window) mask).
    left = np.minimum(radius, pos - lo)
    right = np.minimum(radius, hi - 1 - pos)
    count = left + right
    rows = np.repeat(np.arange(n), count)
    first = np.zeros(n, dtype=np.int64)
    np.cumsum(count[:-1], out=first[1:])
    # k-th pair of its center: offset k - left, skipping 0. Computed in
    # place (``pos[rows]`` is ``start + rows``), so that the pairs need no
    # temporary array beyond one of their offsets.
    offset = np.arange(rows.size, dtype=np.int64)
    offset -= np.repeat(first + left, count)
    offset += offset >= 0
    offset += rows
    offset += start - base
    centers = np.repeat(ids[start - base:stop - base], count)
    outside = ids[offset]
    return centers, outside, rows
