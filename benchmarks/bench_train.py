"""Side-by-side training benchmark: skw2v against gensim, in one run.

Each (library, n_jobs, repetition) trains in a fresh subprocess, alternating
skw2v and gensim, so both see the same machine load and peak RSS is measured
per run. Prints a table of medians and the skw2v/gensim ratios, and writes
JSON.

Examples
--------
Quick run (1M tokens)::

    python benchmarks/bench_train.py --corpus ../shared/data/text8like_1M.txt.gz

Full run (17M tokens, 3 repetitions, 1 and 2 jobs)::

    python benchmarks/bench_train.py --corpus ../shared/data/text8like.txt.gz \
        --repeats 3 --jobs 1 2 --out benchmarks/results/full.json
"""

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
METRICS = ["fit_seconds", "words_per_second", "peak_rss_mb", "analogy_30k", "ws353", "men"]


def blas_info():
    try:
        from threadpoolctl import threadpool_info

        return [{k: d.get(k) for k in ("internal_api", "version", "num_threads",
                                        "architecture")} for d in threadpool_info()]
    except Exception as exc:  # pragma: no cover - informational only
        return str(exc)


def run(cfg):
    out = subprocess.run([sys.executable, os.path.join(HERE, "_run_one.py"), json.dumps(cfg)],
                         capture_output=True, text=True)
    for line in out.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[7:])
    raise RuntimeError(f"run failed: {cfg}\n{out.stderr[-3000:]}")


def corpus_parser(description):
    """An argument parser with ``--corpus`` and ``--data-dir`` (the evaluation files)."""
    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("--corpus", required=True)
    ap.add_argument("--data-dir", default=None,
                    help="folder with questions-words.txt, ws353.txt, men3000.txt "
                         "(default: the corpus's folder)")
    return ap


def main(argv=None):
    ap = corpus_parser(__doc__.split("\n")[0])
    ap.add_argument("--repeats", type=int, default=1)
    ap.add_argument("--seed-offset", type=int, default=0,
                    help="repetition r uses seed r + offset (to add repetitions to a run)")
    ap.add_argument("--jobs", type=int, nargs="+", default=[1])
    ap.add_argument("--max-tokens", type=int, default=None)
    ap.add_argument("--repeat-corpus", type=int, default=1)
    ap.add_argument("--libs", nargs="+", default=["skw2v", "gensim"])
    ap.add_argument("--extra", default="{}", help="JSON dict of extra skw2v parameters")
    ap.add_argument("--out", default=None)
    ap.add_argument("--merge", nargs="+", metavar="JSON", default=None,
                    help="run nothing: merge the records of earlier runs' JSON files (same "
                         "corpus and settings) and print the table of medians")
    args = ap.parse_args(argv)
    params = dict(dim=100, window=5, negative=5, epochs=5, min_count=5, sample=1e-3)
    data_dir = args.data_dir or os.path.dirname(os.path.abspath(args.corpus))
    records = []
    if args.merge:
        for path in args.merge:
            with open(path) as fh:
                records.extend(json.load(fh)["records"])
        args.repeats = len({(r["rep"]) for r in records})
        args.jobs = sorted({r["n_jobs"] for r in records})
    for rep in range(0 if args.merge else args.repeats):
        for n_jobs in args.jobs:
            for lib in args.libs:
                cfg = dict(lib=lib, n_jobs=n_jobs, corpus=args.corpus, params=params,
                           data_dir=data_dir, max_tokens=args.max_tokens,
                           repeat=args.repeat_corpus, seed=rep + args.seed_offset,
                           extra=json.loads(args.extra))
                rec = run(cfg)
                rec["rep"] = rep + args.seed_offset
                records.append(rec)
                print(f"  rep {rep} {lib:6s} n_jobs={n_jobs}: "
                      + ", ".join(f"{m}={rec.get(m, float('nan')):.4g}" for m in METRICS),
                      flush=True)
    table = []
    for n_jobs in args.jobs:
        row = {"n_jobs": n_jobs}
        for lib in args.libs:
            recs = [r for r in records if r["lib"] == lib and r["n_jobs"] == n_jobs]
            row[lib] = {m: statistics.median(r[m] for r in recs) for m in METRICS if m in recs[0]}
        if {"skw2v", "gensim"} <= set(args.libs):
            row["ratio"] = {m: row["skw2v"][m] / row["gensim"][m] for m in METRICS
                            if m in row["skw2v"] and row["gensim"].get(m)}
        table.append(row)
    print(f"\ncorpus={args.corpus} tokens={records[0]['n_tokens']} repeats={args.repeats} "
          f"cpus={os.cpu_count()}  settings={params}")
    print("analogy: 3CosAdd, restrict_vocab=30000, case-insensitive; ws353/men: Spearman rho; "
          "medians over repeats")
    head = f"{'n_jobs':>6} {'metric':>18} " + " ".join(f"{lib:>10}" for lib in args.libs)
    if "ratio" in table[0]:
        head += f" {'ratio':>8}"
    print(head)
    for row in table:
        for m in METRICS:
            if m not in row[args.libs[0]]:
                continue
            line = f"{row['n_jobs']:>6} {m:>18} " + " ".join(
                f"{row[lib][m]:>10.4g}" for lib in args.libs)
            if "ratio" in row and m in row["ratio"]:
                line += f" {row['ratio'][m]:>8.3f}"
            print(line)
    if args.out:
        os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
        with open(args.out, "w") as fh:
            json.dump({"args": vars(args), "params": params, "cpu_count": os.cpu_count(),
                       "platform": platform.platform(), "python": sys.version,
                       "blas": blas_info(), "records": records, "table": table}, fh, indent=1)
        print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
