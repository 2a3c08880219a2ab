"""Train one model (skw2v or gensim) in this process and print a JSON record.

Used by ``bench_train.py``, which runs each configuration in a fresh process so
that peak RSS is measured per run. Not meant to be called by hand, though it
can be: ``python benchmarks/_run_one.py '{"lib": "skw2v", ...}'``.
"""

import gzip
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _anchors import TreeMemory, peak_rss_mb, tree_cpu_seconds  # noqa: E402

CHUNK = 10_000  # tokens per document, as gensim's Text8Corpus / LineSentence
#: ``bench_train.py``'s settings as ``SkipGramVectorizer`` parameters, for the
#: scripts that fit skw2v alone.
TRAIN_PARAMS = dict(n_components=100, window=5, n_negatives=5, epochs=5, min_count=5,
                    subsample=1e-3)


def load_corpus(path, max_tokens=None, repeat=1):
    """Documents of ``CHUNK`` tokens from a whitespace-separated text file (``.gz`` or plain)."""
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as fh:
        if max_tokens:
            # read pieces until enough tokens, so the peak RSS does not hold the whole file
            toks, tail = [], ""
            while len(toks) < max_tokens:
                piece = fh.read(1 << 22)
                if not piece:
                    toks.extend(tail.split())
                    break
                words = (tail + piece).split()
                # the last word may continue in the next piece
                tail = "" if piece[-1].isspace() else words.pop() if words else ""
                toks.extend(words)
            toks = toks[:max_tokens]
        else:
            toks = fh.read().split()
    toks = toks * repeat
    return [toks[i:i + CHUNK] for i in range(0, len(toks), CHUNK)], len(toks)


def main():
    cfg = json.loads(sys.argv[1])
    docs, n_tokens = load_corpus(cfg["corpus"], cfg.get("max_tokens"), cfg.get("repeat", 1))
    p = cfg["params"]
    rec = {"lib": cfg["lib"], "n_jobs": cfg["n_jobs"], "n_tokens": n_tokens}
    if cfg["lib"] == "skw2v":
        from skw2v import SkipGramVectorizer

        est = SkipGramVectorizer(
            n_components=p["dim"], window=p["window"], n_negatives=p["negative"],
            epochs=p["epochs"], min_count=p["min_count"], subsample=p["sample"],
            analyzer=list, n_jobs=cfg["n_jobs"], random_state=cfg.get("seed", 0),
            **cfg.get("extra", {}))
        with TreeMemory() as mem:
            t0, c0 = time.perf_counter(), tree_cpu_seconds()
            est.fit(docs)
            fit_s, cpu_s = time.perf_counter() - t0, tree_cpu_seconds() - c0
        kv = est.wv_
        rec["effective_words"] = int(est.n_pairs_.sum())  # pairs, for reference
        rec["n_pairs"] = int(est.n_pairs_.sum())
        rec["loss_curve"] = est.loss_curve_.tolist()
    else:
        from gensim.models import Word2Vec

        from skw2v.keyedvectors import KeyedVectors

        with TreeMemory() as mem:
            t0, c0 = time.perf_counter(), tree_cpu_seconds()
            m = Word2Vec(docs, vector_size=p["dim"], window=p["window"],
                         negative=p["negative"], epochs=p["epochs"], min_count=p["min_count"],
                         sample=p["sample"], sg=1, workers=cfg["n_jobs"],
                         seed=cfg.get("seed", 0) + 1)
            fit_s, cpu_s = time.perf_counter() - t0, tree_cpu_seconds() - c0
        kv = KeyedVectors.from_gensim(m.wv)
        rec["effective_words"] = int(m.corpus_total_words)
    rec["fit_seconds"] = fit_s
    rec["cpu_seconds"] = cpu_s
    rec["words_per_second"] = n_tokens * p["epochs"] / fit_s
    rec["words_per_cpu_second"] = n_tokens * p["epochs"] / cpu_s
    rec["peak_rss_mb"] = peak_rss_mb()  # VmHWM: ru_maxrss would include a large parent's
    rec.update(mem.record())  # with worker processes
    rec["vocab_size"] = len(kv)
    if cfg.get("evaluate", True):
        from skw2v.evaluation import evaluate_analogies, evaluate_similarity

        data = cfg["data_dir"]
        a = evaluate_analogies(kv, os.path.join(data, "questions-words.txt"),
                               restrict_vocab=30000, case_insensitive=True)
        rec["analogy_30k"] = a.accuracy
        rec["analogy_coverage"] = a.coverage
        rec["ws353"] = evaluate_similarity(kv, os.path.join(data, "ws353.txt")).spearman
        rec["men"] = evaluate_similarity(kv, os.path.join(data, "men3000.txt")).spearman
    if cfg.get("save"):
        kv.save_word2vec_format(cfg["save"], binary=True)
    print("RESULT " + json.dumps(rec))


if __name__ == "__main__":
    main()
