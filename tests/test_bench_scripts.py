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
