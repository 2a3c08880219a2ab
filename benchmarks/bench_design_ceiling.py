"""How fast could a NumPy mini-batch step of skip-gram be? Idealised steps on synthetic batches.

Issue 16 asks for 3x gensim's words/s, or the measured ceiling of the best
design tried and why it is the ceiling. This times, on one BLAS thread, as
process CPU time per batch, steps that leave out what the shipped kernel
must also do (the step bound and its curvature, the sums of repeated rows,
layouts and sum plans, pairs and negative draws):

* ``per-window``: the shipped kernel's products, each window's center and
  its own ``K`` negatives in one stacked ``(6 x d) @ (d x K+1)`` per product;
* ``shared``: the ``K`` negatives shared by every pair of the batch (one
  GEMM), each pair's positive row expanded per pair (a gather), dotted,
  multiplied and summed per window;
* ``mixed``: negatives shared by the batch (one GEMM), positives in stacked
  per-window products;
* ``grouped-8``: as ``mixed``, with ``K`` negatives per group of 8 windows
  (one stacked ``(48 x d) @ (d x K)`` per group), the grouped-product form
  of ``NegativeSamplingLoss(shared_windows=8)``;
* ``minimal``: not skip-gram at all, a floor: every pair scores against one
  shared block of ``K+1`` output rows;
* ``per-window, text widths`` and ``grouped-8, text widths``: ``per-window``
  and ``grouped-8`` on batches whose windows have text's widths (2 to 10
  pairs, :func:`make_text_batch`), so one stacked product per width (and, for
  the groups, per stack of equal groups of one width) as a real kernel
  needs; the groups of 8 windows are of one width, far apart in the batch.

Batches are synthetic but shaped like text8like's: ``m`` pairs in windows of
6 pairs sliding over a stream of words drawn from a Zipf law (p ~ 1/rank)
over ``--vocab`` words, negatives from its 3/4 power. A raw word is worth
``--pairs-per-word`` pairs (4.414 measured on text8like by ``bench_ab.py``),
so words/s = pairs trained / pairs-per-word / seconds per batch. These are
ceilings of each design's products on this machine, not speeds of a fit.

With ``--gensim-corpus``, every repetition also trains gensim (1 worker) for
an epoch, and each step's rate is given as a multiple of gensim's raw words
per CPU second in the same run: this machine's speed drifts by tens of per
cent within minutes, so only rates taken side by side compare.

Example::

    python benchmarks/bench_design_ceiling.py --sizes 1024 4096 --shares 8 64 \
        --gensim-corpus ../shared/data/text8like.txt.gz --gensim-tokens 4000000 \
        --out benchmarks/results/design_ceiling.json
"""

import argparse
import functools
import json
import os
import statistics
import time

import numpy as np
import scipy.sparse as sp
from threadpoolctl import threadpool_limits


@functools.lru_cache(maxsize=4)
def word_laws(vocab):
    """The Zipf law ``p ~ 1/rank`` over ``vocab`` words and its 3/4 power (the noise)."""
    p = 1.0 / np.arange(1, vocab + 1)
    p /= p.sum()
    noise = p ** 0.75
    noise /= noise.sum()
    return p, noise


def make_batch(rng, m, vocab, n_negatives, width=6):
    """Indices of a synthetic batch of ``m`` pairs (see the module docstring).

    The windows slide over a stream of Zipf-distributed tokens, as over text:
    window ``i`` is centred on token ``i`` and its pairs' inputs are the
    ``width`` tokens around it, so neighbouring windows share inputs (text8like's
    batches of 1,024 pairs have about 126 distinct input words in 170 windows).
    """
    p, noise = word_laws(vocab)
    n_windows = -(-m // width)
    half = width // 2
    stream = rng.choice(vocab, n_windows + 2 * half, p=p)
    offsets = np.concatenate((np.arange(-half, 0), np.arange(1, half + 1)))
    pair_words = stream[half + np.arange(n_windows)[:, None] + offsets].ravel()[:m]
    widths = np.full(n_windows, width)
    widths[-1] = m - width * (n_windows - 1)
    in_words, local = np.unique(pair_words, return_inverse=True)
    return {
        "in_words": in_words,
        "local": local,
        "centers": stream[half:half + n_windows],
        "row_window": np.repeat(np.arange(n_windows), widths),
        "win_start": np.concatenate(([0], np.cumsum(widths)[:-1])),
        "negatives": rng.choice(vocab, n_negatives, p=noise),
        "window_rows": np.concatenate(
            (stream[half:half + m // width, None],
             rng.choice(vocab, (m // width, n_negatives), p=noise)), axis=1),
        "group_negatives": rng.choice(vocab, (m // width // 8 + 1, n_negatives), p=noise),
        "block": rng.choice(vocab, n_negatives + 1, p=noise, replace=False),
        "full": m // width,
        "S_in": sp.csr_matrix((np.ones(m, np.float32), (local, np.arange(m))),
                              shape=(in_words.size, m)),
    }


def shared_step(W_in, W_out, b, lr=0.025):
    words = W_in.take(b["in_words"], axis=0)
    v = words.take(b["local"], axis=0)
    centers = W_out.take(b["centers"], axis=0)
    neg = W_out.take(b["negatives"], axis=0)
    u_pos = centers.take(b["row_window"], axis=0)
    s = np.empty((v.shape[0], neg.shape[0] + 1), dtype=v.dtype)
    s[:, 0] = np.vecdot(v, u_pos) if hasattr(np, "vecdot") else np.einsum("ij,ij->i", v, u_pos)
    np.matmul(v, neg.T, out=s[:, 1:])
    e = np.exp(-np.abs(s))
    loss = float(np.log1p(e).sum())
    g = np.where(s >= 0, np.float32(1), e) / (1 + e)
    g[:, 0] -= 1
    grad_v = g[:, :1] * u_pos
    grad_v += g[:, 1:] @ neg
    grad_neg = g[:, 1:].T @ v
    grad_centers = np.add.reduceat(g[:, :1] * v, b["win_start"], axis=0)
    W_in[b["in_words"]] -= lr * (b["S_in"] @ grad_v)
    W_out[b["centers"]] -= lr * grad_centers
    W_out[b["negatives"]] -= lr * grad_neg
    return loss


def mixed_step(W_in, W_out, b, lr=0.025):
    """``shared_step`` with each window's positive in batched per-window products.

    The windows of the synthetic batch are all 6 pairs wide (the last one
    shorter), so the per-window products are one stacked ``matmul`` each
    (real batches need one per width, 2 to 10); the pairs' positive rows are
    not expanded per pair.
    """
    words = W_in.take(b["in_words"], axis=0)
    v = words.take(b["local"], axis=0)
    centers = W_out.take(b["centers"], axis=0)
    neg = W_out.take(b["negatives"], axis=0)
    m, d = v.shape
    full = b["full"]  # windows of 6 pairs
    v3 = v[:6 * full].reshape(full, 6, d)
    s = np.empty((m, neg.shape[0] + 1), dtype=v.dtype)
    np.matmul(v3, centers[:full, :, None], out=s[:6 * full, :1].reshape(full, 6, 1))
    if 6 * full < m:  # the last, shorter window
        s[6 * full:, 0] = v[6 * full:] @ centers[full]
    np.matmul(v, neg.T, out=s[:, 1:])
    e = np.exp(-np.abs(s))
    loss = float(np.log1p(e).sum())
    g = np.where(s >= 0, np.float32(1), e) / (1 + e)
    g[:, 0] -= 1
    grad_v = g[:, 1:] @ neg
    g_pos = g[:, 0]
    grad_v[:6 * full].reshape(full, 6, d)[...] += (g_pos[:6 * full].reshape(full, 6, 1)
                                                   * centers[:full, None, :])
    grad_centers = np.empty_like(centers)
    np.matmul(g_pos[:6 * full].reshape(full, 1, 6), v3,
              out=grad_centers[:full].reshape(full, 1, d))
    if 6 * full < m:
        grad_v[6 * full:] += g_pos[6 * full:, None] * centers[full]
        grad_centers[full] = g_pos[6 * full:] @ v[6 * full:]
    grad_neg = g[:, 1:].T @ v
    W_in[b["in_words"]] -= lr * (b["S_in"] @ grad_v)
    W_out[b["centers"]] -= lr * grad_centers
    W_out[b["negatives"]] -= lr * grad_neg
    return loss


def per_window_step(W_in, W_out, b, lr=0.025):
    """The shipped kernel's products, without its bound or sums: each window's
    center and its own ``K`` negatives, one stacked ``(6 x d) @ (d x K+1)`` per
    window and product (``b["window_rows"]``: each window's ``K+1`` output rows)."""
    words = W_in.take(b["in_words"], axis=0)
    v = words.take(b["local"], axis=0)
    full, d = b["full"], v.shape[1]
    rows = b["window_rows"]
    out = W_out.take(rows.ravel(), axis=0).reshape(full, rows.shape[1], d)
    v3 = v[:6 * full].reshape(full, 6, d)
    s = np.matmul(v3, out.transpose(0, 2, 1))
    e = np.exp(-np.abs(s))
    loss = float(np.log1p(e).sum())
    g = np.where(s >= 0, np.float32(1), e) / (1 + e)
    g[:, :, 0] -= 1
    grad_v = np.zeros_like(v)
    np.matmul(g, out, out=grad_v[:6 * full].reshape(full, 6, d))
    grad_out = np.matmul(g.transpose(0, 2, 1), v3)
    W_in[b["in_words"]] -= lr * (b["S_in"] @ grad_v)
    W_out[rows.ravel()] -= lr * grad_out.reshape(-1, d)
    return loss


def grouped_step(W_in, W_out, b, lr=0.025, windows=8):
    """``mixed_step`` with ``K`` negatives per group of ``windows`` windows, not per
    batch: the pairs laid out group by group, so the negatives are one stacked
    ``(6 windows x d) @ (d x K)`` per group (the layout order is the plan's to
    choose, so it costs nothing here)."""
    words = W_in.take(b["in_words"], axis=0)
    v = words.take(b["local"], axis=0)
    full, d = b["full"], v.shape[1]
    n_groups = full // windows
    p = 6 * windows * n_groups  # pairs in whole groups; the rest is left out
    centers = W_out.take(b["centers"][:n_groups * windows], axis=0)
    negs = b["group_negatives"][:n_groups]
    neg = W_out.take(negs.ravel(), axis=0).reshape(n_groups, negs.shape[1], d)
    vg = v[:p].reshape(n_groups, 6 * windows, d)
    v3 = v[:p].reshape(n_groups * windows, 6, d)
    s = np.empty((p, negs.shape[1] + 1), dtype=v.dtype)
    np.matmul(v3, centers[:, :, None], out=s[:, :1].reshape(-1, 6, 1))
    s_neg = np.matmul(vg, neg.transpose(0, 2, 1))
    s[:, 1:] = s_neg.reshape(p, -1)
    e = np.exp(-np.abs(s))
    loss = float(np.log1p(e).sum())
    g = np.where(s >= 0, np.float32(1), e) / (1 + e)
    g[:, 0] -= 1
    g_neg = np.ascontiguousarray(g[:, 1:]).reshape(n_groups, 6 * windows, -1)
    grad_v = np.zeros_like(v)
    np.matmul(g_neg, neg, out=grad_v[:p].reshape(n_groups, 6 * windows, d))
    grad_v[:p].reshape(-1, 6, d)[...] += g[:, :1].reshape(-1, 6, 1) * centers[:, None, :]
    grad_centers = np.matmul(g[:, 0].reshape(-1, 1, 6), v3).reshape(-1, d)
    grad_neg = np.matmul(g_neg.transpose(0, 2, 1), vg)
    W_in[b["in_words"]] -= lr * (b["S_in"] @ grad_v)
    W_out[b["centers"][:n_groups * windows]] -= lr * grad_centers
    W_out[negs.ravel()] -= lr * grad_neg.reshape(-1, d)
    return loss


def minimal_step(W_in, W_out, b, lr=0.025):
    words = W_in.take(b["in_words"], axis=0)
    v = words.take(b["local"], axis=0)
    block = W_out.take(b["block"], axis=0)
    s = v @ block.T
    e = np.exp(-np.abs(s))
    loss = float(np.log1p(e).sum())
    g = np.where(s >= 0, np.float32(1), e) / (1 + e)
    W_in[b["in_words"]] -= lr * (b["S_in"] @ (g @ block))
    W_out[b["block"]] -= lr * (g.T @ v)
    return loss


def make_text_batch(rng, m, vocab, n_negatives, share=8):
    """A synthetic batch of about ``m`` pairs in windows of text's widths, laid out by width.

    As :func:`make_batch`, but each window's width is ``2 b`` with ``b``
    drawn uniformly from 1..5 (word2vec's reduced window, ``window=5``), so a
    batch has windows of 2, 4, 6, 8 and 10 pairs (6 on average) as a real
    one does (document edges aside). The windows are laid out by width, then
    in text order, as the shipped kernel lays them out. For the grouped
    steps, the windows of one width are cut into ``G = ceil(n / share)``
    groups far apart in the batch (rank ``r`` among that width's windows
    joins group ``r mod G``), each with its own ``K`` negatives, and laid
    out group by group: a width's groups then hold ``ceil(n / G)`` or one
    window fewer, two stacks of equal groups at most per width.
    """
    p, noise = word_laws(vocab)
    widths = []
    total = 0
    while total < m:
        widths.append(2 * int(rng.integers(1, 6)))
        total += widths[-1]
    widths = np.array(widths)
    n_windows = widths.size
    stream = rng.choice(vocab, n_windows + 10, p=p)
    centers = stream[5:5 + n_windows]
    inputs = []
    for i, w in enumerate(widths.tolist()):
        h = w // 2
        inputs.append(np.concatenate((stream[5 + i - h:5 + i], stream[6 + i:6 + i + h])))
    # layout: by width, then group (within the width), then text order
    runs, stacks = [], []
    n_groups = 0
    window_group = np.empty(n_windows, dtype=np.intp)
    order = []
    row = 0
    for w in np.unique(widths).tolist():
        at = np.flatnonzero(widths == w)
        g_count = -(-at.size // share)
        group = np.arange(at.size) % g_count
        ranked = at[np.argsort(group, kind="stable")]
        window_group[ranked] = n_groups + np.sort(group)
        sizes = np.bincount(group, minlength=g_count)
        w0 = len(order)
        order.extend(ranked.tolist())
        runs.append((w, w0, len(order), row, row + w * at.size))
        g0 = 0
        for size in np.unique(sizes)[::-1].tolist():  # the larger groups come first
            n_g = int((sizes == size).sum())
            stacks.append((size * w, n_groups + g0, n_groups + g0 + n_g, row,
                           row + size * w * n_g))
            row += size * w * n_g
            g0 += n_g
        n_groups += g_count
    order = np.array(order)
    pair_words = np.concatenate([inputs[i] for i in order.tolist()])
    in_words, local = np.unique(pair_words, return_inverse=True)
    m_true = pair_words.size
    lay_widths = widths[order]
    return {
        "in_words": in_words, "local": local, "m": m_true,
        "centers": centers[order],
        "window_negatives": rng.choice(vocab, (n_windows, n_negatives), p=noise),
        "group_negatives": rng.choice(vocab, (n_groups, n_negatives), p=noise),
        "runs": runs, "stacks": stacks,
        "row_window": np.repeat(np.arange(n_windows), lay_widths),
        "row_group": np.repeat(window_group[order], lay_widths),
        "S_in": sp.csr_matrix((np.ones(m_true, np.float32), (local, np.arange(m_true))),
                              shape=(in_words.size, m_true)),
    }


def _loss_and_g(s):
    """Summed ``softplus(s)`` and its derivative ``sigma(s)`` (a positive's score negated)."""
    e = np.exp(-np.abs(s))
    loss = float((np.log1p(e) + np.maximum(s, 0.0)).sum())
    g = np.where(s >= 0, np.float32(1), e) / (1 + e)
    return loss, g


def _stacked_scores(v, rows, stacks, out):
    """``out[r] = v[r] @ rows[item].T`` for each stack ``(per, i0, i1, r0, r1)``: items
    ``i0:i1``, each of ``per`` consecutive layout rows from ``r0``, one stacked product."""
    d, k = v.shape[1], rows.shape[1]
    rows_t = rows.transpose(0, 2, 1)
    for per, i0, i1, r0, r1 in stacks:
        np.matmul(v[r0:r1].reshape(i1 - i0, per, d), rows_t[i0:i1],
                  out=out[r0:r1].reshape(i1 - i0, per, k))


def _stacked_grads(g, rows, v, stacks, grad_v, grad_rows):
    """The gradients of :func:`_stacked_scores`' products: ``grad_v[r] = g[r] @ rows[item]``
    and ``grad_rows[item] = g[item's rows].T @ v[item's rows]``."""
    d, k = v.shape[1], rows.shape[1]
    for per, i0, i1, r0, r1 in stacks:
        g_s = g[r0:r1].reshape(i1 - i0, per, k)
        np.matmul(g_s, rows[i0:i1], out=grad_v[r0:r1].reshape(i1 - i0, per, d))
        np.matmul(g_s.transpose(0, 2, 1), v[r0:r1].reshape(i1 - i0, per, d),
                  out=grad_rows[i0:i1])


def per_window_text_step(W_in, W_out, b, lr=0.025):
    """:func:`per_window_step` on :func:`make_text_batch`'s widths: one stacked
    ``(width x d) @ (d x K+1)`` per width and product (five per product)."""
    words = W_in.take(b["in_words"], axis=0)
    v = words.take(b["local"], axis=0)
    m, d = v.shape
    rows = np.concatenate((b["centers"][:, None], b["window_negatives"]), axis=1)
    k1 = rows.shape[1]
    out = W_out.take(rows.ravel(), axis=0).reshape(-1, k1, d)
    s = np.empty((m, k1), dtype=v.dtype)
    _stacked_scores(v, out, b["runs"], s)
    s[:, 0] = -s[:, 0]  # the positive's loss is softplus(-s)
    loss, g = _loss_and_g(s)
    g[:, 0] = -g[:, 0]
    grad_v = np.empty_like(v)
    grad_out = np.empty_like(out)
    _stacked_grads(g, out, v, b["runs"], grad_v, grad_out)
    W_in[b["in_words"]] -= lr * (b["S_in"] @ grad_v)
    W_out[rows.ravel()] -= lr * grad_out.reshape(-1, d)
    return loss


def grouped_text_step(W_in, W_out, b, lr=0.025):
    """The grouped-product form of ``shared_windows=8`` on :func:`make_text_batch`'s
    widths: positives in one stacked per-window product per width; negatives
    in one stacked ``(group pairs x d) @ (d x K)`` per stack of equal groups
    (at most two per width)."""
    words = W_in.take(b["in_words"], axis=0)
    v = words.take(b["local"], axis=0)
    m, d = v.shape
    centers = W_out.take(b["centers"], axis=0)
    negs = b["group_negatives"]
    k = negs.shape[1]
    neg = W_out.take(negs.ravel(), axis=0).reshape(-1, k, d)
    s = np.empty((m, k + 1), dtype=v.dtype)
    pos = np.empty((m, 1), dtype=v.dtype)
    _stacked_scores(v, centers[:, None, :], b["runs"], pos)
    s_neg = np.empty((m, k), dtype=v.dtype)
    _stacked_scores(v, neg, b["stacks"], s_neg)
    s[:, 0] = -pos[:, 0]
    s[:, 1:] = s_neg
    loss, g = _loss_and_g(s)
    g_pos = -g[:, 0]
    g_neg = np.ascontiguousarray(g[:, 1:])
    grad_v = np.empty_like(v)
    grad_neg = np.empty_like(neg)
    _stacked_grads(g_neg, neg, v, b["stacks"], grad_v, grad_neg)
    grad_centers = np.empty_like(centers)
    for w, w0, w1, r0, r1 in b["runs"]:
        n = w1 - w0
        g_w = g_pos[r0:r1].reshape(n, w, 1)
        grad_v[r0:r1].reshape(n, w, d)[...] += g_w * centers[w0:w1, None, :]
        np.matmul(g_w.transpose(0, 2, 1), v[r0:r1].reshape(n, w, d),
                  out=grad_centers[w0:w1, None, :])
    W_in[b["in_words"]] -= lr * (b["S_in"] @ grad_v)
    W_out[b["centers"]] -= lr * grad_centers
    W_out[negs.ravel()] -= lr * grad_neg.reshape(-1, d)
    return loss


def time_steps(steps, W_in, W_out, repeats, anchor=None):
    """Median over ``repeats`` of the CPU seconds per batch of each step's pass over its batches.

    ``steps`` maps a name to ``(step, batches)``. The passes alternate (each
    repetition times every step once, in turn, then calls ``anchor``, which
    returns a rate, when given), so a machine that slows down or speeds up
    during the run shifts every step alike, not the last ones. Returns the
    medians by name, and the median of the anchor's rates (or None).
    The step size is 0: every operation runs (the scatters add zeros), but the
    vectors stay where they started, so replaying the same batches cannot blow
    them up (these steps have no bound) and no time goes to overflowing floats.
    """
    for step, batches in steps.values():  # a whole pass first: the first one is slow
        for b in batches:
            step(W_in, W_out, b, lr=0.0)
    times = {name: [] for name in steps}
    rates = []
    for _ in range(repeats):
        for name, (step, batches) in steps.items():
            t0 = time.process_time()
            for b in batches:
                step(W_in, W_out, b, lr=0.0)
            times[name].append((time.process_time() - t0) / len(batches))
        if anchor is not None:
            rates.append(anchor())
    medians = {name: statistics.median(t) for name, t in times.items()}
    return medians, (statistics.median(rates) if rates else None)


def gensim_anchor(path, max_tokens, dim, negative):
    """A callable that trains gensim 1 epoch (1 worker) and returns raw words per CPU second.

    gensim's skip-gram with ``bench_train.py``'s settings (window 5,
    min_count 5, sample 1e-3) on the first ``max_tokens`` of ``path`` in
    documents of 10,000 tokens; the vocabulary is built once. The CPU time
    is the process's (gensim's worker and job-producer threads), so the rate
    compares with the steps' one-core CPU time.
    """
    from _run_one import load_corpus
    from gensim.models import Word2Vec

    docs, n_tokens = load_corpus(path, max_tokens)
    model = Word2Vec(vector_size=dim, window=5, negative=negative, min_count=5, sample=1e-3,
                     sg=1, workers=1, seed=1)
    model.build_vocab(docs)

    def rate():
        t0 = time.process_time()
        model.train(docs, total_examples=len(docs), epochs=1)
        return n_tokens / (time.process_time() - t0)

    return rate


#: Pairs a step trains of a batch of ``m``, where it leaves some out: whole
#: windows of 6 pairs, whole groups of 8 windows.
PAIRS = {"per-window": lambda m: 6 * (m // 6), "grouped-8": lambda m: 48 * (m // 48)}


def keep_heap_temporaries():
    """Raise glibc's mmap and trim thresholds (64 and 256 MiB), where ``mallopt`` exists.

    Otherwise the per-batch temporaries above 128 KiB may be mapped and
    unmapped on every call, page faults included, until glibc's dynamic
    threshold adapts: the first batch size timed ran up to 2.8 times slower
    than the same size timed later. A long fit's heap has adapted long
    before, so the steps are timed as they would run there.
    """
    import ctypes
    import ctypes.util

    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    return bool(mallopt(-3, 64 << 20)) and bool(mallopt(-1, 256 << 20))  # MMAP, TRIM


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[1024, 2048, 4096, 16384])
    ap.add_argument("--vocab", type=int, default=67_841)
    ap.add_argument("--dim", type=int, default=100)
    ap.add_argument("--negative", type=int, default=5)
    ap.add_argument("--pairs-per-word", type=float, default=4.414)
    ap.add_argument("--pairs-per-size", type=int, default=2_000_000,
                    help="pairs per timed pass (batches of one size, drawn once)")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--shares", type=int, nargs="+", default=[8],
                    help="windows per group of the grouped steps on text widths")
    ap.add_argument("--gensim-corpus", default=None,
                    help="also time gensim (1 worker, 1 epoch) on this corpus in every "
                         "repetition, and give each step's rate as a multiple of gensim's")
    ap.add_argument("--gensim-tokens", type=int, default=1_000_000)
    ap.add_argument("--out", default=None)
    args = ap.parse_args(argv)
    heap = keep_heap_temporaries()
    anchor = (gensim_anchor(args.gensim_corpus, args.gensim_tokens, args.dim, args.negative)
              if args.gensim_corpus else None)
    rng = np.random.default_rng(0)
    W_in = (rng.normal(size=(args.vocab, args.dim)) * 0.01).astype(np.float32)
    W_out = (rng.normal(size=(args.vocab, args.dim)) * 0.01).astype(np.float32)
    rows = []
    print("| pairs per batch | step | us per batch | raw words/s |\n|---|---|---|---|")
    with threadpool_limits(1):
        for m in args.sizes:
            n = max(20, args.pairs_per_size // m)
            batches = [make_batch(rng, m, args.vocab, args.negative) for _ in range(n)]
            text = {share: [make_text_batch(np.random.default_rng([m, i]), m, args.vocab,
                                            args.negative, share) for i in range(n)]
                    for share in sorted({8, *args.shares})}
            text_pairs = statistics.mean(b["m"] for b in text[8])
            steps = {"per-window": (per_window_step, batches),
                     "shared": (shared_step, batches), "mixed": (mixed_step, batches),
                     "grouped-8": (grouped_step, batches), "minimal": (minimal_step, batches),
                     "per-window, text widths": (per_window_text_step, text[8])}
            # the same windows for every share (each batch seeded by size and index)
            steps.update({f"grouped-{share}, text widths": (grouped_text_step, text[share])
                          for share in sorted({8, *args.shares})})
            medians, gensim = time_steps(steps, W_in, W_out, args.repeats, anchor)
            if gensim is not None:
                print(f"| {m:,} | gensim, 1 worker (words per CPU second) | | {gensim:,.0f} |")
                rows.append({"pairs_per_batch": m, "step": "gensim, 1 worker",
                             "raw_words_per_cpu_second": gensim})
            for name, seconds in medians.items():
                pairs = text_pairs if "text" in name else PAIRS.get(name, lambda m: m)(m)
                words = pairs / args.pairs_per_word / seconds
                row = {"pairs_per_batch": m, "step": name, "mean_pairs": pairs,
                       "us_per_batch": seconds * 1e6, "raw_words_per_second": words}
                if gensim is not None:
                    row["x_gensim"] = words / gensim
                rows.append(row)
                ratio = f" ({words / gensim:.2f}x gensim)" if gensim is not None else ""
                print(f"| {m:,} | {name} | {seconds * 1e6:,.0f} | {words:,.0f}{ratio} |",
                      flush=True)
    if args.out:
        with open(args.out, "w") as fh:
            json.dump({"args": vars(args), "rows": rows, "load": os.getloadavg(), "mallopt": heap,
                       "numpy": np.__version__}, fh, indent=1)
        print("wrote", args.out)


if __name__ == "__main__":
    main()
