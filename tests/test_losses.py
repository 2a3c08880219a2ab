"""Gradient checks and golden values for the NumPy loss core."""

import pickle

import numpy as np
import pytest
from sklearn.base import clone

from skw2v.gradcheck import check_gradient
from skw2v.losses import (
    LOSSES,
    NegativeSamplingLoss,
    SkipGramLoss,
    SoftmaxLoss,
    get_loss,
    log_sigmoid,
    scatter_add,
    sigmoid,
    sigmoid_grad,
    skipgram_loss_and_grad,
    softmax,
)

TOL_MAX = 1e-6
TOL_MEAN = 1e-8


def dense_output_grad(out, shape):
    g = np.zeros(shape)
    scatter_add(g, out.output_rows, out.grad_output)
    return g


def make_problem(n_pairs, n_words=7, dim=4, k=3, seed=0, scale=1.0):
    rng = np.random.default_rng(seed)
    v = rng.normal(scale=scale, size=(n_pairs, dim))
    U = rng.normal(scale=scale, size=(n_words, dim))
    o = rng.integers(0, n_words, n_pairs)
    neg = rng.integers(0, n_words, (n_pairs, k))
    return v, U, o, neg


def check_loss(loss, v, U, o, neg, tol_max=TOL_MAX, tol_mean=TOL_MEAN, atol=1e-8,
               eps=1e-6):
    out = loss.loss_and_grad(v, o, U, neg)

    def f_v(x):
        return loss.loss_and_grad(x, o, U, neg).loss

    def f_u(x):
        return loss.loss_and_grad(v, o, x, neg).loss

    rv = check_gradient(f_v, v.copy(), out.grad_center, atol=atol, eps=eps)
    ru = check_gradient(f_u, U.copy(), dense_output_grad(out, U.shape), atol=atol,
                        eps=eps)
    assert rv.max_rel_error < tol_max, rv
    assert rv.mean_rel_error < tol_mean, rv
    assert ru.max_rel_error < tol_max, ru
    assert ru.mean_rel_error < tol_mean, ru
    # guard against a vacuous pass: gradients are not all zero
    assert np.abs(out.grad_center).max() > 1e-3
    return out


# ---------------------------------------------------------------- elementary
def test_softmax_shift_invariance():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(5, 9))
    for c in (-1000.0, -3.0, 0.5, 1000.0):
        np.testing.assert_allclose(softmax(x + c), softmax(x), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(softmax(x).sum(axis=1), 1.0)


def test_softmax_matches_definition():
    x = np.array([[1.0, 2.0, 3.0]])
    e = np.exp(x)
    np.testing.assert_allclose(softmax(x), e / e.sum())


def test_softmax_and_sigmoid_finite_at_extremes():
    x = np.array([[1000.0, -1000.0, 0.0], [-1000.0, -1000.0, -1000.0]])
    p = softmax(x)
    assert np.all(np.isfinite(p))
    np.testing.assert_allclose(p[0], [1.0, 0.0, 0.0])
    np.testing.assert_allclose(p[1], [1 / 3] * 3)
    xs = np.array([-1000.0, 1000.0])
    assert np.all(np.isfinite(sigmoid(xs)))
    assert np.all(np.isfinite(sigmoid_grad(xs)))
    assert np.all(np.isfinite(log_sigmoid(xs)))
    np.testing.assert_allclose(log_sigmoid(np.array([-1000.0])), [-1000.0])


def test_sigmoid_grad_matches_finite_difference():
    x = np.linspace(-8, 8, 33)
    eps = 1e-6
    num = (sigmoid(x + eps) - sigmoid(x - eps)) / (2 * eps)
    np.testing.assert_allclose(sigmoid_grad(x), num, rtol=1e-6, atol=1e-10)
    np.testing.assert_allclose(sigmoid_grad(x), sigmoid(x) * (1 - sigmoid(x)), rtol=1e-10)


# ---------------------------------------------------------------- gradient checks
@pytest.mark.parametrize("n_pairs", [1, 6])
@pytest.mark.parametrize("loss_cls", [NegativeSamplingLoss, SoftmaxLoss])
def test_gradients_match_finite_differences(loss_cls, n_pairs):
    v, U, o, neg = make_problem(n_pairs)
    check_loss(loss_cls(), v, U, o, neg)


def test_negative_sampling_duplicate_negatives_and_positive_as_negative():
    v, U, o, _ = make_problem(4, n_words=5)
    neg = np.array([[1, 1, 1], [o[1], o[1], 2], [0, 0, 4], [3, o[3], 3]])
    out = check_loss(NegativeSamplingLoss(), v, U, o, neg)
    # duplicates really are present in the sparse rows
    assert len(np.unique(out.output_rows)) < len(out.output_rows)


def test_repeated_centers_and_outside_words():
    v, U, o, neg = make_problem(5, n_words=3)
    v[1] = v[0]
    o[:] = 2
    check_loss(NegativeSamplingLoss(), v, U, o, neg)
    check_loss(SoftmaxLoss(), v, U, o, neg)


@pytest.mark.parametrize("loss_cls", [NegativeSamplingLoss, SoftmaxLoss])
def test_saturated_logits(loss_cls):
    # scores of magnitude ~ 40: sigmoid saturates in float64, loss stays finite
    v, U, o, neg = make_problem(3, scale=3.0, dim=4)
    v *= 3.0
    out = loss_cls().loss_and_grad(v, o, U, neg)
    assert np.isfinite(out.loss)
    assert np.all(np.isfinite(out.grad_center))
    # Saturated coordinates have gradients down to ~1e-17, and central differences
    # on a loss of magnitude ~100-200 carry ~1e-8 absolute rounding noise. So the
    # denominator of the relative error is floored at 0.05: coordinates smaller
    # than that must agree to 5e-8 absolute, all others to 1e-6 relative. A step
    # of 1e-5 balances truncation and rounding error at this loss magnitude.
    check_loss(loss_cls(), v, U, o, neg, atol=0.05, eps=1e-5)


@pytest.mark.parametrize("loss_cls", [NegativeSamplingLoss, SoftmaxLoss])
def test_extreme_logits_finite(loss_cls):
    v = np.array([[1000.0, 0.0]])
    U = np.array([[1.0, 0.0], [-1.0, 0.0], [0.0, 1.0]])
    for o in ([0], [1]):
        out = loss_cls().loss_and_grad(v, np.array(o), U, np.array([[1, 0]]))
        assert np.isfinite(out.loss)
        assert np.all(np.isfinite(out.grad_center))
        assert np.all(np.isfinite(out.grad_output))


def test_skipgram_window_sum_gradients():
    """2(d): the skip-gram loss sums F over the window; only v_c gets a gradient."""
    rng = np.random.default_rng(3)
    n_words, dim = 6, 3
    Vin = rng.normal(size=(n_words, dim))
    Uout = rng.normal(size=(n_words, dim))
    center = np.array([2, 2, 2, 2])  # one center, window of 4 outside words
    outside = np.array([0, 1, 3, 1])
    neg = rng.integers(0, n_words, (4, 2))
    for loss in ("negative_sampling", "softmax"):
        total, in_rows, g_in, out_rows, g_out = skipgram_loss_and_grad(
            Vin, Uout, center, outside, loss, neg)
        dense_in = np.zeros_like(Vin)
        scatter_add(dense_in, in_rows, g_in)
        dense_out = np.zeros_like(Uout)
        scatter_add(dense_out, out_rows, g_out)
        assert np.all(dense_in[[0, 1, 3, 4, 5]] == 0)  # dJ/dv_j = 0 for j != c

        def f_in(x, loss=loss):
            return skipgram_loss_and_grad(x, Uout, center, outside, loss, neg)[0]

        def f_out(x, loss=loss):
            return skipgram_loss_and_grad(Vin, x, center, outside, loss, neg)[0]

        assert check_gradient(f_in, Vin.copy(), dense_in).max_rel_error < TOL_MAX
        assert check_gradient(f_out, Uout.copy(), dense_out).max_rel_error < TOL_MAX
        # the sum over the window equals the sum of single-pair losses
        single = sum(
            get_loss(loss).loss_and_grad(Vin[[2]], outside[[j]], Uout, neg[[j]]).loss
            for j in range(4)
        )
        assert total == pytest.approx(single, rel=1e-12)


# ---------------------------------------------------------------- golden values
def test_softmax_golden_values_tiny_vocabulary():
    # V = 3 words, d = 2. v_c = (1, 0); u = [(1, 0), (0, 1), (-1, 0)]; o = 0.
    v = np.array([[1.0, 0.0]])
    U = np.array([[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0]])
    out = SoftmaxLoss().loss_and_grad(v, np.array([0]), U)
    e, z = np.e, np.e + 1 + 1 / np.e
    p = np.array([e / z, 1 / z, 1 / (e * z)])
    assert out.loss == pytest.approx(-np.log(p[0]), rel=1e-12)
    # dJ/dv_c = -u_o + sum_w p_w u_w
    np.testing.assert_allclose(out.grad_center[0], [-1 + p[0] - p[2], p[1]], rtol=1e-12)
    dense = dense_output_grad(out, U.shape)
    np.testing.assert_allclose(dense[0], [p[0] - 1, 0.0], rtol=1e-12)
    # the corrected sign: dJ/du_w = +p(w|c) v_c for w != o
    np.testing.assert_allclose(dense[1], [p[1], 0.0], rtol=1e-12)
    np.testing.assert_allclose(dense[2], [p[2], 0.0], rtol=1e-12)
    assert dense[1, 0] > 0


def test_negative_sampling_golden_values_tiny_vocabulary():
    v = np.array([[1.0, 2.0]])
    U = np.array([[0.5, 0.0], [0.0, -1.0], [1.0, 1.0]])
    o = np.array([0])
    neg = np.array([[1, 2]])
    out = NegativeSamplingLoss().loss_and_grad(v, o, U, neg)
    s = lambda x: 1 / (1 + np.exp(-x))  # noqa: E731
    so, s1, s2 = 0.5, -2.0, 3.0
    expected = -np.log(s(so)) - np.log(s(-s1)) - np.log(s(-s2))
    assert out.loss == pytest.approx(expected, rel=1e-12)
    gv = (s(so) - 1) * U[0] + s(s1) * U[1] + s(s2) * U[2]
    np.testing.assert_allclose(out.grad_center[0], gv, rtol=1e-12)
    dense = dense_output_grad(out, U.shape)
    np.testing.assert_allclose(dense[0], (s(so) - 1) * v[0], rtol=1e-12)
    np.testing.assert_allclose(dense[1], s(s1) * v[0], rtol=1e-12)
    np.testing.assert_allclose(dense[2], s(s2) * v[0], rtol=1e-12)


# ---------------------------------------------------------------- dtypes, chunks
@pytest.mark.parametrize("loss_cls", [NegativeSamplingLoss, SoftmaxLoss])
def test_float32_matches_float64(loss_cls):
    v, U, o, neg = make_problem(8, n_words=11, dim=5)
    o64 = loss_cls().loss_and_grad(v, o, U, neg)
    o32 = loss_cls().loss_and_grad(v.astype(np.float32), o, U.astype(np.float32), neg)
    assert isinstance(o32.loss, float)
    assert o32.grad_center.dtype == np.float32
    assert o32.loss == pytest.approx(o64.loss, rel=1e-5)
    np.testing.assert_allclose(o32.grad_center, o64.grad_center, rtol=1e-4, atol=1e-5)


def test_softmax_chunking_is_exact():
    v, U, o, _ = make_problem(13, n_words=17, dim=4)
    full = SoftmaxLoss().loss_and_grad(v, o, U)
    tiny = SoftmaxLoss(max_chunk_elements=20).loss_and_grad(v, o, U)  # 1 row at a time
    assert tiny.loss == pytest.approx(full.loss, rel=1e-12)
    np.testing.assert_allclose(tiny.grad_center, full.grad_center, rtol=1e-12)
    np.testing.assert_allclose(tiny.grad_output, full.grad_output, rtol=1e-12, atol=1e-15)


def test_scatter_add_accumulates_duplicates():
    W = np.zeros((4, 2))
    scatter_add(W, np.array([1, 1, 3, 1]), np.array([[1.0, 2.0]] * 4), scale=-0.5)
    np.testing.assert_allclose(W, [[0, 0], [-1.5, -3.0], [0, 0], [-0.5, -1.0]])
    # naive fancy indexing would lose updates: make sure we differ from it
    naive = np.zeros((4, 2))
    naive[np.array([1, 1, 3, 1])] += np.array([[1.0, 2.0]] * 4)
    assert naive[1, 0] == 1.0


# ---------------------------------------------------------------- protocol
def test_registry_and_get_loss():
    assert set(LOSSES) == {"negative_sampling", "softmax"}
    assert isinstance(get_loss("softmax"), SoftmaxLoss)
    assert isinstance(get_loss("negative_sampling"), NegativeSamplingLoss)
    obj = SoftmaxLoss(max_chunk_elements=10)
    assert get_loss(obj) is obj
    with pytest.raises(ValueError, match="Unknown loss 'hinge'"):
        get_loss("hinge")
    with pytest.raises(ValueError, match="loss_and_grad"):
        get_loss(42)


def test_losses_clone_and_pickle():
    for loss in (NegativeSamplingLoss(), SoftmaxLoss(max_chunk_elements=99)):
        c = clone(loss)
        assert c is not loss and c == loss
        p = pickle.loads(pickle.dumps(loss))
        assert p == loss
    assert "max_chunk_elements=99" in repr(SoftmaxLoss(max_chunk_elements=99))


def test_custom_loss_protocol():
    class Squared(SkipGramLoss):
        """A toy loss: J = sum (1 - u_o . v_c)^2 / 2."""

        def __init__(self, margin=1.0):
            self.margin = margin

        def loss_and_grad(self, center_vectors, outside_ids, output_vectors, negative_ids=None):
            u = output_vectors[outside_ids]
            r = self.margin - np.sum(u * center_vectors, axis=1)
            from skw2v.losses import LossOutput
            return LossOutput(float(0.5 * np.sum(r**2)), -r[:, None] * u, outside_ids,
                              -r[:, None] * center_vectors)

    v, U, o, neg = make_problem(4)
    check_loss(Squared(), v, U, o, neg)
    assert clone(Squared(margin=2.0)).margin == 2.0
    assert get_loss(Squared()).requires_negatives is False


def test_input_validation():
    v, U, o, neg = make_problem(3)
    with pytest.raises(ValueError, match="negative_ids"):
        NegativeSamplingLoss().loss_and_grad(v, o, U, None)
    with pytest.raises(ValueError, match="features"):
        SoftmaxLoss().loss_and_grad(v[:, :2], o, U)
    with pytest.raises(ValueError, match="outside_ids"):
        SoftmaxLoss().loss_and_grad(v, o[:2], U)
    with pytest.raises(ValueError, match="max_chunk_elements"):
        SoftmaxLoss(max_chunk_elements=0).loss_and_grad(v, o, U)


def test_negative_sampling_shared_windows_is_a_parameter_and_is_validated():
    """``shared_windows`` clones, shows in the params, and a bad value stops ``fit``."""
    from skw2v import SkipGramVectorizer

    loss = NegativeSamplingLoss(shared_windows=4)
    assert loss.get_params() == {"shared_windows": 4}
    assert clone(loss) == loss != NegativeSamplingLoss()
    assert pickle.loads(pickle.dumps(loss)).windows_per_draw() == 4
    assert NegativeSamplingLoss().windows_per_draw() == 1
    docs = ["a b c d e f a b c d"] * 5
    for bad in (0, -1, 2.5, "4", True):
        with pytest.raises(ValueError, match="shared_windows"):
            SkipGramVectorizer(loss=NegativeSamplingLoss(shared_windows=bad), min_count=1,
                               epochs=1).fit(docs)


def test_negative_sampling_shared_windows_one_is_the_default_bit_for_bit():
    """``shared_windows=1`` draws and trains exactly as the default loss."""
    from skw2v import SkipGramVectorizer

    rng = np.random.default_rng(0)
    docs = [" ".join(f"w{i}" for i in rng.integers(0, 30, 80)) for _ in range(20)]
    params = dict(n_components=8, min_count=1, epochs=2, random_state=3, batch_size=64)
    a = SkipGramVectorizer(**params).fit(docs)
    b = SkipGramVectorizer(loss=NegativeSamplingLoss(shared_windows=1), **params).fit(docs)
    c = SkipGramVectorizer(loss=NegativeSamplingLoss(shared_windows=3), **params).fit(docs)
    np.testing.assert_array_equal(a.vectors_, b.vectors_)
    np.testing.assert_array_equal(a.loss_curve_, b.loss_curve_)
    assert not np.array_equal(a.vectors_, c.vectors_)
