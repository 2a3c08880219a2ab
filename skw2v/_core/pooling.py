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

from .subwords import compose, composition_matrix

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
        p = word_counts / word_counts.sum()
        sif = sif_alpha / (sif_alpha + p)
        if n_extra:  # p(w) = 0
            sif = np.concatenate((sif, np.ones(n_extra)))
        weights = counts @ sp.diags(sif)
    out = sparse_dot(weights, W, extra=extra)
    if pooling != "sum":
        denom = np.asarray((weights if pooling == "tfidf" else counts).sum(axis=1)).ravel()
        nz = denom > 0
        out[nz] /= denom[nz, None]
    if pooling == "sif" and sif_component is not None:
        u = sif_component.astype(np.float64)
        out -= np.outer(out @ u, u)
    return out.astype(W.dtype)


def sparse_dot(weights, W, block_rows=16384, extra=None):
    """``weights @ W`` in float64, reading ``W`` in blocks of rows.

    Only the rows of words that occur are converted, one block at a time,
    so memory stays at one float64 block of ``W`` however many words the
    documents use. With ``extra``, the columns of ``weights`` after
    ``W``'s rows weigh the rows of ``extra``.
    """
    weights = sp.csc_matrix(weights)
    out = np.zeros((weights.shape[0], W.shape[1]), dtype=np.float64)
    n = W.shape[0]
    for a in range(0, n, block_rows):
        part = weights[:, a:min(a + block_rows, n)]
        if part.nnz:
            used = np.flatnonzero(np.diff(part.indptr))
            out += part[:, used] @ W[a + used].astype(np.float64)
    if extra is not None and extra.shape[0]:
        out += weights[:, n:] @ extra.astype(np.float64)
    return out


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
    """
    n_words, dim = W.shape
    df = np.zeros(n_words, dtype=np.int64)
    gram = np.zeros((dim, dim), dtype=np.float64)
    n_rows = 0
    for _, counts in blocks:
        df += np.bincount(counts.indices, minlength=n_words)
        emb = pool(counts, W, "sif", word_counts=word_counts, sif_alpha=sif_alpha)
        emb = emb[np.any(emb != 0, axis=1)].astype(np.float64)
        gram += emb.T @ emb
        n_rows += emb.shape[0]
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
