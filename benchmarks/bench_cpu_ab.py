"""CPU-time A/B of two checkouts' training, for a machine that other jobs load.

Wall-clock words/s swing by 2x when other processes share the cores; the CPU
time that the training process itself spends moves much less. This
alternates, ``--repeats`` times, a fit of skw2v from a folder holding an
earlier checkout's ``skw2v`` package (``--baseline``) and one from this
checkout, each in a fresh process with one BLAS thread and ``n_jobs=1``, and
reports the process CPU seconds of ``fit`` (median and each run), their
ratio, and whether the two fits' loss curves agree bit for bit. Writes JSON.

Example::

    git archive REV skw2v | tar -x -C /tmp/base
    python benchmarks/bench_cpu_ab.py --baseline /tmp/base \\
        --corpus ../shared/data/text8like_1M.txt.gz --epochs 1 --repeats 5 \\
        --out benchmarks/results/cpu_ab.json
"""

import argparse
import json
import os
import statistics
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)

from bench_ab import result_of  # noqa: E402

ONE_FIT = r"""
import json, sys, time
from threadpoolctl import threadpool_limits
from skw2v import SkipGramVectorizer
path, epochs, max_tokens = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
share, shards = int(sys.argv[4]), int(sys.argv[5])
from _run_one import load_corpus  # the fit runs in benchmarks/
docs, n_tokens = load_corpus(path, max_tokens if max_tokens > 0 else None)
with threadpool_limits(1):
    extra = {}
    if share:
        from skw2v.losses import NegativeSamplingLoss
        extra["loss"] = NegativeSamplingLoss(shared_windows=share)
    if shards:
        extra["n_shards"] = shards  # synchronised shards, run one after the other
    est = SkipGramVectorizer(analyzer=list, epochs=epochs, random_state=0, **extra)
    t0, w0 = time.process_time(), time.perf_counter()
    est.fit(docs)
    cpu, wall = time.process_time() - t0, time.perf_counter() - w0
print("RESULT " + json.dumps({"cpu": cpu, "wall": wall, "tokens": n_tokens,
                              "loss_curve": [x.hex() for x in est.loss_curve_]}))
"""


def run(pythonpath, corpus, epochs, max_tokens=0, shared_windows=0, shards=0):
    env = dict(os.environ, PYTHONPATH=pythonpath)
    # run from a folder without a skw2v package, so PYTHONPATH decides
    # the fit runs in this script's folder: a corpus path relative to the caller's
    # folder must be made absolute first
    cmd = [sys.executable, "-c", ONE_FIT, os.path.abspath(corpus), str(epochs),
           str(max_tokens or 0), str(shared_windows), str(shards)]
    return result_of(cmd, env, cwd=HERE)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--baseline", required=True, help="folder that contains the old skw2v/")
    ap.add_argument("--current", default=ROOT, help="folder that contains the new skw2v/")
    ap.add_argument("--corpus", required=True)
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--max-tokens", type=int, default=0, help="corpus prefix (0: all)")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--shared-windows", type=int, default=0,
                    help="the current side trains with "
                         "loss=NegativeSamplingLoss(shared_windows=N) (0: the default loss)")
    ap.add_argument("--shards", type=int, default=0,
                    help="both sides fit with n_shards=N (synchronised shards, n_jobs=1)")
    ap.add_argument("--out", default=None)
    args = ap.parse_args(argv)
    runs = {"baseline": [], "current": []}
    curves = {}
    for rep in range(args.repeats):
        for name in runs:
            current = name == "current"
            rec = run(args.current if current else args.baseline, args.corpus, args.epochs,
                      args.max_tokens, args.shared_windows if current else 0, args.shards)
            runs[name].append(rec["cpu"])
            curves[name] = rec["loss_curve"]
            print(f"rep {rep} {name:>8}: {rec['cpu']:.2f} s CPU ({rec['wall']:.2f} s wall)",
                  flush=True)
    med = {k: statistics.median(v) for k, v in runs.items()}
    same = curves["baseline"] == curves["current"]
    print(f"\n| checkout | CPU s (median of {args.repeats}) | runs |\n|---|---|---|")
    for k, v in runs.items():
        print(f"| {k} | {med[k]:.2f} | {', '.join(f'{x:.2f}' for x in v)} |")
    print(f"\ncurrent / baseline CPU time: {med['current'] / med['baseline']:.3f}; "
          f"loss curves bit-identical: {same}")
    if args.out:
        with open(args.out, "w") as fh:
            json.dump({"args": vars(args), "runs": runs, "medians": med,
                       "ratio": med["current"] / med["baseline"],
                       "loss_curves_identical": same}, fh, indent=1)
        print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
