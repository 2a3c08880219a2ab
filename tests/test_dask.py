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


def _replicas_held():
    from skw2v._fitting import parallel

    return len(parallel._REPLICAS)


def test_workers_keep_replicas_during_an_epoch_and_free_them_after(client, planted,
                                                                   small_params, monkeypatch):
    """Rounds after an epoch's first send only changed rows to the workers' replicas;
    once the epoch ends, no worker holds a copy of the vectors."""
    from skw2v._fitting import parallel

    docs = list(planted[0])
    params = {**small_params, "n_shards": 2, "syncs_per_epoch": 3, "epochs": 2}
    held, combine = [], parallel._combine_round

    def combining(*args, **kwargs):
        held.append(sum(client.run(_replicas_held).values()))
        return combine(*args, **kwargs)

    monkeypatch.setattr(parallel, "_combine_round", combining)
    with parallel_config(backend="dask"):
        SkipGramVectorizer(**params, n_jobs=-1).fit(docs)
    assert held and all(h >= 1 for h in held)  # replicas live through the rounds
    assert sum(client.run(_replicas_held).values()) == 0


def test_spilled_corpus_on_dask_ships_slices(client, planted, small_params, tmp_path,
                                            monkeypatch):
    """A corpus spilled to the driver's disk, which the workers cannot read, trains on
    the cluster: each task gets its slice."""
    from skw2v._fitting import parallel as _parallel

    docs, _, _ = planted
    params = {**small_params, "n_shards": 2, "syncs_per_epoch": 2, "subsample": 1e-2}
    local = SkipGramVectorizer(**params).fit(list(docs))
    # as when the workers are on other machines (the LocalCluster sees this disk)
    monkeypatch.setattr(_parallel, "share_with_cluster",
                        lambda ids, offsets: (None, "not shared (test)"))
    with distributed.get_task_stream(client) as stream, parallel_config(backend="dask"):
        remote = SkipGramVectorizer(**params, n_jobs=-1, spill_threshold=0,
                                    temp_folder=tmp_path).fit(list(docs))
    np.testing.assert_array_equal(remote.vectors_, local.vectors_)
    np.testing.assert_array_equal(remote.output_vectors_, local.output_vectors_)
    keys = [str(t["key"]) for t in stream.data]
    assert any("train_slice_on_copy" in k for k in keys)
    assert not any("train_slice_from_files" in k for k in keys)
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
    docs = list(planted[0])
    params = {**small_params, "n_shards": 2, "syncs_per_epoch": 2}
    local = SkipGramVectorizer(**params).fit(docs)
    killed = []
    kill_one_worker = _worker_killer(client, 1, killed)

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


def _worker_killer(client, epoch, killed):
    """A fit callback that kills the cluster's first worker at the end of ``epoch``
    and appends its address to ``killed``."""
    import os

    def kill_one_worker(est, info):
        if info.epoch == epoch:
            victim = sorted(client.scheduler_info()["workers"])[0]
            try:
                client.run(os._exit, 1, workers=[victim])
            except Exception:  # the worker dies before it can answer
                pass
            killed.append(victim)
        return False

    return kill_one_worker


def _text_files(folder, n_docs, seed=0, n_words=100, doc_len=500):
    """``n_docs`` files of ``doc_len`` words drawn uniformly from ``n_words`` (all appear)."""
    rng = np.random.default_rng(seed)
    vocab = np.array([f"w{i}" for i in range(n_words)])
    folder.mkdir()
    paths = []
    for k in range(n_docs):
        path = folder / f"doc{k}.txt"
        path.write_text(" ".join(rng.choice(vocab, size=doc_len)))
        paths.append(str(path))
    return paths


_FILE_PARAMS = dict(n_components=16, window=3, min_count=1, subsample=1e-2, epochs=2,
                    random_state=0, n_shards=2, syncs_per_epoch=3, input="filename")


def test_corpus_in_a_shared_folder_travels_as_paths(client, tmp_path):
    """Issue 14: workers that see temp_folder read their slices themselves (only the
    path travels); the vectors equal the local synced fit's, bit for bit."""
    files = _text_files(tmp_path / "docs", 40)
    local = SkipGramVectorizer(**_FILE_PARAMS).fit(files)
    spill = tmp_path / "spill"
    spill.mkdir()
    with distributed.get_task_stream(client) as stream, parallel_config(backend="dask"):
        remote = SkipGramVectorizer(**_FILE_PARAMS, n_jobs=-1, temp_folder=spill).fit(files)
    np.testing.assert_array_equal(remote.vectors_, local.vectors_)
    np.testing.assert_array_equal(remote.output_vectors_, local.output_vectors_)
    np.testing.assert_array_equal(remote.loss_curve_, local.loss_curve_)
    keys = [str(t["key"]) for t in stream.data]
    from_files = [k for k in keys if "train_slice_from_files" in k]
    p = _FILE_PARAMS
    assert len(from_files) == p["epochs"] * p["syncs_per_epoch"] * p["n_shards"]
    assert not [k for k in keys if "train_slice_on_copy" in k]
    assert list(spill.iterdir()) == []


def _task_corpus_bytes(monkeypatch):
    """Record the pickled bytes of every cluster task's arguments other than the
    model (its state, ``W_in``, ``W_out``, the settings): what the client sends of
    the corpus."""
    import pickle

    from skw2v._fitting import parallel as _parallel

    sent = []
    run = _parallel.run_round_on_cluster

    def recording(tasks, *args, **kwargs):
        for func, task_args, _ in tasks:
            rest = [a for a in task_args[3:] if not isinstance(a, _parallel.SGDSettings)]
            sent.append((func.__name__, len(pickle.dumps(rest, protocol=5))))
        return run(tasks, *args, **kwargs)

    monkeypatch.setattr(_parallel, "run_round_on_cluster", recording)
    return sent


def test_task_bytes_do_not_grow_with_the_corpus_when_paths_travel(client, tmp_path,
                                                                  monkeypatch):
    """Issue 14, the client-side memory figure: with the corpus in a folder the workers
    read, what each task carries of it is the same for a corpus 4 times larger; when
    the slices are shipped (workers that cannot read the folder) it grows with it."""
    from skw2v._fitting import parallel as _parallel

    sent = _task_corpus_bytes(monkeypatch)
    by_size, names = {}, {}
    for n_docs in (20, 80):
        files = _text_files(tmp_path / f"docs{n_docs}", n_docs)
        spill = tmp_path / f"spill{n_docs}"
        spill.mkdir()
        results = []
        for mode in ("files", "slices"):
            with monkeypatch.context() as m:
                if mode == "slices":  # as when the workers cannot read temp_folder
                    m.setattr(_parallel, "share_with_cluster",
                              lambda ids, offsets: (None, "not shared (test)"),
                              raising=False)  # the names check below catches a typo
                del sent[:]
                with parallel_config(backend="dask"):
                    est = SkipGramVectorizer(**_FILE_PARAMS, n_jobs=-1,
                                             temp_folder=spill).fit(files)
            results.append(est.vectors_)
            by_size[n_docs, mode] = max(b for _, b in sent)
            names[n_docs, mode] = {name for name, _ in sent}
        np.testing.assert_array_equal(results[0], results[1])
    # paths: a few hundred bytes whatever the corpus (the path names' digits may differ)
    assert by_size[20, "files"] < 1000
    assert abs(by_size[80, "files"] - by_size[20, "files"]) < 50, by_size
    # slices: 4 bytes per token of a shard's round (subsampling keeps every token:
    # each word's frequency, 1/100, is at the threshold), 4 times as many tokens
    slice_tokens = 80 * 500 // 2 // 3
    assert by_size[80, "slices"] > 4 * slice_tokens, by_size
    assert by_size[80, "slices"] > 3 * by_size[20, "slices"], by_size
    for (_, mode), called in names.items():
        assert called == {"train_slice_from_files" if mode == "files" else "train_slice_on_copy"}


def test_a_worker_that_cannot_read_the_files_makes_the_round_ship_slices(client, tmp_path,
                                                                         monkeypatch, caplog):
    """The check of every task: a worker that does not see the client's files (it
    joined after the probe, on another disk) fails before training; the round is
    run again with the slices shipped, and the result does not change."""
    import logging

    from skw2v._fitting import parallel as _parallel

    files = _text_files(tmp_path / "docs", 40)
    local = SkipGramVectorizer(**_FILE_PARAMS).fit(files)
    share = _parallel.share_with_cluster

    def stale_after_the_probe(ids, offsets):
        shared, why = share(ids, offsets)
        assert shared is not None, why  # the probe found the files
        shared.digests = ("0:stale", shared.digests[1])  # the tasks will not
        return shared, why

    monkeypatch.setattr(_parallel, "share_with_cluster", stale_after_the_probe)
    spill = tmp_path / "spill"
    spill.mkdir()
    with caplog.at_level(logging.INFO, logger="skw2v"), \
            distributed.get_task_stream(client) as stream, parallel_config(backend="dask"):
        remote = SkipGramVectorizer(**_FILE_PARAMS, n_jobs=-1, temp_folder=spill,
                                    verbose=1).fit(files)
    np.testing.assert_array_equal(remote.vectors_, local.vectors_)
    keys = [str(t["key"]) for t in stream.data]
    assert any("train_slice_from_files" in k for k in keys)
    assert any("train_slice_on_copy" in k for k in keys)
    assert "round 1 is run again with the slices shipped" in caplog.text
    assert "differs from the client's" in caplog.text


def test_paths_survive_a_worker_dying_between_epochs(client, tmp_path):
    """A worker killed mid-fit while tasks read the corpus themselves: the next
    epoch's check asks the restarted cluster again, and the vectors stay the
    local fit's, bit for bit."""

    files = _text_files(tmp_path / "docs", 40)
    local = SkipGramVectorizer(**_FILE_PARAMS).fit(files)
    killed = []
    kill_one_worker = _worker_killer(client, 0, killed)

    spill = tmp_path / "spill"
    spill.mkdir()
    with parallel_config(backend="dask"):
        remote = SkipGramVectorizer(**_FILE_PARAMS, n_jobs=-1, temp_folder=spill,
                                    callbacks=[kill_one_worker]).fit(files)
    assert killed
    np.testing.assert_array_equal(remote.vectors_, local.vectors_)
    assert list(spill.iterdir()) == []
    client.wait_for_workers(2, timeout=60)


def test_workers_that_cannot_read_the_folder_get_slices_and_the_log_says_why(
        tmp_path, monkeypatch, caplog):
    """The check at the start of each epoch: workers that do not read the client's
    files (here threads of this process told so) make the epoch ship slices, and the
    verbose log names the worker, what it saw and the fix."""
    import logging

    from skw2v._data.store import SharedCorpus

    files = _text_files(tmp_path / "docs", 40)
    local = SkipGramVectorizer(**_FILE_PARAMS).fit(files)
    # only the workers call problem(); the client computes the fingerprints
    monkeypatch.setattr(SharedCorpus, "problem", lambda self: "no such folder here (test)")
    spill = tmp_path / "spill"
    spill.mkdir()
    # in-process workers talk over inproc:// (no socket); the dashboard on loopback
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                       dashboard_address="127.0.0.1:0")
    with distributed.Client(cluster, set_as_default=False) as threads, \
            caplog.at_level(logging.INFO, logger="skw2v"), \
            distributed.get_task_stream(threads) as stream, \
            parallel_config(backend="dask", client=threads):
        remote = SkipGramVectorizer(**_FILE_PARAMS, n_jobs=-1, temp_folder=spill,
                                    verbose=1).fit(files)
    cluster.close()
    np.testing.assert_array_equal(remote.vectors_, local.vectors_)
    keys = [str(t["key"]) for t in stream.data]
    assert any("train_slice_on_copy" in k for k in keys)
    assert not any("train_slice_from_files" in k for k in keys)
    assert "2 of 2 workers cannot read the corpus file" in caplog.text
    assert "no such folder here (test)" in caplog.text
    assert "temp_folder= a folder on storage every worker shares" in caplog.text
    assert list(spill.iterdir()) == []


def _garbage_int32_bytes(fn):
    """Run ``fn()`` with the cyclic collector off, then return ``fn``'s result and the
    bytes of the int32 arrays held by the reference cycles it left (directly, or in a
    list, tuple or dict that is itself garbage)."""
    import gc

    gc.collect()
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        out = fn()
        gc.set_debug(gc.DEBUG_SAVEALL)
        gc.collect()
        garbage = list(gc.garbage)
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        if was_enabled:
            gc.enable()
    held = {}
    for obj in garbage:
        items = obj.values() if isinstance(obj, dict) else obj if isinstance(
            obj, (list, tuple)) else ()
        for item in items:
            if isinstance(item, np.ndarray) and item.dtype == np.int32:
                held[id(item)] = item.nbytes
    garbage = None
    gc.collect()
    return out, sum(held.values())


def test_client_does_not_keep_the_encoded_corpus_in_garbage(client, tmp_path):
    """Issue 14, item 3: joblib's Dask backend leaves every batch's results in a reference
    cycle; the encoding's chunk results (each chunk's token ids) must not stay reachable
    from that garbage, or the client grows with the corpus until the collector runs."""
    files = _text_files(tmp_path / "docs", 40, doc_len=5_000)  # 200k tokens, 800 KB encoded
    spill = tmp_path / "spill"
    spill.mkdir()

    def fit():
        with parallel_config(backend="dask"):
            return SkipGramVectorizer(**_FILE_PARAMS, n_jobs=-1, temp_folder=spill).fit(files)

    est, held = _garbage_int32_bytes(fit)
    encoded = 4 * est.n_tokens_
    assert encoded == 4 * 200_000
    assert held < encoded // 8, f"{held} bytes of int32 arrays left in the client's garbage"
