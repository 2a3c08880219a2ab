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
  shared block of ``K+1`` output rows.

Batches are synthetic but shaped like text8like's: ``m`` pairs in windows of
6 pairs sliding over a stream of words drawn from a Zipf law (p ~ 1/rank)
over ``--vocab`` words, negatives from its 3/4 power. A raw word is worth
``--pairs-per-word`` pairs (4.414 measured on text8like by ``bench_ab.py``),
so words/s = pairs trained / pairs-per-word / seconds per batch. These are
ceilings of each design's products on this machine, not speeds of a fit.

Example::

    python benchmarks/bench_design_ceiling.py --out benchmarks/results/design_ceiling.json
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


def time_step(step, W_in, W_out, batches, repeats):
    """Median over ``repeats`` of the CPU seconds per batch of a pass over ``batches``.

    The step size is 0: every operation runs (the scatters add zeros), but the
    vectors stay where they started, so replaying the same batches cannot blow
    them up (these steps have no bound) and no time goes to overflowing floats.
    """
    for b in batches:  # a whole pass first: the first one over new arrays is slow
        step(W_in, W_out, b, lr=0.0)
    times = []
    for _ in range(repeats):
        t0 = time.process_time()
        for b in batches:
            step(W_in, W_out, b, lr=0.0)
        times.append((time.process_time() - t0) / len(batches))
    return statistics.median(times)


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
    ap.add_argument("--out", default=None)
    args = ap.parse_args(argv)
    heap = keep_heap_temporaries()
    rng = np.random.default_rng(0)
    W_in = (rng.normal(size=(args.vocab, args.dim)) * 0.01).astype(np.float32)
    W_out = (rng.normal(size=(args.vocab, args.dim)) * 0.01).astype(np.float32)
    rows = []
    print("| pairs per batch | step | us per batch | raw words/s |\n|---|---|---|---|")
    with threadpool_limits(1):
        for m in args.sizes:
            n = max(20, args.pairs_per_size // m)
            batches = [make_batch(rng, m, args.vocab, args.negative) for _ in range(n)]
            for name, step in (("per-window", per_window_step), ("shared", shared_step),
                               ("mixed", mixed_step), ("grouped-8", grouped_step),
                               ("minimal", minimal_step)):
                seconds = time_step(step, W_in, W_out, batches, args.repeats)
                words = PAIRS.get(name, lambda m: m)(m) / args.pairs_per_word / seconds
                rows.append({"pairs_per_batch": m, "step": name,
                             "us_per_batch": seconds * 1e6, "raw_words_per_second": words})
                print(f"| {m:,} | {name} | {seconds * 1e6:,.0f} | {words:,.0f} |", flush=True)
    if args.out:
        with open(args.out, "w") as fh:
            json.dump({"args": vars(args), "rows": rows, "load": os.getloadavg(), "mallopt": heap,
                       "numpy": np.__version__}, fh, indent=1)
        print("wrote", args.out)


if __name__ == "__main__":
    main()
