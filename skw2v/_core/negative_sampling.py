"""Negative sampling's fused kernel: whole windows of pairs in padded blocks.

The fast path of :class:`~skw2v.losses.NegativeSamplingLoss` (the loss hands
it to the trainer through ``window_kernel``). Each window's ``K`` negatives are
shared by its pairs (Ji et al., 2016), so a window's output rows are gathered,
updated and scattered once; the windows of a batch are padded to its longest
one, so the scores and gradients are a few batched matrix products. The
result equals the loss's own ``loss_and_grad`` and ``curvature`` followed by a
bounded ``-lr`` step, to rounding. Pure NumPy and SciPy.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from . import composed as _composed
from . import rowsum


def row_dots_matmul(a):
    """``sum(a * a, axis=-1)`` as ``(1 x d) @ (d x 1)`` matmul products (one BLAS dot each)."""
    d = a.shape[-1]
    return np.matmul(a.reshape(-1, 1, d), a.reshape(-1, d, 1)).reshape(a.shape[:-1])


def _row_dots_kernel():
    """``np.vecdot`` where it gives :func:`row_dots_matmul`'s bits (NumPy >= 2.0 calls
    the same BLAS dot, with less overhead per row), else ``row_dots_matmul``."""
    vecdot = getattr(np, "vecdot", None)
    if vecdot is None:
        return row_dots_matmul
    rng = np.random.default_rng(0)
    for dtype in (np.float32, np.float64):
        a = rng.normal(size=(7, 3, 101)).astype(dtype)
        if not np.array_equal(vecdot(a, a), row_dots_matmul(a)):
            return row_dots_matmul
    return lambda a: vecdot(a, a)


_row_dots = _row_dots_kernel()


def scores_to_grad(scores):
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


def padded_curvature(g_pad, out_rows, v_pad_norms):
    """Curvature of a padded batch's loss along its gradient rows (input rows, then output rows).

    As :meth:`NegativeSamplingLoss.curvature <skw2v.losses.NegativeSamplingLoss.curvature>`:
    with ``h = curvature_weights(g)`` for each score, ``sum_k h_k ||u_k||^2``
    for each input row and ``sum_j h_j ||v_j||^2`` (over the window's
    pairs) for each output row. ``v_pad_norms`` are the squared norms of the
    padded input rows. Padding slots have ``g = 0``, so ``h = 0``.
    """
    n_groups, k1, d = out_rows.shape
    width = v_pad_norms.size // n_groups
    h = rowsum.curvature_weights(g_pad)
    nu = _row_dots(out_rows)
    curvature = np.empty(n_groups * (width + k1), dtype=h.dtype)
    np.matmul(h, nu.reshape(n_groups, k1, 1),
              out=curvature[:n_groups * width].reshape(n_groups, width, 1))
    np.matmul(h.transpose(0, 2, 1), v_pad_norms.reshape(n_groups, width, 1),
              out=curvature[n_groups * width:].reshape(n_groups, k1, 1))
    return curvature


def padded_step(W_in, W_out, local, flat, rows, lr, plan, i, subwords=None):
    """Fused negative-sampling step on windows laid out in padded blocks.

    ``rows`` is ``(G, K+1)`` (center word, then the window's negatives);
    ``local`` gives, for each of the ``G * width`` slots of the padded
    layout (the batch's pairs at rows ``flat``), its input word among the
    batch's unique input words (``plan.rows[plan.uptr[i]:plan.mid[i]]``;
    padding slots get 0, the first). The unique rows are gathered once, for
    the slots' vectors and their squared norms. Padding slots get zero
    score gradients, so they add exact zeros and change nothing. Batch
    ``i`` of ``plan`` sums the gradients of the pairs' inputs (at their
    padded rows) and of ``rows.ravel()`` (after them) by word id.

    With ``subwords``, ``(composed_plan, row_sums)``, the input vectors are
    composed: batch ``i``'s unique input words are gathered as composed
    vectors (:func:`~skw2v._core.composed.gather`), and the words' summed
    steps and curvature go to their rows through
    :func:`~skw2v._core.composed.scatter`.
    """
    n_groups, k1 = rows.shape
    m = local.size
    width = m // n_groups
    d = W_in.shape[1]
    out_rows = W_out.take(rows.ravel(), axis=0).reshape(n_groups, k1, d)
    if subwords is None:
        words = W_in.take(plan.rows[plan.uptr[i]:plan.mid[i]], axis=0)
    else:
        words_plan, row_sums = subwords
        words = _composed.gather(W_in, words_plan, i)
    v_pad = words.take(local, axis=0).reshape(n_groups, width, d)
    # One small product per window: (width x d) @ (d x K+1).
    scores_pad = np.matmul(v_pad, out_rows.transpose(0, 2, 1))
    loss, g = scores_to_grad(scores_pad.reshape(-1, k1).take(flat, axis=0))
    g_pad = np.zeros((m, k1), dtype=g.dtype)
    # rows copied as single (K+1)-float items: a 1-D scatter instead of a 2-D one
    item = np.dtype((np.void, k1 * g.itemsize))
    g_pad.view(item).reshape(m)[flat] = g.view(item).reshape(-1)
    g_pad = g_pad.reshape(n_groups, width, k1)
    # Input gradients (pair j at row flat[j]), then the output ones, (G, K+1, d).
    grads = np.empty((m + n_groups * k1, d), dtype=g.dtype)
    np.matmul(g_pad, out_rows, out=grads[:m].reshape(n_groups, width, d))
    np.matmul(g_pad.transpose(0, 2, 1), v_pad, out=grads[m:].reshape(n_groups, k1, d))
    # padding slots point at the batch's first word; their h is 0
    norms = np.einsum("ij,ij->i", words, words).take(local)
    if subwords is None:
        update = None
    else:
        def update(steps, scaled_curvature):
            _composed.scatter(W_in, words_plan, i, steps, scaled_curvature, row_sums)
    curvature = padded_curvature(g_pad, out_rows, norms)
    rowsum.planned_update(W_in, W_out, plan, i, grads, -lr, curvature, update)
    return loss


class FusedChunk(NamedTuple):
    """Padded layouts and gradient-sum plan of consecutive batches.

    Batch ``i`` pads its windows to its longest one and owns
    ``pad_ptr[i]:pad_ptr[i + 1]`` of ``local`` (for each slot, window after
    window, each window's pairs first, its input word among the batch's
    unique input words; padding slots hold 0); ``flat[j]`` is the padded
    row of pair ``j`` within its batch; ``rows`` is the ``(G, K+1)`` center
    word and negatives of each window; ``plan`` sums the gradients (see
    :func:`padded_step`).
    """

    local: np.ndarray
    pad_ptr: np.ndarray
    flat: np.ndarray
    rows: np.ndarray
    plan: rowsum.SumPlan
    #: With subwords: the batches' :class:`~skw2v._core.composed.ComposedPlan`
    #: and the worker's :class:`~skw2v._core.composed.RowSums`.
    words_plan: _composed.ComposedPlan | None = None
    row_sums: _composed.RowSums | None = None


def fused_chunk(outside, indptr, gbounds, targets, negatives, n_in, n_out, incidence=None,
                row_sums=None):
    """:class:`FusedChunk` of windows ``indptr`` cut into batches at ``gbounds``.

    ``outside`` are the pairs' input ids, ``targets`` and ``negatives`` the
    windows' center words and negatives, ``n_in`` and ``n_out`` the numbers
    of input ids (words) and of rows of the output matrix. With an
    ``incidence`` (:class:`~skw2v._core.composed.Incidence`), the input
    vectors are composed from subword rows (``row_sums`` is the worker's
    buffer for the rows' curvature; one is made when None).
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
    # a batch's output gradient rows follow its padded input ones
    out_batch = np.repeat(batch, k1)
    out_columns = np.repeat(np.diff(pad_ptr) - gbounds[:-1] * k1, counts * k1)
    out_columns += np.arange(rows.size)
    # within a batch, the gradient rows of its pairs (flat) and of its
    # windows' output rows both increase
    plan = rowsum.sum_plan(outside, np.repeat(batch, lengths), indptr[gbounds], flat, n_in,
                     rows.ravel(), out_batch, gbounds * k1, out_columns, n_out,
                     increasing_columns=True)
    local, unique, word_ptr = slot_words(plan, int(pad_ptr[-1]), pad_ptr)
    if incidence is None:
        return FusedChunk(local, pad_ptr, flat, rows, plan)
    words_plan = _composed.composed_plan(incidence, plan.rows[unique], word_ptr)
    if row_sums is None:
        row_sums = _composed.RowSums(incidence.n_rows)
    return FusedChunk(local, pad_ptr, flat, rows, plan, words_plan, row_sums)


def slot_words(plan, n_slots, pad_ptr):
    """Each padded slot's input word among its batch's unique input words.

    Batch ``b``'s unique input words are its plan's unique input ids; the
    sorted entries of unique id ``u`` are ``plan.starts[u]:plan.starts[u + 1]``
    and their columns are the padded rows of its pairs, so every pair's slot
    gets its word's index among the batch's words in one scatter. Padding
    slots get 0 (the batch's first word; their score gradients are 0).

    Returns ``local`` (for each of the ``n_slots`` slots), the plan's unique
    ids of the batches' input words and their batch boundaries ``word_ptr``.
    """
    n_batches = pad_ptr.size - 1
    sizes = plan.mid - plan.uptr[:-1]
    word_ptr = np.zeros(n_batches + 1, dtype=np.intp)
    np.cumsum(sizes, out=word_ptr[1:])
    unique = _composed.concatenated_ranges(plan.uptr[:-1], sizes)
    first = plan.starts[unique].astype(np.intp)
    runs = plan.starts[unique + 1].astype(np.intp) - first
    word_batch = np.repeat(np.arange(n_batches), sizes)
    in_batch = np.arange(unique.size) - word_ptr[word_batch]
    local = np.zeros(n_slots, dtype=np.intp)
    slots = plan.columns[_composed.concatenated_ranges(first, runs)]
    slots += np.repeat(pad_ptr[word_batch], runs).astype(slots.dtype, copy=False)
    local[slots] = np.repeat(in_batch, runs)
    return local, unique, word_ptr


class WindowKernel:
    """Negative sampling's fused training of batches of whole windows.

    The trainer builds a :class:`FusedChunk` for consecutive batches with
    :meth:`chunk`, then trains each batch with :meth:`step`.
    """

    def chunk(self, outside, indptr, gbounds, targets, negatives, n_in, n_out, incidence=None,
              row_sums=None):
        """:func:`fused_chunk`."""
        return fused_chunk(outside, indptr, gbounds, targets, negatives, n_in, n_out,
                           incidence, row_sums)

    def step(self, W_in, W_out, chunk, i, pairs, windows, lr):
        """Train batch ``i`` of ``chunk``; return its loss before the update.

        ``pairs`` and ``windows`` are the batch's ``(first, stop)`` pairs and
        windows, counted from the chunk's first.
        """
        a, b = chunk.pad_ptr[i], chunk.pad_ptr[i + 1]
        subwords = (None if chunk.words_plan is None else (chunk.words_plan, chunk.row_sums))
        return padded_step(W_in, W_out, chunk.local[a:b], chunk.flat[pairs[0]:pairs[1]],
                           chunk.rows[windows[0]:windows[1]], lr, chunk.plan, i, subwords)


#: The kernel instance the loss hands out (it holds no state).
WINDOW_KERNEL = WindowKernel()
