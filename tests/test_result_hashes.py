"""Results pinned bit for bit: SHA-256 hashes of what a fit produces.

Refactoring must not change a single bit of training, transform or score. This
test fits a fixed set of configurations (both built-in losses and custom
losses, ``n_jobs`` 1 and 2 with ``n_shards``, a spilled corpus, streamed
``input='filename'``, every pooling, ``partial_fit`` and ``resume_from``) and
compares SHA-256 hashes of ``vectors_``, ``output_vectors_``,
``loss_curve_``, ``transform`` and ``score`` with the hashes in
``tests/data/result_hashes.json``.

Floating-point results depend on the NumPy/SciPy build and on the BLAS
kernels chosen for the CPU (OpenBLAS picks Haswell or SkylakeX kernels by
the CPU it finds), so the file keeps one set of hashes per environment.
Where no set matches the environment, the recorded hashes cannot be
compared, and the comparison is skipped with the reason (the
configurations still run, and each is checked to reproduce itself).

To record the hashes of this environment, after a change that is meant to
alter results (then record them on every environment the file lists, or
drop the others), or to add an environment when the code has not changed
since the file's hashes were checked on another::

    SKW2V_RECORD_HASHES=1 python -m pytest tests/test_result_hashes.py

and say in the commit message why the numbers changed.

Hogwild training (``n_jobs=2`` without ``n_shards``) races by design and is
not reproducible, so it is not pinned here.
"""

import hashlib
import json
import os
import platform
from pathlib import Path

import numpy as np
import pytest
from scipy.special import expit, log_expit

from skw2v import Checkpoint, SkipGramVectorizer
from skw2v.losses import LossOutput, NegativeSamplingLoss, SkipGramLoss

HASH_FILE = Path(__file__).parent / "data" / "result_hashes.json"
RECORD = os.environ.get("SKW2V_RECORD_HASHES") == "1"
POOLINGS = ("mean", "sum", "max", "tfidf", "sif")


def environment():
    """What the bits depend on: the array libraries and the BLAS kernels."""
    import scipy.linalg  # noqa: F401  (loads SciPy's BLAS too, so both are listed)
    from threadpoolctl import threadpool_info

    blas = sorted(f"{i.get('internal_api')}:{i.get('version')}:{i.get('architecture')}"
                  for i in threadpool_info() if i.get("user_api") == "blas")
    return {"machine": platform.machine(), "numpy": np.__version__,
            "scipy": scipy.__version__, "blas": blas}


def corpus(n_docs=160, seed=7):
    """A Zipfian corpus with topic structure, built from a seeded generator."""
    rng = np.random.default_rng(seed)
    common = [f"c{i}" for i in range(30)]
    topics = [[f"t{t}w{i}" for i in range(25)] for t in range(4)]
    p = 1.0 / np.arange(1, 31)
    p /= p.sum()
    docs = []
    for d in range(n_docs):
        words = topics[d % 4]
        n = int(rng.integers(10, 60))
        mix = rng.random(n) < 0.4
        toks = np.where(mix, rng.choice(common, size=n, p=p), rng.choice(words, size=n))
        docs.append(" ".join(toks))
    return docs


class PlainLogistic(SkipGramLoss):
    """Negative sampling written as a user would, without curvature bounds."""

    requires_negatives = True

    def loss_and_grad(self, center_vectors, outside_ids, output_vectors, negative_ids=None):
        v = np.asarray(center_vectors)
        rows = np.concatenate((np.asarray(outside_ids)[:, None], negative_ids), axis=1)
        U = output_vectors[rows]
        s = np.einsum("nd,nkd->nk", v, U)
        sign = np.ones(rows.shape[1], dtype=s.dtype)
        sign[0] = -1.0
        loss = -float(np.sum(log_expit(-sign * s), dtype=np.float64))
        g = expit(s)
        g[:, 0] -= 1.0
        gc = np.einsum("nk,nkd->nd", g, U)
        go = (g[:, :, None] * v[:, None, :]).reshape(-1, v.shape[1])
        return LossOutput(loss, gc, rows.reshape(-1), go)


class BoundedSquared(SkipGramLoss):
    """A loss without negatives, with its own curvature (squared score error)."""

    requires_negatives = False

    def loss_and_grad(self, center_vectors, outside_ids, output_vectors, negative_ids=None):
        v = np.asarray(center_vectors)
        u = output_vectors[outside_ids]
        r = np.einsum("nd,nd->n", u, v) - 1.0
        loss = 0.5 * float(np.sum(r * r, dtype=np.float64))
        return LossOutput(loss, r[:, None] * u, np.asarray(outside_ids), r[:, None] * v)

    def curvature(self, center_vectors, outside_ids, output_vectors, negative_ids=None):
        u = output_vectors[outside_ids]
        v = np.asarray(center_vectors)
        return np.einsum("nd,nd->n", u, u), np.einsum("nd,nd->n", v, v)


BASE = dict(n_components=12, window=3, min_count=2, epochs=3, batch_size=64, random_state=3)
CONFIGS = {
    "ns": {},
    "ns_float64_subsample0": dict(dtype=np.float64, subsample=0.0),
    "ns_lr_fixed": dict(learning_rate=0.05, n_negatives=3, noise_exponent=0.5),
    # negatives drawn per window, named: the bits of the default before sharing existed
    "ns_per_window": dict(loss=NegativeSamplingLoss(shared_windows=1)),
    "ns_shared_windows4": dict(loss=NegativeSamplingLoss(shared_windows=4)),
    "softmax": dict(loss="softmax"),
    "custom_plain_logistic": dict(loss=PlainLogistic()),
    "custom_bounded_squared": dict(loss=BoundedSquared()),
    "shards2_jobs1": dict(n_shards=2, n_jobs=1),
    "shards2_jobs2": dict(n_shards=2, n_jobs=2),
    "shards3_syncs2": dict(n_shards=3, syncs_per_epoch=2, n_jobs=1),
    "spilled": dict(spill_threshold=1),
    "max_vocab": dict(max_vocab_size=40, min_count=1),
}


def digest(value):
    if isinstance(value, float):
        data = float(value).hex().encode()
    else:
        a = np.ascontiguousarray(value)
        data = f"{a.dtype.str}{a.shape}".encode() + a.tobytes()
    return hashlib.sha256(data).hexdigest()


def fitted_hashes(est, docs):
    out = {
        "vectors_": digest(est.vectors_),
        "output_vectors_": digest(est.output_vectors_),
        "loss_curve_": digest(est.loss_curve_),
        "score": digest(float(est.score(docs[:40]))),
    }
    for pooling in POOLINGS:
        for norm in (None, "l2"):
            est.set_params(pooling=pooling, norm=norm)
            out[f"transform_{pooling}_{norm}"] = digest(est.transform(docs[:50]))
    est.set_params(pooling="mean", norm=None)
    return out


def run_config(name, tmp_path):
    """Hashes of one configuration, with one BLAS thread (the summation order of a
    multi-threaded matrix product depends on the thread count)."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        return _run_config(name, tmp_path)


def _run_config(name, tmp_path):
    tmp_path.mkdir(parents=True, exist_ok=True)
    docs = corpus()
    if name == "streamed_filename":
        paths = []
        for i in range(0, len(docs), 20):
            p = tmp_path / f"part{i}.txt"
            p.write_text("\n".join(docs[i:i + 20]), encoding="utf-8")
            paths.append(str(p))
        est = SkipGramVectorizer(**BASE, input="filename").fit(paths)
        est.set_params(input="content")
        return fitted_hashes(est, docs)
    if name == "several_blocks":
        # centers in many blocks of pairs: the kernel's block loop and the
        # order in which the batch losses add up are covered
        import importlib

        import skw2v

        # the layout before the redesign had skw2v/_sgd.py (for recording there)
        old = os.path.exists(os.path.join(skw2v.__path__[0], "_sgd.py"))
        sgd = importlib.import_module("skw2v._sgd" if old else "skw2v._core.sgd")
        saved = sgd.PAIR_BLOCK
        sgd.PAIR_BLOCK = 500
        try:
            est = SkipGramVectorizer(**{**BASE, "subsample": 0.0}).fit(docs)
        finally:
            sgd.PAIR_BLOCK = saved
        return fitted_hashes(est, docs)
    if name == "partial_fit":
        est = SkipGramVectorizer(**BASE).fit(docs[:100])
        est.partial_fit(docs[100:])
        return fitted_hashes(est, docs)
    if name == "resume_from":
        ckpt = tmp_path / "ckpt.npz"

        def stop_after_two(estimator, info):
            return info.epoch == 1

        SkipGramVectorizer(**BASE, callbacks=[Checkpoint(ckpt), stop_after_two]).fit(docs)
        est = SkipGramVectorizer(**BASE, callbacks=[Checkpoint(ckpt)])
        est.fit(docs, resume_from=ckpt)
        return fitted_hashes(est, docs)
    est = SkipGramVectorizer(**{**BASE, **CONFIGS[name]}).fit(docs)
    return fitted_hashes(est, docs)


ALL = sorted(CONFIGS) + ["streamed_filename", "partial_fit", "resume_from", "several_blocks"]


def recorded_sets():
    """Every ``{"environment": ..., "hashes": ...}`` set of the file (none if it is missing).

    The file is ``{"sets": [...]}``; an older file held one set at its top level.
    """
    if not HASH_FILE.exists():
        return []
    data = json.loads(HASH_FILE.read_text(encoding="utf-8"))
    return data["sets"] if "sets" in data else [data]


def recorded(env=None):
    """The set recorded on ``env`` (this environment by default), or None."""
    env = environment() if env is None else env
    return next((r for r in recorded_sets() if r["environment"] == env), None)


@pytest.fixture(scope="module")
def record_sink():
    sink = {}
    yield sink
    if RECORD and sink:
        HASH_FILE.parent.mkdir(exist_ok=True)
        env = environment()
        sets = recorded_sets()
        old = next((r["hashes"] for r in sets if r["environment"] == env), {})
        sets = [r for r in sets if r["environment"] != env] + [
            {"environment": env, "hashes": {**old, **sink}}]
        HASH_FILE.write_text(json.dumps({"sets": sets}, indent=1, sort_keys=True) + "\n",
                             encoding="utf-8")


@pytest.mark.parametrize("name", ALL)
def test_results_are_bit_identical_to_the_recorded_ones(name, tmp_path, record_sink):
    got = run_config(name, tmp_path)
    # every configuration reproduces itself, whatever the environment
    assert run_config(name, tmp_path / "again") == got
    if RECORD:
        record_sink[name] = got
        return
    sets = recorded_sets()
    assert sets, f"{HASH_FILE} is missing; record it (see the module docstring)."
    ref = recorded()
    if ref is None:
        pytest.skip(f"hashes were recorded on {[r['environment'] for r in sets]}, this is "
                    f"{environment()}: floating-point results cannot be compared across builds")
    assert name in ref["hashes"], f"no recorded hashes for {name}; record them"
    want = ref["hashes"][name]
    differ = sorted(k for k in set(want) | set(got) if want.get(k) != got.get(k))
    assert not differ, f"{name}: results changed in {differ}"


def test_the_shard_count_not_the_job_count_decides_the_result(tmp_path):
    assert (run_config("shards2_jobs1", tmp_path)
            == run_config("shards2_jobs2", tmp_path / "b"))


def test_each_recorded_environment_finds_its_own_hashes():
    """One set of hashes per environment, each found by its own environment."""
    sets = recorded_sets()
    envs = [json.dumps(r["environment"], sort_keys=True) for r in sets]
    assert len(set(envs)) == len(envs)
    for r in sets:
        assert recorded(r["environment"]) == r
        assert set(r["hashes"]) == set(ALL)
