"""Why mini-batch word2vec diverges: the summed step of rows a batch repeats.

Trains epoch 1 of ``SkipGramVectorizer`` at the defaults, with word2vec's
``learning_rate=0.025`` (the default when 20 Newsgroups diverged), on each named corpus
of the zoo, once with the step bound of :func:`skw2v.losses.bound_steps`
switched off (``MAX_STEP_CURVATURE = inf``: plain summed mini-batch steps,
the code before the fix) and once with it on. For every batch and every row
it updates, it records how often the batch repeats the row (as an input row,
as an output row for the positive word, as a negative), the norm of the
row's summed step against the row's norm, and ``lr * C`` with ``C`` the
row's curvature bound (the row needs bounding when ``lr * C > 1``).

Prints, per corpus: the repeat counts per batch, the share of row updates
with ``lr * C > 1``, and the largest ``lr * C`` and step, and the
first batches whose largest row step exceeds 3, 10, 100 and 10^4 (the way
to a divergence), each with its word and its counts; writes JSON.

Example::

    python benchmarks/bench_stability.py --corpora 20newsgroups text8like_1M \
        --out benchmarks/results/stability.json
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys

import numpy as np
from scipy.sparse import csr_array

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import zoo  # noqa: E402

import skw2v._core.rowsum as rowsum  # noqa: E402
from skw2v import SkipGramVectorizer  # noqa: E402


class Recorder:
    """Replaces ``skw2v._core.rowsum.planned_update`` to record each batch's row updates."""

    def __init__(self, n_negatives):
        self.k1 = n_negatives + 1
        self.rows = []  # one record per batch: arrays over the batch's unique rows
        self.original = rowsum.planned_update

    def __call__(self, W_in, W_out, plan, i, grads, scale, curvature=None):
        p0, p1 = plan.ptr[i], plan.ptr[i + 1]
        u0, mid, u1 = plan.uptr[i], plan.mid[i], plan.uptr[i + 1]
        starts = plan.starts[u0:u1 + 1] - p0
        cols = plan.columns[p0:p1]
        # gradient rows: the batch's padded input rows, then G * (K+1) output rows
        # (window after window, the positive word first), one plan entry each
        m = grads.shape[0] - int(plan.starts[u1] - plan.starts[mid])
        role = np.where(cols < m, 0, np.where((cols - m) % self.k1 == 0, 1, 2))
        entry_row = np.repeat(np.arange(u1 - u0), np.diff(starts))
        counts = np.zeros((u1 - u0, 3), dtype=np.int64)
        np.add.at(counts, (entry_row, role), 1)
        summer = csr_array((np.full(p1 - p0, scale), cols, starts),
                           shape=(u1 - u0, grads.shape[0]))
        step = np.linalg.norm(summer @ grads.astype(np.float64), axis=1)
        ids = plan.rows[u0:u1]
        before = np.concatenate((W_in[ids[:mid - u0]], W_out[ids[mid - u0:]]))
        norm = np.linalg.norm(before.astype(np.float64), axis=1)
        lr_c = np.abs(summer @ curvature) if curvature is not None else np.full(step.size, np.nan)
        is_out = np.arange(u1 - u0) >= mid - u0
        self.rows.append(dict(ids=ids.copy(), is_out=is_out, counts=counts, step=step,
                              norm=norm, lr_c=lr_c))
        self.original(W_in, W_out, plan, i, grads, scale, curvature)


def analyse(name, corpus, bound, max_batches=None):
    """Epoch 1 at the defaults with the bound on or off; a summary dict."""
    saved = rowsum.MAX_STEP_CURVATURE
    rowsum.MAX_STEP_CURVATURE = saved if bound else math.inf
    # learning_rate=0.025: the default when 20 Newsgroups diverged (word2vec's)
    est = SkipGramVectorizer(random_state=0, epochs=1, learning_rate=0.025)
    rec = Recorder(est.n_negatives)
    rowsum.planned_update = rec
    diverged = None
    try:
        est.fit(corpus.texts)
    except FloatingPointError as exc:
        diverged = str(exc).split(":")[0]
    finally:
        rowsum.planned_update = rec.original
        rowsum.MAX_STEP_CURVATURE = saved
    batches = rec.rows[:max_batches]
    max_count = np.array([b["counts"].sum(axis=1).max() for b in batches])
    lr_c = np.concatenate([b["lr_c"] for b in batches])
    finite = np.isfinite(lr_c)
    out = dict(corpus=name, bound=bound, diverged=diverged, n_batches=len(batches),
               max_repeats_per_batch={f"p{q}": float(np.percentile(max_count, q))
                                      for q in (50, 90, 99, 100)},
               share_rows_lr_c_over_1=float(np.mean(lr_c[finite] > 1.0)),
               lr_c_p99_99=float(np.percentile(lr_c[finite], 99.99)))
    # The way to a blow-up: the first batch whose largest row step exceeds
    # 3, 10, 100 and 10^4 (or is not finite), with that row.
    events, thresholds = [], [3.0, 10.0, 100.0, 1e4, math.inf]
    for b, batch in enumerate(batches):
        step = np.where(np.isfinite(batch["step"]), batch["step"], math.inf)
        r = int(np.argmax(step))
        while thresholds and (step[r] > thresholds[0] or step[r] == math.inf):
            events.append(dict(batch=b, over=thresholds.pop(0), row=int(batch["ids"][r]),
                               matrix="output" if batch["is_out"][r] else "input",
                               as_input=int(batch["counts"][r, 0]),
                               as_positive=int(batch["counts"][r, 1]),
                               as_negative=int(batch["counts"][r, 2]),
                               step_norm=float(batch["step"][r]),
                               row_norm=float(batch["norm"][r]),
                               lr_c=float(batch["lr_c"][r])))
    steps = np.concatenate([b["step"] for b in batches])
    out["max_step"] = float(np.max(steps[np.isfinite(steps)]))
    out["max_lr_c"] = float(np.max(lr_c[finite]))
    out["first_blowups"] = events
    return out, est


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--corpora", nargs="+", default=["20newsgroups", "text8like_1M"])
    ap.add_argument("--data-dir", default=zoo.DEFAULT_DATA_DIR)
    ap.add_argument("--out", default=None)
    args = ap.parse_args(argv)
    loaders = {**zoo.real_corpora(args.data_dir, full_text8like=False),
               **zoo.real_corpora(args.data_dir), **zoo.adversarial_corpora()}
    results = []
    for name in args.corpora:
        corpus = loaders[name]()
        words = None
        for bound in (False, True):
            res, est = analyse(name, corpus, bound)
            if bound:
                words = est.index_to_key_
            results.append(res)
        for res in results[-2:]:
            for ev in res["first_blowups"]:
                ev["word"] = words[ev["row"]] if words is not None else None
        print(f"\n== {name}")
        print(f"{'bound':>6} {'diverged':>9} {'batches':>8} {'repeats p50/p99/max':>20} "
              f"{'rows lr*C>1':>12} {'max lr*C':>9} {'max |step|':>11}")
        for res in results[-2:]:
            r = res["max_repeats_per_batch"]
            print(f"{str(res['bound']):>6} {str(bool(res['diverged'])):>9} "
                  f"{res['n_batches']:>8} {r['p50']:>6.0f}/{r['p99']:>5.0f}/{r['p100']:>5.0f}"
                  f" {100 * res['share_rows_lr_c_over_1']:>11.2f}% {res['max_lr_c']:>9.3g}"
                  f" {res['max_step']:>11.3g}")
        print("first batch whose largest row step exceeds each threshold (bound off):")
        print(f"{'over':>6} {'batch':>6} {'word':>14} {'matrix':>7} {'in':>5} {'pos':>5} "
              f"{'neg':>5} {'|step|':>9} {'|row|':>9} {'lr*C':>8}")
        for ev in results[-2]["first_blowups"]:
            print(f"{ev['over']:>6.0g} {ev['batch']:>6} {str(ev['word'])[:14]:>14} "
                  f"{ev['matrix']:>7} {ev['as_input']:>5} {ev['as_positive']:>5} "
                  f"{ev['as_negative']:>5} {ev['step_norm']:>9.3g} {ev['row_norm']:>9.3g} "
                  f"{ev['lr_c']:>8.3g}")
    if args.out:
        with open(args.out, "w") as fh:
            json.dump(results, fh, indent=1)
        print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
