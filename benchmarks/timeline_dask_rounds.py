"""Where a synchronised round's time goes on a 2-worker Dask ``LocalCluster``.

Fits ``SkipGramVectorizer(analyzer=list, n_shards=2, syncs_per_epoch=m,
epochs=1)`` on the first ``--max-tokens`` of a corpus under
``joblib.parallel_config(backend="dask")``, with Dask's task stream on, and
cuts every round after the first (which sends the dense matrices) into:

* ``before``: from the client's ``Parallel`` call to the first shard's
  computation starting on a worker (scattering the arguments, submitting);
* ``compute``: each shard's task on its worker (training, the replica's
  update, taking the changes);
* ``skew``: the second shard's computation ending after the first's;
* ``after``: from the last computation's end to the results being in the
  client;
* ``combine``: the client adding the shards' changes
  (``_combine_round``), between rounds.

Everything but ``compute`` is the round's serial part, during which a worker
waits. Prints medians over rounds and writes JSON.

Example (about a minute on 2 cores)::

    PYTHONPATH=. python benchmarks/timeline_dask_rounds.py \\
        --corpus ../shared/data/text8like.txt.gz --max-tokens 4000000 --syncs 16 \\
        --out benchmarks/results/timeline_dask_rounds_4M_16.json
"""

import argparse
import os
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def split_rounds(marks, computes):
    """Per round (after the first): its parts, from the client's marks and the workers' spans.

    ``marks`` holds ``(call start, call end, combine start, combine end)`` per
    round; ``computes`` the ``(start, stop)`` of every shard task on a worker
    (one clock: a ``LocalCluster`` runs on one machine).
    """
    rounds = []
    for call_start, call_end, comb_start, comb_end in marks[1:]:
        mine = sorted((a, b) for a, b in computes if call_start <= a <= call_end)
        if len(mine) != 2:
            continue
        first_start = mine[0][0]
        ends = sorted(b for _, b in mine)
        rounds.append(dict(round=call_end - call_start, before=first_start - call_start,
                           compute=[b - a for a, b in mine], skew=ends[1] - ends[0],
                           after=call_end - ends[1], combine=comb_end - comb_start))
    return rounds


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--corpus", required=True)
    ap.add_argument("--max-tokens", type=int, default=4_000_000)
    ap.add_argument("--syncs", default="16", help='syncs_per_epoch: an integer or "auto"')
    ap.add_argument("--out", default=None)
    args = ap.parse_args(argv)

    sys.path.insert(0, HERE)
    import joblib
    from _anchors import write_json
    from _run_one import load_corpus
    from bench_dask_rounds import import_skw2v
    from distributed import Client, LocalCluster, get_task_stream

    import skw2v._fitting.parallel as parallel
    from skw2v import SkipGramVectorizer

    docs, n_tokens = load_corpus(args.corpus, args.max_tokens)
    syncs = args.syncs if args.syncs == "auto" else int(args.syncs)
    marks = []
    saved = parallel.run_round_on_cluster, parallel._combine_round

    def run_round(tasks, *a, **k):
        t0 = time.time()
        out = saved[0](tasks, *a, **k)
        marks.append([t0, time.time()])
        return out

    def combine(*a, **k):
        t0 = time.time()
        out = saved[1](*a, **k)
        marks[-1] += [t0, time.time()]
        return out

    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                           host="127.0.0.1", dashboard_address=None)
    try:
        with Client(cluster) as client:
            client.run(import_skw2v)
            parallel.run_round_on_cluster, parallel._combine_round = run_round, combine
            try:
                est = SkipGramVectorizer(analyzer=list, n_shards=2, n_jobs=-1,
                                         syncs_per_epoch=syncs, epochs=1, random_state=0)
                with get_task_stream(client) as stream, joblib.parallel_config(backend="dask"):
                    t0 = time.perf_counter()
                    est.fit(docs)
                    fit_seconds = time.perf_counter() - t0
            finally:
                parallel.run_round_on_cluster, parallel._combine_round = saved
            computes = [(ss["start"], ss["stop"]) for rec in stream.data
                        if "train_slice" in str(rec["key"])
                        for ss in rec["startstops"] if ss["action"] == "compute"]
    finally:
        cluster.close()
    rounds = split_rounds(marks, computes)
    med = statistics.median
    summary = {k: 1e3 * med(r[k] for r in rounds)
               for k in ("round", "before", "skew", "after", "combine")}
    summary["compute"] = 1e3 * med(c for r in rounds for c in r["compute"])
    serial = summary["before"] + summary["skew"] + summary["after"] + summary["combine"]
    print(f"first {n_tokens:,} tokens, syncs_per_epoch={args.syncs}, {len(marks)} rounds, "
          f"fit {fit_seconds:.1f} s; medians over {len(rounds)} rounds, ms")
    print("| round | before | compute (per shard) | skew | after | combine | serial part |")
    print("|---|---|---|---|---|---|---|")
    print(f"| {summary['round']:.1f} | {summary['before']:.1f} | {summary['compute']:.1f} "
          f"| {summary['skew']:.1f} | {summary['after']:.1f} | {summary['combine']:.1f} "
          f"| {serial:.1f} |")
    write_json(args.out, {"args": vars(args), "n_tokens": n_tokens, "fit_seconds": fit_seconds,
                          "summary_ms": summary, "serial_ms": serial, "rounds": rounds})


if __name__ == "__main__":
    main()
