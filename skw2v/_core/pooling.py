"""Documents as rows: pooling word vectors over sparse count matrices.

Pure array code (NumPy and SciPy). Documents arrive as CSR count matrices, one
block of documents at a time, so memory stays bounded however long the corpus.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

POOLINGS = ("mean", "sum", "max", "tfidf", "sif")


def pool(counts, W, pooling, *, idf=None, word_counts=None, sif_alpha=None,
          sif_component=None):
    """Pool word vectors ``W`` over the documents of a count matrix.

    Parameters
    ----------
    counts : scipy.sparse.csr_matrix of shape (n_documents, n_words)
        Token counts (duplicates summed, indices sorted).
    W : ndarray of shape (n_words, n_components)
    pooling : {"mean", "sum", "max", "tfidf", "sif"}
    idf, word_counts, sif_alpha, sif_component
        Statistics needed by ``"tfidf"`` and ``"sif"``; with
        ``sif_component=None`` the SIF rows are returned before the common
        component is removed.

    Returns
    -------
    X : ndarray of shape (n_documents, n_components), dtype of ``W``
    """
    n_docs = counts.shape[0]
    if pooling == "max":
        out = np.zeros((n_docs, W.shape[1]), dtype=W.dtype)
        rows = np.flatnonzero(np.diff(counts.indptr))
        if rows.size:
            out[rows] = np.maximum.reduceat(W[counts.indices], counts.indptr[rows], axis=0)
        return out
    if pooling in ("sum", "mean"):
        weights = counts
    elif pooling == "tfidf":
        weights = counts @ sp.diags(idf)
    else:  # sif: a / (a + p(w)), averaged over the document's tokens
        p = word_counts / word_counts.sum()
        weights = counts @ sp.diags(sif_alpha / (sif_alpha + p))
    out = sparse_dot(weights, W)
    if pooling != "sum":
        denom = np.asarray((weights if pooling == "tfidf" else counts).sum(axis=1)).ravel()
        nz = denom > 0
        out[nz] /= denom[nz, None]
    if pooling == "sif" and sif_component is not None:
        u = sif_component.astype(np.float64)
        out -= np.outer(out @ u, u)
    return out.astype(W.dtype)


def sparse_dot(weights, W, block_rows=16384):
    """``weights @ W`` in float64, reading ``W`` in blocks of rows.

    Only the rows of words that occur are converted, one block at a time,
    so memory stays at one float64 block of ``W`` however many words the
    documents use.
    """
    weights = sp.csc_matrix(weights)
    out = np.zeros((weights.shape[0], W.shape[1]), dtype=np.float64)
    for a in range(0, W.shape[0], block_rows):
        part = weights[:, a:a + block_rows]
        if part.nnz:
            used = np.flatnonzero(np.diff(part.indptr))
            out += part[:, used] @ W[a + used].astype(np.float64)
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

    ``blocks`` yields ``(first document, count matrix)``; ``stats`` are the
    keyword arguments of :func:`pool`. With ``norm="l2"`` each non-zero row
    is scaled to unit length.
    """
    out = np.zeros((n_docs, W.shape[1]), dtype=W.dtype)
    for first, counts in blocks:
        out[first:first + counts.shape[0]] = pool(counts, W, pooling, **stats)
    if norm == "l2":
        n = np.linalg.norm(out, axis=1)
        nz = n > 0
        out[nz] /= n[nz, None]
    return out
