"""When each Hogwild task and epoch of a fit starts and ends (issue 16, item 4).

Fits ``SkipGramVectorizer(analyzer=list, ...)`` with ``bench_train.py``'s
settings (100 dimensions, window 5, 5 negatives, 5 epochs, ``min_count`` 5,
``subsample`` 1e-3) on the first ``--max-tokens`` of ``--corpus`` (documents
of 10,000 tokens) at ``--jobs``, and records, in seconds from the start of
``fit``: each epoch (``train_epoch``), the next epoch's subsampling run
meanwhile, and each worker task (``train_slice_in_place``, logged by the
worker itself to a file: its process, start, end, CPU seconds and tokens).
Prints the timeline and writes JSON. It wraps the functions of the
``skw2v`` on ``sys.path`` (``PYTHONPATH``), so it runs any checkout.

Example::

    PYTHONPATH=. python benchmarks/timeline_hogwild.py --corpus ../shared/data/text8like.txt.gz \\
        --jobs 2 --out benchmarks/results/timeline_hogwild_full_2jobs.json
"""

import argparse
import json
import os
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--corpus", required=True)
    ap.add_argument("--max-tokens", type=int, default=None)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--out", default=None)
    args = ap.parse_args(argv)
    sys.path.insert(0, HERE)
    import _timeline_task
    from _run_one import TRAIN_PARAMS, load_corpus

    from skw2v import SkipGramVectorizer
    from skw2v._fitting import parallel, trainer

    log = tempfile.NamedTemporaryFile(prefix="skw2v_timeline_", suffix=".jsonl", delete=False)
    log.close()
    os.environ[_timeline_task.ENV] = log.name  # the workers inherit it
    parallel.train_slice_in_place = _timeline_task.logged
    docs, n_tokens = load_corpus(args.corpus, args.max_tokens)
    events = []
    train_epoch = trainer.train_epoch

    def timed_epoch(*a, **k):
        meanwhile = k.get("meanwhile")
        if meanwhile is not None:
            def timed_meanwhile():
                t = time.time()
                meanwhile()
                events.append(("subsample next epoch", t, time.time()))
            k["meanwhile"] = timed_meanwhile
        t = time.time()
        result = train_epoch(*a, **k)
        events.append(("epoch", t, time.time()))
        return result

    trainer.train_epoch = timed_epoch
    model = SkipGramVectorizer(analyzer=list, **TRAIN_PARAMS, n_jobs=args.jobs, random_state=0)
    try:
        t0 = time.time()
        model.fit(docs)
        t1 = time.time()
        with open(log.name) as fh:
            tasks = [json.loads(line) for line in fh]
    finally:  # the log goes, whether the fit ended or raised
        os.unlink(log.name)
    pids = sorted({t["pid"] for t in tasks})
    rel = [{"event": name, "start": a - t0, "end": b - t0} for name, a, b in events]
    rel += [{"event": f"task, worker {pids.index(t['pid'])}", "start": t["t0"] - t0,
             "end": t["t1"] - t0, "cpu": t["cpu"], "tokens": t["b"] - t["a"]} for t in tasks]
    rel.sort(key=lambda e: e["start"])
    words_per_second = n_tokens * TRAIN_PARAMS["epochs"] / (t1 - t0)
    print(f"fit {t1 - t0:.2f} s, {words_per_second:,.0f} words/s, n_jobs={args.jobs}")
    print(f"before the first epoch: {min(a for _, a, _ in events) - t0:.2f} s")
    for e in rel:
        extra = f"  cpu {e['cpu']:6.2f}  tokens {e['tokens']:,}" if "cpu" in e else ""
        print(f"{e['event']:22s} {e['start']:7.2f} {e['end']:7.2f} {e['end'] - e['start']:6.2f}"
              f"{extra}")
    if args.out:
        with open(args.out, "w") as fh:
            json.dump({"args": vars(args), "fit_seconds": t1 - t0, "n_tokens": n_tokens,
                       "load": os.getloadavg(), "events": rel}, fh, indent=1)
        print("wrote", args.out)


if __name__ == "__main__":
    main()
