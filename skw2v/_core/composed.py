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

Unlike fastText, a bucket row takes only :data:`NGRAM_STEP` (1/2) of that
step, ``beta_r`` below; a word's own row takes all of it. A bucket row is
shared by every word with that n-gram, so its summed step is the largest
and the noisiest; halving it lets each word's own row carry more of what is
particular to the word. Measured on 4M tokens of text8like (two seeds), it
raises semantic and syntactic analogies, WS353 and MEN together (the user
guide's "Training subword vectors" has the table)::

    row r moves by  beta_r * sum_w B[w, r] * s_w,   beta_r = 1 (own) or 1/2 (bucket)

The step of each row is then bounded as a plain row's is
(:func:`~skw2v._core.rowsum.bound_steps`): a row whose ``lr * C_r`` exceeds
1 gets the Newton step ``1 / C_r`` along it instead, with the curvature of
the row along its summed step::

    C_r = x_r * a_r * sum_w B[w, r] * C_w,
    a_r = |sum_w B[w, r] s_w|^2 / (sum_w B[w, r] |s_w|)^2   (in [0, 1])

where ``x_r`` is 1 for an own row and :data:`NGRAM_CURVATURE` (1/4) for a
bucket row: with its step halved, a bucket row over its bound moves at most
``beta_r / (x_r C_r) = 2 / C_r``, twice the Newton step of the unweighted
bound. That bound is conservative for a bucket row (``sum_w B[w, r] C_w``
counts each word's whole curvature, though the row is only one of the
``m_w`` rows that move ``v_w``); the weighted one still trains the
adversarial corpus of the tests, hundreds of words of a batch on one row at
``learning_rate=2.0``, with a falling loss.

``sum_w B[w, r] C_w`` bounds the curvature of the words' losses in any
direction (each ``C_w`` is the trace bound of word ``w``'s curvature). A
summed step overshoots by its *aligned* part: ``k`` words that push a shared
row the same way (``a_r = 1``) would together overshoot the minimum that
each of them is heading for, and get the Newton step of their summed
curvature; ``k`` steps in unrelated directions (``a_r`` about ``1 / k``) add
up to about ``sqrt(k)`` single steps, as ``k`` sequential SGD steps would,
and are bounded only by the curvature of their aligned part. A bucket row
shared by many words of one batch (a common suffix, or an adversarial corpus
of many words with one n-gram) therefore cannot take an unbounded step. A
row with a single entry has ``a_r = 1``, so a word's own row gets ``s_w``
and the bound ``C_w``, the step and the bound a plain row would get; for a
word without n-grams (shorter than ``min_n`` with its marks), the rule is
plain word2vec's, bit for bit.

Measured on the first 4M tokens of text8like (two seeds): the alignment
raises analogy accuracy by 1.6 to 1.7 points (syntactic 1.8 to 2.1, semantic
0.7 to 1.3) and WS353 and MEN by 0.01 to 0.016 over the plain trace bound
``a_r = 1``, and trains the adversarial corpus of ``tests`` as stably. The
curvature weighted by ``M`` instead of ``B`` (each row's Newton step taken as
if the word's other rows stood still) diverges on that corpus.

Everything is vectorised: one plan per chunk of batches
(:func:`composed_plan`: the incidence rows of each batch's unique words),
one sparse product per batch for the gather and in-place sums for the
scatter; no Python loop over words or n-grams. Pure NumPy and SciPy.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from scipy.sparse import csr_array as _csr_array

from .._compat import scipy_csc_kernels, scipy_csr_kernels
from .rowsum import MAX_STEP_CURVATURE, row_sums

#: The share of a word's step that each of its bucket (n-gram) rows takes; its
#: own row takes the whole step. See the module, and the measurements in the
#: user guide's "Training subword vectors".
NGRAM_STEP = 0.5
#: The weight of a bucket row's curvature in its step bound, relative to an own
#: row's (``x_r`` in the module). With :data:`NGRAM_STEP` = 1/2, a bucket row
#: over its bound moves at most twice the Newton step of its curvature bound.
NGRAM_CURVATURE = 0.25

_csr_matvec, _csr_matvecs = scipy_csr_kernels()
_csc_matvec, _csc_matvecs = scipy_csc_kernels()


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
    ``entry_ptr[k]:entry_ptr[k + 1]``: their rows ``entry_rows``, weights
    ``entry_weights`` (``M``), counts ``entry_counts`` (``B``), step weights
    ``entry_steps`` (``B`` times the row's share of the step: 1 for a word's
    own row, :data:`NGRAM_STEP` for a bucket), curvature weights
    ``entry_curvatures`` (``B`` times 1 or :data:`NGRAM_CURVATURE`) and word
    ``entry_word`` (counted from the batch's first word). A batch's gather
    matrix is a CSR slice of these, its scatter the same slice read as the
    CSC matrix of the transpose.
    """

    words: np.ndarray
    word_ptr: np.ndarray
    entry_ptr: np.ndarray
    entry_rows: np.ndarray
    entry_weights: np.ndarray
    entry_counts: np.ndarray
    entry_steps: np.ndarray
    entry_curvatures: np.ndarray
    entry_word: np.ndarray
    #: Whether batch ``i`` has an entry whose count is not 1 (a repeated n-gram).
    repeats: np.ndarray
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
    first = incidence.indptr[words].astype(np.intp)
    lengths = incidence.indptr[words + 1].astype(np.intp) - first
    entry_ptr = np.zeros(words.size + 1, dtype=np.intp)
    np.cumsum(lengths, out=entry_ptr[1:])
    index = np.int32 if max(incidence.n_rows, int(entry_ptr[-1])) < 1 << 31 else np.int64
    at = concatenated_ranges(first, lengths)
    in_batch = np.arange(words.size) - np.repeat(word_ptr[:-1], np.diff(word_ptr))
    counts = incidence.counts[at]
    repeated = np.zeros(at.size + 1, dtype=np.intp)
    np.cumsum(counts != 1, out=repeated[1:])
    batch_entries = entry_ptr[word_ptr]
    repeats = repeated[batch_entries[1:]] > repeated[batch_entries[:-1]]
    own = entry_ptr[:-1]  # each word's first entry is its own row
    steps = counts * counts.dtype.type(NGRAM_STEP)
    steps[own] = counts[own]
    curvatures = counts * counts.dtype.type(NGRAM_CURVATURE)
    curvatures[own] = counts[own]
    return ComposedPlan(words, word_ptr, entry_ptr.astype(index),
                        incidence.indices[at].astype(index, copy=False),
                        incidence.weights[at], counts, steps, curvatures,
                        np.repeat(in_batch, lengths), repeats, incidence.n_rows)


class RowSums:
    """A zero vector over all the rows of the input matrix, one per dtype, for row sums.

    :func:`scatter` adds each entry's curvature into it, reads the sums at
    the batch's rows and sets them back to zero: a row sum costs the
    entries, not a sort and not the matrix. One per worker (not thread-safe).
    """

    def __init__(self, n_rows):
        self.n_rows = n_rows
        self._buffers = {}

    def buffer(self, dtype):
        """The zero vector of ``dtype`` (kept at zero between uses)."""
        dtype = np.dtype(dtype)
        if dtype not in self._buffers:
            self._buffers[dtype] = np.zeros(self.n_rows, dtype=dtype)
        return self._buffers[dtype]


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


_ONES = {}


def _ones(n, dtype):
    """A read-only vector of ``n`` ones (a slice of a cached one)."""
    ones = _ONES.get(dtype)
    if ones is None or ones.size < n:
        ones = np.ones(max(n, 1 << 16), dtype=dtype)
        ones.flags.writeable = False
        _ONES[dtype] = ones
    return ones[:n]


def _add_at(Y, rows, X, columns=None, ptr=None, weights=None):
    """``np.add.at(Y, rows, weights * X[columns])`` (``X`` itself without ``columns``), in place.

    ``columns`` is non-decreasing (the CSC order of the entries); ``ptr``,
    if given, holds where each column's entries start (and the end).
    ``weights`` (one per entry, 1 when None) are 1 or a power of two for
    nearly every entry here (an own row, or a bucket used once), whose
    products are exact; a repeated n-gram's weight (``NGRAM_STEP`` times its
    count) rounds its product once, in both paths. Runs SciPy's compiled
    kernel, which sums in the same order with the same roundings (see
    :func:`skw2v._compat.scipy_csc_kernels`; the tests compare both paths
    bit for bit, repeated n-grams included), when ``Y`` is a C-contiguous
    array of ``X``'s dtype.
    """
    n = rows.size
    if n == 0:
        return
    target = np.asarray(Y)
    fast = (_csc_matvecs is not None and target.flags.c_contiguous and target.flags.writeable
            and target.dtype == X.dtype and X.flags.c_contiguous
            and target.dtype in (np.float32, np.float64))
    if not fast:
        values = X if columns is None else X[columns]
        if weights is not None:
            w = np.asarray(weights, dtype=values.dtype)
            values = values * (w[:, None] if values.ndim == 2 else w)
        np.add.at(Y, rows, values)
        return
    if columns is None:
        ptr, n_cols = np.arange(n + 1, dtype=rows.dtype), n
    else:
        n_cols = X.shape[0]
        if ptr is None:
            ptr = np.searchsorted(columns, np.arange(n_cols + 1))
        ptr = ptr.astype(rows.dtype, copy=False)
    data = (_ones(n, target.dtype) if weights is None
            else np.ascontiguousarray(weights, dtype=target.dtype))
    if target.ndim == 1:
        _csc_matvec(target.shape[0], n_cols, ptr, rows, data, X, target)
    else:
        _csc_matvecs(target.shape[0], n_cols, target.shape[1], ptr, rows, data, X.reshape(-1),
                     target.reshape(-1))


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


def scatter(W, plan, i, steps, scaled_curvature=None, row_sums=None):
    """Add the words' steps to their rows, each row's step bounded (see the module).

    Row ``r`` of ``W`` moves by ``f_r * beta_r * sum_w B[w, r] * steps[w]``
    over batch ``i``'s unique words, where ``beta_r`` is 1 for a word's own
    row and :data:`NGRAM_STEP` for a bucket row, and ``f_r`` is the factor
    of :func:`~skw2v._core.rowsum.bound_steps` for the row's curvature
    ``x_r * a_r * sum_w B[w, r] * scaled_curvature[w]`` (1 unless it exceeds
    :data:`~skw2v._core.rowsum.MAX_STEP_CURVATURE`), with ``x_r`` 1 for an
    own row and :data:`NGRAM_CURVATURE` for a bucket, and ``a_r`` the
    alignment of the row's entries (1 for a row with one entry; see the
    module).

    The entries are added into ``W`` in place, weighted by ``beta_r B[w, r]``
    (exact products: 1 for nearly every own row, 1/2 for nearly every
    bucket) in one compiled sum; the few rows over their bound are scaled
    first (the same product ``bound_steps`` takes). A word's own row, used
    by it alone, therefore gets exactly the value a plain word2vec row gets
    from ``bound_steps`` and an add.

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
    row_sums : RowSums or None
        The worker's row-sum buffer (one is made when None).
    """
    a, b = int(plan.word_ptr[i]), int(plan.word_ptr[i + 1])
    e0, e1 = int(plan.entry_ptr[a]), int(plan.entry_ptr[b])
    rows = plan.entry_rows[e0:e1]
    word = plan.entry_word[e0:e1]
    ptr = plan.entry_ptr[a:b + 1] - e0
    # the counts B[w, r], where some differ from 1 (a repeated n-gram)
    counts = plan.entry_counts[e0:e1] if plan.repeats[i] else None
    weight = plan.entry_steps[e0:e1]
    big = excess = None
    if scaled_curvature is not None:
        curvature = np.ascontiguousarray(scaled_curvature)
        if row_sums is None:
            row_sums = RowSums(plan.n_rows)
        buffer = row_sums.buffer(curvature.dtype)
        # each row's curvature, summed in the curvature's own precision
        _add_at(buffer, rows, curvature, word, ptr, weights=plan.entry_curvatures[e0:e1])
        excess = buffer.take(rows)
        buffer[rows] = 0
        np.abs(excess, out=excess)
        aligned = _alignment(buffer, rows, word, counts, steps)
        if aligned is not None:  # rows that several entries share
            shared, alignment = aligned
            excess[shared] = (excess[shared] * alignment).astype(excess.dtype, copy=False)
        big = np.flatnonzero(excess > MAX_STEP_CURVATURE)
    steps = np.asarray(steps)
    add = np.ascontiguousarray(steps, dtype=W.dtype)
    if big is None or big.size == 0:
        _add_at(W, rows, add, word, ptr, weights=weight)
        return
    # the rows over their bound: weight beta_r B[w, r] f_r, the product taken first
    capped = weight[big].astype(steps.dtype)
    capped *= np.divide(MAX_STEP_CURVATURE, excess[big]).astype(steps.dtype, copy=False)
    rest = np.ones(e1 - e0, dtype=bool)
    rest[big] = False
    _add_at(W, rows[rest], add, word[rest], weights=weight[rest])
    capped_steps = steps.take(word[big], axis=0)
    capped_steps *= capped[:, None]
    _add_at(W, rows[big], np.ascontiguousarray(capped_steps, dtype=W.dtype))


def _alignment(buffer, rows, word, counts, steps):
    """The alignment of the steps that share a row: ``|sum_e x_e|^2 / (sum_e |x_e|)^2``.

    ``x_e = B[w, r] * steps[w]`` are the entries of row ``r``. The alignment
    is 1 when they point the same way (one entry included) and about
    ``1 / k`` for ``k`` entries in unrelated directions. The zero ``buffer``
    counts the entries of each row, then gives each shared row a slot (the
    position of one of its entries, the same for all of them, whichever
    write lands last), so the entries are summed by slot without a sort; it
    is left at zero.

    Returns
    -------
    shared : ndarray of intp or None
        The entries whose row has several entries (None if there are none).
    alignment : ndarray of float64
        Their row's alignment.
    """
    _add_at(buffer, rows, _ones(rows.size, buffer.dtype))
    shared = np.flatnonzero(buffer.take(rows) > 1)
    if shared.size == 0:
        buffer[rows] = 0
        return None
    shared_rows = rows[shared]
    buffer[shared_rows] = np.arange(shared.size, dtype=buffer.dtype)
    slot = buffer.take(shared_rows).astype(rows.dtype)
    buffer[rows] = 0
    steps = np.ascontiguousarray(steps)
    of_word = word[shared]
    lengths = np.sqrt(np.einsum("ij,ij->i", steps, steps).astype(np.float64)).take(of_word)
    summed = np.zeros((shared.size, steps.shape[1]), dtype=steps.dtype)
    if counts is None:  # the entries are the steps of their words (in word order)
        _add_at(summed, slot, steps, of_word)
    else:
        weight = counts[shared]
        _add_at(summed, slot, steps.take(of_word, axis=0) * weight.astype(steps.dtype)[:, None])
        lengths *= weight
    total = np.zeros(shared.size)
    _add_at(total, slot, lengths)
    squared = np.einsum("ij,ij->i", summed, summed).astype(np.float64).take(slot)
    total = total.take(slot)
    alignment = np.divide(squared, total * total, out=np.ones(shared.size), where=total > 0)
    return shared, np.minimum(alignment, 1.0)


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
