"""Full-softmax throughput against a plain sgemm of the same shapes, in one run.

The softmax loss of a batch of B pairs over a V-word vocabulary costs three
(B x d) by (d x V)-sized matrix products (logits, gradient of the centers,
gradient of the output matrix), i.e. ``6 B V d`` flops, plus the elementwise
softmax. This script times :class:`skw2v.losses.SoftmaxLoss` and the three
bare ``float32`` GEMMs with the same shapes, and reports achieved GFLOP/s and
their ratio. Prints a table and writes JSON.

Example::

    python benchmarks/bench_softmax.py --vocab 10000 --out benchmarks/results/softmax.json
"""

import argparse
import json
import os
import statistics
import time

import numpy as np

from skw2v.losses import SoftmaxLoss


def timeit(fn, repeats):
    fn()
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--vocab", type=int, default=10_000)
    ap.add_argument("--dim", type=int, default=100)
    ap.add_argument("--batch", type=int, nargs="+", default=[256, 1024, 4096])
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--out", default=None)
    args = ap.parse_args(argv)
    rng = np.random.default_rng(0)
    U = (rng.standard_normal((args.vocab, args.dim)) * 0.1).astype(np.float32)
    rows = []
    for b in args.batch:
        v = (rng.standard_normal((b, args.dim)) * 0.1).astype(np.float32)
        o = rng.integers(0, args.vocab, b)
        loss = SoftmaxLoss(max_chunk_elements=max(b * args.vocab, 1))
        t_loss = timeit(lambda v=v, o=o, loss=loss: loss.loss_and_grad(v, o, U), args.repeats)
        P = np.empty((b, args.vocab), dtype=np.float32)

        def gemms(v=v, P=P):
            np.matmul(v, U.T, out=P)
            P @ U
            P.T @ v

        t_gemm = timeit(gemms, args.repeats)
        flops = 6.0 * b * args.vocab * args.dim
        rows.append(dict(batch=b, vocab=args.vocab, dim=args.dim, softmax_s=t_loss,
                         sgemm_s=t_gemm, softmax_gflops=flops / t_loss / 1e9,
                         sgemm_gflops=flops / t_gemm / 1e9, ratio=t_gemm / t_loss))
    print(f"{'batch':>6} {'softmax GFLOP/s':>16} {'sgemm GFLOP/s':>14} {'ratio':>6}")
    for r in rows:
        print(f"{r['batch']:>6} {r['softmax_gflops']:>16.1f} {r['sgemm_gflops']:>14.1f} "
              f"{r['ratio']:>6.2f}")
    try:
        from threadpoolctl import threadpool_info

        blas = threadpool_info()
    except ImportError:
        blas = None
    if args.out:
        os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
        with open(args.out, "w") as fh:
            json.dump({"rows": rows, "cpu_count": os.cpu_count(), "blas": blas}, fh, indent=1)
        print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
