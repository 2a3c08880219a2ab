"""Train one system on a corpus file in this process, evaluate it, print a JSON record.

Used by ``bench_subwords.py`` and by ``bench_ab.py`` (for the fastText and
word2vec C anchors), which start one fresh process per run so that peak RSS
and CPU time belong to that run. The argument is a JSON config::

    {"system": "skw2v" | "fasttext" | "w2vc",
     "corpus_file": "...", "n_tokens": 4000000,
     "params": {"dim", "window", "negative", "epochs", "min_count", "sample"},
     "subwords": null | {"minn": 3, "maxn": 6, "buckets": 2000000},
     "n_jobs": 1, "seed": 0, "skw2v_input": "file" | "list", "lr": null,
     "w2vc": "/path/to/word2vec", "data_dir": "...",
     "evaluate": true, "downstream": ["sst2", "trec"], "heldout": ["word", ...]}

The training time, CPU time and peak RSS are read right after training,
before anything for the evaluation is imported. Every system is then
evaluated by the same code (``evaluate``): a ``KeyedVectors`` of its
vocabulary in frequency order (a subword model's composed vectors) for the
analogies and the in-vocabulary similarity scores, and a ``lookup`` function
that gives a vector for any string the system can represent (every string
for a subword model, vocabulary words otherwise) for the unseen-word pairs
and the pooled downstream features.
"""

from __future__ import annotations

import json
import os
import re
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from _anchors import (  # noqa: E402
    EOS,
    TreeMemory,
    fasttext_vocabulary,
    peak_rss_mb,
    train_fasttext,
    train_w2vc,
    tree_cpu_seconds,
    vm_rss_mb,
)
from zoo import label_lines  # noqa: E402

TOKEN = re.compile(r"[a-z]+")  # text8like keeps only a-z; downstream texts are cut the same way


# --------------------------------------------------------------------------
# Training
# --------------------------------------------------------------------------
def train_skw2v(cfg):
    from skw2v import SkipGramVectorizer

    p = cfg["params"]
    kw = dict(n_components=p["dim"], window=p["window"], n_negatives=p["negative"],
              epochs=p["epochs"], min_count=p["min_count"], subsample=p["sample"],
              n_jobs=cfg["n_jobs"], random_state=cfg.get("seed", 0))
    sw = cfg.get("subwords")
    if sw:
        kw.update(char_ngram_range=(sw["minn"], sw["maxn"]), n_buckets=sw["buckets"])
    if cfg.get("lr") is not None:
        kw["learning_rate"] = cfg["lr"]
    kw.update(cfg.get("extra", {}))
    if cfg.get("skw2v_input", "file") == "list":
        with open(cfg["corpus_file"], encoding="utf-8") as fh:
            docs = [line.split() for line in fh]
        est = SkipGramVectorizer(analyzer=list, **kw)
    else:
        # whitespace tokens, as fastText and word2vec C read the file
        docs = [cfg["corpus_file"]]
        est = SkipGramVectorizer(input="filename", token_pattern=r"\S+", lowercase=False, **kw)
    before = vm_rss_mb()
    with TreeMemory() as mem:
        t0, c0 = time.perf_counter(), tree_cpu_seconds()
        est.fit(docs)
        wall, cpu = time.perf_counter() - t0, tree_cpu_seconds() - c0
    timing = dict(fit_seconds=wall, cpu_seconds=cpu, peak_rss_mb=peak_rss_mb(),
                  rss_before_mb=before, **mem.record(), n_pairs=int(est.n_pairs_.sum()),
                  learning_rate=float(est.learning_rate_),
                  settings={k: (list(v) if isinstance(v, tuple) else v) for k, v in kw.items()})
    del docs
    return est, timing


def _ngram_composer(est):
    """Vectors of unseen words from the fitted n-gram rows, by fastText's rule.

    A fallback for a checkout whose ``wv_`` does not yet answer unseen words:
    the mean of the word's n-gram rows (``vectors_ngrams_``), counting an
    n-gram as often as it occurs, with the package's own hashing. None if the
    estimator has no n-gram rows.
    """
    import numpy as np

    rows = getattr(est, "vectors_ngrams_", None)
    if rows is None:
        return None
    from skw2v._core.subwords import SubwordSpec

    bow, eow = getattr(est, "word_boundaries", ("<", ">"))
    spec = SubwordSpec(est.char_ngram_range[0], est.char_ngram_range[1], est.n_buckets, bow, eow)

    def compose(words):
        counts = spec.ngram_buckets(words)
        n = np.asarray(counts.sum(axis=1)).ravel()
        out = np.asarray(counts @ rows, dtype=np.float32)
        ok = n > 0
        out[ok] /= n[ok, None]
        return out, ok

    return compose


def skw2v_vectors(est, subwords):
    import numpy as np

    from skw2v.keyedvectors import KeyedVectors

    wv = est.wv_
    words = list(wv.index_to_key)
    if subwords:
        vectors = np.asarray(wv[words], dtype=np.float32)  # composed, as the model answers
    else:
        vectors = np.asarray(wv.vectors, dtype=np.float32)
    kv = KeyedVectors(words, vectors)
    vocab = set(words)
    how = {"unseen_vectors": "wv_[word]" if subwords else None}
    fallback = _ngram_composer(est) if subwords else None

    def lookup(query):
        out = np.zeros((len(query), kv.vector_size), dtype=np.float32)
        found = np.zeros(len(query), dtype=bool)
        missing = []
        for i, w in enumerate(query):
            if w in vocab:
                out[i], found[i] = kv[w], True
            elif subwords:
                try:
                    out[i], found[i] = wv[w], True
                except KeyError:
                    missing.append(i)
        if missing and fallback is not None:
            how["unseen_vectors"] = "vectors_ngrams_ (wv_ raised KeyError)"
            vec, ok = fallback([query[i] for i in missing])
            idx = np.asarray(missing)
            out[idx[ok]], found[idx[ok]] = vec[ok], True
        return out, found

    lookup.info = how
    return kv, lookup


def fasttext_vectors(model, subwords):
    import numpy as np

    from skw2v.keyedvectors import KeyedVectors

    words = fasttext_vocabulary(model)
    vectors = np.array([model.get_word_vector(w) for w in words], dtype=np.float32)
    kv = KeyedVectors(words, vectors)
    vocab = set(words)

    def lookup(query):
        out = np.zeros((len(query), kv.vector_size), dtype=np.float32)
        found = np.zeros(len(query), dtype=bool)
        for i, w in enumerate(query):
            if w in vocab:
                out[i], found[i] = kv[w], True
            elif subwords and w:
                out[i], found[i] = model.get_word_vector(w), True
        return out, found

    return kv, lookup


def w2vc_vectors(path):
    import numpy as np

    from skw2v.keyedvectors import KeyedVectors

    loaded = KeyedVectors.load_word2vec_format(path, binary=True)
    keep = [i for i, w in enumerate(loaded.index_to_key) if w != EOS]
    kv = KeyedVectors([loaded.index_to_key[i] for i in keep], loaded.vectors[keep])
    vocab = set(kv.index_to_key)

    def lookup(query):
        out = np.zeros((len(query), kv.vector_size), dtype=np.float32)
        found = np.array([w in vocab for w in query], dtype=bool)
        for i in np.flatnonzero(found):
            out[i] = kv[query[i]]
        return out, found

    return kv, lookup


# --------------------------------------------------------------------------
# Evaluation (the same for every system)
# --------------------------------------------------------------------------
def spearman_of(pairs, lookup):
    """Spearman rho of cosine against score over the pairs whose two words get vectors."""
    import numpy as np
    from scipy import stats

    if not pairs:
        return dict(spearman=None, n_pairs=0, n_used=0, coverage=None)
    a, fa = lookup([p[0] for p in pairs])
    b, fb = lookup([p[1] for p in pairs])
    ok = fa & fb
    n_used = int(ok.sum())
    rho = None
    if n_used >= 3:
        na = np.linalg.norm(a[ok], axis=1)
        nb = np.linalg.norm(b[ok], axis=1)
        cos = (a[ok] * b[ok]).sum(1) / np.maximum(na * nb, 1e-12)
        rho = float(stats.spearmanr(np.asarray([p[2] for p in pairs])[ok], cos)[0])
    return dict(spearman=rho, n_pairs=len(pairs), n_used=n_used, coverage=n_used / len(pairs))


def read_pairs(path):
    from skw2v.evaluation import read_similarity

    return [(a.lower(), b.lower(), s) for a, b, s in read_similarity(path)]


def read_labelled(path):
    """Lines ``label text``, the text cut into text8like's tokens."""
    texts, labels = label_lines(path)
    return [TOKEN.findall(text.lower()) for text in texts], labels


DOWNSTREAM = {
    "sst2": ("sst/stsa.binary.train.txt", "sst/stsa.binary.test.txt"),
    "trec": ("cls/TREC.train.all.txt", "cls/TREC.test.all.txt"),
}


def downstream_accuracy(task, data_dir, lookup):
    """Test accuracy of a scaled logistic regression on mean-pooled vectors.

    The pooling is SkipGramVectorizer's ``pooling="mean"``: the mean of the
    vectors of a text's tokens that the system can represent, a zero row if
    none. Tokens are the a-z runs of the lower-cased text (the alphabet of
    text8like).
    """
    import numpy as np
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    train_path, test_path = (os.path.join(data_dir, p) for p in DOWNSTREAM[task])
    (x_train, y_train), (x_test, y_test) = read_labelled(train_path), read_labelled(test_path)
    words = sorted({w for doc in x_train + x_test for w in doc})
    index = {w: i for i, w in enumerate(words)}
    vecs, found = lookup(words)

    def pool(docs):
        out = np.zeros((len(docs), vecs.shape[1]), dtype=np.float64)
        hit = total = 0
        for r, doc in enumerate(docs):
            ids = [index[w] for w in doc if found[index[w]]]
            total += len(doc)
            hit += len(ids)
            if ids:
                out[r] = vecs[ids].mean(0)
        return out, hit / max(total, 1)

    (f_train, _), (f_test, cov) = pool(x_train), pool(x_test)
    clf = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
    clf.fit(f_train, y_train)
    return dict(accuracy=float(clf.score(f_test, y_test)), token_coverage=cov,
                n_train=len(y_train), n_test=len(y_test))


def evaluate(kv, lookup, cfg):
    from skw2v.evaluation import evaluate_analogies, evaluate_similarity

    data = cfg["data_dir"]
    rec = {}
    a = evaluate_analogies(kv, os.path.join(data, "questions-words.txt"),
                           restrict_vocab=30000, case_insensitive=True)
    sem = [s for s in a.sections[:-1] if not s.name.startswith("gram")]
    syn = [s for s in a.sections[:-1] if s.name.startswith("gram")]
    for name, secs in (("semantic", sem), ("syntactic", syn)):
        n_ok, n_att = sum(s.n_correct for s in secs), sum(s.n_attempted for s in secs)
        rec[f"analogy_{name}"] = n_ok / n_att if n_att else None
        rec[f"analogy_{name}_coverage"] = n_att / max(sum(s.n_total for s in secs), 1)
    rec["analogy_30k"] = a.accuracy
    rec["analogy_coverage"] = a.coverage
    rec["analogy_sections"] = {s.name: [s.n_correct, s.n_attempted, s.n_total]
                               for s in a.sections}
    heldout = set(cfg.get("heldout") or ())
    for name, fname in (("ws353", "ws353.txt"), ("men", "men3000.txt")):
        path = os.path.join(data, fname)
        sim = evaluate_similarity(kv, path)
        rec[name] = sim.spearman
        rec[f"{name}_coverage"] = sim.coverage
        pairs = read_pairs(path)
        # every pair, with composed vectors where the system has them
        rec[f"{name}_any"] = spearman_of(pairs, lookup)
        if heldout:
            rec[f"{name}_heldout"] = spearman_of(
                [p for p in pairs if p[0] in heldout or p[1] in heldout], lookup)
    if heldout:
        # both sets together, scores scaled to [0, 1] (WS353 0-10, MEN 0-50)
        both = ([(x, y, s / 10) for x, y, s in read_pairs(os.path.join(data, "ws353.txt"))]
                + [(x, y, s / 50) for x, y, s in read_pairs(os.path.join(data, "men3000.txt"))])
        rec["both_heldout"] = spearman_of(
            [p for p in both if p[0] in heldout or p[1] in heldout], lookup)
    for task in cfg.get("downstream") or ():
        rec[task] = downstream_accuracy(task, data, lookup)
    return rec


# --------------------------------------------------------------------------
def main():
    cfg = json.loads(sys.argv[1])
    system, p = cfg["system"], cfg["params"]
    sw = cfg.get("subwords")
    rec = {"system": system, "n_jobs": cfg["n_jobs"], "n_tokens": cfg["n_tokens"],
           "subwords": sw, "seed": cfg.get("seed", 0)}
    tmp = tempfile.mkdtemp(prefix="skw2v-run-")
    if system == "skw2v":
        model, timing = train_skw2v(cfg)
    elif system == "fasttext":
        model, timing = train_fasttext(cfg["corpus_file"], p, cfg["n_jobs"],
                                       minn=sw["minn"] if sw else 0, maxn=sw["maxn"] if sw else 0,
                                       buckets=sw["buckets"] if sw else 0, lr=cfg.get("lr"))
    elif system == "w2vc":
        model = os.path.join(tmp, "vectors.bin")
        timing = train_w2vc(cfg["w2vc"], cfg["corpus_file"], model, p, cfg["n_jobs"],
                            alpha=cfg.get("lr"))
    else:
        raise ValueError(f"unknown system {system!r}")
    rec.update(timing)
    raw = cfg["n_tokens"] * p["epochs"]
    rec["words_per_second"] = raw / rec["fit_seconds"]
    rec["words_per_cpu_second"] = raw / rec["cpu_seconds"]
    if cfg.get("evaluate", True) or system == "w2vc":
        if system == "skw2v":
            kv, lookup = skw2v_vectors(model, bool(sw))
        elif system == "fasttext":
            kv, lookup = fasttext_vectors(model, bool(sw))
        else:
            kv, lookup = w2vc_vectors(model)
        rec["vocab_size"] = len(kv)
    if cfg.get("evaluate", True):
        rec.update(evaluate(kv, lookup, cfg))
        if getattr(lookup, "info", None):
            rec.update(lookup.info)
    if system == "w2vc":
        os.remove(model)
    os.rmdir(tmp)
    print("RESULT " + json.dumps(rec))


if __name__ == "__main__":
    main()
