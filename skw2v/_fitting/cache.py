"""The ``memory`` parameter: trained vectors cached with a joblib.Memory.

Only the training is cached, never the reading: the documents are read and
encoded as usual (once, so one-shot generators keep working), then the
encoded corpus is fingerprinted (:func:`~skw2v._data.encode.corpus_fingerprint`)
and the training looked up under a key made of

* that fingerprint (it already reflects every text option, the stop words
  and the vocabulary pruning: ``min_count``, ``max_vocab_size``, ``min_df``,
  ``max_df``);
* the parameters that change training on a given corpus (:func:`training_key`):
  ``n_components``, ``window``, ``loss``, ``n_negatives``, ``noise_exponent``,
  ``subsample``, ``epochs``, ``learning_rate``, ``min_learning_rate``,
  ``batch_size``, ``dtype``, ``random_state``, ``initial_vectors`` (by
  content) and the parallel scheme (serial, Hogwild with its number of jobs,
  or synchronised shards with ``n_shards`` and ``syncs_per_epoch``);
* the subwords (``char_ngram_range``, ``n_buckets`` and ``word_boundaries``),
  only when ``char_ngram_range`` is set (so the keys of fits without
  subwords are those of earlier versions);
* the skw2v version (a new version may train differently).

Not in the key, because they do not change the trained vectors: ``pooling``,
``norm``, ``sif_alpha`` (``idf_`` and ``sif_component_`` are computed after
the cached part, from the corpus and the vectors), ``verbose``,
``spill_threshold`` and ``temp_folder`` (spilled fits are bit-identical),
``n_jobs`` beyond the scheme it selects.

Never cached: a fit that starts from a state (``partial_fit``,
``resume_from``); a fit with ``callbacks`` (they may stop training early or
have side effects such as writing a :class:`~skw2v._fitting.state.Checkpoint`,
which a cached result would silently skip); a ``random_state`` given as a
``RandomState`` instance (its state changes with every fit, and a cached fit
would not advance it); a custom loss that joblib cannot hash. Those fits
train as without ``memory`` (the last three with a warning).
"""

from __future__ import annotations

import hashlib
import logging
import numbers
import os
import warnings

import numpy as np
from joblib import effective_n_jobs
from joblib import hash as joblib_hash

from .._compat import caller_stacklevel
from .._data.encode import corpus_fingerprint
from .._params import checked_memory
from .._version import __version__
from . import trainer

logger = logging.getLogger("skw2v")

#: The parameters of a FitConfig that change training on a given encoded corpus.
TRAINING_PARAMS = ("n_components", "window", "n_negatives", "noise_exponent", "subsample",
                   "epochs", "learning_rate", "min_learning_rate", "batch_size")
#: The fields of a TrainResult, as the cache stores them.
_RESULT_FIELDS = ("vectors", "output_vectors", "loss_curve", "n_pairs", "seed",
                  "learning_rate")
#: Arguments of :func:`_train_for_cache` that are not hashed (the key stands for them).
_NOT_HASHED = ["config", "corpus", "strategy", "workspace"]


def _file_digest(path):
    """SHA-256 of a file's bytes, read in 1 MiB pieces."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for piece in iter(lambda: fh.read(1 << 20), b""):
            h.update(piece)
    return "sha256:" + h.hexdigest()


def _initial_vectors_key(initial_vectors):
    """What the initial vectors contribute to the key: their content, not their identity."""
    if initial_vectors is None:
        return None
    if isinstance(initial_vectors, (str, os.PathLike)):
        binary = trainer.is_binary_vector_file(initial_vectors)  # as the trainer reads it
        return ("file", binary, _file_digest(initial_vectors))
    kv = initial_vectors
    return ("vectors", joblib_hash(list(kv.index_to_key)), joblib_hash(np.asarray(kv.vectors)))


def _scheme_key(strategy):
    """The parallel scheme, as far as it changes results."""
    if strategy.kind == "synced":
        return ("synced", strategy.n_shards, strategy.syncs_per_epoch)
    if strategy.kind == "hogwild":
        return ("hogwild", effective_n_jobs(strategy.n_jobs))
    return ("serial",)


def not_cacheable(config):
    """Why a fit with ``config`` cannot be cached (a sentence), or None."""
    if config.callbacks:
        return ("callbacks are set (they may stop training early or write files, which a "
                "cached result would skip)")
    if isinstance(config.random_state, np.random.RandomState):
        return ("random_state is a RandomState instance, whose state changes with every fit; "
                "use an int")
    return None


def _plain(value):
    """A NumPy number as the Python number it equals (so both give one key)."""
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        return int(value)
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        return float(value)
    return value


def training_key(config, strategy, fingerprint):
    """The cache key of a training: the corpus fingerprint and what changes training on it.

    Returns
    -------
    key : dict
        Plain values only, hashed by joblib.
    """
    key = {name: _plain(getattr(config, name)) for name in TRAINING_PARAMS}
    key.update(
        skw2v_version=__version__, corpus=fingerprint,
        loss=joblib_hash(config.loss), dtype=np.dtype(config.dtype).name,
        random_state=None if config.random_state is None else int(config.random_state),
        initial_vectors=_initial_vectors_key(config.initial_vectors),
        scheme=_scheme_key(strategy))
    spec = config.subwords
    if spec is not None:
        key["subwords"] = (int(spec.min_n), int(spec.max_n), int(spec.n_buckets), spec.bow,
                           spec.eow)
    return key


def _train_for_cache(key, *, config, corpus, strategy, workspace):
    """Train (the function joblib caches; only ``key`` is hashed)."""
    result = trainer.train(config, corpus, strategy=strategy, estimator=None,
                           checkpoint_params={}, workspace=workspace)
    return {name: getattr(result, name) for name in _RESULT_FIELDS}


def train_or_load(config, corpus, *, strategy, estimator, checkpoint_params, state=None,
                  schedule_start=0, n_tokens_before=0, workspace=None):
    """:func:`~skw2v._fitting.trainer.train`, through the cache of ``config.memory`` when it can.

    The arguments are those of :func:`~skw2v._fitting.trainer.train`. A fit
    from a ``state`` (``partial_fit``, ``resume_from``) is never cached.
    """
    args = dict(strategy=strategy, estimator=estimator, checkpoint_params=checkpoint_params,
                state=state, schedule_start=schedule_start, n_tokens_before=n_tokens_before,
                workspace=workspace)
    memory = checked_memory(config.memory)
    if memory is None or state is not None or schedule_start or n_tokens_before:
        return trainer.train(config, corpus, **args)
    reason = not_cacheable(config)
    if reason is None:
        try:
            key = training_key(config, strategy, corpus_fingerprint(corpus))
        except Exception as exc:  # noqa: BLE001 - e.g. a custom loss that cannot be pickled
            key, reason = None, f"its key could not be computed ({type(exc).__name__}: {exc})"
    if reason is not None:
        warnings.warn(f"memory is set, but this fit is not cached: {reason}.", UserWarning,
                      stacklevel=caller_stacklevel())
        return trainer.train(config, corpus, **args)
    cached = memory.cache(_train_for_cache, ignore=_NOT_HASHED)
    parts = dict(config=config, corpus=corpus, strategy=strategy, workspace=workspace)
    if config.verbose:
        check = getattr(cached, "check_call_in_cache", None)
        if check is not None and check(key, **parts):
            logger.info("memory: trained vectors found in the cache, training skipped")
        else:
            logger.info("memory: training, then caching the vectors")
    out = cached(key, **parts)
    arrays = {name: np.array(out[name]) for name in _RESULT_FIELDS[:4]}  # own, writable
    return trainer.TrainResult(**arrays, seed=int(out["seed"]),
                               learning_rate=float(out["learning_rate"]))
