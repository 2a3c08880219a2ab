"""Negative sampling's fused kernel: whole windows of pairs, grouped by width.

The fast path of :class:`~skw2v.losses.NegativeSamplingLoss` (the loss hands
it to the trainer through ``window_kernel``). Each window's ``K`` negatives are
shared by its pairs (Ji et al., 2016), so a window's output rows are gathered,
updated and scattered once; the windows of a batch are grouped by width (2,
4, ..., 2 x window pairs; others at document edges), so the scores and
gradients are a few batched matrix products per width, with no padded rows. The
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


def scores_to_grad(scores, order=None):
    """Loss and score gradients from ``(n, K+1)`` scores (column 0 positive).

    With ``order``, the loss terms are added in the row order
    ``scores[order]`` (the pairs' text order); ``g`` keeps the rows' order.

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
    if order is not None:
        terms = terms.take(order, axis=0)
    loss = np.sum(terms, dtype=np.float64)
    g = np.where(scores >= 0.0, 1.0, e).astype(scores.dtype, copy=False)
    e += 1.0
    g /= e
    g[:, 0] -= 1.0
    return float(loss), g


def grouped_step(W_in, W_out, local, flat, rows, groups, row_window, window_rows, lr, plan, i,
                 subwords=None):
    """Fused negative-sampling step on windows grouped by width (no padding).

    ``rows`` is ``(G, K+1)`` (center word, then the window's negatives), the
    windows in layout order: by width, then in text order. Each window's
    pairs are consecutive rows of the layout, and pair ``j`` (text order)
    sits at layout row ``flat[j]``; ``local`` gives each layout row's input
    word among the batch's unique input words
    (``plan.rows[plan.uptr[i]:plan.mid[i]]``), which are gathered once, for
    the rows' vectors and their squared norms. ``groups`` lists
    ``(width, w0, w1, r0, r1)`` for each run of windows ``w0:w1`` of one
    width, whose pairs are layout rows ``r0:r1``: each run is one stack of
    ``(width x d) @ (d x K+1)`` products, and no row is padding. The loss
    terms are summed in text order. ``row_window`` is each layout row's
    window and ``window_rows`` each window's first layout row (for the
    curvature sums, one call each for the whole batch). Batch ``i`` of
    ``plan`` sums the
    gradients of the pairs' inputs (at their layout rows) and of
    ``rows.ravel()`` (after them) by word id.

    With ``subwords``, ``(composed_plan, row_sums)``, the input vectors are
    composed: batch ``i``'s unique input words are gathered as composed
    vectors (:func:`~skw2v._core.composed.gather`), and the words' summed
    steps and curvature go to their rows through
    :func:`~skw2v._core.composed.scatter`.
    """
    n_groups, k1 = rows.shape
    m = local.size
    d = W_in.shape[1]
    out_rows = W_out.take(rows.ravel(), axis=0).reshape(n_groups, k1, d)
    if subwords is None:
        words = W_in.take(plan.rows[plan.uptr[i]:plan.mid[i]], axis=0)
    else:
        words_plan, row_sums = subwords
        words = _composed.gather(W_in, words_plan, i)
    v = words.take(local, axis=0)
    out_t = out_rows.transpose(0, 2, 1)
    scores = np.empty((m, k1), dtype=v.dtype)
    for width, w0, w1, r0, r1 in groups:
        # one small product per window: (width x d) @ (d x K+1)
        np.matmul(v[r0:r1].reshape(w1 - w0, width, d), out_t[w0:w1],
                  out=scores[r0:r1].reshape(w1 - w0, width, k1))
    loss, g = scores_to_grad(scores, flat)
    # The input gradients (layout rows), then the output ones, (G, K+1, d);
    # and the curvature of the batch loss along each of them, as
    # NegativeSamplingLoss.curvature: with h = curvature_weights(g),
    # sum_k h_k ||u_k||^2 for each input row and sum_j h_j ||v_j||^2 over the
    # window's pairs for each output row.
    grads = np.empty((m + n_groups * k1, d), dtype=g.dtype)
    g_out = grads[m:].reshape(n_groups, k1, d)
    for width, w0, w1, r0, r1 in groups:
        n = w1 - w0
        g_w = g[r0:r1].reshape(n, width, k1)
        np.matmul(g_w, out_rows[w0:w1], out=grads[r0:r1].reshape(n, width, d))
        np.matmul(g_w.transpose(0, 2, 1), v[r0:r1].reshape(n, width, d), out=g_out[w0:w1])
    h = rowsum.curvature_weights(g)
    nu = _row_dots(out_rows)
    norms = np.einsum("ij,ij->i", words, words).take(local)
    curvature = np.empty(m + n_groups * k1, dtype=h.dtype)
    # each row's window's output norms, then both sums for the whole batch
    np.einsum("ij,ij->i", h, nu.take(row_window, axis=0), out=curvature[:m])
    h *= norms[:, None]
    np.add.reduceat(h, window_rows, axis=0, out=curvature[m:].reshape(n_groups, k1))
    if subwords is None:
        update = None
    else:
        def update(steps, scaled_curvature):
            _composed.scatter(W_in, words_plan, i, steps, scaled_curvature, row_sums)
    rowsum.planned_update(W_in, W_out, plan, i, grads, -lr, curvature, update)
    return loss


class FusedChunk(NamedTuple):
    """Width-grouped layouts and gradient-sum plan of consecutive batches.

    Within each batch the windows are grouped by width (stable, so in text
    order within a width) and each window's pairs are consecutive rows of
    the batch's layout; no row is padding. Batch ``i`` owns
    ``ptr[i]:ptr[i + 1]`` of ``local`` (each layout row's input word among
    the batch's unique input words; as many rows as the batch has pairs);
    ``flat[j]`` is the layout row of pair ``j`` (text order) within its
    batch; ``rows`` is the ``(G, K+1)`` center word and negatives of each
    window, in layout order; ``groups[i]`` lists batch ``i``'s runs of one
    width as ``(width, w0, w1, r0, r1)`` (windows and layout rows, counted
    from the batch's first); ``row_window`` (like ``local``) gives each
    layout row's window and ``window_rows`` (like ``rows``) each layout
    window's first row, both within the batch; ``plan`` sums the gradients
    (see :func:`grouped_step`).
    """

    local: np.ndarray
    ptr: np.ndarray
    flat: np.ndarray
    rows: np.ndarray
    groups: list
    row_window: np.ndarray
    window_rows: np.ndarray
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
    lengths = np.diff(indptr)
    counts = np.diff(gbounds)
    n_batches = counts.size
    batch = np.repeat(np.arange(n_batches, dtype=np.intp), counts)  # of each window
    # the windows in layout order: by batch, then width, then text order
    key = batch * (int(lengths.max(initial=0)) + 1) + lengths
    order = np.argsort(key, kind="stable")
    rows = np.empty((n_windows, k1), dtype=np.intp)
    rows[:, 0] = targets[order]
    rows[:, 1:] = negatives[order]
    lay_lengths = lengths[order]
    lay_start = np.zeros(n_windows + 1, dtype=np.intp)
    np.cumsum(lay_lengths, out=lay_start[1:])
    ptr = indptr[gbounds].astype(np.intp)  # a batch's pairs fill its layout exactly
    # layout row (within its batch) of the first pair of each window, in text order
    win_row = np.empty(n_windows, dtype=np.intp)
    win_row[order] = lay_start[:-1]
    win_row -= ptr[batch]
    flat = np.arange(int(indptr[-1])) + np.repeat(win_row - indptr[:-1], lengths)
    # within its batch: each layout row's window, each layout window's first row
    in_batch = np.arange(n_windows) - gbounds[batch]
    row_window = np.repeat(in_batch, lay_lengths)
    window_rows = lay_start[:-1] - ptr[batch]
    # runs of one (batch, width) in layout order
    runs = rowsum.run_starts(key[order])
    r0, r1 = runs[:-1], runs[1:]
    r_batch = batch[order[r0]]
    first_w, first_p = gbounds[r_batch], ptr[r_batch]
    groups = [[] for _ in range(n_batches)]
    for b, *group in zip(r_batch.tolist(), lay_lengths[r0].tolist(), (r0 - first_w).tolist(),
                         (r1 - first_w).tolist(), (lay_start[r0] - first_p).tolist(),
                         (lay_start[r1] - first_p).tolist(), strict=True):
        groups[b].append(tuple(group))
    # A batch's output gradient rows follow its input ones: text-order window
    # w is layout window inverse[w]. The entries stay in text order, so that
    # the sums of repeated ids add in text order.
    inverse = np.empty(n_windows, dtype=np.intp)
    inverse[order] = np.arange(n_windows)
    out_columns = np.repeat(np.diff(ptr) - gbounds[:-1] * k1, counts) + inverse * k1
    out_columns = (out_columns[:, None] + np.arange(k1)).ravel()
    out_ids = np.empty((n_windows, k1), dtype=np.intp)
    out_ids[:, 0] = targets
    out_ids[:, 1:] = negatives
    plan = rowsum.sum_plan(outside, np.repeat(batch, lengths), ptr, flat, n_in,
                           out_ids.ravel(), np.repeat(batch, k1), gbounds * k1, out_columns,
                           n_out)
    local, unique, word_ptr = slot_words(plan, int(ptr[-1]), ptr)
    # kept for the chunk's life, one per pair: positions within a batch fit int32
    flat = flat.astype(np.int32)
    row_window = row_window.astype(np.int32)
    if incidence is None:
        return FusedChunk(local, ptr, flat, rows, groups, row_window, window_rows, plan)
    words_plan = _composed.composed_plan(incidence, plan.rows[unique], word_ptr)
    if row_sums is None:
        row_sums = _composed.RowSums(incidence.n_rows)
    return FusedChunk(local, ptr, flat, rows, groups, row_window, window_rows, plan, words_plan,
                      row_sums)


def slot_words(plan, n_slots, ptr):
    """Each layout row's input word among its batch's unique input words.

    Batch ``b``'s unique input words are its plan's unique input ids; the
    sorted entries of unique id ``u`` are ``plan.starts[u]:plan.starts[u + 1]``
    and their columns are the layout rows of its pairs, so every pair's row
    gets its word's index among the batch's words in one scatter. (Rows
    that hold no pair, were there any, would get 0.)

    Returns ``local`` (for each of the ``n_slots`` rows; batch ``b`` owns
    ``ptr[b]:ptr[b + 1]``), the plan's unique ids of the batches' input
    words and their batch boundaries ``word_ptr``.
    """
    n_batches = ptr.size - 1
    sizes = plan.mid - plan.uptr[:-1]
    word_ptr = np.zeros(n_batches + 1, dtype=np.intp)
    np.cumsum(sizes, out=word_ptr[1:])
    unique = _composed.concatenated_ranges(plan.uptr[:-1], sizes)
    first = plan.starts[unique].astype(np.intp)
    runs = plan.starts[unique + 1].astype(np.intp) - first
    word_batch = np.repeat(np.arange(n_batches), sizes)
    in_batch = np.arange(unique.size) - word_ptr[word_batch]
    # a position within one batch: int32 (the chunk keeps one per pair)
    local = np.zeros(n_slots, dtype=np.int32)
    slots = plan.columns[_composed.concatenated_ranges(first, runs)]
    slots += np.repeat(ptr[word_batch], runs).astype(slots.dtype, copy=False)
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
        a, b = chunk.ptr[i], chunk.ptr[i + 1]
        subwords = (None if chunk.words_plan is None else (chunk.words_plan, chunk.row_sums))
        w0, w1 = windows
        return grouped_step(W_in, W_out, chunk.local[a:b], chunk.flat[pairs[0]:pairs[1]],
                            chunk.rows[w0:w1], chunk.groups[i], chunk.row_window[a:b],
                            chunk.window_rows[w0:w1], lr, chunk.plan, i, subwords)


#: The kernel instance the loss hands out (it holds no state).
WINDOW_KERNEL = WindowKernel()
