"""The ``memory`` parameter: trained vectors cached across fits.

A grid over the parameters that only change ``transform`` (``pooling``,
``norm``, ``sif_alpha``) trains once per fold; a cached fit equals an
uncached one bit for bit; the key holds the corpus fingerprint and the
training parameters, and fits that cannot be cached (callbacks, a
RandomState, ``partial_fit``, ``resume_from``) train as without memory.
Trainings are counted by wrapping ``skw2v._fitting.trainer.train``.
"""

import pathlib
import warnings

import joblib
import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, KFold
from sklearn.pipeline import Pipeline

from skw2v import Checkpoint, KeyedVectors, SkipGramVectorizer
from skw2v._fitting.state import FittedState

PARAMS = dict(n_components=8, window=3, min_count=1, subsample=0.0, epochs=3,
              batch_size=64, random_state=0)


@pytest.fixture
def docs(planted):
    return list(planted[0])


def assert_same_fitted_state(a, b):
    for name in FittedState.names():
        x, y = getattr(a, name), getattr(b, name)
        if isinstance(x, np.ndarray):
            assert x.dtype == y.dtype, name
            np.testing.assert_array_equal(x, y, err_msg=name)
        else:
            assert x == y, name


# ------------------------------------------------------------------- grid search
def grid(memory, n_jobs=None):
    pipe = Pipeline([("w2v", SkipGramVectorizer(**PARAMS, memory=memory)),
                     ("clf", LogisticRegression(max_iter=200))])
    return GridSearchCV(pipe, {"w2v__pooling": ["mean", "tfidf", "sif"],
                               "w2v__norm": [None, "l2"]},
                        cv=KFold(3), refit=False, n_jobs=n_jobs)


def test_grid_search_over_poolings_trains_once_per_fold_with_memory(planted, tmp_path,
                                                                   trainings):
    docs, labels, _ = planted
    docs = list(docs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # small folds: documents without words
        uncached = grid(None).fit(docs, labels)
        assert trainings[0] == 6 * 3  # every candidate, every fold
        trainings[0] = 0
        cached = grid(str(tmp_path / "cache")).fit(docs, labels)
    assert trainings[0] == 3  # once per fold
    for key in ("mean_test_score", "split0_test_score", "split2_test_score"):
        np.testing.assert_array_equal(cached.cv_results_[key], uncached.cv_results_[key])


def test_grid_search_with_memory_in_parallel_processes(planted, tmp_path):
    """The cache is shared by joblib's worker processes (counted by the cache's entries)."""
    docs, labels, _ = planted
    memory = joblib.Memory(tmp_path / "cache", verbose=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        search = grid(memory, n_jobs=2).fit(list(docs), labels)
    assert np.all(np.isfinite(search.cv_results_["mean_test_score"]))
    assert len(list((tmp_path / "cache").rglob("output.pkl"))) == 3  # one entry per fold


# ------------------------------------------------------------------ bit for bit
@pytest.mark.parametrize("pooling, norm, sif_alpha", [
    ("mean", None, 1e-3), ("sum", "l2", 1e-3), ("max", None, 1e-3), ("tfidf", "l2", 1e-3),
    ("sif", None, 1e-3), ("sif", "l2", 0.05),
])
def test_cached_fit_equals_uncached_bit_for_bit(docs, tmp_path, trainings, pooling, norm,
                                                sif_alpha):
    memory = tmp_path / "cache"
    SkipGramVectorizer(**PARAMS, memory=memory).fit(docs)  # fills the cache
    out = dict(pooling=pooling, norm=norm, sif_alpha=sif_alpha)
    cached = SkipGramVectorizer(**PARAMS, **out, memory=memory).fit(docs)
    assert trainings[0] == 1
    plain = SkipGramVectorizer(**PARAMS, **out).fit(docs)
    assert_same_fitted_state(cached, plain)
    np.testing.assert_array_equal(cached.transform(docs), plain.transform(docs))
    assert cached.score(docs) == plain.score(docs)
    np.testing.assert_array_equal(
        SkipGramVectorizer(**PARAMS, **out, memory=memory).fit_transform(docs),
        plain.fit_transform(docs))


def test_cached_vectors_are_owned_and_writable(docs, tmp_path):
    memory = joblib.Memory(tmp_path, mmap_mode="r", verbose=0)
    SkipGramVectorizer(**PARAMS, memory=memory).fit(docs)
    est = SkipGramVectorizer(**PARAMS, memory=memory).fit(docs)
    assert type(est.vectors_) is np.ndarray and est.vectors_.flags.writeable
    est.partial_fit(docs[:10])  # continues from the cached vectors


# --------------------------------------------------------------------- the key
@pytest.mark.parametrize("change", [
    dict(window=2), dict(n_components=6), dict(epochs=2), dict(random_state=1),
    dict(dtype=np.float64), dict(loss="softmax"), dict(subsample=1e-3),
    dict(learning_rate=0.05), dict(batch_size=32), dict(n_negatives=3),
    dict(noise_exponent=0.5), dict(min_learning_rate=1e-3), dict(n_shards=2),
    dict(random_state=None),
])
def test_training_parameters_are_in_the_key(docs, tmp_path, trainings, change):
    SkipGramVectorizer(**PARAMS, memory=tmp_path).fit(docs)
    SkipGramVectorizer(**{**PARAMS, **change}, memory=tmp_path).fit(docs)
    assert trainings[0] == 2
    SkipGramVectorizer(**{**PARAMS, **change}, memory=tmp_path).fit(docs)
    assert trainings[0] == 2  # now cached too


@pytest.mark.parametrize("change", [
    dict(pooling="sif"), dict(norm="l2"), dict(sif_alpha=0.1), dict(verbose=1),
    dict(spill_threshold=0), dict(temp_folder="."), dict(n_jobs=1),
    dict(min_count=39),  # every word occurs 39 times or more: the same encoded corpus
])
def test_parameters_that_do_not_change_training_are_not_in_the_key(docs, tmp_path, trainings,
                                                                   change):
    SkipGramVectorizer(**PARAMS, memory=tmp_path).fit(docs)
    est = SkipGramVectorizer(**{**PARAMS, **change}, memory=tmp_path).fit(docs)
    assert trainings[0] == 1
    assert_same_fitted_state(est, SkipGramVectorizer(**{**PARAMS, **change}).fit(docs))


@pytest.mark.parametrize("change", [
    dict(stop_words=["t0w1"]), dict(min_count=45), dict(max_vocab_size=10), dict(max_df=0.3),
    dict(lowercase=False),
])
def test_the_encoded_corpus_is_in_the_key(docs, tmp_path, trainings, change):
    upper = [d.replace("t0w", "T0w") for d in docs]  # lowercase=False changes the words
    SkipGramVectorizer(**PARAMS, memory=tmp_path).fit(upper)
    SkipGramVectorizer(**{**PARAMS, **change}, memory=tmp_path).fit(upper)
    assert trainings[0] == 2
    SkipGramVectorizer(**PARAMS, memory=tmp_path).fit(upper[:-1])  # another corpus
    assert trainings[0] == 3


def test_initial_vectors_are_keyed_by_content(docs, tmp_path, trainings):
    words = ["t0w0", "t1w1"]
    path = tmp_path / "init.txt"
    KeyedVectors(words, np.ones((2, 8), np.float32)).save_word2vec_format(path)
    SkipGramVectorizer(**PARAMS, initial_vectors=str(path), memory=tmp_path / "c").fit(docs)
    SkipGramVectorizer(**PARAMS, initial_vectors=str(path), memory=tmp_path / "c").fit(docs)
    assert trainings[0] == 1
    KeyedVectors(words, np.full((2, 8), 2, np.float32)).save_word2vec_format(path)
    est = SkipGramVectorizer(**PARAMS, initial_vectors=str(path), memory=tmp_path / "c")
    est.fit(docs)
    assert trainings[0] == 2  # same path, new content
    kv = KeyedVectors(words, np.full((2, 8), 2, np.float32))
    again = SkipGramVectorizer(**PARAMS, initial_vectors=kv, memory=tmp_path / "c").fit(docs)
    same = SkipGramVectorizer(**PARAMS, initial_vectors=KeyedVectors(words, kv.vectors.copy()),
                              memory=tmp_path / "c").fit(docs)
    assert trainings[0] == 3  # an equal object is a hit
    assert_same_fitted_state(again, same)
    assert_same_fitted_state(again, est)


# ---------------------------------------------------- reading once, not caching
def test_one_shot_generators_are_read_once_and_hit_the_cache(docs, tmp_path, trainings):
    reads = []

    def once():
        reads.append(1)
        yield from docs

    first = SkipGramVectorizer(**PARAMS, memory=tmp_path).fit(once())
    X = SkipGramVectorizer(**PARAMS, memory=tmp_path).fit_transform(once())
    assert trainings[0] == 1 and len(reads) == 2
    np.testing.assert_array_equal(X, first.transform(docs))


def test_random_state_instance_is_not_cached_and_warns(docs, tmp_path, trainings):
    for _ in range(2):
        est = SkipGramVectorizer(**{**PARAMS, "random_state": np.random.RandomState(0)},
                                 memory=tmp_path)
        with pytest.warns(UserWarning, match="not cached: random_state is a RandomState"):
            est.fit(docs)
    assert trainings[0] == 2
    assert not list(tmp_path.rglob("output.pkl"))


def test_callbacks_are_not_cached_and_still_run(docs, tmp_path, trainings):
    SkipGramVectorizer(**PARAMS, memory=tmp_path / "c").fit(docs)  # the key is cached
    ckpt = tmp_path / "ckpt.npz"
    est = SkipGramVectorizer(**PARAMS, callbacks=[Checkpoint(ckpt)], memory=tmp_path / "c")
    with pytest.warns(UserWarning, match="not cached: callbacks are set"):
        est.fit(docs)
    assert trainings[0] == 2 and ckpt.exists()


def test_partial_fit_and_resume_from_are_not_cached(docs, tmp_path, trainings, interrupt_after):
    memory = tmp_path / "c"
    full = SkipGramVectorizer(**PARAMS, memory=memory).fit(docs)  # cached under the fit's key
    ckpt = tmp_path / "ckpt.npz"
    with pytest.raises(KeyboardInterrupt):
        SkipGramVectorizer(**PARAMS, callbacks=[Checkpoint(ckpt), interrupt_after(0)]).fit(docs)
    assert trainings[0] == 2
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # not cached by design: no warning
        resumed = SkipGramVectorizer(**PARAMS, memory=memory).fit(docs, resume_from=ckpt)
        assert trainings[0] == 3  # resumed from the checkpoint, not read from the cache
        assert_same_fitted_state(resumed, full)
        resumed.partial_fit(docs)
        resumed.partial_fit(docs)
    assert trainings[0] == 5
    assert len(resumed.loss_curve_) == 3 * PARAMS["epochs"]
    assert len(list(memory.rglob("output.pkl"))) == 1


# ------------------------------------------------------------------ parameter
@pytest.mark.parametrize("kind", ["str", "path", "memory"])
def test_memory_accepts_a_folder_or_a_joblib_memory(docs, tmp_path, trainings, kind):
    folder = tmp_path / "cache"
    memory = {"str": str(folder), "path": folder,
              "memory": joblib.Memory(folder, verbose=0)}[kind]
    for _ in range(2):
        SkipGramVectorizer(**PARAMS, memory=memory).fit(docs)
    assert trainings[0] == 1
    assert list(folder.rglob("output.pkl"))


def test_memory_without_location_caches_nothing(docs, trainings):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for _ in range(2):
            SkipGramVectorizer(**PARAMS, memory=joblib.Memory(None)).fit(docs)
    assert trainings[0] == 2


def test_invalid_memory_names_the_parameter(docs):
    with pytest.raises(ValueError, match=r"'memory' parameter.*joblib\.Memory"):
        SkipGramVectorizer(**PARAMS, memory=42).fit(docs)


def test_memory_round_trips_through_model_files(docs, tmp_path):
    est = SkipGramVectorizer(**PARAMS, memory=str(tmp_path / "c")).fit(docs)
    est.save(tmp_path / "m.npz")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert SkipGramVectorizer.load(tmp_path / "m.npz").memory == str(tmp_path / "c")
    est.set_params(memory=joblib.Memory(tmp_path / "c", verbose=0)).save(tmp_path / "m2.npz")
    with pytest.warns(UserWarning, match=r"\['memory'\]"):
        loaded = SkipGramVectorizer.load(tmp_path / "m2.npz")
    assert loaded.memory is None
    np.testing.assert_array_equal(loaded.transform(docs), est.transform(docs))


def test_memory_is_cloned_and_pickled(docs, tmp_path):
    import pickle

    from sklearn.base import clone

    est = SkipGramVectorizer(**PARAMS, memory=joblib.Memory(tmp_path, verbose=0))
    twin = clone(est)
    assert isinstance(twin.memory, joblib.Memory)
    assert pathlib.Path(twin.memory.location) == tmp_path
    assert pickle.loads(pickle.dumps(est.fit(docs))).memory.location == est.memory.location


def test_training_heap_raises_glibc_thresholds_only_where_trimming_is_eager(monkeypatch):
    """Dask's nanny sets MALLOC_TRIM_THRESHOLD_=65536, which also fixes glibc's mmap
    threshold at 128 KiB: every large batch temporary is then mapped and unmapped
    (a fit ran 3.4x slower). While training, both thresholds are raised, and restored
    after the last training call leaves; without the variable nothing is touched."""
    from skw2v import _compat

    calls = []
    monkeypatch.setattr(_compat, "_MALLOPT", [lambda param, value: calls.append((param, value))])
    monkeypatch.setattr(_compat, "release_free_memory", lambda: calls.append("trim"))
    monkeypatch.delenv("MALLOC_TRIM_THRESHOLD_", raising=False)
    monkeypatch.delenv("MALLOC_MMAP_THRESHOLD_", raising=False)
    with _compat.training_heap():
        pass
    assert calls == []
    monkeypatch.setenv("MALLOC_TRIM_THRESHOLD_", "65536")
    with _compat.training_heap():
        with _compat.training_heap():  # nested (two threads training): set once
            assert calls == [(-3, 32 << 20), (-1, 256 << 20)]
        assert len(calls) == 2
    assert calls[2:] == [(-1, 65536), (-3, 128 << 10), "trim"]
