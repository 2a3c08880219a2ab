"""Parallel training: the synchronised scheme is deterministic on any backend."""

import numpy as np
import pytest
from joblib import parallel_config

from skw2v import SkipGramVectorizer


@pytest.fixture
def synced(small_params):
    return {**small_params, "n_shards": 3, "syncs_per_epoch": 2}


def test_synced_result_does_not_depend_on_n_jobs(planted, synced):
    docs = list(planted[0])
    one = SkipGramVectorizer(**synced, n_jobs=1).fit(docs)
    two = SkipGramVectorizer(**synced, n_jobs=2).fit(docs)
    np.testing.assert_array_equal(one.vectors_, two.vectors_)
    np.testing.assert_array_equal(one.output_vectors_, two.output_vectors_)
    np.testing.assert_array_equal(one.loss_curve_, two.loss_curve_)


def test_synced_result_is_the_same_on_processes(planted, synced):
    docs = list(planted[0])
    threads = SkipGramVectorizer(**synced, n_jobs=2).fit(docs)
    with parallel_config(backend="loky", n_jobs=2):
        procs = SkipGramVectorizer(**synced).fit(docs)
    np.testing.assert_array_equal(threads.vectors_, procs.vectors_)


def test_synced_depends_on_shards_and_seed(planted, synced):
    docs = list(planted[0])
    a = SkipGramVectorizer(**synced).fit(docs)
    b = SkipGramVectorizer(**{**synced, "n_shards": 2}).fit(docs)
    c = SkipGramVectorizer(**{**synced, "random_state": 1}).fit(docs)
    assert not np.array_equal(a.vectors_, b.vectors_)
    assert not np.array_equal(a.vectors_, c.vectors_)


def test_synced_quality_on_planted_topics(planted, synced, separation):
    docs, _, topics = planted
    est = SkipGramVectorizer(**synced, n_jobs=2).fit(list(docs))
    assert separation(est.index_to_key_, est.vectors_, topics) >= 0.9
    assert est.loss_curve_[-1] < est.loss_curve_[0]


def test_one_shard_synced_equals_sequential(planted, small_params):
    """With one shard and one sync, the copy-and-add scheme is plain SGD.

    In float64, ``W + (trained - W)`` equals ``trained`` up to one rounding per
    epoch, so the two runs agree to ~1e-12.
    """
    docs = list(planted[0])
    params = {**small_params, "dtype": np.float64}
    seq = SkipGramVectorizer(**params).fit(docs)
    syn = SkipGramVectorizer(**params, n_shards=1).fit(docs)
    np.testing.assert_allclose(syn.vectors_, seq.vectors_, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(syn.loss_curve_, seq.loss_curve_, rtol=1e-9)
