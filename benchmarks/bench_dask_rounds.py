"""Per synchronised round on a 2-worker Dask LocalCluster: bytes out, bytes back, wall time.

Writes the first ``--max-tokens`` tokens of text8like as files of 10k tokens,
then fits ``SkipGramVectorizer(input="filename", n_shards=2,
syncs_per_epoch=m, temp_folder=...)`` under ``joblib.parallel_config(
backend="dask")`` on a ``LocalCluster`` of 2 worker processes with 1 thread
each, once for each way the corpus can reach the workers:

* ``paths``: the workers read the client's spilled corpus (what happens when
  ``temp_folder`` is on storage they share; here the same disk);
* ``slices``: the client reads each task's tokens and ships them (what
  happens when the workers cannot read ``temp_folder``; forced here by
  answering the workers' check with "no").

For every round it records, from the tasks the client submits (their
pickled arguments, protocol 5): the dense ``W_in`` and ``W_out`` (joblib's
dask backend scatters them once per round), the corpus part of each task
(tokens and offsets, or the file handle) and the settings; from what the
shards send back: their changed rows against the two dense change
matrices; and the round's wall time on the client (making the tasks,
which reads the slices in ``slices`` mode, running them on the cluster,
and adding the changes; each part is also recorded, with the 1-minute load
average after the fit, since the machine may be shared). Checks that both
ways give the same vectors, bit for bit. Prints a table of medians per fit
and writes JSON.

Example (a few minutes on 2 cores)::

    PYTHONPATH=. python benchmarks/bench_dask_rounds.py \
        --corpus ../shared/data/text8like.txt.gz --max-tokens 4000000 --syncs 1 8 \
        --out benchmarks/results/dask_rounds_4M.json
"""

import argparse
import json
import os
import pickle
import shutil
import statistics
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from bench_dask_roundtrip import empty_rounds, process_cpu_seconds  # noqa: E402


def write_documents(folder, max_tokens, corpus):
    """The corpus as files of 10k tokens (one document each); their paths and the tokens."""
    from _run_one import load_corpus

    docs, n_tokens = load_corpus(corpus, max_tokens)
    paths = []
    for k, doc in enumerate(docs):
        path = os.path.join(folder, f"doc{k:05d}.txt")
        with open(path, "w") as fh:
            fh.write(" ".join(doc))
        paths.append(path)
    return paths, n_tokens


class Recorder:
    """Wraps the round steps of ``skw2v._fitting.parallel`` to time and weigh each round."""

    def __init__(self, parallel):
        self.parallel = parallel
        self.rounds = []
        self.current = {}
        self.saved = {name: getattr(parallel, name)
                      for name in ("_round_tasks", "run_round_on_cluster", "_combine_round")}

    def install(self):
        p, saved = self.parallel, self.saved

        def round_tasks(mode, model, A, B, shared, slices, groups, settings):
            t0 = time.perf_counter()
            tasks = saved["_round_tasks"](mode, model, A, B, shared, slices, groups, settings)
            sent = int(A.nbytes + B.nbytes)
            if not model.dense:
                sent += int(model.rows_in.nbytes + model.rows_out.nbytes)
            if self.current is not None and "t0" in self.current and model.dense and \
                    model.version > 0:  # stale workers sent the whole matrices again
                self.current["stale_tasks"] = len(tasks)
                self.current["stale_bytes"] = sent
                return tasks
            # a slice is (start, stop, ...) in files mode, else (ids, offsets, start, stop, ...)
            sizes = [sl[1] - sl[0] if mode == "files" else sl[3] - sl[2] for sl in slices]
            self.current = dict(t0=t0, mode=mode, n_tasks=len(tasks),
                                build_seconds=time.perf_counter() - t0, tasks=tasks,
                                model_bytes=sent, dense_model=bool(model.dense),
                                stale_tasks=0, tokens_per_task=sizes)
            return tasks

        def run_round(tasks, *args, **kwargs):
            t0 = time.perf_counter()
            out = saved["run_round_on_cluster"](tasks, *args, **kwargs)
            seconds = time.perf_counter() - t0
            self.current["cluster_seconds"] = self.current.get("cluster_seconds", 0) + seconds
            return out

        def combine(W_in, W_out, results, *args, **kwargs):
            back = [d_in.nbytes + d_out.nbytes for d_in, d_out, _, _ in results]
            dense = [d_in.dense_nbytes() + d_out.dense_nbytes() for d_in, d_out, _, _ in results]
            t0 = time.perf_counter()
            out = saved["_combine_round"](W_in, W_out, results, *args, **kwargs)
            rec = self.current
            rec.update(returned_bytes_per_task=back, dense_bytes_per_task=dense,
                       combine_seconds=time.perf_counter() - t0,
                       round_seconds=time.perf_counter() - rec.pop("t0"))
            # weighed after the round's clock stopped
            corpus, settings = [], 0
            for _, task_args, _ in rec.pop("tasks"):
                rest = task_args[3:]  # after the model state, W_in and W_out
                settings = len(pickle.dumps([a for a in rest if isinstance(a, p.SGDSettings)],
                                            protocol=5))
                corpus.append(len(pickle.dumps(
                    [a for a in rest if not isinstance(a, p.SGDSettings)], protocol=5)))
            rec.update(settings_bytes=settings, corpus_bytes_per_task=corpus)
            self.rounds.append(rec)
            return out

        p._round_tasks, p.run_round_on_cluster, p._combine_round = round_tasks, run_round, combine

    def uninstall(self):
        for name, f in self.saved.items():
            setattr(self.parallel, name, f)


def summarise(rounds, syncs, mode, fit_seconds, n_tokens, vocab):
    med = statistics.median
    corpus = [b for r in rounds for b in r["corpus_bytes_per_task"]]
    back = [b for r in rounds for b in r["returned_bytes_per_task"]]
    dense = rounds[0]["dense_bytes_per_task"][0]
    later = [r["model_bytes"] for r in rounds if not r["dense_model"]]
    return dict(
        mode=mode, syncs_per_epoch=syncs, n_rounds=len(rounds), n_tokens=n_tokens, vocab=vocab,
        modes_used=sorted({r["mode"] for r in rounds}),
        tokens_per_task=med([t for r in rounds for t in r["tokens_per_task"]]),
        model_bytes_first_round=rounds[0]["model_bytes"],
        model_bytes_per_round=med(later) if later else rounds[0]["model_bytes"],
        stale_tasks=sum(r["stale_tasks"] for r in rounds),
        settings_bytes_per_task=rounds[0]["settings_bytes"],
        corpus_bytes_per_task_median=med(corpus), corpus_bytes_per_task_max=max(corpus),
        returned_bytes_per_task_median=med(back), dense_bytes_per_task=dense,
        returned_ratio_median=med(back) / dense,
        round_seconds_median=med(r["round_seconds"] for r in rounds),
        cluster_seconds_median=med(r["cluster_seconds"] for r in rounds),
        build_seconds_median=med(r["build_seconds"] for r in rounds),
        combine_seconds_median=med(r["combine_seconds"] for r in rounds),
        load_average=os.getloadavg(),
        fit_seconds=fit_seconds, rounds=rounds)


def import_skw2v():
    """Run on every worker before timing: a fit's first task imports skw2v (seconds of CPU)."""
    import skw2v._fitting.parallel  # noqa: F401

    return True


def total_cpu_seconds(row):
    """A fit's CPU seconds: the client's process (with the scheduler) and every worker's."""
    return row["client_cpu_seconds"] + sum(row["workers_cpu_seconds"].values())


def cpu_budget(one, two, target=1.7, cores=None):
    """What ``target`` times the 1-worker words/s allows the 2-worker fit to spend, per round.

    On ``cores`` cores (the client, the scheduler and both workers share
    them), the 2-worker fit takes at least its total CPU over ``cores``
    seconds. It reaches ``target`` only if its total CPU is at most
    ``cores * fit_seconds(1 worker) / target``; what it may spend beyond the
    1-worker fit's own CPU, shared among its rounds, is its allowance per
    round. A negative allowance means the target is out of reach on this
    machine however little a round costs.
    """
    cores = cores or os.cpu_count()
    allowed = cores * one["fit_seconds"] / target
    cpu_one, cpu_two = total_cpu_seconds(one), total_cpu_seconds(two)
    return dict(cores=cores, target=target, allowed_cpu_seconds=allowed,
                cpu_one_worker=cpu_one, cpu_two_workers=cpu_two,
                allowance_per_round_ms=1e3 * (allowed - cpu_one) / two["n_rounds"],
                spent_per_round_ms=1e3 * (cpu_two - cpu_one) / two["n_rounds"],
                ratio=two["words_per_second"] / one["words_per_second"])


def peak_rss_mb():
    """This process's peak resident set so far, MB (Linux ru_maxrss is in KB)."""
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--corpus", required=True)
    ap.add_argument("--max-tokens", type=int, default=4_000_000)
    ap.add_argument("--syncs", nargs="+", default=["1", "8"],
                    help='syncs_per_epoch values: integers or "auto"')
    ap.add_argument("--modes", nargs="+", default=["paths", "slices"],
                    choices=["paths", "slices"])
    ap.add_argument("--workers", type=int, nargs="+", default=[2],
                    help="LocalCluster sizes (1 thread each); the fit always has 2 shards")
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--repeats", type=int, default=1,
                    help="fit on every cluster size this many times, the sizes alternating")
    ap.add_argument("--empty-rounds", type=int, default=0,
                    help="also time this many rounds of tasks that do nothing on each cluster")
    ap.add_argument("--no-warm", action="store_true",
                    help="do not import skw2v on the workers before the fits (their first "
                         "task then does, inside the timed fit)")
    ap.add_argument("--out", default=None)
    args = ap.parse_args(argv)

    import distributed
    import numpy as np
    from joblib import parallel_config

    import skw2v
    import skw2v._fitting.parallel as parallel
    from skw2v import SkipGramVectorizer

    syncs_values = [v if v == "auto" else int(v) for v in args.syncs]
    work = tempfile.mkdtemp(prefix="bench-dask-rounds-")
    rows, local, empties = [], {}, []

    def params(syncs, spill):
        return dict(input="filename", n_components=100, window=5, n_negatives=5,
                    epochs=args.epochs, min_count=5, subsample=1e-3, n_shards=2,
                    syncs_per_epoch=syncs, random_state=0, temp_folder=spill)

    try:
        docs_dir, spill = os.path.join(work, "docs"), os.path.join(work, "spill")
        os.mkdir(docs_dir)
        os.mkdir(spill)
        files, n_tokens = write_documents(docs_dir, args.max_tokens, args.corpus)
        for syncs in syncs_values:  # the same fit on this machine, for the bit-for-bit check
            t0 = time.perf_counter()
            est = SkipGramVectorizer(**params(syncs, spill), n_jobs=1).fit(files)
            local[syncs] = (est.vectors_, time.perf_counter() - t0)
            print(f"local synced fit, syncs_per_epoch={syncs}: {local[syncs][1]:.1f} s",
                  flush=True)
        for repeat in range(args.repeats):  # cluster sizes alternate within a repetition
            for n_workers in args.workers:
                cluster = distributed.LocalCluster(n_workers=n_workers, threads_per_worker=1,
                                                   processes=True, host="127.0.0.1",
                                                   dashboard_address="127.0.0.1:0")
                with distributed.Client(cluster) as client:
                    if not args.no_warm:
                        client.run(import_skw2v)
                    if args.empty_rounds and repeat == 0:
                        empty = empty_rounds(client, args.empty_rounds, 2)
                        empties.append(dict(n_workers=n_workers, **empty))
                        print(json.dumps(empties[-1]), flush=True)
                    for syncs in syncs_values:
                        for mode in args.modes:
                            rec = Recorder(parallel)
                            share = parallel.share_with_cluster
                            if mode == "slices":  # the workers' check answered "no"
                                parallel.share_with_cluster = lambda ids, offsets: (None, "forced")
                            rec.install()
                            try:
                                w0, c0 = client.run(process_cpu_seconds), process_cpu_seconds()
                                t0 = time.perf_counter()
                                with parallel_config(backend="dask"):
                                    est = SkipGramVectorizer(**params(syncs, spill),
                                                             n_jobs=-1).fit(files)
                                seconds = time.perf_counter() - t0
                                c1, w1 = process_cpu_seconds(), client.run(process_cpu_seconds)
                            finally:
                                rec.uninstall()
                                parallel.share_with_cluster = share
                            row = summarise(rec.rounds, syncs, mode, seconds, n_tokens,
                                            len(est.index_to_key_))
                            row.update(n_workers=n_workers, repeat=repeat, epochs=args.epochs,
                                       words_per_second=n_tokens * args.epochs / seconds,
                                       client_peak_rss_mb=peak_rss_mb(),
                                       client_cpu_seconds=c1 - c0,
                                       workers_cpu_seconds={k: w1[k] - w0.get(k, 0.0) for k in w1},
                                       same_vectors_as_local_fit=bool(
                                           np.array_equal(est.vectors_, local[syncs][0])))
                            rows.append(row)
                            print(json.dumps({k: v for k, v in row.items() if k != "rounds"}),
                                  flush=True)
                cluster.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)

    print(f"\ncorpus={args.corpus} max_tokens={args.max_tokens} n_shards=2, {args.epochs} "
          "epoch(s), LocalCluster processes x 1 thread; medians over rounds and tasks")
    print("| workers | repetition | syncs/epoch | rounds | corpus travels as "
          "| tokens per shard and round "
          "| W_in+W_out MB sent per task (first round) "
          "| corpus bytes per task | returned MB per shard (dense MB) | round s "
          "| of which: making tasks / cluster / combining s | fit s | words/s "
          "| same as local | load avg |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['n_workers']} | {r['repeat']} | {r['syncs_per_epoch']} | {r['n_rounds']} "
              f"| {r['mode']} "
              f"| {r['tokens_per_task']:,.0f} "
              f"| {r['model_bytes_per_round'] / 1e6:.2f} "
              f"({r['model_bytes_first_round'] / 1e6:.1f}) "
              f"| {r['corpus_bytes_per_task_median']:,.0f} "
              f"| {r['returned_bytes_per_task_median'] / 1e6:.2f} "
              f"({r['dense_bytes_per_task'] / 1e6:.1f}) "
              f"| {r['round_seconds_median']:.3f} "
              f"| {r['build_seconds_median']:.3f} / {r['cluster_seconds_median']:.3f} / "
              f"{r['combine_seconds_median']:.3f} "
              f"| {r['fit_seconds']:.1f} | {r['words_per_second']:,.0f} "
              f"| {r['same_vectors_as_local_fit']} | {r['load_average'][0]:.1f} |")
    print("\nCPU seconds of each fit (the client's process holds the scheduler)")
    print("| workers | repetition | syncs/epoch | corpus travels as | fit s | client CPU s "
          "| workers CPU s |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['n_workers']} | {r['repeat']} | {r['syncs_per_epoch']} | {r['mode']} "
              f"| {r['fit_seconds']:.1f} "
              f"| {r['client_cpu_seconds']:.1f} "
              f"| {sum(r['workers_cpu_seconds'].values()):.1f} |")
    budgets = []
    for two in (r for r in rows if r["n_workers"] == 2):
        one = next((r for r in rows if r["n_workers"] == 1 and r["mode"] == two["mode"]
                    and r["syncs_per_epoch"] == two["syncs_per_epoch"]
                    and r["repeat"] == two["repeat"]), None)
        if one is not None:
            budgets.append(dict(syncs_per_epoch=two["syncs_per_epoch"], mode=two["mode"],
                                repeat=two["repeat"], **cpu_budget(one, two)))
    if budgets:
        print(f"\nWhat 1.7x of one worker allows on {os.cpu_count()} cores: the 2-worker fit's "
              "CPU beyond the 1-worker fit's, per round")
        print("| syncs/epoch | corpus travels as | repetition | 2 workers / 1 "
              "| allowed ms per round | spent ms per round |")
        print("|---|---|---|---|---|---|")
        for b in budgets:
            print(f"| {b['syncs_per_epoch']} | {b['mode']} | {b['repeat']} | {b['ratio']:.2f}x "
                  f"| {b['allowance_per_round_ms']:.1f} | {b['spent_per_round_ms']:.1f} |")
        for key in sorted({(b["syncs_per_epoch"], b["mode"]) for b in budgets}, key=str):
            ratios = [b["ratio"] for b in budgets if (b["syncs_per_epoch"], b["mode"]) == key]
            print(f"syncs_per_epoch={key[0]}, {key[1]}: 2 workers / 1, median of "
                  f"{len(ratios)}: {statistics.median(ratios):.2f}x")
    if empties:
        print("\nRounds of 2 tasks that do nothing, per round")
        print("| workers | through | wall ms | client CPU ms | workers CPU ms |")
        print("|---|---|---|---|---|")
        for e in empties:
            for how in ("joblib-dask", "dask-futures"):
                x = e[how]
                print(f"| {e['n_workers']} | {how} | {x['wall_ms']:.1f} | {x['client_cpu_ms']:.1f} "
                      f"| {x['workers_cpu_ms']:.1f} |")
    if args.out:
        with open(args.out, "w") as fh:
            json.dump({"args": vars(args), "skw2v": skw2v.__version__, "rows": rows,
                       "cpu_budget": budgets, "empty_rounds": empties,
                       "cpu_count": os.cpu_count()}, fh, indent=1)
        print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
