"""The floor of one synchronised round on a Dask ``LocalCluster``: a round trip of no work.

A synchronised round on a cluster is one ``joblib.Parallel`` call of one task
per shard under ``parallel_config(backend="dask")`` (issue 14). This times,
on a fresh ``LocalCluster`` of ``--workers`` processes with 1 thread each,
calls whose tasks do nothing (they return their first argument), so what is
left is the cost of the call itself: joblib's Dask backend
(``Parallel(n_jobs=workers)``), the same with ``--payload-kb`` of float32
arguments per task (what a round ships besides the corpus: the rows changed
since the last sync), and Dask's own futures (``client.map`` then
``client.gather``), against joblib's local loky pool. Reports the median
wall time per call over ``--calls`` calls, after ``--warmup`` discarded ones,
and writes JSON. The tasks are trivial, so the figures are the least any
round costs; a shard's training adds to it.

Example (a minute on 2 cores)::

    python benchmarks/bench_dask_roundtrip.py --workers 2 \\
        --out benchmarks/results/dask_roundtrip_2workers.json
"""

import argparse
import json
import os
import platform
import statistics
import time


def _echo(x, payload=None):
    return x


def process_cpu_seconds():
    """CPU seconds (user and system) this process has used so far.

    On a ``LocalCluster`` the scheduler runs in the client's process, so the
    client's figure includes the scheduler's work.
    """
    import resource

    use = resource.getrusage(resource.RUSAGE_SELF)
    return use.ru_utime + use.ru_stime


def empty_rounds(client, n_rounds, n_tasks):
    """CPU and wall time of rounds of ``n_tasks`` tasks that do nothing, per round.

    Once as a :class:`joblib.Parallel` call through joblib's dask backend (how
    skw2v runs a round), once through Dask's futures (``Client.map`` and
    ``Client.gather``). CPU is the client's process (with a ``LocalCluster``'s
    scheduler) plus every worker's.
    """
    from joblib import Parallel, delayed, parallel_config

    out = {}
    for how in ("joblib-dask", "dask-futures"):
        def one_round(how=how):
            if how == "joblib-dask":
                with parallel_config(backend="dask"):
                    Parallel(n_jobs=-1)(delayed(_echo)(i) for i in range(n_tasks))
            else:
                client.gather(client.map(_echo, range(n_tasks), pure=False))

        for _ in range(10):
            one_round()
        w0, c0, t0 = client.run(process_cpu_seconds), process_cpu_seconds(), time.perf_counter()
        for _ in range(n_rounds):
            one_round()
        t1, c1, w1 = time.perf_counter(), process_cpu_seconds(), client.run(process_cpu_seconds)
        out[how] = dict(rounds=n_rounds, tasks=n_tasks, wall_ms=1e3 * (t1 - t0) / n_rounds,
                        client_cpu_ms=1e3 * (c1 - c0) / n_rounds,
                        workers_cpu_ms=1e3 * sum(w1[k] - w0[k] for k in w1) / n_rounds)
    return out


def _time(call, calls, warmup):
    times = []
    for k in range(warmup + calls):
        t0 = time.perf_counter()
        call()
        if k >= warmup:
            times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1000.0, min(times) * 1000.0


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--calls", type=int, default=50)
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--payload-kb", type=int, default=400)
    ap.add_argument("--out", default=None)
    args = ap.parse_args(argv)
    import numpy as np
    from distributed import Client, LocalCluster
    from joblib import Parallel, delayed, parallel_config

    n = args.workers
    payload = np.zeros(args.payload_kb * 256, dtype=np.float32)
    rows = []

    def add(name, call):
        median, best = _time(call, args.calls, args.warmup)
        rows.append({"call": name, "median_ms": median, "min_ms": best})
        print(f"| {name} | {median:.1f} | {best:.1f} |", flush=True)

    print(f"{n} worker(s), {n} task(s) per call, {args.calls} calls")
    print("| call | median ms | min ms |\n|---|---|---|")
    with Parallel(n_jobs=n) as loky:  # joblib's default local pool, for reference
        add("joblib, local loky pool", lambda: loky(delayed(_echo)(i) for i in range(n)))
    with LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster, Client(cluster) as client:
        with parallel_config(backend="dask"):
            add("joblib, dask backend", lambda: Parallel(n_jobs=n)(
                delayed(_echo)(i) for i in range(n)))
            add(f"joblib, dask backend, {args.payload_kb} KB per task",
                lambda: Parallel(n_jobs=n)(delayed(_echo)(i, payload) for i in range(n)))
        add("dask client.map + gather",
            lambda: client.gather(client.map(_echo, range(n), pure=False)))
        add(f"dask client.map + gather, {args.payload_kb} KB per task",
            lambda: client.gather(client.map(_echo, range(n), [payload] * n, pure=False)))
    if args.out:
        import dask
        import joblib

        with open(args.out, "w") as fh:
            json.dump({"args": vars(args), "rows": rows, "cpu_count": os.cpu_count(),
                       "load": os.getloadavg(), "platform": platform.platform(),
                       "dask": dask.__version__, "joblib": joblib.__version__}, fh, indent=1)
        print("wrote", args.out)


if __name__ == "__main__":
    main()
