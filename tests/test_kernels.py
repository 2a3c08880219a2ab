"""Training kernels: fused steps against the reference loss, pair generation, sampling."""

import numpy as np
import pytest

from skw2v._core.pairs import document_bounds, skipgram_pairs
from skw2v._core.sgd import generic_step, group_batches, window_groups
from skw2v._core.vocab import AliasSampler, keep_probabilities, noise_sampler, order_vocabulary
from skw2v._data.store import subsample_corpus
from skw2v.losses import NegativeSamplingLoss, SoftmaxLoss, scatter_add


def random_batch(seed=0, n_words=12, dim=6, k=4):
    rng = np.random.default_rng(seed)
    W_in = rng.normal(scale=0.3, size=(n_words, dim))
    W_out = rng.normal(scale=0.3, size=(n_words, dim))
    position = np.sort(rng.integers(0, 15, 60))
    group, indptr = window_groups(position)
    n_groups = indptr.size - 1
    targets = rng.integers(0, n_words, n_groups)
    inputs = rng.integers(0, n_words, position.size)
    negatives = rng.integers(0, n_words, (n_groups, k))
    negatives[0, :2] = targets[0]  # a negative equal to the positive, duplicated
    return W_in, W_out, inputs, group, indptr, targets, negatives


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_fused_ns_step_equals_reference_loss_step(dtype, fused_step):
    W_in, W_out, inputs, group, indptr, targets, neg = random_batch()
    W_in, W_out = W_in.astype(dtype), W_out.astype(dtype)
    a_in, a_out = W_in.copy(), W_out.copy()
    b_in, b_out = W_in.copy(), W_out.copy()
    la = fused_step(a_in, a_out, inputs, indptr, targets, neg, 0.1)
    lb = generic_step(b_in, b_out, inputs, group, targets, neg, 0.1, NegativeSamplingLoss())
    rtol = 1e-12 if dtype == np.float64 else 1e-5
    assert la == pytest.approx(lb, rel=rtol)
    np.testing.assert_allclose(a_in, b_in, rtol=rtol, atol=rtol)
    np.testing.assert_allclose(a_out, b_out, rtol=rtol, atol=rtol)
    assert not np.allclose(a_in, W_in)  # the step did something
    assert not np.allclose(a_out, W_out)


def test_generic_step_is_gradient_descent_on_the_loss():
    """A small step along -grad lowers the summed loss (first-order check)."""
    W_in, W_out, inputs, group, indptr, targets, _ = random_batch(seed=3)
    loss = SoftmaxLoss()

    def total(Wi, Wo):
        return loss.loss_and_grad(Wi[inputs], targets[group], Wo).loss

    before = total(W_in, W_out)
    generic_step(W_in, W_out, inputs, group, targets, None, 1e-3, loss)
    assert total(W_in, W_out) < before


def test_scatter_add_matches_add_at_on_large_random_batches():
    rng = np.random.default_rng(0)
    for dtype in (np.float32, np.float64):
        W = rng.normal(size=(300, 7)).astype(dtype)
        rows = rng.zipf(1.5, 5000) % 300
        vals = rng.normal(size=(5000, 7)).astype(dtype)
        ref = W.astype(np.float64)
        np.add.at(ref, rows, -0.3 * vals.astype(np.float64))
        scatter_add(W, rows, vals, scale=-0.3)
        tol = 1e-10 if dtype == np.float64 else 1e-4
        np.testing.assert_allclose(W, ref, rtol=tol, atol=tol)


def test_window_groups_and_batch_bounds():
    position = np.array([0, 0, 0, 2, 2, 5, 6, 6, 6, 6])
    group, indptr = window_groups(position)
    np.testing.assert_array_equal(group, [0, 0, 0, 1, 1, 2, 3, 3, 3, 3])
    np.testing.assert_array_equal(indptr, [0, 3, 5, 6, 10])
    b = indptr[group_batches(indptr, 4)]
    # cuts only where a window starts, batches cover everything once
    assert b[0] == 0 and b[-1] == position.size
    assert set(b[1:-1]) <= set(indptr[1:-1])
    np.testing.assert_array_equal(b, [0, 5, 10])


def reference_cuts(indptr, batch_size):
    """First window start at or after each multiple of batch_size (plain Python)."""
    n = int(indptr[-1])
    cuts = {0, n}
    for m in range(batch_size, n, batch_size):
        later = [int(s) for s in indptr[:-1] if s >= m]
        if later:
            cuts.add(later[0])
    return sorted(cuts)


def test_group_batches_match_reference():
    rng = np.random.default_rng(7)
    for _ in range(100):
        position = np.sort(rng.integers(0, int(rng.integers(1, 200)), int(rng.integers(1, 800))))
        batch_size = int(rng.integers(1, 100))
        _, indptr = window_groups(position)
        got = indptr[group_batches(indptr, batch_size)].tolist()
        assert got == reference_cuts(indptr, batch_size)


# ---------------------------------------------------------------- pairs
def test_pairs_never_cross_documents_and_respect_radius():
    rng = np.random.default_rng(1)
    lengths = rng.integers(1, 30, 40)
    offsets = np.concatenate(([0], np.cumsum(lengths)))
    n = offsets[-1]
    ids = np.arange(n, dtype=np.int32)  # id == position, so pairs reveal positions
    doc_of = np.repeat(np.arange(lengths.size), lengths)
    c, o, pos = skipgram_pairs(ids, offsets, 0, n, 4, rng)
    assert np.all(doc_of[c] == doc_of[o])
    d = np.abs(c.astype(int) - o)
    assert d.min() >= 1 and d.max() <= 4
    assert np.all(np.diff(pos) >= 0)
    np.testing.assert_array_equal(c, pos)  # centers come in text order
    # full window, deterministic: exact count of in-document pairs
    c2, _, _ = skipgram_pairs(ids, offsets, 0, n, 3)
    expected = sum(2 * sum(max(L - k, 0) for k in range(1, 4)) for L in lengths)
    assert c2.size == expected


def test_pairs_on_a_subrange_match_the_whole():
    rng = np.random.default_rng(2)
    offsets = np.array([0, 7, 20, 21, 40])
    ids = np.arange(40, dtype=np.int32)
    whole = skipgram_pairs(ids, offsets, 0, 40, 3)
    parts = [skipgram_pairs(ids, offsets, a, b, 3) for a, b in [(0, 5), (5, 22), (22, 40)]]
    np.testing.assert_array_equal(whole[0], np.concatenate([p[0] for p in parts]))
    np.testing.assert_array_equal(whole[1], np.concatenate([p[1] for p in parts]))
    lo, hi = document_bounds(offsets, 5, 22)
    np.testing.assert_array_equal(lo[:2], [0, 0])
    np.testing.assert_array_equal(hi[-2:], [21, 40])
    assert rng is not None


def test_dynamic_window_radius_is_uniform():
    rng = np.random.default_rng(3)
    n, window = 200_000, 5
    ids = np.arange(n, dtype=np.int32)
    c, o, _ = skipgram_pairs(ids, np.array([0, n]), 0, n, window, rng)
    dist = np.abs(c.astype(np.int64) - o)
    # P(offset k used) = P(radius >= k) = (window - k + 1) / window, on both sides
    freq = np.bincount(dist, minlength=window + 1)[1:] / (2 * n)
    expected = (window - np.arange(1, window + 1) + 1) / window
    np.testing.assert_allclose(freq, expected, atol=0.005)


# ---------------------------------------------------------------- vocab and sampling
def test_order_vocabulary_is_count_desc_then_token():
    tokens = ["b", "a", "c", "d", "e"]
    counts = np.array([3, 3, 5, 1, 3])
    order = order_vocabulary(tokens, counts, min_count=2)
    assert [tokens[i] for i in order] == ["c", "a", "b", "e"]
    order = order_vocabulary(tokens, counts, min_count=1, max_vocab_size=2)
    assert [tokens[i] for i in order] == ["c", "a"]
    assert order_vocabulary(tokens, counts, min_count=10).size == 0


def test_keep_probabilities_formula_and_rates():
    counts = np.array([1_000_000, 100_000, 10_000, 100])
    t = 1e-3
    p = keep_probabilities(counts, t)
    f = counts / counts.sum()
    np.testing.assert_allclose(p, np.minimum(1, (np.sqrt(f / t) + 1) * t / f))
    assert p[-1] == 1.0 and p[0] < 0.2
    np.testing.assert_array_equal(keep_probabilities(counts, 0), 1.0)
    # empirical rates of subsample
    rng = np.random.default_rng(4)
    ids = np.repeat(np.arange(4, dtype=np.int32), counts)
    rng.shuffle(ids)
    kept, off = subsample_corpus(ids, np.array([0, 500_000, ids.size]), p, rng)
    rate = np.bincount(kept, minlength=4) / counts
    # binomial standard error <= 0.005 for these counts; 4 sigma
    np.testing.assert_allclose(rate[:3], p[:3], atol=0.02)
    assert off[0] == 0 and off[-1] == kept.size and 0 < off[1] < kept.size


def test_alias_sampler_frequencies():
    rng = np.random.default_rng(5)
    counts = np.array([1000, 300, 50, 5, 1, 0])
    s = noise_sampler(counts, 0.75)
    x = s.sample(400_000, rng)
    p = counts**0.75 / np.sum(counts**0.75)
    freq = np.bincount(x, minlength=counts.size) / x.size
    # binomial standard error is at most 8e-4 here; allow 5 sigma
    np.testing.assert_allclose(freq, p, atol=4e-3)
    assert freq[-1] == 0.0
    uniform = AliasSampler(np.ones(4)).sample(100_000, rng)
    np.testing.assert_allclose(np.bincount(uniform) / 1e5, 0.25, atol=0.01)


def test_fused_loss_and_grad_are_exact_and_finite_for_extreme_scores():
    from scipy.special import expit, log_expit

    from skw2v._core.negative_sampling import scores_to_grad

    scores = np.array([[1000.0, -1000.0, 30.0, -30.0], [-1000.0, 1000.0, 0.0, 1e-3],
                       [5.0, -5.0, 2.0, -2.0], [-90.0, 90.0, -20.0, 20.0]])
    expected = -np.sum(log_expit(scores[:, :1])) - np.sum(log_expit(-scores[:, 1:]))
    expected_g = expit(scores)
    expected_g[:, 0] -= 1.0
    got, g = scores_to_grad(scores.copy())
    assert np.isfinite(got) and np.isfinite(g).all()
    assert got == pytest.approx(expected, rel=1e-12)
    np.testing.assert_allclose(g, expected_g, rtol=1e-14, atol=0)
    got32, g32 = scores_to_grad(scores.astype(np.float32))
    assert g32.dtype == np.float32 and np.isfinite(g32).all()
    assert got32 == pytest.approx(expected, rel=1e-6)
    np.testing.assert_allclose(g32, expected_g, rtol=1e-6, atol=1e-7)


class ReferenceNS(NegativeSamplingLoss):
    """Same loss, but its loss_and_grad is its own, so it gets no fused kernel."""

    def loss_and_grad(self, *args):
        return super().loss_and_grad(*args)


@pytest.mark.parametrize("batch_size", [1, 7, 64])
def test_train_range_fused_path_equals_generic_reference_path(monkeypatch, batch_size):
    """The per-block padded layout of train_range trains exactly like the reference loss."""
    from skw2v._core import sgd as _sgd

    monkeypatch.setattr(_sgd, "PAIR_BLOCK", 50)  # several blocks
    monkeypatch.setattr(_sgd, "CHUNK_BATCHES", 3)  # several chunks of batches per block
    rng = np.random.default_rng(5)
    ids = rng.integers(0, 20, 400).astype(np.int32)
    offsets = np.array([0, 1, 3, 90, 91, 250, 400], dtype=np.int64)  # short documents too
    sampler = noise_sampler(np.bincount(ids, minlength=20) + 1)
    W_in = rng.normal(scale=0.3, size=(20, 8))
    W_out = rng.normal(scale=0.3, size=(20, 8))
    results = []
    for loss in (NegativeSamplingLoss(), ReferenceNS()):
        a_in, a_out = W_in.copy(), W_out.copy()
        res = _sgd.train_range(a_in, a_out, ids, offsets, 10, 390, window=4, loss=loss,
                               n_negatives=3, sampler=sampler, batch_size=batch_size,
                               lr_start=0.05, lr_stop=0.01, rng=np.random.default_rng(9))
        results.append((res, a_in, a_out))
    (ra, a_in, a_out), (rb, b_in, b_out) = results
    assert ra.n_pairs == rb.n_pairs > 0
    assert ra.loss == pytest.approx(rb.loss, rel=1e-12)
    np.testing.assert_allclose(a_in, b_in, rtol=1e-11, atol=1e-12)
    np.testing.assert_allclose(a_out, b_out, rtol=1e-11, atol=1e-12)
    assert not np.allclose(a_in, W_in)



@pytest.mark.parametrize("share", [2, 5, 10_000])
def test_shared_negatives_fused_path_equals_reference_with_bound_binding(monkeypatch, share):
    """Negatives shared by groups of windows: the fused kernel takes the reference steps.

    The learning rate is high enough that the curvature bound binds: a
    shared negative's bound must add the curvature of every window that used
    it, as the reference's ``scatter_add`` does over all its gradient rows.
    """
    from skw2v._core import rowsum
    from skw2v._core import sgd as _sgd

    bounded = []
    original = rowsum.bound_steps

    def counting(steps, scaled_curvature):
        bounded.append(int(np.sum(np.abs(scaled_curvature) > rowsum.MAX_STEP_CURVATURE)))
        original(steps, scaled_curvature)

    monkeypatch.setattr(rowsum, "bound_steps", counting)
    monkeypatch.setattr(_sgd, "CHUNK_BATCHES", 3)
    rng = np.random.default_rng(11)
    ids = rng.integers(0, 25, 500).astype(np.int32)
    offsets = np.array([0, 2, 140, 141, 500], dtype=np.int64)
    sampler = noise_sampler(np.bincount(ids, minlength=25) + 1)
    W_in = rng.normal(scale=0.5, size=(25, 8))
    W_out = rng.normal(scale=0.5, size=(25, 8))
    results = []
    for loss in (NegativeSamplingLoss(shared_windows=share), ReferenceNS(shared_windows=share)):
        a_in, a_out = W_in.copy(), W_out.copy()
        res = _sgd.train_range(a_in, a_out, ids, offsets, 5, 495, window=4, loss=loss,
                               n_negatives=3, sampler=sampler, batch_size=40, lr_start=1.0,
                               lr_stop=0.5, rng=np.random.default_rng(4))
        results.append((res, a_in, a_out))
    (ra, a_in, a_out), (rb, b_in, b_out) = results
    assert sum(bounded) > 0  # the bound binds, in both paths
    assert ra.n_pairs == rb.n_pairs > 0
    assert ra.loss == pytest.approx(rb.loss, rel=1e-12)
    np.testing.assert_allclose(a_in, b_in, rtol=1e-11, atol=1e-12)
    np.testing.assert_allclose(a_out, b_out, rtol=1e-11, atol=1e-12)


def test_draw_window_negatives_shares_one_draw_per_group_within_batches():
    """Groups of at most ``share`` windows far apart in a batch share a draw; 1 draws per window."""
    from skw2v._core.sgd import draw_window_negatives

    sampler = noise_sampler(np.arange(1, 1001, dtype=np.float64))
    gbounds = np.array([0, 7, 8, 20])  # batches of 7, 1 and 12 windows
    per_window = draw_window_negatives(sampler, gbounds, 4, 1, np.random.default_rng(0))
    np.testing.assert_array_equal(per_window,
                                  sampler.sample((20, 4), np.random.default_rng(0)))
    neg = draw_window_negatives(sampler, gbounds, 4, 3, np.random.default_rng(0))
    assert neg.shape == (20, 4)
    # 7 windows: 3 groups, window j in group j mod 3; 1 window: 1 group; 12 windows: 4
    groups = [[0, 3, 6], [1, 4], [2, 5], [7], [8, 12, 16], [9, 13, 17], [10, 14, 18],
              [11, 15, 19]]
    for group in groups:
        assert (neg[group] == neg[group[0]]).all()
    firsts = np.array([neg[g[0]] for g in groups])
    # 8 groups, 8 separate draws (from 1000 words, no two equal rows here)
    assert np.unique(firsts, axis=0).shape[0] == len(groups)
    np.testing.assert_array_equal(firsts, sampler.sample((8, 4), np.random.default_rng(0)))
    whole = draw_window_negatives(sampler, gbounds, 4, 50, np.random.default_rng(0))
    assert [np.unique(whole[a:b], axis=0).shape[0] for a, b in ((0, 7), (7, 8), (8, 20))] \
        == [1, 1, 1]


@pytest.mark.parametrize("share", [1, 3])
def test_train_range_marks_every_negative_it_draws_when_shared(share):
    """``drawn`` is every word a (possibly shared) draw gave, and only those."""
    from skw2v._core import sgd as _sgd

    class Recording:
        def __init__(self, sampler):
            self.sampler, self.words = sampler, []

        def sample(self, size, rng):
            out = self.sampler.sample(size, rng)
            self.words.append(out.ravel().copy())
            return out

    rng = np.random.default_rng(8)
    ids = rng.integers(0, 60, 400).astype(np.int32)
    offsets = np.array([0, 400], dtype=np.int64)
    sampler = Recording(noise_sampler(np.arange(1, 61, dtype=np.float64)))
    drawn = np.zeros(60, dtype=bool)
    _sgd.train_range(rng.normal(size=(60, 5)), rng.normal(size=(60, 5)), ids, offsets, 10, 390,
                     window=3, loss=NegativeSamplingLoss(shared_windows=share), n_negatives=2,
                     sampler=sampler, batch_size=24, lr_start=0.05, lr_stop=0.05,
                     rng=np.random.default_rng(1), drawn=drawn)
    expected = np.zeros(60, dtype=bool)
    expected[np.concatenate(sampler.words)] = True
    np.testing.assert_array_equal(drawn, expected)


def test_train_range_marks_every_negative_it_draws():
    """``drawn`` plus the range's words cover every output row that changed, and every
    drawn negative beyond the range's words was updated."""
    from skw2v._core import sgd as _sgd

    rng = np.random.default_rng(2)
    ids = rng.integers(0, 40, 300).astype(np.int32)
    ids[100:200] = rng.integers(0, 5, 100)  # the trained range uses words 0..4 only
    offsets = np.array([0, 300], dtype=np.int64)
    sampler = noise_sampler(np.arange(1, 41, dtype=np.float64) ** 2)
    W_in, W_out = rng.normal(scale=0.3, size=(40, 6)), rng.normal(scale=0.3, size=(40, 6))
    a_out = W_out.copy()
    drawn = np.zeros(40, dtype=bool)
    _sgd.train_range(W_in.copy(), a_out, ids, offsets, 110, 190, window=3,
                     loss=NegativeSamplingLoss(), n_negatives=4, sampler=sampler, batch_size=16,
                     lr_start=0.05, lr_stop=0.05, rng=np.random.default_rng(3), drawn=drawn)
    changed = np.any(a_out != W_out, axis=1)
    in_range = np.zeros(40, dtype=bool)
    in_range[ids[107:193]] = True
    assert changed.any() and drawn[5:].any()  # negatives beyond the range's words were drawn
    assert not np.any(changed & ~(drawn | in_range))
    assert np.all(changed[drawn & ~in_range])  # a drawn negative is always updated


def test_sum_plan_radix_and_general_sorts_agree():
    from skw2v._core.rowsum import sum_plan

    rng = np.random.default_rng(4)
    in_ids = rng.zipf(1.5, 3000) % 500
    in_ptr = np.array([0, 700, 701, 2200, 3000])
    out_ids = rng.integers(0, 300, 1200)
    out_ptr = np.array([0, 300, 600, 900, 1200])
    in_batch = np.repeat(np.arange(4), np.diff(in_ptr))
    out_batch = np.repeat(np.arange(4), np.diff(out_ptr))
    in_cols, out_cols = rng.permutation(3000), rng.permutation(1200) + 5000

    def plan(n_in):
        return sum_plan(in_ids, in_batch, in_ptr, in_cols, n_in, out_ids, out_batch, out_ptr,
                         out_cols, 300)

    small, large = plan(500), plan(100_000)  # 16-bit radix path, general path
    for name in ("starts", "uptr", "columns", "ptr", "rows"):
        np.testing.assert_array_equal(getattr(small, name), getattr(large, name))
    np.testing.assert_array_equal(small.mid - small.uptr[:-1], large.mid - large.uptr[:-1])
    for i in range(4):  # per batch: input ids sorted, then output ids, ties in order
        a, b = in_ptr[i:i + 2]
        c, d = out_ptr[i:i + 2]
        o_in = np.argsort(in_ids[a:b], kind="stable")
        o_out = np.argsort(out_ids[c:d], kind="stable")
        p0, p1 = small.ptr[i:i + 2]
        np.testing.assert_array_equal(small.columns[p0:p1],
                                      np.concatenate((in_cols[a:b][o_in], out_cols[c:d][o_out])))
        u0, mid, u1 = small.uptr[i], small.mid[i], small.uptr[i + 1]
        np.testing.assert_array_equal(small.rows[u0:mid], np.unique(in_ids[a:b]))
        np.testing.assert_array_equal(small.rows[mid:u1], np.unique(out_ids[c:d]))


def test_range_loss_adds_the_batch_losses_in_order(monkeypatch):
    """The loss of a range is the batch losses added one by one, in order, across
    blocks of centers (not block subtotals), so it does not depend on the block size."""
    from functools import reduce

    from skw2v._core import sgd

    losses = []

    class Recording:
        def __init__(self, kernel):
            self.kernel = kernel

        def chunk(self, *args):
            return self.kernel.chunk(*args)

        def step(self, *args):
            losses.append(self.kernel.step(*args))
            return losses[-1]

    class RecordedNS(NegativeSamplingLoss):
        def window_kernel(self):
            return Recording(super().window_kernel())

    monkeypatch.setattr(sgd, "PAIR_BLOCK", 37)  # many blocks
    rng = np.random.default_rng(2)
    ids = rng.integers(0, 50, 3000).astype(np.int32)
    offsets = np.array([0, 3000], dtype=np.int64)
    W_in = rng.normal(scale=0.3, size=(50, 8))
    W_out = rng.normal(scale=0.3, size=(50, 8))
    res = sgd.train_range(W_in, W_out, ids, offsets, 0, ids.size, window=3, loss=RecordedNS(),
                          n_negatives=3, sampler=noise_sampler(np.bincount(ids) + 1),
                          batch_size=5, lr_start=0.05, lr_stop=0.01,
                          rng=np.random.default_rng(0))
    assert len(losses) > 100
    assert res.loss == reduce(lambda a, b: a + b, losses, 0.0)  # bit for bit


def _mixed_width_windows(seed=3, n_words=30):
    """Windows of widths 1..10 in a shuffled text order, with their pairs."""
    rng = np.random.default_rng(seed)
    lengths = rng.permutation(np.repeat(np.arange(1, 11), 4))
    indptr = np.concatenate(([0], np.cumsum(lengths)))
    inputs = rng.integers(0, n_words, int(indptr[-1]))
    targets = rng.integers(0, n_words, lengths.size)
    negatives = rng.integers(0, n_words, (lengths.size, 5))
    return lengths, indptr, inputs, targets, negatives


def test_width_grouped_layout_has_no_padded_rows():
    """Every layout row holds one pair, and each group's windows share its width."""
    from skw2v._core.negative_sampling import fused_chunk

    lengths, indptr, inputs, targets, negatives = _mixed_width_windows()
    gbounds = np.array([0, 7, 25, lengths.size])
    chunk = fused_chunk(inputs, indptr, gbounds, targets, negatives, 30, 30)
    np.testing.assert_array_equal(chunk.ptr, indptr[gbounds])
    assert chunk.local.size == indptr[-1]  # no padding
    for b in range(gbounds.size - 1):
        w_first, p_first = gbounds[b], indptr[gbounds[b]]
        batch_windows = np.arange(gbounds[b], gbounds[b + 1])
        layout_rows = chunk.rows[w_first:gbounds[b + 1]]
        # the groups tile the batch's windows and rows, each window of the group's width
        assert chunk.groups[b][0][1] == 0 and chunk.groups[b][0][3] == 0
        for (width, w0, w1, r0, r1), nxt in zip(chunk.groups[b], chunk.groups[b][1:] + [None],
                                               strict=True):
            assert r1 - r0 == (w1 - w0) * width
            if nxt is not None:
                assert (nxt[1], nxt[3]) == (w1, r1) and nxt[0] > width
        last = chunk.groups[b][-1]
        assert last[2] == batch_windows.size and last[4] == indptr[gbounds[b + 1]] - p_first
        # layout windows are the batch's windows sorted by width (stably)
        order = batch_windows[np.argsort(lengths[batch_windows], kind="stable")]
        np.testing.assert_array_equal(layout_rows[:, 0], targets[order])
        np.testing.assert_array_equal(layout_rows[:, 1:], negatives[order])
        # each pair's layout row holds its input word
        u0, mid = chunk.plan.uptr[b], chunk.plan.mid[b]
        words = chunk.plan.rows[u0:mid]
        p0, p1 = indptr[gbounds[b]], indptr[gbounds[b + 1]]
        local = chunk.local[p0:p1]
        np.testing.assert_array_equal(words[local[chunk.flat[p0:p1]]], inputs[p0:p1])
        # the layout rows of a window's pairs are consecutive
        starts = chunk.flat[indptr[order]]
        np.testing.assert_array_equal(
            starts, np.concatenate(([0], np.cumsum(lengths[order])[:-1])))
        np.testing.assert_array_equal(chunk.window_rows[gbounds[b]:gbounds[b + 1]], starts)
        np.testing.assert_array_equal(chunk.row_window[p0:p1],
                                      np.repeat(np.arange(order.size), lengths[order]))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_fused_step_equals_reference_on_mixed_width_windows(dtype, fused_step):
    """Windows of every width 1..10 in one batch: the width-grouped step is the loss's."""
    lengths, indptr, inputs, targets, negatives = _mixed_width_windows(n_words=12)
    group = np.repeat(np.arange(lengths.size), lengths)
    rng = np.random.default_rng(1)
    W_in = rng.normal(scale=0.3, size=(12, 7)).astype(dtype)
    W_out = rng.normal(scale=0.3, size=(12, 7)).astype(dtype)
    a_in, a_out, b_in, b_out = W_in.copy(), W_out.copy(), W_in.copy(), W_out.copy()
    la = fused_step(a_in, a_out, inputs, indptr, targets, negatives, 0.2)
    lb = generic_step(b_in, b_out, inputs, group, targets, negatives, 0.2,
                      NegativeSamplingLoss())
    rtol = 1e-12 if dtype == np.float64 else 1e-5
    assert la == pytest.approx(lb, rel=rtol)
    np.testing.assert_allclose(a_in, b_in, rtol=rtol, atol=rtol)
    np.testing.assert_allclose(a_out, b_out, rtol=rtol, atol=rtol)
    assert not np.allclose(a_out, W_out)
