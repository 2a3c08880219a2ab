"""One pass of mini-batch SGD over a range of an encoded corpus.

Pure array code (NumPy and SciPy): the caller passes the weight matrices, the
encoded corpus and a random generator; this module keeps no state.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from scipy.sparse import csr_array as _csr_array

from .pairs import skipgram_pairs
from .._data.store import TokenFile
from .vocab import draw_negatives
from ..losses import NegativeSamplingLoss, bound_steps, curvature_weights, scatter_add


def _direct_csr_kernels():
    """SciPy's compiled CSR products, if they can be called directly.

    ``csr_array @ x`` hands its ``(indptr, indices, data)`` to these kernels
    (``csr_matvecs`` for a matrix, ``csr_matvec`` for a vector); calling them
    directly gives the same sums, in the same order, without building a
    sparse matrix and validating it for every batch. They are private to
    SciPy, so they are used only after they have reproduced ``csr_array``
    bit for bit on a small product here; otherwise ``(None, None)`` and the
    batches build ``csr_array`` matrices.
    """
    try:
        from scipy.sparse._sparsetools import csr_matvec, csr_matvecs

        rng = np.random.default_rng(0)
        indptr = np.array([0, 3, 4, 7], dtype=np.int32)
        indices = np.array([4, 0, 2, 1, 3, 0, 4], dtype=np.int32)
        for dtype in (np.float32, np.float64):
            data = np.full(indices.size, -0.3, dtype=dtype)
            x = rng.normal(size=(5, 3)).astype(dtype)
            y = rng.normal(size=5).astype(dtype)
            summer = _csr_array((data, indices, indptr), shape=(3, 5))
            got_x = np.zeros((3, 3), dtype=dtype)
            csr_matvecs(3, 5, 3, indptr, indices, data, x.reshape(-1), got_x.reshape(-1))
            got_y = np.zeros(3, dtype=dtype)
            csr_matvec(3, 5, indptr, indices, data, y, got_y)
            if not (np.array_equal(got_x, summer @ x) and np.array_equal(got_y, summer @ y)):
                return None, None
        return csr_matvec, csr_matvecs
    except Exception:  # noqa: BLE001 - any failure means: build csr_array matrices
        return None, None


_csr_matvec, _csr_matvecs = _direct_csr_kernels()


def _row_dots_matmul(a):
    """``sum(a * a, axis=-1)`` as ``(1 x d) @ (d x 1)`` matmul products (one BLAS dot each)."""
    d = a.shape[-1]
    return np.matmul(a.reshape(-1, 1, d), a.reshape(-1, d, 1)).reshape(a.shape[:-1])


def _row_dots_kernel():
    """``np.vecdot`` where it gives :func:`_row_dots_matmul`'s bits (NumPy >= 2.0 calls
    the same BLAS dot, with less overhead per row), else ``_row_dots_matmul``."""
    vecdot = getattr(np, "vecdot", None)
    if vecdot is None:
        return _row_dots_matmul
    rng = np.random.default_rng(0)
    for dtype in (np.float32, np.float64):
        a = rng.normal(size=(7, 3, 101)).astype(dtype)
        if not np.array_equal(vecdot(a, a), _row_dots_matmul(a)):
            return _row_dots_matmul
    return lambda a: vecdot(a, a)


_row_dots = _row_dots_kernel()

#: Number of center positions whose pairs are generated at once.
PAIR_BLOCK = 65_536
#: Number of batches whose padded layouts and gradient-sum plans are built at once.
_CHUNK_BATCHES = 64


class RangeResult(NamedTuple):
    """Loss sum (float64) and number of pairs trained in one range."""

    loss: float
    n_pairs: int
    n_words: int


def window_groups(position):
    """Relabel the windows of a batch 0..G-1 and give their pair offsets.

    Parameters
    ----------
    position : ndarray of int of shape (n_pairs,)
        Non-decreasing window (center position) of each pair.

    Returns
    -------
    group : ndarray of intp of shape (n_pairs,)
        Window index of each pair, from 0.
    indptr : ndarray of intp of shape (G + 1,)
        Pairs of window ``g`` are ``indptr[g]:indptr[g + 1]``.
    """
    n = position.size
    change = np.empty(n, dtype=bool)
    change[0] = True
    np.not_equal(position[1:], position[:-1], out=change[1:])
    indptr = np.append(np.flatnonzero(change), n)
    group = np.cumsum(change) - 1
    return group, indptr


def _ns_scores_to_grad(scores):
    """Loss and score gradients from ``(n, K+1)`` scores (column 0 positive).

    Returns the summed loss ``-log sigma(s_o) - sum_k log sigma(-s_k)``
    (float64) and ``g`` with ``g[:, 0] = sigma(s_o) - 1`` and
    ``g[:, k] = sigma(s_k)``. Both come from one ``e = exp(-|s|)``: with the
    stable softplus ``-log sigma(x) = log(1 + exp(-|x|)) + max(-x, 0)`` and
    ``max(-s_o, 0) = max(s_o, 0) - s_o``, the loss is
    ``sum log1p(e) + sum max(s, 0) - sum s_o``; and
    ``sigma(s) = 1 / (1 + e)`` for ``s >= 0``, ``e / (1 + e)`` otherwise.
    """
    e = np.abs(scores)
    np.negative(e, out=e)
    np.exp(e, out=e)
    terms = np.maximum(scores, 0.0)
    terms += np.log1p(e)
    terms[:, 0] -= scores[:, 0]
    loss = np.sum(terms, dtype=np.float64)
    g = np.where(scores >= 0.0, 1.0, e).astype(scores.dtype, copy=False)
    e += 1.0
    g /= e
    g[:, 0] -= 1.0
    return float(loss), g


class _SumPlan(NamedTuple):
    """How to sum the gradient rows of several batches by word id, for both matrices.

    Built once for a chunk of batches by :func:`_sum_plan`. Batch ``i`` has one
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


def _sum_plan(in_ids, in_batch, in_ptr, in_columns, n_in, out_ids, out_batch, out_ptr,
              out_columns, n_out, increasing_columns=False):
    """:class:`_SumPlan` of input-matrix and output-matrix entries.

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
    first = np.empty(n + 1, dtype=bool)
    first[0] = first[n] = True
    np.not_equal(key[1:], key[:-1], out=first[1:n])
    starts = np.flatnonzero(first)
    del first
    unique = key[starts[:-1]]
    del key
    rows = (unique & ((1 << id_bits) - 1)).astype(np.intp, copy=False)
    unique >>= id_bits
    # first unique id of each group: batch b's input ids, then its output ids
    bounds = np.searchsorted(unique, np.arange(2 * n_batches + 1))
    uptr, mid = bounds[0::2], bounds[1::2]
    ptr = in_ptr + out_ptr
    # starts and columns in one index type, as a CSR matrix holds them
    return _SumPlan(rows, starts.astype(index, copy=False), uptr, mid, columns, ptr)


def _sum_plan_argsort(in_ids, in_batch, in_ptr, in_columns, n_in, out_ids, out_batch, out_ptr,
                      out_columns, n_out):
    """:func:`_sum_plan` by stable argsorts, for keys too wide for 63 bits."""
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
    return _SumPlan(rows, starts.astype(index, copy=False), uptr, mid, columns, ptr)


def _planned_update(W_in, W_out, plan, i, grads, scale, curvature):
    """Add ``scale`` times the gradient rows ``grads`` of batch ``i`` of ``plan``.

    The same sums, in the same order, as :func:`~skw2v.losses.scatter_add`
    on each matrix, each row's summed step bounded by the sum of the
    ``curvature`` bounds of its gradient rows (:func:`~skw2v.losses.bound_steps`).
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
    bound_steps(sums, bounds)
    _add_to_rows(W_in, plan.rows[u0:mid], sums[:mid - u0])
    _add_to_rows(W_out, plan.rows[mid:u1], sums[mid - u0:])


def _add_to_rows(W, rows, steps):
    """``W[rows] += steps`` for distinct ``rows``, written back as whole-row items.

    NumPy runs ``W[rows] += steps`` as a gather, an add and a 2-D fancy
    store; this does the same gather and add, then stores each row as one
    ``n_features``-wide item (a 1-D fancy store), which is faster.
    """
    new = W.take(rows, axis=0)
    new += steps.astype(W.dtype, copy=False)
    if W.flags.c_contiguous:
        item = np.dtype((np.void, W.shape[1] * W.itemsize))
        W.view(item).reshape(-1)[rows] = new.view(item).reshape(-1)
    else:
        W[rows] = new


def _ns_curvature(g_pad, out_rows, v_pad_norms):
    """Curvature of a padded batch's loss along its gradient rows (input rows, then output rows).

    As :meth:`NegativeSamplingLoss.curvature <skw2v.losses.NegativeSamplingLoss.curvature>`:
    with ``h = curvature_weights(g)`` for each score, ``sum_k h_k ||u_k||^2``
    for each input row and ``sum_j h_j ||v_j||^2`` (over the window's
    pairs) for each output row. ``v_pad_norms`` are the squared norms of the
    padded input rows. Padding slots have ``g = 0``, so ``h = 0``.
    """
    n_groups, k1, d = out_rows.shape
    width = v_pad_norms.size // n_groups
    h = curvature_weights(g_pad)
    nu = _row_dots(out_rows)
    curvature = np.empty(n_groups * (width + k1), dtype=h.dtype)
    np.matmul(h, nu.reshape(n_groups, k1, 1),
              out=curvature[:n_groups * width].reshape(n_groups, width, 1))
    np.matmul(h.transpose(0, 2, 1), v_pad_norms.reshape(n_groups, width, 1),
              out=curvature[n_groups * width:].reshape(n_groups, k1, 1))
    return curvature


def _padded_row_norms(W, ids, unique):
    """Squared norms of ``W[ids]`` from the norms of its ``unique`` rows.

    ``ids`` are ``unique`` ids, or 0 (padding slots, which get 0 unless row
    0 is among ``unique``); this gathers ``len(unique)`` rows, not ``len(ids)``.
    """
    rows = W.take(unique, axis=0)
    by_id = np.empty(W.shape[0], dtype=rows.dtype)
    by_id[0] = 0.0
    by_id[unique] = np.einsum("ij,ij->i", rows, rows)
    return by_id.take(ids)


def _ns_padded_step(W_in, W_out, inputs_pad, flat, rows, lr, plan, i):
    """Fused negative-sampling step on windows laid out in padded blocks.

    ``rows`` is ``(G, K+1)`` (center word, then the window's negatives);
    ``inputs_pad`` holds the ``G * width`` input ids of the padded layout
    (the batch's pairs at rows ``flat``, id 0 in padding slots).
    Padding slots get zero score gradients, so they add exact zeros and
    change nothing. Batch ``i`` of ``plan`` sums the gradients of the pairs'
    inputs (at their padded rows) and of ``rows.ravel()`` (after them) by
    word id.
    """
    n_groups, k1 = rows.shape
    m = inputs_pad.size
    width = m // n_groups
    d = W_in.shape[1]
    out_rows = W_out.take(rows.ravel(), axis=0).reshape(n_groups, k1, d)
    v_pad = W_in.take(inputs_pad, axis=0).reshape(n_groups, width, d)
    # One small product per window: (width x d) @ (d x K+1).
    scores_pad = np.matmul(v_pad, out_rows.transpose(0, 2, 1))
    loss, g = _ns_scores_to_grad(scores_pad.reshape(-1, k1).take(flat, axis=0))
    g_pad = np.zeros((m, k1), dtype=g.dtype)
    # rows copied as single (K+1)-float items: a 1-D scatter instead of a 2-D one
    item = np.dtype((np.void, k1 * g.itemsize))
    g_pad.view(item).reshape(m)[flat] = g.view(item).reshape(-1)
    g_pad = g_pad.reshape(n_groups, width, k1)
    # Input gradients (pair j at row flat[j]), then the output ones, (G, K+1, d).
    grads = np.empty((m + n_groups * k1, d), dtype=g.dtype)
    np.matmul(g_pad, out_rows, out=grads[:m].reshape(n_groups, width, d))
    np.matmul(g_pad.transpose(0, 2, 1), v_pad, out=grads[m:].reshape(n_groups, k1, d))
    unique_in = plan.rows[plan.uptr[i]:plan.mid[i]]
    curvature = _ns_curvature(g_pad, out_rows, _padded_row_norms(W_in, inputs_pad, unique_in))
    _planned_update(W_in, W_out, plan, i, grads, -lr, curvature)
    return loss


class _FusedChunk(NamedTuple):
    """Padded layouts and gradient-sum plan of consecutive batches.

    Batch ``i`` pads its windows to its longest one and owns
    ``pad_ptr[i]:pad_ptr[i + 1]`` of ``inputs_pad`` (input ids, window after
    window, each window's pairs first; padding slots hold id 0); ``flat[j]``
    is the padded row of pair ``j`` within its batch; ``rows`` is the
    ``(G, K+1)`` center word and negatives of each window; ``plan`` sums
    the gradients (see :func:`_ns_padded_step`).
    """

    inputs_pad: np.ndarray
    pad_ptr: np.ndarray
    flat: np.ndarray
    rows: np.ndarray
    plan: _SumPlan


def _fused_chunk(outside, indptr, gbounds, targets, negatives, n_in, n_out):
    """:class:`_FusedChunk` of windows ``indptr`` cut into batches at ``gbounds``.

    ``outside`` are the pairs' input ids, ``targets`` and ``negatives`` the
    windows' center words and negatives, ``n_in`` and ``n_out`` the numbers
    of rows of the input and output matrices.
    """
    n_windows, k1 = negatives.shape[0], negatives.shape[1] + 1
    rows = np.empty((n_windows, k1), dtype=np.intp)
    rows[:, 0] = targets
    rows[:, 1:] = negatives
    lengths = np.diff(indptr)
    counts = np.diff(gbounds)
    widths = np.maximum.reduceat(lengths, gbounds[:-1])
    pad_ptr = np.zeros(widths.size + 1, dtype=np.intp)
    np.cumsum(counts * widths, out=pad_ptr[1:])
    batch = np.repeat(np.arange(widths.size, dtype=np.int32), counts)  # of each window
    # first padded row of each window within its batch
    win_start = (np.arange(n_windows) - gbounds[batch]) * widths[batch]
    flat = np.arange(int(indptr[-1])) + np.repeat(win_start - indptr[:-1], lengths)
    inputs_pad = np.zeros(int(pad_ptr[-1]), dtype=np.intp)
    inputs_pad[flat + np.repeat(pad_ptr[:-1], np.diff(indptr[gbounds]))] = outside
    # a batch's output gradient rows follow its padded input ones
    out_batch = np.repeat(batch, k1)
    out_columns = np.repeat(np.diff(pad_ptr) - gbounds[:-1] * k1, counts * k1)
    out_columns += np.arange(rows.size)
    # within a batch, the gradient rows of its pairs (flat) and of its
    # windows' output rows both increase
    plan = _sum_plan(outside, np.repeat(batch, lengths), indptr[gbounds], flat, n_in,
                     rows.ravel(), out_batch, gbounds * k1, out_columns, n_out,
                     increasing_columns=True)
    return _FusedChunk(inputs_pad, pad_ptr, flat, rows, plan)


def ns_window_step(W_in, W_out, inputs, group, indptr, targets, negatives, lr):
    """Fused negative-sampling SGD step on a mini-batch of whole windows.

    Each pair trains the input vector of a context word (``inputs``) to
    predict its window's center word (``targets[group]``) against the
    window's ``K`` shared negatives, as in Ji et al. (2016): the negatives
    are drawn once per window, so the output rows of a window are gathered,
    updated and scattered once. The result equals (to rounding)
    :class:`~skw2v.losses.NegativeSamplingLoss` on
    ``(W_in[inputs], targets[group], W_out, negatives[group])`` followed by
    an accumulating ``-lr`` step on both matrices.

    Parameters
    ----------
    W_in, W_out : ndarray of shape (n_words, n_features)
        Modified in place.
    inputs : ndarray of int of shape (n_pairs,)
    group : ndarray of intp of shape (n_pairs,)
        Window of each pair (from :func:`window_groups`; implied by ``indptr``).
    indptr : ndarray of intp of shape (G + 1,)
    targets : ndarray of int of shape (G,)
        Center word of each window.
    negatives : ndarray of int of shape (G, K)
    lr : float

    Returns
    -------
    loss : float
        Summed loss of the batch before the update (float64).
    """
    chunk = _fused_chunk(inputs, indptr, np.array([0, indptr.size - 1]), targets, negatives,
                         W_in.shape[0], W_out.shape[0])
    return _ns_padded_step(W_in, W_out, chunk.inputs_pad, chunk.flat, chunk.rows, lr,
                           chunk.plan, 0)


def generic_step(W_in, W_out, inputs, group, targets, negatives, lr, loss):
    """One SGD step through any :class:`~skw2v.losses.SkipGramLoss`."""
    neg = negatives[group] if negatives is not None else None
    args = (W_in.take(inputs, axis=0), targets[group], W_out, neg)
    out = loss.loss_and_grad(*args)
    curvature = loss.curvature(*args) if hasattr(loss, "curvature") else None
    c_in, c_out = (None, None) if curvature is None else curvature
    scatter_add(W_in, inputs, out.grad_center, scale=-lr, curvature=c_in)
    scatter_add(W_out, out.output_rows, out.grad_output, scale=-lr, curvature=c_out)
    return out.loss


def _group_batches(indptr, batch_size):
    """Window indices that cut batches of about ``batch_size`` pairs.

    A batch ends at the first window boundary at or after each multiple of
    ``batch_size`` pairs, so batches hold whole windows.
    """
    n = int(indptr[-1])
    at = np.searchsorted(indptr[:-1], np.arange(batch_size, n, batch_size))
    cuts = at[at < indptr.size - 1]
    return np.unique(np.concatenate(([0], cuts, [indptr.size - 1])))


def train_range(W_in, W_out, ids, offsets, start, stop, *, window, loss, n_negatives, sampler,
                batch_size, lr_start, lr_stop, rng, callback=None, base=0):
    """Train on the windows whose centers lie in ``[start, stop)`` of ``ids``.

    The learning rate decreases linearly from ``lr_start`` at ``start`` to
    ``lr_stop`` at ``stop``. Windows are taken in text order and grouped into
    mini-batches of about ``batch_size`` pairs (whole windows).

    Parameters
    ----------
    W_in, W_out : ndarray of shape (n_words, n_features)
        Modified in place.
    ids : ndarray of int32 or TokenFile
        The (subsampled) encoded corpus, or a slice of it starting at corpus
        position ``base`` that holds ``[start - window, stop + window)``. A
        :class:`~skw2v._store.TokenFile` is read one block of centers (plus
        the window on each side) at a time.
    offsets : ndarray of int64
        Document offsets in the whole corpus.
    start, stop : int
        Range of center positions.
    window : int
    loss : SkipGramLoss
    n_negatives : int
    sampler : AliasSampler
        Noise distribution (used when ``loss.requires_negatives``).
    batch_size : int
    lr_start, lr_stop : float
    rng : numpy.random.Generator
    callback : callable, default=None
        Called as ``callback(n_positions_done)`` after each block of centers.
    base : int, default=0
        Corpus position of ``ids[0]`` (for an in-memory slice).

    Returns
    -------
    result : RangeResult
    """
    fused = type(loss) is NegativeSamplingLoss
    needs_neg = bool(loss.requires_negatives)
    total_loss = 0.0
    total_pairs = 0
    span = max(stop - start, 1)
    for block_start in range(start, stop, PAIR_BLOCK):
        block_stop = min(block_start + PAIR_BLOCK, stop)
        if isinstance(ids, TokenFile):
            local_base = max(block_start - window, 0)
            local = ids.read(local_base, block_stop + window)
        else:
            local, local_base = ids, base
        centers, outside, position = skipgram_pairs(local, offsets, block_start, block_stop,
                                                    window, rng, base=local_base)
        if centers.size == 0:
            if callback is not None:
                callback(block_stop - block_start)
            continue
        # Windows, their center words and their negatives for the whole block
        # at once; batches are then runs of whole windows.
        group_all, indptr_all = window_groups(position)
        targets_all = centers[indptr_all[:-1]]
        neg_all = (draw_negatives(sampler, (targets_all.size, n_negatives), rng)
                   if needs_neg else None)
        gbounds = _group_batches(indptr_all, batch_size)
        for c0 in range(0, gbounds.size - 1, _CHUNK_BATCHES):
            # Layouts and sum plans of a chunk of batches at once
            c1 = min(c0 + _CHUNK_BATCHES, gbounds.size - 1)
            w0, w1 = int(gbounds[c0]), int(gbounds[c1])
            p0, p1 = int(indptr_all[w0]), int(indptr_all[w1])
            # the chunk's batch boundaries as Python ints: windows, pairs, and
            # the position of each batch's first pair (its learning rate)
            chunk_bounds = gbounds[c0:c1 + 1]
            window_at = chunk_bounds.tolist()
            pair_at = indptr_all[chunk_bounds].tolist()
            position_at = position[pair_at[:-1]].tolist()
            if fused:
                chunk = _fused_chunk(outside[p0:p1], indptr_all[w0:w1 + 1] - p0,
                                     chunk_bounds - w0, targets_all[w0:w1], neg_all[w0:w1],
                                     W_in.shape[0], W_out.shape[0])
                pad_at = chunk.pad_ptr.tolist()
            for i in range(c1 - c0):
                g0, g1 = window_at[i], window_at[i + 1]
                b, e = pair_at[i], pair_at[i + 1]
                frac = (block_start + position_at[i] - start) / span
                lr = lr_start + (lr_stop - lr_start) * frac
                if fused:
                    pad = chunk.inputs_pad[pad_at[i]:pad_at[i + 1]]
                    total_loss += _ns_padded_step(W_in, W_out, pad, chunk.flat[b - p0:e - p0],
                                                  chunk.rows[g0 - w0:g1 - w0], lr, chunk.plan, i)
                    continue
                inputs = outside[b:e]
                group = group_all[b:e] - g0
                targets = targets_all[g0:g1]
                neg = neg_all[g0:g1] if needs_neg else None
                total_loss += generic_step(W_in, W_out, inputs, group, targets, neg, lr, loss)
        total_pairs += centers.size
        if callback is not None:
            callback(block_stop - block_start)
        # free this block's arrays before the next block builds its own
        centers = outside = position = group_all = neg_all = chunk = None
    return RangeResult(total_loss, total_pairs, stop - start)
