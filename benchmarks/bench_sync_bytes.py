"""Bytes per synchronised round, both ways: changed rows against dense matrices.

Trains ``SkipGramVectorizer(analyzer=list, n_shards=k, syncs_per_epoch=...)``
(``m * k`` with ``--syncs-per-shard m``, else the default ``"auto"``) on the
first ``--max-tokens`` tokens of text8like (10k-token documents, the
settings of ``bench_train.py``) and records, for every shard and round, the
bytes of its changed rows (int32 row indices plus the rows, both matrices)
against the two dense change matrices, and what the shard's task was sent:
both whole matrices in an epoch's first round, then the rows the last
combination changed (indices and values), which the workers' replicas apply.
Prints a table of medians and writes JSON.

Example::

    PYTHONPATH=. python benchmarks/bench_sync_bytes.py \
        --corpus ../shared/data/text8like.txt.gz --max-tokens 4000000 --epochs 1 \
        --shards 2 4 8 16 --out benchmarks/results/sync_bytes_4M_auto.json
"""

import argparse
import json
import os
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--corpus", required=True)
    ap.add_argument("--max-tokens", type=int, default=None)
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--shards", type=int, nargs="+", default=[2, 4, 8, 16])
    ap.add_argument("--syncs-per-shard", type=int, default=None,
                    help='syncs_per_epoch = this times n_shards (default: "auto")')
    ap.add_argument("--out", default=None)
    args = ap.parse_args(argv)
    sys.path.insert(0, HERE)
    from _run_one import load_corpus

    import skw2v._fitting.parallel as parallel
    from skw2v import SkipGramVectorizer

    docs, n_tokens = load_corpus(args.corpus, args.max_tokens)
    rows = []
    for k in args.shards:
        parallel.ROUND_LOG = []
        syncs = "auto" if args.syncs_per_shard is None else args.syncs_per_shard * k
        t0 = time.perf_counter()
        est = SkipGramVectorizer(n_components=100, window=5, n_negatives=5, epochs=args.epochs,
                                 min_count=5, subsample=1e-3, analyzer=list, n_shards=k,
                                 syncs_per_epoch=syncs, random_state=0).fit(docs)
        seconds = time.perf_counter() - t0
        log = parallel.ROUND_LOG
        sparse = [s for s, _, _ in log]
        dense = log[0][1]
        sent = [s for _, _, s in log if s != dense]  # after each epoch's first round
        n_rounds = len(log) // (k * args.epochs)
        row = dict(n_shards=k, syncs_per_epoch=syncs, rounds_per_epoch=n_rounds,
                   vocab=len(est.index_to_key_),
                   tokens_per_shard_round=n_tokens / (k * n_rounds),
                   dense_bytes=dense, sparse_bytes_median=statistics.median(sparse),
                   sparse_bytes_max=max(sparse), n_returns=len(sparse),
                   sent_bytes_median=statistics.median(sent) if sent else dense,
                   fit_seconds=seconds)
        row["ratio_median"] = row["sparse_bytes_median"] / dense
        row["sent_ratio_median"] = row["sent_bytes_median"] / dense
        rows.append(row)
        print(json.dumps(row), flush=True)
    parallel.ROUND_LOG = None
    print(f"\ncorpus={args.corpus} max_tokens={args.max_tokens} epochs={args.epochs}")
    print("| n_shards | syncs/epoch | rounds/epoch | tokens per shard-round "
          "| dense MB (both matrices) | returned MB (median / max) | returned / dense "
          "| sent MB after the first round (median) | sent / dense |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['n_shards']} | {r['syncs_per_epoch']} | {r['rounds_per_epoch']} "
              f"| {r['tokens_per_shard_round']:,.0f} "
              f"| {r['dense_bytes'] / 1e6:.1f} | {r['sparse_bytes_median'] / 1e6:.2f} / "
              f"{r['sparse_bytes_max'] / 1e6:.2f} | {r['ratio_median']:.3f} "
              f"| {r['sent_bytes_median'] / 1e6:.2f} | {r['sent_ratio_median']:.3f} |")
    if args.out:
        with open(args.out, "w") as fh:
            json.dump({"args": vars(args), "n_tokens": n_tokens, "rows": rows}, fh, indent=1)
        print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
