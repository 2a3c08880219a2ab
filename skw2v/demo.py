"""The README's main job: ``python -m skw2v.demo``."""

from __future__ import annotations

import numpy as np

from .gradcheck import check_gradient
from .losses import NegativeSamplingLoss, SoftmaxLoss


def main() -> int:
    """Run the loss core on a tiny problem and check its gradients."""
    rng = np.random.default_rng(0)
    v = rng.normal(size=(4, 3))
    U = rng.normal(size=(10, 3))
    o = rng.integers(0, 10, 4)
    neg = rng.integers(0, 10, (4, 5))
    for loss in (SoftmaxLoss(), NegativeSamplingLoss()):
        out = loss.loss_and_grad(v, o, U, neg)
        res = check_gradient(lambda x, loss=loss: loss.loss_and_grad(x, o, U, neg).loss,
                             v.copy(), out.grad_center)
        print(f"{type(loss).__name__:22s} loss={out.loss:8.4f} "
              f"max relative gradient error={res.max_rel_error:.1e}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
