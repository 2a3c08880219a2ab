"""Training on a Dask cluster through joblib's dask backend (loopback only)."""

import numpy as np
import pytest
from joblib import parallel_config

from skw2v import SkipGramVectorizer

distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                       host="127.0.0.1", dashboard_address="127.0.0.1:0")
    with distributed.Client(cluster) as c:
        yield c
    cluster.close()


def test_fit_on_dask_equals_local_synced_fit(client, planted, small_params, separation):
    docs, _, topics = planted
    params = {**small_params, "n_shards": 2, "syncs_per_epoch": 2}
    local = SkipGramVectorizer(**params).fit(list(docs))
    with distributed.get_task_stream(client) as stream, parallel_config(backend="dask"):
        remote = SkipGramVectorizer(**params, n_jobs=-1).fit(list(docs))
    np.testing.assert_array_equal(remote.vectors_, local.vectors_)
    np.testing.assert_array_equal(remote.loss_curve_, local.loss_curve_)
    assert separation(remote.index_to_key_, remote.vectors_, topics) >= 0.9
    # the training tasks really ran on the cluster's workers, on both of them
    tasks = [t for t in stream.data if "train_slice_on_copy" in str(t["key"])]
    assert len(tasks) >= params["epochs"] * params["syncs_per_epoch"]
    assert len({t["worker"] for t in tasks}) == 2


def test_spilled_corpus_on_dask_ships_slices(client, planted, small_params, tmp_path):
    """A corpus spilled to the driver's disk trains on the cluster: each task gets its slice."""
    docs, _, _ = planted
    params = {**small_params, "n_shards": 2, "syncs_per_epoch": 2, "subsample": 1e-2}
    local = SkipGramVectorizer(**params).fit(list(docs))
    with parallel_config(backend="dask"):
        remote = SkipGramVectorizer(**params, n_jobs=-1, spill_threshold=0,
                                    temp_folder=tmp_path).fit(list(docs))
    np.testing.assert_array_equal(remote.vectors_, local.vectors_)
    np.testing.assert_array_equal(remote.output_vectors_, local.output_vectors_)
    assert list(tmp_path.iterdir()) == []


def test_default_shards_use_the_whole_cluster(client, planted, small_params, separation):
    """Under the dask backend n_jobs means the cluster; n_shards=None follows it."""
    docs, _, topics = planted
    with parallel_config(backend="dask"):
        est = SkipGramVectorizer(**small_params, n_jobs=1).fit(list(docs))
    assert np.all(np.isfinite(est.vectors_))
    assert separation(est.index_to_key_, est.vectors_, topics) >= 0.9


def test_fit_survives_a_worker_dying_between_syncs(client, planted, small_params):
    """A worker process killed mid-fit is restarted by its nanny; the result is unchanged."""
    import os

    docs = list(planted[0])
    params = {**small_params, "n_shards": 2, "syncs_per_epoch": 2}
    local = SkipGramVectorizer(**params).fit(docs)
    killed = []

    def kill_one_worker(est, info):
        if info.epoch == 1:
            victim = sorted(client.scheduler_info()["workers"])[0]
            try:
                client.run(os._exit, 1, workers=[victim])
            except Exception:  # the worker dies before it can answer
                pass
            killed.append(victim)
        return False

    with parallel_config(backend="dask"):
        remote = SkipGramVectorizer(**params, n_jobs=-1, callbacks=[kill_one_worker]).fit(docs)
    assert killed
    np.testing.assert_array_equal(remote.vectors_, local.vectors_)
    client.wait_for_workers(2, timeout=60)


def test_a_round_that_never_returns_is_run_again(monkeypatch):
    """A round whose tasks hang (a lost worker took their data) times out and is
    run again; after the last attempt the error says how to resume."""
    import time

    from joblib import delayed

    from skw2v._fitting import parallel as _parallel

    monkeypatch.setattr(_parallel, "ROUND_TIMEOUT_MIN", 0.5)
    calls = []

    def task():
        calls.append(1)
        if len(calls) == 1:
            time.sleep(3)  # the first attempt hangs past the timeout
        return len(calls)

    with parallel_config(backend="threading"):
        results, _ = _parallel.run_round_on_cluster([delayed(task)()], 2, 0.0, 0)
    assert results == [2]

    def hang():
        time.sleep(2)

    monkeypatch.setattr(_parallel, "_ROUND_ATTEMPTS", 2)
    with parallel_config(backend="threading"), pytest.raises(RuntimeError, match="resume_from"):
        _parallel.run_round_on_cluster([delayed(hang)()], 2, 0.0, 4)
