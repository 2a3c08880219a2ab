"""Behaviour of SkipGramVectorizer: input handling, vocabulary, training, pooling, scoring.

Expected values are computed by hand from the documented definitions (token
counts, pair counts, pooling formulas) on small planted corpora, never copied
from the code under test.
"""

import json
import logging
import os
import re
import subprocess
import sys
import warnings
from collections import Counter

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.special import log_softmax
from sklearn.exceptions import NotFittedError
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
from sklearn.utils.validation import check_is_fitted

from skw2v import SkipGramVectorizer, TrainingDiverged

UNKNOWN = "zzunknown"


def fitted_attributes(est):
    return sorted(k for k in vars(est) if k.endswith("_") and not k.startswith("__"))


def tokens_of(doc, est):
    """In-vocabulary tokens of a planted document (its words are whitespace-separated)."""
    return [t for t in doc.split() if t in est.vocabulary_]


# ============================================================== input handling

class CountingIterable:
    """A re-iterable corpus that counts how often it is iterated and how many items it yields."""

    def __init__(self, docs):
        self.docs = list(docs)
        self.iterations = 0
        self.yielded = 0

    def __iter__(self):
        self.iterations += 1
        for doc in self.docs:
            self.yielded += 1
            yield doc


def test_one_shot_generator_read_once_gives_same_model(planted, small_params):
    docs = list(planted[0])
    reads = []

    def gen():
        for i, doc in enumerate(docs):
            reads.append(i)
            yield doc

    from_gen = SkipGramVectorizer(**small_params).fit(gen())
    assert reads == list(range(len(docs)))  # every document read once, in order
    from_list = SkipGramVectorizer(**small_params).fit(docs)
    assert from_gen.index_to_key_ == from_list.index_to_key_
    np.testing.assert_array_equal(from_gen.vectors_, from_list.vectors_)
    np.testing.assert_array_equal(from_gen.output_vectors_, from_list.output_vectors_)

    corpus = CountingIterable(docs)
    SkipGramVectorizer(**small_params).fit(corpus)
    assert corpus.iterations == 1
    assert corpus.yielded == len(docs)


def test_transform_and_score_accept_generators(planted, small_params):
    docs = list(planted[0])
    est = SkipGramVectorizer(**small_params).fit(docs)
    np.testing.assert_array_equal(est.transform(d for d in docs), est.transform(docs))
    assert est.score(d for d in docs[:20]) == est.score(docs[:20])


def test_fit_transform_on_one_shot_generator(planted, small_params):
    docs = list(planted[0])
    expected = SkipGramVectorizer(**small_params).fit_transform(docs)
    got = SkipGramVectorizer(**small_params).fit_transform(d for d in docs)
    assert got.shape == expected.shape
    np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("n_jobs", [None, 2])
def test_filename_and_file_input_match_content(planted, small_params, tmp_path, n_jobs):
    docs = list(planted[0])[:30]
    paths = []
    for i, doc in enumerate(docs):
        path = tmp_path / f"doc{i:03d}.txt"
        path.write_text(doc, encoding="utf-8")
        paths.append(path)
    params = {**small_params, "n_jobs": n_jobs}
    content = SkipGramVectorizer(**params).fit(docs)
    by_name = SkipGramVectorizer(**params, input="filename").fit([str(p) for p in paths])
    by_path = SkipGramVectorizer(**params, input="filename").fit(paths)
    handles = [open(p, encoding="utf-8") for p in paths]
    try:
        by_file = SkipGramVectorizer(**params, input="file").fit(handles)
    finally:
        for h in handles:
            h.close()
    for other in (by_name, by_path, by_file):
        assert other.index_to_key_ == content.index_to_key_
        if n_jobs is None:  # one job: bitwise reproducible
            np.testing.assert_array_equal(other.vectors_, content.vectors_)
    if n_jobs is None:
        np.testing.assert_array_equal(by_name.transform([str(p) for p in paths]),
                                      content.transform(docs))


def test_pretokenised_input_with_analyzer_list(planted, small_params):
    docs = list(planted[0])
    token_lists = [doc.split() for doc in docs]
    from_text = SkipGramVectorizer(**small_params).fit(docs)
    from_tokens = SkipGramVectorizer(**small_params, analyzer=list).fit(token_lists)
    assert from_tokens.index_to_key_ == from_text.index_to_key_
    np.testing.assert_array_equal(from_tokens.vectors_, from_text.vectors_)
    np.testing.assert_array_equal(from_tokens.transform(token_lists), from_text.transform(docs))
    # a callable analyzer sees the raw document: no lowercasing, one-letter tokens kept
    est = SkipGramVectorizer(**small_params, analyzer=list).fit([["A", "b", "A", "b", "x"]])
    assert set(est.index_to_key_) == {"A", "b", "x"}


@pytest.mark.parametrize("param, value", [
    ("tokenizer", str.split),
    ("preprocessor", str.lower),
])
def test_callable_analyzer_warns_about_ignored_params(planted, small_params, param, value):
    docs = [doc.split() for doc in planted[0]]
    est = SkipGramVectorizer(**small_params, analyzer=list, **{param: value})
    with pytest.warns(UserWarning, match=param):
        est.fit(docs)
    assert len(est.index_to_key_) == 24


def test_callable_analyzer_without_extra_params_does_not_warn(planted, small_params):
    docs = [doc.split() for doc in planted[0]]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        SkipGramVectorizer(**small_params, analyzer=list).fit(docs)


@pytest.mark.parametrize("bad, index, type_name", [
    (None, 1, "NoneType"),
    (42, 2, "int"),
    (["t1w1", "t1w2"], 1, "list"),  # a pre-tokenised document without analyzer=list
    (b"t0w1 t0w2", None, None),  # bytes are decoded with `encoding`: not an error
])
@pytest.mark.parametrize("method", ["fit", "transform"])
def test_bad_document_type_raises_type_error_naming_index(planted, small_params, bad, index,
                                                          type_name, method):
    docs = ["t0w1 t0w2 t0w3", "t1w1 t1w2", "t2w1 t2w2"]
    est = SkipGramVectorizer(**small_params)
    if method == "transform":
        est.fit(list(planted[0]))
    if index is None:
        docs[0] = bad
        getattr(est, method)(docs)
        return
    docs[index] = bad
    with pytest.raises(TypeError, match=rf"\b{index}\b") as exc:
        getattr(est, method)(docs)
    assert type_name in str(exc.value)


def test_invalid_utf8_bytes(small_params):
    docs = [b"caf\xe9 latte caf\xe9 mocha", b"plain tea plain tea", b"good old tea"]
    with pytest.raises(ValueError, match="decode_error") as exc:
        SkipGramVectorizer(**small_params).fit(docs)
    assert re.search(r"\b0\b", str(exc.value))  # names the bad document
    replaced = SkipGramVectorizer(**small_params, decode_error="replace").fit(docs)
    assert "caf\ufffd" not in replaced.vocabulary_  # U+FFFD is not a word character
    assert {"caf", "latte", "mocha", "plain", "tea", "good", "old"} == set(replaced.index_to_key_)
    ignored = SkipGramVectorizer(**small_params, decode_error="ignore").fit(docs)
    assert "caf" in ignored.vocabulary_
    latin = SkipGramVectorizer(**small_params, encoding="latin-1").fit(docs)
    assert "café" in latin.vocabulary_


# =================================================================== vocabulary

TIED_DOCS = [
    "pear fig apple fig kiwi",
    "kiwi date pear fig banana",
    "banana pear apple date cherry",
    "cherry kiwi pear apple fig",
]


def test_vocabulary_order_count_desc_then_token(small_params):
    counts = Counter(tok for doc in TIED_DOCS for tok in doc.split())
    expected = sorted(counts, key=lambda w: (-counts[w], w))
    # the corpus has ties, and first-appearance order differs from the expected order
    assert len(set(counts.values())) < len(counts)
    assert list(dict.fromkeys(t for d in TIED_DOCS for t in d.split())) != expected
    est = SkipGramVectorizer(**small_params).fit(TIED_DOCS)
    assert est.index_to_key_ == expected
    assert est.vocabulary_ == {w: i for i, w in enumerate(expected)}
    assert est.word_counts_.dtype == np.int64
    np.testing.assert_array_equal(est.word_counts_, [counts[w] for w in expected])
    assert est.n_tokens_ == sum(counts.values())
    assert est.vectors_.shape == (len(expected), small_params["n_components"])
    assert est.output_vectors_.shape == est.vectors_.shape
    # corpus order does not matter
    reversed_est = SkipGramVectorizer(**small_params).fit(
        [" ".join(reversed(d.split())) for d in reversed(TIED_DOCS)])
    assert reversed_est.index_to_key_ == expected


def test_vocabulary_order_with_trailing_nul_tokens(small_params):
    tokens = ["b\x00", "b", "zz"]
    est = SkipGramVectorizer(**small_params, analyzer=list).fit([tokens])
    assert est.index_to_key_ == sorted(tokens)


HASHSEED_SCRIPT = r"""
import hashlib, json, sys
from skw2v import SkipGramVectorizer
docs = json.loads(sys.stdin.read())
est = SkipGramVectorizer(n_components=8, window=2, min_count=1, subsample=1e-2, epochs=2,
                         random_state=0).fit(docs)
print(json.dumps({
    "keys": est.index_to_key_,
    "vectors": hashlib.sha256(est.vectors_.tobytes()).hexdigest(),
    "output": hashlib.sha256(est.output_vectors_.tobytes()).hexdigest(),
    "X": hashlib.sha256(est.transform(docs).tobytes()).hexdigest(),
}))
"""


def test_vocabulary_and_vectors_independent_of_hash_seed(make_corpus):
    docs, _, _ = make_corpus(n_docs=40, seed=9)
    docs = docs + TIED_DOCS
    payload = json.dumps(docs)
    procs = []
    for seed in ("0", "12345"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        procs.append(subprocess.Popen(
            [sys.executable, "-c", HASHSEED_SCRIPT], stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env))
    results = []
    for proc in procs:
        out, err = proc.communicate(payload, timeout=120)
        assert proc.returncode == 0, err
        results.append(json.loads(out))
    assert results[0] == results[1]
    counts = Counter(t for d in docs for t in d.split())
    assert results[0]["keys"] == sorted(counts, key=lambda w: (-counts[w], w))


def test_min_count_prunes(planted, small_params):
    docs = list(planted[0]) + ["rareone raretwo t0w1", "rareone t1w1"]
    counts = Counter(t for d in docs for t in d.split())
    est = SkipGramVectorizer(**{**small_params, "min_count": 2}).fit(docs)
    assert set(est.index_to_key_) == {w for w, c in counts.items() if c >= 2}
    assert "rareone" in est.vocabulary_ and "raretwo" not in est.vocabulary_
    assert est.n_tokens_ == sum(c for c in counts.values() if c >= 2)
    high = max(counts.values())
    est = SkipGramVectorizer(**{**small_params, "min_count": high}).fit(docs)
    assert est.index_to_key_ == sorted(w for w, c in counts.items() if c == high)


@pytest.mark.parametrize("max_vocab_size", [1, 3, 5])
def test_max_vocab_size_keeps_most_frequent(small_params, max_vocab_size):
    counts = Counter(tok for doc in TIED_DOCS for tok in doc.split())
    expected = sorted(counts, key=lambda w: (-counts[w], w))[:max_vocab_size]
    # with one word kept, documents still hold pairs of that word with itself
    est = SkipGramVectorizer(**small_params, max_vocab_size=max_vocab_size).fit(TIED_DOCS)
    assert est.index_to_key_ == expected
    assert est.vectors_.shape[0] == max_vocab_size
    assert est.n_tokens_ == sum(counts[w] for w in expected)


def test_empty_corpus_raises(small_params):
    with pytest.raises(ValueError, match=r"(?i)empty"):
        SkipGramVectorizer(**small_params).fit([])


@pytest.mark.parametrize("docs", [[""], ["a b c", "  ", "!!"]])
def test_corpus_without_tokens_raises(small_params, docs):
    # the default token pattern drops one-letter words
    with pytest.raises(ValueError, match=r"(?i)empty vocabulary") as exc:
        SkipGramVectorizer(**small_params).fit(docs)
    assert "min_count" in str(exc.value)


def test_all_tokens_below_min_count_raises(small_params):
    est = SkipGramVectorizer(**{**small_params, "min_count": 3})
    with pytest.raises(ValueError, match=r"(?i)empty vocabulary") as exc:
        est.fit(["alpha beta gamma", "alpha delta beta"])
    assert "min_count=3" in str(exc.value)
    assert not fitted_attributes(est)


def test_one_token_documents_raise(small_params):
    est = SkipGramVectorizer(**small_params)
    with pytest.raises(ValueError, match=r"(?i)no training pairs"):
        est.fit(["alpha", "beta", "alpha", "gamma"])
    assert not fitted_attributes(est)
    # in-vocabulary tokens are what count: pruning can leave one-token documents
    with pytest.raises(ValueError, match=r"(?i)no training pairs"):
        SkipGramVectorizer(**{**small_params, "min_count": 2}).fit(
            ["alpha rare1", "alpha rare2", "beta rare3", "beta"])


# ============================================================ reproducibility

@pytest.mark.parametrize("loss", ["negative_sampling", "softmax"])
def test_same_seed_identical_different_seed_differs(planted, small_params, loss):
    docs = list(planted[0])
    params = {**small_params, "loss": loss, "subsample": 1e-2}
    a = SkipGramVectorizer(**params).fit(docs)
    b = SkipGramVectorizer(**params).fit(docs)
    np.testing.assert_array_equal(a.vectors_, b.vectors_)
    np.testing.assert_array_equal(a.output_vectors_, b.output_vectors_)
    np.testing.assert_array_equal(a.loss_curve_, b.loss_curve_)
    np.testing.assert_array_equal(a.n_pairs_, b.n_pairs_)
    c = SkipGramVectorizer(**{**params, "random_state": 1}).fit(docs)
    assert c.index_to_key_ == a.index_to_key_
    assert not np.array_equal(c.vectors_, a.vectors_)
    # a RandomState instance seeds as well
    d = SkipGramVectorizer(**{**params, "random_state": np.random.RandomState(5)}).fit(docs)
    e = SkipGramVectorizer(**{**params, "random_state": np.random.RandomState(5)}).fit(docs)
    np.testing.assert_array_equal(d.vectors_, e.vectors_)


# =================================================================== training

@pytest.mark.parametrize("loss", ["negative_sampling", "softmax"])
def test_loss_curve(planted, small_params, loss):
    est = SkipGramVectorizer(**small_params, loss=loss).fit(list(planted[0]))
    curve = est.loss_curve_
    assert isinstance(curve, np.ndarray)
    assert curve.dtype == np.float64
    assert curve.shape == (small_params["epochs"],)
    assert np.all(np.isfinite(curve)) and np.all(curve > 0)
    assert curve[-1] < curve[0]
    assert est.n_pairs_.dtype == np.int64
    assert est.n_pairs_.shape == (small_params["epochs"],)


@pytest.mark.parametrize("loss", ["negative_sampling", "softmax"])
def test_planted_topics_are_recovered(planted, small_params, separation, loss):
    docs, _, topics = planted
    est = SkipGramVectorizer(**small_params, loss=loss).fit(list(docs))
    assert sorted(est.index_to_key_) == sorted(w for t in topics for w in t)
    assert separation(est.index_to_key_, est.vectors_, topics) == 1.0


def test_planted_topics_with_two_jobs(planted, small_params, separation):
    docs, _, topics = planted
    est = SkipGramVectorizer(**small_params, n_jobs=2).fit(list(docs))
    assert np.all(np.isfinite(est.vectors_)) and np.all(np.isfinite(est.output_vectors_))
    assert separation(est.index_to_key_, est.vectors_, topics) == 1.0
    serial = SkipGramVectorizer(**small_params).fit(list(docs))
    assert est.index_to_key_ == serial.index_to_key_


def expected_pairs_window_1(token_lists):
    """Pairs of a window-1 skip-gram pass that stays inside documents: 2 per adjacent pair."""
    return sum(2 * max(len(toks) - 1, 0) for toks in token_lists)


@pytest.mark.parametrize("n_jobs", [None, 2])
@pytest.mark.parametrize("loss", ["negative_sampling", "softmax"])
def test_windows_never_cross_documents(planted, small_params, n_jobs, loss):
    docs = list(planted[0]) + ["t0w1", "", "t1w1 t1w2"]
    params = {**small_params, "window": 1, "epochs": 2, "n_jobs": n_jobs, "loss": loss}
    est = SkipGramVectorizer(**params).fit(docs)
    n_in_doc = expected_pairs_window_1([d.split() for d in docs])
    n_tokens = sum(len(d.split()) for d in docs)
    crossing = 2 * (n_tokens - 1)  # what one long document would give
    assert n_in_doc < crossing
    np.testing.assert_array_equal(est.n_pairs_, [n_in_doc] * 2)


def test_windows_span_dropped_words(small_params):
    # "rare" is pruned; windows skip over it, so "aa" and "bb" are neighbours
    docs = ["aa rare bb", "bb aa", "aa bb"]
    est = SkipGramVectorizer(**{**small_params, "window": 1, "min_count": 2, "epochs": 1})
    est.fit(docs)
    assert est.index_to_key_ == ["aa", "bb"]
    assert est.n_tokens_ == 6
    np.testing.assert_array_equal(est.n_pairs_, [6])


def test_full_window_pair_count_is_bounded_by_documents(planted, small_params):
    docs = list(planted[0])
    window = 4
    est = SkipGramVectorizer(**{**small_params, "window": window}).fit(docs)
    upper = 0
    for doc in docs:
        n = len(doc.split())
        upper += sum(min(window, i) + min(window, n - 1 - i) for i in range(n))
    lower = expected_pairs_window_1([d.split() for d in docs])
    assert np.all(est.n_pairs_ >= lower)
    assert np.all(est.n_pairs_ <= upper)
    assert np.all(est.n_pairs_ < upper)  # radii are random: never all at the maximum


def test_callbacks_called_every_epoch(planted, small_params):
    seen = []

    def record(estimator, info):
        seen.append((estimator, info.epoch, info.loss, info.loss_curve.copy(),
                     info.learning_rate, info.vectors.shape, info.output_vectors.shape))
        return False

    also = []
    est = SkipGramVectorizer(**{**small_params, "epochs": 4},
                             callbacks=[record, lambda e, i: also.append(i.epoch)])
    est.fit(list(planted[0]))
    assert [s[1] for s in seen] == [0, 1, 2, 3]
    assert also == [0, 1, 2, 3]
    assert all(s[0] is est for s in seen)
    for epoch, (_, _, loss, curve, _, shape_in, shape_out) in enumerate(seen):
        assert loss == est.loss_curve_[epoch]
        np.testing.assert_array_equal(curve, est.loss_curve_[:epoch + 1])
        assert shape_in == shape_out == est.vectors_.shape
    rates = [s[4] for s in seen]
    assert np.all(np.diff(rates) < 0)  # the learning rate decays
    assert rates[-1] == pytest.approx(est.min_learning_rate)


def test_callback_returning_true_stops_early(planted, small_params):
    epochs = []

    def stop_after_two(estimator, info):
        epochs.append(info.epoch)
        return info.epoch == 1

    est = SkipGramVectorizer(**{**small_params, "epochs": 6}, callbacks=stop_after_two)
    est.fit(list(planted[0]))
    assert epochs == [0, 1]
    assert len(est.loss_curve_) == 2
    assert len(est.n_pairs_) == 2
    check_is_fitted(est)
    assert est.transform(list(planted[0])[:3]).shape == (3, small_params["n_components"])


def test_huge_learning_rate_is_bounded_for_built_in_losses(planted, small_params):
    est = SkipGramVectorizer(**small_params, learning_rate=1e6).fit(list(planted[0]))
    assert np.all(np.isfinite(est.vectors_)) and np.all(np.isfinite(est.loss_curve_))


def test_huge_learning_rate_raises_training_diverged(planted, small_params, unbounded_loss):
    est = SkipGramVectorizer(**small_params, learning_rate=1e6, loss=unbounded_loss)
    with pytest.raises(TrainingDiverged, match="learning_rate") as exc:
        est.fit(list(planted[0]))
    assert isinstance(exc.value, FloatingPointError)
    assert re.search(r"(?i)lower", str(exc.value))
    assert not fitted_attributes(est)
    with pytest.raises(NotFittedError):
        check_is_fitted(est)
    with pytest.raises(NotFittedError):
        est.transform(["t0w1 t0w2"])


def test_verbose_logs_through_skw2v_logger(planted, small_params, caplog):
    docs = list(planted[0])
    with caplog.at_level(logging.INFO, logger="skw2v"):
        SkipGramVectorizer(**small_params).fit(docs)
    assert not [r for r in caplog.records if r.name == "skw2v"]
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="skw2v"):
        SkipGramVectorizer(**{**small_params, "epochs": 3}, verbose=1).fit(docs)
    records = [r for r in caplog.records if r.name == "skw2v"]
    epoch_records = [r for r in records if "epoch" in r.getMessage().lower()]
    assert len(epoch_records) == 3
    assert all(r.levelno == logging.INFO for r in records)
    assert any("loss" in r.getMessage() for r in epoch_records)


def test_float64_dtype(planted, small_params):
    docs = list(planted[0])
    est = SkipGramVectorizer(**small_params, dtype=np.float64).fit(docs)
    assert est.vectors_.dtype == np.float64
    assert est.output_vectors_.dtype == np.float64
    assert est.transform(docs).dtype == np.float64
    default = SkipGramVectorizer(**small_params).fit(docs)
    assert default.vectors_.dtype == np.float32
    for pooling in ("mean", "sum", "max", "tfidf", "sif"):
        assert default.set_params(pooling=pooling).transform(docs).dtype == np.float32
        assert est.set_params(pooling=pooling).transform(docs).dtype == np.float64


def test_wv_most_similar(planted, small_params):
    docs, _, topics = planted
    est = SkipGramVectorizer(**small_params).fit(list(docs))
    wv = est.wv_
    assert len(wv) == len(est.index_to_key_)
    np.testing.assert_array_equal(wv["t0w0"], est.vectors_[est.vocabulary_["t0w0"]])
    for t, words in enumerate(topics):
        neighbours = wv.most_similar(words[0], topn=len(words) - 1)
        assert sorted(w for w, _ in neighbours) == sorted(words[1:]), t


# =================================================================== transform

def test_transform_shapes(planted, small_params):
    docs = list(planted[0])
    est = SkipGramVectorizer(**small_params).fit(docs)
    X = est.transform(docs[:7])
    assert isinstance(X, np.ndarray)
    assert X.shape == (7, small_params["n_components"])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        empty = est.transform([])
    assert empty.shape == (0, small_params["n_components"])


@pytest.mark.parametrize("pooling", ["mean", "sum", "max", "tfidf", "sif"])
def test_unknown_words_give_zero_row_and_one_warning(planted, small_params, pooling):
    est = SkipGramVectorizer(**small_params, pooling=pooling).fit(list(planted[0]))
    docs = [f"{UNKNOWN} otherunknown", "t0w1 t0w2", "", "t1w1"]
    with pytest.warns(UserWarning) as record:
        X = est.transform(docs)
    assert len(record) == 1
    assert re.search(r"\b2 of 4\b", str(record[0].message))
    np.testing.assert_array_equal(X[0], 0)
    np.testing.assert_array_equal(X[2], 0)
    assert np.all(np.any(X[[1, 3]] != 0, axis=1))


def hand_pool(est, doc, pooling):
    """Pool one document from the fitted attributes, following the documented formulas."""
    W = est.vectors_.astype(np.float64)
    ids = [est.vocabulary_[t] for t in tokens_of(doc, est)]
    rows = W[ids]
    if pooling == "mean":
        return rows.mean(axis=0)
    if pooling == "sum":
        return rows.sum(axis=0)
    if pooling == "max":
        return rows.max(axis=0)
    if pooling == "tfidf":
        w = est.idf_[ids]
        return (w[:, None] * rows).sum(axis=0) / w.sum()
    assert pooling == "sif"
    p = est.word_counts_ / est.word_counts_.sum()
    a = est.sif_alpha
    w = a / (a + p[ids])
    v = (w[:, None] * rows).sum(axis=0) / len(ids)
    u = est.sif_component_.astype(np.float64)
    return v - (v @ u) * u


POOL_DOCS = [
    "t0w1 t0w1 t0w2 zzunknown t0w1",  # repeats and an unknown word
    "t1w3 t2w4 t1w3 t1w3",
    "t2w0",
    "t0w5 t1w5 t2w5 t0w5 t1w5 t0w5 t2w6",
]


@pytest.mark.parametrize("pooling", ["mean", "sum", "max", "tfidf", "sif"])
def test_pooling_matches_hand_computation(planted, small_params, pooling):
    docs = list(planted[0])
    est = SkipGramVectorizer(**small_params, pooling=pooling, sif_alpha=0.05,
                             dtype=np.float64).fit(docs)
    X = est.transform(POOL_DOCS)
    expected = np.array([hand_pool(est, d, pooling) for d in POOL_DOCS])
    np.testing.assert_allclose(X, expected, rtol=1e-10, atol=1e-12)
    # the poolings really differ from one another on these documents
    if pooling != "mean":
        mean = np.array([hand_pool(est, d, "mean") for d in POOL_DOCS])
        assert not np.allclose(X, mean)


def test_mean_pooling_float32(planted, small_params):
    docs = list(planted[0])
    est = SkipGramVectorizer(**small_params).fit(docs)
    expected = np.array([hand_pool(est, d, "mean") for d in POOL_DOCS])
    np.testing.assert_allclose(est.transform(POOL_DOCS), expected, rtol=1e-6, atol=1e-7)


def test_idf_is_smoothed_idf_of_training_corpus(planted, small_params):
    docs = list(planted[0]) + ["t0w1 t1w1 onlyhere"]
    est = SkipGramVectorizer(**small_params).fit(docs)
    reference = TfidfVectorizer(vocabulary=est.index_to_key_, smooth_idf=True).fit(docs)
    assert est.idf_.dtype == np.float64
    np.testing.assert_allclose(est.idf_, reference.idf_, rtol=1e-12)
    n = len(docs)
    assert est.idf_[est.vocabulary_["onlyhere"]] == pytest.approx(np.log((1 + n) / 2) + 1)


def test_sif_component_is_first_principal_direction(planted, small_params):
    docs = list(planted[0])
    est = SkipGramVectorizer(**small_params, sif_alpha=0.05, dtype=np.float64).fit(docs)
    p = est.word_counts_ / est.word_counts_.sum()
    weights = 0.05 / (0.05 + p)
    emb = []
    for doc in docs:
        ids = [est.vocabulary_[t] for t in doc.split()]
        emb.append((weights[ids, None] * est.vectors_[ids]).sum(axis=0) / len(ids))
    _, _, vt = np.linalg.svd(np.array(emb), full_matrices=False)
    u = est.sif_component_
    assert u.shape == (small_params["n_components"],)
    assert np.linalg.norm(u) == pytest.approx(1.0, rel=1e-12)
    assert abs(u @ vt[0]) == pytest.approx(1.0, rel=1e-10)
    # SIF output is orthogonal to the removed direction
    X = est.set_params(pooling="sif").transform(docs)
    np.testing.assert_allclose(X @ u, 0, atol=1e-12)


@pytest.mark.parametrize("pooling", ["mean", "sum", "max", "tfidf", "sif"])
def test_l2_norm_gives_unit_rows(planted, small_params, pooling):
    docs = list(planted[0])
    est = SkipGramVectorizer(**small_params, pooling=pooling, norm="l2").fit(docs)
    with pytest.warns(UserWarning):
        X = est.transform(docs[:10] + [UNKNOWN])
    np.testing.assert_allclose(np.linalg.norm(X[:10], axis=1), 1.0, rtol=1e-6)
    np.testing.assert_array_equal(X[10], 0)
    raw = est.set_params(norm=None).transform(docs[:10])
    np.testing.assert_allclose(X[:10], raw / np.linalg.norm(raw, axis=1, keepdims=True),
                               rtol=1e-6, atol=1e-7)


# ======================================================================= score

def shuffled_words(docs, seed):
    """The same tokens and document lengths, with words shuffled across all documents."""
    toks = [d.split() for d in docs]
    flat = np.array([t for d in toks for t in d])
    np.random.default_rng(seed).shuffle(flat)
    out, i = [], 0
    for d in toks:
        out.append(" ".join(flat[i:i + len(d)]))
        i += len(d)
    return out


@pytest.mark.parametrize("loss", ["negative_sampling", "softmax"])
def test_score_deterministic_and_prefers_real_text(planted, make_corpus, small_params, loss):
    est = SkipGramVectorizer(**small_params, loss=loss).fit(list(planted[0]))
    held_out, _, _ = make_corpus(n_docs=30, seed=11)
    scrambled = shuffled_words(held_out, seed=0)
    s1 = est.score(held_out)
    s2 = est.score(held_out)
    assert isinstance(s1, float)
    assert s1 == s2
    assert np.isfinite(s1) and s1 < 0
    assert s1 > est.score(scrambled)
    assert est.score(held_out, y=None) == s1


def test_softmax_score_is_mean_log_likelihood(planted, make_corpus, small_params):
    window = 2
    est = SkipGramVectorizer(**{**small_params, "window": window}, loss="softmax",
                             dtype=np.float64).fit(list(planted[0]))
    held_out, _, _ = make_corpus(n_docs=12, seed=12)
    held_out = held_out + [f"t0w1 {UNKNOWN} t0w2", "t1w1"]
    log_p = log_softmax(est.vectors_ @ est.output_vectors_.T, axis=1)  # log p(. | word)
    terms = []
    for doc in held_out:
        ids = [est.vocabulary_[t] for t in tokens_of(doc, est)]
        for i in range(len(ids)):
            for j in range(max(0, i - window), min(len(ids), i + window + 1)):
                if j != i:
                    terms.append(log_p[ids[j], ids[i]])
    assert est.score(held_out) == pytest.approx(np.mean(terms), rel=1e-10)


def test_score_without_pairs_raises(planted, small_params):
    est = SkipGramVectorizer(**small_params).fit(list(planted[0]))
    with pytest.raises(ValueError, match=r"(?i)pairs"):
        est.score(["t0w1", f"{UNKNOWN} t1w1 otherunknown", ""])


# ================================================================== property

WORDS = ["apple", "banana", "ÉCOLE", "naïve", "日本語", "x", "ok"]
documents = st.lists(
    st.one_of(
        st.text(max_size=40),
        st.lists(st.one_of(st.sampled_from(WORDS), st.text(min_size=1, max_size=6)),
                 max_size=8).map(" ".join),
    ),
    max_size=6,
)


@settings(max_examples=30, deadline=None)
@given(docs=documents)
def test_random_unicode_documents(docs):
    analyzer = CountVectorizer().build_analyzer()  # the documented default analysis
    tokens = [analyzer(d) for d in docs]
    trainable = any(len(t) >= 2 for t in tokens)
    est = SkipGramVectorizer(n_components=4, min_count=1, subsample=0.0, epochs=1,
                             random_state=0)
    if not trainable:
        with pytest.raises(ValueError,
                           match=r"(?i)corpus is empty|empty vocabulary|no training pairs"):
            est.fit(docs)
        return
    est.fit(docs)
    assert set(est.index_to_key_) == {t for toks in tokens for t in toks}
    assert np.all(np.isfinite(est.vectors_))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # documents without tokens
        X = est.transform(docs)
    assert X.shape == (len(docs), 4)
    assert np.all(np.isfinite(X))
    for row, toks in zip(X, tokens, strict=True):
        assert np.any(row != 0) or not toks


def test_huge_document_is_used_whole(small_params):
    """A 300,000-token document is neither truncated nor split: every pair counts."""
    rng = np.random.default_rng(0)
    words = [f"w{i}" for i in range(50)]
    doc = " ".join(rng.choice(words, size=300_000))
    est = SkipGramVectorizer(**{**small_params, "window": 1, "epochs": 1}).fit([doc])
    assert est.n_tokens_ == 300_000
    # window=1: every adjacent pair, in both directions
    assert est.n_pairs_[0] == 2 * (300_000 - 1)
