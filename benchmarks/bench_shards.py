"""Quality against the number of synchronised shards, on text8like.

Each configuration trains in a fresh subprocess (through ``_run_one.py``) with
the settings of ``bench_train.py`` (100 dims, window 5, 5 negatives, 5 epochs,
min_count 5, subsample 1e-3, 10k-token documents, ``analyzer=list``) and is
evaluated on Google analogies (3CosAdd, 30k most frequent words,
case-insensitive), WS353 and MEN. ``n_shards=None`` is the sequential fit
(``n_jobs=1``); every shard count runs with ``--shard-jobs`` jobs, which does
not change its result (the synchronised scheme is deterministic).

``--patch`` sets attributes of :mod:`skw2v._fitting.parallel` in the child
process before fitting (used to compare combination rules by name).

Example::

    PYTHONPATH=. python benchmarks/bench_shards.py \
        --corpus ../shared/data/text8like.txt.gz --max-tokens 4000000 \
        --shards 0 2 4 8 16 --seeds 0 --concurrent 2 --out benchmarks/results/x.json
"""

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

HERE = os.path.dirname(os.path.abspath(__file__))
METRICS = ["analogy_30k", "ws353", "men", "final_loss", "fit_seconds"]


def child(cfg):
    """Run in the subprocess: patch the parallel module, then train one model."""
    sys.path.insert(0, HERE)
    import skw2v._fitting.parallel as parallel

    for name, value in cfg.pop("patch", {}).items():
        setattr(parallel, name, value)
    import _run_one

    sys.argv = [sys.argv[0], json.dumps(cfg)]
    _run_one.main()


def run(cfg):
    out = subprocess.run([sys.executable, os.path.abspath(__file__), "--child", json.dumps(cfg)],
                         capture_output=True, text=True)
    for line in out.stdout.splitlines():
        if line.startswith("RESULT "):
            rec = json.loads(line[7:])
            rec["final_loss"] = rec["loss_curve"][-1]
            return rec
    err = out.stderr.strip().splitlines()
    return {"error": err[-1] if err else f"exit {out.returncode}"}


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--child"]:
        return child(json.loads(argv[1]))
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--corpus", required=True)
    ap.add_argument("--data-dir", default=None)
    ap.add_argument("--max-tokens", type=int, default=None)
    ap.add_argument("--shards", type=int, nargs="+", default=[0, 2, 4, 8],
                    help="shard counts; 0 is the sequential fit (n_jobs=1, n_shards=None)")
    ap.add_argument("--seeds", type=int, nargs="+", default=[0])
    ap.add_argument("--shard-jobs", type=int, default=1)
    ap.add_argument("--syncs", type=int, default=None,
                    help="syncs_per_epoch for the sharded fits (default: the estimator's)")
    ap.add_argument("--syncs-per-shard", type=int, default=None,
                    help="syncs_per_epoch = this times n_shards (overrides --syncs)")
    ap.add_argument("--extra", default="{}", help="JSON dict of extra estimator parameters")
    ap.add_argument("--patch", default="{}", help="JSON dict of skw2v._fitting.parallel "
                    "attributes to set in the child")
    ap.add_argument("--label", default="")
    ap.add_argument("--concurrent", type=int, default=1, help="fits run at the same time")
    ap.add_argument("--out", default=None)
    args = ap.parse_args(argv)
    params = dict(dim=100, window=5, negative=5, epochs=5, min_count=5, sample=1e-3)
    data_dir = args.data_dir or os.path.dirname(os.path.abspath(args.corpus))
    cfgs = []
    for seed in args.seeds:
        for k in args.shards:
            extra = json.loads(args.extra)
            if k:
                extra["n_shards"] = k
                if args.syncs_per_shard is not None:
                    extra["syncs_per_epoch"] = args.syncs_per_shard * k
                elif args.syncs is not None:
                    extra["syncs_per_epoch"] = args.syncs
            cfgs.append(dict(lib="skw2v", n_jobs=args.shard_jobs if k else 1,
                             corpus=args.corpus, params=params, data_dir=data_dir,
                             max_tokens=args.max_tokens, seed=seed, extra=extra,
                             patch=json.loads(args.patch) if k else {}))
    t0 = time.time()

    def one(cfg):
        rec = run(dict(cfg))
        rec.update(n_shards=cfg["extra"].get("n_shards", 0), seed=cfg["seed"],
                   extra=cfg["extra"], patch=cfg["patch"])
        shown = ", ".join(f"{m}={rec[m]:.4g}" for m in METRICS if m in rec)
        print(f"  [{time.time() - t0:6.0f}s] shards={rec['n_shards']:>2} seed={rec['seed']}: "
              f"{shown or rec['error']}", flush=True)
        return rec

    with ThreadPoolExecutor(args.concurrent) as pool:
        records = list(pool.map(one, cfgs))
    table = []
    for k in args.shards:
        recs = [r for r in records if r["n_shards"] == k and "error" not in r]
        row = {"n_shards": k, "n_ok": len(recs),
               "n_failed": sum(r["n_shards"] == k and "error" in r for r in records)}
        row.update({m: statistics.median(r[m] for r in recs) for m in METRICS if recs})
        table.append(row)
    print(f"\n{args.label} corpus={args.corpus} max_tokens={args.max_tokens} seeds={args.seeds} "
          f"syncs={args.syncs} syncs_per_shard={args.syncs_per_shard} extra={args.extra} "
          f"patch={args.patch}")
    print("| n_shards | syncs/epoch | Google analogy | WS353 | MEN | final loss | fit s | failed |")
    print("|---|---|---|---|---|---|---|---|")
    for row in table:
        name = "1 (n_jobs=1)" if row["n_shards"] == 0 else str(row["n_shards"])
        k = row["n_shards"]
        syncs = ("" if not k else args.syncs_per_shard * k if args.syncs_per_shard
                 else args.syncs or "default")
        name = f"{name} | {syncs}"
        if not row["n_ok"]:
            print(f"| {name} | diverged | | | | | {row['n_failed']} |")
            continue
        print(f"| {name} | {100 * row['analogy_30k']:.1f}% | {row['ws353']:.3f} | "
              f"{row['men']:.3f} | {row['final_loss']:.3f} | {row['fit_seconds']:.0f} | "
              f"{row['n_failed']} |")
    if args.out:
        os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
        with open(args.out, "w") as fh:
            json.dump({"args": vars(args), "params": params, "cpu_count": os.cpu_count(),
                       "platform": platform.platform(), "records": records, "table": table},
                      fh, indent=1)
        print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
