"""Subword vectors side by side (issue 15, item 4): fastText, skw2v, skw2v with subwords.

One run trains every system on the same corpus file (the first ``--max-tokens``
tokens of ``--corpus``, cut into 10,000-token lines), each in a fresh process
(``_run_system.py``), alternating systems within every repetition (and
reversing their order on odd repetitions), at 1 and 2 jobs/threads. Same
settings for all: ``--dim`` 100, ``--window`` 5, ``--negative`` 5, ``--epochs``
5, ``--min-count`` 5, ``--sample`` 1e-3, and for the subword systems n-grams
``--minn`` 3 to ``--maxn`` 6 hashed into ``--buckets`` 2,000,000. Each system
keeps its default learning rate (fastText 0.05, skw2v ``"auto"``) unless
``--ft-lr`` or ``--skw2v-lr`` is given.

Systems (``--systems``):

* ``fasttext``: the PyPI fastText wheel, ``train_unsupervised(model="skipgram",
  minn, maxn, bucket)``;
* ``fasttext-nosw``: the same without subwords (``maxn=0``), not in the default set;
* ``skw2v``: ``SkipGramVectorizer`` without subwords;
* ``skw2v-sw``: ``SkipGramVectorizer(char_ngram_range=(minn, maxn), n_buckets=buckets)``.

skw2v reads the same file as fastText (``input="filename"``,
``token_pattern=r"\\S+"``, ``lowercase=False``), so neither holds the corpus as
Python objects and the peak RSS compares the trainers; ``--skw2v-input list``
gives skw2v token lists instead (``analyzer=list``, the lists counted in its
RSS).

Reported per run (JSON keeps every run, the table shows medians over
repetitions): raw words/s on the wall clock and per CPU second (training
only, vocabulary included; CPU includes worker processes), the training
process's peak RSS (``VmHWM``) and RSS before training (fastText in its own
process too), the peak summed PSS of the process and its workers (``tree
PSS``: the memory held at ``n_jobs=2``), the load average; Google analogies (3CosAdd over the 30,000
most frequent words, case-insensitive; the five semantic sections and the nine
``gram*`` syntactic ones apart); WS353 and MEN Spearman on the in-vocabulary
pairs; downstream test accuracy (``--downstream`` sst2 and/or trec) of a
scaled logistic regression on the mean of each text's vectors (composed
vectors for unseen tokens when the system has subwords).

The unseen-word test: WS353/MEN words with a corpus frequency at most
``--unseen-max-freq`` (and at least ``--min-count`` occurrences, so they would
be in the vocabulary) are taken in the order of a hash of the word
(deterministic, unrelated to meaning) until the pairs that involve them reach
``--unseen-pairs`` (WS353, MEN) or the removed text reaches ``--unseen-budget``
of the corpus. Every occurrence of such a word is removed from the training
text with ``--window`` tokens on each side (every window that would contain
it) and the text is cut into separate lines at each removal, so no new window
spans a cut. Every system trains once more on that text (``--unseen-jobs``),
and the pairs involving the held-out words are scored with the vectors the
system gives for them (fastText's ``get_word_vector``, skw2v's ``wv_[word]``);
a system without subwords has no vector for them (coverage is reported). The
same pairs scored by the model trained on the whole text (where the words were
seen) are shown next to them.

Examples::

    python benchmarks/bench_subwords.py --systems fasttext skw2v skw2v-sw --jobs 1 2 \\
        --out benchmarks/results/subwords_4M.json
    python benchmarks/bench_subwords.py --max-tokens 0 --jobs 2      # the full 17M tokens
    python benchmarks/bench_subwords.py --max-tokens 1000000 --epochs 1 --systems fasttext skw2v
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)

from _anchors import chunks, fasttext_version, load_tokens, write_corpus  # noqa: E402
from bench_ab import result_of  # noqa: E402

SYSTEMS = {
    "fasttext": ("fasttext", True),
    "fasttext-nosw": ("fasttext", False),
    "skw2v": ("skw2v", False),
    "skw2v-sw": ("skw2v", True),
}


def default_data_dir():
    for cand in ("/work/shared/data", os.path.join(ROOT, "..", "shared", "data")):
        if os.path.isdir(cand):
            return os.path.abspath(cand)
    return os.path.abspath(os.path.join(ROOT, "..", "shared", "data"))


def read_pairs(path):
    from skw2v.evaluation import read_similarity

    return [(a.lower(), b.lower(), s) for a, b, s in read_similarity(path)]


# --------------------------------------------------------------------------
# The unseen-word corpus
# --------------------------------------------------------------------------
def choose_heldout(tokens, data_dir, *, min_count, max_freq, budget, window, targets):
    """Deterministic WS353/MEN words to remove from the corpus, and why they were chosen."""
    counts = Counter(tokens)
    sets = {"ws353": read_pairs(os.path.join(data_dir, "ws353.txt")),
            "men": read_pairs(os.path.join(data_dir, "men3000.txt"))}
    words = sorted({w for pairs in sets.values() for p in pairs for w in p[:2]})
    cap = max_freq * len(tokens)
    cands = [w for w in words if min_count <= counts[w] <= cap]
    cands.sort(key=lambda w: hashlib.sha1(w.encode()).hexdigest())
    chosen, removed_est = [], 0
    n_pairs = dict.fromkeys(sets, 0)
    for w in cands:
        if all(n_pairs[k] >= targets[k] for k in sets):
            break
        cost = counts[w] * (2 * window + 1)
        if removed_est + cost > budget * len(tokens):
            continue
        chosen.append(w)
        removed_est += cost
        held = set(chosen)
        n_pairs = {k: sum(p[0] in held or p[1] in held for p in v) for k, v in sets.items()}
    return chosen, dict(candidates=len(cands), max_count=cap, pairs=n_pairs,
                        counts={w: counts[w] for w in chosen})


def remove_windows(tokens, heldout, window, doc_len=10_000):
    """Drop every held-out token with ``window`` tokens on each side; cut the text there.

    Returns the documents (token lists of at most ``doc_len`` tokens, no window
    crossing a removed span) and the number of tokens removed.
    """
    held = set(heldout)
    drop = bytearray(len(tokens))
    for i, w in enumerate(tokens):
        if w in held:
            lo, hi = max(0, i - window), min(len(tokens), i + window + 1)
            drop[lo:hi] = b"\x01" * (hi - lo)
    docs, cur = [], []
    for i, w in enumerate(tokens):
        if drop[i]:
            if cur:
                docs.append(cur)
                cur = []
            continue
        cur.append(w)
        if len(cur) == doc_len:
            docs.append(cur)
            cur = []
    if cur:
        docs.append(cur)
    return docs, sum(drop)


# --------------------------------------------------------------------------
# Runs and the table
# --------------------------------------------------------------------------
def git_commit(path):
    try:
        return subprocess.run(["git", "-C", path, "rev-parse", "HEAD"], capture_output=True,
                              text=True, check=True).stdout.strip()
    except Exception:
        return None


def supports_subwords(skw2v_path):
    code = ("from skw2v import SkipGramVectorizer as S; "
            "print('char_ngram_range' in S().get_params() and 'n_buckets' in S().get_params())")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=HERE,
                         env=dict(os.environ, PYTHONPATH=skw2v_path))
    return out.stdout.strip() == "True"


def run_system(cfg, skw2v_path):
    env = dict(os.environ, PYTHONPATH=skw2v_path + os.pathsep + HERE)
    load = os.getloadavg()
    rec = result_of([sys.executable, os.path.join(HERE, "_run_system.py"), json.dumps(cfg)], env,
                    cwd=HERE)
    rec["loadavg_before"], rec["loadavg_after"] = load, os.getloadavg()
    return rec


def flat(rec, prefix=""):
    out = {}
    for k, v in rec.items():
        if isinstance(v, dict) and k not in ("settings", "subwords", "analogy_sections"):
            out.update(flat(v, f"{prefix}{k}."))
        elif isinstance(v, (int, float)) and not isinstance(v, bool):
            out[prefix + k] = v
    return out


def medians(recs):
    flats = [flat(r) for r in recs]
    keys = {k for f in flats for k in f}
    return {k: statistics.median(f[k] for f in flats if f.get(k) is not None) for k in keys
            if any(f.get(k) is not None for f in flats)}


def fmt(v, spec):
    return format(v, spec) if isinstance(v, (int, float)) else "-"


COLUMNS = [  # (key, header, format)
    ("words_per_second", "words/s", ",.0f"),
    ("words_per_cpu_second", "words/CPU-s", ",.0f"),
    ("peak_rss_mb", "peak RSS MB", ",.0f"),
    ("rss_before_mb", "before MB", ",.0f"),
    ("tree_peak_pss_mb", "tree PSS MB", ",.0f"),
    ("analogy_30k", "analogy", ".3f"),
    ("analogy_semantic", "semantic", ".3f"),
    ("analogy_syntactic", "syntactic", ".3f"),
    ("ws353", "WS353", ".3f"),
    ("men", "MEN", ".3f"),
    ("sst2.accuracy", "SST-2", ".3f"),
    ("trec.accuracy", "TREC", ".3f"),
]


def print_tables(table, unseen, args):
    cols = [c for c in COLUMNS if c[0].split(".")[0] not in ("sst2", "trec")
            or c[0].split(".")[0] in args.downstream]
    print("\n| n_jobs | system | " + " | ".join(h for _, h, _ in cols) + " |")
    print("|---|---|" + "---|" * len(cols))
    for n_jobs, rows in table.items():
        for name, med in rows.items():
            print(f"| {n_jobs} | {name} | "
                  + " | ".join(fmt(med.get(k), f) for k, _, f in cols) + " |")
    for n_jobs, rows in table.items():
        if "skw2v-sw" in rows and "fasttext" in rows:
            a, b = rows["skw2v-sw"], rows["fasttext"]
            print(f"n_jobs={n_jobs}: skw2v-sw / fasttext: words/s "
                  f"{a['words_per_second'] / b['words_per_second']:.2f}x, words/CPU-s "
                  f"{a['words_per_cpu_second'] / b['words_per_cpu_second']:.2f}x, peak RSS "
                  f"{a['peak_rss_mb'] / b['peak_rss_mb']:.2f}x, tree PSS "
                  f"{a['tree_peak_pss_mb'] / b['tree_peak_pss_mb']:.2f}x")
    if unseen:
        print("\nUnseen words: Spearman rho over the pairs involving held-out words "
              "(used/all pairs); 'seen' = the same pairs, model trained on the whole text")
        print("| system | WS353 unseen | MEN unseen | both unseen | WS353 seen | MEN seen "
              "| both seen |")
        print("|---|---|---|---|---|---|---|")
        for name, row in unseen.items():
            cells = []
            for which in ("unseen", "seen"):
                med = row.get(which) or {}
                for ds in ("ws353", "men", "both"):
                    rho = med.get(f"{ds}_heldout.spearman")
                    used, tot = med.get(f"{ds}_heldout.n_used"), med.get(f"{ds}_heldout.n_pairs")
                    cells.append(f"{fmt(rho, '.3f')} ({fmt(used, '.0f')}/{fmt(tot, '.0f')})")
            print(f"| {name} | " + " | ".join(cells) + " |")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--corpus", default=None, help="default: text8like.txt.gz in --data-dir")
    ap.add_argument("--data-dir", default=None, help="default: /work/shared/data or ../shared/data")
    ap.add_argument("--max-tokens", type=int, default=4_000_000, help="0: the whole corpus")
    ap.add_argument("--systems", nargs="+", default=["fasttext", "skw2v", "skw2v-sw"],
                    choices=list(SYSTEMS))
    ap.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--repeats", type=int, default=1)
    ap.add_argument("--dim", type=int, default=100)
    ap.add_argument("--window", type=int, default=5)
    ap.add_argument("--negative", type=int, default=5)
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--min-count", type=int, default=5)
    ap.add_argument("--sample", type=float, default=1e-3)
    ap.add_argument("--minn", type=int, default=3)
    ap.add_argument("--maxn", type=int, default=6)
    ap.add_argument("--buckets", type=int, default=2_000_000)
    ap.add_argument("--ft-lr", type=float, default=None, help="fastText lr (default 0.05)")
    ap.add_argument("--skw2v-lr", type=float, default=None, help="skw2v lr (default 'auto')")
    ap.add_argument("--skw2v-input", choices=["file", "list"], default="file")
    ap.add_argument("--skw2v-path", default=ROOT,
                    help="folder holding the skw2v package to run (default: this checkout)")
    ap.add_argument("--extra", default="{}", help="JSON dict of extra skw2v parameters")
    ap.add_argument("--downstream", nargs="*", default=["sst2", "trec"],
                    choices=["sst2", "trec"])
    ap.add_argument("--no-unseen", dest="unseen", action="store_false",
                    help="skip the unseen-word runs")
    ap.add_argument("--unseen-jobs", type=int, default=None, help="default: the first --jobs")
    ap.add_argument("--unseen-max-freq", type=float, default=1e-4,
                    help="held-out words occur at most this fraction of the tokens")
    ap.add_argument("--unseen-budget", type=float, default=0.03,
                    help="at most this fraction of the tokens is removed")
    ap.add_argument("--unseen-pairs", type=int, nargs=2, default=[50, 250],
                    metavar=("WS353", "MEN"), help="stop adding words at these pair counts")
    ap.add_argument("--tmp", default=None, help="folder for the corpus files (default: a temp dir)")
    ap.add_argument("--note", default=None,
                    help="free text kept in the JSON (e.g. the commit of a --skw2v-path snapshot)")
    ap.add_argument("--out", default=None)
    args = ap.parse_args(argv)
    data_dir = os.path.abspath(args.data_dir or default_data_dir())
    corpus = args.corpus or os.path.join(data_dir, "text8like.txt.gz")
    skw2v_path = os.path.abspath(args.skw2v_path)
    if "skw2v-sw" in args.systems and not supports_subwords(skw2v_path):
        ap.error(f"the skw2v in {skw2v_path} has no char_ngram_range/n_buckets: "
                 "drop skw2v-sw from --systems or point --skw2v-path at a checkout with them")
    if any(SYSTEMS[s][0] == "fasttext" for s in args.systems) and not fasttext_version():
        ap.error("fastText is not installed: pip install fasttext-wheel")
    params = dict(dim=args.dim, window=args.window, negative=args.negative, epochs=args.epochs,
                  min_count=args.min_count, sample=args.sample)
    subwords = dict(minn=args.minn, maxn=args.maxn, buckets=args.buckets)
    tmp = args.tmp or tempfile.mkdtemp(prefix="bench-subwords-")
    os.makedirs(tmp, exist_ok=True)

    tokens = load_tokens(corpus, args.max_tokens or None)
    full_file = os.path.join(tmp, "corpus.txt")
    n_tokens = write_corpus(chunks(tokens), full_file)
    print(f"corpus {corpus}: {n_tokens:,} tokens -> {full_file}", flush=True)
    heldout, held_info, unseen_file, n_unseen_tokens = [], None, None, None
    if args.unseen:
        heldout, held_info = choose_heldout(
            tokens, data_dir, min_count=args.min_count, max_freq=args.unseen_max_freq,
            budget=args.unseen_budget, window=args.window,
            targets=dict(ws353=args.unseen_pairs[0], men=args.unseen_pairs[1]))
        docs, n_removed = remove_windows(tokens, heldout, args.window)
        unseen_file = os.path.join(tmp, "corpus_unseen.txt")
        n_unseen_tokens = write_corpus(docs, unseen_file)
        held_info.update(n_removed=n_removed, removed_fraction=n_removed / n_tokens,
                         n_lines=len(docs), n_tokens=n_unseen_tokens)
        print(f"held out {len(heldout)} words ({held_info['pairs']} pairs involve them); "
              f"removed {n_removed:,} tokens ({n_removed / n_tokens:.2%}) -> {unseen_file}",
              flush=True)
        del docs
    del tokens

    def config(name, n_jobs, rep, corpus_file, n_tok):
        system, sw = SYSTEMS[name]
        cfg = dict(system=system, corpus_file=corpus_file, n_tokens=n_tok, params=params,
                   subwords=subwords if sw else None, n_jobs=n_jobs, seed=rep,
                   skw2v_input=args.skw2v_input, data_dir=data_dir, evaluate=True,
                   downstream=args.downstream, heldout=heldout)
        if system == "fasttext":
            cfg["lr"] = args.ft_lr
        else:
            cfg["lr"] = args.skw2v_lr
            cfg["extra"] = json.loads(args.extra)
        return cfg

    records = []
    unseen_jobs = args.unseen_jobs or args.jobs[0]
    started = time.time()
    for rep in range(args.repeats):
        order = args.systems if rep % 2 == 0 else args.systems[::-1]
        plan = [(n_jobs, name, "full") for n_jobs in args.jobs for name in order]
        if args.unseen:
            plan += [(unseen_jobs, name, "unseen") for name in order]
        for n_jobs, name, corpus_kind in plan:
            if corpus_kind == "full":
                cfg = config(name, n_jobs, rep, full_file, n_tokens)
            else:
                cfg = config(name, n_jobs, rep, unseen_file, n_unseen_tokens)
                cfg["downstream"] = []
            rec = run_system(cfg, skw2v_path)
            rec.update(name=name, rep=rep, corpus_kind=corpus_kind)
            records.append(rec)
            print(f"rep {rep} {corpus_kind:6s} {name:13s} n_jobs={n_jobs}: "
                  f"{rec['words_per_second']:>9,.0f} words/s "
                  f"({rec['words_per_cpu_second']:,.0f} per CPU-s), "
                  f"peak RSS {rec['peak_rss_mb']:,.0f} MB, analogy {rec['analogy_30k']:.3f}, "
                  f"load {rec['loadavg_before'][0]:.1f}", flush=True)

    table = {n_jobs: {name: medians([r for r in records if r["corpus_kind"] == "full"
                                     and r["n_jobs"] == n_jobs and r["name"] == name])
                      for name in args.systems} for n_jobs in args.jobs}
    unseen = {}
    if args.unseen:
        for name in args.systems:
            unseen[name] = {
                "unseen": medians([r for r in records if r["corpus_kind"] == "unseen"
                                   and r["name"] == name]),
                "seen": medians([r for r in records if r["corpus_kind"] == "full"
                                 and r["name"] == name and r["n_jobs"] == unseen_jobs])}
    print(f"\ncorpus={corpus} tokens={n_tokens:,} repeats={args.repeats} settings={params} "
          f"subwords={subwords} cpus={os.cpu_count()} minutes={(time.time() - started) / 60:.1f}")
    print("analogy: 3CosAdd, 30k most frequent words, case-insensitive; WS353/MEN: Spearman, "
          "in-vocabulary pairs; SST-2/TREC: test accuracy, mean-pooled vectors + scaled "
          "LogisticRegression; medians over repetitions")
    print_tables(table, unseen, args)
    if args.out:
        os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
        with open(args.out, "w") as fh:
            json.dump(dict(args=vars(args), corpus=corpus, n_tokens=n_tokens, params=params,
                           subwords=subwords, heldout=heldout, heldout_info=held_info,
                           skw2v_path=skw2v_path, skw2v_commit=git_commit(skw2v_path),
                           fasttext=fasttext_version(), cpu_count=os.cpu_count(),
                           platform=platform.platform(), python=sys.version,
                           records=records, table=table, unseen=unseen), fh, indent=1)
        print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
