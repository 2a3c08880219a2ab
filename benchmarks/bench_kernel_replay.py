"""CPU time per batch of the fused kernel, replayed on captured blocks, at several widths.

Fits skw2v (the one on ``sys.path``) once on the first ``--max-tokens`` of
``--corpus`` (1 epoch, one BLAS thread, defaults otherwise) and keeps the
arguments of the first ``--blocks`` calls of ``sgd._train_fused`` (each a
block of 65,536 centers: layouts, sum plans and steps), with copies of the
vectors as they were. It then replays blocks 1.. (block 0 starts from the
initial vectors) ``--repeats`` times for each ``--dims`` value, on the
vectors' first ``d`` columns, and prints the median process CPU time per
batch. The part of a batch's time that does not shrink with ``d`` is the
per-batch and per-window overhead: NumPy calls, BLAS calls on small
matrices, index work.

Example::

    PYTHONPATH=. python benchmarks/bench_kernel_replay.py \\
        --corpus ../shared/data/text8like_1M.txt.gz --dims 100 8
"""

import argparse
import gzip
import json
import statistics
import time

import numpy as np
from threadpoolctl import threadpool_limits

from skw2v import SkipGramVectorizer
from skw2v._core import sgd


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--corpus", required=True)
    ap.add_argument("--max-tokens", type=int, default=1_000_000)
    ap.add_argument("--blocks", type=int, default=3)
    ap.add_argument("--dims", type=int, nargs="+", default=[100, 8])
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--out", default=None)
    args = ap.parse_args(argv)
    opener = gzip.open if args.corpus.endswith(".gz") else open
    with opener(args.corpus, "rt", encoding="utf-8") as fh:
        tokens = fh.read().split()[:args.max_tokens]
    docs = [tokens[i:i + 10000] for i in range(0, len(tokens), 10000)]
    calls = []
    original = sgd._train_fused

    def capture(W_in, W_out, block, kernel, schedule, total, *rest):
        if len(calls) < args.blocks:
            calls.append((W_in.copy(), W_out.copy(), block, kernel, schedule, rest))
        return original(W_in, W_out, block, kernel, schedule, total, *rest)

    sgd._train_fused = capture
    try:
        with threadpool_limits(1):
            SkipGramVectorizer(analyzer=list, epochs=1, random_state=0).fit(docs)
    finally:
        sgd._train_fused = original
    result = {}
    with threadpool_limits(1):
        for d in args.dims:
            per_batch = []
            for _ in range(args.repeats):
                seconds, batches = 0.0, 0
                for W_in, W_out, block, kernel, schedule, rest in calls[1:]:
                    a = np.ascontiguousarray(W_in[:, :d])
                    b = np.ascontiguousarray(W_out[:, :d])
                    t0 = time.process_time()
                    original(a, b, block, kernel, schedule, 0.0, *rest)
                    seconds += time.process_time() - t0
                    batches += block.gbounds.size - 1
                per_batch.append(seconds / batches * 1e6)
            result[d] = {"median_us_per_batch": statistics.median(per_batch),
                         "runs_us": per_batch, "batches": batches}
            print(f"d={d}: {statistics.median(per_batch):.1f} us per batch (CPU), runs "
                  f"{', '.join(f'{x:.1f}' for x in per_batch)}", flush=True)
    if args.out:
        with open(args.out, "w") as fh:
            json.dump({"args": vars(args), "result": result}, fh, indent=1)


if __name__ == "__main__":
    main()
