"""Unseen words with subwords (#15): KeyedVectors lookups and queries, transform, export.

The fitted models here are built by hand: a model fitted without subwords,
then given ``char_ngram_range`` / ``n_buckets`` with ``set_params`` and n-gram
rows (``vectors_ngrams_``) that are planted or random. An unseen word's vector
is then known in closed form: the mean of its n-gram rows, repeats counted.
"""

import pickle
import warnings

import numpy as np
import pytest

from skw2v import KeyedVectors, SkipGramVectorizer
from skw2v._core.subwords import SubwordSpec
from skw2v.keyedvectors import UnknownWordError

WORDS = ["computer", "science", "garden", "flower", "river", "mountain"]
N_BUCKETS = 4096


def by_hand(word, rows, char_ngram_range=(3, 6), bow="<", eow=">"):
    """The composed vector of ``word``: the mean of its n-gram rows, in float64."""
    spec = SubwordSpec(*char_ngram_range, rows.shape[0], bow, eow)
    counts = spec.ngram_buckets([word]).toarray()[0].astype(np.float64)
    assert counts.sum() > 0, f"{word!r} has no n-gram"
    return counts @ rows.astype(np.float64) / counts.sum()


def planted_rows(words, vectors, char_ngram_range=(3, 6), n_buckets=N_BUCKETS):
    """Bucket rows: each the mean of the vectors of the words that have an n-gram there.

    An unseen word that shares n-grams with one vocabulary word (a typo) then
    points to that word; its other n-grams' rows are zero.
    """
    spec = SubwordSpec(*char_ngram_range, n_buckets)
    uses = (spec.ngram_buckets(words).toarray() > 0).astype(np.float64)
    n_users = uses.sum(axis=0)
    rows = uses.T @ vectors
    rows[n_users > 0] /= n_users[n_users > 0, None]
    return rows.astype(np.float32)


def planted_kv(char_ngram_range=(3, 6), dtype=np.float32):
    vectors = np.eye(len(WORDS), len(WORDS) + 2, dtype=dtype)
    rows = planted_rows(WORDS, vectors, char_ngram_range)
    return KeyedVectors(WORDS, vectors, vectors_ngrams=rows, char_ngram_range=char_ngram_range)


def random_subword_kv(seed=0, n_buckets=257, d=5, char_ngram_range=(3, 6)):
    rng = np.random.default_rng(seed)
    return KeyedVectors(WORDS, rng.standard_normal((len(WORDS), d)).astype(np.float32),
                        vectors_ngrams=rng.standard_normal((n_buckets, d)).astype(np.float32),
                        char_ngram_range=char_ngram_range)


# ------------------------------------------------------------------ KeyedVectors
def test_typo_gets_a_vector_close_to_the_right_word():
    kv = planted_kv()
    assert kv.most_similar("computr", topn=1)[0][0] == "computer"
    sims = {w: kv.similarity("computr", w) for w in WORDS}
    assert sims["computer"] > 0.9
    assert all(s < 0.2 for w, s in sims.items() if w != "computer")
    assert kv.most_similar("moutain", topn=1)[0][0] == "mountain"
    assert kv.most_similar_to_given("sciense", ["garden", "science", "river"]) == "science"
    assert kv.doesnt_match(["computr", "computers", "flowr"]) == "flowr"


def test_unseen_vector_is_the_mean_of_its_ngram_rows():
    kv = random_subword_kv()
    for word in ["computr", "zzz", "é中文", "a"]:
        expected = by_hand(word, kv.vectors_ngrams)
        np.testing.assert_allclose(kv[word], expected, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(kv.get_vector(word), expected, rtol=1e-5, atol=1e-6)
        unit = kv.get_vector(word, norm=True)
        np.testing.assert_allclose(unit, expected / np.linalg.norm(expected), rtol=1e-5)
        assert kv[word].dtype == kv.vectors.dtype and not kv[word].flags.writeable
    # vocabulary words keep their own rows, not a composition
    np.testing.assert_array_equal(kv["garden"], kv.vectors[2])


def test_other_boundaries_and_ranges_compose_with_their_ngrams():
    rng = np.random.default_rng(1)
    rows = rng.standard_normal((101, 4)).astype(np.float32)
    kv = KeyedVectors(["x1"], np.ones((1, 4)), vectors_ngrams=rows, char_ngram_range=(2, 4),
                      word_boundaries=("^", "$"))
    np.testing.assert_allclose(kv["hello"], by_hand("hello", rows, (2, 4), "^", "$"),
                               rtol=1e-5, atol=1e-6)
    assert kv.char_ngram_range == (2, 4) and kv.word_boundaries == ("^", "$")
    assert "n_buckets=101" in repr(kv)


def test_list_lookup_mixes_vocabulary_and_composed_rows():
    kv = random_subword_kv()
    got = kv[["river", "rivr", "computer"]]
    np.testing.assert_array_equal(got[0], kv.vectors[4])
    np.testing.assert_allclose(got[1], by_hand("rivr", kv.vectors_ngrams), rtol=1e-5,
                               atol=1e-6)
    np.testing.assert_array_equal(got[2], kv.vectors[0])


def test_in_means_vocabulary_and_has_vector_means_a_vector_can_be_made():
    kv = random_subword_kv(char_ngram_range=(5, 6))
    assert "computer" in kv and kv.has_index_for("computer") and kv.has_vector("computer")
    assert "computr" not in kv and not kv.has_index_for("computr")
    assert kv.has_vector("computr")
    # "<ab>" has 4 characters: no n-gram of 5 or 6
    assert "ab" not in kv and not kv.has_vector("ab")
    assert not kv.has_vector(3) and not kv.has_vector(["computer"])
    plain = KeyedVectors(WORDS, kv.vectors)
    assert not plain.has_vector("computr") and plain.has_vector("computer")
    with pytest.raises(KeyError, match="'computr' not in vocabulary"):
        plain["computr"]
    with pytest.raises(KeyError, match="'computr' not in vocabulary"):
        plain.most_similar("computr")


def test_word_without_ngrams_raises_unknown_word_error_saying_why():
    kv = random_subword_kv(char_ngram_range=(5, 6))
    for call in (lambda: kv["ab"], lambda: kv.get_vector("ab"), lambda: kv.most_similar("ab"),
                 lambda: kv.similarity("ab", "computer"), lambda: kv[["computer", "ab"]],
                 lambda: kv.distances("ab"), lambda: kv.doesnt_match(["ab", "river"])):
        with pytest.raises(UnknownWordError) as info:
            call()
        assert info.value.word == "ab"
        assert "no character n-gram of 5 to 6 characters" in info.value.message
        assert "too short" in info.value.message
    # an index is for vocabulary words only, even when a vector can be composed
    with pytest.raises(UnknownWordError, match="not in vocabulary"):
        kv.get_index("computr")


def test_most_similar_on_unseen_word_excludes_nothing_and_returns_vocabulary_words():
    kv = random_subword_kv()
    everything = kv.most_similar("computr", topn=len(kv))
    assert sorted(w for w, _ in everything) == sorted(WORDS)
    by_vector = kv.most_similar(positive=[kv["computr"]], topn=len(kv))
    assert [w for w, _ in everything] == [w for w, _ in by_vector]
    np.testing.assert_allclose([s for _, s in everything], [s for _, s in by_vector],
                               atol=1e-6)
    # a vocabulary word is still left out of its own neighbours
    assert "river" not in [w for w, _ in kv.most_similar("river", topn=len(kv))]
    # mixed lists: unseen and vocabulary terms; only the vocabulary one is excluded
    mixed = kv.most_similar(positive=["computr", "garden"], negative=["rivr"], topn=len(kv))
    assert sorted(w for w, _ in mixed) == sorted(set(WORDS) - {"garden"})
    unit = [kv.get_vector(w, norm=True).astype(np.float64) for w in ("computr", "garden", "rivr")]
    target = unit[0] + unit[1] - unit[2]
    target /= np.linalg.norm(target)
    expected = kv.get_normed_vectors().astype(np.float64) @ target
    for word, score in mixed:
        assert score == pytest.approx(expected[kv.get_index(word)], abs=1e-6)
    cosmul = kv.most_similar_cosmul(positive=["computr"], negative=["rivr"], topn=None)
    assert cosmul.shape == (len(kv),)


def test_similarity_distances_and_n_similarity_with_unseen_words():
    kv = random_subword_kv()
    u, v = by_hand("computr", kv.vectors_ngrams), by_hand("sciense", kv.vectors_ngrams)
    cos = u @ v / np.linalg.norm(u) / np.linalg.norm(v)
    assert kv.similarity("computr", "sciense") == pytest.approx(cos, abs=1e-6)
    assert kv.distance("computr", "sciense") == pytest.approx(1 - cos, abs=1e-6)
    d = kv.distances("computr", ["sciense", "river"])
    assert d.shape == (2,) and d[0] == pytest.approx(1 - cos, abs=1e-6)
    assert d[1] == pytest.approx(kv.distance("computr", "river"), abs=1e-12)
    everywhere = kv.distances("computr")
    assert everywhere.shape == (len(kv),)
    assert everywhere[4] == pytest.approx(kv.distance("computr", "river"), abs=1e-6)
    mean1, mean2 = (u + kv.vectors[2]) / 2, v
    expected = mean1 @ mean2 / np.linalg.norm(mean1) / np.linalg.norm(mean2)
    assert kv.n_similarity(["computr", "garden"], ["sciense"]) == pytest.approx(expected,
                                                                                 abs=1e-5)


def test_analogy_with_an_unseen_word():
    kv = random_subword_kv()
    got = kv.analogy("computr", "science", "river", topn=2)
    ref = kv.most_similar(positive=["science", "river"], negative=[kv["computr"]], topn=2)
    assert got == ref


def test_construction_is_checked():
    vecs = np.ones((2, 3))
    rows = np.ones((10, 3))
    with pytest.raises(ValueError, match="go together"):
        KeyedVectors(["a", "b"], vecs, vectors_ngrams=rows)
    with pytest.raises(ValueError, match="go together"):
        KeyedVectors(["a", "b"], vecs, char_ngram_range=(3, 6))
    with pytest.raises(ValueError, match=r"shape \(n_buckets, 3\)"):
        KeyedVectors(["a", "b"], vecs, vectors_ngrams=np.ones((10, 4)), char_ngram_range=(3, 6))
    with pytest.raises(ValueError, match=r"shape \(n_buckets, 3\)"):
        KeyedVectors(["a", "b"], vecs, vectors_ngrams=np.ones((0, 3)), char_ngram_range=(3, 6))
    bad = rows.copy()
    bad[7, 1] = np.nan
    with pytest.raises(ValueError, match="non-finite.*row 7"):
        KeyedVectors(["a", "b"], vecs, vectors_ngrams=bad, char_ngram_range=(3, 6))
    for ngram_range in [(0, 3), (4, 3), (3,), (3.0, 6), "36"]:
        with pytest.raises(ValueError, match="char_ngram_range"):
            KeyedVectors(["a", "b"], vecs, vectors_ngrams=rows, char_ngram_range=ngram_range)
    with pytest.raises(ValueError, match="word_boundaries"):
        KeyedVectors(["a", "b"], vecs, vectors_ngrams=rows, char_ngram_range=(3, 6),
                     word_boundaries="<>")
    kv = KeyedVectors(["a", "b"], vecs, vectors_ngrams=rows, char_ngram_range=(3, 6))
    with pytest.raises(ValueError, match="3 columns"):
        kv.vectors = np.ones((2, 4))
    plain = KeyedVectors(["a", "b"], vecs)
    assert plain.vectors_ngrams is None and plain.char_ngram_range is None
    assert plain.word_boundaries is None


def test_pickle_keeps_the_ngram_rows():
    kv = random_subword_kv()
    back = pickle.loads(pickle.dumps(kv))
    np.testing.assert_array_equal(back.vectors_ngrams, kv.vectors_ngrams)
    assert back.char_ngram_range == kv.char_ngram_range
    np.testing.assert_array_equal(back["computr"], kv["computr"])


@pytest.mark.parametrize("binary", [False, True])
def test_word2vec_export_writes_the_vocabulary_and_gensim_reads_it(tmp_path, binary):
    gensim_models = pytest.importorskip("gensim.models")
    kv = random_subword_kv()
    kv.save_word2vec_format(tmp_path / "v", binary=binary)
    theirs = gensim_models.KeyedVectors.load_word2vec_format(tmp_path / "v", binary=binary)
    assert list(theirs.index_to_key) == WORDS
    np.testing.assert_array_equal(theirs.vectors, kv.vectors)
    ours = KeyedVectors.load_word2vec_format(tmp_path / "v", binary=binary)
    assert ours.vectors_ngrams is None and "computr" not in ours
    assert not ours.has_vector("computr")


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_gensim_fasttext_model_composes_the_same_vectors():
    gensim_models = pytest.importorskip("gensim.models")
    sentences = [["computer", "computers", "science", "compute", "garden", "gardens"]] * 30
    model = gensim_models.FastText(sentences, vector_size=8, min_count=1, epochs=2, bucket=997,
                                   min_n=3, max_n=5, seed=1, workers=1)
    kv = KeyedVectors.from_gensim(model)
    assert kv.char_ngram_range == (3, 5) and kv.vectors_ngrams.shape == (997, 8)
    for word in ["computr", "gardn", "zzzz", "中文字", "computer"]:
        np.testing.assert_allclose(kv[word], model.wv[word], rtol=1e-5, atol=1e-6)
    ours = kv.most_similar("computr", topn=4)
    theirs = model.wv.most_similar("computr", topn=4)
    assert [w for w, _ in ours] == [w for w, _ in theirs]
    np.testing.assert_allclose([s for _, s in ours], [s for _, s in theirs], atol=1e-5)
    assert kv.similarity("gardn", "computr") == pytest.approx(
        float(model.wv.similarity("gardn", "computr")), abs=1e-5)


# ------------------------------------------------------------------ the estimator
DOCS = [
    "the computer science lab has a computer",
    "a garden with a flower near the river",
    "the mountain river runs past the garden",
    "science of the flower and the mountain",
] * 5
PARAMS = dict(n_components=6, min_count=1, epochs=1, random_state=0)


@pytest.fixture(scope="module")
def plain():
    """A model fitted without subwords (treat as read-only)."""
    return SkipGramVectorizer(**PARAMS).fit(DOCS)


def with_subwords(est, rows=None, char_ngram_range=(3, 6), n_buckets=N_BUCKETS, seed=0,
                  vectors=None, **params):
    """A copy of ``est`` given n-gram rows, as a fit with ``char_ngram_range`` leaves them
    (``vectors`` replaces its composed vectors)."""
    est = pickle.loads(pickle.dumps(est))
    if vectors is not None:
        est.vectors_ = vectors
    est.set_params(char_ngram_range=char_ngram_range, n_buckets=n_buckets, **params)
    if rows is None:
        rng = np.random.default_rng(seed)
        rows = rng.standard_normal((n_buckets, est.vectors_.shape[1])).astype(est.vectors_.dtype)
    est.vectors_ngrams_ = rows
    if rows is not None:
        # own rows chosen so that the n-grams compose the plain vectors, as a fit leaves
        # vectors_ = the composition of vectors_vocab_ and vectors_ngrams_
        from skw2v._core.subwords import SubwordSpec, vocabulary_composition

        bow, eow = est.word_boundaries
        spec = SubwordSpec(*est.char_ngram_range, n_buckets, bow, eow)
        M = vocabulary_composition(spec, est.index_to_key_, dtype=np.float64).tocsc()
        n = len(est.index_to_key_)
        own_weight = M[:, :n].diagonal()
        ngram_part = M[:, n:] @ np.asarray(rows, dtype=np.float64)
        own = (est.vectors_.astype(np.float64) - ngram_part) / own_weight[:, None]
        est.vectors_vocab_ = own.astype(est.vectors_.dtype)
    return est


def quiet_transform(est, docs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return est.transform(docs)


def test_document_of_unseen_words_is_zero_without_subwords_and_not_with(plain):
    doc = ["computr sciense gardn"]
    with pytest.warns(UserWarning, match="1 of 1 documents have no in-vocabulary token"):
        assert not plain.transform(doc).any()
    est = with_subwords(plain)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        X = est.transform(doc)
    expected = np.mean([by_hand(w, est.vectors_ngrams_) for w in doc[0].split()], axis=0)
    np.testing.assert_allclose(X[0], expected, rtol=1e-5, atol=1e-6)


def test_parameters_without_ngram_rows_transform_as_before(plain):
    est = with_subwords(plain)
    est.vectors_ngrams_ = None  # what a fit without subwords leaves
    docs = ["computr science", "the garden", "zzz yyy"]
    np.testing.assert_array_equal(quiet_transform(est, docs), quiet_transform(plain, docs))
    est = with_subwords(plain).set_params(char_ngram_range=None)
    np.testing.assert_array_equal(quiet_transform(est, docs), quiet_transform(plain, docs))


@pytest.mark.parametrize("pooling", ["mean", "sum", "max", "tfidf", "sif"])
def test_every_pooling_includes_unseen_words(plain, pooling):
    est = with_subwords(plain, pooling=pooling)
    doc = "computer computr computr river rivr"
    tokens = doc.split()
    rows = est.vectors_ngrams_
    vec = {w: (est.vectors_[est.vocabulary_[w]].astype(np.float64) if w in est.vocabulary_
               else by_hand(w, rows)) for w in tokens}
    stacked = np.array([vec[w] for w in tokens])
    if pooling == "mean":
        expected = stacked.mean(axis=0)
    elif pooling == "sum":
        expected = stacked.sum(axis=0)
    elif pooling == "max":
        expected = stacked.max(axis=0)
    elif pooling == "tfidf":
        # an unseen word weighs as the training word found in the fewest documents
        idf = {w: est.idf_[est.vocabulary_[w]] if w in est.vocabulary_ else est.idf_.max()
               for w in tokens}
        weights = np.array([idf[w] for w in tokens])
        expected = weights @ stacked / weights.sum()
    else:
        # an unseen word has probability 0: weight a / (a + 0) = 1
        p = est.word_counts_ / est.word_counts_.sum()
        weights = np.array([est.sif_alpha / (est.sif_alpha + p[est.vocabulary_[w]])
                            if w in est.vocabulary_ else 1.0 for w in tokens])
        expected = weights @ stacked / len(tokens)
        u = est.sif_component_.astype(np.float64)
        expected -= (expected @ u) * u
    np.testing.assert_allclose(est.transform([doc])[0], expected, rtol=1e-5, atol=1e-6)


def test_unseen_idf_and_sif_weights_are_the_documented_ones(plain):
    # with one known and one unseen word, the tfidf mean leans by the ratio of their idfs
    est = with_subwords(plain, pooling="tfidf")
    rarest = est.index_to_key_[int(np.argmax(est.idf_))]
    common = est.index_to_key_[int(np.argmin(est.idf_))]
    assert est.idf_.max() > est.idf_.min()
    v_known = est.vectors_[est.vocabulary_[common]].astype(np.float64)
    v_new = by_hand("zqxj", est.vectors_ngrams_)
    idf_new, idf_known = est.idf_.max(), est.idf_[est.vocabulary_[common]]
    expected = (idf_known * v_known + idf_new * v_new) / (idf_known + idf_new)
    np.testing.assert_allclose(est.transform([f"{common} zqxj"])[0], expected, rtol=1e-5,
                               atol=1e-6)
    # the unseen word weighs exactly as the rarest vocabulary word would at its place
    assert rarest != common
    est = with_subwords(plain, pooling="sif")
    est.sif_component_ = np.zeros_like(est.sif_component_)
    np.testing.assert_allclose(est.transform(["zqxj"])[0], v_new, rtol=1e-5, atol=1e-6)


def test_from_keyed_vectors_tfidf_stays_mean_with_unseen_words(plain):
    est = SkipGramVectorizer.from_keyed_vectors(plain.wv_, pooling="tfidf")
    est = with_subwords(est)
    mean = with_subwords(est, rows=est.vectors_ngrams_, pooling="mean")
    doc = ["computer computr river"]
    np.testing.assert_allclose(est.transform(doc), mean.transform(doc), rtol=1e-6)


def test_stop_words_and_words_without_ngrams_are_still_left_out(plain):
    est = with_subwords(plain, char_ngram_range=(5, 6))
    only = est.transform(["computer"])
    # "<ab>" has no n-gram of 5 or 6 characters; "computr" is a stop word here
    np.testing.assert_array_equal(est.transform(["computer ab"]), only)
    est.set_params(stop_words=["computr"])
    np.testing.assert_array_equal(est.transform(["computer computr ab"]), only)
    with pytest.warns(UserWarning, match="1 of 2 documents have no token with a vector"):
        X = est.transform(["computr ab", "computer"])
    assert not X[0].any() and X[1].any()


def test_transform_is_the_same_in_small_blocks(plain, monkeypatch):
    from skw2v._data import store

    est = with_subwords(plain, pooling="tfidf", norm="l2")
    rng = np.random.default_rng(0)
    vocab = ["computer", "river", "garden"] + [f"new{i}word" for i in range(40)]
    docs = [" ".join(rng.choice(vocab, size=int(rng.integers(0, 30)))) for _ in range(25)]
    docs.append(" ".join(rng.choice(vocab, size=200)))  # longer than a block
    expected = quiet_transform(est, docs)
    monkeypatch.setattr(store, "BLOCK_TOKENS", 16)
    np.testing.assert_allclose(quiet_transform(est, docs), expected, rtol=1e-6, atol=1e-7)


def test_unseen_words_are_composed_block_by_block():
    from skw2v._core.pooling import unseen_blocks
    from skw2v._data.store import document_blocks

    n_words = 3
    # ids 3.. are unseen tokens; 4 documents of 4 tokens, blocks of about 8 tokens
    ids = np.array([0, 3, 3, 4, 1, 5, 6, 2, 7, 7, 7, 0, 8, 3, 1, 2], dtype=np.int32)
    offsets = np.array([0, 4, 8, 12, 16])
    asked = []

    def compose_unseen(indices):
        asked.append(list(indices))
        return np.ones((len(indices), 2)) * (np.asarray(indices)[:, None] + 1), indices != 4

    blocks = list(unseen_blocks(document_blocks(ids, offsets, n_words + 6, block=8), n_words,
                                compose_unseen))
    # only each block's own unseen tokens, once each
    assert asked == [[0, 1, 2, 3], [0, 4, 5]]
    first, counts, extra = blocks[1]
    # unseen token 4 (id 7) has no n-gram: left out; 0 and 5 become columns 3 and 4
    assert first == 2 and counts.shape == (2, n_words + 2)
    np.testing.assert_array_equal(counts.toarray(), [[1, 0, 0, 0, 0], [0, 1, 1, 1, 1]])
    np.testing.assert_array_equal(extra, [[1, 1], [6, 6]])


def test_wv_carries_the_ngram_rows(plain):
    assert plain.wv_.vectors_ngrams is None
    est = with_subwords(plain)
    wv = est.wv_
    np.testing.assert_array_equal(wv.vectors_ngrams, est.vectors_ngrams_)
    assert wv.char_ngram_range == (3, 6) and wv.word_boundaries == ("<", ">")
    assert "computr" not in wv and wv.has_vector("computr")
    np.testing.assert_allclose(wv["computr"], est.transform(["computr"])[0], rtol=1e-6)
    assert [w for w, _ in wv.most_similar("computr", topn=len(wv))] != []


def test_planted_typo_neighbours_through_the_estimator(plain):
    words = plain.index_to_key_
    vectors = np.eye(len(words), plain.vectors_.shape[1] + len(words), dtype=np.float32)
    est = with_subwords(plain, rows=planted_rows(words, vectors), n_components=vectors.shape[1],
                        vectors=vectors)
    assert est.wv_.most_similar("computr", topn=1)[0][0] == "computer"
    X = est.transform(["computr", "computer", "moutain", "mountain"])
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    assert X[0] @ X[1] > 0.9 and X[2] @ X[3] > 0.9 and abs(X[0] @ X[3]) < 0.2


def test_n_buckets_must_match_the_ngram_rows(plain):
    est = with_subwords(plain).set_params(n_buckets=N_BUCKETS + 1)
    for call in (lambda: est.transform(["computr"]), lambda: est.wv_):
        with pytest.raises(ValueError, match=r"n_buckets=4097 differs from the 4096 n-gram rows"):
            call()


def test_score_stays_on_vocabulary_pairs(plain):
    docs = ["the computr science lab has a computer", "the garden rivr and the river"]
    est = with_subwords(plain)
    assert est.score(docs) == plain.score(docs)


def test_fit_transform_equals_fit_then_transform_with_subwords():
    # rare words fall below min_count: transform composes them, and so must fit_transform
    docs = list(DOCS) + ["a rare computr", "one gardn"]
    params = dict(PARAMS, min_count=2, char_ngram_range=(3, 5), n_buckets=512)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # whatever the training warns about
        expected = SkipGramVectorizer(**params).fit(docs).transform(docs)
        got = SkipGramVectorizer(**params).fit_transform(docs)
        once = SkipGramVectorizer(**params).fit_transform(d for d in docs)
    np.testing.assert_array_equal(got, expected)
    np.testing.assert_array_equal(once, expected)


def test_transform_refuses_ngrams_other_than_the_fits(plain):
    est = with_subwords(plain)
    quiet_transform(est, ["computr"])
    for change in (dict(char_ngram_range=(3, 5)), dict(word_boundaries=("[", "]"))):
        other = pickle.loads(pickle.dumps(est)).set_params(**change)
        with pytest.raises(ValueError, match="do not compose the fitted vectors"):
            other.transform(["computr"])
