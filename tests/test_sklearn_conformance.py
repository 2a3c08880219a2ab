"""SkipGramVectorizer against the scikit-learn estimator contract.

Covers parameter handling (get_params / set_params / clone), fit returning
self without touching parameters, NotFittedError, input validation, pickling,
tags, output naming and ``set_output``, the data-free checks of
:mod:`sklearn.utils.estimator_checks`, and use inside Pipeline, GridSearchCV
and cross_val_score.
"""

import logging
import pickle
import warnings

import joblib
import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, KFold, cross_val_score
from sklearn.pipeline import Pipeline
from sklearn.utils import estimator_checks
from sklearn.utils.validation import check_is_fitted

from skw2v import SkipGramVectorizer
from skw2v.losses import SoftmaxLoss

# ---------------------------------------------------------------- parameters

NON_DEFAULT_PARAMS = dict(
    n_components=12, window=2, loss="softmax", n_negatives=3, noise_exponent=0.5,
    min_count=2, max_vocab_size=50, subsample=1e-4, epochs=3, learning_rate=0.05,
    min_learning_rate=0.001, batch_size=64, pooling="sif", sif_alpha=0.01, norm="l2",
    dtype=np.float64, input="content", encoding="latin-1", decode_error="replace",
    strip_accents="unicode", lowercase=False, preprocessor=str.strip, tokenizer=str.split,
    token_pattern=None, analyzer="word", n_jobs=2, n_shards=3, syncs_per_epoch=2,
    spill_threshold="64M", temp_folder="/scratch",
    initial_vectors="pretrained.txt",
    random_state=7, verbose=1,
    callbacks=[print],
    stop_words=["the", "a"], min_df=2, max_df=0.9,
    max_features=100,  # only refused at fit (it points to max_vocab_size)
    memory="/scratch/skw2v-cache",
    char_ngram_range=(2, 5),
    n_buckets=5000,
    word_boundaries=("^", "$"),
)


def test_init_stores_params_unchanged():
    est = SkipGramVectorizer(**NON_DEFAULT_PARAMS)
    params = est.get_params(deep=False)
    assert set(params) == set(NON_DEFAULT_PARAMS)
    for name, value in NON_DEFAULT_PARAMS.items():
        assert params[name] is value, name
        assert getattr(est, name) is value, name


def test_get_params_set_params_round_trip():
    est = SkipGramVectorizer()
    est.set_params(**NON_DEFAULT_PARAMS)
    assert est.get_params(deep=False) == NON_DEFAULT_PARAMS
    again = SkipGramVectorizer(**est.get_params(deep=False))
    assert again.get_params(deep=False) == NON_DEFAULT_PARAMS


def test_clone_gives_equal_params_and_identical_refit(planted, small_params):
    docs = list(planted[0])
    est = SkipGramVectorizer(**small_params)
    twin = clone(est)
    assert twin is not est
    assert twin.get_params() == est.get_params()
    est.fit(docs)
    twin.fit(docs)
    assert twin.index_to_key_ == est.index_to_key_
    np.testing.assert_array_equal(twin.vectors_, est.vectors_)
    np.testing.assert_array_equal(twin.output_vectors_, est.output_vectors_)
    np.testing.assert_array_equal(twin.transform(docs), est.transform(docs))


def test_clone_of_fitted_estimator_is_unfitted(planted, small_params):
    est = SkipGramVectorizer(**small_params).fit(list(planted[0]))
    twin = clone(est)
    with pytest.raises(NotFittedError):
        check_is_fitted(twin)
    assert not any(k.endswith("_") and not k.startswith("__") for k in vars(twin))


def test_clone_with_loss_object():
    est = SkipGramVectorizer(loss=SoftmaxLoss(max_chunk_elements=1000))
    twin = clone(est)
    assert twin.loss is not est.loss
    assert isinstance(twin.loss, SoftmaxLoss)
    assert twin.loss.max_chunk_elements == 1000
    assert twin.get_params()["loss__max_chunk_elements"] == 1000


def test_fit_returns_self(planted, small_params):
    est = SkipGramVectorizer(**small_params)
    assert est.fit(list(planted[0])) is est
    assert est.fit(list(planted[0]), y=planted[1]) is est


def test_fit_does_not_change_params(planted, small_params):
    loss = SoftmaxLoss(max_chunk_elements=500)
    calls = []
    callbacks = [lambda est, info: calls.append(info.epoch)]
    est = SkipGramVectorizer(**{**small_params, "epochs": 2}, loss=loss, callbacks=callbacks,
                             pooling="tfidf")
    before = est.get_params(deep=False)
    # the callback closes over test state, so it is compared by identity only
    before_hash = {k: joblib.hash(v) for k, v in before.items() if k != "callbacks"}
    before_deep = est.get_params(deep=True)
    est.fit(list(planted[0]))
    after = est.get_params(deep=False)
    assert calls == [0, 1]
    assert set(after) == set(before)
    for name in before:
        assert after[name] is before[name], name
    for name, digest in before_hash.items():
        assert joblib.hash(after[name]) == digest, name
    assert len(callbacks) == 1
    assert est.get_params(deep=True) == before_deep
    assert loss.get_params() == {"max_chunk_elements": 500}


# ------------------------------------------------------------------ unfitted

@pytest.mark.parametrize("method", ["transform", "score", "get_feature_names_out", "wv_"])
def test_not_fitted_error(method):
    est = SkipGramVectorizer()
    with pytest.raises(NotFittedError):
        if method == "wv_":
            est.wv_  # noqa: B018
        elif method == "get_feature_names_out":
            est.get_feature_names_out()
        else:
            getattr(est, method)(["some words here"])


def test_unfitted_estimator_is_reported_unfitted():
    with pytest.raises(NotFittedError):
        check_is_fitted(SkipGramVectorizer())


def test_fitted_estimator_is_reported_fitted(planted, small_params):
    est = SkipGramVectorizer(**small_params).fit(list(planted[0]))
    check_is_fitted(est)  # must not raise
    assert hasattr(est, "wv_")


# --------------------------------------------------------------- bad inputs

@pytest.mark.parametrize("method", ["fit", "fit_transform"])
@pytest.mark.parametrize("bare", ["just one document as a string", b"bytes document here"])
def test_bare_string_to_fit_raises(method, bare):
    est = SkipGramVectorizer(min_count=1)
    with pytest.raises(ValueError, match=r"(?i)iterable.*document"):
        getattr(est, method)(bare)
    assert not hasattr(est, "vectors_")


@pytest.mark.parametrize("method", ["transform", "score"])
def test_bare_string_to_transform_and_score_raises(planted, small_params, method):
    est = SkipGramVectorizer(**small_params).fit(list(planted[0]))
    with pytest.raises(ValueError, match=r"(?i)iterable.*document") as exc:
        getattr(est, method)(planted[0][0])
    # the message says how to fix it: wrap the single document in a list
    assert "list" in str(exc.value)


@pytest.mark.parametrize("name, value", [
    ("n_components", 0),
    ("n_components", 2.5),
    ("window", 0),
    ("window", -1),
    ("learning_rate", 0),
    ("learning_rate", -0.1),
    ("learning_rate", float("nan")),
    ("learning_rate", float("inf")),
    ("loss", "hinge"),
    ("loss", object()),
    ("subsample", 1.5),
    ("subsample", -0.1),
    ("batch_size", 0),
    ("pooling", "median"),
    ("min_count", 0),
    ("dtype", "int32"),
    ("dtype", np.int64),
    ("epochs", 0),
    ("norm", "l1"),
    ("input", "url"),
    ("decode_error", "explode"),
    ("n_jobs", 0),
    ("max_vocab_size", 0),
    ("n_negatives", 0),
    ("sif_alpha", 0.0),
    ("analyzer", "char"),
    ("callbacks", [42]),
    ("stop_words", "french"),
    ("stop_words", {"the"}),
    ("stop_words", ["the", 1]),
    ("min_df", 0),
    ("min_df", 1.5),
    ("max_df", 0.0),
    ("max_df", -1),
    ("max_features", 10),
    ("memory", 42),
    ("min_learning_rate", 1.0),  # larger than learning_rate
    ("char_ngram_range", (3,)),
    ("char_ngram_range", (6, 3)),
    ("char_ngram_range", (0, 3)),
    ("char_ngram_range", [3, 6]),
    ("char_ngram_range", (3.0, 6)),
    ("n_buckets", 0),
    ("word_boundaries", "<>"),
    ("word_boundaries", ("<", None)),
])
def test_invalid_param_raises_value_error_naming_it(planted, name, value):
    params = {"min_count": 1, "epochs": 1, "n_components": 4, name: value}
    est = SkipGramVectorizer(**params)
    with pytest.raises(ValueError, match=name):
        est.fit(list(planted[0]))
    assert not hasattr(est, "vectors_")


def test_verbose_accepts_bool(planted, small_params, caplog):
    est = SkipGramVectorizer(**{**small_params, "epochs": 1}, verbose=True)
    with caplog.at_level(logging.INFO, logger="skw2v"):
        est.fit(list(planted[0]))
    assert any(r.name == "skw2v" for r in caplog.records)


def test_invalid_pooling_set_after_fit_raises_in_transform(planted, small_params):
    docs = list(planted[0])
    est = SkipGramVectorizer(**small_params).fit(docs)
    est.set_params(pooling="median")
    with pytest.raises(ValueError, match="pooling"):
        est.transform(docs[:3])


# ------------------------------------------------------------------- pickle

@pytest.mark.parametrize("pooling", ["mean", "sif"])
def test_pickle_round_trip_preserves_transform(planted, small_params, pooling):
    docs = list(planted[0])
    est = SkipGramVectorizer(**small_params, pooling=pooling).fit(docs)
    expected = est.transform(docs)
    restored = pickle.loads(pickle.dumps(est))
    assert restored.get_params() == est.get_params()
    assert restored.index_to_key_ == est.index_to_key_
    np.testing.assert_array_equal(restored.vectors_, est.vectors_)
    out = restored.transform(docs)
    assert out.dtype == expected.dtype
    np.testing.assert_array_equal(out, expected)
    assert restored.score(docs[:10]) == est.score(docs[:10])


# --------------------------------------------------------------------- tags

def test_sklearn_tags_declare_string_input():
    tags = SkipGramVectorizer().__sklearn_tags__()
    assert tags.input_tags.string is True
    assert tags.input_tags.two_d_array is False
    assert tags.requires_fit is True
    assert tags.transformer_tags is not None


# ---------------------------------------------------- sklearn estimator checks

DATA_FREE_CHECKS = [
    "check_no_attributes_set_in_init",
    "check_parameters_default_constructible",
    "check_get_params_invariance",
    "check_set_params",
    "check_estimator_repr",
    "check_estimator_cloneable",
    "check_estimator_tags_renamed",
    "check_valid_tag_types",
    "check_mixin_order",
    "check_do_not_raise_errors_in_init_or_set_params",
    "check_estimators_unfitted",
    "check_transformers_unfitted",
    "check_get_feature_names_out_error",
]


@pytest.mark.parametrize("check_name", DATA_FREE_CHECKS)
def test_sklearn_data_free_check(check_name):
    check = getattr(estimator_checks, check_name)
    est = SkipGramVectorizer(n_components=4, min_count=1, epochs=1, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        check("SkipGramVectorizer", est)


# --------------------------------------------------------- repr and output

def test_repr_is_informative():
    text = repr(SkipGramVectorizer(n_components=8, loss="softmax", pooling="sif"))
    assert text.startswith("SkipGramVectorizer(")
    assert "n_components=8" in text
    assert "loss='softmax'" in text
    assert "pooling='sif'" in text
    # only changed parameters are shown (scikit-learn's print_changed_only)
    assert "window" not in text
    assert "SoftmaxLoss(max_chunk_elements=10)" in repr(
        SkipGramVectorizer(loss=SoftmaxLoss(max_chunk_elements=10)))


def test_get_feature_names_out(planted, small_params):
    est = SkipGramVectorizer(**{**small_params, "n_components": 12}).fit(list(planted[0]))
    names = est.get_feature_names_out()
    assert isinstance(names, np.ndarray)
    assert names.shape == (12,)
    assert all(isinstance(n, str) for n in names)
    assert len(set(names)) == 12
    np.testing.assert_array_equal(est.get_feature_names_out(None), names)


def test_feature_names_follow_fitted_width(planted, small_params):
    docs = list(planted[0])
    est = SkipGramVectorizer(**small_params).fit(docs)
    est.set_params(n_components=3)  # changes nothing fitted
    assert len(est.get_feature_names_out()) == est.transform(docs[:2]).shape[1]
    est.set_output(transform="pandas")
    assert est.transform(docs[:2]).shape == (2, est.vectors_.shape[1])


def test_set_output_pandas(planted, small_params):
    docs = list(planted[0])
    est = SkipGramVectorizer(**small_params).fit(docs)
    expected = est.transform(docs)
    assert est.set_output(transform="pandas") is est
    df = est.transform(docs)
    assert isinstance(df, pd.DataFrame)
    assert list(df.columns) == list(est.get_feature_names_out())
    assert df.shape == (len(docs), small_params["n_components"])
    np.testing.assert_array_equal(df.to_numpy(), expected)
    df2 = clone(est).fit_transform(docs)
    assert isinstance(df2, pd.DataFrame)
    np.testing.assert_array_equal(df2.to_numpy(), expected)


@pytest.mark.parametrize("loss", ["negative_sampling", "softmax"])
def test_fit_transform_equals_fit_then_transform(planted, small_params, loss):
    docs = list(planted[0])
    a = SkipGramVectorizer(**small_params, loss=loss).fit_transform(docs)
    b = SkipGramVectorizer(**small_params, loss=loss).fit(docs).transform(docs)
    assert a.shape == (len(docs), small_params["n_components"])
    np.testing.assert_array_equal(a, b)


# ------------------------------------------------ Pipeline and model selection

def _labelled(make_corpus):
    docs, labels, _ = make_corpus(n_docs=90, seed=3)
    return docs, labels


def test_grid_search_over_pipeline(make_corpus):
    docs, labels = _labelled(make_corpus)
    pipe = Pipeline([
        ("vec", SkipGramVectorizer(min_count=1, subsample=0.0, epochs=5, random_state=0)),
        ("clf", LogisticRegression(C=100.0, max_iter=1000)),
    ])
    grid = GridSearchCV(pipe, {
        "vec__n_components": [8, 16],
        "vec__window": [1, 3],
        "vec__loss": ["negative_sampling", "softmax"],
    }, cv=3, n_jobs=2)
    grid.fit(docs, labels)
    chance = 1 / 3
    assert grid.best_score_ >= 0.9 > chance + 0.5
    assert len(grid.cv_results_["params"]) == 8
    assert np.all(np.isfinite(grid.cv_results_["mean_test_score"]))
    assert set(grid.best_params_) == {"vec__n_components", "vec__window", "vec__loss"}
    best_vec = grid.best_estimator_.named_steps["vec"]
    assert best_vec.vectors_.shape[1] == grid.best_params_["vec__n_components"]
    held_out, held_labels, _ = make_corpus(n_docs=30, seed=4)
    assert grid.score(held_out, held_labels) >= 0.9


def test_cross_val_score_pipeline(make_corpus):
    docs, labels = _labelled(make_corpus)
    pipe = Pipeline([
        ("vec", SkipGramVectorizer(n_components=16, min_count=1, subsample=0.0, epochs=5,
                                   random_state=0)),
        ("clf", LogisticRegression(C=100.0, max_iter=1000)),
    ])
    scores = cross_val_score(pipe, docs, labels, cv=3)
    assert scores.shape == (3,)
    assert scores.min() >= 0.9


def test_grid_search_on_vectorizer_alone_uses_score(make_corpus):
    docs, _, _ = make_corpus(n_docs=60, seed=5)
    grid = GridSearchCV(
        SkipGramVectorizer(n_components=8, min_count=1, subsample=0.0, epochs=3,
                           random_state=0, loss="softmax"),
        {"window": [1, 3]}, cv=3)
    grid.fit(docs)  # no y: GridSearchCV falls back on the estimator's score()
    scores = grid.cv_results_["mean_test_score"]
    assert scores.shape == (2,)
    assert np.all(np.isfinite(scores))
    # softmax score is a mean log-probability over the vocabulary: negative
    assert np.all(scores < 0)
    # the reported fold score is exactly score() of the model refitted on that fold
    train, test = next(KFold(3).split(docs))  # what cv=3 means without y
    refit = clone(grid.estimator).set_params(**grid.cv_results_["params"][0])
    refit.fit([docs[i] for i in train])
    assert refit.score([docs[i] for i in test]) == pytest.approx(
        grid.cv_results_["split0_test_score"][0], rel=1e-12)


@pytest.mark.parametrize("name, value", [("pooling", np.array(["mean", "max"])),
                                         ("pooling", ["mean"]), ("norm", np.array(["l2"]))])
def test_unhashable_output_params_set_after_fit_name_themselves(planted, small_params, name,
                                                                 value):
    est = SkipGramVectorizer(**small_params).fit(list(planted[0]))
    est.set_params(**{name: value})
    with pytest.raises(ValueError, match=f"'{name}' parameter"):
        est.transform(list(planted[0])[:3])
