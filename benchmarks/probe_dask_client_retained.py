"""What the client of a Dask fit still holds after the fit, and who holds it (issue 14).

Writes the first ``--max-tokens`` tokens of ``--corpus`` (gzipped) as files
of 10k tokens (``bench_client_memory.write_files``), starts a
``LocalCluster`` (2 worker processes, 1 thread each; its scheduler runs in
this process, as a ``LocalCluster``'s does), and fits
``SkipGramVectorizer(input="filename", n_jobs=2, n_shards=2, epochs=1)``
under ``joblib.parallel_config(backend="dask")``. Prints the client's
resident set with the cluster up, after the fit, after deleting the model
and after closing the client and the cluster.

With ``--trace``, ``tracemalloc`` runs from the cluster's start, and the
script prints the largest allocations still alive after the fit (by
traceback), the memory traced before and after closing the cluster, and,
for one of the arrays of changed rows that a round sends
(``_union_rows``' result) still alive after the fit, the chain of objects
that refers to it (with or without ``--trace``).

Dask keeps the last ``distributed.admin.low-level-log-length`` messages of
each batched stream (1,000 by default); set
``DASK_DISTRIBUTED__ADMIN__LOW_LEVEL_LOG_LENGTH=0`` in the environment to
compare without them.

Example::

    python benchmarks/probe_dask_client_retained.py \\
        --corpus ../shared/data/text8like.txt.gz --max-tokens 4000000
"""

import argparse
import gc
import shutil
import tempfile
import time
import tracemalloc
import types
import weakref

from _run_memory import read_status
from bench_client_memory import write_files


def rss_mb():
    """This process's resident set, MB."""
    return read_status()["VmRSS"]


def keep_weakrefs_to_sent_rows(kept):
    """Record a weak reference to every array of changed rows a round sends."""
    from skw2v._fitting import parallel

    original = parallel._union_rows

    def union(deltas):
        rows = original(deltas)
        kept.append(weakref.ref(rows))
        return rows

    parallel._union_rows = union


def describe(obj):
    if isinstance(obj, types.FrameType):
        return f"frame {obj.f_code.co_name} {obj.f_code.co_filename}:{obj.f_lineno}"
    if isinstance(obj, dict):
        return f"dict with keys {list(obj)[:6]}"
    if isinstance(obj, (list, tuple)):
        return f"{type(obj).__name__} of {len(obj)}: {[type(x).__name__ for x in obj[:4]]}"
    return type(obj).__qualname__


def print_holders(obj, depth=0, seen=None, skip=None):
    """The first chain of objects that refer to ``obj`` (gc referrers), up to 8 levels."""
    seen = set() if seen is None else seen
    skip = set() if skip is None else skip
    if depth > 8:
        return
    seen.add(id(obj))
    referrers = gc.get_referrers(obj)
    skip.add(id(referrers))
    for ref in referrers:
        if id(ref) in skip or id(ref) in seen:
            continue
        print("  " * depth + describe(ref)[:200])
        if not isinstance(ref, types.FrameType):
            print_holders(ref, depth + 1, seen, skip)
        return


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--corpus", required=True)
    ap.add_argument("--max-tokens", type=int, default=4_000_000)
    ap.add_argument("--trace", action="store_true")
    args = ap.parse_args(argv)

    import joblib
    from distributed import Client, LocalCluster

    from skw2v import SkipGramVectorizer

    folder = tempfile.mkdtemp(prefix="skw2v_probe_")
    kept = []
    keep_weakrefs_to_sent_rows(kept)
    try:
        paths, _, _ = write_files(args.corpus, folder, args.max_tokens, repeat=1)
        with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                          dashboard_address=None) as cluster, Client(cluster):
            print(f"cluster up: {rss_mb():.0f} MB", flush=True)
            if args.trace:
                tracemalloc.start(12)
                start = tracemalloc.take_snapshot()
            with joblib.parallel_config(backend="dask"):
                model = SkipGramVectorizer(input="filename", n_jobs=2, n_shards=2, epochs=1,
                                           random_state=0, temp_folder=folder)
                t0 = time.perf_counter()
                model.fit(paths)
                seconds = time.perf_counter() - t0
            gc.collect()
            vectors = (model.vectors_.nbytes + model.output_vectors_.nbytes) / 2**20
            print(f"after the fit ({seconds:.1f} s): {rss_mb():.0f} MB "
                  f"(vectors {vectors:.0f} MB)", flush=True)
            if args.trace:
                for stat in tracemalloc.take_snapshot().compare_to(start, "traceback")[:4]:
                    print(f"{stat.size_diff / 2**20:.1f} MB in {stat.count_diff} blocks, from:")
                    for line in stat.traceback.format()[-4:]:
                        print("   ", line)
                print(f"traced: {tracemalloc.get_traced_memory()[0] / 2**20:.0f} MB")
            del model
            gc.collect()
            print(f"after deleting the model: {rss_mb():.0f} MB", flush=True)
            alive = [ref() for ref in kept if ref() is not None]
            print(f"arrays of changed rows sent: {len(kept)}, alive with the client open: "
                  f"{len(alive)}; what refers to one of them:")
            if alive:
                print_holders(alive[len(alive) // 2], skip={id(alive), id(kept)})
            alive = None
        gc.collect()
        print(f"after closing the client and the cluster: {rss_mb():.0f} MB")
        if args.trace:
            print(f"traced: {tracemalloc.get_traced_memory()[0] / 2**20:.0f} MB")
        print(f"arrays of changed rows alive after closing: "
              f"{sum(ref() is not None for ref in kept)}")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
