"""Row sums: many gradient rows added to a matrix by row id, each row's step bounded.

A mini-batch scatters its gradient rows into the weight matrices; rows that
the batch repeats are summed first (one sparse product per batch), and each
summed step is bounded by the curvature of the loss along that row
(:func:`bound_steps`). Pure NumPy and SciPy; :func:`scatter_add` is the
general form, :class:`SumPlan` the precomputed one the fused kernel uses for a
chunk of batches at once.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from scipy.sparse import csr_array as _csr_array

from .._compat import scipy_csr_kernels

_csr_matvec, _csr_matvecs = scipy_csr_kernels()


def run_starts(a):
    """Where each run of equal values of ``a`` starts, and ``len(a)`` at the end.

    Returns an index array ``starts`` of length ``n_runs + 1``: run ``r`` is
    ``a[starts[r]:starts[r + 1]]``.
    """
    n = a.size
    first = np.empty(n + 1, dtype=bool)
    first[0] = first[n] = True
    np.not_equal(a[1:], a[:-1], out=first[1:n])
    return np.flatnonzero(first)


def store_rows(W, rows, new):
    """``W[rows] = new`` for distinct ``rows``, each row stored as one item.

    A 1-D fancy store of ``n_features``-wide items, faster than NumPy's 2-D
    one; the same values are written.
    """
    if W.ndim == 2 and W.shape[1] and W.flags.c_contiguous and new.flags.c_contiguous:
        item = np.dtype((np.void, W.shape[1] * W.itemsize))
        W.view(item).reshape(-1)[rows] = new.view(item).reshape(-1)
    else:
        W[rows] = new


#: Largest ``lr * C`` that one batch's summed step of a row may reach, where
#: ``C`` is the curvature of the batch loss along that row; see
#: :func:`bound_steps`.
MAX_STEP_CURVATURE = 1.0


def curvature_weights(g: np.ndarray) -> np.ndarray:
    """Second-derivative weights of scores with gradients ``g = rho - y``.

    For a logistic or softmax score with predicted probability ``rho`` and
    target ``y`` in {0, 1}, the gradient of the loss is ``g = rho - y`` and
    its second derivative ``rho (1 - rho) = |g| (1 - |g|)``. Where the
    prediction is confidently wrong (``|g| > 3/4``) that curvature vanishes
    while the gradient is at its largest, and the quadratic model of the
    loss no longer says how far a step may go; there the weight is floored
    at ``|g| / 4``. So the weight is ``|g| max(1 - |g|, 1/4)``: the true
    curvature whenever ``|g| <= 3/4``, never less.

    Parameters
    ----------
    g : ndarray
        Gradients of the loss with respect to the scores.

    Returns
    -------
    h : ndarray of the same shape
    """
    h = np.abs(g)
    h *= np.maximum(1.0 - h, 0.25)
    return h


def bound_steps(steps: np.ndarray, scaled_curvature: np.ndarray) -> None:
    """Bound each row's summed step by its curvature, in place.

    Mini-batch SGD sums the gradients of all the pairs of a batch before it
    updates a row. A row that the batch repeats ``n`` times gets ``n`` stale
    gradients in one step, where sequential SGD takes ``n`` small steps that
    each see the previous one. When ``lr * C_r`` exceeds 1, where ``C_r`` is
    the curvature of the batch loss along row ``r`` (the trace of its
    Hessian block, with the weights of :func:`curvature_weights`), the
    summed step overshoots the minimum along that row, as sequential SGD
    would not, and repeated overshoots make the vectors grow without bound.
    Such rows get ``steps[r] / (lr * C_r)``: the Newton step along that
    curvature, where sequential SGD would have ended up too. Every other
    row keeps its step exactly.

    Parameters
    ----------
    steps : ndarray of shape (n_rows, n_features)
        ``-lr`` times the summed gradient of each row. Modified in place.
    scaled_curvature : ndarray of shape (n_rows,)
        ``-lr`` (or ``lr``) times the summed curvature ``C_r`` of each row.
    """
    excess = np.abs(scaled_curvature)
    big = np.flatnonzero(excess > MAX_STEP_CURVATURE)
    if big.size:
        factor = np.divide(MAX_STEP_CURVATURE, excess[big]).astype(steps.dtype, copy=False)
        # what steps[big] *= factor does, the rows stored back as whole items
        rows = steps.take(big, axis=0)
        rows *= factor[:, None]
        store_rows(steps, big, rows)


def scatter_add(target: np.ndarray, rows: np.ndarray, values: np.ndarray, scale=1.0,
                curvature: np.ndarray | None = None) -> None:
    """Add ``scale * values[i]`` to ``target[rows[i]]``, accumulating repeats.

    ``target[rows] += values`` silently keeps only one of several updates to
    the same row; this function applies all of them.

    Parameters
    ----------
    target : ndarray of shape (n_rows, n_features)
        Modified in place.
    rows : ndarray of int of shape (n,)
        Row ids, repeats allowed.
    values : ndarray of shape (n, n_features)
        Row updates.
    scale : float, default=1.0
        Multiplier applied to ``values`` (``-lr`` for an SGD step).
    curvature : ndarray of shape (n,), default=None
        Curvature bound of each update (see :meth:`SkipGramLoss.curvature`).
        When given, each row's summed update is bounded by
        :func:`bound_steps`, with ``scale`` as the step size.
    """
    rows = np.asarray(rows).ravel()
    if rows.size == 0:
        return
    values = np.asarray(values)
    dtype = np.result_type(values.dtype, target.dtype)
    unique, steps, bounds = row_sums(rows, values, scale, curvature, dtype)
    if bounds is not None:
        bound_steps(steps, bounds)
    target[unique] += steps.astype(target.dtype, copy=False)


def row_sums(rows, values, scale, curvature, dtype):
    """``scale * values`` and ``scale * curvature`` summed by row id (:func:`scatter_add`'s sums).

    Parameters
    ----------
    rows : ndarray of int of shape (n,)
        Row ids, repeats allowed; ``n > 0``.
    values : ndarray of shape (n, n_features)
    scale : float
    curvature : ndarray of shape (n,) or None
    dtype : dtype
        Of the summed steps.

    Returns
    -------
    unique : ndarray of int
        The distinct row ids, increasing.
    steps : ndarray of shape (len(unique), n_features)
    scaled_curvature : ndarray of float64 of shape (len(unique),) or None
    """
    rows = np.asarray(rows).ravel()
    values = np.asarray(values).reshape(rows.size, -1)
    if curvature is not None:
        curvature = np.asarray(curvature, dtype=np.float64).ravel()
    # Sort the ids, then sum each run of equal ids with one sparse product
    # (an (n_unique, n) CSR matrix of ``scale`` entries times ``values``).
    # This is several times faster than ``np.add.at`` on large batches.
    order = np.argsort(rows, kind="stable")
    sorted_rows = rows[order]
    indptr = run_starts(sorted_rows)
    starts = indptr[:-1]
    dtype = np.dtype(dtype)
    if starts.size == rows.size:
        steps = values[order] * dtype.type(scale)
        bounds = None if curvature is None else curvature[order] * scale
        return sorted_rows, steps, bounds
    data = np.full(rows.size, scale, dtype=dtype)
    # csr_array: the same product, with a cheaper constructor than csr_matrix
    summer = _csr_array((data, order, indptr), shape=(starts.size, rows.size))
    steps = summer @ values
    bounds = None if curvature is None else summer @ curvature
    return sorted_rows[starts], steps, bounds


class SumPlan(NamedTuple):
    """How to sum the gradient rows of several batches by word id, for both matrices.

    Built once for a chunk of batches by :func:`sum_plan`. Batch ``i`` has one
    gradient array: the input-matrix gradient rows, then the output-matrix
    ones. Its entries (pairs' inputs, then window output rows) are sorted by
    (batch, matrix, id) with ties in their original order: batch ``i`` owns
    ``ptr[i]:ptr[i + 1]`` of ``columns`` (the gradient row of each sorted
    entry) and unique ids ``uptr[i]:uptr[i + 1]``, those of the input matrix
    before ``mid[i]``; ``rows[u]`` is unique id ``u`` as a row of its
    matrix and ``starts[u]`` the sorted position of its first entry.
    """

    rows: np.ndarray
    starts: np.ndarray
    uptr: np.ndarray
    mid: np.ndarray
    columns: np.ndarray
    ptr: np.ndarray


def sum_plan(in_ids, in_batch, in_ptr, in_columns, n_in, out_ids, out_batch, out_ptr,
              out_columns, n_out, increasing_columns=False):
    """:class:`SumPlan` of input-matrix and output-matrix entries.

    For each matrix: the row ids of the entries (< ``n_in`` / ``n_out``),
    their batch (non-decreasing), the batch boundaries ``*_ptr`` and the
    gradient row of each entry in its batch's gradient array. With
    ``increasing_columns``, the caller guarantees that the gradient rows of
    each batch's entries of each matrix increase in entry order, so that
    they can stand for the entries' positions in the sort.
    """
    n_a = in_ids.size
    n = n_a + out_ids.size
    n_batches = in_ptr.size - 1
    max_column = int(max(in_columns.max(initial=0), out_columns.max(initial=0)))
    index = np.int32 if max(max_column, n) < 1 << 31 else np.int64
    id_bits = max(n_in - 1, n_out - 1, 1).bit_length()
    group_bits = max(2 * n_batches - 1, 1).bit_length()
    tie_bits = max(max_column if increasing_columns else n - 1, 1).bit_length()
    if n == 0 or id_bits + group_bits + tie_bits > 63:
        return _sum_plan_argsort(in_ids, in_batch, in_ptr, in_columns, n_in, out_ids,
                                 out_batch, out_ptr, out_columns, n_out)
    # One int64 key per entry: (group, id, tie), the group being 2 * batch
    # for the input matrix and 2 * batch + 1 for the output one, the tie the
    # entry's position (or its increasing gradient row). The keys are
    # distinct, so sorting them gives the stable order by (batch, matrix,
    # id), and NumPy sorts int64 values much faster than it argsorts them.
    key = np.empty(n, dtype=np.int64)
    key[:n_a] = in_batch
    key[n_a:] = out_batch
    key <<= 1
    key[n_a:] += 1
    key <<= id_bits
    key[:n_a] += in_ids
    key[n_a:] += out_ids
    key <<= tie_bits
    if increasing_columns:
        key[:n_a] += in_columns
        key[n_a:] += out_columns
        key.sort()
        columns = (key & ((1 << tie_bits) - 1)).astype(index)
    else:
        key += np.arange(n)
        key.sort()
        order = key & ((1 << tie_bits) - 1)
        columns = np.empty(n, dtype=index)
        columns[:n_a] = in_columns
        columns[n_a:] = out_columns
        columns = columns[order]
        del order
    key >>= tie_bits
    starts = run_starts(key)
    unique = key[starts[:-1]]
    del key
    rows = (unique & ((1 << id_bits) - 1)).astype(np.intp, copy=False)
    unique >>= id_bits
    # first unique id of each group: batch b's input ids, then its output ids
    bounds = np.searchsorted(unique, np.arange(2 * n_batches + 1))
    uptr, mid = bounds[0::2], bounds[1::2]
    ptr = in_ptr + out_ptr
    # starts and columns in one index type, as a CSR matrix holds them
    return SumPlan(rows, starts.astype(index, copy=False), uptr, mid, columns, ptr)


def _sum_plan_argsort(in_ids, in_batch, in_ptr, in_columns, n_in, out_ids, out_batch, out_ptr,
                      out_columns, n_out):
    """:func:`sum_plan` by stable argsorts, for keys too wide for 63 bits."""
    n_a = in_ids.size
    n, n_rows = n_a + out_ids.size, n_in + n_out
    small = np.int32 if n_rows < 1 << 31 else np.int64
    ids = np.empty(n, dtype=small)  # output rows as ids n_in, n_in + 1, ...
    ids[:n_a] = in_ids
    ids[n_a:] = out_ids
    ids[n_a:] += n_in
    batch = np.empty(n, dtype=np.int32)
    batch[:n_a] = in_batch
    batch[n_a:] = out_batch
    if n_rows <= 1 << 16 and in_ptr.size <= 1 << 16:
        # Stable order by (batch, id) from two 16-bit radix sorts (id, then
        # batch), which NumPy does in linear time.
        order = np.argsort(ids.astype(np.uint16), kind="stable")
        order = order[np.argsort(batch[order].astype(np.uint16), kind="stable")]
    else:
        order = np.argsort(batch.astype(np.int64) * n_rows + ids, kind="stable")
    ids = ids[order]
    batch = batch[order]
    first = np.empty(n, dtype=bool)
    first[:1] = True
    np.not_equal(ids[1:], ids[:-1], out=first[1:])
    first[1:] |= batch[1:] != batch[:-1]
    del batch
    starts = np.append(np.flatnonzero(first), n)
    del first
    ptr = in_ptr + out_ptr
    uptr = np.searchsorted(starts, ptr)
    rows = ids[starts[:-1]].astype(np.intp)
    del ids
    is_out = rows >= n_in
    rows[is_out] -= n_in
    n_in_ids = np.zeros(rows.size + 1, dtype=np.intp)
    np.cumsum(~is_out, out=n_in_ids[1:])
    mid = uptr[:-1] + n_in_ids[uptr[1:]] - n_in_ids[uptr[:-1]]
    bound = max(in_columns.max(initial=0), out_columns.max(initial=0), n)
    index = np.int32 if bound < 1 << 31 else np.int64
    columns = np.empty(n, dtype=index)
    columns[:n_a] = in_columns
    columns[n_a:] = out_columns
    columns = columns[order]
    return SumPlan(rows, starts.astype(index, copy=False), uptr, mid, columns, ptr)


def planned_update(W_in, W_out, plan, i, grads, scale, curvature, input_update=None):
    """Add ``scale`` times the gradient rows ``grads`` of batch ``i`` of ``plan``.

    The same sums, in the same order, as :func:`scatter_add`
    on each matrix, each row's summed step bounded by the sum of the
    ``curvature`` bounds of its gradient rows (:func:`bound_steps`).

    With ``input_update``, the input matrix's summed steps and curvature
    sums (by unique input id, in increasing id order) are handed to
    ``input_update(steps, scaled_curvature)`` unbounded, instead of being
    bounded and added to ``W_in`` here (a subword model's input ids are
    words, whose steps go to several rows; see :mod:`skw2v._core.composed`).
    """
    p0, p1 = int(plan.ptr[i]), int(plan.ptr[i + 1])
    u0, mid, u1 = int(plan.uptr[i]), int(plan.mid[i]), int(plan.uptr[i + 1])
    n_unique, (n_rows, d) = u1 - u0, grads.shape
    # Each run of equal ids summed by one sparse product: an
    # (n_unique, n_rows) CSR matrix of ``scale`` entries.
    data = np.full(p1 - p0, scale, dtype=grads.dtype)
    indptr = plan.starts[u0:u1 + 1] - p0
    indices = plan.columns[p0:p1]
    if (_csr_matvecs is not None and indptr.dtype == indices.dtype
            and curvature.dtype == grads.dtype and grads.flags.c_contiguous):
        sums = np.zeros((n_unique, d), dtype=grads.dtype)
        _csr_matvecs(n_unique, n_rows, d, indptr, indices, data, grads.reshape(-1),
                     sums.reshape(-1))
        bounds = np.zeros(n_unique, dtype=grads.dtype)
        _csr_matvec(n_unique, n_rows, indptr, indices, data, curvature, bounds)
    else:
        summer = _csr_array((data, indices, indptr), shape=(n_unique, n_rows))
        sums = summer @ grads
        bounds = summer @ curvature
    if input_update is None:
        bound_steps(sums, bounds)
        add_to_rows(W_in, plan.rows[u0:mid], sums[:mid - u0])
    else:
        k = mid - u0
        bound_steps(sums[k:], bounds[k:])
        input_update(sums[:k], bounds[:k])
    add_to_rows(W_out, plan.rows[mid:u1], sums[mid - u0:])


def add_to_rows(W, rows, steps):
    """``W[rows] += steps`` for distinct ``rows``, written back as whole-row items.

    NumPy runs ``W[rows] += steps`` as a gather, an add and a 2-D fancy
    store; this does the same gather and add, then stores each row as one
    ``n_features``-wide item (a 1-D fancy store), which is faster.
    """
    new = W.take(rows, axis=0)
    new += steps.astype(W.dtype, copy=False)
    store_rows(W, rows, new)
