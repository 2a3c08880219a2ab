"""This machine's sgemm rate per core, and the compute limit of skip-gram it implies.

The limit (issue 16, item 6). One (centre, context) pair of skip-gram with
K negatives and d dimensions touches one input row v and K+1 output rows
u_0..u_K (the context word and the K negatives):

* forward scores s_k = u_k . v: (K+1) dot products of length d, 2d(K+1) FLOP
  (a multiply and an add per element);
* gradient of the input row, sum_k g_k u_k: 2d(K+1) FLOP;
* gradient of the output rows, g_k v, added into u_k: d(K+1) multiplies and
  d(K+1) adds, 2d(K+1) FLOP.

That is ``6 d (K+1)`` FLOP per pair: 3,600 at d=100, K=5. Left out, because
they are O(d) or O(K) per pair and not matrix work: the sigmoids and loss,
and adding the input gradient into v (2d per pair at most). Mini-batch and
Hogwild implementations do the same three products, as GEMMs over blocks of
pairs, so the fastest they can run on a core is the sgemm rate: with ``P``
pairs trained per raw corpus word (after subsampling, windows shrunk at
random, summed over the epochs and divided by raw tokens x epochs), the
compute limit is::

    limit (raw words/s per core) = sgemm FLOP/s / (6 d (K+1) P)

``P`` is counted from the run itself (skw2v's ``n_pairs_``), not assumed:
about 4.2 at window 5 and ``sample=1e-3`` on text8like (the expected value
is (w+1) times the kept fraction of tokens). The same ``P`` holds for every
system of a run: fastText, gensim and word2vec C subsample with the same
formula and draw the same reduced windows.

The sgemm rate is that of the three products of a block of m input rows
against n output rows in float32, ``S = A B^T`` (m x n), ``S B`` (m x d) and
``S^T A`` (n x d), 6 m n d FLOP, on one BLAS thread (threadpoolctl), median
over repetitions; the limit uses the fastest block shape. For contrast the
table also shows the same products done per pair, as a batched (1 x d) by
(d x (K+1)) matmul: the shape of one pair's work, far from the sgemm rate.

Run alone, prints the table and the limit at the given settings::

    python benchmarks/bench_limit.py --dim 100 --negative 5 --pairs-per-word 4.2
"""

from __future__ import annotations

import argparse
import json
import os

import numpy as np
from bench_softmax import timeit as _median_time

BLOCKS = ((1024, 1024), (512, 2048), (256, 1024), (4096, 1024))


def flop_per_pair(dim, negative):
    """FLOP of one skip-gram pair with ``negative`` negatives: ``6 d (K+1)``."""
    return 6 * dim * (negative + 1)


def limit_words_per_second(sgemm_flops, dim, negative, pairs_per_word):
    """Raw corpus words per second per core at the sgemm rate."""
    return sgemm_flops / (flop_per_pair(dim, negative) * pairs_per_word)


def sgemm_rates(dim=100, negative=5, blocks=BLOCKS, repeats=9, seed=0):
    """GFLOP/s of the three SGNS products per shape, on one BLAS thread.

    Returns a dict with ``shapes`` (one entry per block shape and one for the
    per-pair batched matmul), ``sgemm_gflops`` (the fastest block shape) and
    the BLAS description.
    """
    from threadpoolctl import threadpool_info, threadpool_limits

    rng = np.random.default_rng(seed)
    rows = []
    with threadpool_limits(1):
        for m, n in blocks:
            a = rng.standard_normal((m, dim), dtype=np.float32)
            b = rng.standard_normal((n, dim), dtype=np.float32)
            s = np.empty((m, n), dtype=np.float32)
            ga = np.empty((m, dim), dtype=np.float32)
            gb = np.empty((n, dim), dtype=np.float32)

            def block(a=a, b=b, s=s, ga=ga, gb=gb):
                np.matmul(a, b.T, out=s)
                np.matmul(s, b, out=ga)
                np.matmul(s.T, a, out=gb)

            t = _median_time(block, repeats)
            rows.append(dict(shape=f"block {m}x{n}, d={dim}", m=m, n=n, dim=dim,
                             seconds=t, gflops=6.0 * m * n * dim / t / 1e9))
        n_pairs, k1 = 4096, negative + 1
        v = rng.standard_normal((n_pairs, 1, dim), dtype=np.float32)
        u = rng.standard_normal((n_pairs, k1, dim), dtype=np.float32)

        def per_pair(v=v, u=u):
            s = np.matmul(v, u.transpose(0, 2, 1))  # (P, 1, K+1)
            np.matmul(s, u)  # input gradient (P, 1, d)
            np.matmul(s.transpose(0, 2, 1), v)  # output gradients (P, K+1, d)

        t = _median_time(per_pair, repeats)
        rows.append(dict(shape=f"per pair (batched 1x{dim} by {dim}x{k1}), {n_pairs} pairs",
                         m=1, n=k1, dim=dim, batch=n_pairs, seconds=t,
                         gflops=6.0 * n_pairs * k1 * dim / t / 1e9))
        blas = [{k: d.get(k) for k in ("internal_api", "version", "num_threads",
                                        "architecture")} for d in threadpool_info()]
    best = max(r["gflops"] for r in rows if "batch" not in r)
    return dict(shapes=rows, sgemm_gflops=best, blas=blas, repeats=repeats)


def print_rates(rates):
    print(f"{'shape':>46} {'GFLOP/s':>9}")
    for r in rates["shapes"]:
        print(f"{r['shape']:>46} {r['gflops']:>9.1f}")
    print(f"sgemm rate (fastest block, 1 BLAS thread): {rates['sgemm_gflops']:.1f} "
          "GFLOP/s per core")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--dim", type=int, default=100)
    ap.add_argument("--negative", type=int, default=5)
    ap.add_argument("--pairs-per-word", type=float, default=4.2,
                    help="pairs trained per raw word (measure it: bench_ab.py does)")
    ap.add_argument("--repeats", type=int, default=9)
    ap.add_argument("--out", default=None)
    args = ap.parse_args(argv)
    rates = sgemm_rates(args.dim, args.negative, repeats=args.repeats)
    print_rates(rates)
    fpp = flop_per_pair(args.dim, args.negative)
    lim = limit_words_per_second(rates["sgemm_gflops"] * 1e9, args.dim, args.negative,
                                 args.pairs_per_word)
    print(f"{fpp:,} FLOP per pair x {args.pairs_per_word} pairs per raw word = "
          f"{fpp * args.pairs_per_word:,.0f} FLOP per raw word; "
          f"limit {lim:,.0f} raw words/s per core; load {os.getloadavg()}")
    if args.out:
        os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
        with open(args.out, "w") as fh:
            json.dump(dict(args=vars(args), rates=rates, flop_per_pair=fpp,
                           limit_words_per_second_per_core=lim, loadavg=os.getloadavg(),
                           cpu_count=os.cpu_count()), fh, indent=1)
        print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
