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

    monkeypatch.setattr(_parallel, "ROUND_ATTEMPTS", 2)
    with parallel_config(backend="threading"), pytest.raises(RuntimeError, match="resume_from"):
        _parallel.run_round_on_cluster([delayed(hang)()], 2, 0.0, 4)


def test_the_error_after_the_last_attempt_names_the_lost_worker(monkeypatch):
    """A round that keeps losing its worker fails fast, naming it and how to resume."""
    from types import SimpleNamespace

    from joblib import delayed

    from skw2v._fitting import parallel as _parallel

    attempts = []

    def dies():
        attempts.append(1)
        raise distributed.KilledWorker("train-slice", SimpleNamespace(address="tcp://10.0.0.9:41"),
                                       0)

    with parallel_config(backend="threading"), pytest.raises(RuntimeError) as info:
        _parallel.run_round_on_cluster([delayed(dies)()], 2, 0.0, 6)
    message = str(info.value)
    assert "Workers lost: tcp://10.0.0.9:41" in message
    assert "round 7" in message and "resume_from" in message
    assert len(attempts) == _parallel.ROUND_ATTEMPTS


@pytest.mark.slow
def test_killing_a_worker_at_any_moment_never_hangs_the_fit():
    """Issue 14: a worker killed early, midway or late in a fit, 5 times each, on a
    2-worker cluster: every fit finishes, with the local synced fit's vectors."""
    import os
    import threading
    import time

    rng = np.random.default_rng(0)
    vocab = np.array([f"w{i}" for i in range(2000)])
    p = 1.0 / np.arange(1, 2001)
    docs = [" ".join(rng.choice(vocab, size=200, p=p / p.sum())) for _ in range(3000)]
    params = dict(n_components=32, window=3, min_count=1, subsample=0.0, epochs=5,
                  random_state=0, n_shards=2, syncs_per_epoch=4)
    local = SkipGramVectorizer(**params).fit(docs)
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                       host="127.0.0.1", dashboard_address="127.0.0.1:0")
    with distributed.Client(cluster) as client:
        t0 = time.perf_counter()
        with parallel_config(backend="dask"):
            SkipGramVectorizer(**params, n_jobs=-1).fit(docs)
        clean = time.perf_counter() - t0
        outcomes = []
        for fraction in (0.1, 0.5, 0.9):
            for rep in range(5):
                client.wait_for_workers(2, timeout=300)
                victim = sorted(client.scheduler_info(n_workers=-1)["workers"])[rep % 2]

                def kill(victim=victim, delay=fraction * clean):
                    time.sleep(delay)
                    try:
                        client.run(os._exit, 1, workers=[victim])
                    except Exception:  # the worker dies before it answers
                        pass

                killer = threading.Thread(target=kill)
                killer.start()
                t0 = time.perf_counter()
                with parallel_config(backend="dask"):
                    remote = SkipGramVectorizer(**params, n_jobs=-1).fit(docs)
                killer.join()
                seconds = time.perf_counter() - t0
                outcomes.append((fraction, rep, seconds))
                np.testing.assert_array_equal(remote.vectors_, local.vectors_)
                # a lost round is run again, never waited on forever
                assert seconds < 10 * clean + 120, outcomes
    cluster.close()
