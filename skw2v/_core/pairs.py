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


def skipgram_pairs(ids, offsets, start, stop, window, rng=None, base=0, centers=True):
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
    centers : bool, default=True
        Also return the center word of each pair (a caller that needs only
        each window's center word reads it at ``position``).

    Returns
    -------
    centers, outside : ndarray of int32 of shape (n_pairs,)
        Word ids (``centers`` is None when not asked for).
    position : ndarray of intp of shape (n_pairs,)
        Center position of each pair, relative to ``start`` (non-decreasing:
        the pairs of one window are contiguous).
    """
    n = stop - start
    if n <= 0:
        empty = np.empty(0, dtype=np.int32)
        return (empty if centers else None), empty, np.empty(0, dtype=np.intp)
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
    lo = hi = pos = radius = None
    count = left + right
    rows = np.repeat(np.arange(n), count)
    # k-th pair of its center: offset k - left, skipping 0. The offsets
    # before the skip are runs -left..right - 1 that step by 1; each run's
    # first value is written as its step from the previous run's last, so
    # one cumulative sum in place makes them all (no per-pair temporary).
    offset = np.ones(rows.size, dtype=np.int64)
    windows = np.flatnonzero(count)
    if windows.size:
        first = np.cumsum(count) - count
        jumps = -left[windows]
        jumps[1:] -= right[windows[:-1]] - 1
        offset[first[windows]] = jumps
        first = jumps = None
    windows = left = right = None
    np.cumsum(offset, out=offset)
    offset += offset >= 0
    # ``pos[rows]`` is ``start + rows``
    offset += rows
    offset += start - base
    outside = ids[offset]
    offset = None
    center_ids = np.repeat(ids[start - base:stop - base], count) if centers else None
    return center_ids, outside, rows
