"""Same-run speed A/B: this checkout against an earlier one, with gensim as the anchor.

Alternates, per repetition, skw2v from a folder holding an earlier checkout's
``skw2v`` package (``--baseline``, e.g. unpacked with ``git archive REV skw2v
| tar -x -C /tmp/base``), skw2v from this checkout, and gensim, each in a
fresh process through ``_run_one.py`` with the settings of ``bench_train.py``.
Prints words/s per run and the medians, with each skw2v's ratio to the
gensim runs of the same repetitions; writes JSON.

Example::

    python benchmarks/bench_ab.py --baseline /tmp/base --corpus ../shared/data/text8like.txt.gz \\
        --max-tokens 4000000 --repeats 3 --out benchmarks/results/ab.json
"""

import argparse
import json
import os
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def result_of(cmd, env, cwd=None):
    """Run ``cmd`` and return the JSON of its ``RESULT`` line (raise with its stderr)."""
    out = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=cwd)
    for line in out.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[7:])
    raise RuntimeError(out.stderr[-2000:])


def run(cfg, pythonpath=None):
    env = dict(os.environ)
    if pythonpath:
        env["PYTHONPATH"] = pythonpath
    return result_of([sys.executable, os.path.join(HERE, "_run_one.py"), json.dumps(cfg)], env)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--baseline", required=True, help="folder that contains the old skw2v/")
    ap.add_argument("--corpus", required=True)
    ap.add_argument("--max-tokens", type=int, default=None)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--out", default=None)
    args = ap.parse_args(argv)
    params = dict(dim=100, window=5, negative=5, epochs=5, min_count=5, sample=1e-3)
    data_dir = os.path.dirname(os.path.abspath(args.corpus))
    runs = {"baseline": [], "current": [], "gensim": []}
    for rep in range(args.repeats):
        for name in runs:
            cfg = dict(lib="gensim" if name == "gensim" else "skw2v", n_jobs=1,
                       corpus=args.corpus, params=params, data_dir=data_dir,
                       max_tokens=args.max_tokens, seed=rep, evaluate=False)
            rec = run(cfg, args.baseline if name == "baseline" else None)
            runs[name].append(rec["words_per_second"])
            print(f"rep {rep} {name:>8}: {rec['words_per_second']:,.0f} words/s", flush=True)
    med = {k: statistics.median(v) for k, v in runs.items()}
    print(f"\nmedians: baseline {med['baseline']:,.0f}, current {med['current']:,.0f}, "
          f"gensim {med['gensim']:,.0f} words/s")
    print(f"ratio to gensim: baseline {med['baseline'] / med['gensim']:.3f}, "
          f"current {med['current'] / med['gensim']:.3f}; current / baseline "
          f"{med['current'] / med['baseline']:.3f}")
    if args.out:
        with open(args.out, "w") as fh:
            json.dump({"args": vars(args), "params": params, "runs": runs, "medians": med}, fh,
                      indent=1)
        print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
