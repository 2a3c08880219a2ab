"""Rows of the fused kernel's layout per pair trained (its padding factor).

Fits skw2v (the one on ``sys.path``, so ``PYTHONPATH`` picks the checkout)
with the settings of ``bench_cpu_ab.py`` and records, for every batch that
the negative-sampling kernel builds, its pairs and the rows of its layout:
``rows / pairs`` is 1 when no row is padding. Also counts the products per
batch (one stack of matrix products per group of windows of one width; the
padded layout had one). No timing: the numbers are the same on any machine.

Example::

    PYTHONPATH=. python benchmarks/bench_layout.py \\
        --corpus ../shared/data/text8like_1M.txt.gz
"""

import argparse
import gzip
import json

import numpy as np
from threadpoolctl import threadpool_limits

from skw2v import SkipGramVectorizer
from skw2v._core import negative_sampling


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--corpus", required=True)
    ap.add_argument("--max-tokens", type=int, default=0, help="corpus prefix (0: all)")
    ap.add_argument("--epochs", type=int, default=1)
    args = ap.parse_args(argv)
    opener = gzip.open if args.corpus.endswith(".gz") else open
    with opener(args.corpus, "rt", encoding="utf-8") as fh:
        tokens = fh.read().split()
    if args.max_tokens > 0:
        tokens = tokens[:args.max_tokens]
    docs = [tokens[i:i + 10000] for i in range(0, len(tokens), 10000)]
    pairs, rows, groups = [], [], []
    original = negative_sampling.fused_chunk

    def recording(outside, indptr, gbounds, *rest, **kw):
        chunk = original(outside, indptr, gbounds, *rest, **kw)
        ptr = getattr(chunk, "ptr", None)
        if ptr is None:  # the padded layout
            ptr = chunk.pad_ptr
        rows.extend(np.diff(ptr).tolist())
        pairs.extend(np.diff(indptr[gbounds]).tolist())
        groups.extend(len(g) for g in getattr(chunk, "groups", [[0]] * (ptr.size - 1)))
        return chunk

    negative_sampling.fused_chunk = recording
    with threadpool_limits(1):
        SkipGramVectorizer(analyzer=list, epochs=args.epochs, random_state=0).fit(docs)
    pairs, rows = np.array(pairs), np.array(rows)
    out = {"batches": int(pairs.size), "pairs_per_batch": float(pairs.mean()),
           "rows_per_batch": float(rows.mean()),
           "padding_factor": float(rows.sum() / pairs.sum()),
           "products_per_batch": float(np.mean(groups))}
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
