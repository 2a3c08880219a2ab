"""Finite-difference gradient checking.

Imports only NumPy. Used by the test suite on every loss, and useful to anyone
writing a custom :class:`skw2v.losses.SkipGramLoss`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np

__all__ = ["GradientCheckResult", "check_gradient", "numerical_gradient"]


class GradientCheckResult(NamedTuple):
    """Outcome of :func:`check_gradient`.

    Attributes
    ----------
    max_rel_error : float
        Largest relative error over the checked coordinates.
    mean_rel_error : float
        Mean relative error over the checked coordinates.
    numerical : ndarray
        Central-difference estimates at the checked coordinates.
    analytic : ndarray
        Analytic gradient at the same coordinates.
    """

    max_rel_error: float
    mean_rel_error: float
    numerical: np.ndarray
    analytic: np.ndarray


def numerical_gradient(f: Callable[[np.ndarray], float], x: np.ndarray, eps: float = 1e-6,
                       indices=None) -> np.ndarray:
    """Central-difference gradient of a scalar function.

    Parameters
    ----------
    f : callable
        ``f(x) -> float``. It is called on ``x`` modified in place, so it must
        read ``x`` afresh on each call.
    x : ndarray of float64
        The point; restored to its original value on return.
    eps : float, default=1e-6
        Step size.
    indices : sequence of int tuples, default=None
        Coordinates to differentiate; all coordinates when None.

    Returns
    -------
    grad : ndarray
        Same shape as ``x`` when ``indices`` is None, else shape ``(len(indices),)``.
    """
    if x.dtype != np.float64:
        raise TypeError(f"numerical_gradient needs a float64 array, got {x.dtype}.")
    full = indices is None
    if full:
        indices = list(np.ndindex(x.shape))
    out = np.empty(len(indices))
    for i, idx in enumerate(indices):
        old = x[idx]
        x[idx] = old + eps
        fp = f(x)
        x[idx] = old - eps
        fm = f(x)
        x[idx] = old
        out[i] = (fp - fm) / (2.0 * eps)
    return out.reshape(x.shape) if full else out


def check_gradient(f: Callable[[np.ndarray], float], x: np.ndarray, analytic: np.ndarray,
                   eps: float = 1e-6, n_coords: int | None = None,
                   random_state: int | None = 0, atol: float = 1e-8) -> GradientCheckResult:
    """Compare an analytic gradient with central finite differences.

    The relative error per coordinate is
    ``|num - ana| / max(|num| + |ana|, atol)``, so coordinates where both
    are (near) zero do not dominate.

    Parameters
    ----------
    f : callable
        ``f(x) -> float``, the scalar function (evaluated on ``x`` in place).
    x : ndarray of float64
        The point at which to check.
    analytic : ndarray of the same shape as ``x``
        The analytic gradient at ``x``.
    eps : float, default=1e-6
        Finite-difference step.
    n_coords : int, default=None
        Check only this many randomly chosen coordinates (all when None).
    random_state : int, default=0
        Seed for the choice of coordinates.
    atol : float, default=1e-8
        Floor of the denominator of the relative error. Raise it for
        saturated inputs, where gradients fall below what central
        differences can resolve (about ``1e-16 * |f| / eps``).

    Returns
    -------
    result : GradientCheckResult
    """
    analytic = np.asarray(analytic, dtype=np.float64)
    if analytic.shape != x.shape:
        raise ValueError(f"analytic has shape {analytic.shape}, expected {x.shape}.")
    all_idx = list(np.ndindex(x.shape))
    if n_coords is not None and n_coords < len(all_idx):
        rng = np.random.default_rng(random_state)
        pick = rng.choice(len(all_idx), size=n_coords, replace=False)
        all_idx = [all_idx[i] for i in pick]
    num = numerical_gradient(f, x, eps=eps, indices=all_idx)
    ana = np.array([analytic[i] for i in all_idx])
    rel = np.abs(num - ana) / np.maximum(np.abs(num) + np.abs(ana), atol)
    return GradientCheckResult(float(rel.max()), float(rel.mean()), num, ana)
