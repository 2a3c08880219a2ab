"""skw2v: word2vec skip-gram embeddings as a scikit-learn estimator.

The estimator and word-vector classes are imported lazily, so that
``import skw2v.losses`` stays free of scikit-learn and joblib.
"""

import logging as _logging

from ._version import __version__ as __version__

# A library adds no output of its own to the application's logging: only a
# NullHandler, so that records are dropped unless the application configures
# handlers (see "Configuring Logging for a Library" in the logging HOWTO).
_logging.getLogger("skw2v").addHandler(_logging.NullHandler())

_LAZY = {
    "SkipGramVectorizer": "._estimator",
    "EpochInfo": "._estimator",
    "Checkpoint": "._estimator",
    "TrainingDiverged": "._estimator",
    "KeyedVectors": ".keyedvectors",
    "SkipGramLoss": ".losses",
    "SoftmaxLoss": ".losses",
    "NegativeSamplingLoss": ".losses",
}
_SUBMODULES = ("losses", "gradcheck", "evaluation", "keyedvectors", "datasets")

__all__ = sorted([*_LAZY, *_SUBMODULES, "__version__"])


def __getattr__(name):
    import importlib

    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name], __name__), name)
    if name in _SUBMODULES:
        return importlib.import_module("." + name, __name__)
    raise AttributeError(f"module 'skw2v' has no attribute {name!r}")


def __dir__():
    return __all__
