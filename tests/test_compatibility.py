"""What earlier versions wrote still works: pickles from before the package's redesign.

``tests/data/pickle_before_redesign.pkl`` was written by skw2v before its
layered redesign (commit f428d9e, when the estimator, its callbacks and the
training state all lived in ``skw2v._estimator`` and the constructor had
fewer parameters): a fitted SkipGramVectorizer with a Checkpoint callback,
its KeyedVectors, and the transform of three documents.
"""

import pickle
from pathlib import Path

import numpy as np
from sklearn.base import clone

from skw2v import Checkpoint, KeyedVectors, SkipGramVectorizer

OLD = Path(__file__).parent / "data" / "pickle_before_redesign.pkl"


def load_old():
    with open(OLD, "rb") as fh:
        return pickle.load(fh)  # our own test file


def test_old_pickle_loads_and_transforms_as_it_did():
    old = load_old()
    est = old["estimator"]
    assert isinstance(est, SkipGramVectorizer)
    assert isinstance(est.callbacks[0], Checkpoint) and est.callbacks[0].every == 1000
    np.testing.assert_array_equal(est.transform(old["docs"]), old["transform"])


def test_parameters_added_later_get_their_defaults():
    est = load_old()["estimator"]
    defaults = SkipGramVectorizer().get_params()
    params = est.get_params()
    assert set(params) == set(defaults)
    for name in ("stop_words", "min_df", "max_df", "max_features", "memory", "char_ngram_range",
                 "n_buckets", "word_boundaries"):
        assert params[name] == defaults[name]
    assert clone(est).get_params()["n_components"] == 4


def test_old_keyed_vectors_answer_queries():
    kv = load_old()["wv"]
    assert isinstance(kv, KeyedVectors)
    assert kv.most_similar("cat", topn=1)[0][0] in kv.key_to_index
