"""Mini-batch SGD stays stable when a batch repeats rows (the step bound).

Each test here fails with plain summed mini-batch steps: the one-word and
two-word corpora diverge at the defaults without :func:`skw2v.losses.bound_steps`.
"""

import math

import numpy as np
import pytest

import skw2v._core.rowsum as rowsum
import skw2v.losses as losses
from skw2v import SkipGramVectorizer
from skw2v._core.sgd import generic_step, window_groups
from skw2v.losses import NegativeSamplingLoss, SoftmaxLoss, bound_steps, scatter_add

K = 5
#: Minimum of the negative-sampling loss of the pair (w, w) with all negatives
#: equal to w: sigma(s) = 1 / (K + 1) gives log(K + 1) + K log((K + 1) / K).
ONE_WORD_OPTIMUM = math.log(K + 1) + K * math.log((K + 1) / K)


def test_bound_steps_keeps_safe_rows_and_scales_the_others():
    steps = np.array([[1.0, 2.0], [3.0, 4.0], [-6.0, 8.0]])
    lr_c = np.array([0.5, -1.0, 4.0])  # sign of the scale does not matter
    out = steps.copy()
    bound_steps(out, lr_c)
    np.testing.assert_array_equal(out[:2], steps[:2])  # bit for bit
    np.testing.assert_allclose(out[2], steps[2] / 4.0)


@pytest.mark.parametrize("loss", [NegativeSamplingLoss(), SoftmaxLoss()])
def test_curvature_bounds_the_hessian_trace(loss):
    """Finite differences of the gradient: the reported curvature is never below
    the Hessian trace, including at saturated scores."""
    rng = np.random.default_rng(0)
    n, V, d = 4, 6, 3
    for scale in (0.1, 1.0, 5.0):
        v = rng.normal(scale=scale, size=(n, d))
        U = rng.normal(scale=scale, size=(V, d))
        o = rng.integers(0, V, n)
        neg = rng.integers(0, V, (n, K)) if loss.requires_negatives else None
        c_center, c_out = loss.curvature(v, o, U, neg)
        eps = 1e-5
        for i in range(n):  # trace along center vector i
            trace = 0.0
            for j in range(d):
                vp, vm = v.copy(), v.copy()
                vp[i, j] += eps
                vm[i, j] -= eps
                gp = loss.loss_and_grad(vp, o, U, neg).grad_center[i, j]
                gm = loss.loss_and_grad(vm, o, U, neg).grad_center[i, j]
                trace += (gp - gm) / (2 * eps)
            assert trace <= c_center[i] * (1 + 1e-6) + 1e-9
        # trace along each output row, summed over the batch (rows add up)
        out = loss.loss_and_grad(v, o, U, neg)
        bound = np.zeros(V)
        np.add.at(bound, out.output_rows, c_out)
        for w in range(V):
            trace = 0.0
            for j in range(d):
                Up, Um = U.copy(), U.copy()
                Up[w, j] += eps
                Um[w, j] -= eps
                gp = np.zeros((V, d))
                gm = np.zeros((V, d))
                a = loss.loss_and_grad(v, o, Up, neg)
                b = loss.loss_and_grad(v, o, Um, neg)
                scatter_add(gp, a.output_rows, a.grad_output)
                scatter_add(gm, b.output_rows, b.grad_output)
                trace += (gp[w, j] - gm[w, j]) / (2 * eps)
            assert trace <= bound[w] * (1 + 1e-6) + 1e-9


def repeated_batch():
    """One window repeated: row 0 is the input of every pair and every output row."""
    rng = np.random.default_rng(1)
    W_in = rng.normal(scale=0.5, size=(3, 4))
    W_out = rng.normal(scale=0.5, size=(3, 4))
    position = np.repeat(np.arange(40), 6)
    group, indptr = window_groups(position)
    targets = np.zeros(40, dtype=np.intp)
    inputs = np.zeros(position.size, dtype=np.intp)
    negatives = np.zeros((40, K), dtype=np.intp)
    return W_in, W_out, inputs, group, indptr, targets, negatives


def test_fused_and_generic_steps_bound_a_repeated_row_the_same_way(fused_step):
    W_in, W_out, inputs, group, indptr, targets, neg = repeated_batch()
    a_in, a_out = W_in.copy(), W_out.copy()
    b_in, b_out = W_in.copy(), W_out.copy()
    fused_step(a_in, a_out, inputs, indptr, targets, neg, 0.5)
    generic_step(b_in, b_out, inputs, group, targets, neg, 0.5, NegativeSamplingLoss())
    np.testing.assert_allclose(a_in, b_in, rtol=1e-12)
    np.testing.assert_allclose(a_out, b_out, rtol=1e-12)
    # the step of row 0 is the bounded one: lr * C = 1 exactly, C the Hessian
    # trace sum sigma'(s) ||u||^2 over its pairs (every score is the same here)
    sig = 1.0 / (1.0 + np.exp(-W_in[0] @ W_out[0]))
    c_in = (K + 1) * sig * (1 - sig) * np.sum(W_out[0] ** 2) * inputs.size
    g = NegativeSamplingLoss().loss_and_grad(W_in[inputs], targets[group], W_out, neg[group])
    expected = W_in[0] - g.grad_center.sum(axis=0) / c_in
    np.testing.assert_allclose(a_in[0], expected, rtol=1e-10)
    assert 0.5 * c_in > 1  # the bound was needed


def test_repeated_row_step_without_the_bound_overshoots(monkeypatch, fused_step):
    """The same batch with the bound off moves row 0 by lr * C times more."""
    W_in, W_out, inputs, group, indptr, targets, neg = repeated_batch()
    a_in, a_out = W_in.copy(), W_out.copy()
    fused_step(a_in, a_out, inputs, indptr, targets, neg, 0.5)
    monkeypatch.setattr(rowsum, "MAX_STEP_CURVATURE", math.inf)
    b_in, b_out = W_in.copy(), W_out.copy()
    fused_step(b_in, b_out, inputs, indptr, targets, neg, 0.5)
    ratio = np.linalg.norm(b_in[0] - W_in[0]) / np.linalg.norm(a_in[0] - W_in[0])
    assert ratio > 10


@pytest.mark.parametrize("params", [{}, {"batch_size": 4096}, {"learning_rate": 0.1}])
def test_one_word_corpus_converges_to_the_analytic_optimum(params):
    """Every pair is (w, w) with w as every negative: plain summed steps diverge;
    the bounded ones reach the loss minimum log(K+1) + K log((K+1)/K)."""
    vec = SkipGramVectorizer(n_components=20, n_negatives=K, subsample=0, random_state=0,
                             **params).fit(["spam " * 20_000])
    assert np.all(np.isfinite(vec.loss_curve_))
    assert vec.loss_curve_[-1] == pytest.approx(ONE_WORD_OPTIMUM, abs=0.01)
    assert vec.loss_curve_[-1] < vec.loss_curve_[0]


def test_one_word_corpus_diverges_without_the_bound(monkeypatch):
    """Guards the test above: it does exercise the bound."""
    monkeypatch.setattr(rowsum, "MAX_STEP_CURVATURE", math.inf)
    from skw2v import TrainingDiverged

    with pytest.raises(TrainingDiverged):
        SkipGramVectorizer(n_components=20, subsample=0, random_state=0).fit(["spam " * 20_000])


@pytest.mark.parametrize("loss", ["negative_sampling", "softmax"])
def test_two_alternating_words_train_with_both_losses(loss):
    vec = SkipGramVectorizer(n_components=10, loss=loss, subsample=0, learning_rate=0.1,
                             random_state=0).fit(["ping pong " * 5_000])
    assert np.all(np.isfinite(vec.vectors_))
    assert vec.loss_curve_[-1] < vec.loss_curve_[0]


def test_custom_loss_without_curvature_still_trains():
    """The protocol's curvature is optional: None means plain summed steps."""

    class Plain(NegativeSamplingLoss):
        def curvature(self, *args):
            return None

    docs = ["the cat sat on the mat and the dog sat on the log"] * 30
    a = SkipGramVectorizer(n_components=8, min_count=1, subsample=0, loss=Plain(),
                           learning_rate=0.025, batch_size=64, random_state=0).fit(docs)
    assert np.all(np.isfinite(a.vectors_))


def test_auto_learning_rate_is_large_on_small_corpora_and_saved(tmp_path):
    docs = ["the cat sat on the mat and the dog sat on the log"] * 30
    small = dict(n_components=8, min_count=1, epochs=2, subsample=0, random_state=0)
    auto = SkipGramVectorizer(**small).fit(docs)
    assert auto.get_params()["learning_rate"] == "auto"
    assert auto.learning_rate_ == pytest.approx(0.1)  # capped: a few hundred tokens
    fixed = SkipGramVectorizer(**small, learning_rate=0.1).fit(docs)
    np.testing.assert_array_equal(auto.vectors_, fixed.vectors_)  # same step, same result
    low = SkipGramVectorizer(**small, learning_rate=0.025).fit(docs)
    assert low.learning_rate_ == 0.025
    path = tmp_path / "m.npz"
    low.save(path)
    assert SkipGramVectorizer.load(path).learning_rate_ == 0.025


def test_min_learning_rate_above_the_auto_floor_is_refused():
    with pytest.raises(ValueError, match="min_learning_rate"):
        SkipGramVectorizer(min_learning_rate=0.05).fit(["a b c d"] * 10)


def test_curvature_weights_are_the_sigmoid_curvature_with_a_floor():
    s = np.array([-30.0, -2.0, 0.0, 1.0, 3.0, 30.0])
    sig = 1.0 / (1.0 + np.exp(-s))
    for y in (0.0, 1.0):
        h = losses.curvature_weights(sig - y)
        true = sig * (1 - sig)
        assert np.all(h >= true - 1e-15)
        wrong = np.abs(sig - y) > 0.75  # confidently wrong: floored at |g| / 4
        np.testing.assert_allclose(h[~wrong], true[~wrong], rtol=1e-12)
        np.testing.assert_allclose(h[wrong], np.abs(sig - y)[wrong] / 4, rtol=1e-12)


def test_ns_curvature_equals_the_hessian_trace_where_not_saturated():
    """Away from confident mistakes the bound is the trace itself, not a loose bound."""
    rng = np.random.default_rng(2)
    v = rng.normal(scale=0.3, size=(3, 4))
    U = rng.normal(scale=0.3, size=(5, 4))
    o = np.array([0, 1, 2])
    neg = rng.integers(0, 5, (3, K))
    c_center, _ = NegativeSamplingLoss().curvature(v, o, U, neg)
    rows = np.concatenate((o[:, None], neg), axis=1)
    sig = 1.0 / (1.0 + np.exp(-np.einsum("nd,nkd->nk", v, U[rows])))
    trace = np.sum(sig * (1 - sig) * np.sum(U[rows] ** 2, axis=2), axis=1)
    np.testing.assert_allclose(c_center, trace, rtol=1e-12)
