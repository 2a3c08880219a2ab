"""Peak memory of fit on files: in memory, spilled to disk, and gensim streaming.

Each configuration runs in a fresh process (``_run_memory.py``), reading the
corpus as files (``input="filename"`` for skw2v, ``Text8Corpus`` for gensim,
which streams 10,000-token sentences from disk on every pass). Prints a table
and writes JSON.

Example (the corpora are plain-text copies of ../shared/data/text8like.txt.gz)::

    gunzip -c ../shared/data/text8like.txt.gz > /tmp/text8like.txt
    for i in 1 2 3 4 5 6; do cat /tmp/text8like.txt; echo; done > /tmp/text8like_x6.txt
    python benchmarks/bench_memory.py --files /tmp/text8like.txt --epochs 1 \\
        --spill none 0 --gensim --out benchmarks/results/memory_text8like.json
"""

import argparse
import json
import os
import platform
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
PARAMS = dict(dim=100, window=5, negative=5, min_count=5, sample=1e-3)


def run(cfg):
    out = subprocess.run([sys.executable, os.path.join(HERE, "_run_memory.py"), json.dumps(cfg)],
                         capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError(f"run failed: {cfg}\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def print_table(records, args):
    r0 = records[0]
    files = args["files"]
    shown = files if len(files) <= 3 else f"{len(files)} files ({files[0]} ... {files[-1]})"
    print(f"\nfiles={shown} raw text={r0['raw_text_mb']:.0f} MB "
          f"epochs={args['epochs']} n_components={r0.get('dim', PARAMS['dim'])} "
          f"n_jobs={args['jobs']}")
    print("| run | tokens | vocabulary | fit s | peak RSS MB | RSS before fit MB | model MB | "
          "peak - before - model MB | peak / raw text |")
    print("|---" * 9 + "|")
    for r in records:
        name = r["lib"] if r["lib"] == "gensim" else f"skw2v spill={r['spill_threshold']}"
        extra = r["peak_rss_mb"] - r["rss_before_fit_mb"] - r["model_mb"]
        print(f"| {name} | {r['n_tokens']:,} | {r['n_words']:,} | {r['fit_seconds']:.0f} | "
              f"{r['peak_rss_mb']:.0f} | {r['rss_before_fit_mb']:.0f} | {r['model_mb']:.0f} | "
              f"{extra:.0f} | {r['peak_rss_mb'] / r['raw_text_mb']:.2f} |")
    for r in records:
        if r.get("phases"):
            print_phases(r)


def print_phases(r):
    """The peak and the end RSS of each phase of one skw2v fit."""
    name = f"skw2v spill={r['spill_threshold']}"
    print(f"\nphases of {name} (RSS before fit {r['rss_before_fit_mb']:.0f} MB, "
          f"model {r['model_mb']:.0f} MB)")
    print("| phase | peak RSS MB | RSS at end MB | anonymous at end MB |")
    print("|---|---|---|---|")
    for p in r["phases"]:
        print(f"| {p['phase']} | {p['peak_mb']:.0f} | {p['rss_at_end_mb']:.0f} | "
              f"{p['anon_at_end_mb']:.0f} |")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--files", nargs="+")
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--n-components", type=int, default=PARAMS["dim"],
                    help="vector dimensions (n_components; gensim's vector_size)")
    ap.add_argument("--phases", action="store_true",
                    help="also measure the peak of each phase of the skw2v fit (encoding, "
                         "allocation, subsampling, training, statistics), from VmHWM reset at "
                         "each boundary (Linux)")
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--spill", nargs="+", default=["none", "0"],
                    help="spill_threshold values to run ('none' keeps the corpus in memory)")
    ap.add_argument("--temp-folder", default=None)
    ap.add_argument("--gensim", action="store_true", help="also run gensim on the same files")
    ap.add_argument("--out", default=None)
    ap.add_argument("--show", nargs="+", metavar="JSON", default=None,
                    help="print the tables of earlier runs and exit")
    args = ap.parse_args(argv)
    if args.show:
        for path in args.show:
            with open(path) as fh:
                saved = json.load(fh)
            print_table(saved["records"], saved["args"])
        return
    if not args.files:
        ap.error("--files is required")
    params = dict(PARAMS, epochs=args.epochs, dim=args.n_components)
    base = dict(files=[os.path.abspath(f) for f in args.files], n_jobs=args.jobs,
                params=params, temp_folder=args.temp_folder, phases=args.phases)
    records = []
    for spill in args.spill:
        cfg = dict(base, lib="skw2v", spill_threshold=None if spill == "none" else spill)
        records.append(run(cfg))
        print(f"  skw2v spill_threshold={spill}: {records[-1]['peak_rss_mb']:.0f} MB peak",
              flush=True)
    if args.gensim:
        records.append(run(dict(base, lib="gensim")))
        print(f"  gensim: {records[-1]['peak_rss_mb']:.0f} MB peak", flush=True)
    print_table(records, vars(args))
    if args.out:
        with open(args.out, "w") as fh:
            json.dump(dict(args=vars(args), machine=dict(cpus=os.cpu_count(),
                                                         python=platform.python_version()),
                           records=records), fh, indent=1)


if __name__ == "__main__":
    main()
