"""CountVectorizer's vocabulary options: ``stop_words``, ``min_df``, ``max_df``, ``max_features``.

Stop words are removed when documents are tokenised, so they never reach the
encoded corpus (windows close up over them) and ``transform`` and ``score``
drop them too. Document-frequency pruning keeps exactly the words
``CountVectorizer`` keeps, its document frequencies counted in the single pass
that counts the words, also when files are streamed in pieces that span
chunks. ``max_features`` is ``max_vocab_size`` here: setting it says so.
"""

import re
import warnings

import numpy as np
import pytest
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, CountVectorizer

from skw2v import SkipGramVectorizer
from skw2v._core.vocab import doc_count_range, needs_doc_freq, order_vocabulary
from skw2v._data import text
from skw2v._data.encode import count_and_encode

PARAMS = dict(n_components=8, window=3, min_count=1, subsample=0.0, epochs=2,
              batch_size=64, random_state=0)

DOCS = [
    "the cat sat on the mat and the dog sat on the log",
    "a dog and a cat are friends of the house",
    "the mat is red and the log is brown",
    "friends sit on a red mat in the house",
    "cat and dog and cat again",
] * 4


def without(docs, words):
    """The documents with ``words`` deleted from the text."""
    return [" ".join(t for t in d.split() if t not in words) for d in docs]


def assert_same_fit(a, b):
    assert a.index_to_key_ == b.index_to_key_
    np.testing.assert_array_equal(a.word_counts_, b.word_counts_)
    np.testing.assert_array_equal(a.vectors_, b.vectors_)
    np.testing.assert_array_equal(a.output_vectors_, b.output_vectors_)
    np.testing.assert_array_equal(a.loss_curve_, b.loss_curve_)


# ------------------------------------------------------------------ stop words
def test_stop_words_are_removed_before_windowing():
    """A fit with a stop list is the fit of the text without those words, bit for bit."""
    stop = ["the", "and", "on", "a"]
    est = SkipGramVectorizer(**PARAMS, stop_words=stop).fit(DOCS)
    ref = SkipGramVectorizer(**PARAMS).fit(without(DOCS, stop))
    assert_same_fit(est, ref)
    assert not set(stop) & set(est.vocabulary_)
    np.testing.assert_array_equal(est.transform(DOCS), ref.transform(without(DOCS, stop)))
    assert est.score(DOCS) == ref.score(without(DOCS, stop))


def test_english_stop_words_match_countvectorizer():
    est = SkipGramVectorizer(**PARAMS, stop_words="english").fit(DOCS)
    cv = CountVectorizer(stop_words="english").fit(DOCS)
    assert set(est.vocabulary_) == set(cv.vocabulary_)
    assert not set(est.vocabulary_) & ENGLISH_STOP_WORDS


def test_transform_and_score_honour_stop_words_set_after_fit():
    """Stop words are removed in transform and score too, not only missing from the vocabulary."""
    est = SkipGramVectorizer(**PARAMS).fit(DOCS)
    assert "cat" in est.vocabulary_
    plain = est.transform(without(DOCS, {"cat"}))
    score = est.score(without(DOCS, {"cat"}))
    est.set_params(stop_words=["cat"])
    np.testing.assert_array_equal(est.transform(DOCS), plain)
    assert est.score(DOCS) == score


def test_stop_words_with_tokenizer_and_streamed_files(tmp_path, monkeypatch):
    monkeypatch.setattr(text, "PIECE_BYTES", 11)  # files cut into many pieces
    paths = []
    for i, d in enumerate(DOCS[:5]):
        paths.append(tmp_path / f"{i}.txt")
        paths[-1].write_text(d)
    stop = ["the", "and"]
    ref = SkipGramVectorizer(**PARAMS).fit(without(DOCS[:5], stop))
    assert_same_fit(SkipGramVectorizer(**PARAMS, stop_words=stop, input="filename").fit(paths),
                    ref)
    split = dict(PARAMS, tokenizer=str.split, token_pattern=None)
    assert_same_fit(SkipGramVectorizer(**split, stop_words=stop).fit(DOCS[:5]),
                    SkipGramVectorizer(**split).fit(without(DOCS[:5], stop)))


def test_stop_words_parallel_encoding_equals_serial():
    params = dict(PARAMS, stop_words="english", min_df=2, max_df=0.9, n_shards=1)
    serial = SkipGramVectorizer(**params).fit(DOCS)
    parallel = SkipGramVectorizer(**params, n_jobs=2).fit(DOCS)
    assert_same_fit(parallel, serial)


def test_stop_words_with_callable_analyzer_are_ignored_with_a_warning():
    tokens = [d.split() for d in DOCS]
    with pytest.warns(UserWarning, match=r"\['stop_words'\] will not be used"):
        est = SkipGramVectorizer(**PARAMS, analyzer=list, stop_words=["the"]).fit(tokens)
    assert "the" in est.vocabulary_


def test_inconsistent_stop_words_warn_at_the_callers_line():
    with pytest.warns(UserWarning, match=r"inconsistent.*\['don'\]") as record:
        SkipGramVectorizer(**PARAMS, stop_words=["don't", "the"]).fit(DOCS)
    assert record[0].filename == __file__
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        SkipGramVectorizer(**PARAMS, stop_words="english").fit(DOCS)  # consistent: silent


# -------------------------------------------------------------- min_df, max_df
@pytest.mark.parametrize("min_df, max_df", [
    (2, 1.0), (6, 1.0), (0.3, 1.0), (0.0, 1.0), (1, 0.5), (1, 8), (2, 0.9), (0.25, 12),
    (0.5, 1.0),
])
def test_document_frequency_pruning_matches_countvectorizer(min_df, max_df):
    docs = DOCS[:5] * 2 + ["dog"] * 3  # uneven frequencies
    est = SkipGramVectorizer(**PARAMS, min_df=min_df, max_df=max_df).fit(docs)
    cv = CountVectorizer(min_df=min_df, max_df=max_df).fit(docs)
    assert set(est.vocabulary_) == set(cv.vocabulary_)


def test_document_frequency_pruning_with_min_count_and_max_vocab_size():
    docs = DOCS[:5] * 2
    est = SkipGramVectorizer(**{**PARAMS, "min_count": 5}, max_df=0.5,
                             max_vocab_size=3).fit(docs)
    cv = CountVectorizer(max_df=0.5).fit(docs)
    counts = np.asarray(cv.transform(docs).sum(axis=0)).ravel()
    kept = sorted((w for w, j in cv.vocabulary_.items() if counts[j] >= 5),
                  key=lambda w: (-counts[cv.vocabulary_[w]], w))[:3]
    assert est.index_to_key_ == kept


def test_pruned_words_are_removed_before_windowing():
    docs = DOCS[:5] * 2
    est = SkipGramVectorizer(**PARAMS, max_df=0.5).fit(docs)
    dropped = set(CountVectorizer().fit(docs).vocabulary_) - set(est.vocabulary_)
    assert dropped
    assert_same_fit(est, SkipGramVectorizer(**PARAMS).fit(without(docs, dropped)))


def test_document_frequency_of_streamed_files_spanning_chunks(tmp_path, monkeypatch):
    """Files cut into pieces over several chunks count once per document."""
    monkeypatch.setattr(text, "PIECE_BYTES", 7)
    rng = np.random.default_rng(3)
    words = [f"w{i}" for i in range(40)]
    docs = [" ".join(rng.choice(words[:int(rng.integers(2, 41))],
                                size=int(rng.integers(1, 2500)))) for _ in range(12)]
    paths = []
    for i, d in enumerate(docs):
        paths.append(tmp_path / f"{i}.txt")
        paths[-1].write_text(d)
    for min_df, max_df in [(3, 1.0), (1, 0.6), (0.5, 0.95)]:
        est = SkipGramVectorizer(**PARAMS, input="filename", min_df=min_df,
                                 max_df=max_df).fit(paths)
        cv = CountVectorizer(min_df=min_df, max_df=max_df).fit(docs)
        assert set(est.vocabulary_) == set(cv.vocabulary_), (min_df, max_df)
        assert_same_fit(est, SkipGramVectorizer(**PARAMS, min_df=min_df,
                                                max_df=max_df).fit(docs))


def test_count_and_encode_document_frequencies_over_random_chunks():
    """Documents cut into pieces, pieces grouped into chunks at random: each counts once."""
    rng = np.random.default_rng(0)
    for _ in range(200):
        docs = [list(rng.choice(list("abcdefgh"), size=int(rng.integers(0, 12))))
                for _ in range(int(rng.integers(1, 8)))]
        items = []
        for i, d in enumerate(docs):
            cuts = sorted(rng.choice(len(d) + 1, size=int(rng.integers(0, 3))).tolist())
            bounds = [0, *cuts, len(d)]
            items += [(i, " ".join(d[a:b])) for a, b in zip(bounds[:-1], bounds[1:], strict=True)]
        chunks, k = [], 0
        while k < len(items):
            part = items[k:k + int(rng.integers(1, 4))]
            k += len(part)
            chunks.append(([i for i, _ in part], [t for _, t in part]))
        tokens, _, _, offsets, df = count_and_encode(
            iter(chunks), str.split, input_kind="content", callable_analyzer=True,
            doc_freq=True)
        assert offsets.size - 1 == len(docs)
        expected = {t: sum(t in d for d in docs) for t in tokens}
        assert dict(zip(tokens, df.tolist(), strict=True)) == expected


def test_count_and_encode_keeps_nothing_of_a_chunk_that_a_backend_still_holds(monkeypatch):
    """Issue 14, item 3: joblib's Dask backend keeps each chunk's result alive (in a
    reference cycle) after the client merged it; that result must not keep the chunk's
    token ids or token strings alive, or the client grows with the corpus."""
    import weakref

    from skw2v._data import encode

    held, ids_refs = [], []
    inner = encode._chunk_task

    def holding_task(*args, **kwargs):
        out = inner(*args, **kwargs)
        held.append(out)  # as the backend's future does
        ids_refs.append(weakref.ref(out[1]))
        return out

    monkeypatch.setattr(encode, "_chunk_task", holding_task)
    docs = [" ".join(f"w{(7 * i + j) % 50}" for j in range(200)) for i in range(30)]
    chunks = [(list(range(k, k + 10)), docs[k:k + 10]) for k in range(0, 30, 10)]
    tokens, counts, ids, offsets, _ = count_and_encode(
        iter(chunks), str.split, input_kind="content", callable_analyzer=True, doc_freq=True)
    assert counts.sum() == ids.size == 30 * 200 and offsets[-1] == ids.size
    assert len(held) == 3
    assert all(r() is None for r in ids_refs), "a held chunk result keeps its ids alive"
    assert all(len(part) == 0 for part in held), "a held chunk result still holds its tokens"


def test_document_frequencies_are_counted_only_when_they_can_prune():
    assert not needs_doc_freq(1, 1.0)
    assert not needs_doc_freq(0.0, 1.0)
    assert needs_doc_freq(2, 1.0) and needs_doc_freq(0.1, 1.0)
    assert needs_doc_freq(1, 0.9) and needs_doc_freq(1, 100)
    tokens, counts, _, _, df = count_and_encode(
        iter([([0], ["a b a"])]), str.split, input_kind="content", callable_analyzer=True)
    assert df is None and tokens == ["a", "b"]


def test_order_vocabulary_with_document_frequencies():
    tokens = ["b", "a", "c", "d"]
    counts = np.array([3, 3, 5, 1])
    df = np.array([1, 2, 3, 1])
    order = order_vocabulary(tokens, counts, 1, doc_freq=df,
                             doc_count_range=doc_count_range(2, 1.0, 3))
    assert [tokens[i] for i in order] == ["c", "a"]
    assert doc_count_range(0.5, 2, 5) == (2.5, 2)


def test_max_df_below_min_df_in_documents_names_both():
    with pytest.raises(ValueError, match=r"max_df=5 corresponds to fewer documents.*"
                                         r"min_df=0\.9.*20 documents"):
        SkipGramVectorizer(**PARAMS, min_df=0.9, max_df=5).fit(DOCS)


def test_empty_vocabulary_after_document_frequency_pruning_says_what_to_change():
    with pytest.raises(ValueError, match=r"Empty vocabulary.*min_df=13.*Lower min_count or "
                                         r"min_df, or raise max_df"):
        SkipGramVectorizer(**PARAMS, min_df=13, max_df=0.7).fit(DOCS)


# ---------------------------------------------------------------- max_features
def test_max_features_points_to_max_vocab_size():
    est = SkipGramVectorizer(**PARAMS, max_features=3)  # accepted, as scikit-learn does
    with pytest.raises(ValueError, match=re.escape("Use max_vocab_size=3")):
        est.fit(DOCS)
    same = SkipGramVectorizer(**PARAMS, max_vocab_size=3).fit(DOCS)
    assert len(same.index_to_key_) == 3


@pytest.mark.parametrize("name, value, fix", [
    ("stop_words", "french", "stop_words='english'"),
    ("stop_words", ("the",), "list(words)"),
    ("min_df", 0, "min_df=1"),
    ("min_df", 1.5, "min_df=1"),
    ("max_df", 0.0, "max_df=1.0"),
    ("max_df", True, "max_df=1.0"),
])
def test_invalid_values_name_the_parameter_and_the_fix(name, value, fix):
    with pytest.raises(ValueError, match=rf"'{name}' parameter.*{re.escape(fix)}"):
        SkipGramVectorizer(**PARAMS, **{name: value}).fit(DOCS)


def test_max_df_lower_than_min_df_of_the_same_kind_is_refused_before_reading():
    def docs():
        raise AssertionError("the documents were read")
        yield

    with pytest.raises(ValueError, match=r"'max_df'.*>= min_df \(0\.5\)"):
        SkipGramVectorizer(min_df=0.5, max_df=0.2).fit(docs())
