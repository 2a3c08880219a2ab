"""The benchmark scripts' helpers that decide what is measured (no timing is asserted)."""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "benchmarks"))


def test_bench_cpu_ab_reads_a_corpus_given_relative_to_the_callers_folder(tmp_path,
                                                                          monkeypatch):
    """The fits run in ``benchmarks/``; a relative corpus path still names the caller's file.

    With ``shared_windows``, the fit trains with shared negatives (other losses).
    """
    import bench_cpu_ab

    words = [f"w{i % 37}" for i in range(3000)]
    (tmp_path / "tiny.txt").write_text(" ".join(words))
    monkeypatch.chdir(tmp_path)
    plain = bench_cpu_ab.run(ROOT, "tiny.txt", 1)
    shared = bench_cpu_ab.run(ROOT, "tiny.txt", 1, shared_windows=3)
    assert plain["tokens"] == shared["tokens"] == 3000
    assert plain["loss_curve"] != shared["loss_curve"]


def test_tree_memory_keeps_its_own_share_of_a_core_small():
    """A sample that takes long (reading a large process tree's PSS) spaces the next
    ones out, so the sampler takes at most about ``max_share`` of a core from the fit
    it measures; it used to sample every ``interval`` whatever a sample cost."""
    import time

    from _anchors import TreeMemory

    memory = TreeMemory(interval=0.005, max_share=0.1)
    taken = []
    real = memory.sample

    def slow():
        real()
        time.sleep(0.02)
        taken.append(time.perf_counter())

    memory.sample = slow
    with memory:
        time.sleep(0.6)
    # the first and last samples are taken on entering and leaving; the thread's in between
    thread = taken[1:-1]
    gaps = [b - a for a, b in zip(thread[:-1], thread[1:], strict=True)]
    # each sample takes >= 20 ms, so the thread then waits >= 200 ms: at most 3 more
    # samples in 0.6 s (every 25 ms, as before, would be about 24)
    assert 2 <= len(taken) <= 6, taken
    assert all(gap >= 0.2 for gap in gaps), gaps
    assert memory.peak_rss_mb > 0


def test_design_ceiling_steps_compute_the_same_step():
    """``bench_design_ceiling``'s per-window positives give the step of the per-pair ones
    (so the two times compare one computation), at a batch with a shorter last window."""
    import bench_design_ceiling as bench
    import numpy as np
    import pytest

    rng = np.random.default_rng(1)
    for m in (1024, 100):
        batch = bench.make_batch(rng, m, 500, 5)
        a = (rng.normal(size=(500, 16)) * 0.3).astype(np.float32)
        b = (rng.normal(size=(500, 16)) * 0.3).astype(np.float32)
        a2, b2, start = a.copy(), b.copy(), a.copy()
        loss = bench.shared_step(a, b, batch)
        assert bench.mixed_step(a2, b2, batch) == pytest.approx(loss, rel=1e-5)
        assert not np.allclose(a, start)  # the step moved the rows
        np.testing.assert_allclose(a2, a, atol=1e-6)
        np.testing.assert_allclose(b2, b, atol=1e-6)


def test_design_ceiling_text_steps_train_skipgram():
    """``bench_design_ceiling``'s text-shaped steps compute negative sampling: their loss
    and input-row steps equal a per-pair computation, each pair against its window's
    center and its window's (or its group's) negatives."""
    import bench_design_ceiling as bench
    import numpy as np
    import pytest
    from scipy.special import expit, log_expit

    rng = np.random.default_rng(3)
    for step, negatives, key in ((bench.per_window_text_step, "window_negatives", "row_window"),
                                 (bench.grouped_text_step, "group_negatives", "row_group")):
        batch = bench.make_text_batch(rng, 700, 400, 5)
        # every width's windows make at most two stacks of equal groups, covering each row once
        covered = np.zeros(batch["m"], dtype=int)
        for size, g0, g1, r0, r1 in batch["stacks"]:
            assert r1 - r0 == size * (g1 - g0)
            covered[r0:r1] += 1
        assert (covered == 1).all()
        a = (rng.normal(size=(400, 16)) * 0.3).astype(np.float64)
        b = (rng.normal(size=(400, 16)) * 0.3).astype(np.float64)
        v = a[batch["in_words"][batch["local"]]]
        u_pos = b[batch["centers"][batch["row_window"]]]
        u_neg = b[batch[negatives][batch[key]]]  # (m, K, d)
        s_pos = np.einsum("md,md->m", v, u_pos)
        s_neg = np.einsum("md,mkd->mk", v, u_neg)
        loss = -log_expit(s_pos).sum() - log_expit(-s_neg).sum()
        grad_v = (expit(s_pos) - 1)[:, None] * u_pos + np.einsum("mk,mkd->md", expit(s_neg),
                                                                    u_neg)
        expected = a.copy()
        np.add.at(expected, batch["in_words"][batch["local"]], -0.1 * grad_v)
        assert step(a, b, batch, lr=0.1) == pytest.approx(loss, rel=1e-9)
        np.testing.assert_allclose(a, expected, rtol=1e-9, atol=1e-12)


def test_dask_rounds_cpu_budget_is_what_two_cores_allow_beyond_one_worker():
    """``bench_dask_rounds.cpu_budget``: at 1.7x of a 10 s one-worker fit, 2 cores give the
    2-worker fit at most 2 * 10 / 1.7 = 11.76 s of CPU; beyond the one-worker fit's 10.5 s
    that leaves 1.26 s, shared by its 100 rounds (worked out by hand here)."""
    import bench_dask_rounds as bench
    import pytest

    one = dict(fit_seconds=10.0, client_cpu_seconds=10.0, workers_cpu_seconds={"a": 0.5},
               words_per_second=100.0, n_rounds=100)
    two = dict(fit_seconds=7.0, client_cpu_seconds=3.0,
               workers_cpu_seconds={"a": 5.0, "b": 6.0}, words_per_second=150.0, n_rounds=100)
    b = bench.cpu_budget(one, two, target=1.7, cores=2)
    assert b["allowed_cpu_seconds"] == pytest.approx(20 / 1.7)
    assert b["cpu_one_worker"] == pytest.approx(10.5)
    assert b["cpu_two_workers"] == pytest.approx(14.0)
    assert b["allowance_per_round_ms"] == pytest.approx(1e3 * (20 / 1.7 - 10.5) / 100)
    assert b["spent_per_round_ms"] == pytest.approx(35.0)
    assert b["ratio"] == pytest.approx(1.5)


def test_dask_round_timeline_cuts_rounds_into_their_parts():
    """``timeline_dask_rounds.split_rounds``: the first round (dense send) is left out; a
    round whose two shard computations ran from 1.05 to 1.70 and 1.10 to 1.75, inside a
    call from 1.00 to 1.80 and combined from 1.80 to 1.85, waited 0.05 before, 0.05 of
    skew and 0.05 after (worked out by hand); a round with one computation is skipped."""
    import pytest
    import timeline_dask_rounds as tl

    marks = [(0.0, 0.9, 0.9, 0.95), (1.0, 1.8, 1.8, 1.85), (2.0, 2.5, 2.5, 2.6)]
    computes = [(0.1, 0.8), (0.2, 0.85), (1.05, 1.7), (1.1, 1.75), (2.1, 2.4)]
    rounds = tl.split_rounds(marks, computes)
    assert len(rounds) == 1
    r = rounds[0]
    assert r["round"] == pytest.approx(0.8)
    assert r["before"] == pytest.approx(0.05)
    assert r["compute"] == pytest.approx([0.65, 0.65])
    assert r["skew"] == pytest.approx(0.05)
    assert r["after"] == pytest.approx(0.05)
    assert r["combine"] == pytest.approx(0.05)
