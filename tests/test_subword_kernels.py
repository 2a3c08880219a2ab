"""Subword (composed) input vectors in the training kernels.

The exact gradient of the composed input vectors is checked against finite
differences (``skw2v.gradcheck``); the training step is checked against its
formula (the exact gradient with each word's share scaled by its number of
rows, halved on bucket rows, each row's step bounded by the summed curvature of
its words); the
fused negative-sampling kernel against the generic path.
"""

import numpy as np
import pytest

from skw2v._core import composed
from skw2v._core.sgd import generic_step, train_range, window_groups
from skw2v._core.subwords import SubwordSpec, composition_matrix, vocabulary_composition
from skw2v._core.vocab import noise_sampler
from skw2v.gradcheck import check_gradient
from skw2v.losses import (
    MAX_STEP_CURVATURE,
    NegativeSamplingLoss,
    SoftmaxLoss,
    subword_loss_and_grad,
)

#: Words with shared n-grams ("walk"), repeated n-grams ("aaaa" has "aa" three
#: times) and a word too short for any n-gram ("a" with its marks is 3 characters).
WORDS = ["walk", "walks", "walked", "walking", "talk", "talks", "a", "aaaa", "ing", "xy"]
#: 2- to 4-grams in 13 buckets: most buckets are shared by several words.
SPEC = SubwordSpec(2, 4, 13)


def counts_matrix(M, incidence):
    """``B``: the composition's structure with the incidence's counts."""
    B = M.copy()
    B.data = incidence.counts.astype(M.dtype)
    return B


def row_shares(incidence, bucket_share):
    """Per-row factor: 1 for the words' own rows, ``bucket_share`` for the bucket rows
    (written out from the layout, not read from the code under test)."""
    shares = np.full(incidence.n_rows, float(bucket_share))
    shares[:incidence.n_words] = 1.0
    return shares


#: The rule's constants, as the user guide states them.
BETA, X = 0.5, 0.25


def random_problem(seed=0, spec=SPEC, dim=5, n_pairs=40, k=3):
    """A subword input matrix, output vectors and a batch of windows over WORDS."""
    rng = np.random.default_rng(seed)
    inc = composed.vocabulary_incidence(spec, WORDS, np.float64)
    n = len(WORDS)
    W = rng.normal(scale=0.3, size=(inc.n_rows, dim))
    U = rng.normal(scale=0.3, size=(n, dim))
    position = np.sort(rng.integers(0, 12, n_pairs))
    group, indptr = window_groups(position)
    targets = rng.integers(0, n, indptr.size - 1)
    inputs = rng.integers(0, n, n_pairs)
    inputs[:4] = 7  # "aaaa", several times in the batch
    negatives = rng.integers(0, n, (indptr.size - 1, k))
    negatives[0, :2] = targets[0]  # a negative equal to the positive, duplicated
    return inc, W, U, inputs, group, indptr, targets, negatives


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_incidence_weights_are_the_vocabulary_composition_bit_for_bit(dtype):
    spec = SubwordSpec(3, 6, 1000)
    words = WORDS + ["ünïcødé", "日本語", "x" * 30]
    M = vocabulary_composition(spec, words, dtype)
    inc = composed.vocabulary_incidence(spec, words, dtype)
    np.testing.assert_array_equal(inc.indptr, M.indptr)
    np.testing.assert_array_equal(inc.indices, M.indices)
    assert inc.weights.dtype == M.dtype
    np.testing.assert_array_equal(inc.weights, M.data)
    # counts: own row once, each n-gram once per occurrence; weights are counts / m_w
    B = counts_matrix(M, inc).astype(np.float64)
    m = np.asarray(B.sum(axis=1)).ravel()
    assert m[WORDS.index("a")] == 2  # its own row and "<a>"
    assert m[WORDS.index("walking")] == 1 + 7 + 6 + 5 + 4  # "<walking>": 9 characters
    np.testing.assert_allclose(B.toarray() / m[:, None], M.toarray(), rtol=1e-6)
    np.testing.assert_array_equal(inc.compose(np.eye(inc.n_rows, dtype=dtype)),
                                  M.toarray())


@pytest.mark.parametrize("loss", [NegativeSamplingLoss(), SoftmaxLoss()],
                         ids=["negative_sampling", "softmax"])
def test_composed_gradient_matches_finite_differences(loss):
    """Duplicated words, repeated n-grams and buckets shared by several words (13 buckets)."""
    inc, W, U, inputs, group, _, targets, neg = random_problem()
    M = inc.composition()
    negatives = neg[group] if loss.requires_negatives else None
    total, rows, grad, _, _ = subword_loss_and_grad(W, U, M, inputs, targets[group], loss,
                                                    negatives)
    dense = np.zeros_like(W)
    dense[rows] = grad

    def f(x):
        return subword_loss_and_grad(x, U, M, inputs, targets[group], loss, negatives)[0]

    assert total == pytest.approx(f(W))
    # a summed loss near 100: a larger step keeps the rounding of f below the tolerance
    res = check_gradient(f, W, dense, eps=1e-4)
    assert res.max_rel_error < 1e-6 and res.mean_rel_error < 1e-8
    # golden structure: the rows used are exactly those of the words of the batch
    used = np.unique(M[np.unique(inputs)].indices)
    np.testing.assert_array_equal(rows, used)
    assert np.all(np.abs(grad).sum(axis=1) > 0)
    # a shared bucket row gets the gradient of several words
    B = counts_matrix(M, inc)
    sharing = np.asarray((B[np.unique(inputs)] > 0).sum(axis=0)).ravel()
    assert sharing[len(WORDS):].max() >= 3


def test_composed_gradient_of_a_single_pair_by_hand():
    """One pair, negative sampling: dJ/dW[r] = M[w, r] * (sigma(u.v) - 1) * u."""
    spec = SubwordSpec(3, 3, 5)
    M = composition_matrix(spec, ["abc"], np.array([0]), 1, np.float64)  # 1 + 3 n-grams
    W = np.arange(12, dtype=np.float64).reshape(6, 2) / 10
    U = np.array([[0.3, -0.2]])
    out = subword_loss_and_grad(W, U, M, [0], [0], "negative_sampling",
                                np.zeros((1, 0), dtype=np.intp))
    v = (M @ W)[0]
    g = (1 / (1 + np.exp(-U[0] @ v)) - 1) * U[0]
    expected = np.outer(M.toarray()[0, out[1]], g)
    np.testing.assert_allclose(out[2], expected, rtol=1e-12)


@pytest.mark.parametrize("loss", [NegativeSamplingLoss(), SoftmaxLoss()],
                         ids=["negative_sampling", "softmax"])
def test_step_is_the_exact_gradient_times_the_words_row_counts(loss):
    """Unbounded (small lr): row r moves by -lr beta_r sum_w B[w, r] g_w =
    -lr beta_r (M^T diag(m) G)[r], with beta_r = 1 for an own row and 1/2 for a bucket."""
    inc, W, U, inputs, group, _, targets, neg = random_problem(seed=1)
    M = inc.composition()
    B = counts_matrix(M, inc)
    m = np.asarray(B.sum(axis=1)).ravel()
    lr = 1e-4
    negatives = neg if loss.requires_negatives else None
    a, a_out = W.copy(), U.copy()
    generic_step(a, a_out, inputs, group, targets, negatives, lr, loss, incidence=inc)
    out = loss.loss_and_grad((M @ W)[inputs], targets[group], U,
                             None if negatives is None else negatives[group])
    G = np.zeros((len(WORDS), W.shape[1]))
    np.add.at(G, inputs, out.grad_center)
    beta = row_shares(inc, BETA)[:, None]
    np.testing.assert_allclose(a - W, -lr * beta * (B.T @ G), rtol=1e-10, atol=1e-16)
    np.testing.assert_allclose(a - W, -lr * beta * (M.T @ (m[:, None] * G)), rtol=1e-10,
                               atol=1e-16)
    # the exact gradient (subword_loss_and_grad) differs from the step by the factor m_w
    _, rows, grad, _, _ = subword_loss_and_grad(W, U, M, inputs, targets[group], loss,
                                                None if negatives is None else negatives[group])
    assert not np.allclose((a - W)[rows], -lr * grad)


def test_a_word_alone_in_its_rows_moves_its_composed_vector_by_its_share_of_the_plain_step():
    """No shared or repeated rows: the word's own row takes its whole step s_w and each of
    its m_w - 1 bucket rows half of it, so the composed vector moves by
    (1 + (m_w - 1) / 2) / m_w times s_w, the step of a plain word2vec row."""
    spec = SubwordSpec(3, 3, 10_000)
    words = ["abcd", "wxyz"]
    inc = composed.vocabulary_incidence(spec, words, np.float64)
    assert np.all(inc.counts == 1)
    rng = np.random.default_rng(2)
    W = rng.normal(scale=0.3, size=(inc.n_rows, 4))
    U = rng.normal(scale=0.3, size=(2, 4))
    inputs, group, targets = np.array([0, 0]), np.array([0, 0]), np.array([1])
    neg = np.array([[0, 1]])
    a = W.copy()
    generic_step(a, U.copy(), inputs, group, targets, neg, 0.05, NegativeSamplingLoss(),
                 incidence=inc)
    before = inc.compose(W)
    plain_in = before.copy()
    plain_out = U.copy()
    generic_step(plain_in, plain_out, inputs, group, targets, neg, 0.05, NegativeSamplingLoss())
    m = np.diff(inc.indptr).astype(np.float64)
    assert m[0] == 5  # "abcd": its own row and "<ab", "abc", "bcd", "cd>"
    share = (1 + (m - 1) * BETA) / m  # 0.6 for "abcd"
    np.testing.assert_allclose(inc.compose(a) - before, share[:, None] * (plain_in - before),
                               rtol=1e-10, atol=1e-15)
    assert not np.allclose(plain_in, before)
    # the word's own row takes the plain step itself
    np.testing.assert_allclose(a[0] - W[0], plain_in[0] - before[0], rtol=1e-10)


def expected_rows_step(inc, words_steps, words_curvature, lr=1.0):
    """The scatter's rule written out densely: row r gets f_r beta_r sum_w B[w, r] s_w, with
    f_r = min(1, 1 / C_r), C_r = x_r a_r sum_w B[w, r] c_w and a_r the alignment of the
    row's entries (1 for a row with one entry); beta_r, x_r are 1 for an own row and
    1/2, 1/4 for a bucket row."""
    B = counts_matrix(inc.composition(), inc)
    raw = B.T @ words_steps
    lengths = B.T @ np.linalg.norm(words_steps, axis=1)
    entries = np.diff(B.tocsc().indptr)
    align = np.ones(inc.n_rows)
    shared = (entries > 1) & (lengths > 0)
    align[shared] = np.sum(raw[shared] ** 2, axis=1) / lengths[shared] ** 2
    curvature = lr * align * row_shares(inc, X) * (B.T @ np.abs(words_curvature))
    factor = np.minimum(1.0, MAX_STEP_CURVATURE / np.maximum(curvature, 1e-300))
    return raw * (row_shares(inc, BETA) * factor)[:, None], curvature, align


def test_a_bucket_row_shared_by_many_words_takes_a_bounded_step():
    """One bucket for every n-gram: all words share it. Its step is half the summed step of
    its words, scaled to twice the Newton step of their (aligned) summed curvature (half the
    step against a quarter of the curvature), never the raw sum."""
    spec = SubwordSpec(3, 3, 1)
    words = [f"w{i:03d}" for i in range(200)]
    inc = composed.vocabulary_incidence(spec, words, np.float64)
    rng = np.random.default_rng(3)
    n, d = len(words), 8
    W = rng.normal(scale=0.5, size=(inc.n_rows, d))
    U = rng.normal(scale=0.5, size=(n, d))
    inputs = np.arange(n)  # every word once, one window each
    group, targets = np.arange(n), rng.integers(0, n, n)
    neg = rng.integers(0, n, (n, 5))
    lr = 5.0
    loss = NegativeSamplingLoss()
    a = W.copy()
    generic_step(a, U.copy(), inputs, group, targets, neg, lr, loss, incidence=inc)
    out = loss.loss_and_grad(inc.compose(W), targets, U, neg)
    c_in, _ = loss.curvature(inc.compose(W), targets, U, neg)
    expected, curvature, align = expected_rows_step(inc, -lr * out.grad_center, c_in, lr)
    np.testing.assert_allclose(a - W, expected, rtol=1e-10, atol=1e-14)
    bucket = n  # the one bucket row
    raw = -lr * np.linalg.norm(counts_matrix(inc.composition(), inc).T @ out.grad_center,
                               axis=1)[bucket]
    assert 0 < align[bucket] < 1
    assert curvature[bucket] > 100  # shared by all: its raw step would overshoot
    step = np.linalg.norm((a - W)[bucket])
    assert step == pytest.approx(BETA * abs(raw) / curvature[bucket])
    assert step < abs(raw) / 100
    # a word's own row, used by it alone, gets plain word2vec's bound
    np.testing.assert_array_equal(align[:n], 1.0)


def test_aligned_steps_on_a_shared_row_are_bounded_harder_than_unrelated_ones():
    """k words that push a shared row the same way would overshoot together: the row's step
    (half their summed step) is bounded by their summed curvature (a quarter of it for a
    bucket row). Steps in unrelated directions add up as k sequential steps would, and are
    bounded by the curvature of their aligned part only."""
    spec = SubwordSpec(3, 3, 1)
    words = [f"w{i:03d}" for i in range(100)]
    inc = composed.vocabulary_incidence(spec, words, np.float64)
    n = len(words)
    plan = composed.composed_plan(inc, np.arange(n), np.array([0, n]))
    # lr * C_w = 0.1 for every word: none is over its own bound; each word's four
    # 3-grams all hash to the one bucket (B = 4)
    curvature = np.full(n, -0.1)
    rng = np.random.default_rng(8)
    same = np.tile(rng.normal(size=(1, n)), (n, 1)) * 1e-3  # all the same direction
    unrelated = np.eye(n) * 1e-3  # orthogonal
    moves = {}
    for name, steps in (("same", same), ("unrelated", unrelated)):
        W = np.zeros((inc.n_rows, n))
        composed.scatter(W, plan, 0, steps, curvature)
        expected, row_curvature, align = expected_rows_step(inc, steps, curvature)
        np.testing.assert_allclose(W, expected, rtol=1e-12, atol=1e-18)
        np.testing.assert_allclose(W[:n], steps)  # own rows: below the bound, unchanged
        moves[name] = (np.linalg.norm(W[n]), np.linalg.norm(steps.sum(axis=0)),
                       row_curvature[n], align[n])
    # B = 4: the raw step 4 * raw, its curvature 4 * sum lr C_w = 40 before the weights
    step, raw, c, a = moves["same"]
    assert a == pytest.approx(1.0) and c == pytest.approx(0.25 * 40.0)
    assert step == pytest.approx(0.5 * 4 * raw / (0.25 * 40.0))
    step, raw, c, a = moves["unrelated"]
    assert a == pytest.approx(1 / n) and c == pytest.approx(0.25 * 0.4)
    # half of sqrt(k) times one word's step, as k steps in a row would move it
    assert step == pytest.approx(0.5 * 4 * raw)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_fused_subword_step_equals_generic_step(dtype, fused_step):
    inc, W, U, inputs, group, indptr, targets, neg = random_problem(seed=4)
    inc = composed.vocabulary_incidence(SubwordSpec(2, 4, 13), WORDS, dtype)
    W, U = W.astype(dtype), U.astype(dtype)
    kernel = NegativeSamplingLoss().window_kernel()
    n_windows, n_pairs = indptr.size - 1, int(indptr[-1])
    for lr in (0.05, 2.0):  # unbounded, and bounded rows
        a, a_out = W.copy(), U.copy()
        chunk = kernel.chunk(inputs, indptr, np.array([0, n_windows]), targets, neg,
                             inc.n_words, U.shape[0], incidence=inc)
        la = kernel.step(a, a_out, chunk, 0, (0, n_pairs), (0, n_windows), lr)
        b, b_out = W.copy(), U.copy()
        lb = generic_step(b, b_out, inputs, group, targets, neg, lr, NegativeSamplingLoss(),
                          incidence=inc)
        rtol = 1e-12 if dtype == np.float64 else 2e-5
        assert la == pytest.approx(lb, rel=rtol)
        np.testing.assert_allclose(a, b, rtol=rtol, atol=rtol)
        np.testing.assert_allclose(a_out, b_out, rtol=rtol, atol=rtol)
        assert not np.allclose(a, W)


@pytest.mark.parametrize("batch_size", [1, 7, 64])
def test_train_range_subword_fused_path_equals_generic_path(monkeypatch, batch_size):
    """Several blocks and chunks of batches: the fused subword path trains like the generic one."""
    from skw2v._core import sgd as _sgd

    class ReferenceNS(NegativeSamplingLoss):
        def loss_and_grad(self, *args):  # its own loss_and_grad: no fused kernel
            return super().loss_and_grad(*args)

    monkeypatch.setattr(_sgd, "PAIR_BLOCK", 50)
    monkeypatch.setattr(_sgd, "CHUNK_BATCHES", 3)
    rng = np.random.default_rng(5)
    words = WORDS + [f"{w}x" for w in WORDS]
    inc = composed.vocabulary_incidence(SubwordSpec(2, 5, 31), words, np.float64)
    n = len(words)
    ids = rng.integers(0, n, 400).astype(np.int32)
    offsets = np.array([0, 1, 3, 90, 91, 250, 400], dtype=np.int64)
    sampler = noise_sampler(np.bincount(ids, minlength=n) + 1)
    W_in = rng.normal(scale=0.3, size=(inc.n_rows, 8))
    W_out = rng.normal(scale=0.3, size=(n, 8))
    results = []
    for loss in (NegativeSamplingLoss(), ReferenceNS()):
        a_in, a_out = W_in.copy(), W_out.copy()
        res = train_range(a_in, a_out, ids, offsets, 10, 390, window=4, loss=loss,
                          n_negatives=3, sampler=sampler, batch_size=batch_size,
                          lr_start=0.5, lr_stop=0.1, rng=np.random.default_rng(9),
                          incidence=inc)
        results.append((res, a_in, a_out))
    (ra, a_in, a_out), (rb, b_in, b_out) = results
    assert ra.n_pairs == rb.n_pairs > 0
    assert ra.loss == pytest.approx(rb.loss, rel=1e-12)
    np.testing.assert_allclose(a_in, b_in, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(a_out, b_out, rtol=1e-10, atol=1e-12)
    assert not np.allclose(a_in[n:], W_in[n:])  # bucket rows trained


def test_composed_plan_of_several_batches():
    """Each batch gathers its own words' composed vectors and updates its own rows."""
    inc = composed.vocabulary_incidence(SPEC, WORDS, np.float64)
    words = np.array([0, 3, 7, 1, 2, 7, 9])
    ptr = np.array([0, 3, 3, 7])  # an empty batch in the middle
    plan = composed.composed_plan(inc, words, ptr)
    W = np.random.default_rng(6).normal(size=(inc.n_rows, 3))
    M = inc.composition()
    B = counts_matrix(M, inc)
    for i in range(3):
        batch = words[ptr[i]:ptr[i + 1]]
        np.testing.assert_array_equal(composed.gather(W, plan, i), M[batch] @ W)
        steps = np.random.default_rng(i).normal(size=(batch.size, 3))
        a = W.copy()
        composed.scatter(a, plan, i, steps)
        np.testing.assert_allclose(a - W, row_shares(inc, BETA)[:, None] * (B[batch].T @ steps),
                                   atol=1e-14)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_scatter_without_scipys_private_kernels_gives_the_same_bits(monkeypatch, dtype):
    """The compiled in-place sums and NumPy's np.add.at give the same bits, bounded rows,
    repeated n-grams and shared buckets included."""
    inc = composed.vocabulary_incidence(SPEC, WORDS, dtype)
    rng = np.random.default_rng(7)
    W = rng.normal(size=(inc.n_rows, 6)).astype(dtype)
    words = np.arange(len(WORDS))
    plan = composed.composed_plan(inc, words, np.array([0, words.size]))
    steps = rng.normal(size=(words.size, 6)).astype(dtype)
    # some rows over the bound (a bucket row's curvature counts a quarter)
    curvature = -4 * rng.random(words.size).astype(dtype)
    results = []
    for private in (True, False):
        if not private:
            monkeypatch.setattr(composed, "_csc_matvec", None)
            monkeypatch.setattr(composed, "_csc_matvecs", None)
            monkeypatch.setattr(composed, "_csr_matvec", None)
            monkeypatch.setattr(composed, "_csr_matvecs", None)
        a = W.copy()
        composed.scatter(a, plan, 0, steps, curvature)
        results.append((a, composed.gather(a, plan, 0)))
    np.testing.assert_array_equal(results[0][0], results[1][0])
    np.testing.assert_array_equal(results[0][1], results[1][1])
    _, row_curvature, align = expected_rows_step(inc, steps.astype(np.float64),
                                                 curvature.astype(np.float64))
    assert (row_curvature > MAX_STEP_CURVATURE).any()
    assert (align < 0.99).any()
    assert (inc.counts > 1).any()


def test_row_counts_are_the_words_counts_through_the_incidence():
    inc = composed.vocabulary_incidence(SubwordSpec(2, 4, 13), WORDS, np.float64)
    counts = np.arange(2 * len(WORDS), dtype=float).reshape(2, -1)
    B = counts_matrix(inc.composition(), inc)
    np.testing.assert_allclose(inc.row_counts(counts), (B.T @ counts.T).T)
    np.testing.assert_array_equal(inc.row_counts(counts)[:, :len(WORDS)], counts)
