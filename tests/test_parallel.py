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


def test_synced_result_is_the_same_on_threads_and_processes(planted, synced):
    docs = list(planted[0])
    procs = SkipGramVectorizer(**synced, n_jobs=2).fit(docs)  # loky processes
    with parallel_config(backend="threading", n_jobs=2):
        threads = SkipGramVectorizer(**synced).fit(docs)
    np.testing.assert_array_equal(threads.vectors_, procs.vectors_)


def test_default_shards_follow_n_jobs(planted, small_params):
    docs = list(planted[0])
    by_jobs = SkipGramVectorizer(**small_params, n_jobs=2).fit(docs)
    by_shards = SkipGramVectorizer(**small_params, n_shards=2).fit(docs)
    np.testing.assert_array_equal(by_jobs.vectors_, by_shards.vectors_)
    single = SkipGramVectorizer(**small_params).fit(docs)
    assert not np.array_equal(single.vectors_, by_jobs.vectors_)


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


def test_one_shard_several_syncs_stays_close_to_sequential(planted, small_params, separation):
    """One shard synchronised twice per epoch is SGD with restarted random streams."""
    docs, _, topics = planted
    est = SkipGramVectorizer(**small_params, n_shards=1, syncs_per_epoch=2).fit(list(docs))
    seq = SkipGramVectorizer(**small_params).fit(list(docs))
    assert separation(est.index_to_key_, est.vectors_, topics) >= 0.9
    assert abs(est.loss_curve_[-1] - seq.loss_curve_[-1]) < 0.05 * seq.loss_curve_[-1]
