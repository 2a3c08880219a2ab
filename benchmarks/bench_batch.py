"""Batch size: speed and quality of ``batch_size`` from 1,024 to 16,384 pairs, with gensim.

Each (batch size, repetition) trains in a fresh process (``_run_one.py``),
the batch sizes in alternating order from one repetition to the next, with a
gensim run in the same repetition as the speed anchor. Repetition ``r`` uses
seed ``r``. A fit that raises (``TrainingDiverged`` included) is recorded with
its error instead of figures. Prints a table of medians (words/s and its
ratio to gensim's, analogy, WS353, MEN, the last epoch's mean loss per pair)
and writes JSON.

Example::

    python benchmarks/bench_batch.py --corpus ../shared/data/text8like.txt.gz \\
        --max-tokens 4000000 --sizes 1024 2048 4096 8192 16384 --repeats 1 \\
        --out benchmarks/results/batch_4M.json
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from bench_train import corpus_parser  # noqa: E402

METRICS = ["words_per_second", "analogy_30k", "ws353", "men", "final_loss"]
PARAMS = dict(dim=100, window=5, negative=5, epochs=5, min_count=5, sample=1e-3)


def run(cfg):
    """One fit in a fresh process: its record, or ``{"error": ...}`` if it raised."""
    out = subprocess.run([sys.executable, os.path.join(HERE, "_run_one.py"), json.dumps(cfg)],
                         capture_output=True, text=True)
    for line in out.stdout.splitlines():
        if line.startswith("RESULT "):
            rec = json.loads(line[7:])
            if rec.get("loss_curve"):
                rec["final_loss"] = rec["loss_curve"][-1]
            return rec
    last = [ln for ln in out.stderr.strip().splitlines() if ln.strip()]
    return {"error": last[-1] if last else f"exit {out.returncode}"}


def main(argv=None):
    ap = corpus_parser(__doc__.split("\n")[0])
    ap.add_argument("--max-tokens", type=int, default=None)
    ap.add_argument("--sizes", type=int, nargs="+", default=[1024, 2048, 4096, 8192, 16384])
    ap.add_argument("--repeats", type=int, default=1)
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--no-gensim", dest="gensim", action="store_false")
    ap.add_argument("--out", default=None)
    args = ap.parse_args(argv)
    data_dir = args.data_dir or os.path.dirname(os.path.abspath(args.corpus))
    records = []
    for rep in range(args.repeats):
        sizes = args.sizes if rep % 2 == 0 else args.sizes[::-1]
        runs = [("skw2v", s) for s in sizes] + ([("gensim", None)] if args.gensim else [])
        for lib, size in runs:
            cfg = dict(lib=lib, n_jobs=args.jobs, corpus=args.corpus, params=PARAMS,
                       data_dir=data_dir, max_tokens=args.max_tokens, seed=rep,
                       extra={} if size is None else {"batch_size": size})
            rec = run(cfg)
            rec.update(lib=lib, batch_size=size, rep=rep)
            records.append(rec)
            shown = rec["error"] if "error" in rec else ", ".join(
                f"{m}={rec[m]:.4g}" for m in METRICS if m in rec)
            print(f"  rep {rep} {lib:6s} batch_size={size}: {shown}", flush=True)

    gensim = [r["words_per_second"] for r in records if r["lib"] == "gensim" and "error" not in r]
    gensim_wps = statistics.median(gensim) if gensim else None
    table = []
    for size in args.sizes:
        recs = [r for r in records if r["batch_size"] == size]
        ok = [r for r in recs if "error" not in r]
        row = {"batch_size": size, "runs": len(recs), "failed": len(recs) - len(ok),
               "errors": sorted({r["error"] for r in recs if "error" in r})}
        for m in METRICS:
            values = [r[m] for r in ok if r.get(m) is not None]
            row[m] = statistics.median(values) if values else None
        row["ratio_to_gensim"] = (row["words_per_second"] / gensim_wps
                                  if gensim_wps and row["words_per_second"] else None)
        table.append(row)

    print(f"\ncorpus={args.corpus} max_tokens={args.max_tokens} repeats={args.repeats} "
          f"n_jobs={args.jobs} settings={PARAMS} cpus={os.cpu_count()}")
    print("medians over repetitions; analogy: 3CosAdd over the 30k most frequent words, "
          "case-insensitive; WS353/MEN: Spearman; loss: last epoch's mean per pair")
    if gensim_wps:
        print(f"gensim: {gensim_wps:,.0f} words/s")
    print("| batch_size | words/s | / gensim | analogy | WS353 | MEN | final loss | failed |")
    print("|---|---|---|---|---|---|---|---|")

    def f(v, spec):
        return "-" if v is None else format(v, spec)

    for row in table:
        print(f"| {row['batch_size']:,} | {f(row['words_per_second'], ',.0f')} | "
              f"{f(row['ratio_to_gensim'], '.2f')} | {f(row['analogy_30k'], '.3f')} | "
              f"{f(row['ws353'], '.3f')} | {f(row['men'], '.3f')} | "
              f"{f(row['final_loss'], '.4f')} | {row['failed']}/{row['runs']} |")
    if args.out:
        os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
        with open(args.out, "w") as fh:
            json.dump({"args": vars(args), "params": PARAMS, "cpu_count": os.cpu_count(),
                       "platform": platform.platform(), "python": sys.version,
                       "gensim_words_per_second": gensim_wps, "records": records,
                       "table": table}, fh, indent=1)
        print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
