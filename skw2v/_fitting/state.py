"""What a fit produces and what it can resume from.

* :class:`FittedState`: the fitted attributes of the estimator. Its fields
  are the one list of them; the estimator publishes, saves and loads them
  through it.
* :class:`TrainState`: everything needed to continue a fit after a number
  of epochs (a :class:`Checkpoint` writes it; ``resume_from`` reads it).
* :class:`EpochInfo`: what an epoch callback receives.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from itertools import islice

import numpy as np

from .._compat import release_free_memory
from .._files.checkpoint import read_checkpoint, write_checkpoint


class TrainingDiverged(FloatingPointError):
    """Raised when training produces NaN or infinite values."""


@dataclass
class FittedState:
    """The fitted attributes of a SkipGramVectorizer (``vocabulary_`` is derived).

    ``vectors_`` are the words' input vectors; with subwords, the composed
    ones, and ``vectors_vocab_`` (the words' own rows) and ``vectors_ngrams_``
    (the n-gram bucket rows) are the trained input matrix, as gensim's
    ``FastTextKeyedVectors`` names them. Without subwords both are None.
    """

    index_to_key_: list
    word_counts_: np.ndarray
    vectors_: np.ndarray
    output_vectors_: np.ndarray
    loss_curve_: np.ndarray
    n_pairs_: np.ndarray
    n_tokens_: int
    idf_: np.ndarray
    sif_component_: np.ndarray
    _seed_: int
    learning_rate_: float
    vectors_vocab_: np.ndarray | None = None
    vectors_ngrams_: np.ndarray | None = None

    @classmethod
    def names(cls):
        """The fitted attributes, in order."""
        return tuple(f.name for f in fields(cls))

    @classmethod
    def optional(cls):
        """Attributes added later, None when absent (estimators fitted before them)."""
        return tuple(f.name for f in fields(cls) if f.default is None)

    @classmethod
    def missing(cls, estimator):
        """The fitted attributes ``estimator`` lacks (the optional ones are never missing)."""
        optional = cls.optional()
        return [name for name in cls.names()
                if name not in optional and not hasattr(estimator, name)]

    @classmethod
    def of(cls, estimator):
        """The fitted state of a fitted ``estimator``."""
        return cls(**{name: getattr(estimator, name, None) for name in cls.names()})

    def as_dict(self):
        return {name: getattr(self, name) for name in self.names()}

    def publish(self, estimator):
        """Set the fitted attributes on ``estimator`` (and ``vocabulary_``)."""
        for name, value in self.as_dict().items():
            setattr(estimator, name, value)
        estimator.vocabulary_ = vocabulary_index(self.index_to_key_)


def vocabulary_index(words):
    """``{word: index}`` of ``words``, grown so that its old tables do not stay resident.

    A dict doubles its table as it fills and frees the old one; from about
    a hundred thousand words on, those are megabytes of the C heap, left as
    holes under the final table (219,465 words: a table of 7.3 MB, and
    7 MB of holes under it). The words go in up to each size at
    which the table grows, and after each large step the heap's free pages
    are handed back (:func:`~skw2v._compat.release_free_memory`). The same
    dict, in the same order.
    """
    index = {}
    a, size = 0, 8
    while a < len(words):
        # a dict of ``size`` slots holds 2/3 of them; the next word grows it
        b = min(len(words), size * 2 // 3 + 1)
        index.update(zip(islice(words, a, b), range(a, b), strict=True))
        if b - a >= TRIM_WORDS:
            release_free_memory()
        a, size = b, 2 * size
    return index


#: Words inserted in one step of :func:`vocabulary_index` from which the freed
#: table (about 16 bytes a word, and the step doubles the table) is handed back.
TRIM_WORDS = 1 << 15


class EpochInfo:
    """What an epoch callback receives about the training in progress.

    Attributes
    ----------
    epoch : int
        The epoch just finished, counted from 0.
    loss : float
        Mean loss per pair of that epoch.
    loss_curve : ndarray of float64
        Mean loss of every epoch so far.
    learning_rate : float
        Learning rate at the end of the epoch.
    vectors : ndarray of shape (n_words, n_components)
        The input vectors as they are now (do not modify); with subwords,
        the words' composed vectors (a new array each epoch).
    output_vectors : ndarray of shape (n_words, n_components)
        The output vectors as they are now (do not modify).
    """

    def __init__(self, epoch, loss, loss_curve, learning_rate, vectors, output_vectors,
                 state=None):
        self.epoch = epoch
        self.loss = loss
        self.loss_curve = loss_curve
        self.learning_rate = learning_rate
        # an array, or a function that computes it (the composed vectors of a
        # subword model, computed only if a callback reads them)
        self._vectors = vectors
        self.output_vectors = output_vectors
        self._state = state

    @property
    def vectors(self):
        """The input vectors of the words (see the class documentation)."""
        if callable(self._vectors):
            self._vectors = self._vectors()
        return self._vectors

    def __repr__(self):
        return f"EpochInfo(epoch={self.epoch}, loss={self.loss:.6g})"


#: Parameters that must be equal for a checkpoint to be resumed: those of training,
#: and those that change the training corpus (the vocabulary is compared too).
CHECKPOINT_PARAMS = ("n_components", "window", "n_negatives", "noise_exponent", "min_count",
                     "max_vocab_size", "subsample", "epochs", "learning_rate",
                     "min_learning_rate", "batch_size", "stop_words", "min_df", "max_df",
                     "char_ngram_range", "n_buckets", "word_boundaries")
#: Parameters added to :data:`CHECKPOINT_PARAMS` later, with the value that a checkpoint
#: written before them was fitted with (as JSON gives them back: tuples as lists).
LATER_CHECKPOINT_PARAMS = {"stop_words": None, "min_df": 1, "max_df": 1.0,
                           "char_ngram_range": None, "n_buckets": 2_000_000,
                           "word_boundaries": ["<", ">"]}
#: The parameters that only matter with subwords (``char_ngram_range`` set).
_SUBWORD_ONLY = ("n_buckets", "word_boundaries")


def checkpoint_params(params):
    """The parameters recorded in a checkpoint, from the estimator's parameters.

    Tuples are recorded as lists (as they come back from the checkpoint's
    JSON). Without subwords, ``n_buckets`` and ``word_boundaries`` change
    nothing, so they are recorded at their defaults.
    """
    out = {n: list(params[n]) if isinstance(params[n], tuple) else params[n]
           for n in CHECKPOINT_PARAMS}
    if params["char_ngram_range"] is None:
        out.update({n: LATER_CHECKPOINT_PARAMS[n] for n in _SUBWORD_ONLY})
    loss = params["loss"]
    out["loss"] = loss if isinstance(loss, str) else type(loss).__name__
    out["dtype"] = np.dtype(params["dtype"]).name
    return out


class TrainState:
    """Everything needed to continue a fit after a given number of epochs."""

    def __init__(self, epoch, vectors, output_vectors, loss_curve, n_pairs, seed,
                 epochs_planned, index_to_key=None, word_counts=None, params=None):
        self.epoch = int(epoch)
        self.vectors = vectors
        self.output_vectors = output_vectors
        self.loss_curve = np.asarray(loss_curve, dtype=np.float64)
        self.n_pairs = np.asarray(n_pairs, dtype=np.int64)
        self.seed = int(seed)
        self.epochs_planned = int(epochs_planned)
        self.index_to_key = index_to_key
        self.word_counts = word_counts
        self.params = params

    def save(self, path):
        """Write this state as a checkpoint file, atomically."""
        write_checkpoint(
            path, {"epoch": self.epoch, "seed": self.seed, "epochs_planned": self.epochs_planned,
                   "params": self.params},
            vectors=self.vectors, output_vectors=self.output_vectors,
            loss_curve=self.loss_curve, n_pairs=self.n_pairs, index_to_key=self.index_to_key,
            word_counts=self.word_counts)

    @classmethod
    def load(cls, path):
        """Read a checkpoint written by :class:`Checkpoint` (never unpickles)."""
        meta, arrays = read_checkpoint(path)
        return cls(meta["epoch"], arrays["vectors"], arrays["output_vectors"],
                   arrays["loss_curve"], arrays["n_pairs"], meta["seed"],
                   meta["epochs_planned"], arrays["index_to_key"], arrays["word_counts"],
                   meta["params"])

    def check_compatible(self, params, index_to_key, word_counts):
        """Refuse to resume with other parameters, another corpus, or nothing left to do.

        ``params`` are the fit's :func:`checkpoint_params`.
        """
        recorded = {**LATER_CHECKPOINT_PARAMS, **(self.params or {})}
        if recorded != params:
            diff = sorted(k for k in set(params) | set(recorded)
                          if recorded.get(k) != params.get(k))
            raise ValueError(
                f"The checkpoint was written with different parameters ({diff}); resume with "
                "the parameters of the interrupted fit.")
        if list(self.index_to_key) != list(index_to_key) or not np.array_equal(
                self.word_counts, word_counts):
            raise ValueError(
                "The checkpoint's vocabulary differs from this corpus's; resume with the same "
                "documents as the interrupted fit.")
        if self.epoch >= self.epochs_planned:
            raise ValueError(f"The checkpoint is already at the last epoch ({self.epoch}); "
                             "there is nothing to resume.")


class Checkpoint:
    """Epoch callback that writes a resumable checkpoint.

    After every ``every``-th epoch the training state (vectors, epoch, loss
    curve, random seed, vocabulary) is written atomically to ``path``, as an
    ``.npz`` file of plain arrays. Pass the same path as ``resume_from`` to
    :meth:`SkipGramVectorizer.fit` to continue an interrupted fit.

    Parameters
    ----------
    path : str or path-like
        Checkpoint file (overwritten each time).
    every : int, default=1
        Write after every ``every`` epochs.

    Examples
    --------
    >>> from skw2v import Checkpoint, SkipGramVectorizer
    >>> vec = SkipGramVectorizer(callbacks=[Checkpoint("w2v.ckpt.npz")])  # doctest: +SKIP
    >>> vec.fit(docs, resume_from="w2v.ckpt.npz")  # after an interruption  # doctest: +SKIP
    """

    def __init__(self, path, every=1):
        self.path = path
        self.every = every

    def __call__(self, estimator, info):
        if (info.epoch + 1) % self.every == 0 and info._state is not None:
            info._state.save(self.path)
        return False
