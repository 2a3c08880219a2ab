"""Peak RSS of the client of a Dask fit whose corpus is much larger than the model (issue 14).

Writes the first ``--max-tokens`` tokens of text8like, ``--repeat`` times over, as
files of 10k tokens (streamed, never held as one list), then, in a fresh
process, starts a ``LocalCluster`` (2 worker processes, 1 thread each) and fits
``SkipGramVectorizer(input="filename", n_shards=2, syncs_per_epoch=..., temp_folder=...)``
under ``joblib.parallel_config(backend="dask")``. The workers read the spilled
corpus from ``temp_folder`` (paths travel). Prints the client's peak RSS (its own
process only: the workers are other processes) next to the size of the text, the
encoded corpus and the vectors, and writes JSON.

With ``--phases``, the peak and the end RSS of each phase of the fit
(encoding, allocating the vectors, subsampling, the epoch's rounds, the
corpus statistics) are recorded as ``_run_memory.Phases`` does for
``bench_memory.py``: ``VmHWM`` read and reset at every boundary (Linux).

Example::

    PYTHONPATH=. python benchmarks/bench_client_memory.py \\
        --corpus ../shared/data/text8like.txt.gz --repeat 4 \\
        --out benchmarks/results/client_memory_68M.json
"""

import argparse
import gzip
import json
import os
import resource
import shutil
import tempfile
import time

from _anchors import write_json
from _run_memory import Phases, peak_rss_mb, read_status


def write_files(corpus, folder, max_tokens, repeat, per_file=10_000):
    """Stream the corpus into files of ``per_file`` tokens; return (paths, tokens, bytes)."""
    paths, n_tokens, n_bytes, buf = [], 0, 0, []

    def flush():
        nonlocal n_bytes
        path = os.path.join(folder, f"doc{len(paths):06d}.txt")
        with open(path, "w") as fh:
            n_bytes += fh.write(" ".join(buf))
        paths.append(path)
        buf.clear()

    for _ in range(repeat):
        seen, tail = 0, ""
        with gzip.open(corpus, "rt") as fh:
            while True:
                piece = fh.read(1 << 22)
                if not piece:
                    words, tail = tail.split(), ""
                else:
                    words = (tail + piece).split()
                    tail = "" if piece[-1].isspace() else words.pop() if words else ""
                for w in words:
                    if max_tokens and seen >= max_tokens:
                        break
                    buf.append(w)
                    seen += 1
                    if len(buf) == per_file:
                        flush()
                if not piece or (max_tokens and seen >= max_tokens):
                    break
        n_tokens += seen
    if buf:
        flush()
    return paths, n_tokens, n_bytes


def record_rounds():
    """A list that receives every rounds_per_epoch answer (an observing wrapper; the last is
    the epoch's)."""
    import skw2v._fitting.parallel as parallel

    seen, inner = [], parallel.rounds_per_epoch

    def wrapper(*args, **kwargs):
        n = inner(*args, **kwargs)
        seen.append(n)
        return n

    parallel.rounds_per_epoch = wrapper
    return seen


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--corpus", required=True)
    ap.add_argument("--max-tokens", type=int, default=0, help="0: the whole file")
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--syncs", default="8", help='an int, or "auto" (the default of the '
                    'estimator)')
    ap.add_argument("--phases", action="store_true",
                    help="record each phase's peak RSS (Linux)")
    ap.add_argument("--n-components", type=int, default=100)
    ap.add_argument("--out", default=None)
    args = ap.parse_args(argv)
    work = tempfile.mkdtemp(prefix="bench-client-memory-")
    try:
        docs_dir, spill = os.path.join(work, "docs"), os.path.join(work, "spill")
        os.mkdir(docs_dir)
        os.mkdir(spill)
        paths, n_tokens, n_bytes = write_files(args.corpus, docs_dir, args.max_tokens,
                                               args.repeat)
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        syncs = args.syncs if args.syncs == "auto" else int(args.syncs)
        import distributed
        from joblib import parallel_config

        from skw2v import SkipGramVectorizer

        cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                           host="127.0.0.1", dashboard_address="127.0.0.1:0")
        with distributed.Client(cluster):
            base = read_status()  # the cluster is up: the fit starts from here
            rounds_seen = record_rounds()
            phases = None
            if args.phases:
                phases = Phases()
                phases.install()
            t0 = time.perf_counter()
            with parallel_config(backend="dask"):
                est = SkipGramVectorizer(input="filename", n_components=args.n_components,
                                         epochs=1, n_shards=2, syncs_per_epoch=syncs,
                                         random_state=0, n_jobs=-1,
                                         temp_folder=spill).fit(paths)
            seconds = time.perf_counter() - t0
            if phases is not None:
                phases.mark("after fit")
        cluster.close()
        peak = peak_rss_mb(base, phases)
        vectors = est.vectors_.nbytes + est.output_vectors_.nbytes
        row = dict(n_tokens=n_tokens, text_mb=n_bytes / 1e6, encoded_mb=4 * n_tokens / 1e6,
                   vocab=len(est.index_to_key_), vectors_mb=vectors / 1e6,
                   client_peak_rss_mb=peak, client_rss_before_fit_mb=rss_before,
                   client_rss_cluster_up_mb=base.get("VmRSS"),
                   fit_seconds=seconds, syncs_per_epoch=syncs,
                   rounds=rounds_seen[-1] if rounds_seen else None)
        if phases is not None:
            row["phases"] = phases.records
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(json.dumps({k: v for k, v in row.items() if k != "phases"}))
    for rec in row.get("phases", []):
        print(f"  {rec['phase']:<28} peak {rec['peak_mb']:7.0f} MB, at its end "
              f"{rec['rss_at_end_mb']:7.0f} MB")
    print("| tokens | text MB | encoded MB | vocabulary | vectors MB | client peak RSS MB |")
    print("|---|---|---|---|---|---|")
    print(f"| {row['n_tokens']:,} | {row['text_mb']:.0f} | {row['encoded_mb']:.0f} "
          f"| {row['vocab']:,} | {row['vectors_mb']:.0f} | {row['client_peak_rss_mb']:.0f} |")
    write_json(args.out, {"args": vars(args), "row": row})


if __name__ == "__main__":
    main()
