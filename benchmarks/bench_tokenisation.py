"""Which tokenisation gives better vectors: the default token pattern or whitespace tokens?

``SkipGramVectorizer`` (and, since issue 17, ``skw2v train``) tokenise with
scikit-learn's default ``token_pattern`` ``(?u)\\b\\w\\w+\\b``, which drops
one-letter words; ``token_pattern=r"\\S+"`` (``skw2v train --token-pattern
'\\S+'``) splits on whitespace and keeps them, as gensim and word2vec do. On
text8like (lower-case a-z words separated by spaces) the two differ only in
the one-letter words ("a", "s", "i", ...).

Each (seed, tokenisation) trains in a fresh subprocess, alternating the
tokenisations, with the settings of ``bench_train.py`` (skip-gram, 100
dimensions, window 5, 5 negatives, 5 epochs, ``min_count`` 5, ``subsample``
1e-3, ``learning_rate="auto"``). The one-line corpus is cut into documents of
10,000 whitespace tokens, given to ``fit`` as strings, so the estimator's own
tokeniser does the work. Prints a table of means over seeds and the
difference, and writes JSON.

Example (full text8like, 2 seeds, one job; about 4 minutes per fit on 2 cores)::

    python benchmarks/bench_tokenisation.py --corpus ../shared/data/text8like.txt.gz \\
        --seeds 0 1 --out benchmarks/results/tokenisation_text8like.json
"""

import argparse
import gzip
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time

TOKENISATIONS = {
    "token_pattern": r"(?u)\b\w\w+\b",  # the estimator's default (CountVectorizer's)
    "whitespace": r"\S+",  # str.split(): one-letter words and punctuation kept
}
PARAMS = dict(n_components=100, window=5, n_negatives=5, epochs=5, min_count=5, subsample=1e-3)
METRICS = ["analogy_30k", "analogy_coverage", "ws353", "men", "vocab_size", "n_tokens",
           "learning_rate", "fit_seconds", "peak_rss_mb"]
CHUNK = 10_000
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def read_documents(path, max_tokens=None, chunk=CHUNK):
    """The corpus as strings of ``chunk`` whitespace tokens each."""
    with gzip.open(path, "rt") if path.endswith(".gz") else open(path) as fh:
        tokens = fh.read().split()
    if max_tokens:
        tokens = tokens[:max_tokens]
    return [" ".join(tokens[i:i + chunk]) for i in range(0, len(tokens), chunk)], len(tokens)


def run_one(cfg):
    """Fit and evaluate one model in this process; return its record."""
    import skw2v
    from skw2v import SkipGramVectorizer
    from skw2v.evaluation import evaluate_analogies, evaluate_similarity

    docs, n_raw = read_documents(cfg["corpus"], cfg.get("max_tokens"))
    est = SkipGramVectorizer(**PARAMS, token_pattern=TOKENISATIONS[cfg["tokenisation"]],
                             n_jobs=cfg["n_jobs"], random_state=cfg["seed"])
    start = time.perf_counter()
    est.fit(docs)
    seconds = time.perf_counter() - start
    kv = est.wv_
    data = cfg["data_dir"]
    analogies = evaluate_analogies(kv, os.path.join(data, "questions-words.txt"),
                                   restrict_vocab=30000, case_insensitive=True)
    return {
        "tokenisation": cfg["tokenisation"], "seed": cfg["seed"], "n_jobs": cfg["n_jobs"],
        "raw_tokens": n_raw, "n_tokens": int(est.n_tokens_), "vocab_size": len(kv),
        "one_letter_words": sum(len(w) == 1 for w in kv.index_to_key),
        "learning_rate": float(est.learning_rate_), "fit_seconds": seconds,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "analogy_30k": analogies.accuracy, "analogy_coverage": analogies.coverage,
        "ws353": evaluate_similarity(kv, os.path.join(data, "ws353.txt")).spearman,
        "men": evaluate_similarity(kv, os.path.join(data, "men3000.txt")).spearman,
        "final_loss": float(est.loss_curve_[-1]), "skw2v": os.path.dirname(skw2v.__file__),
    }


def run_subprocess(cfg):
    # measure the skw2v of this checkout, not whichever one is installed
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [ROOT] + ([os.environ["PYTHONPATH"]] if os.environ.get("PYTHONPATH") else [])))
    proc = subprocess.run([sys.executable, os.path.abspath(__file__), "--one", json.dumps(cfg)],
                          capture_output=True, text=True, env=env)
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[len("RESULT "):])
    raise RuntimeError(f"run failed: {cfg}\n{proc.stderr[-3000:]}")


def git_commit():
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                              text=True, cwd=os.path.dirname(os.path.abspath(__file__))
                              ).stdout.strip() or None
    except OSError:
        return None


def summarise(records):
    """Mean of every metric per tokenisation, and the difference token_pattern - whitespace."""
    table = {}
    for name in TOKENISATIONS:
        recs = [r for r in records if r["tokenisation"] == name]
        table[name] = {m: statistics.mean(r[m] for r in recs) for m in METRICS}
    table["difference"] = {m: table["token_pattern"][m] - table["whitespace"][m]
                           for m in METRICS}
    return table


def fmt(metric, value):
    if metric in ("vocab_size", "n_tokens"):
        return f"{value:,.0f}"
    if metric in ("fit_seconds", "peak_rss_mb"):
        return f"{value:.0f}"
    return f"{value:.4f}"


def print_table(records, table, args):
    seeds = sorted({r["seed"] for r in records})
    print(f"\ncorpus={args.corpus} raw tokens={records[0]['raw_tokens']} seeds={seeds} "
          f"n_jobs={args.jobs} settings={PARAMS}, learning_rate='auto'")
    print("analogy: 3CosAdd, restrict_vocab=30000, case-insensitive; ws353/men: Spearman rho; "
          "means over seeds (per seed in brackets)")
    print(f"{'metric':>17} {'token_pattern':>34} {'whitespace':>34} {'difference':>11}")
    for m in METRICS:
        cells = []
        for name in TOKENISATIONS:
            per_seed = [r[m] for s in seeds for r in records
                        if r["tokenisation"] == name and r["seed"] == s]
            cells.append(fmt(m, table[name][m]) + " ["
                         + ", ".join(fmt(m, v) for v in per_seed) + "]")
        print(f"{m:>17} {cells[0]:>34} {cells[1]:>34} {fmt(m, table['difference'][m]):>11}")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--one", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--corpus", default=None, help="the corpus (one or more lines of text)")
    ap.add_argument("--data-dir", default=None,
                    help="folder with questions-words.txt, ws353.txt, men3000.txt "
                         "(default: the corpus's folder)")
    ap.add_argument("--seeds", type=int, nargs="+", default=[0])
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--max-tokens", type=int, default=None)
    ap.add_argument("--out", default=None)
    args = ap.parse_args(argv)
    if args.one:  # a single fit, in a subprocess of the run below
        print("RESULT " + json.dumps(run_one(json.loads(args.one))), flush=True)
        return
    if not args.corpus:
        ap.error("--corpus is required")
    data_dir = args.data_dir or os.path.dirname(os.path.abspath(args.corpus))
    records = []
    for seed in args.seeds:
        for name in TOKENISATIONS:
            rec = run_subprocess(dict(tokenisation=name, seed=seed, n_jobs=args.jobs,
                                      corpus=args.corpus, data_dir=data_dir,
                                      max_tokens=args.max_tokens))
            records.append(rec)
            print(f"  seed {seed} {name:>13}: " + ", ".join(f"{m}={rec[m]:.4g}" for m in METRICS),
                  flush=True)
    table = summarise(records)
    print_table(records, table, args)
    if args.out:
        os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
        with open(args.out, "w") as fh:
            json.dump({"args": vars(args), "params": PARAMS, "tokenisations": TOKENISATIONS,
                       "commit": git_commit(), "cpu_count": os.cpu_count(),
                       "platform": platform.platform(),
                       "python": sys.version, "records": records, "table": table}, fh, indent=1)
        print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
