"""skw2v: word2vec skip-gram embeddings as a scikit-learn estimator."""

__version__ = "0.1.0"

from . import losses  # noqa: E402
from .losses import NegativeSamplingLoss, SkipGramLoss, SoftmaxLoss  # noqa: E402

__all__ = [
    "NegativeSamplingLoss",
    "SkipGramLoss",
    "SoftmaxLoss",
    "__version__",
    "losses",
]
