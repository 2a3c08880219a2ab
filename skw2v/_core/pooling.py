"""Documents as rows: pooling word vectors over sparse count matrices.

Pure array code (NumPy and SciPy). Documents arrive as CSR count matrices, one
block of documents at a time, so memory stays bounded however long the corpus.

With subwords, tokens missing from the vocabulary ("unseen" tokens) take part
too: a block's count matrix then has a column for each of them after the
vocabulary's, and their vectors, composed from their character n-grams once
per block (:func:`unseen_blocks`), are passed as ``extra`` rows. Their weights:

* ``"tfidf"``: the largest idf of the vocabulary (:func:`unseen_idf`), that of
  the training word found in the fewest documents. An unseen word is at least
  as rare as that word, and the model does not keep the number of training
  documents that the smooth idf of a word found in none,
  ``log(1 + n_documents) + 1``, would need. A model without document
  statistics (all idf 1, from word vectors) gives 1, so ``"tfidf"`` stays
  ``"mean"``.
* ``"sif"``: ``sif_alpha / (sif_alpha + 0) = 1``, the weight of a word of
  probability 0 (the largest SIF weight).
* ``"mean"``, ``"sum"``, ``"max"``: like any token.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from .._compat import scipy_csc_kernels
from .subwords import compose, composition_matrix

_csc_matvec, _csc_matvecs = scipy_csc_kernels()

POOLINGS = ("mean", "sum", "max", "tfidf", "sif")


def unseen_idf(idf):
    """The idf given to unseen tokens: the largest idf of the vocabulary (1.0 if empty)."""
    return float(np.max(idf)) if len(idf) else 1.0


def stacked_rows(W, extra, indices):
    """Rows ``indices`` of ``W`` stacked on ``extra`` (without building the stack).

    ``extra`` (or None) holds rows ``n, n + 1, ...`` after ``W``'s ``n`` rows:
    the vectors composed for unseen words, say.
    """
    if extra is None:
        return W[indices]
    n = W.shape[0]
    out = np.empty((indices.size, W.shape[1]), dtype=W.dtype)
    inside = indices < n
    out[inside] = W[indices[inside]]
    out[~inside] = extra[indices[~inside] - n]
    return out


def pool(counts, W, pooling, *, idf=None, word_counts=None, sif_alpha=None,
          sif_component=None, extra=None):
    """Pool word vectors ``W`` over the documents of a count matrix.

    Parameters
    ----------
    counts : scipy.sparse.csr_matrix of shape (n_documents, n_words + n_extra)
        Token counts (duplicates summed, indices sorted).
    W : ndarray of shape (n_words, n_components)
    pooling : {"mean", "sum", "max", "tfidf", "sif"}
    idf, word_counts, sif_alpha, sif_component
        Statistics needed by ``"tfidf"`` and ``"sif"``; with
        ``sif_component=None`` the SIF rows are returned before the common
        component is removed.
    extra : ndarray of shape (n_extra, n_components) or None
        Vectors of the unseen tokens of the columns after ``n_words``
        (weighted as the module docstring says).

    Returns
    -------
    X : ndarray of shape (n_documents, n_components), dtype of ``W``
    """
    n_docs = counts.shape[0]
    n_extra = 0 if extra is None else extra.shape[0]
    if pooling == "max":
        out = np.zeros((n_docs, W.shape[1]), dtype=W.dtype)
        rows = np.flatnonzero(np.diff(counts.indptr))
        if rows.size:
            out[rows] = np.maximum.reduceat(stacked_rows(W, extra, counts.indices),
                                            counts.indptr[rows], axis=0)
        return out
    if pooling in ("sum", "mean"):
        weights = counts
    elif pooling == "tfidf":
        if n_extra:
            idf = np.concatenate((idf, np.full(n_extra, unseen_idf(idf))))
        weights = counts @ sp.diags(idf)
    else:  # sif: a / (a + p(w)), averaged over the document's tokens
        sif = sif_weights(word_counts, sif_alpha)
        if n_extra:  # p(w) = 0
            sif = np.concatenate((sif, np.ones(n_extra)))
        return sif_rows(counts, W, sif, sif_component, extra)
    out = sparse_dot(weights, W, extra=extra)
    if pooling != "sum":
        denom = np.asarray((weights if pooling == "tfidf" else counts).sum(axis=1)).ravel()
        nz = denom > 0
        out[nz] /= denom[nz, None]
    return out.astype(W.dtype)


def sif_weights(word_counts, sif_alpha):
    """The SIF weight ``a / (a + p(w))`` of each word, ``p(w)`` its share of the tokens."""
    p = word_counts / word_counts.sum()
    return sif_alpha / (sif_alpha + p)


def sif_rows(counts, W, sif, sif_component=None, extra=None, weights=None):
    """``"sif"`` pooling of :func:`pool`, given the words' SIF weights ``sif``.

    With ``sif_component=None`` the rows are returned before the common
    component is removed. ``weights`` is ``scaled_columns(counts, sif)``
    when the caller has made it already (in any sparse format).
    """
    if weights is None:
        weights = scaled_columns(counts, sif)
    out = sparse_dot(weights, W, extra=extra)
    weights = None
    denom = np.asarray(counts.sum(axis=1)).ravel()
    nz = denom > 0
    out[nz] /= denom[nz, None]
    if sif_component is not None:
        u = sif_component.astype(np.float64)
        out -= np.outer(out @ u, u)
    return out.astype(W.dtype)


def scaled_columns(counts, column_weights):
    """``counts @ diags(column_weights)`` as :func:`sparse_dot` reads it.

    Each entry times the weight of its column: the numbers of the sparse
    product (each of its entries is one product, ``count * weight``; the
    SIF weights are never 0, so it drops none), made as one array of
    entries instead of a diagonal matrix of the whole vocabulary and the
    product's copies of both. The entries stay in the order of ``counts``;
    the product lists a row's entries in another order, which changes the
    rounding of row sums but not the matrix in CSC form, the one
    :func:`sparse_dot` uses.
    """
    counts = sp.csr_matrix(counts)
    data = column_weights[counts.indices]
    data *= counts.data
    return sp.csr_matrix((data, counts.indices, counts.indptr), shape=counts.shape)


#: Rows of ``W`` converted to float64 at once by :func:`sparse_dot`, as a
#: number of float64 values (1 MiB): 2,621 rows at 50 dimensions.
CONVERT_VALUES = 1 << 17


def sparse_dot(weights, W, block_rows=16384, extra=None):
    """``weights @ W`` in float64, reading ``W`` in blocks of rows.

    The sum runs over blocks of ``block_rows`` rows of ``W``: the product
    of each block is summed (from zero), then added to the result, so the
    numbers depend on ``block_rows`` and nothing else. Only the rows of
    words that occur are converted to float64, a few thousand at a time
    (:data:`CONVERT_VALUES`): a block's sum is accumulated in place, piece
    by piece, in the order of one product over the whole block (columns in
    order, entries of a column in order), so the pieces do not change its
    rounding. With ``extra``, the columns of ``weights`` after ``W``'s rows
    weigh the rows of ``extra``.
    """
    weights = sp.csc_matrix(weights)
    out = np.zeros((weights.shape[0], W.shape[1]), dtype=np.float64)
    n = W.shape[0]
    piece = max(1, min(block_rows, CONVERT_VALUES // max(W.shape[1], 1)))
    for a in range(0, n, block_rows):
        b = min(a + block_rows, n)
        if weights.indptr[b] == weights.indptr[a]:
            continue
        if _csc_matvecs is None:  # SciPy's product of the block, as before
            part = weights[:, a:b]
            used = np.flatnonzero(np.diff(part.indptr))
            out += part[:, used] @ W[a + used].astype(np.float64)
            continue
        block_sum = np.zeros_like(out)
        for c in range(a, b, piece):
            _add_product(weights, W, c, min(c + piece, b), block_sum)
        out += block_sum
    if extra is not None and extra.shape[0]:
        out += weights[:, n:] @ extra.astype(np.float64)
    return out


def _add_product(weights, W, a, b, target):
    """Add ``weights[:, a:b] @ W[a:b]`` to ``target`` in place (float64, SciPy's order).

    SciPy's CSC product adds ``data[k] * X[j]`` to row ``indices[k]`` of the
    result for each entry ``k`` of each column ``j`` in turn; the columns
    ``a:b`` that have entries are handed to the same kernel, with the
    result's running sum as its output, and their rows of ``W`` converted.
    """
    ptr = weights.indptr[a:b + 1]
    used = np.flatnonzero(np.diff(ptr))
    if not used.size:
        return
    # the used columns' entries are consecutive: the empty ones between have none
    starts = np.empty(used.size + 1, dtype=ptr.dtype)
    starts[:-1] = ptr[used]
    starts[-1] = ptr[-1]
    rows = W[a + used].astype(np.float64)
    _csc_matvecs(target.shape[0], used.size, target.shape[1], starts, weights.indices,
                 weights.data, rows.reshape(-1), target.reshape(-1))


def corpus_statistics(blocks, n_docs, W, word_counts, sif_alpha):
    """``idf_`` and ``sif_component_`` of the training corpus, block by block.

    ``blocks`` yields ``(first document, count matrix)`` for consecutive
    blocks of the ``n_docs`` documents (see
    :func:`~skw2v._data.store.document_blocks`).

    The SIF component is the first right singular vector of the matrix of
    the documents' SIF rows (zero rows left out), computed as the top
    eigenvector of their Gram matrix, accumulated over blocks of documents,
    so no per-document matrix is ever held. Its sign is chosen so that its
    largest entry in absolute value is positive (the removal
    ``x - (x.u) u`` does not depend on it).

    The SIF weights are computed once; a block's document frequencies are
    the column counts of its weighted matrix (the weights are never 0), so
    each block makes one weighted copy of its counts and nothing of the
    vocabulary's size but that copy's column pointers.
    """
    n_words, dim = W.shape
    df = np.zeros(n_words, dtype=np.int64)
    gram = np.zeros((dim, dim), dtype=np.float64)
    sif = sif_weights(word_counts, sif_alpha)
    n_rows = 0
    for _, counts in blocks:
        weights = scaled_columns(counts, sif).tocsc()
        df += np.diff(weights.indptr)
        emb = sif_rows(counts, W, sif, weights=weights)
        weights = None
        emb = emb[np.any(emb != 0, axis=1)].astype(np.float64)
        gram += emb.T @ emb
        n_rows += emb.shape[0]
        counts = emb = None  # not held while the next block is read
    idf = np.log((1.0 + n_docs) / (1.0 + df)) + 1.0
    if n_rows < 2:
        return idf, np.zeros(dim, dtype=W.dtype)
    _, vecs = np.linalg.eigh(gram)
    u = vecs[:, -1]
    if u[np.argmax(np.abs(u))] < 0:
        u = -u
    return idf, u.astype(W.dtype)


def pool_blocks(blocks, n_docs, W, pooling, norm=None, **stats):
    """Pool every block of ``blocks`` into one ``(n_docs, n_components)`` array.

    ``blocks`` yields ``(first document, count matrix)``, or ``(first
    document, count matrix, extra rows)`` (see :func:`unseen_blocks`);
    ``stats`` are the keyword arguments of :func:`pool`. With ``norm="l2"``
    each non-zero row is scaled to unit length.
    """
    out = np.zeros((n_docs, W.shape[1]), dtype=W.dtype)
    for first, counts, *extra in blocks:
        out[first:first + counts.shape[0]] = pool(counts, W, pooling, **stats,
                                                  extra=extra[0] if extra else None)
    if norm == "l2":
        n = np.linalg.norm(out, axis=1)
        nz = n > 0
        out[nz] /= n[nz, None]
    return out


def unseen_composer(spec, tokens, vectors_ngrams, dtype):
    """A function giving the composed vectors of some of ``tokens``.

    Parameters
    ----------
    spec : SubwordSpec
    tokens : sequence of str
        The unseen tokens (none of them in the vocabulary).
    vectors_ngrams : ndarray of shape (n_buckets, n_components)
        The n-gram bucket rows.
    dtype : dtype
        Type of the returned rows.

    Returns
    -------
    compose_unseen : callable
        ``compose_unseen(indices)`` gives, for the tokens ``tokens[i]`` of
        ``indices``, their vectors (the mean of their n-gram rows, repeats
        counted) as an ndarray of shape (len(indices), n_components), and an
        ndarray of bool telling which have an n-gram (the others get a zero
        row).
    """
    def compose_unseen(indices):
        M = composition_matrix(spec, [tokens[i] for i in indices], own_rows=None, n_own=0,
                               dtype=vectors_ngrams.dtype)
        return compose(M, vectors_ngrams).astype(dtype, copy=False), np.diff(M.indptr) > 0

    return compose_unseen


def unseen_blocks(blocks, n_words, compose_unseen):
    """Blocks of counts with their unseen tokens' composed rows, composed block by block.

    Parameters
    ----------
    blocks : iterable of (int, scipy.sparse.csr_matrix)
        ``(first document, counts)`` whose columns ``n_words + k`` count the
        unseen token ``k`` (see :func:`~skw2v._data.store.document_blocks`).
    n_words : int
        Size of the vocabulary.
    compose_unseen : callable
        See :func:`unseen_composer`.

    Yields
    ------
    first : int
    counts : scipy.sparse.csr_matrix of shape (n_block_documents, n_words + n_extra)
        The block's counts with its unseen tokens renumbered ``n_words``,
        ``n_words + 1``, ... in order, and those without an n-gram (no
        vector) left out.
    extra : ndarray of shape (n_extra, n_components)
        Their composed vectors. Only the unseen tokens of one block are
        composed at a time, so memory stays bounded by the block.
    """
    for first, counts in blocks:
        cols = counts.indices
        new = cols >= n_words
        used = np.unique(cols[new]) - n_words
        extra, ok = compose_unseen(used)
        column = np.full(used.size, -1, dtype=np.int64)
        column[ok] = n_words + np.arange(int(ok.sum()))
        mapped = cols.astype(np.int64)
        mapped[new] = column[np.searchsorted(used, cols[new] - n_words)]
        keep = mapped >= 0
        row_of = np.repeat(np.arange(counts.shape[0]), np.diff(counts.indptr))
        indptr = np.zeros(counts.shape[0] + 1, dtype=np.int64)
        np.cumsum(np.bincount(row_of[keep], minlength=counts.shape[0]), out=indptr[1:])
        kept = sp.csr_matrix((counts.data[keep], mapped[keep], indptr),
                             shape=(counts.shape[0], n_words + int(ok.sum())))
        yield first, kept, extra[ok]
