"""Fitting subword (fastText-style) vectors: what they learn, and every way of training them.

With ``char_ngram_range`` the input matrix has the words' own rows and then
``n_buckets`` n-gram rows; ``vectors_`` are the composed vectors. These
tests check that training reduces to word2vec when no word has an n-gram,
that morphology is learnt, that every training scheme (synced shards on any
backend, spilling, ``resume_from``, ``partial_fit``, ``memory``) gives the
same bits as its reference, that the model file keeps the n-gram rows, and
that a bucket row shared by many words cannot blow up.
"""

import json

import numpy as np
import pytest
from joblib import parallel_config

from skw2v import Checkpoint, SkipGramVectorizer, TrainingDiverged
from skw2v._core.subwords import SubwordSpec, composition_matrix, vocabulary_composition

SUB = dict(char_ngram_range=(3, 5), n_buckets=3000)
PARAMS = dict(n_components=12, window=3, min_count=1, subsample=0.0, epochs=4, batch_size=64,
              random_state=0)
#: One epoch with steps too small to change a float32: the initial vectors.
UNTRAINED = dict(epochs=1, learning_rate=1e-30, min_learning_rate=1e-30)


def morphology_corpus(n_docs=240, seed=0, held_out=()):
    """Two topics of verbs; every verb appears with the suffixes '', s, ed, ing.

    The stems of one topic share no 3-gram with those of the other, and the
    suffixes are shared by both: an inflection is near its stem only if
    the stem's n-grams carry it.
    """
    rng = np.random.default_rng(seed)
    topics = [["walk", "jump", "climb", "kick"], ["paint", "draw", "sketch", "print"]]
    suffixes = ["", "s", "ed", "ing"]
    docs = []
    for d in range(n_docs):
        stems = topics[d % 2]
        words = []
        while len(words) < 14:
            w = rng.choice(stems) + rng.choice(suffixes)
            if w not in held_out:
                words.append(w)
        docs.append(" ".join(words))
    return docs, topics


@pytest.fixture(scope="module")
def docs():
    return morphology_corpus()[0]


def fitted(docs, **params):
    return SkipGramVectorizer(**{**PARAMS, **SUB, **params}).fit(docs)


def assert_same_fit(a, b):
    for name in ("vectors_", "vectors_vocab_", "vectors_ngrams_", "output_vectors_",
                 "loss_curve_", "n_pairs_"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)


def unit(x):
    x = np.asarray(x, dtype=np.float64)
    return x / np.linalg.norm(x, axis=-1, keepdims=True)


# ------------------------------------------------------------------ what is fitted
def test_fitted_attributes_with_and_without_subwords(docs):
    plain = SkipGramVectorizer(**PARAMS).fit(docs)
    assert plain.vectors_vocab_ is None and plain.vectors_ngrams_ is None
    est = fitted(docs)
    n = len(est.index_to_key_)
    assert est.vectors_.shape == est.vectors_vocab_.shape == (n, 12)
    assert est.vectors_ngrams_.shape == (3000, 12)
    assert est.vectors_.dtype == est.vectors_vocab_.dtype == np.float32
    M = vocabulary_composition(SubwordSpec(3, 5, 3000), est.index_to_key_)
    W = np.concatenate((est.vectors_vocab_, est.vectors_ngrams_))
    np.testing.assert_allclose(est.vectors_, M @ W, rtol=1e-6, atol=1e-7)
    # the word rows start as without subwords (the bucket rows are drawn after them)
    first = SkipGramVectorizer(**{**PARAMS, **SUB, **UNTRAINED})
    first.fit(docs)
    plain_first = SkipGramVectorizer(**{**PARAMS, **UNTRAINED})
    plain_first.fit(docs)
    np.testing.assert_allclose(first.vectors_vocab_, plain_first.vectors_, atol=1e-20)


@pytest.mark.parametrize("loss", ["negative_sampling", "softmax"])
def test_no_word_with_an_ngram_trains_plain_word2vec_bit_for_bit(docs, loss):
    """With n-grams longer than every word, each word is its own row only (M = I): the
    composed vector, the step and its bound are word2vec's, bit for bit."""
    plain = SkipGramVectorizer(**PARAMS, loss=loss).fit(docs)
    est = SkipGramVectorizer(**PARAMS, loss=loss, char_ngram_range=(40, 40),
                             n_buckets=50).fit(docs)
    np.testing.assert_array_equal(est.vectors_, plain.vectors_)
    np.testing.assert_array_equal(est.vectors_vocab_, plain.vectors_)
    np.testing.assert_array_equal(est.output_vectors_, plain.output_vectors_)
    np.testing.assert_array_equal(est.loss_curve_, plain.loss_curve_)
    np.testing.assert_array_equal(est.transform(docs[:5]), plain.transform(docs[:5]))


def test_callbacks_see_the_composed_vectors(docs):
    seen = []

    def record(est, info):
        seen.append((info.vectors.shape, info._state.vectors.shape))

    est = fitted(docs, callbacks=[record], epochs=2)
    n = len(est.index_to_key_)
    assert seen == [((n, 12), (n + 3000, 12))] * 2


def test_subwords_change_training(docs):
    plain = SkipGramVectorizer(**PARAMS).fit(docs)
    est = fitted(docs)
    assert not np.allclose(est.vectors_, plain.vectors_)
    assert np.isfinite(est.loss_curve_).all()
    # the n-gram rows of the words' n-grams were trained, the others not
    start = SkipGramVectorizer(**{**PARAMS, **SUB, **UNTRAINED})
    start.fit(docs)
    moved = np.any(est.vectors_ngrams_ != start.vectors_ngrams_, axis=1)
    used = np.unique(SubwordSpec(3, 5, 3000).ngram_buckets(est.index_to_key_).indices)
    np.testing.assert_array_equal(np.flatnonzero(moved), used)


@pytest.mark.parametrize("word, stem", [("jumped", "jump"), ("sketching", "sketch")])
def test_held_out_inflection_lands_near_its_stem(word, stem, held_out_fit):
    """An inflection never seen in training gets a vector from its n-gram rows alone:
    nearer to the forms of its stem than to the rest of its topic, and to its topic than to
    the other."""
    est, topics = held_out_fit
    keys = est.index_to_key_
    assert word not in keys
    M = composition_matrix(SubwordSpec(3, 5, 3000), [word])  # n-gram rows only
    v = unit(M @ est.vectors_ngrams_)[0]
    by_word = dict(zip(keys, unit(est.vectors_) @ v, strict=True))
    topic = next(t for t in topics if stem in t)
    other = next(t for t in topics if stem not in t)
    forms = [s for w, s in by_word.items() if w.startswith(stem)]
    same_topic = [s for w, s in by_word.items()
                  if any(w.startswith(t) for t in topic) and not w.startswith(stem)]
    other_topic = [s for w, s in by_word.items() if any(w.startswith(t) for t in other)]
    assert len(forms) == 3
    assert min(forms) > max(other_topic)
    assert np.mean(forms) > np.mean(same_topic) > np.mean(other_topic)
    nearest = max(by_word, key=by_word.get)
    assert any(nearest.startswith(t) for t in topic)


@pytest.fixture(scope="module")
def held_out_fit():
    docs, topics = morphology_corpus(n_docs=400, held_out=("jumped", "sketching"))
    est = SkipGramVectorizer(**{**PARAMS, **SUB, "epochs": 10, "n_components": 24}).fit(docs)
    return est, topics


# ------------------------------------------------------------------ schemes, bit for bit
@pytest.fixture(scope="module")
def synced_reference(docs):
    return fitted(docs, n_shards=3, syncs_per_epoch=2, n_jobs=1)


def test_synced_shards_are_identical_across_jobs_and_backends(docs, synced_reference):
    loky = fitted(docs, n_shards=3, syncs_per_epoch=2, n_jobs=2)
    with parallel_config(backend="threading", n_jobs=2):
        threads = fitted(docs, n_shards=3, syncs_per_epoch=2)
    assert_same_fit(loky, synced_reference)
    assert_same_fit(threads, synced_reference)
    assert not np.array_equal(synced_reference.vectors_, fitted(docs).vectors_)


def test_synced_shards_scale_shared_rows_by_their_use(docs, synced_reference, monkeypatch):
    """The combination of shards counts a bucket row's uses through its words."""
    from skw2v._fitting import parallel

    seen = []
    weights = parallel.combine_weights

    def recording(counts, saturation):
        seen.append(counts)
        return weights(counts, saturation)

    monkeypatch.setattr(parallel, "combine_weights", recording)
    fitted(docs, n_shards=3, syncs_per_epoch=2, n_jobs=1, epochs=1)
    n = len(synced_reference.index_to_key_)
    # each round: the input rows changed (words and buckets), then the output rows
    c_in, c_out = seen[0], seen[1]
    assert c_in.shape[0] == c_out.shape[0] == 3
    assert n < c_in.shape[1] <= n + 3000 and c_out.shape[1] <= n
    # a bucket row is used by several words, so it counts more uses than any one word
    assert c_in.sum(axis=0).max() > c_out.sum(axis=0).max()


def test_spilled_corpus_trains_identically(docs, tmp_path):
    spilled = fitted(docs, spill_threshold=0, temp_folder=tmp_path)
    assert_same_fit(spilled, fitted(docs))


def test_hogwild_with_two_jobs_trains_subwords(docs):
    est = fitted(docs, n_jobs=2)
    assert np.isfinite(est.vectors_ngrams_).all()
    assert est.vectors_ngrams_.shape == (3000, 12)
    assert est.loss_curve_[-1] < est.loss_curve_[0]


def test_resume_from_checkpoint_equals_uninterrupted_fit(docs, tmp_path, interrupt_after):
    full = fitted(docs)
    ckpt = tmp_path / "fit.ckpt.npz"
    est = SkipGramVectorizer(**PARAMS, **SUB, callbacks=[Checkpoint(ckpt), interrupt_after(1)])
    with pytest.raises(KeyboardInterrupt):
        est.fit(docs)
    with np.load(ckpt) as data:  # the checkpoint holds every input row
        assert data["vectors"].shape == (len(full.index_to_key_) + 3000, 12)
    resumed = SkipGramVectorizer(**PARAMS, **SUB).fit(docs, resume_from=ckpt)
    assert_same_fit(resumed, full)
    np.testing.assert_array_equal(resumed.transform(docs), full.transform(docs))


@pytest.mark.parametrize("change", [dict(char_ngram_range=None), dict(char_ngram_range=(3, 4)),
                                    dict(n_buckets=2000), dict(word_boundaries=("^", "$"))])
def test_resume_refuses_other_subwords(docs, tmp_path, change, interrupt_after):
    ckpt = tmp_path / "c.npz"
    est = SkipGramVectorizer(**PARAMS, **SUB, callbacks=[Checkpoint(ckpt), interrupt_after(0)])
    with pytest.raises(KeyboardInterrupt):
        est.fit(docs)
    name = next(iter(change))
    with pytest.raises(ValueError, match=f"different parameters.*{name}"):
        SkipGramVectorizer(**{**PARAMS, **SUB, **change}).fit(docs, resume_from=ckpt)


def test_without_subwords_buckets_and_boundaries_do_not_block_resuming(docs, tmp_path,
                                                                       interrupt_after):
    """n_buckets and word_boundaries do nothing without char_ngram_range."""
    ckpt = tmp_path / "c.npz"
    est = SkipGramVectorizer(**PARAMS, callbacks=[Checkpoint(ckpt), interrupt_after(0)])
    with pytest.raises(KeyboardInterrupt):
        est.fit(docs)
    with np.load(ckpt) as data:
        meta = json.loads(data["meta"].tobytes())
    assert meta["params"]["char_ngram_range"] is None
    resumed = SkipGramVectorizer(**PARAMS, n_buckets=10, word_boundaries=("[", "]"))
    resumed.fit(docs, resume_from=ckpt)
    np.testing.assert_array_equal(resumed.vectors_, SkipGramVectorizer(**PARAMS).fit(docs).vectors_)


def test_partial_fit_continues_from_the_subword_rows(docs):
    a = fitted(docs)
    b = fitted(docs)
    a.partial_fit(docs[:50])
    assert a.loss_curve_.shape == (8,)
    assert not np.array_equal(a.vectors_ngrams_, b.vectors_ngrams_)
    # the same as continuing by hand: reproducible, and from the subword rows
    b.partial_fit(docs[:50])
    assert_same_fit(a, b)
    M = vocabulary_composition(SubwordSpec(3, 5, 3000), a.index_to_key_)
    np.testing.assert_allclose(a.vectors_, M @ np.concatenate((a.vectors_vocab_,
                                                                a.vectors_ngrams_)),
                               rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("change, match", [
    (dict(char_ngram_range=None), "fitted with subwords"),
    (dict(n_buckets=100), "n_buckets=100"),
    (dict(char_ngram_range=(3, 4)), "do not compose the fitted vectors"),
    (dict(char_ngram_range=(2, 5)), "do not compose the fitted vectors"),
    (dict(word_boundaries=("^", "$")), "do not compose the fitted vectors"),
])
def test_partial_fit_refuses_to_change_the_subwords(docs, change, match):
    est = fitted(docs)
    est.set_params(**change)
    with pytest.raises(ValueError, match=match):
        est.partial_fit(docs[:10])
    plain = SkipGramVectorizer(**PARAMS).fit(docs)
    plain.set_params(**SUB)
    with pytest.raises(ValueError, match="fitted without subwords"):
        plain.partial_fit(docs[:10])


def test_memory_caches_subword_fits_under_their_own_key(docs, tmp_path, trainings):
    count = trainings
    cache = tmp_path / "cache"
    SkipGramVectorizer(**PARAMS, memory=cache).fit(docs)
    cached_fit = fitted(docs, memory=cache)
    assert count[0] == 2
    for change in (dict(n_buckets=2000), dict(char_ngram_range=(3, 4)),
                   dict(word_boundaries=("^", "$"))):
        fitted(docs, memory=cache, **change)
    assert count[0] == 5
    again = fitted(docs, memory=cache)
    assert count[0] == 5
    assert_same_fit(again, cached_fit)
    assert_same_fit(again, fitted(docs))


def test_initial_vectors_fill_the_words_own_rows(docs):
    from skw2v import KeyedVectors

    kv = KeyedVectors(["walk", "paint"], np.ones((2, 12), dtype=np.float32))
    est = fitted(docs, initial_vectors=kv, **UNTRAINED)
    i = est.vocabulary_["walk"]
    np.testing.assert_allclose(est.vectors_vocab_[i], 1.0)
    assert not np.allclose(est.vectors_[i], 1.0)  # composed with its n-gram rows


# ------------------------------------------------------------------ files
def test_save_load_keeps_the_subword_rows(docs, tmp_path):
    est = fitted(docs)
    path = tmp_path / "model.npz"
    est.save(path)
    with np.load(path) as data:
        meta = json.loads(data["metadata"].tobytes())
    assert meta["format_version"] == 3
    assert meta["params"]["char_ngram_range"] == {"tuple": [3, 5]}
    loaded = SkipGramVectorizer.load(path)
    assert_same_fit(loaded, est)
    assert loaded.char_ngram_range == (3, 5)
    np.testing.assert_array_equal(loaded.transform(docs), est.transform(docs))
    loaded.partial_fit(docs[:30])
    est.partial_fit(docs[:30])
    assert_same_fit(loaded, est)


def test_a_model_without_subwords_is_still_written_as_version_2(docs, tmp_path):
    est = SkipGramVectorizer(**PARAMS).fit(docs)
    est.save(tmp_path / "m.npz")
    with np.load(tmp_path / "m.npz") as data:
        assert json.loads(data["metadata"].tobytes())["format_version"] == 2
        assert "vectors_ngrams_" not in data.files
    loaded = SkipGramVectorizer.load(tmp_path / "m.npz")
    assert loaded.vectors_vocab_ is None and loaded.vectors_ngrams_ is None


def test_damaged_subword_rows_are_refused(docs, tmp_path):
    est = fitted(docs)
    est.vectors_ngrams_ = est.vectors_ngrams_[:, :5]
    est.save(tmp_path / "m.npz")
    with pytest.raises(ValueError, match="vectors_ngrams_"):
        SkipGramVectorizer.load(tmp_path / "m.npz")


# ------------------------------------------------------------------ robustness
def shared_ngram_corpus(n_words=400, n_docs=200, seed=0):
    """Many distinct words that all share the n-grams of 'zqx'."""
    rng = np.random.default_rng(seed)
    words = [f"zqx{i}" for i in range(n_words)]
    return [" ".join(rng.choice(words, size=30)) for _ in range(n_docs)]


def test_a_bucket_row_shared_by_many_words_does_not_blow_up(monkeypatch):
    """Hundreds of words per batch share the rows of 'zqx'; a huge learning rate."""
    docs = shared_ngram_corpus()
    params = dict(n_components=16, window=5, min_count=1, subsample=0.0, epochs=3,
                  batch_size=4096, learning_rate=2.0, random_state=0,
                  char_ngram_range=(3, 4), n_buckets=5000)
    est = SkipGramVectorizer(**params).fit(docs)
    assert np.isfinite(est.vectors_ngrams_).all() and np.isfinite(est.vectors_).all()
    assert np.linalg.norm(est.vectors_ngrams_, axis=1).max() < 100
    assert est.loss_curve_[-1] < 10 * est.loss_curve_[0]
    # the control: the same fit with fastText's unbounded rows diverges
    from skw2v._core import composed

    monkeypatch.setattr(composed, "MAX_STEP_CURVATURE", np.inf)
    with pytest.raises(TrainingDiverged):
        SkipGramVectorizer(**params).fit(docs)
