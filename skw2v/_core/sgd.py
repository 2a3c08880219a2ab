"""One pass of mini-batch SGD over a range of an encoded corpus.

Pure array code (NumPy and SciPy): the caller passes the weight matrices, the
encoded corpus (or a reader of its blocks) and a random generator; this
module keeps no state. The loss decides how a batch is trained: through its
fused window kernel when it offers one (negative sampling), else through its
``loss_grad_curvature`` and :func:`~skw2v._core.rowsum.scatter_add`.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from . import composed as _composed
from .pairs import skipgram_pairs
from .rowsum import run_starts, scatter_add

#: Number of center positions whose pairs are generated at once.
PAIR_BLOCK = 65_536
#: Number of batches whose layouts and gradient-sum plans are built at once.
CHUNK_BATCHES = 32


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
    indptr = run_starts(position)
    group = np.repeat(np.arange(indptr.size - 1), np.diff(indptr))
    return group, indptr


def generic_step(W_in, W_out, inputs, group, targets, negatives, lr, loss, incidence=None,
                 row_sums=None):
    """One SGD step through any :class:`~skw2v.losses.SkipGramLoss`.

    With an ``incidence`` (:class:`~skw2v._core.composed.Incidence`), the
    input vectors are composed from the subword rows of ``W_in`` and the
    steps go back to those rows as in the fused kernel
    (:mod:`skw2v._core.composed`; ``row_sums`` is the worker's
    :class:`~skw2v._core.composed.RowSums`, made when None).
    """
    neg = negatives[group] if negatives is not None else None
    if incidence is not None:
        return _composed_step(W_in, W_out, inputs, targets[group], neg, lr, loss, incidence,
                              row_sums)
    args = (W_in.take(inputs, axis=0), targets[group], W_out, neg)
    out, curvature = _loss_grad_curvature(loss, args)
    c_in, c_out = (None, None) if curvature is None else curvature
    scatter_add(W_in, inputs, out.grad_center, scale=-lr, curvature=c_in)
    scatter_add(W_out, out.output_rows, out.grad_output, scale=-lr, curvature=c_out)
    return out.loss


def _loss_grad_curvature(loss, args):
    """``(LossOutput, curvature or None)`` of a batch, from whichever methods the loss has."""
    combined = getattr(loss, "loss_grad_curvature", None)
    if combined is not None:
        return combined(*args)
    # a duck-typed loss without the SkipGramLoss base class
    out = loss.loss_and_grad(*args)
    return out, (loss.curvature(*args) if hasattr(loss, "curvature") else None)


def _composed_step(W_in, W_out, inputs, outside, neg, lr, loss, incidence, row_sums):
    """:func:`generic_step` with composed input vectors."""
    vectors, inverse, plan = _composed.composed_rows(W_in, incidence, inputs)
    out, curvature = _loss_grad_curvature(loss, (vectors, outside, W_out, neg))
    c_in, c_out = (None, None) if curvature is None else curvature
    steps, scaled = _composed.word_sums(inverse, out.grad_center, -lr, c_in, W_in.dtype)
    _composed.scatter(W_in, plan, 0, steps, scaled, row_sums)
    scatter_add(W_out, out.output_rows, out.grad_output, scale=-lr, curvature=c_out)
    return out.loss


def group_batches(indptr, batch_size):
    """Window indices that cut batches of about ``batch_size`` pairs.

    A batch ends at the first window boundary at or after each multiple of
    ``batch_size`` pairs, so batches hold whole windows.
    """
    n = int(indptr[-1])
    at = np.searchsorted(indptr[:-1], np.arange(batch_size, n, batch_size))
    cuts = at[at < indptr.size - 1]
    return np.unique(np.concatenate(([0], cuts, [indptr.size - 1])))


def draw_window_negatives(sampler, gbounds, n_negatives, share, rng):
    """Each window's ``n_negatives`` negatives, one draw per group of ``share`` windows.

    Parameters
    ----------
    sampler : AliasSampler
        The noise distribution.
    gbounds : ndarray of int of shape (n_batches + 1,)
        Window indices that cut the batches (:func:`group_batches`);
        ``gbounds[-1]`` is the number of windows.
    n_negatives : int
    share : int
        At most this many windows of a batch share one draw. A batch of
        ``n`` windows makes ``G = ceil(n / share)`` groups, and its window
        ``j`` joins group ``j mod G``: the windows of a group lie about
        ``n / share`` windows apart, so they rarely share context words
        (neighbouring windows do, and sharing negatives between them costs
        quality). With 1, every window draws its own, in one call
        ``sampler.sample((n_windows, n_negatives), rng)``.
    rng : numpy.random.Generator

    Returns
    -------
    negatives : ndarray of int32 of shape (n_windows, n_negatives)
        The windows of one group hold the same row. The groups draw in
        order: a batch's groups after the previous batch's, each batch's
        in the order of their first windows.
    """
    n_windows = int(gbounds[-1])
    if share == 1:
        return sampler.sample((n_windows, n_negatives), rng)
    counts = np.diff(gbounds)
    n_groups = -(-counts // share)  # per batch, rounded up
    first = np.zeros(counts.size, dtype=np.intp)
    np.cumsum(n_groups[:-1], out=first[1:])
    batch = np.repeat(np.arange(counts.size), counts)
    group = first[batch] + (np.arange(n_windows) - gbounds[batch]) % n_groups[batch]
    return sampler.sample((int(n_groups.sum()), n_negatives), rng).take(group, axis=0)


def fused_kernel(loss):
    """The loss's fused window kernel (``loss.window_kernel()``), or None.

    With None, :func:`train_range` trains through the loss's protocol
    methods, and its output rows may be any of the matrix's.
    """
    ask = getattr(loss, "window_kernel", None)
    return ask() if ask is not None else None


def train_range(W_in, W_out, ids, offsets, start, stop, *, window, loss, n_negatives, sampler,
                batch_size, lr_start, lr_stop, rng, callback=None, base=0, read=None,
                incidence=None, drawn=None):
    """Train on the windows whose centers lie in ``[start, stop)`` of ``ids``.

    The learning rate decreases linearly from ``lr_start`` at ``start`` to
    ``lr_stop`` at ``stop``. Windows are taken in text order and grouped into
    mini-batches of about ``batch_size`` pairs (whole windows).

    Parameters
    ----------
    W_in, W_out : ndarray of shape (n_words, n_features)
        Modified in place. With ``incidence``, ``W_in`` has
        ``incidence.n_rows`` rows (the words' own rows, then the n-gram
        buckets).
    ids : ndarray of int32 or None
        The (subsampled) encoded corpus, or a slice of it starting at corpus
        position ``base`` that holds ``[start - window, stop + window)``.
        None when ``read`` is given.
    offsets : ndarray of int64
        Document offsets in the whole corpus.
    start, stop : int
        Range of center positions.
    window : int
    loss : SkipGramLoss
        Trained through its ``window_kernel()`` when it offers one, else
        through its ``loss_grad_curvature``.
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
    read : callable or None, default=None
        ``read(a, b)`` returns the ids of corpus positions ``[a, b)`` (for a
        corpus on disk, read one block of centers plus the window on each
        side at a time).
    incidence : Incidence or None, default=None
        Subword input vectors: each word's input vector is composed from
        the rows of ``W_in`` that :class:`~skw2v._core.composed.Incidence`
        lists, and its steps go back to them (:mod:`skw2v._core.composed`).
    drawn : ndarray of bool of shape (n_words,) or None, default=None
        If given, every word drawn as a negative is set True in it (with the
        words of ``[start - window, stop + window)``, these are the output
        rows negative sampling can change; synchronised shards diff only
        those).

    Returns
    -------
    result : RangeResult
    """
    kernel = fused_kernel(loss)
    needs_neg = bool(loss.requires_negatives)
    # windows per draw of negatives (a negative-sampling loss's shared_windows)
    ask_share = getattr(loss, "windows_per_draw", None)
    share = ask_share() if ask_share is not None else 1
    # this call's buffer for the subword rows' curvature sums (never shared by workers)
    row_sums = _composed.RowSums(incidence.n_rows) if incidence is not None else None
    total_loss = 0.0
    total_pairs = 0
    for block_start in range(start, stop, PAIR_BLOCK):
        block_stop = min(block_start + PAIR_BLOCK, stop)
        if read is not None:
            local_base = max(block_start - window, 0)
            local = read(local_base, block_stop + window)
        else:
            local, local_base = ids, base
        _, outside, position = skipgram_pairs(local, offsets, block_start, block_stop,
                                              window, rng, base=local_base, centers=False)
        if outside.size:
            # Windows, their center words and their negatives for the whole
            # block at once; batches are then runs of whole windows. Only the
            # generic path reads each pair's window index (``group``).
            if kernel is None:
                group, indptr = window_groups(position)
            else:
                group, indptr = None, run_starts(position)
            # each window's center word, read where its pairs' centers are
            targets = local[position[indptr[:-1]] + (block_start - local_base)]
            gbounds = group_batches(indptr, batch_size)
            neg = None
            if needs_neg:
                neg = draw_window_negatives(sampler, gbounds, n_negatives, share, rng)
                if drawn is not None:
                    drawn[neg] = True
            block = _Block(outside, position, group, indptr, targets, neg, gbounds,
                           block_start)
            train = _train_fused if kernel is not None else _train_generic
            # the running total goes in, so the batch losses add up in order
            total_loss = train(W_in, W_out, block, kernel or loss,
                               _Schedule(start, stop, lr_start, lr_stop), total_loss,
                               incidence, row_sums)
            total_pairs += outside.size
        if callback is not None:
            callback(block_stop - block_start)
        # free this block's arrays before the next block builds its own
        local = outside = position = block = None
        group = indptr = targets = neg = gbounds = None
    return RangeResult(total_loss, total_pairs, stop - start)


class _Schedule(NamedTuple):
    """The linear learning-rate decay over the centers ``[start, stop)``."""

    start: int
    stop: int
    lr_start: float
    lr_stop: float

    def at(self, center):
        frac = (center - self.start) / max(self.stop - self.start, 1)
        return self.lr_start + (self.lr_stop - self.lr_start) * frac


class _Block(NamedTuple):
    """The pairs of a block of centers, cut into windows and batches of windows."""

    outside: np.ndarray
    position: np.ndarray
    group: np.ndarray
    indptr: np.ndarray
    targets: np.ndarray
    negatives: np.ndarray | None
    gbounds: np.ndarray
    first_center: int


def _train_generic(W_in, W_out, block, loss, schedule, total, incidence=None, row_sums=None):
    """Train a block batch by batch through the loss's protocol methods.

    Returns ``total`` plus the batches' losses, added one by one.
    """
    gbounds, indptr = block.gbounds.tolist(), block.indptr
    for g0, g1 in zip(gbounds[:-1], gbounds[1:], strict=True):
        b, e = int(indptr[g0]), int(indptr[g1])
        lr = schedule.at(block.first_center + int(block.position[b]))
        neg = block.negatives[g0:g1] if block.negatives is not None else None
        total += generic_step(W_in, W_out, block.outside[b:e], block.group[b:e] - g0,
                              block.targets[g0:g1], neg, lr, loss, incidence, row_sums)
    return total


def _train_fused(W_in, W_out, block, kernel, schedule, total, incidence=None, row_sums=None):
    """Train a block through a fused window kernel, a chunk of batches at a time.

    Returns ``total`` plus the batches' losses, added one by one.
    """
    gbounds, indptr = block.gbounds, block.indptr
    for c0 in range(0, gbounds.size - 1, CHUNK_BATCHES):
        # Layouts and sum plans of a chunk of batches at once
        c1 = min(c0 + CHUNK_BATCHES, gbounds.size - 1)
        w0, w1 = int(gbounds[c0]), int(gbounds[c1])
        p0, p1 = int(indptr[w0]), int(indptr[w1])
        # the chunk's batch boundaries as Python ints: windows, pairs, and
        # the position of each batch's first pair (its learning rate)
        chunk_bounds = gbounds[c0:c1 + 1]
        window_at = chunk_bounds.tolist()
        pair_at = indptr[chunk_bounds].tolist()
        position_at = block.position[pair_at[:-1]].tolist()
        args = (block.outside[p0:p1], indptr[w0:w1 + 1] - p0, chunk_bounds - w0,
                block.targets[w0:w1], block.negatives[w0:w1])
        if incidence is None:
            chunk = kernel.chunk(*args, W_in.shape[0], W_out.shape[0])
        else:  # the input ids are words, composed from subword rows
            chunk = kernel.chunk(*args, incidence.n_words, W_out.shape[0], incidence=incidence,
                                 row_sums=row_sums)
        for i in range(c1 - c0):
            lr = schedule.at(block.first_center + position_at[i])
            total += kernel.step(W_in, W_out, chunk, i, (pair_at[i] - p0, pair_at[i + 1] - p0),
                                 (window_at[i] - w0, window_at[i + 1] - w0), lr)
        chunk = args = None  # not held while the next chunk is built
    return total
