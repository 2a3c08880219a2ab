"""fastText .bin interop of fitted models: SkipGramVectorizer.save_fasttext and
KeyedVectors.load_fasttext, checked against gensim (and fastText when installed)."""

import numpy as np
import pytest

from skw2v import KeyedVectors, SkipGramVectorizer

gensim_fasttext = pytest.importorskip("gensim.models.fasttext")

DOCS = ["the walker walked while walking walkers walk",
        "a talker talked while talking talkers talk",
        "the reader reads what readers read and reading is read"] * 20
PARAMS = dict(n_components=8, window=2, min_count=1, subsample=0.0, epochs=2, random_state=0)


@pytest.fixture(scope="module")
def subword_model():
    return SkipGramVectorizer(**PARAMS, char_ngram_range=(3, 5), n_buckets=500).fit(DOCS)


def test_gensim_reads_a_subword_model_with_the_same_vectors(subword_model, tmp_path):
    vec = subword_model
    path = tmp_path / "model.bin"
    vec.save_fasttext(path)
    ft = gensim_fasttext.load_facebook_model(str(path))
    assert list(ft.wv.index_to_key) == vec.index_to_key_
    np.testing.assert_array_equal(ft.wv.vectors_vocab, vec.vectors_vocab_)
    np.testing.assert_array_equal(ft.wv.vectors_ngrams, vec.vectors_ngrams_)
    np.testing.assert_array_equal(ft.syn1neg, vec.output_vectors_)
    for word in ("walker", "reading"):
        np.testing.assert_allclose(ft.wv[word], vec.wv_[word], rtol=1e-5, atol=1e-7)
    for unseen in ("walkings", "talkative", "rereader"):
        assert unseen not in vec.wv_
        np.testing.assert_allclose(ft.wv[unseen], vec.wv_[unseen], rtol=1e-5, atol=1e-7)


def test_load_fasttext_round_trip_keeps_words_and_ngrams(subword_model, tmp_path):
    vec = subword_model
    path = tmp_path / "model.bin"
    vec.save_fasttext(path)
    kv = KeyedVectors.load_fasttext(path)
    assert kv.index_to_key == vec.index_to_key_
    np.testing.assert_allclose(kv.vectors, vec.vectors_, rtol=1e-5, atol=1e-7)
    np.testing.assert_array_equal(kv.vectors_ngrams, vec.vectors_ngrams_)
    assert kv.char_ngram_range == (3, 5)
    np.testing.assert_array_equal(kv.counts, vec.word_counts_)
    np.testing.assert_allclose(kv["walkings"], vec.wv_["walkings"], rtol=1e-5, atol=1e-7)


def test_a_plain_model_is_written_without_ngrams(tmp_path):
    vec = SkipGramVectorizer(**PARAMS).fit(DOCS)
    path = tmp_path / "plain.bin"
    vec.save_fasttext(path)
    ft = gensim_fasttext.load_facebook_model(str(path))
    np.testing.assert_array_equal(ft.wv.vectors_vocab, vec.vectors_)
    np.testing.assert_array_equal(ft.wv["walker"], vec.wv_["walker"])
    kv = KeyedVectors.load_fasttext(path)
    assert kv.vectors_ngrams is None
    np.testing.assert_array_equal(kv.vectors, vec.vectors_)


def test_load_fasttext_reads_a_gensim_model(tmp_path):
    from gensim.models import FastText

    sentences = [d.split() for d in DOCS]
    model = FastText(sentences, vector_size=8, window=2, min_count=1, sg=1, negative=3,
                     min_n=3, max_n=5, bucket=300, epochs=2, seed=1, workers=1)
    path = tmp_path / "gensim.bin"
    gensim_fasttext.save_facebook_model(model, str(path))
    kv = KeyedVectors.load_fasttext(path)
    for word in ("walker", "talkers", "unseenword", "walkings"):
        np.testing.assert_allclose(kv[word], model.wv[word], rtol=1e-5, atol=1e-7)


def test_fasttext_itself_reads_our_file(subword_model, tmp_path):
    fasttext = pytest.importorskip("fasttext")
    path = tmp_path / "model.bin"
    subword_model.save_fasttext(path)
    model = fasttext.load_model(str(path))
    for word in ("walker", "walkings"):
        np.testing.assert_allclose(model.get_word_vector(word), subword_model.wv_[word],
                                   rtol=1e-5, atol=1e-6)


def test_other_word_boundaries_cannot_be_saved_for_fasttext(tmp_path):
    vec = SkipGramVectorizer(**PARAMS, char_ngram_range=(3, 4), n_buckets=100,
                             word_boundaries=("^", "$")).fit(DOCS)
    with pytest.raises(ValueError, match="word_boundaries"):
        vec.save_fasttext(tmp_path / "x.bin")
    assert list(tmp_path.iterdir()) == []


def test_save_fasttext_does_not_copy_the_ngram_matrix(tmp_path):
    import tracemalloc

    vec = SkipGramVectorizer(**{**PARAMS, "n_components": 16}, char_ngram_range=(3, 5),
                             n_buckets=60_000).fit(DOCS)
    ngram_bytes = vec.vectors_ngrams_.nbytes  # 3.84 MB
    tracemalloc.start()
    try:
        vec.save_fasttext(tmp_path / "model.bin")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < ngram_bytes / 4, (peak, ngram_bytes)
    ft = gensim_fasttext.load_facebook_model(str(tmp_path / "model.bin"))
    np.testing.assert_array_equal(ft.wv.vectors_ngrams, vec.vectors_ngrams_)
    np.testing.assert_array_equal(ft.wv.vectors_vocab, vec.vectors_vocab_)


def test_a_float64_model_is_written_as_float32(tmp_path):
    vec = SkipGramVectorizer(**PARAMS, char_ngram_range=(3, 5), n_buckets=500,
                             dtype=np.float64).fit(DOCS)
    vec.save_fasttext(tmp_path / "model.bin")
    ft = gensim_fasttext.load_facebook_model(str(tmp_path / "model.bin"))
    np.testing.assert_array_equal(ft.wv.vectors_vocab, vec.vectors_vocab_.astype(np.float32))
    np.testing.assert_array_equal(ft.wv.vectors_ngrams, vec.vectors_ngrams_.astype(np.float32))
    np.testing.assert_array_equal(ft.syn1neg, vec.output_vectors_.astype(np.float32))
