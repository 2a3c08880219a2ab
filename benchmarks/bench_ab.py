"""Same-run speed A/B: this checkout, an earlier one, gensim and optional anchors.

Alternates, per repetition and per ``--jobs`` value, skw2v from a folder
holding an earlier checkout's ``skw2v`` package (``--baseline``, optional,
e.g. unpacked with ``git archive REV skw2v | tar -x -C /tmp/base``), skw2v
from this checkout, gensim, and the anchors of ``--anchors`` (fastText from
the ``fasttext-wheel`` package without subwords, and word2vec C built by
``python benchmarks/_anchors.py build-w2vc``), each in a fresh process with
the settings of ``bench_train.py`` (100 dimensions, window 5, 5 negatives, 5
epochs, ``min_count`` 5, ``sample`` 1e-3; each system at its default learning
rate). The system order is reversed on odd repetitions. skw2v and gensim run
through ``_run_one.py`` on 10,000-token documents held in memory; the anchors
through ``_run_system.py`` on a file of the same documents, one per line.
Anchors that are not installed are skipped with a note.

Every words/s figure is printed with its fraction of the compute limit
(``bench_limit.py``): this machine's sgemm rate on one core, measured before
and after the runs (the faster of the two is used), divided by ``6 d (K+1)``
FLOP per pair times the pairs trained per raw word, counted by this run's
skw2v fits (``n_pairs_``). ``of limit`` compares wall-clock words/s with
``n_jobs`` cores at the limit; ``CPU of limit`` compares words per CPU second
with one core at the limit, which moves less when other jobs load the
machine. CPU seconds include worker processes; ``peak RSS`` is the training
process's own ``VmHWM``, ``tree PSS`` the sampled peak of the summed PSS of
it and its workers (see ``_anchors.TreeMemory``). With ``--evaluate`` every
system is scored the same way (analogies over the 30k most frequent words,
WS353, MEN). Prints the table, writes JSON (every run, with the load average
and CPU seconds).

Examples::

    python benchmarks/bench_ab.py --baseline /tmp/base --corpus ../shared/data/text8like.txt.gz \\
        --max-tokens 4000000 --repeats 3 --out benchmarks/results/ab.json
    python benchmarks/bench_ab.py --corpus ../shared/data/text8like.txt.gz --max-tokens 4000000 \\
        --jobs 1 2 --anchors fasttext,w2vc --evaluate --out benchmarks/results/ab_anchors.json
"""

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
ANCHORS = ("fasttext", "w2vc")


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


def run_anchor(cfg):
    env = dict(os.environ, PYTHONPATH=ROOT)
    return result_of([sys.executable, os.path.join(HERE, "_run_system.py"), json.dumps(cfg)],
                     env, cwd=HERE)


def measure_sgemm(dim, negative):
    sys.path.insert(0, HERE)
    from bench_limit import sgemm_rates

    return sgemm_rates(dim, negative)


def fmt(v, spec):
    return format(v, spec) if isinstance(v, (int, float)) else "-"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--baseline", default=None, help="folder that contains the old skw2v/")
    ap.add_argument("--corpus", required=True)
    ap.add_argument("--max-tokens", type=int, default=None)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--jobs", type=int, nargs="+", default=[1],
                    help="n_jobs / workers / threads")
    ap.add_argument("--no-gensim", dest="gensim", action="store_false")
    ap.add_argument("--anchors", default="",
                    help="comma-separated, from: fasttext (fasttext-wheel, maxn=0), w2vc")
    ap.add_argument("--w2vc", default=None, help="word2vec C binary (default: $SKW2V_W2VC, "
                                                 "then /tmp/skw2v-bench/word2vec)")
    ap.add_argument("--evaluate", action="store_true",
                    help="score every run (analogy, WS353, MEN)")
    ap.add_argument("--no-limit", dest="limit", action="store_false",
                    help="do not measure the sgemm rate")
    ap.add_argument("--out", default=None)
    args = ap.parse_args(argv)
    params = dict(dim=100, window=5, negative=5, epochs=5, min_count=5, sample=1e-3)
    data_dir = os.path.dirname(os.path.abspath(args.corpus))
    sys.path.insert(0, HERE)
    from _anchors import chunks, fasttext_available, find_w2vc, load_tokens, write_corpus

    names = (["baseline"] if args.baseline else []) + ["current"]
    names += ["gensim"] if args.gensim else []
    skipped = {}
    w2vc = None
    for anchor in filter(None, (a.strip() for a in args.anchors.split(","))):
        if anchor not in ANCHORS:
            ap.error(f"unknown anchor {anchor!r}: choose from {', '.join(ANCHORS)}")
        if anchor == "fasttext" and not fasttext_available():
            skipped[anchor] = "not installed: pip install fasttext-wheel"
        elif anchor == "w2vc" and not (w2vc := find_w2vc(args.w2vc)):
            skipped[anchor] = "not found: python benchmarks/_anchors.py build-w2vc"
        else:
            names.append(anchor)
    for anchor, why in skipped.items():
        print(f"skipping {anchor}: {why}")
    tmp, corpus_file, n_tokens = None, None, None
    if any(n in ANCHORS for n in names):
        tmp = tempfile.mkdtemp(prefix="bench-ab-")
        corpus_file = os.path.join(tmp, "corpus.txt")
        n_tokens = write_corpus(chunks(load_tokens(args.corpus, args.max_tokens)), corpus_file)
    limits = [measure_sgemm(params["dim"], params["negative"])] if args.limit else []

    records = []
    for rep in range(args.repeats):
        order = names if rep % 2 == 0 else names[::-1]
        for n_jobs in args.jobs:
            for name in order:
                load = os.getloadavg()
                if name in ANCHORS:
                    cfg = dict(system=name, corpus_file=corpus_file, n_tokens=n_tokens,
                               params=params, subwords=None, n_jobs=n_jobs, seed=rep, w2vc=w2vc,
                               data_dir=data_dir, evaluate=args.evaluate)
                    rec = run_anchor(cfg)
                else:
                    cfg = dict(lib="gensim" if name == "gensim" else "skw2v", n_jobs=n_jobs,
                               corpus=args.corpus, params=params, data_dir=data_dir,
                               max_tokens=args.max_tokens, seed=rep, evaluate=args.evaluate)
                    rec = run(cfg, args.baseline if name == "baseline" else ROOT)
                    rec.pop("loss_curve", None)
                rec.update(name=name, rep=rep, n_jobs=n_jobs, loadavg_before=load,
                           loadavg_after=os.getloadavg())
                records.append(rec)
                print(f"rep {rep} n_jobs={n_jobs} {name:>8}: {rec['words_per_second']:,.0f} "
                      f"words/s, {rec.get('cpu_seconds', float('nan')):.1f} CPU s, "
                      f"load {load[0]:.1f}", flush=True)
    if args.limit:
        limits.append(measure_sgemm(params["dim"], params["negative"]))
    if tmp:
        os.remove(corpus_file)
        os.rmdir(tmp)

    # the limit: sgemm rate / (6 d (K+1) FLOP per pair x pairs per raw word of this run)
    from bench_limit import flop_per_pair

    limit = None
    pairs = [r["n_pairs"] / (r["n_tokens"] * params["epochs"]) for r in records
             if r["name"] == "current" and r.get("n_pairs")]
    if limits and pairs:
        gflops = max(lim["sgemm_gflops"] for lim in limits)
        ppw = statistics.median(pairs)
        fpp = flop_per_pair(params["dim"], params["negative"])
        limit = dict(sgemm_gflops=gflops, sgemm_gflops_each=[lim["sgemm_gflops"] for lim in limits],
                     flop_per_pair=fpp, pairs_per_raw_word=ppw, flop_per_raw_word=fpp * ppw,
                     words_per_second_per_core=gflops * 1e9 / (fpp * ppw))
        for r in records:
            r["of_limit"] = r["words_per_second"] / (limit["words_per_second_per_core"]
                                                     * r["n_jobs"])
            if r.get("words_per_cpu_second"):
                r["cpu_of_limit"] = r["words_per_cpu_second"] / limit["words_per_second_per_core"]

    metrics = ["words_per_second", "cpu_seconds", "words_per_cpu_second", "of_limit",
               "cpu_of_limit", "peak_rss_mb", "tree_peak_pss_mb", "analogy_30k", "ws353", "men"]
    table = {}
    for n_jobs in args.jobs:
        for name in names:
            recs = [r for r in records if r["name"] == name and r["n_jobs"] == n_jobs]
            table.setdefault(n_jobs, {})[name] = {
                m: statistics.median(r[m] for r in recs) for m in metrics
                if all(isinstance(r.get(m), (int, float)) for r in recs)}
    n_tok = records[0]["n_tokens"]
    print(f"\ncorpus={args.corpus} tokens={n_tok:,} repeats={args.repeats} settings={params} "
          f"cpus={os.cpu_count()}; medians over repeats")
    if limit:
        print(f"limit: sgemm {limit['sgemm_gflops']:.1f} GFLOP/s per core (1 BLAS thread; "
              f"before/after {', '.join(f'{g:.1f}' for g in limit['sgemm_gflops_each'])}) / "
              f"({limit['flop_per_pair']:,} FLOP per pair x {limit['pairs_per_raw_word']:.3f} "
              f"pairs per raw word) = {limit['words_per_second_per_core']:,.0f} raw words/s "
              "per core")
    cols = [("words_per_second", "words/s", ",.0f"), ("cpu_seconds", "CPU s", ",.1f"),
            ("words_per_cpu_second", "words/CPU-s", ",.0f"), ("of_limit", "of limit", ".3f"),
            ("cpu_of_limit", "CPU of limit", ".3f"), ("ratio", "/ gensim", ".3f"),
            ("peak_rss_mb", "peak RSS MB", ",.0f"), ("tree_peak_pss_mb", "tree PSS MB", ",.0f")]
    if args.evaluate:
        cols += [("analogy_30k", "analogy", ".3f"), ("ws353", "WS353", ".3f"),
                 ("men", "MEN", ".3f")]
    print("| n_jobs | system | " + " | ".join(h for _, h, _ in cols) + " |")
    print("|---|---|" + "---|" * len(cols))
    for n_jobs, rows in table.items():
        for name, med in rows.items():
            if "gensim" in rows:
                med["ratio"] = med["words_per_second"] / rows["gensim"]["words_per_second"]
            print(f"| {n_jobs} | {name} | "
                  + " | ".join(fmt(med.get(k), f) for k, _, f in cols) + " |")
    if "baseline" in names:
        for n_jobs, rows in table.items():
            ratio = rows["current"]["words_per_second"] / rows["baseline"]["words_per_second"]
            print(f"n_jobs={n_jobs}: current / baseline words/s {ratio:.3f}")
    if args.out:
        runs = {name: [r["words_per_second"] for r in records if r["name"] == name]
                for name in names}
        with open(args.out, "w") as fh:
            json.dump({"args": vars(args), "params": params, "runs": runs,
                       "medians": {k: statistics.median(v) for k, v in runs.items()},
                       "records": records, "table": table, "limit": limit,
                       "sgemm": limits, "skipped_anchors": skipped,
                       "cpu_count": os.cpu_count(), "platform": platform.platform(),
                       "python": sys.version}, fh, indent=1)
        print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
