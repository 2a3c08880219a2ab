"""Where ``train_range`` spends its CPU time: a py-spy profile, by kernel part.

Runs one fit (``n_jobs=1``, one BLAS thread, defaults otherwise; the
first ``--max-tokens`` of ``--corpus`` as 10,000-token documents) under
``py-spy record --format raw`` (py-spy samples the running thread only, so
the shares are of CPU time), keeps the samples whose stack holds
``train_range`` and sorts each into a part of the kernel by the innermost
skw2v function and the text of its source line (not its number, so the
table survives edits). Prints a Markdown table and writes JSON.

Example::

    PYTHONPATH=. python benchmarks/profile_train_range.py \\
        --corpus ../shared/data/text8like_1M.txt.gz \\
        --out benchmarks/results/profile_train_range_1M.json
"""

import argparse
import collections
import json
import linecache
import os
import shutil
import subprocess
import sys
import tempfile

ONE_FIT = r"""
import sys
from threadpoolctl import threadpool_limits
from skw2v import SkipGramVectorizer
path, max_tokens, epochs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
sys.path.insert(0, sys.argv[4])  # benchmarks/, for _run_one
from _run_one import load_corpus
docs, _ = load_corpus(path, max_tokens if max_tokens > 0 else None)
with threadpool_limits(1):
    SkipGramVectorizer(analyzer=list, epochs=epochs, random_state=0).fit(docs)
"""

#: (function, words of its source line or None for any line, part), first match wins
RULES = [
    ("fused_chunk", None, "chunk: layouts and sum plan (per 32 batches)"),
    ("sum_plan", None, "chunk: layouts and sum plan (per 32 batches)"),
    ("slot_words", None, "chunk: layouts and sum plan (per 32 batches)"),
    ("AliasSampler.sample", None, "negative draws"),
    ("draw_window_negatives", None, "negative draws"),
    ("skipgram_pairs", None, "pairs, windows, batch cuts"),
    ("group_batches", None, "pairs, windows, batch cuts"),
    ("scores_to_grad", None, "loss and sigmoid"),
    ("curvature_weights", None, "curvature (norms, weights, sums)"),
    ("_row_dots_kernel.<locals>.<lambda>", None, "curvature (norms, weights, sums)"),
    ("bound_steps", None, "step bound"),
    ("add_to_rows", None, "W[rows] += steps"),
    ("store_rows", None, "W[rows] += steps"),
    ("grouped_step", "out=scores", "scores: per-window matmuls"),
    ("grouped_step", "np.matmul(v[", "scores: per-window matmuls"),
    ("grouped_step", "out=grads", "gradients: per-window matmuls"),
    ("grouped_step", "out=g_out", "gradients: per-window matmuls"),
    ("grouped_step", "curvature", "curvature (norms, weights, sums)"),
    ("grouped_step", "norms", "curvature (norms, weights, sums)"),
    ("grouped_step", "_row_dots", "curvature (norms, weights, sums)"),
    ("grouped_step", "h = ", "curvature (norms, weights, sums)"),
    ("grouped_step", ".take(", "row gathers (take)"),
    ("planned_update", "_csr", "sparse sums of gradients and curvature (csr)"),
    ("planned_update", "summer", "sparse sums of gradients and curvature (csr)"),
    ("planned_update", "np.zeros", "sparse sums of gradients and curvature (csr)"),
]


def part_of(frames, root):
    """The kernel part of one sampled stack (a list of ``func (file:line)``)."""
    for frame in reversed(frames):
        func, _, where = frame.rpartition(" (")
        path, _, line = where.rstrip(")").rpartition(":")
        if "skw2v/" not in path:
            continue
        full = path if os.path.isabs(path) else os.path.join(root, path)
        text = linecache.getline(full, int(line)) if line.isdigit() else ""
        for name, words, part in RULES:
            if func == name and (words is None or words in text):
                return part
        if func in ("grouped_step", "planned_update", "WindowKernel.step"):
            return "other per-batch calls"
    return "other (train_range, the loops)"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--corpus", required=True)
    ap.add_argument("--max-tokens", type=int, default=0, help="corpus prefix (0: all)")
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--rate", type=int, default=1000, help="py-spy samples per second")
    ap.add_argument("--out", default=None)
    args = ap.parse_args(argv)
    spy = shutil.which("py-spy")
    if spy is None:
        sys.exit("py-spy is not installed (pip install py-spy)")
    import skw2v
    root = os.path.dirname(os.path.dirname(os.path.abspath(skw2v.__file__)))
    with tempfile.TemporaryDirectory() as tmp:
        raw = os.path.join(tmp, "raw.txt")
        subprocess.run([spy, "record", "-r", str(args.rate), "--format", "raw", "-o", raw,
                        "--", sys.executable, "-c", ONE_FIT, args.corpus, str(args.max_tokens),
                        str(args.epochs), os.path.dirname(os.path.abspath(__file__))],
                       check=True, capture_output=True)
        parts, total = collections.Counter(), 0
        with open(raw) as fh:
            for line in fh:
                stack, _, n = line.rstrip("\n").rpartition(" ")
                if "train_range" not in stack:
                    continue
                total += int(n)
                parts[part_of(stack.split(";"), root)] += int(n)
    shares = {k: v / total for k, v in parts.most_common()}
    print(f"{total} samples in train_range\n\n| part | share |\n|---|---|")
    for k, v in shares.items():
        print(f"| {k} | {100 * v:.1f}% |")
    if args.out:
        with open(args.out, "w") as fh:
            json.dump({"args": vars(args), "samples": total, "shares": shares}, fh, indent=1)


if __name__ == "__main__":
    main()
