"""What the benchmarks' memory sampler costs a fit that keeps every core busy.

Fits ``SkipGramVectorizer(analyzer=list, ...)`` with ``bench_train.py``'s
settings on the first ``--max-tokens`` of ``--corpus`` at ``--jobs``, with and
without ``_anchors.TreeMemory`` around ``fit`` (alternated, ``--repeats``
times), and prints words/s and, with the sampler, how many samples it took
and their mean duration. Writes JSON with ``--out``. ``--max-share inf``
gives the sampler of before session 9 (a sample every 0.25 s).

Example::

    PYTHONPATH=. python benchmarks/bench_sampler_cost.py --corpus ../shared/data/text8like.txt.gz \\
        --max-tokens 4000000 --jobs 2 --repeats 3
"""

import argparse
import contextlib
import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def one(corpus, max_tokens, jobs, sampler, max_share):
    """One fit in this process; returns its record."""
    sys.path.insert(0, HERE)
    from _anchors import TreeMemory
    from _run_one import TRAIN_PARAMS, load_corpus

    from skw2v import SkipGramVectorizer

    docs, n_tokens = load_corpus(corpus, max_tokens)
    model = SkipGramVectorizer(analyzer=list, **TRAIN_PARAMS, n_jobs=jobs, random_state=0)
    memory = TreeMemory(max_share=max_share) if sampler else contextlib.nullcontext()
    durations = []
    if sampler:
        sample = memory.sample

        def timed():
            t = time.perf_counter()
            sample()
            durations.append(time.perf_counter() - t)

        memory.sample = timed
    with memory:
        t0 = time.perf_counter()
        model.fit(docs)
        seconds = time.perf_counter() - t0
    return {"sampler": sampler, "fit_seconds": seconds,
            "words_per_second": n_tokens * TRAIN_PARAMS["epochs"] / seconds,
            "samples": len(durations),
            "mean_sample_ms": 1000 * sum(durations) / len(durations) if durations else None}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--corpus", required=True)
    ap.add_argument("--max-tokens", type=int, default=4_000_000)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--out", default=None)
    ap.add_argument("--max-share", type=float, default=0.01,
                    help="the sampler's TreeMemory(max_share=); inf samples every 0.25 s "
                         "whatever a sample costs, as before session 9")
    ap.add_argument("--one", default=None, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.one is not None:  # a child: one fit, its record on stdout
        print(json.dumps(one(args.corpus, args.max_tokens, args.jobs, args.one == "on",
                             args.max_share)))
        return
    corpus = os.path.abspath(args.corpus)
    records = []
    for r in range(args.repeats):
        for sampler in ("off", "on"):
            out = subprocess.run([sys.executable, __file__, "--corpus", corpus, "--max-tokens",
                                  str(args.max_tokens), "--jobs", str(args.jobs), "--max-share",
                                  str(args.max_share), "--one", sampler],
                                 capture_output=True, text=True, check=True)
            rec = json.loads(out.stdout.strip().splitlines()[-1])
            rec["repeat"] = r
            records.append(rec)
            extra = (f", {rec['samples']} samples of {rec['mean_sample_ms']:.1f} ms"
                     if rec["samples"] else "")
            print(f"rep {r} sampler {sampler}: {rec['words_per_second']:,.0f} words/s{extra}",
                  flush=True)
    if args.out:
        with open(args.out, "w") as fh:
            json.dump({"args": vars(args), "records": records, "load": os.getloadavg()}, fh,
                      indent=1)
        print("wrote", args.out)


if __name__ == "__main__":
    main()
