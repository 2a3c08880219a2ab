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


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--files", nargs="+", required=True)
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--spill", nargs="+", default=["none", "0"],
                    help="spill_threshold values to run ('none' keeps the corpus in memory)")
    ap.add_argument("--temp-folder", default=None)
    ap.add_argument("--gensim", action="store_true", help="also run gensim on the same files")
    ap.add_argument("--out", default=None)
    args = ap.parse_args(argv)
    params = dict(PARAMS, epochs=args.epochs)
    base = dict(files=[os.path.abspath(f) for f in args.files], n_jobs=args.jobs,
                params=params, temp_folder=args.temp_folder)
    records = []
    for spill in args.spill:
        cfg = dict(base, lib="skw2v", spill_threshold=None if spill == "none" else spill)
        records.append(run(cfg))
        print(f"  skw2v spill_threshold={spill}: {records[-1]['peak_rss_mb']:.0f} MB peak",
              flush=True)
    if args.gensim:
        records.append(run(dict(base, lib="gensim")))
        print(f"  gensim: {records[-1]['peak_rss_mb']:.0f} MB peak", flush=True)
    r0 = records[0]
    print(f"\nfiles={args.files} raw text={r0['raw_text_mb']:.0f} MB tokens={r0['n_tokens']} "
          f"vocabulary={r0['n_words']} epochs={args.epochs} n_jobs={args.jobs}")
    head = ("| run | fit s | peak RSS MB | peak anon MB | RSS before fit MB | model MB | "
            "peak / raw text |")
    print(head)
    print("|---" * 7 + "|")
    for r in records:
        name = r["lib"] if r["lib"] == "gensim" else f"skw2v spill={r['spill_threshold']}"
        print(f"| {name} | {r['fit_seconds']:.0f} | {r['peak_rss_mb']:.0f} | "
              f"{r['sampled_peak_mb'].get('rssanon', float('nan')):.0f} | "
              f"{r['rss_before_fit_mb']:.0f} | {r['model_mb']:.0f} | "
              f"{r['peak_rss_mb'] / r['raw_text_mb']:.2f} |")
    if args.out:
        with open(args.out, "w") as fh:
            json.dump(dict(args=vars(args), machine=dict(cpus=os.cpu_count(),
                                                         python=platform.python_version()),
                           records=records), fh, indent=1)


if __name__ == "__main__":
    main()
