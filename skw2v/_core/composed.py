"""Composed (subword) input vectors in training: gathered and updated batch by batch.

With subwords, the input matrix ``W`` has ``n_rows = n_words + n_buckets``
rows (the words' own rows, then the n-gram buckets), and word ``w``'s input
vector is the composed vector ``v_w = M[w] @ W``, where ``M`` is
:func:`~skw2v._core.subwords.vocabulary_composition`: ``M[w, r] = B[w, r] /
m_w``, with ``B[w, r]`` the number of times word ``w`` uses row ``r`` (its own
row once, each n-gram's bucket once per occurrence) and ``m_w = sum_r B[w, r]``.
The :class:`Incidence` holds both ``M`` and ``B`` in one CSR structure.

A batch gathers the composed vectors of its unique input words with one
sparse product, ``V = M[U] @ W`` (:func:`gather`), and uses them where a plain
model uses the rows ``W[U]``. The loss then gives, for each unique word, its
summed step ``s_w = -lr * sum_pairs dJ/dv_w`` and the summed curvature bound
``C_w`` of its pairs along ``v_w`` (see
:meth:`~skw2v.losses.SkipGramLoss.curvature`).

The update rule (:func:`scatter`) is the exact gradient times a diagonal
preconditioner. The exact gradient of the batch loss ``J`` with respect to
the input matrix is ``dJ/dW = M^T G`` (``G`` the rows ``dJ/dv_w``), so a plain
gradient step would move each row by ``-lr * sum_w (B[w, r] / m_w) g_w``, and
a word's composed vector by only ``1 / m_w`` of the step a plain word2vec
row takes (``v_w`` averages ``m_w`` rows that each move ``1 / m_w`` as far):
subword models would learn ``m_w`` (about 20) times slower. Like fastText and
gensim, skw2v scales each word's gradient by ``m_w``, the diagonal
preconditioner ``D = diag(m_w)`` on the words' composed-vector gradients::

    dW = -lr * M^T D G = B^T S,    S = -lr * G    (rows s_w)
    row r moves by  sum_w B[w, r] * s_w

For a word alone in its rows, ``D`` is ``(J_w J_w^T)^{-1}`` with ``J_w =
dv_w/dW = M[w]`` (when its n-grams do not repeat), so ``B[w]^T s_w`` is the
smallest change of ``W`` that moves ``v_w`` by exactly ``s_w``: the composed
vector takes the step a plain word2vec row would. Where words share rows,
their steps add up, as fastText's do.

The step of each row is then bounded as a plain row's is
(:func:`~skw2v._core.rowsum.bound_steps`): its curvature bound is
``sum_w B[w, r] * C_w``, so a row whose summed ``lr * C`` exceeds 1 gets the
Newton step along it instead. A bucket row shared by many words of one batch
(a common suffix, or an adversarial corpus of many words with one n-gram)
therefore cannot take an unbounded step, exactly as a plain row repeated
many times in a batch cannot. For a word whose rows no other word of the
batch uses (and whose n-grams do not repeat), every row gets ``s_w`` and the
bound ``C_w``, the step and the bound a plain row would get: the rule
reduces to plain word2vec's.

Everything is vectorised: one plan per chunk of batches
(:func:`composed_plan`: the incidence rows of each batch's unique words, and
the sum plan of their entries by row), one sparse product per batch for the
gather and one for the scatter; no Python loop over words or n-grams.
Pure NumPy and SciPy.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from scipy.sparse import csr_array as _csr_array

from .._compat import scipy_csr_kernels
from .rowsum import add_to_rows, bound_steps, row_sums, sum_plan

_csr_matvec, _csr_matvecs = scipy_csr_kernels()


class Incidence(NamedTuple):
    """The rows of a subword input matrix that make up each word's composed vector.

    A CSR structure over ``n_words`` words and ``n_rows`` rows with two sets
    of values: ``weights`` (the composition ``M``, ``c / m_w``) and
    ``counts`` (``B``, how often word ``w`` uses the row). Each word's
    entries are sorted by row, its own row first.

    Attributes
    ----------
    indptr : ndarray of int of shape (n_words + 1,)
    indices : ndarray of int
        Row of each entry.
    weights : ndarray of float
        ``M[w, r]``, in the input matrix's dtype.
    counts : ndarray of float
        ``B[w, r]`` (whole numbers), in the same dtype.
    n_rows : int
        Rows of the input matrix (``n_words + n_buckets``).
    """

    indptr: np.ndarray
    indices: np.ndarray
    weights: np.ndarray
    counts: np.ndarray
    n_rows: int

    @property
    def n_words(self):
        """Number of words."""
        return self.indptr.size - 1

    def composition(self):
        """``M`` as a :class:`scipy.sparse.csr_array` of shape (n_words, n_rows)."""
        return _csr_array((self.weights, self.indices, self.indptr),
                          shape=(self.n_words, self.n_rows))

    def compose(self, W):
        """The composed vectors ``M @ W`` of all the words (n_words x n_features)."""
        return np.asarray(self.composition() @ W, dtype=W.dtype)

    def row_counts(self, word_counts):
        """``word_counts @ B``: how often each row is used by words counted ``word_counts``.

        Parameters
        ----------
        word_counts : ndarray of shape (n_words,) or (k, n_words)

        Returns
        -------
        counts : ndarray of float64 of shape (n_rows,) or (k, n_rows)
        """
        B = _csr_array((self.counts.astype(np.float64), self.indices, self.indptr),
                       shape=(self.n_words, self.n_rows))
        c = np.asarray(word_counts, dtype=np.float64)
        return np.asarray((B.T @ c.T).T)


def vocabulary_incidence(spec, words, dtype=np.float32):
    """The :class:`Incidence` of a vocabulary: word ``i`` owns row ``i``, buckets follow.

    ``weights`` equal the data of
    :func:`~skw2v._core.subwords.vocabulary_composition` bit for bit (same
    structure, same arithmetic).

    Parameters
    ----------
    spec : SubwordSpec
    words : sequence of str
    dtype : dtype, default=float32

    Returns
    -------
    incidence : Incidence
    """
    n = len(words)
    buckets = spec.ngram_buckets(words)  # (n, n_buckets), sorted, counts of repeats
    per_word = np.diff(buckets.indptr).astype(np.int64) + 1
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(per_word, out=indptr[1:])
    n_rows = n + spec.n_buckets
    nnz = int(indptr[-1])
    index = np.int32 if max(n_rows, nnz) < 1 << 31 else np.int64
    indices = np.empty(nnz, dtype=index)
    counts = np.empty(nnz, dtype=np.int64)
    own = indptr[:-1]
    is_own = np.zeros(nnz, dtype=bool)
    is_own[own] = True
    indices[own] = np.arange(n)
    counts[own] = 1
    indices[~is_own] = buckets.indices.astype(np.int64) + n
    counts[~is_own] = buckets.data
    # as composition_matrix computes M: count / m_w, m_w summed in the dtype
    data = counts.astype(dtype)
    total = np.add.reduceat(data, own) if nnz else np.zeros(0, dtype=dtype)
    scale = np.divide(1.0, total.astype(np.float64)).astype(dtype)
    weights = data * np.repeat(scale, per_word)
    return Incidence(indptr.astype(index), indices, weights, data, n_rows)


def concatenated_ranges(starts, lengths):
    """The concatenation of ``arange(s, s + n)`` for each ``s, n`` (as intp)."""
    total = int(lengths.sum())
    ends = np.cumsum(lengths)
    return np.repeat(starts - (ends - lengths), lengths) + np.arange(total)


class ComposedPlan(NamedTuple):
    """How the composed input vectors of consecutive batches are gathered and updated.

    Built once for a chunk of batches by :func:`composed_plan`. Batch ``i``'s
    unique input words are ``words[word_ptr[i]:word_ptr[i + 1]]``
    (increasing); word ``k``'s incidence entries are
    ``entry_ptr[k]:entry_ptr[k + 1]`` of ``entry_rows`` and
    ``entry_weights`` (the gather matrix of a batch is a CSR slice of
    these). ``sums`` is the :class:`~skw2v._core.rowsum.SumPlan` of the
    entries by (batch, row): batch ``i`` updates the rows
    ``sums.rows[sums.uptr[i]:sums.uptr[i + 1]]``, and the sorted entries
    ``sums.ptr[i]:sums.ptr[i + 1]`` have the word ``entry_word`` (counted from
    the batch's first word) and the count ``entry_counts``.
    """

    words: np.ndarray
    word_ptr: np.ndarray
    entry_ptr: np.ndarray
    entry_rows: np.ndarray
    entry_weights: np.ndarray
    sums: object
    entry_word: np.ndarray
    entry_counts: np.ndarray
    n_rows: int


def composed_plan(incidence, words, word_ptr):
    """:class:`ComposedPlan` of batches with the unique input words ``words``.

    Parameters
    ----------
    incidence : Incidence
    words : ndarray of int
        The unique input words of each batch, batch after batch, increasing
        within a batch.
    word_ptr : ndarray of int of shape (n_batches + 1,)
        Batch ``i``'s words are ``words[word_ptr[i]:word_ptr[i + 1]]``.

    Returns
    -------
    plan : ComposedPlan
    """
    words = np.asarray(words, dtype=np.intp)
    word_ptr = np.asarray(word_ptr, dtype=np.intp)
    n_batches = word_ptr.size - 1
    first = incidence.indptr[words].astype(np.intp)
    lengths = incidence.indptr[words + 1].astype(np.intp) - first
    entry_ptr = np.zeros(words.size + 1, dtype=np.intp)
    np.cumsum(lengths, out=entry_ptr[1:])
    n_entries = int(entry_ptr[-1])
    index = np.int32 if max(incidence.n_rows, n_entries) < 1 << 31 else np.int64
    at = concatenated_ranges(first, lengths)
    entry_rows = incidence.indices[at].astype(index, copy=False)
    entry_weights = incidence.weights[at]
    counts = incidence.counts[at]
    # the entries of each batch, and their position within it (increasing)
    batch_entries = entry_ptr[word_ptr]
    per_batch = np.diff(batch_entries)
    entry_batch = np.repeat(np.arange(n_batches), per_batch)
    position = np.arange(n_entries) - np.repeat(batch_entries[:-1], per_batch)
    empty = np.zeros(0, dtype=np.intp)
    sums = sum_plan(entry_rows, entry_batch, batch_entries, position, incidence.n_rows,
                    empty, empty, np.zeros(n_batches + 1, dtype=np.intp), empty, 1,
                    increasing_columns=True)
    # each sorted entry's word (within its batch) and count
    entry = sums.columns.astype(np.intp) + np.repeat(batch_entries[:-1], per_batch)
    word_of_entry = np.repeat(np.arange(words.size) - np.repeat(word_ptr[:-1],
                                                                np.diff(word_ptr)), lengths)
    entry_word = word_of_entry[entry].astype(sums.starts.dtype)
    return ComposedPlan(words, word_ptr, entry_ptr.astype(index), entry_rows, entry_weights,
                        sums, entry_word, counts[entry], incidence.n_rows)


def _product(indptr, indices, data, n_cols, X):
    """``csr(data, indices, indptr) @ X`` for a dense 2-D (or 1-D) ``X``, in X's dtype.

    SciPy's own compiled kernel when it is available (checked bit for bit
    against ``csr_array`` in :mod:`skw2v._compat`), else ``csr_array``.
    """
    n = indptr.size - 1
    fast = (_csr_matvecs is not None and indptr.dtype == indices.dtype
            and data.dtype == X.dtype and X.flags.c_contiguous)
    if not fast:
        return np.asarray(_csr_array((data, indices, indptr), shape=(n, n_cols)) @ X)
    if X.ndim == 1:
        out = np.zeros(n, dtype=X.dtype)
        _csr_matvec(n, n_cols, indptr, indices, data, X, out)
    else:
        out = np.zeros((n, X.shape[1]), dtype=X.dtype)
        _csr_matvecs(n, n_cols, X.shape[1], indptr, indices, data, X.reshape(-1),
                     out.reshape(-1))
    return out


def gather(W, plan, i):
    """The composed vectors ``M[U] @ W`` of batch ``i``'s unique input words ``U``.

    Returns
    -------
    V : ndarray of shape (len(U), n_features), in ``W``'s dtype
    """
    a, b = int(plan.word_ptr[i]), int(plan.word_ptr[i + 1])
    e0, e1 = int(plan.entry_ptr[a]), int(plan.entry_ptr[b])
    return _product(plan.entry_ptr[a:b + 1] - e0, plan.entry_rows[e0:e1],
                    plan.entry_weights[e0:e1], W.shape[0], np.asarray(W))


def scatter(W, plan, i, steps, scaled_curvature=None):
    """Add the words' steps to their rows, each row's step bounded (see the module).

    Row ``r`` of ``W`` moves by ``sum_w B[w, r] * steps[w]`` over batch
    ``i``'s unique words, bounded by :func:`~skw2v._core.rowsum.bound_steps`
    with the curvature ``sum_w B[w, r] * scaled_curvature[w]``.

    Parameters
    ----------
    W : ndarray of shape (n_rows, n_features)
        Modified in place.
    plan : ComposedPlan
    i : int
        The batch.
    steps : ndarray of shape (n_unique_words, n_features)
        ``-lr`` times each word's summed gradient.
    scaled_curvature : ndarray of shape (n_unique_words,) or None
        ``-lr`` (or ``lr``) times each word's summed curvature bound; None for
        unbounded steps (a loss without curvature).
    """
    sums = plan.sums
    u0, u1 = int(sums.uptr[i]), int(sums.uptr[i + 1])
    p0, p1 = int(sums.ptr[i]), int(sums.ptr[i + 1])
    indptr = sums.starts[u0:u1 + 1] - p0
    indices = plan.entry_word[p0:p1]
    data = plan.entry_counts[p0:p1]
    n_words = steps.shape[0]
    row_steps = _product(indptr, indices, data, n_words, np.ascontiguousarray(steps))
    if scaled_curvature is not None:
        # summed in the curvature's own precision: with one word per row and
        # a count of 1, each row gets its word's bound exactly
        curvature = np.ascontiguousarray(scaled_curvature)
        bounds = _product(indptr, indices, data.astype(curvature.dtype, copy=False), n_words,
                          curvature)
        bound_steps(row_steps, bounds)
    add_to_rows(W, sums.rows[u0:u1], row_steps)


def word_sums(inverse, values, scale, curvature=None, dtype=np.float32):
    """``scale`` times ``values`` and ``curvature`` summed by word (the generic path).

    The sums of :func:`~skw2v._core.rowsum.scatter_add`, in the same order
    and precision, so that a word made of its own row only is trained
    exactly as a plain word2vec row.

    Parameters
    ----------
    inverse : ndarray of int of shape (n,)
        The word of each row of ``values``: every one of ``0 .. n_words - 1``
        occurs (as ``np.unique``'s ``return_inverse`` gives).
    values : ndarray of shape (n, n_features)
    scale : float
    curvature : ndarray of shape (n,) or None
    dtype : dtype, default=float32
        Of the steps (the input matrix's).

    Returns
    -------
    steps : ndarray of shape (n_words, n_features)
    scaled_curvature : ndarray of float64 of shape (n_words,) or None
    """
    _, steps, scaled = row_sums(inverse, values, scale, curvature,
                                np.result_type(values.dtype, dtype))
    return steps, scaled


def composed_rows(W, incidence, ids):
    """Composed vectors of the words ``ids`` (repeats allowed) and their batch plan.

    Returns
    -------
    V : ndarray of shape (len(ids), n_features)
    inverse : ndarray of intp
        The unique word of each id.
    plan : ComposedPlan
        The one-batch plan of the unique words (for :func:`scatter`).
    """
    unique, inverse = np.unique(np.asarray(ids).ravel(), return_inverse=True)
    plan = composed_plan(incidence, unique, np.array([0, unique.size]))
    return gather(W, plan, 0).take(inverse, axis=0), inverse, plan
