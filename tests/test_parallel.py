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


def test_shared_memory_training_with_two_jobs(make_corpus, small_params, separation, tmp_path,
                                               monkeypatch):
    """n_shards=None with 2 jobs: Hogwild on memory-mapped vectors in 2 processes.

    Lock-free updates collide when both processes hit the same rows. On a
    small vocabulary that is most rows of every batch, so the final loss of a
    concurrent run is 5-10% above the sequential one and varies between runs;
    the quality check below is what must hold. (On the 1M-token text8like
    corpus the losses and WS353 of the two match: see the slow tests.)
    """
    import skw2v._fitting.shared as est_mod

    monkeypatch.setattr(est_mod, "shared_memory_dir", lambda: str(tmp_path))
    docs, _, topics = make_corpus(n_docs=600, n_topics=5, words_per_topic=60, seed=1)
    params = {**small_params, "epochs": 10}
    est = SkipGramVectorizer(**params, n_jobs=2).fit(list(docs))
    seq = SkipGramVectorizer(**params).fit(list(docs))
    assert type(est.vectors_) is np.ndarray  # copied out of the shared files
    assert separation(seq.index_to_key_, seq.vectors_, topics) == 1.0
    assert separation(est.index_to_key_, est.vectors_, topics) == 1.0
    # both processes trained the same vectors: had each trained a private copy,
    # half of the corpus would be lost and the loss would stay far higher
    assert est.loss_curve_[-1] < 0.8 * est.loss_curve_[0]
    assert est.n_pairs_.sum() == pytest.approx(seq.n_pairs_.sum(), rel=0.01)
    assert list(tmp_path.iterdir()) == []  # the shared files are removed


def test_shared_memory_files_removed_after_an_error(planted, small_params, tmp_path,
                                                    monkeypatch):
    import skw2v._fitting.shared as est_mod

    monkeypatch.setattr(est_mod, "shared_memory_dir", lambda: str(tmp_path))

    def stop(est, info):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        SkipGramVectorizer(**small_params, n_jobs=2, callbacks=[stop]).fit(list(planted[0]))
    assert list(tmp_path.iterdir()) == []


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


# ------------------------------------------- shared-memory space and leftovers
def _fake_statvfs(free_by_folder):
    """An os.statvfs whose free space is ``free_by_folder[folder]`` (bytes)."""
    import os

    real = os.statvfs

    class Result:
        def __init__(self, free):
            self.f_bavail, self.f_frsize = free // 4096, 4096

    def statvfs(path):
        for folder, free in free_by_folder.items():
            if os.path.samefile(path, folder):
                return Result(free)
        return real(path)

    return statvfs


@pytest.fixture
def shm_and_temp(tmp_path, monkeypatch):
    import skw2v._fitting.shared as est_mod

    shm, temp = tmp_path / "shm", tmp_path / "temp"
    shm.mkdir()
    temp.mkdir()
    monkeypatch.setattr(est_mod, "shared_memory_dir", lambda: str(shm))
    return shm, temp


def _leftovers(*folders):
    return [p.name for f in folders for p in f.iterdir()]


@pytest.mark.parametrize("n_components", [300, 40])
def test_small_shared_memory_falls_back_to_the_temp_folder(planted, small_params, shm_and_temp,
                                                           monkeypatch, n_components):
    import os

    import skw2v._fitting.shared as est_mod

    shm, temp = shm_and_temp
    used = []
    real_empty = est_mod.shared_empty
    monkeypatch.setattr(est_mod, "shared_empty",
                        lambda p, *args: used.append(p) or real_empty(p, *args))
    # /dev/shm with 64 MB free where the vectors (and margin) need more than that
    monkeypatch.setattr(os, "statvfs", _fake_statvfs({shm: 1 << 20, temp: 1 << 40}))
    params = {**small_params, "n_components": n_components, "epochs": 1}
    est = SkipGramVectorizer(**params, n_jobs=2, temp_folder=temp).fit(list(planted[0]))
    assert used and all(os.path.dirname(os.path.dirname(p)) == str(temp) for p in used)
    assert np.all(np.isfinite(est.vectors_))
    assert _leftovers(shm, temp) == []


def test_shared_memory_is_used_when_it_has_room(planted, small_params, shm_and_temp,
                                                monkeypatch):
    import os

    import skw2v._fitting.shared as est_mod

    shm, temp = shm_and_temp
    used = []
    real_empty = est_mod.shared_empty
    monkeypatch.setattr(est_mod, "shared_empty",
                        lambda p, *args: used.append(p) or real_empty(p, *args))
    monkeypatch.setattr(os, "statvfs", _fake_statvfs({shm: 1 << 30, temp: 1 << 30}))
    SkipGramVectorizer(**small_params, n_jobs=2, temp_folder=temp).fit(list(planted[0]))
    assert used and all(os.path.dirname(os.path.dirname(p)) == str(shm) for p in used)


def test_no_room_anywhere_raises_a_clear_error(planted, small_params, shm_and_temp, monkeypatch):
    import os

    shm, temp = shm_and_temp
    monkeypatch.setattr(os, "statvfs", _fake_statvfs({shm: 1 << 16, temp: 1 << 16}))
    est = SkipGramVectorizer(**small_params, n_jobs=2, temp_folder=temp)
    with pytest.raises(OSError, match=r"No room for the shared word vectors") as exc:
        est.fit(list(planted[0]))
    for fragment in (str(shm), str(temp), "temp_folder=", "n_jobs=1"):
        assert fragment in str(exc.value)
    assert not hasattr(est, "vectors_")
    assert _leftovers(shm, temp) == []


def test_preallocation_failure_raises_instead_of_sigbus(planted, small_params, shm_and_temp,
                                                        monkeypatch):
    """statvfs can be stale (another process fills the tmpfs): allocation must fail early."""
    import errno
    import os

    shm, temp = shm_and_temp

    def full(fd, offset, length):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "posix_fallocate", full, raising=False)
    est = SkipGramVectorizer(**small_params, n_jobs=2, temp_folder=temp)
    with pytest.raises(OSError, match=r"Could not allocate .* temp_folder=") as exc:
        est.fit(list(planted[0]))
    assert exc.value.errno == errno.ENOSPC
    assert _leftovers(shm, temp) == []


def test_shared_maps_preallocate_the_whole_file(tmp_path):
    import os

    from skw2v._fitting.shared import shared_empty

    a = np.arange(12000, dtype=np.float32).reshape(3000, 4)
    m = shared_empty(str(tmp_path / "v"), a.shape, a.dtype)
    np.testing.assert_array_equal(m, 0)
    m[:] = a
    np.testing.assert_array_equal(m, a)
    st = os.stat(tmp_path / "v")
    assert st.st_blocks * 512 >= a.nbytes  # allocated, not a sparse file
    del m


SIGTERM_FIT = """
import os, sys
import skw2v._fitting.shared as est_mod
est_mod.shared_memory_dir = lambda: sys.argv[1]
from skw2v import SkipGramVectorizer
rng = __import__("numpy").random.default_rng(0)
docs = [" ".join("w%d" % k for k in rng.zipf(1.3, 40) % 3000) for _ in range(3000)]

def started(est, info):
    print("epoch", info.epoch, flush=True)

SkipGramVectorizer(n_components=32, min_count=1, epochs=10000, n_jobs=int(sys.argv[3]),
                   spill_threshold=0, temp_folder=sys.argv[2], callbacks=[started]).fit(docs)
print("finished", flush=True)
"""


def _processes_with_marker(marker):
    """Pids of live processes whose environment holds ``marker`` (Linux /proc)."""
    import os

    found = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/environ", "rb") as f:
                if marker.encode() in f.read():
                    found.append(int(name))
        except OSError:
            continue
    return found


@pytest.mark.skipif(not __import__("os").path.isdir("/proc"), reason="needs Linux /proc")
@pytest.mark.parametrize("n_jobs", [2, 1])
def test_sigterm_during_fit_removes_folders_and_workers(tmp_path, n_jobs):
    import os
    import signal
    import subprocess
    import sys
    import time
    import uuid

    shm, temp = tmp_path / "shm", tmp_path / "temp"
    shm.mkdir()
    temp.mkdir()
    marker = f"SKW2V_TEST_{uuid.uuid4().hex}"
    env = {**os.environ, "SKW2V_TEST_MARKER": marker}
    proc = subprocess.Popen([sys.executable, "-c", SIGTERM_FIT, str(shm), str(temp),
                             str(n_jobs)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=env)
    try:
        line = proc.stdout.readline()  # the first epoch is done: folders and workers exist
        assert line.startswith("epoch"), proc.stderr.read()
        if n_jobs > 1:
            assert _leftovers(shm) != [] and len(_processes_with_marker(marker)) > 1
        assert _leftovers(temp) != []
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.stdout.close()
        proc.stderr.close()
    assert proc.returncode in (143, -signal.SIGTERM)  # terminated, as SIGTERM asks
    assert _leftovers(shm, temp) == []
    deadline = time.time() + 20
    while _processes_with_marker(marker) and time.time() < deadline:
        time.sleep(0.2)
    assert _processes_with_marker(marker) == []  # no worker survives


def test_sigterm_handler_is_restored_after_fit(planted, small_params):
    import signal

    def mine(signum, frame):
        pass

    previous = signal.signal(signal.SIGTERM, mine)
    try:
        seen = []

        def look(est, info):
            seen.append(signal.getsignal(signal.SIGTERM))

        SkipGramVectorizer(**small_params, callbacks=[look]).fit(list(planted[0]))
        assert seen and all(h is not mine for h in seen)  # handled while fitting
        assert signal.getsignal(signal.SIGTERM) is mine
    finally:
        signal.signal(signal.SIGTERM, previous)


def test_stale_folders_of_dead_processes_are_removed(planted, small_params, shm_and_temp):
    import os
    import subprocess
    import sys

    shm, temp = shm_and_temp
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True).stdout.strip()
    alive = [str(os.getpid()), str(os.getppid())]
    made = {
        shm / f"skw2v-{dead}-abc": False, temp / f"skw2v-corpus-{dead}-def": False,
        shm / f"skw2v-{alive[0]}-ghi": True, shm / f"skw2v-{alive[1]}-jkl": True,
        temp / f"skw2v-corpus-{alive[1]}-mno": True,
        shm / "skw2v-legacy": True, temp / "other-123-x": True,  # not ours to judge
    }
    for path in made:
        path.mkdir()
        (path / "vectors").write_bytes(b"\0" * 64)
    SkipGramVectorizer(**small_params, temp_folder=temp).fit(list(planted[0]))
    assert {p: p.exists() for p in made} == made


def test_fallback_to_a_missing_temp_folder_names_it(planted, small_params, shm_and_temp,
                                                    monkeypatch, tmp_path):
    import os

    shm, _ = shm_and_temp
    monkeypatch.setattr(os, "statvfs", _fake_statvfs({shm: 1 << 16}))
    missing = tmp_path / "missing"
    with pytest.raises(ValueError, match=r"temp_folder=.*missing.*not an existing directory"):
        SkipGramVectorizer(**small_params, n_jobs=2, temp_folder=missing).fit(list(planted[0]))
    assert _leftovers(shm) == []


def test_combine_weights_add_rare_rows_and_average_saturated_ones():
    from skw2v._fitting.parallel import combine_weights

    counts = np.array([[0, 3, 1, 1e6, 0],
                       [0, 0, 1, 1e6, 2],
                       [0, 0, 1, 1e6, 0]], dtype=np.float64)
    f = combine_weights(counts, 100.0)
    assert f[0] == 1.0  # untouched: nothing to scale
    assert f[1] == 1.0 and f[4] == 1.0  # one shard touched it: its change is kept whole
    assert f[2] == pytest.approx(1.0, abs=0.01)  # rare in every shard: the changes add up
    assert f[3] == pytest.approx(1 / 3)  # saturated in every shard: the changes average
    np.testing.assert_array_equal(combine_weights(counts, np.inf), np.ones(5))
    np.testing.assert_array_equal(combine_weights(counts, 0.0), [1, 1, 1 / 3, 1 / 3, 1])
    # between the limits, more updates per shard means a smaller factor
    grid = np.array([[n, n] for n in (1, 10, 100, 1000)], dtype=np.float64).T
    assert np.all(np.diff(combine_weights(grid, 100.0)) < 0)


def test_noise_probabilities_are_the_samplers_distribution():
    from skw2v._core.vocab import noise_sampler, noise_weights
    from skw2v._fitting.parallel import noise_probabilities

    counts = np.array([50, 7, 7, 1, 300, 2])
    q = noise_probabilities(noise_sampler(counts), counts.size)
    w = noise_weights(counts)
    np.testing.assert_allclose(q, w / w.sum(), rtol=1e-6)
    np.testing.assert_array_equal(noise_probabilities(None, 4), np.zeros(4))


def test_many_shards_on_a_skewed_vocabulary_do_not_blow_up(monkeypatch):
    """Adding the shards' changes overshoots on frequent rows; the per-row rule does not."""
    import skw2v._fitting.parallel as parallel

    rng = np.random.default_rng(0)
    docs = [[f"w{int(x) % 500}" for x in rng.zipf(1.3, size=300)] for _ in range(200)]
    params = dict(analyzer=list, n_shards=8, syncs_per_epoch=4, epochs=3, min_count=1,
                  random_state=0)
    est = SkipGramVectorizer(**params).fit(docs)
    assert np.all(np.isfinite(est.vectors_))
    assert est.loss_curve_[-1] < est.loss_curve_[0]
    monkeypatch.setattr(parallel, "SATURATION", np.inf)  # the old rule: plain sum
    try:
        summed = SkipGramVectorizer(**params).fit(docs).loss_curve_
    except Exception as exc:  # TrainingDiverged
        assert "diverged" in str(exc)
    else:
        assert summed[-1] > est.loss_curve_[-1]


def test_row_delta_keeps_only_the_changed_rows():
    from skw2v._fitting.parallel import RowDelta

    rng = np.random.default_rng(0)
    delta = np.zeros((50, 4), dtype=np.float32)
    delta[[3, 17, 40]] = rng.normal(size=(3, 4))
    d = RowDelta.of(delta)
    np.testing.assert_array_equal(d.rows, [3, 17, 40])
    assert d.nbytes == 3 * 4 + 3 * 4 * 4 and d.dense_nbytes() == 50 * 4 * 4
    W = rng.normal(size=(50, 4)).astype(np.float32)
    expected = W + delta
    d.add_to(W)
    np.testing.assert_array_equal(W, expected)


def test_hogwild_makes_its_matrices_in_shared_memory_only(planted, monkeypatch):
    """With n_jobs=2 the input matrix (here mostly subword buckets) is made in the
    workers' shared map, never first as a private array that is then copied."""
    import tracemalloc

    from skw2v._fitting import trainer

    n_buckets, dim = 100_000, 32
    peaks = []
    start = trainer._start

    def measured_start(*args, **kwargs):
        tracemalloc.reset_peak()  # from the matrices' creation on
        return start(*args, **kwargs)

    def record(est, info):
        peaks.append(tracemalloc.get_traced_memory()[1])
        return False

    monkeypatch.setattr(trainer, "_start", measured_start)
    tracemalloc.start()
    try:
        # subsample=0: subsampling's token buffer is not what this test is about
        SkipGramVectorizer(n_components=dim, min_count=1, epochs=1, n_jobs=2, random_state=0,
                           subsample=0.0, char_ngram_range=(3, 5), n_buckets=n_buckets,
                           callbacks=[record]).fit(list(planted[0]))
    finally:
        tracemalloc.stop()
    # NumPy's allocations are traced, the maps are not: the 12.8 MB input matrix
    # must not appear (drawing it in blocks takes about 4 MB)
    assert peaks and peaks[0] < n_buckets * dim * 4 / 2


def _replica_fit(docs, params, monkeypatch, drop_after=()):
    """A synced fit that records what every task was sent, dropping the (driver-thread,
    n_jobs=1) replica after the rounds listed in ``drop_after``."""
    from skw2v._fitting import parallel

    log, stale, rounds = [], [], []
    combine = parallel._combine_round

    def combining(*args, **kwargs):
        out = combine(*args, **kwargs)
        rounds.append(len(rounds))
        if len(rounds) in drop_after:
            parallel.drop_replica()  # as a worker thread that ran no shard of a round
        return out

    monkeypatch.setattr(parallel, "_combine_round", combining)
    monkeypatch.setattr(parallel, "ROUND_LOG", log)
    monkeypatch.setattr(parallel, "STALE_LOG", stale)
    est = SkipGramVectorizer(**params, n_jobs=1).fit(docs)
    return est, log, stale


def test_rounds_after_the_first_send_only_the_changed_rows(synced, monkeypatch):
    """Workers keep the synchronised vectors between rounds: only the first round of an
    epoch ships both matrices, later ones the rows the last combination changed."""
    rng = np.random.default_rng(0)
    docs = [" ".join(f"w{x}" for x in rng.integers(0, 3000, 30)) for _ in range(200)]
    params = {**synced, "syncs_per_epoch": 4, "epochs": 1, "n_negatives": 2}
    est, log, stale = _replica_fit(docs, params, monkeypatch)
    dense = (est.vectors_.nbytes + est.output_vectors_.nbytes)
    sent = [s for _, _, s in log]
    assert len(sent) == 4 * 3 and stale == []
    assert sent[:3] == [dense] * 3  # round 1: the whole matrices
    assert all(0 < s < dense for s in sent[3:])


def test_a_worker_whose_replica_fell_behind_gets_the_whole_matrices(planted, synced,
                                                                   monkeypatch):
    """A worker that missed a round cannot apply only the last round's rows: it answers
    STALE, gets the whole matrices, and the fit is the same bit for bit."""
    docs = list(planted[0])
    params = {**synced, "syncs_per_epoch": 4}
    reference, _, none = _replica_fit(docs, params, monkeypatch)
    est, log, stale = _replica_fit(docs, params, monkeypatch, drop_after=(1, 3))
    assert none == [] and stale == [1, 1]  # n_jobs=1: one task runs the 3 shards of a round
    np.testing.assert_array_equal(est.vectors_, reference.vectors_)
    np.testing.assert_array_equal(est.output_vectors_, reference.output_vectors_)
    np.testing.assert_array_equal(est.loss_curve_, reference.loss_curve_)


def test_auto_syncs_give_each_shard_short_rounds():
    from skw2v._fitting.parallel import rounds_per_epoch, shard_round_tokens, short_rounds
    from skw2v._params import MAX_SLICES

    assert rounds_per_epoch(3, 10**9, 8) == 3
    assert rounds_per_epoch("auto", 10**6, 1) == 1  # one shard: sequential, no rounds
    assert rounds_per_epoch("auto", 100, 4) == 1
    # about 8k tokens per round over all shards, 1k to 4k per shard
    assert [shard_round_tokens(k) for k in (1, 2, 4, 8, 16, 64)] == [
        4096, 4096, 2048, 1024, 1024, 1024]
    n = 17_000_000
    assert rounds_per_epoch("auto", n, 8) == -(-n // (8 * 1024))
    assert rounds_per_epoch("auto", 10**12, 16) == MAX_SLICES // 16
    # the step of one worker only when the rounds are short against the epoch
    assert short_rounds("auto", n, 8) and not short_rounds(8, n, 8)
    assert not short_rounds("auto", 100_000, 8)


def test_auto_syncs_per_epoch_trains_like_the_same_explicit_count(planted, small_params,
                                                                   monkeypatch):
    from skw2v._fitting import parallel

    docs = list(planted[0])
    n_tokens = sum(len(d.split()) for d in docs)
    monkeypatch.setattr(parallel, "SHARD_ROUND_TOKENS", (100, 200))
    auto = SkipGramVectorizer(**small_params, n_shards=2, syncs_per_epoch="auto").fit(docs)
    rounds = parallel.rounds_per_epoch("auto", n_tokens, 2)
    assert rounds > 1
    explicit = SkipGramVectorizer(**small_params, n_shards=2, syncs_per_epoch=rounds).fit(docs)
    np.testing.assert_array_equal(auto.vectors_, explicit.vectors_)


def test_each_worker_runs_one_task_per_round(planted, synced, monkeypatch):
    """The round's shards are grouped into one task per worker (fewer round trips),
    in contiguous groups, and the result does not change."""
    from skw2v._fitting import parallel

    docs = list(planted[0])
    calls = []
    train = parallel.train_slice_on_copy

    def counting(model, W_in, W_out, settings, slices):
        if not (model.dense and model.version > 0):  # not a stale worker's second try
            calls.append([s[2] for s in slices])  # the slices' first centers
        return train(model, W_in, W_out, settings, slices)

    monkeypatch.setattr(parallel, "train_slice_on_copy", counting)
    params = {**synced, "n_shards": 5, "syncs_per_epoch": 2, "epochs": 1}
    with parallel_config(backend="threading", n_jobs=2):
        grouped = SkipGramVectorizer(**params).fit(docs)
    assert sorted(len(c) for c in calls) == [2, 2, 3, 3]  # 2 rounds x 2 tasks, 5 shards
    assert all(c == sorted(c) for c in calls)
    monkeypatch.setattr(parallel, "train_slice_on_copy", train)
    alone = SkipGramVectorizer(**params, n_jobs=1).fit(docs)
    np.testing.assert_array_equal(grouped.vectors_, alone.vectors_)


def test_auto_learning_rate_of_synchronised_shards(monkeypatch):
    """Short rounds get the single worker's step, at most 0.05; long rounds keep 0.025."""
    from skw2v._fitting import parallel

    rng = np.random.default_rng(0)
    docs = [" ".join(f"w{x}" for x in rng.zipf(1.5, 50) % 300) for _ in range(400)]
    monkeypatch.setattr(parallel, "SHARD_ROUND_TOKENS", (100, 100))  # 20k tokens: 200 rounds
    params = dict(min_count=1, epochs=1, n_components=8, random_state=0)
    one = SkipGramVectorizer(**params).fit(docs).learning_rate_
    short = SkipGramVectorizer(**params, n_shards=2).fit(docs).learning_rate_
    long = SkipGramVectorizer(**params, n_shards=2, syncs_per_epoch=2).fit(docs).learning_rate_
    assert one == pytest.approx(0.1) and short == pytest.approx(0.05)
    assert long == pytest.approx(0.025)
    monkeypatch.setattr(parallel, "SHARD_ROUND_TOKENS", (10_000, 10_000))  # 1 round
    assert SkipGramVectorizer(**params, n_shards=2).fit(docs).learning_rate_ == 0.025


def test_client_garbage_is_collected_only_past_its_budget(monkeypatch):
    """Cluster rounds leave cyclic garbage in the client; it is collected (and the heap
    trimmed) once the resident set grew by the budget, not after every round."""
    import gc

    from skw2v._fitting import parallel

    rss = iter([100, 150, 250, 400, 400, 450])  # MB at creation, then after rounds
    monkeypatch.setattr(parallel, "_resident_bytes", lambda: next(rss) << 20)
    collected = []
    monkeypatch.setattr(gc, "collect", lambda *a: collected.append("gc") or 0)
    monkeypatch.setattr(parallel, "release_free_memory", lambda: collected.append("trim"))
    garbage = parallel.ClientGarbage(256 << 20)
    assert [garbage.after_round() for _ in range(2)] == [False, False]  # 150, 250 MB
    assert garbage.after_round() and collected == ["gc", "trim"]  # 400 MB: 300 over
    assert not garbage.after_round()  # measured again after collecting: 450 - 400
    monkeypatch.setattr(parallel, "_resident_bytes", lambda: None)  # no /proc
    blind = parallel.ClientGarbage(0)
    assert sum(blind.after_round() for _ in range(32)) == 2  # every 16 rounds


def _kept_setup(tmp_path, n=20_000, n_words=50):
    from skw2v._data.store import Workspace

    rng = np.random.default_rng(0)
    ids = rng.integers(0, n_words, n).astype(np.int32)
    offsets = np.array([0, 7_000, 13_000, n], dtype=np.int64)
    keep_prob = np.linspace(0.2, 1.0, n_words)
    return ids, offsets, keep_prob, Workspace(None, tmp_path)


def test_kept_tokens_made_ahead_equal_those_made_when_asked(tmp_path):
    """Hogwild subsamples the next epoch while the workers train: each epoch's tokens
    equal those made when asked, and preparing the next epoch leaves the tokens the
    workers are reading untouched (the buffers are used by turns)."""
    from skw2v._fitting.shared import shared_space
    from skw2v._fitting.trainer import KeptTokens

    ids, offsets, keep_prob, workspace = _kept_setup(tmp_path)
    plain = KeptTokens(ids, offsets, keep_prob, workspace)
    with shared_space(KeptTokens.buffer_bytes(ids), tmp_path) as allocate:
        ahead = KeptTokens(ids, offsets, keep_prob, workspace, ahead=True, allocate=allocate)
        kept, kept_off = ahead.get(7, 0)
        for epoch in range(4):
            expect, expect_off = plain.get(7, epoch)
            np.testing.assert_array_equal(kept, expect)
            np.testing.assert_array_equal(kept_off, expect_off)
            in_use = np.array(kept)
            ahead.prepare(7, epoch + 1)  # while the workers read ``kept``
            np.testing.assert_array_equal(kept, in_use)
            assert isinstance(kept, np.memmap)  # the workers open it in place
            kept, kept_off = ahead.get(7, epoch + 1)
        assert not np.array_equal(plain.get(7, 0)[0], plain.get(7, 1)[0])


def test_kept_tokens_without_subsampling_are_copied_to_a_buffer_once(tmp_path):
    from skw2v._fitting.shared import shared_space
    from skw2v._fitting.trainer import KeptTokens

    ids, offsets, _, workspace = _kept_setup(tmp_path)
    with shared_space(KeptTokens.buffer_bytes(ids), tmp_path) as allocate:
        kept = KeptTokens(ids, offsets, np.ones(50), workspace, ahead=True, allocate=allocate)
        first, off = kept.get(1, 0)
        kept.prepare(1, 1)
        second, _ = kept.get(1, 1)
        assert isinstance(first, np.memmap) and isinstance(second, np.memmap)
        np.testing.assert_array_equal(first, ids)
        np.testing.assert_array_equal(second, ids)
        np.testing.assert_array_equal(off, offsets)


def test_hogwild_epochs_train_on_the_same_kept_tokens_as_one_job(planted, small_params,
                                                                 monkeypatch):
    """With the next epoch subsampled ahead, every Hogwild epoch still gets its own
    draw: the same tokens as the one-job fit, epoch by epoch."""
    from skw2v._fitting import parallel

    seen = {1: [], 2: []}
    train_epoch = parallel.train_epoch

    def recording(W_in, W_out, ids, offsets, **kwargs):
        seen[n_jobs].append(np.array(ids))
        return train_epoch(W_in, W_out, ids, offsets, **kwargs)

    from skw2v._fitting import trainer

    monkeypatch.setattr(trainer, "train_epoch", recording)
    params = {**small_params, "epochs": 3, "subsample": 1e-3}
    for n_jobs in (1, 2):
        SkipGramVectorizer(**params, n_jobs=n_jobs).fit(planted[0])
    assert len(seen[2]) == 3
    for one, two in zip(seen[1], seen[2], strict=True):
        np.testing.assert_array_equal(one, two)
    assert not np.array_equal(seen[2][0], seen[2][1])


def test_warm_up_starts_the_workers_that_training_then_uses():
    """The warm-up's workers are the pool that the epochs' tasks run in (joblib keeps
    one reusable process pool), so the first epoch does not start a new one."""
    import os

    from joblib import Parallel, delayed

    from skw2v._fitting.parallel import Strategy, warm_up

    with warm_up(Strategy("serial", 1, None, 1, True)) as ready:
        assert ready() is None
    with warm_up(Strategy("hogwild", 2, None, 1, True)) as ready:
        pids = ready()
    assert pids and os.getpid() not in pids
    later = set(Parallel(n_jobs=2)(delayed(os.getpid)() for _ in range(8)))
    assert pids & later


def test_an_error_while_the_workers_warm_up_is_raised_alone():
    """Bad input found while the vocabulary is built (the Hogwild workers still
    starting): the user gets the error, and no warning about cancelled tasks."""
    import gc
    import warnings

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(ValueError, match="min_count=10"):
            SkipGramVectorizer(analyzer=list, n_jobs=2, min_count=10).fit([["a", "b"]] * 3)
        gc.collect()
    assert [str(w.message) for w in caught] == []


def test_a_smaller_saturation_never_makes_a_factor_larger():
    """Short rounds shrink the saturation with the step; every row's factor then
    moves towards averaging (1/shards that touched it), never above the constant's."""
    from skw2v._fitting.parallel import combine_weights

    rng = np.random.default_rng(0)
    counts = rng.exponential(20.0, size=(8, 500)) * (rng.random((8, 500)) < 0.6)
    touched = np.maximum((counts > 0).sum(axis=0), 1)
    previous = combine_weights(counts, 30.0)
    for saturation in (15.0, 3.0, 0.3, 1e-4):
        factor = combine_weights(counts, saturation)
        assert np.all(factor <= previous + 1e-12)
        assert np.all(factor >= 1.0 / touched - 1e-12)
        previous = factor
    np.testing.assert_allclose(combine_weights(counts, 1e-6), 1.0 / touched, rtol=1e-9)


def test_short_rounds_combine_with_the_saturation_of_their_step(monkeypatch):
    """Only short ("auto") rounds pass their learning rate to the combination, and
    its saturation is SATURATION below SATURATION_LR's step, in proportion below."""
    from skw2v._fitting import parallel

    seen = []
    weights = parallel.combine_weights

    def recording(counts, saturation):
        seen.append(saturation)
        return weights(counts, saturation)

    monkeypatch.setattr(parallel, "combine_weights", recording)
    # rounds of 1k tokens: a small corpus makes many
    monkeypatch.setattr(parallel, "ROUND_TOKENS", 1024)
    monkeypatch.setattr(parallel, "SHARD_ROUND_TOKENS", (256, 512))
    rng = np.random.default_rng(0)
    docs = [[f"w{i}" for i in rng.zipf(1.3, 300) % 200] for _ in range(200)]
    params = dict(analyzer=list, n_components=8, min_count=1, epochs=1, subsample=0,
                  n_shards=2, random_state=0, learning_rate=0.04, min_learning_rate=0.0001)
    SkipGramVectorizer(**params, syncs_per_epoch=4).fit(docs)
    assert set(seen) == {parallel.SATURATION}
    seen.clear()
    SkipGramVectorizer(**params).fit(docs)  # "auto": short rounds
    assert len(seen) >= 2 * parallel.SHORT_ROUNDS
    assert max(seen) == parallel.SATURATION  # the step starts above 0.025
    assert min(seen) < 0.05 * parallel.SATURATION  # and ends near 0
    assert seen == sorted(seen, reverse=True)


def test_union_rows_is_the_sorted_union_of_the_shards_rows():
    """``_union_rows`` marks rows in a mask instead of sorting their concatenation: the
    result must be the increasing, duplicate-free union, as int32, also with a shard
    that changed no row."""
    from skw2v._fitting.parallel import RowDelta, _union_rows

    rng = np.random.default_rng(3)
    n = 500
    deltas = []
    for k in (120, 0, 300):
        rows = np.sort(rng.choice(n, k, replace=False))
        deltas.append(RowDelta.of(rng.normal(size=(k, 3)).astype(np.float32), rows, n))
    union = _union_rows(deltas)
    expected = np.unique(np.concatenate([d.rows for d in deltas]))
    assert union.dtype == np.int32
    np.testing.assert_array_equal(union, expected)
    assert union.size < 420  # the two shards' rows overlap
