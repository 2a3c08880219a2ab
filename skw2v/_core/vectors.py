"""The word-vector matrices: initialisation and finiteness checks (NumPy only)."""

from __future__ import annotations

import numpy as np


def uniform_init(rng, n_words, dim, dtype, block_rows=16384, out=None):
    """word2vec's initialisation, uniform in ``[-0.5/dim, 0.5/dim)``, drawn in row blocks.

    Equal to ``((rng.random((n_words, dim)) - 0.5) / dim).astype(dtype)``
    (the same stream, consumed in the same order), without the float64
    temporaries of the whole matrix. ``out``, an array of that shape and
    dtype, is filled instead of a new one (a shared-memory map, say).
    """
    W = np.empty((n_words, dim), dtype=dtype) if out is None else out
    for a in range(0, n_words, block_rows):
        b = min(a + block_rows, n_words)
        W[a:b] = (rng.random((b - a, dim)) - 0.5) / dim
    return W


def all_finite(W):
    """Whether every entry of ``W`` is finite, without a temporary of W's size.

    A float64 sum of float32 or float64 entries is non-finite exactly when
    an entry is NaN or infinite (it cannot overflow for float32 entries; for
    float64 ones an overflow also means the vectors have blown up).
    """
    return bool(np.isfinite(W.sum(dtype=np.float64)))
