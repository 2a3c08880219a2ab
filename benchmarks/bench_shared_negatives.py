"""Negatives shared by groups of windows (issue 16, item 1): rows touched and quality.

``NegativeSamplingLoss(shared_windows=S)`` draws ``K`` negatives per group of
``S`` consecutive windows of a batch instead of per window. This script
measures, for each ``--share`` value:

* ``--mode rows``: per batch of the fused kernel, its windows, pairs and the
  distinct output rows it gathers and scatters (centers and negatives), and
  the distinct negatives alone; no timing, the same on any machine (one fit,
  ``--epochs``, defaults otherwise);
* ``--mode quality``: a fit per (seed, share), alternated, each in a fresh
  process with one BLAS thread and ``n_jobs=1``, with the settings of
  ``bench_train.py`` (100 dimensions, window 5, 5 negatives, ``min_count`` 5,
  ``subsample`` 1e-3, ``--epochs``), its process CPU seconds and
  the quality of ``bench_train.py`` (analogies 3CosAdd over the 30k most
  frequent words, case-insensitive; WS353 and MEN Spearman on the
  in-vocabulary pairs).

Example::

    PYTHONPATH=. python benchmarks/bench_shared_negatives.py --mode rows \\
        --corpus ../shared/data/text8like_1M.txt.gz --share 1 4 1024
    PYTHONPATH=. python benchmarks/bench_shared_negatives.py --mode quality \\
        --corpus ../shared/data/text8like.txt.gz --max-tokens 4000000 --epochs 5 \\
        --share 1 1024 --seeds 0 1 --out benchmarks/results/shared_negatives_quality_4M.json
"""

import argparse
import json
import os
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(os.path.dirname(os.path.dirname(HERE)), "shared", "data")

ONE_FIT = r"""
import json, os, sys, time
sys.path.insert(0, sys.argv[1])
from _run_one import load_corpus
from threadpoolctl import threadpool_limits
from skw2v import SkipGramVectorizer
from skw2v.evaluation import evaluate_analogies, evaluate_similarity
from skw2v.losses import NegativeSamplingLoss
cfg = json.loads(sys.argv[2])
docs, n_tokens = load_corpus(cfg["corpus"], cfg["max_tokens"] or None)
with threadpool_limits(1):
    est = SkipGramVectorizer(
        n_components=100, window=5, n_negatives=5, epochs=cfg["epochs"], min_count=5,
        subsample=1e-3, analyzer=list, n_jobs=1, random_state=cfg["seed"],
        loss=NegativeSamplingLoss(shared_windows=cfg["share"]))
    t0, w0 = time.process_time(), time.perf_counter()
    est.fit(docs)
    cpu, wall = time.process_time() - t0, time.perf_counter() - w0
kv, data = est.wv_, cfg["data_dir"]
a = evaluate_analogies(kv, os.path.join(data, "questions-words.txt"), restrict_vocab=30000,
                       case_insensitive=True)
rec = dict(cfg, cpu=cpu, wall=wall, n_tokens=n_tokens, analogy_30k=a.accuracy,
           ws353=evaluate_similarity(kv, os.path.join(data, "ws353.txt")).spearman,
           men=evaluate_similarity(kv, os.path.join(data, "men3000.txt")).spearman,
           loss_curve=est.loss_curve_.tolist())
print("RESULT " + json.dumps(rec))
"""


def count_rows(args):
    """Per-batch windows, pairs, distinct output rows and distinct negatives."""
    import numpy as np
    from _run_one import load_corpus
    from threadpoolctl import threadpool_limits

    from skw2v import SkipGramVectorizer
    from skw2v._core import negative_sampling
    from skw2v.losses import NegativeSamplingLoss

    docs, _ = load_corpus(args.corpus, args.max_tokens or None)
    original = negative_sampling.fused_chunk
    out = {}
    for share in args.share:
        stats = {"windows": [], "pairs": [], "out_rows": [], "negatives": []}

        def recording(outside, indptr, gbounds, targets, negatives, *rest, stats=stats, **kw):
            for b in range(gbounds.size - 1):
                w0, w1 = int(gbounds[b]), int(gbounds[b + 1])
                stats["windows"].append(w1 - w0)
                stats["pairs"].append(int(indptr[w1] - indptr[w0]))
                neg = negatives[w0:w1]
                stats["out_rows"].append(np.unique(np.concatenate(
                    (targets[w0:w1], neg.ravel()))).size)
                stats["negatives"].append(np.unique(neg).size)
            return original(outside, indptr, gbounds, targets, negatives, *rest, **kw)

        negative_sampling.fused_chunk = recording
        try:
            with threadpool_limits(1):
                SkipGramVectorizer(analyzer=list, epochs=args.epochs, random_state=0,
                                   loss=NegativeSamplingLoss(shared_windows=share)).fit(docs)
        finally:
            negative_sampling.fused_chunk = original
        out[share] = {k: float(np.mean(v)) for k, v in stats.items()}
        out[share]["batches"] = len(stats["pairs"])
        print(share, json.dumps(out[share]), flush=True)
    return out


def quality(args):
    """Alternated fits per (seed, share) in fresh processes."""
    runs = []
    for seed in args.seeds:
        order = args.share if seed % 2 == 0 else args.share[::-1]
        for share in order:
            cfg = {"corpus": args.corpus, "max_tokens": args.max_tokens, "epochs": args.epochs,
                   "seed": seed, "share": share, "data_dir": args.data_dir}
            proc = subprocess.run([sys.executable, "-c", ONE_FIT, HERE, json.dumps(cfg)],
                                  capture_output=True, text=True, check=True,
                                  env=dict(os.environ, OMP_NUM_THREADS="1"))
            line = [x for x in proc.stdout.splitlines() if x.startswith("RESULT ")][-1]
            rec = json.loads(line[7:])
            runs.append(rec)
            print(f"seed {seed} share {share}: cpu {rec['cpu']:.1f} s analogy "
                  f"{rec['analogy_30k']:.4f} ws353 {rec['ws353']:.4f} men {rec['men']:.4f} "
                  f"loss {rec['loss_curve'][-1]:.4f}", flush=True)
    summary = {}
    for share in args.share:
        mine = [r for r in runs if r["share"] == share]
        summary[share] = {k: statistics.mean(r[k] for r in mine)
                          for k in ("cpu", "analogy_30k", "ws353", "men")}
        print(share, json.dumps(summary[share]))
    return {"runs": runs, "mean_over_seeds": summary}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--mode", choices=("rows", "quality"), required=True)
    ap.add_argument("--corpus", required=True)
    ap.add_argument("--data-dir", default=DATA)
    ap.add_argument("--max-tokens", type=int, default=0, help="corpus prefix (0: all)")
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--share", type=int, nargs="+", default=[1, 4, 1024])
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    ap.add_argument("--out", default=None)
    args = ap.parse_args(argv)
    sys.path.insert(0, HERE)
    result = count_rows(args) if args.mode == "rows" else quality(args)
    if args.out:
        with open(args.out, "w") as fh:
            json.dump({"args": vars(args), "result": result}, fh, indent=1)


if __name__ == "__main__":
    main()
