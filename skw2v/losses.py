"""Skip-gram losses and their gradients, in plain NumPy.

This module is the numerical core of skw2v. It imports only NumPy and SciPy,
holds no random state and never touches an estimator: every function maps
arrays to arrays, so each loss can be checked against finite differences.

Notation follows the classic word2vec exercise: ``v_c`` is the *input*
("center") vector of the center word, ``u_w`` the *output* ("outside") vector
of word ``w``, ``U`` the ``(V, d)`` matrix of output vectors and ``o`` the
observed outside word.

Full softmax cross-entropy (exact)::

    J = -u_o . v_c + log sum_w exp(u_w . v_c)
    dJ/dv_c   = -u_o + sum_w p(w|c) u_w
    dJ/du_o   = (p(o|c) - 1) v_c
    dJ/du_w   = +p(w|c) v_c            (w != o)

The last line corrects a sign typo that circulates in course solutions
(``-p(w|c) v_c``); the finite-difference tests settle it.

Negative sampling with negatives ``k = 1..K`` (drawn by the caller)::

    J = -log sigma(u_o . v_c) - sum_k log sigma(-u_k . v_c)
    dJ/dv_c = (sigma(u_o . v_c) - 1) u_o + sum_k sigma(u_k . v_c) u_k
    dJ/du_o = (sigma(u_o . v_c) - 1) v_c
    dJ/du_k = sigma(u_k . v_c) v_c

Gradients with respect to ``U`` are returned in *sparse row form*: an array of
row ids and an array of row gradients. Ids may repeat (a negative drawn twice,
or equal to the positive word); the gradient of the loss with respect to
``U`` is the accumulation of all rows with the same id, see
:func:`scatter_add`.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from scipy.special import expit, log_expit

from ._core.negative_sampling import WINDOW_KERNEL
from ._core.rowsum import (  # noqa: F401 - MAX_STEP_CURVATURE is part of this module's API
    MAX_STEP_CURVATURE,
    bound_steps,
    curvature_weights,
    scatter_add,
)

__all__ = [
    "LOSSES",
    "LossOutput",
    "NegativeSamplingLoss",
    "SkipGramLoss",
    "SoftmaxLoss",
    "bound_steps",
    "curvature_weights",
    "get_loss",
    "log_sigmoid",
    "scatter_add",
    "sigmoid",
    "sigmoid_grad",
    "skipgram_loss_and_grad",
    "softmax",
    "subword_loss_and_grad",
]


# --------------------------------------------------------------------------
# Elementary functions
# --------------------------------------------------------------------------
def softmax(x: np.ndarray, axis: int = -1) -> np.ndarray:
    """Numerically stable softmax along ``axis``.

    Uses shift invariance, ``softmax(x + c) = softmax(x)``: the maximum along
    ``axis`` is subtracted before exponentiating, so no ``exp`` overflows.

    Parameters
    ----------
    x : array-like of float
        Logits.
    axis : int, default=-1
        Axis along which the probabilities sum to one.

    Returns
    -------
    p : ndarray of the same shape as ``x``
        Probabilities; floating dtypes are preserved, other inputs give float64.
    """
    x = np.asarray(x)
    if not np.issubdtype(x.dtype, np.floating):
        x = x.astype(np.float64)
    z = x - np.max(x, axis=axis, keepdims=True)
    np.exp(z, out=z)
    z /= np.sum(z, axis=axis, keepdims=True)
    return z


def sigmoid(x: np.ndarray) -> np.ndarray:
    """Logistic sigmoid ``1 / (1 + exp(-x))``, stable for any finite ``x``.

    Parameters
    ----------
    x : array-like of float
        Input values.

    Returns
    -------
    s : ndarray
        ``sigma(x)`` with the dtype of ``x`` (float64 for non-float input).
    """
    return expit(np.asarray(x))


def sigmoid_grad(x: np.ndarray) -> np.ndarray:
    """Derivative of the sigmoid, ``sigma(x) * (1 - sigma(x))``.

    Computed as ``sigma(x) * sigma(-x)``, which keeps full relative precision
    for large ``|x|`` where ``1 - sigma(x)`` would cancel.

    Parameters
    ----------
    x : array-like of float
        Input values.

    Returns
    -------
    g : ndarray
        The derivative evaluated at ``x``.
    """
    x = np.asarray(x)
    return expit(x) * expit(-x)


def log_sigmoid(x: np.ndarray) -> np.ndarray:
    """``log(sigma(x))`` computed without overflow or ``log(0)``.

    Parameters
    ----------
    x : array-like of float
        Input values.

    Returns
    -------
    out : ndarray
        ``log sigma(x)``; finite for every finite ``x``.
    """
    return log_expit(np.asarray(x))


# --------------------------------------------------------------------------
# The loss protocol
# --------------------------------------------------------------------------
class LossOutput(NamedTuple):
    """What a :class:`SkipGramLoss` returns for a batch of pairs.

    Attributes
    ----------
    loss : float
        Sum of the per-pair losses over the batch, as a Python float (float64).
    grad_center : ndarray of shape (n_pairs, n_features)
        Gradient with respect to each row of ``center_vectors``.
    output_rows : ndarray of int of shape (n_rows,)
        Row ids of ``output_vectors`` that have a gradient. May repeat.
    grad_output : ndarray of shape (n_rows, n_features)
        Gradient rows for ``output_rows``; rows with equal ids add up.
    """

    loss: float
    grad_center: np.ndarray
    output_rows: np.ndarray
    grad_output: np.ndarray


class SkipGramLoss:
    """Base class and public protocol of skip-gram losses.

    A loss maps a batch of ``(center vector, outside word)`` pairs to the
    summed loss and its gradients. It must be a deterministic function of its
    array arguments (randomness, such as negative samples, is passed in), and
    it must be picklable and clonable: store constructor arguments as
    attributes of the same name, as scikit-learn estimators do.

    To write your own loss, subclass this, set :attr:`requires_negatives`, and
    implement :meth:`loss_and_grad`. :meth:`SkipGramVectorizer.score` reports
    ``-loss`` per pair as the goodness of fit.

    Attributes
    ----------
    requires_negatives : bool
        Whether the trainer must draw ``negative_ids`` for each pair.
    """

    requires_negatives: bool = False

    def loss_and_grad(
        self,
        center_vectors: np.ndarray,
        outside_ids: np.ndarray,
        output_vectors: np.ndarray,
        negative_ids: np.ndarray | None = None,
    ) -> LossOutput:
        """Summed loss and gradients for a batch of pairs.

        Parameters
        ----------
        center_vectors : ndarray of shape (n_pairs, n_features)
            Input vectors ``v_c``, one row per pair.
        outside_ids : ndarray of int of shape (n_pairs,)
            The observed outside word ``o`` of each pair.
        output_vectors : ndarray of shape (n_words, n_features)
            The output matrix ``U``.
        negative_ids : ndarray of int of shape (n_pairs, n_negatives), default=None
            Negative samples, required when :attr:`requires_negatives` is true.

        Returns
        -------
        out : LossOutput
        """
        raise NotImplementedError

    def loss(
        self,
        center_vectors: np.ndarray,
        outside_ids: np.ndarray,
        output_vectors: np.ndarray,
        negative_ids: np.ndarray | None = None,
    ) -> float:
        """The summed loss of a batch, without gradients (used by ``score``).

        The default takes it from :meth:`loss_and_grad`; a loss can override
        it with a cheaper computation of the same value.

        Parameters
        ----------
        center_vectors, outside_ids, output_vectors, negative_ids
            As in :meth:`loss_and_grad`.

        Returns
        -------
        loss : float
        """
        return self.loss_and_grad(center_vectors, outside_ids, output_vectors,
                                  negative_ids).loss

    def loss_grad_curvature(
        self,
        center_vectors: np.ndarray,
        outside_ids: np.ndarray,
        output_vectors: np.ndarray,
        negative_ids: np.ndarray | None = None,
    ) -> tuple[LossOutput, tuple[np.ndarray, np.ndarray] | None]:
        """:meth:`loss_and_grad` and :meth:`curvature` of one batch, as the trainer asks.

        The default calls the two methods; a loss whose two computations
        share work (the softmax's logits) overrides it to do that work once.

        Returns
        -------
        out : LossOutput
        curvature : tuple of ndarray or None
        """
        args = (center_vectors, outside_ids, output_vectors, negative_ids)
        curvature = getattr(self, "curvature", None)
        return self.loss_and_grad(*args), (curvature(*args) if curvature else None)

    def window_kernel(self):
        """Optional: a fused kernel that trains batches of whole windows, or None.

        The trainer asks every loss for it. None (the default) means the
        batches are trained through :meth:`loss_grad_curvature`. The built-in
        negative sampling returns skw2v's fused kernel, which computes the
        same steps several times faster; a custom loss keeps the default.

        Returns
        -------
        kernel : object or None
        """
        return None

    def reference_loss(self, n_words: int, n_negatives: int) -> float | None:
        """Optional: the mean loss per pair at word2vec's initialisation.

        With output vectors at zero, every score is zero. The trainer treats
        a mean epoch loss over 10 times this (or the first epoch's) as
        divergence. None (the default) means unknown: only the first epoch
        is the reference.

        Parameters
        ----------
        n_words : int
            Vocabulary size.
        n_negatives : int
            Negatives per pair (for losses that use them).

        Returns
        -------
        loss : float or None
        """
        return None

    def curvature(
        self,
        center_vectors: np.ndarray,
        outside_ids: np.ndarray,
        output_vectors: np.ndarray,
        negative_ids: np.ndarray | None = None,
    ) -> tuple[np.ndarray, np.ndarray] | None:
        """Optional: bounds of the loss's curvature along each gradient row.

        The trainer uses them to keep mini-batch SGD stable when a batch
        repeats a row many times (see :func:`bound_steps`). A loss that
        returns None (the default) is trained with plain summed steps.

        Parameters
        ----------
        center_vectors, outside_ids, output_vectors, negative_ids
            As in :meth:`loss_and_grad`.

        Returns
        -------
        curvature : tuple of two ndarrays, or None
            ``(center, output)``: ``center[i]`` is (at least) the trace of
            the Hessian of pair ``i``'s loss with respect to its center
            vector, and ``output[j]`` that of the term of row ``j`` of
            ``loss_and_grad``'s ``grad_output`` with respect to its output
            vector. Where the loss is locally almost linear but the gradient
            large (a confidently wrong prediction), report a floor as
            :func:`curvature_weights` does, so that a step of ``1 / C``
            cannot run away.
        """
        return None

    def __call__(self, center_vectors, outside_ids, output_vectors, negative_ids=None):
        """Alias of :meth:`loss_and_grad`."""
        return self.loss_and_grad(center_vectors, outside_ids, output_vectors, negative_ids)

    # scikit-learn's clone() uses get_params / set_params when present.
    def get_params(self, deep: bool = True) -> dict:
        """Constructor parameters, for :func:`sklearn.base.clone`.

        Parameters
        ----------
        deep : bool, default=True
            Unused; present for scikit-learn compatibility.

        Returns
        -------
        params : dict
        """
        import inspect

        sig = inspect.signature(type(self).__init__)
        names = [
            p.name
            for p in sig.parameters.values()
            if p.name != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
        ]
        return {name: getattr(self, name) for name in names}

    def set_params(self, **params) -> SkipGramLoss:
        """Set constructor parameters.

        Parameters
        ----------
        **params : dict
            New values.

        Returns
        -------
        self : SkipGramLoss
        """
        valid = self.get_params()
        for key, value in params.items():
            if key not in valid:
                raise ValueError(f"Invalid parameter {key!r} for {type(self).__name__}.")
            setattr(self, key, value)
        return self

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({args})"

    def __eq__(self, other) -> bool:
        return type(self) is type(other) and self.get_params() == other.get_params()

    def __hash__(self) -> int:
        return hash((type(self).__name__, tuple(sorted(self.get_params().items()))))


def _check_batch(center_vectors, outside_ids, output_vectors):
    center_vectors = np.asarray(center_vectors)
    output_vectors = np.asarray(output_vectors)
    outside_ids = np.asarray(outside_ids)
    if center_vectors.ndim != 2 or output_vectors.ndim != 2:
        raise ValueError(
            "center_vectors and output_vectors must be 2-D, got shapes "
            f"{center_vectors.shape} and {output_vectors.shape}."
        )
    if center_vectors.shape[1] != output_vectors.shape[1]:
        raise ValueError(
            f"center_vectors has {center_vectors.shape[1]} features but output_vectors has "
            f"{output_vectors.shape[1]}."
        )
    if outside_ids.shape != (center_vectors.shape[0],):
        raise ValueError(
            f"outside_ids must have shape ({center_vectors.shape[0]},), got {outside_ids.shape}."
        )
    return center_vectors, outside_ids, output_vectors


class NegativeSamplingLoss(SkipGramLoss):
    """Skip-gram negative-sampling loss (Mikolov et al., 2013).

    For each pair, ``J = -log sigma(u_o . v_c) - sum_k log sigma(-u_k . v_c)``
    over the ``K`` negatives supplied by the caller. Cost per pair is
    ``O(K d)``.

    A negative equal to the positive word, or drawn twice, is treated as a
    separate term, exactly as in word2vec.

    Parameters
    ----------
    shared_windows : int, default=1
        How many windows of a batch share one draw of ``K`` negatives when
        the trainer draws them. With 1, each window (the pairs of one
        center word) draws its own ``K`` negatives, as word2vec does per
        pair and Ji et al. (2016) per window. A larger value draws ``K``
        negatives per group of at most that many windows, taken far apart
        in the batch (a batch of ``n`` windows has ``ceil(n / S)`` groups,
        and window ``j`` joins group ``j mod ceil(n / S)``), so a batch
        touches fewer distinct output rows (as BlazingText's batch
        skip-gram shares negatives across windows); a value at least the
        number of windows of a batch shares one draw per batch. Every pair
        still scores against ``K`` negatives, and a shared negative's summed
        step is bounded by the curvature of all the pairs that used it. The
        loss of given arrays does not depend on this.

    References
    ----------
    Ji, S., Satish, N., Li, S., Dubey, P. (2016). Parallelizing Word2Vec in
    shared and distributed memory. arXiv:1604.04661.
    """

    requires_negatives = True

    def __init__(self, shared_windows=1):
        self.shared_windows = shared_windows

    def windows_per_draw(self):
        """The validated ``shared_windows``: an int >= 1.

        Raises
        ------
        ValueError
            If ``shared_windows`` is not an integer of at least 1.
        """
        value = self.shared_windows
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)) \
                or value < 1:
            raise ValueError(
                f"shared_windows must be an integer >= 1, got {value!r}. Use "
                "shared_windows=1 (each window draws its own negatives).")
        return int(value)

    @staticmethod
    def _scores(center_vectors, outside_ids, output_vectors, negative_ids):
        """Rows ``(n, K+1)`` (positive, then negatives), their vectors and scores."""
        v, o, U = _check_batch(center_vectors, outside_ids, output_vectors)
        if negative_ids is None:
            raise ValueError("NegativeSamplingLoss needs negative_ids of shape (n_pairs, K).")
        neg = np.asarray(negative_ids)
        if neg.ndim != 2 or neg.shape[0] != v.shape[0]:
            raise ValueError(
                f"negative_ids must have shape ({v.shape[0]}, K), got {neg.shape}."
            )
        n, k = neg.shape
        # Targets: column 0 is the positive word, columns 1..K the negatives.
        rows = np.empty((n, k + 1), dtype=np.intp)
        rows[:, 0] = o
        rows[:, 1:] = neg
        targets = U[rows]  # (n, K+1, d)
        return v, rows, targets, np.einsum("nd,nkd->nk", v, targets)

    @staticmethod
    def _loss_of_scores(scores):
        sign = np.ones(scores.shape[1], dtype=scores.dtype)
        sign[0] = -1.0
        # J = -log sigma(s_o) - sum log sigma(-s_k) = -sum log sigma(-sign * s)
        return -float(np.sum(log_expit(-sign * scores), dtype=np.float64))

    def loss(self, center_vectors, outside_ids, output_vectors, negative_ids=None):
        """Summed negative-sampling loss, without gradients."""
        return self._loss_of_scores(
            self._scores(center_vectors, outside_ids, output_vectors, negative_ids)[3])

    def loss_and_grad(self, center_vectors, outside_ids, output_vectors, negative_ids=None):
        """Summed negative-sampling loss and gradients, see :class:`SkipGramLoss`."""
        v, rows, targets, scores = self._scores(center_vectors, outside_ids, output_vectors,
                                                negative_ids)
        n, k = rows.shape[0], rows.shape[1] - 1
        loss = self._loss_of_scores(scores)
        # dJ/ds_o = sigma(s_o) - 1 ; dJ/ds_k = sigma(s_k)
        g = expit(scores)
        g[:, 0] -= 1.0
        grad_center = np.einsum("nk,nkd->nd", g, targets)
        grad_output = g[:, :, None] * v[:, None, :]
        return LossOutput(
            loss, grad_center, rows.reshape(-1), grad_output.reshape(n * (k + 1), -1)
        )

    def window_kernel(self):
        """The fused kernel (:mod:`skw2v._core.negative_sampling`), or None.

        None for a subclass that changes the mathematics (overrides
        :meth:`loss_and_grad`, :meth:`curvature` or
        :meth:`loss_grad_curvature`): the kernel would not compute its steps.
        """
        cls = type(self)
        own = all(getattr(cls, name) is getattr(NegativeSamplingLoss, name)
                  for name in ("loss_and_grad", "curvature", "loss_grad_curvature"))
        return WINDOW_KERNEL if own else None

    def reference_loss(self, n_words, n_negatives):
        """``(K + 1) log 2``: every score is 0 at the initialisation."""
        return (n_negatives + 1) * np.log(2.0)

    def curvature(self, center_vectors, outside_ids, output_vectors, negative_ids=None):
        """Curvature along each row, see :meth:`SkipGramLoss.curvature`.

        Each score ``s`` enters through a log-sigmoid with gradient ``g``
        (``sigma(s_o) - 1`` or ``sigma(s_k)``) and second derivative
        ``h = curvature_weights(g)``. So pair ``i``'s Hessian trace along
        its center vector is ``sum_k h_ik ||u_k||^2`` (over the positive and
        the negatives), and along each output vector ``h_ik ||v_i||^2``.
        """
        v, _, targets, scores = self._scores(center_vectors, outside_ids, output_vectors,
                                             negative_ids)
        g = expit(scores)
        g[:, 0] -= 1.0
        h = curvature_weights(g)
        center = np.einsum("nk,nk->n", h, np.einsum("nkd,nkd->nk", targets, targets))
        output = (h * np.einsum("nd,nd->n", v, v)[:, None]).ravel()
        return center, output


class SoftmaxLoss(SkipGramLoss):
    """Exact full-softmax cross-entropy over the whole vocabulary.

    ``J = -log p(o|c)`` with ``p(w|c) = exp(u_w . v_c) / sum_j exp(u_j . v_c)``.
    Cost per pair is ``O(V d)``: use it for small vocabularies or as a
    reference. The ``(n_pairs, V)`` logits are computed in chunks of at most
    ``max_chunk_elements`` numbers, so memory stays bounded whatever the
    vocabulary and batch size.

    Parameters
    ----------
    max_chunk_elements : int, default=4_194_304
        Upper bound on the number of logits held at once (16 MiB in float32).
    """

    requires_negatives = False

    def __init__(self, max_chunk_elements: int = 4_194_304):
        self.max_chunk_elements = max_chunk_elements

    def reference_loss(self, n_words, n_negatives):
        """``log V``: a uniform prediction at the initialisation."""
        return np.log(n_words)

    def _chunks(self, n_pairs, n_words):
        if not (isinstance(self.max_chunk_elements, (int, np.integer))
                and self.max_chunk_elements >= 1):
            raise ValueError(
                "max_chunk_elements must be a positive integer, got "
                f"{self.max_chunk_elements!r}."
            )
        step = max(1, int(self.max_chunk_elements) // max(n_words, 1))
        for start in range(0, n_pairs, step):
            yield slice(start, min(start + step, n_pairs))

    @staticmethod
    def _loss_of_chunk(logits, oo):
        """Summed loss of a chunk; leaves ``exp(logits - max)`` in ``logits``.

        Returns the loss and the row sums of the exponentials (float64).
        """
        idx = np.arange(logits.shape[0])
        true_logit = logits[idx, oo].astype(np.float64)
        # log-sum-exp by the seed's shift invariance, fused in place:
        # p = exp(z - max) / sum exp(z - max); J = log sum exp(z) - z_o.
        zmax = logits.max(axis=1)
        logits -= zmax[:, None]
        np.exp(logits, out=logits)
        total = logits.sum(axis=1, dtype=np.float64)
        return float(np.sum(np.log(total) + zmax - true_logit)), total

    def _grad_of_chunk(self, logits, oo, vc, U, grad_center, grad_output):
        """Loss of a chunk; its gradients go to ``grad_center`` and ``grad_output``."""
        loss, total = self._loss_of_chunk(logits, oo)
        # dJ/dlogits = softmax(logits) - onehot(o)
        logits *= (1.0 / total).astype(logits.dtype)[:, None]
        logits[np.arange(logits.shape[0]), oo] -= 1.0
        grad_center[:] = logits @ U
        grad_output += logits.T @ vc
        return loss

    @staticmethod
    def _curvature_of_chunk(logits, oo, norms_u, norms_v, center, output):
        """Curvature of a chunk into ``center`` (its rows) and ``output`` (added)."""
        logits -= logits.max(axis=1, keepdims=True)
        p = np.exp(logits)
        p /= p.sum(axis=1, keepdims=True)
        g = p.copy()
        g[np.arange(g.shape[0]), oo] -= 1.0
        center[:] = np.maximum(p, 0.25 * np.abs(g)) @ norms_u
        output += curvature_weights(g).T @ norms_v

    def loss(self, center_vectors, outside_ids, output_vectors, negative_ids=None):
        """Summed softmax cross-entropy, without gradients."""
        v, o, U = _check_batch(center_vectors, outside_ids, output_vectors)
        return sum(self._loss_of_chunk(v[sl] @ U.T, o[sl])[0]
                   for sl in self._chunks(v.shape[0], U.shape[0]))

    def _run(self, center_vectors, outside_ids, output_vectors, grads, curvature):
        """Loss, gradients and/or curvature, from one product ``v @ U.T`` per chunk."""
        v, o, U = _check_batch(center_vectors, outside_ids, output_vectors)
        n = v.shape[0]
        dtype = np.result_type(v, U)
        out = None
        if grads:
            grad_center = np.empty((n, U.shape[1]), dtype=dtype)
            grad_output = np.zeros(U.shape, dtype=dtype)
        if curvature:
            norms_u = np.einsum("ij,ij->i", U, U)
            norms_v = np.einsum("ij,ij->i", v, v)
            center = np.empty(n, dtype=np.float64)
            output = np.zeros(U.shape[0], dtype=np.float64)
        loss = 0.0
        for sl in self._chunks(n, U.shape[0]):
            logits = v[sl] @ U.T  # (b, V)
            if curvature:
                self._curvature_of_chunk(logits.copy() if grads else logits, o[sl], norms_u,
                                         norms_v[sl], center[sl], output)
            if grads:
                loss += self._grad_of_chunk(logits, o[sl], v[sl], U, grad_center[sl],
                                            grad_output)
        if grads:
            out = LossOutput(loss, grad_center, np.arange(U.shape[0]), grad_output)
        return out, ((center, output) if curvature else None)

    def loss_and_grad(self, center_vectors, outside_ids, output_vectors, negative_ids=None):
        """Summed softmax cross-entropy and gradients, see :class:`SkipGramLoss`.

        The output gradient covers every row of ``output_vectors``:
        ``output_rows`` is ``arange(V)``.
        """
        return self._run(center_vectors, outside_ids, output_vectors, True, False)[0]

    def curvature(self, center_vectors, outside_ids, output_vectors, negative_ids=None):
        """Curvature along each row, see :meth:`SkipGramLoss.curvature`.

        Along a center vector the Hessian is ``U^T (diag(p) - p p^T) U``,
        whose trace is at most ``sum_w p_w ||u_w||^2``; the weight of each
        word is ``max(p_w, |p_w - y_w| / 4)``. Along output vector ``u_w``
        the Hessian is ``sum_i p_iw (1 - p_iw) v_i v_i^T``, with the weights
        of :func:`curvature_weights`. Computed in the same chunks as
        :meth:`loss_and_grad`.
        """
        return self._run(center_vectors, outside_ids, output_vectors, False, True)[1]

    def loss_grad_curvature(self, center_vectors, outside_ids, output_vectors,
                            negative_ids=None):
        """:meth:`loss_and_grad` and :meth:`curvature` from one pass over the logits."""
        return self._run(center_vectors, outside_ids, output_vectors, True, True)


#: Registry of the built-in losses, keyed by their ``loss=`` string.
LOSSES: dict[str, type[SkipGramLoss]] = {
    "negative_sampling": NegativeSamplingLoss,
    "softmax": SoftmaxLoss,
}


def get_loss(loss) -> SkipGramLoss:
    """Resolve a ``loss`` parameter to a loss object.

    Parameters
    ----------
    loss : str or SkipGramLoss
        A key of :data:`LOSSES` or an object implementing the protocol (a
        ``loss_and_grad`` method and a ``requires_negatives`` attribute).

    Returns
    -------
    loss : SkipGramLoss
        A new instance for strings, the object itself otherwise.

    Raises
    ------
    ValueError
        If ``loss`` is an unknown string or does not implement the protocol.
    """
    if isinstance(loss, str):
        try:
            return LOSSES[loss]()
        except KeyError:
            raise ValueError(
                f"Unknown loss {loss!r}. Use one of {sorted(LOSSES)} or an object "
                "implementing skw2v.losses.SkipGramLoss."
            ) from None
    if callable(getattr(loss, "loss_and_grad", None)) and hasattr(loss, "requires_negatives"):
        return loss
    raise ValueError(
        f"loss must be one of {sorted(LOSSES)} or an object with a loss_and_grad method "
        f"and a requires_negatives attribute (see skw2v.losses.SkipGramLoss); got {loss!r}."
    )


def skipgram_loss_and_grad(
    input_vectors: np.ndarray,
    output_vectors: np.ndarray,
    center_ids: np.ndarray,
    outside_ids: np.ndarray,
    loss: SkipGramLoss | str = "negative_sampling",
    negative_ids: np.ndarray | None = None,
):
    """Skip-gram loss summed over pairs, with sparse gradients for both matrices.

    For a center word ``c`` and its window ``c-m .. c+m``, the skip-gram loss
    is ``sum_{-m <= j <= m, j != 0} F(w_{c+j}, v_c)``: pass one pair per
    window position. The gradient with respect to an input vector ``v_j``
    with ``j`` not a center of any pair is zero, so only the center rows are
    returned.

    Parameters
    ----------
    input_vectors : ndarray of shape (n_words, n_features)
        Input ("center") vectors ``V``.
    output_vectors : ndarray of shape (n_words, n_features)
        Output ("outside") vectors ``U``.
    center_ids : ndarray of int of shape (n_pairs,)
    outside_ids : ndarray of int of shape (n_pairs,)
    loss : str or SkipGramLoss, default="negative_sampling"
    negative_ids : ndarray of int of shape (n_pairs, K), default=None

    Returns
    -------
    loss : float
        Summed loss (float64).
    input_rows : ndarray of int
        Row ids of ``input_vectors`` with a gradient (repeats allowed).
    grad_input : ndarray
        Their gradient rows.
    output_rows : ndarray of int
        Row ids of ``output_vectors`` with a gradient (repeats allowed).
    grad_output : ndarray
        Their gradient rows.
    """
    loss = get_loss(loss)
    center_ids = np.asarray(center_ids)
    out = loss.loss_and_grad(input_vectors[center_ids], outside_ids, output_vectors, negative_ids)
    return out.loss, center_ids, out.grad_center, out.output_rows, out.grad_output



def subword_loss_and_grad(
    input_matrix: np.ndarray,
    output_vectors: np.ndarray,
    composition,
    center_ids: np.ndarray,
    outside_ids: np.ndarray,
    loss: SkipGramLoss | str = "negative_sampling",
    negative_ids: np.ndarray | None = None,
):
    """Skip-gram loss of composed (subword) input vectors, with its exact gradient.

    With subwords, word ``w``'s input vector is ``v_w = M[w] @ W``: row ``w``
    of the composition ``M`` (see
    :func:`skw2v._core.subwords.vocabulary_composition`) averages the rows
    of the input matrix ``W`` (the words' own rows, then the n-gram buckets)
    that make up the word. By the chain rule the gradient of the summed loss
    with respect to ``W`` is ``M[center_ids].T @ grad_center``, where
    ``grad_center`` is the loss's gradient with respect to the composed
    vectors. This function gives it in sparse row form, so that it can be
    checked against finite differences (:func:`skw2v.gradcheck.check_gradient`)
    for any :class:`SkipGramLoss`.

    Training does not step along this gradient as it is: it scales each
    word's share by the number of rows the word has, as fastText does, so
    that a composed vector moves as far as a plain word vector would (see
    the user guide on subwords).

    Parameters
    ----------
    input_matrix : ndarray of shape (n_rows, n_features)
        The input matrix ``W`` (``n_rows = n_words + n_buckets``).
    output_vectors : ndarray of shape (n_words, n_features)
    composition : sparse matrix of shape (n_words, n_rows)
        ``M``; any SciPy sparse matrix or array in CSR form.
    center_ids : ndarray of int of shape (n_pairs,)
        The words whose composed vectors are the pairs' input vectors.
    outside_ids : ndarray of int of shape (n_pairs,)
    loss : str or SkipGramLoss, default="negative_sampling"
    negative_ids : ndarray of int of shape (n_pairs, K), default=None

    Returns
    -------
    loss : float
        Summed loss (float64).
    input_rows : ndarray of intp
        The rows of ``input_matrix`` that the pairs use (increasing, unique).
    grad_input : ndarray of shape (len(input_rows), n_features)
        The gradient of the loss with respect to those rows (every other
        row's is zero).
    output_rows : ndarray of int
        Row ids of ``output_vectors`` with a gradient (repeats allowed).
    grad_output : ndarray
        Their gradient rows.

    Examples
    --------
    >>> import numpy as np
    >>> from skw2v._core.subwords import SubwordSpec, vocabulary_composition
    >>> words = ["walk", "walks", "walked"]
    >>> spec = SubwordSpec(3, 4, n_buckets=50)
    >>> M = vocabulary_composition(spec, words, dtype=np.float64)
    >>> rng = np.random.default_rng(0)
    >>> W, U = rng.normal(size=(53, 4)), rng.normal(size=(3, 4))
    >>> out = subword_loss_and_grad(W, U, M, [0, 1, 1], [2, 0, 2], "softmax")
    >>> out[2].shape == (out[1].size, 4)
    True
    """
    loss = get_loss(loss)
    center_ids = np.asarray(center_ids).ravel()
    M = composition.tocsr()[center_ids]
    vectors = np.asarray(M @ input_matrix)
    out = loss.loss_and_grad(vectors, outside_ids, output_vectors, negative_ids)
    # M^T grad_center, on the rows the pairs use only
    coo = M.tocoo()
    rows, column = np.unique(coo.col, return_inverse=True)
    grad = np.zeros((rows.size, input_matrix.shape[1]),
                    dtype=np.result_type(M.dtype, out.grad_center.dtype))
    np.add.at(grad, column, coo.data[:, None] * np.asarray(out.grad_center)[coo.row])
    return out.loss, rows.astype(np.intp), grad, out.output_rows, out.grad_output
