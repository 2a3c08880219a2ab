"""Character n-grams of words, hashed into buckets, and composed input vectors.

A word's subword input vector (Bojanowski et al., 2017, "Enriching Word
Vectors with Subword Information") is the mean of its own row and the rows of
its character n-grams. The n-grams are taken from the word with boundary
marks (``"<where>"`` gives ``"<wh"``, ``"whe"``, ... for 3-grams) and hashed
into ``n_buckets`` rows with fastText's hash: 32-bit FNV-1a over the UTF-8
bytes, each byte sign-extended as a C ``int8_t`` is, so that a bucket here is
the bucket fastText and gensim use for the same n-gram.

The input matrix of a subword model has ``n_words + n_buckets`` rows: the
words' own rows first, then the buckets, as in fastText's ``.bin`` files.
Everything here is vectorised over all the n-grams at once (the loops run over
n-gram lengths and bytes of a character, never over words). NumPy and SciPy
only.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.sparse import csr_array

_FNV_OFFSET = np.uint32(2166136261)
_FNV_PRIME = np.uint32(16777619)


@dataclass(frozen=True)
class SubwordSpec:
    """How words are cut into hashed character n-grams.

    Parameters
    ----------
    min_n, max_n : int
        Shortest and longest n-gram, in characters (boundary marks count).
    n_buckets : int
        Number of hash buckets (rows of n-gram vectors).
    bow, eow : str
        Marks added before and after each word.
    """

    min_n: int
    max_n: int
    n_buckets: int
    bow: str = "<"
    eow: str = ">"

    def ngram_buckets(self, words):
        """Bucket counts of the n-grams of each word.

        Parameters
        ----------
        words : sequence of str

        Returns
        -------
        counts : scipy.sparse.csr_array of shape (len(words), n_buckets)
            ``counts[i, b]`` is how many of word ``i``'s n-grams hash to
            bucket ``b`` (int32; indices sorted). A word shorter than
            ``min_n`` characters with its marks has an empty row.
        """
        word, bucket = ngram_hashes(self, words)
        return _count_matrix(word, bucket % np.uint32(self.n_buckets), len(words),
                             self.n_buckets)

    def ngrams(self, word):
        """The n-grams of one word, as strings, in fastText's order (for docs and tests)."""
        marked = f"{self.bow}{word}{self.eow}"
        out = []
        for i in range(len(marked)):
            for n in range(1, self.max_n + 1):
                if i + n > len(marked):
                    break
                if n >= self.min_n and not (n == 1 and (i == 0 or i + n == len(marked))):
                    out.append(marked[i:i + n])
        return out


def fnv1a_hash(data: bytes) -> int:
    """fastText's hash of one byte string (bytes sign-extended), for tests and docs."""
    h = 2166136261
    for byte in data:
        h ^= byte | 0xFFFFFF00 if byte >= 0x80 else byte
        h = (h * 16777619) & 0xFFFFFFFF
    return h


def _marked_bytes(spec, words):
    """All marked words' UTF-8 bytes in one array, and each word's byte offsets."""
    encoded = [f"{spec.bow}{w}{spec.eow}".encode() for w in words]
    lengths = np.fromiter((len(b) for b in encoded), dtype=np.int64, count=len(encoded))
    offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    buf = np.frombuffer(b"".join(encoded), dtype=np.uint8)
    return buf, offsets


def ngram_hashes(spec, words):
    """The fastText hash of every n-gram of every word.

    Returns
    -------
    word : ndarray of intp
        The word of each n-gram (non-decreasing within each n-gram length).
    hashes : ndarray of uint32
    """
    buf, offsets = _marked_bytes(spec, words)
    # byte position of every character start, then the total length
    starts = np.flatnonzero((buf & 0xC0) != 0x80)
    ends = np.append(starts, buf.size)
    owner = np.searchsorted(offsets, starts, side="right") - 1
    # index of the first character of each word, and past its last
    first_char = np.searchsorted(starts, offsets)
    char_stop = first_char[owner + 1]
    signed = buf.view(np.int8).astype(np.int32).view(np.uint32)
    h = np.full(starts.size, _FNV_OFFSET, dtype=np.uint32)
    pos = starts.copy()
    out_word, out_hash = [], []
    index = np.arange(starts.size)
    for n in range(1, spec.max_n + 1):
        alive = index + n <= char_stop
        if not alive.any():
            break
        index, h, pos, char_stop = index[alive], h[alive], pos[alive], char_stop[alive]
        stop = ends[index + n]
        # add the n-th character's bytes (one to four) to each running hash
        while True:
            more = pos < stop
            if not more.any():
                break
            step = np.flatnonzero(more)
            h[step] = (h[step] ^ signed[pos[step]]) * _FNV_PRIME
            pos[step] += 1
        if n >= spec.min_n:
            keep = slice(None)
            if n == 1:  # a lone boundary mark is not an n-gram
                w = owner[index]
                keep = (index != first_char[w]) & (index + 1 != char_stop)
            out_word.append(owner[index][keep])
            out_hash.append(h[keep].copy())
    if not out_word:
        return np.zeros(0, dtype=np.intp), np.zeros(0, dtype=np.uint32)
    return np.concatenate(out_word), np.concatenate(out_hash)


def _count_matrix(rows, columns, n_rows, n_columns):
    """CSR matrix of how often each ``(row, column)`` pair occurs (int32, sorted)."""
    key = rows.astype(np.int64) * n_columns + columns.astype(np.int64)
    key, counts = np.unique(key, return_counts=True)
    r, c = np.divmod(key, n_columns)
    indptr = np.zeros(n_rows + 1, dtype=np.int64)
    np.cumsum(np.bincount(r, minlength=n_rows), out=indptr[1:])
    index = np.int32 if max(n_columns, key.size) < 1 << 31 else np.int64
    return csr_array((counts.astype(np.int32), c.astype(index), indptr.astype(index)),
                     shape=(n_rows, n_columns))


def composition_matrix(spec, words, own_rows=None, n_own=0, dtype=np.float32):
    """The matrix that averages each word's rows of a subword input matrix.

    Row ``i`` has weight ``c / m`` at each row of the input matrix that word
    ``i`` uses ``c`` times, where ``m`` is the number of rows it uses with
    repeats: its own row ``own_rows[i]`` (if any) and ``n_own + b`` for each
    of its n-grams hashed to bucket ``b``.

    Parameters
    ----------
    spec : SubwordSpec
    words : sequence of str
    own_rows : ndarray of int of shape (len(words),) or None
        Each word's own row (``-1`` for none), or None for no own rows
        (words outside the vocabulary).
    n_own : int
        Number of own rows before the buckets (the vocabulary size).
    dtype : dtype, default=float32

    Returns
    -------
    M : scipy.sparse.csr_array of shape (len(words), n_own + n_buckets)
        ``M @ W`` is the words' composed vectors. A word with no rows has
        an empty row (a zero vector).
    """
    counts = spec.ngram_buckets(words).tocoo()
    rows, columns = counts.row.astype(np.int64), counts.col.astype(np.int64) + n_own
    data = counts.data.astype(np.int64)
    if own_rows is not None:
        own_rows = np.asarray(own_rows, dtype=np.int64)
        has = np.flatnonzero(own_rows >= 0)
        rows = np.concatenate((has, rows))
        columns = np.concatenate((own_rows[has], columns))
        data = np.concatenate((np.ones(has.size, dtype=np.int64), data))
    n, width = len(words), n_own + spec.n_buckets
    M = csr_array((data.astype(dtype), (rows, columns)), shape=(n, width))
    M.sum_duplicates()
    M.sort_indices()
    total = np.asarray(M.sum(axis=1), dtype=np.float64).ravel()
    scale = np.divide(1.0, total, out=np.zeros(n), where=total > 0).astype(dtype)
    M.data *= np.repeat(scale, np.diff(M.indptr))
    return M


def vocabulary_composition(spec, words, dtype=np.float32):
    """:func:`composition_matrix` of a vocabulary: word ``i`` owns row ``i``."""
    n = len(words)
    return composition_matrix(spec, words, np.arange(n), n, dtype)


def compose(M, W):
    """The composed vectors ``M @ W`` (``M`` from :func:`composition_matrix`)."""
    out = M @ W
    return np.asarray(out, dtype=W.dtype)
