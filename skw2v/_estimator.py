"""SkipGramVectorizer: the scikit-learn estimator."""

from __future__ import annotations

import codecs
import contextlib
import errno
import logging
import numbers
import os
import re
import shutil
import signal
import tempfile
import threading
import time
import warnings

import numpy as np
import scipy.sparse as sp
from joblib import effective_n_jobs
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.exceptions import NotFittedError
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted

from ._corpus import skipgram_pairs
from ._parallel import count_and_encode, shared_memory_backend, train_epoch
from ._store import (
    TokenFile,
    TokenSink,
    Workspace,
    document_blocks,
    parse_nbytes,
    remap_compact,
    subsample,
)
from ._text import (
    DEFAULT_TOKEN_PATTERN,
    _caller_stacklevel,
    analyze_document,
    check_documents,
    document_chunks,
)
from ._vocab import draw_negatives, keep_probabilities, noise_sampler, order_vocabulary
from .losses import LOSSES, NegativeSamplingLoss, SoftmaxLoss, get_loss

logger = logging.getLogger("skw2v")

_POOLINGS = ("mean", "sum", "max", "tfidf", "sif")


class TrainingDiverged(FloatingPointError):
    """Raised when training produces NaN or infinite values."""


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
        The input vectors as they are now (do not modify).
    output_vectors : ndarray of shape (n_words, n_components)
        The output vectors as they are now (do not modify).
    """

    def __init__(self, epoch, loss, loss_curve, learning_rate, vectors, output_vectors,
                 state=None):
        self.epoch = epoch
        self.loss = loss
        self.loss_curve = loss_curve
        self.learning_rate = learning_rate
        self.vectors = vectors
        self.output_vectors = output_vectors
        self._state = state

    def __repr__(self):
        return f"EpochInfo(epoch={self.epoch}, loss={self.loss:.6g})"


class _TrainState:
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
        from ._persist import write_checkpoint

        write_checkpoint(
            path, {"epoch": self.epoch, "seed": self.seed, "epochs_planned": self.epochs_planned,
                   "params": self.params},
            vectors=self.vectors, output_vectors=self.output_vectors,
            loss_curve=self.loss_curve, n_pairs=self.n_pairs, index_to_key=self.index_to_key,
            word_counts=self.word_counts)

    def check_compatible(self, est, index_to_key, word_counts):
        params = est._checkpoint_params()
        if self.params != params:
            diff = sorted(k for k in set(params) | set(self.params or {})
                          if (self.params or {}).get(k) != params.get(k))
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


def load_checkpoint(path):
    """Read a checkpoint written by :class:`Checkpoint` (never unpickles)."""
    from ._persist import read_checkpoint

    meta, arrays = read_checkpoint(path)
    return _TrainState(meta["epoch"], arrays["vectors"], arrays["output_vectors"],
                       arrays["loss_curve"], arrays["n_pairs"], meta["seed"],
                       meta["epochs_planned"], arrays["index_to_key"], arrays["word_counts"],
                       meta["params"])


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


_INT32_MAX = (1 << 31) - 1
_INT64_MAX = (1 << 63) - 1
_SEED_MAX = (1 << 32) - 1
#: Word-vector dimension: beyond it the two matrices alone need gigabytes per
#: thousand words.
_MAX_COMPONENTS = 1 << 16
#: Window radius. Pairs grow as window x tokens; the radii are drawn as
#: int32 and a block of 65,536 centers makes up to 2 * window pairs each,
#: whose positions must stay addressable by the batch layouts.
_MAX_WINDOW = 1 << 20
_MAX_EPOCHS = 1 << 20
_MAX_NEGATIVES = 1 << 10
#: n_shards and syncs_per_epoch each, and their product (one random stream each).
_MAX_SHARDS = 1 << 16
_MAX_SLICES = 1 << 20
_MAX_JOBS = 1 << 15
_MAX_NOISE_EXPONENT = 100.0


def _as_float(x):
    """``float(x)`` for a real number (not a bool), None otherwise or on overflow."""
    if not _is_real(x):
        return None
    try:
        return float(x)
    except (OverflowError, TypeError, ValueError):
        return None


def _is_int(x):
    return isinstance(x, numbers.Integral) and not isinstance(x, bool)


def _is_real(x):
    return isinstance(x, numbers.Real) and not isinstance(x, bool)


class SkipGramVectorizer(TransformerMixin, BaseEstimator):
    """Learn word2vec skip-gram vectors and turn documents into dense features.

    ``fit`` learns one vector per word with the skip-gram objective (each
    word's vector predicts the words around it); ``transform`` pools the
    vectors of each document's words into one row, so the estimator can sit
    in a :class:`~sklearn.pipeline.Pipeline` in front of any classifier.

    Parameters
    ----------
    n_components : int, default=100
        Dimension of the word vectors (and of the output rows).
    window : int, default=5
        Maximum distance between a center word and an outside word. Each
        center draws its radius uniformly from ``1..window``.
    loss : {"negative_sampling", "softmax"} or SkipGramLoss, default="negative_sampling"
        Training objective. ``"softmax"`` is the exact full-softmax
        cross-entropy, ``O(V)`` per pair; ``"negative_sampling"`` is
        ``O(n_negatives)`` per pair. An object implementing
        :class:`skw2v.losses.SkipGramLoss` plugs in a custom loss.
    n_negatives : int, default=5
        Negative samples per pair (gensim's ``negative``), when the loss uses
        them.
    noise_exponent : float, default=0.75
        Negatives are drawn from ``count ** noise_exponent``, in ``[0, 100]``
        (0 is uniform; large values draw only the most frequent words).
    min_count : int, default=5
        Words seen fewer times are dropped before training. Windows span over
        dropped words, as in word2vec.
    max_vocab_size : int or None, default=None
        Keep at most this many of the most frequent words.
    subsample : float, default=1e-3
        Threshold of word2vec's frequent-word subsampling; 0 disables it.
    epochs : int, default=5
        Passes over the corpus.
    learning_rate : float or "auto", default="auto"
        Initial SGD step size (gensim's ``alpha``). ``"auto"`` sizes it to
        the corpus: 0.025 (word2vec's and gensim's value) for corpora of
        16M in-vocabulary tokens or more at 5 epochs, and
        ``0.025 * sqrt(8e7 / (n_tokens * epochs))`` below that, at most 0.1,
        because fewer SGD steps need larger ones (on the first 1M tokens of
        text8like, WS353 0.33 at 0.025 against 0.44 at 0.1). With
        synchronised shards (``n_shards``, or a Dask cluster), whose summed
        changes act as a larger step, ``"auto"`` is 0.025. The value used
        is :attr:`learning_rate_`. Each row's summed step is bounded by its
        curvature whatever the rate (see :ref:`stability`), so large rates
        do not diverge; a custom loss whose
        :meth:`~skw2v.losses.SkipGramLoss.curvature` returns None trains
        with unbounded steps: give it a fixed ``learning_rate``.
    min_learning_rate : float, default=1e-4
        Final step size; the rate decays linearly over all epochs.
    batch_size : int, default=1024
        Number of (center, outside) pairs per vectorised SGD step. Pairs are
        taken in text order.
    pooling : {"mean", "sum", "max", "tfidf", "sif"}, default="mean"
        How ``transform`` combines the vectors of a document's words.
        ``"tfidf"`` weights them by the idf learned in ``fit``; ``"sif"``
        weights them by ``sif_alpha / (sif_alpha + p(w))`` and removes the
        first principal component of the training documents (Arora et al.,
        2017).
    sif_alpha : float, default=1e-3
        The ``a`` of SIF weighting.
    norm : {"l2"} or None, default=None
        Normalise each output row to unit length.
    dtype : {np.float32, np.float64}, default=np.float32
        Storage type of the vectors.
    input : {"content", "filename", "file"}, default="content"
        As in :class:`~sklearn.feature_extraction.text.CountVectorizer`.
    encoding : str, default="utf-8"
    decode_error : {"strict", "ignore", "replace"}, default="strict"
    strip_accents : {"ascii", "unicode"} or None, default=None
    lowercase : bool, default=True
    preprocessor : callable or None, default=None
    tokenizer : callable or None, default=None
    token_pattern : str or None, default=``r"(?u)\\b\\w\\w+\\b"``
    analyzer : "word" or callable, default="word"
        A callable receives each document and returns its tokens; with
        ``analyzer=list`` (or ``lambda d: d``) documents can be lists of tokens.
    n_jobs : int or None, default=None
        Parallel jobs for tokenising and training (joblib convention: None is
        1 unless in a :func:`joblib.parallel_config` context, -1 is all
        cores). With ``n_shards=None`` and several jobs, the jobs train
        contiguous shards of each epoch at the same time on the *same*
        vectors, held in memory-mapped files, without locks (Hogwild, as
        gensim's worker threads do): the quality of sequential training at
        parallel speed, but results vary slightly from run to run. Under a
        Dask backend, which shares no memory, the synchronised scheme of
        ``n_shards`` is used with one shard per worker. Documents that are
        already token lists (``analyzer=list`` or ``tuple``) are encoded in
        the main process, which is faster than shipping them to workers.
    n_shards : int or None, default=None
        Set it for results that do not depend on ``n_jobs`` or on the joblib
        backend: each epoch is cut into ``n_shards`` shards that train on
        private copies of the vectors, and the shards' changes are summed in
        shard order at every synchronisation. The result depends on
        ``n_shards``, ``syncs_per_epoch`` and ``random_state`` only, the same
        on threads, processes or a Dask cluster. Costs: a copy of both
        matrices per running shard, the vectors shipped to the workers at
        each synchronisation, and lower quality than sequential training
        (updates within a round do not see each other).
    syncs_per_epoch : int, default=1
        With ``n_shards``, how many times per epoch the shards' changes are
        combined. More syncs track sequential SGD more closely and ship the
        vectors to the workers more often.
    spill_threshold : int, str or None, default=None
        Size in bytes above which the encoded corpus (4 bytes per token) is
        kept on disk instead of in memory: an int, or a string such as
        ``"500M"`` or ``"2G"``. ``None`` keeps it in memory; ``0`` always
        spills. A spilled corpus (and each epoch's subsampled copy) is read
        back in blocks of 1M tokens, so the process's memory stays at the
        vectors plus a few blocks whatever the corpus size; the files are
        deleted at the end of ``fit``, on errors too. With
        ``input="filename"`` or ``"file"`` and the built-in word analyzer,
        files are also read in 1 MiB pieces (cut at whitespace), so no whole
        file is ever held in memory. See :ref:`memory`.
    temp_folder : str, path-like or None, default=None
        Folder for the spilled corpus; ``None`` uses the system temporary
        folder (``TMPDIR``). Choose a local disk with room for about 8
        bytes per token. Shared-memory training (several ``n_jobs``) keeps
        the vectors in ``/dev/shm`` when it has room for them, and here
        otherwise. Folders left by a killed fit are removed by the next one.
    initial_vectors : KeyedVectors, str, path-like or None, default=None
        Pretrained vectors to start training from: the input vectors of words
        found in them are copied (their dimension must equal
        ``n_components``); the other words are initialised at random as
        usual. A path is read with
        :meth:`KeyedVectors.load_word2vec_format` (binary when it ends in
        ``.bin`` or ``.bin.gz``). To *use* pretrained vectors without
        training, see :meth:`from_keyed_vectors`.
    random_state : int, RandomState instance or None, default=None
        Seeds initialisation, subsampling, windows and negatives.
    verbose : int, default=0
        Log progress per epoch (words/s, loss, learning rate) through the
        ``"skw2v"`` logger; shows a tqdm bar when tqdm is installed. When
        the application configured no logging handler, the messages go to
        standard error for the duration of the fit only; logging is left as
        it was found.
    callbacks : callable, list of callables or None, default=None
        Each is called as ``callback(estimator, info)`` after every epoch with
        an :class:`EpochInfo`; returning ``True`` stops training early.

    Attributes
    ----------
    vocabulary_ : dict
        Token -> row of :attr:`vectors_`.
    index_to_key_ : list of str
        Row -> token, most frequent first.
    word_counts_ : ndarray of int64 of shape (n_words,)
    vectors_ : ndarray of shape (n_words, n_components)
        The word vectors (input vectors).
    output_vectors_ : ndarray of shape (n_words, n_components)
        The output (context) vectors.
    learning_rate_ : float
        The initial step size used: ``learning_rate``, or its value for
        ``"auto"``.
    loss_curve_ : ndarray of float64 of shape (n_epochs_done,)
        Mean loss per training pair of each epoch (not cumulative).
    n_pairs_ : ndarray of int64 of shape (n_epochs_done,)
        Training pairs of each epoch.
    idf_ : ndarray of float64 of shape (n_words,)
        Smoothed inverse document frequency of each word in the training corpus.
    sif_component_ : ndarray of shape (n_components,)
        First principal direction of the SIF embeddings of the training documents.
    n_tokens_ : int
        In-vocabulary tokens of the training corpus.

    See Also
    --------
    sklearn.feature_extraction.text.CountVectorizer : Same text options.

    Examples
    --------
    >>> from skw2v import SkipGramVectorizer
    >>> docs = ["the cat sat on the mat", "the dog sat on the log"] * 20
    >>> vec = SkipGramVectorizer(n_components=8, min_count=1, epochs=2, random_state=0)
    >>> X = vec.fit_transform(docs)
    >>> X.shape
    (40, 8)
    """

    # The "?" of the notebook display links here (scikit-learn's HTML repr hook);
    # the path is the API page that docs/api.rst generates.
    _doc_link_module = "skw2v"
    _doc_link_template = ("https://skw2v.readthedocs.io/en/stable/generated/"
                          "{estimator_module}.{estimator_name}.html")

    def __init__(self, *, n_components=100, window=5, loss="negative_sampling", n_negatives=5,
                 noise_exponent=0.75, min_count=5, max_vocab_size=None, subsample=1e-3,
                 epochs=5, learning_rate="auto", min_learning_rate=1e-4, batch_size=1024,
                 pooling="mean", sif_alpha=1e-3, norm=None, dtype=np.float32,
                 input="content", encoding="utf-8", decode_error="strict", strip_accents=None,
                 lowercase=True, preprocessor=None, tokenizer=None,
                 token_pattern=DEFAULT_TOKEN_PATTERN, analyzer="word", n_jobs=None,
                 n_shards=None, syncs_per_epoch=1, spill_threshold=None, temp_folder=None,
                 initial_vectors=None, random_state=None, verbose=0, callbacks=None):
        self.n_components = n_components
        self.window = window
        self.loss = loss
        self.n_negatives = n_negatives
        self.noise_exponent = noise_exponent
        self.min_count = min_count
        self.max_vocab_size = max_vocab_size
        self.subsample = subsample
        self.epochs = epochs
        self.learning_rate = learning_rate
        self.min_learning_rate = min_learning_rate
        self.batch_size = batch_size
        self.pooling = pooling
        self.sif_alpha = sif_alpha
        self.norm = norm
        self.dtype = dtype
        self.input = input
        self.encoding = encoding
        self.decode_error = decode_error
        self.strip_accents = strip_accents
        self.lowercase = lowercase
        self.preprocessor = preprocessor
        self.tokenizer = tokenizer
        self.token_pattern = token_pattern
        self.analyzer = analyzer
        self.n_jobs = n_jobs
        self.n_shards = n_shards
        self.syncs_per_epoch = syncs_per_epoch
        self.spill_threshold = spill_threshold
        self.temp_folder = temp_folder
        self.initial_vectors = initial_vectors
        self.random_state = random_state
        self.verbose = verbose
        self.callbacks = callbacks

    # ------------------------------------------------------------------ tags
    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.string = True
        tags.input_tags.two_d_array = False
        tags.requires_fit = True
        tags.non_deterministic = False
        return tags

    # ------------------------------------------------------------ validation
    def _validate_params(self):
        def bad(name, value, expected, fix):
            shown = repr(value)
            if len(shown) > 80:
                shown = shown[:60] + f"... ({type(value).__name__} of {len(shown)} characters)"
            raise ValueError(
                f"The {name!r} parameter of SkipGramVectorizer must be {expected}; got "
                f"{shown}. {fix}".rstrip())

        def check_int(name, lo, hi=_INT64_MAX, fix=""):
            v = getattr(self, name)
            if not _is_int(v) or not lo <= v <= hi:
                bad(name, v, f"an int in [{lo}, {hi}]", fix)

        def check_real(name, lo, hi=np.inf, lo_open=False, hi_open=True, fix=""):
            v = getattr(self, name)
            x = _as_float(v)
            ok = x is not None and np.isfinite(x)
            if ok:
                ok = (x > lo if lo_open else x >= lo) and (x < hi if hi_open else x <= hi)
            if not ok:
                lb = "(" if lo_open else "["
                rb = ")" if hi_open else "]"
                bad(name, v, f"a finite float in {lb}{lo}, {hi}{rb}", fix)

        def check_choice(name, choices, fix="", none=False):
            v = getattr(self, name)
            if not ((none and v is None) or (isinstance(v, str) and v in choices)):
                shown = ", ".join(map(repr, choices)) + (" or None" if none else "")
                bad(name, v, f"one of {shown}", fix)

        def check_callable(name):
            v = getattr(self, name)
            if v is not None and not callable(v):
                bad(name, v, "None or a callable", f"Pass a function, or {name}=None.")

        check_int("n_components", 1, _MAX_COMPONENTS, "Typical values are 50-300.")
        check_int("window", 1, _MAX_WINDOW,
                  "Use window=5 for word2vec's default; a window longer than a document "
                  "already pairs every word of the document with every other.")
        check_int("min_count", 1, fix="Use min_count=1 to keep every word.")
        check_int("epochs", 1, _MAX_EPOCHS, "Typical values are 5-50.")
        check_int("batch_size", 1, _INT32_MAX, "Use batch_size=1024.")
        if not (isinstance(self.verbose, (bool, np.bool_)) or (_is_int(self.verbose)
                                                                and self.verbose >= 0)):
            bad("verbose", self.verbose, "a bool or an int >= 0", "Use verbose=1 for progress.")
        if self.max_vocab_size is not None:
            check_int("max_vocab_size", 1, fix="Use None for no limit.")
        if not (isinstance(self.learning_rate, str) and self.learning_rate == "auto"):
            check_real("learning_rate", 0, lo_open=True,
                       fix='Use "auto" or a positive value such as 0.025.')
        check_real("min_learning_rate", 0, fix="Use a value such as 1e-4.")
        if self.min_learning_rate > _lowest_learning_rate(self.learning_rate):
            bad("min_learning_rate", self.min_learning_rate,
                f"<= learning_rate ({_lowest_learning_rate(self.learning_rate)})", "Lower it.")
        check_real("subsample", 0, 1, fix="Use 1e-3 (word2vec's default) or 0 to disable.")
        check_real("noise_exponent", 0, _MAX_NOISE_EXPONENT, hi_open=False,
                   fix="Use 0.75 (word2vec's default); 0 samples uniformly, and large values "
                       "sample only the most frequent words.")
        check_real("sif_alpha", 0, lo_open=True, fix="Use 1e-3.")
        loss = get_loss(self.loss)  # raises a clear ValueError
        if loss.requires_negatives:
            check_int("n_negatives", 1, _MAX_NEGATIVES,
                      "Use n_negatives=5 (5-20 are typical); for the exact objective use "
                      "loss='softmax'.")
        check_choice("pooling", _POOLINGS)
        check_choice("norm", ("l2",), none=True)
        try:
            dt = np.dtype(self.dtype)  # None is float64, as in NumPy
        except (TypeError, ValueError):
            dt = None
        # not ``dt in (...)``: a dtype compares equal to None
        if dt is None or not any(dt == ok for ok in (np.float32, np.float64)):
            bad("dtype", self.dtype, "np.float32 or np.float64",
                "Use dtype=np.float32 (half the memory) or np.float64.")
        check_choice("input", ("content", "filename", "file"))
        if not isinstance(self.encoding, str):
            bad("encoding", self.encoding, "the name of a text encoding (a str)",
                "Use 'utf-8'.")
        try:
            codecs.lookup(self.encoding)
        except LookupError:
            bad("encoding", self.encoding, "a text encoding known to Python",
                "Use 'utf-8', 'latin-1', ... (see the codecs module).")
        check_choice("decode_error", ("strict", "ignore", "replace"))
        if not (self.strip_accents is None or callable(self.strip_accents)
                or (isinstance(self.strip_accents, str)
                    and self.strip_accents in ("ascii", "unicode"))):
            bad("strip_accents", self.strip_accents, "'ascii', 'unicode', a callable or None",
                "")
        if not isinstance(self.lowercase, (bool, np.bool_)):
            bad("lowercase", self.lowercase, "a bool", "Use lowercase=True or False.")
        check_callable("preprocessor")
        check_callable("tokenizer")
        if self.token_pattern is None:
            if not (callable(self.analyzer) or self.tokenizer is not None):
                bad("token_pattern", None, "a regular expression unless a tokenizer or a "
                    "callable analyzer is given", rf"Use the default r'{DEFAULT_TOKEN_PATTERN}'.")
        else:
            if not isinstance(self.token_pattern, str):
                bad("token_pattern", self.token_pattern, "a regular expression (a str) or None",
                    rf"Use the default r'{DEFAULT_TOKEN_PATTERN}'.")
            try:
                re.compile(self.token_pattern)
            except re.error as exc:
                bad("token_pattern", self.token_pattern, "a valid regular expression",
                    f"It does not compile ({exc}); fix it or use the default.")
        if not (callable(self.analyzer) or (isinstance(self.analyzer, str)
                                            and self.analyzer == "word")):
            bad("analyzer", self.analyzer, "'word' or a callable returning tokens",
                "For character n-grams use CountVectorizer; skip-gram needs word sequences.")
        if self.n_shards is not None:
            check_int("n_shards", 1, _MAX_SHARDS, "Use None for shared-memory training.")
        check_int("syncs_per_epoch", 1, _MAX_SHARDS, "Use 1 to synchronise once per epoch.")
        if self.n_shards is not None and self.n_shards * self.syncs_per_epoch > _MAX_SLICES:
            bad("syncs_per_epoch", self.syncs_per_epoch,
                f"at most {_MAX_SLICES // self.n_shards} with n_shards={self.n_shards} "
                f"(n_shards * syncs_per_epoch <= {_MAX_SLICES})",
                "Lower n_shards or syncs_per_epoch.")
        parse_nbytes(self.spill_threshold)
        if self.temp_folder is not None and not isinstance(self.temp_folder, (str, os.PathLike)):
            bad("temp_folder", self.temp_folder, "None or a directory path",
                "Use None for the system's temporary folder.")
        if self.n_jobs is not None and (not _is_int(self.n_jobs) or self.n_jobs == 0
                                        or abs(self.n_jobs) > _MAX_JOBS):
            bad("n_jobs", self.n_jobs, f"a non-zero int in [-{_MAX_JOBS}, {_MAX_JOBS}] or None",
                "Use -1 for all cores.")
        rs = self.random_state
        if not (rs is None or isinstance(rs, np.random.RandomState)
                or (_is_int(rs) and 0 <= rs <= _SEED_MAX)):
            bad("random_state", rs,
                f"None, an int in [0, {_SEED_MAX}] or a numpy.random.RandomState",
                "Use an int such as 0 for reproducible results.")
        iv = self.initial_vectors
        if isinstance(iv, (str, os.PathLike)) and not os.path.isfile(iv):
            bad("initial_vectors", iv, "None, a KeyedVectors or the path of an existing vector "
                "file", "Check the path (a word2vec text file, or binary ending in .bin).")
        if iv is not None and not isinstance(iv, (str, os.PathLike)):
            from .keyedvectors import KeyedVectors

            if not isinstance(iv, KeyedVectors):
                bad("initial_vectors", iv, "None, a KeyedVectors or the path of a vector file",
                    "")
        if not (self.callbacks is None or callable(self.callbacks)
                or isinstance(self.callbacks, (list, tuple))):
            bad("callbacks", self.callbacks, "a callable, a list of callables or None", "")
        cbs = self._callback_list()
        for cb in cbs:
            if not callable(cb):
                bad("callbacks", self.callbacks, "a callable, a list of callables or None", "")
        return loss, dt

    def _callback_list(self):
        if self.callbacks is None:
            return []
        if callable(self.callbacks):
            return [self.callbacks]
        return list(self.callbacks)

    # ---------------------------------------------------------------- fitting
    def fit(self, raw_documents, y=None, *, resume_from=None):
        """Learn the vocabulary and the word vectors.

        Parameters
        ----------
        raw_documents : iterable
            Documents: str, or file names / file objects with ``input``, or
            anything a callable ``analyzer`` accepts. A one-shot generator is
            read exactly once.
        y : None
            Ignored.
        resume_from : str, path-like or None, default=None
            A checkpoint written by :class:`Checkpoint` during an earlier fit
            with the same parameters and corpus. Training continues after the
            checkpoint's epoch; with ``n_jobs=1`` the result is identical to an
            uninterrupted fit.

        Returns
        -------
        self : SkipGramVectorizer
        """
        with self._workspace() as workspace, _fitting(self.verbose, self.temp_folder):
            self._fit(raw_documents, workspace, resume_from=resume_from)
        return self

    def _encoding_jobs(self):
        """Jobs for tokenising: 1 for documents that are already token lists.

        With ``analyzer=list`` or ``tuple`` there is nothing to compute, and
        shipping the tokens to worker processes and back costs more than
        encoding them here (text8like as 10,000-token lists: 10.6 s with 2
        jobs against 4.4 s with one).
        """
        return 1 if self.analyzer in (list, tuple) else self.n_jobs

    def _workspace(self):
        self._validate_params()  # before any folder is touched
        return Workspace(parse_nbytes(self.spill_threshold), self.temp_folder)

    def _fit(self, raw_documents, workspace, resume_from=None):
        """Fit; return the encoded corpus (which may live in ``workspace``)."""
        loss, dtype = self._validate_params()
        raw_documents = check_documents(raw_documents, analyzer=self.analyzer)
        chunks, analyzer, input_kind = document_chunks(self, raw_documents)
        t0 = time.perf_counter()
        tokens, counts, ids, offsets = count_and_encode(
            chunks, analyzer, input_kind=input_kind, callable_analyzer=callable(self.analyzer),
            n_jobs=self._encoding_jobs(), sink=TokenSink(workspace, "tokens.i32"))
        if offsets.size == 1:
            raise ValueError("The corpus is empty: raw_documents contained no documents.")
        order = order_vocabulary(tokens, counts, self.min_count, self.max_vocab_size)
        if order.size == 0:
            raise ValueError(
                f"Empty vocabulary: no token occurs at least min_count={self.min_count} times "
                f"({len(tokens)} distinct tokens, {ids.size} tokens in all). Lower min_count, "
                "or check the tokenisation options (token_pattern drops one-letter words by "
                "default).")
        remap = np.full(len(tokens), -1, dtype=np.int32)
        remap[order] = np.arange(order.size, dtype=np.int32)
        enc, offsets = remap_compact(ids, offsets, remap)
        del ids
        index_to_key = [tokens[i] for i in order]
        word_counts = counts[order]
        n_seen = len(tokens)
        del tokens, counts  # every distinct token seen, rare ones included
        if self.verbose:
            logger.info("vocabulary: %d words kept of %d, %d tokens, %d documents (%.1fs)",
                        order.size, n_seen, enc.size, offsets.size - 1,
                        time.perf_counter() - t0)
            if isinstance(enc, TokenFile):
                logger.info("corpus spilled to %s (%.1f MB)", enc.path, enc.size * 4e-6)
        state = None
        if resume_from is not None:
            state = load_checkpoint(resume_from)
            state.check_compatible(self, index_to_key, word_counts)
        self._train(enc, offsets, index_to_key, word_counts, loss, dtype, state=state,
                    workspace=workspace)
        return enc, offsets

    def partial_fit(self, raw_documents, y=None):
        """Continue training on more documents, with the vocabulary frozen.

        On an unfitted estimator this is :meth:`fit`. Otherwise the words of
        ``raw_documents`` that are in :attr:`vocabulary_` are trained for
        ``epochs`` more epochs, starting from the current vectors, with the
        learning rate decaying again from ``learning_rate`` to
        ``min_learning_rate`` (as gensim's ``train`` on new sentences).
        New words are ignored: the vocabulary, ``word_counts_`` (and so the
        subsampling and noise distributions), ``idf_`` and ``sif_component_``
        stay those of the first fit. ``loss_curve_`` and ``n_pairs_`` grow
        by the new epochs. Each call draws fresh, reproducible random streams
        (they depend on ``random_state`` and the number of epochs done).

        Parameters
        ----------
        raw_documents : iterable
            Documents, as for :meth:`fit`.
        y : None
            Ignored.

        Returns
        -------
        self : SkipGramVectorizer
        """
        if not hasattr(self, "vectors_"):
            return self.fit(raw_documents)
        loss, dtype = self._validate_params()
        if self.n_components != self.vectors_.shape[1]:
            raise ValueError(
                f"n_components={self.n_components} differs from the fitted vectors' "
                f"{self.vectors_.shape[1]} dimensions; partial_fit cannot change it. Call fit "
                "to start over.")
        raw_documents = check_documents(raw_documents, analyzer=self.analyzer)
        with _fitting(self.verbose, self.temp_folder):
            ids, offsets = self._encode(raw_documents)
            state = _TrainState(
                epoch=len(self.loss_curve_), vectors=self.vectors_.astype(dtype, copy=True),
                output_vectors=self.output_vectors_.astype(dtype, copy=True),
                loss_curve=self.loss_curve_, n_pairs=self.n_pairs_, seed=self._seed_,
                epochs_planned=len(self.loss_curve_) + self.epochs)
            self._train(ids, offsets, self.index_to_key_, self.word_counts_, loss, dtype,
                        state=state, schedule_start=len(self.loss_curve_),
                        keep_statistics=True)
        return self

    def _draw_seed(self):
        rs = check_random_state(self.random_state)
        return int(rs.randint(np.iinfo(np.int32).max))

    def _train(self, ids, offsets, index_to_key, word_counts, loss, dtype, state=None,
               schedule_start=0, keep_statistics=False, workspace=None):
        """Run the epochs; publish the fitted attributes only at the end.

        ``state`` (a :class:`_TrainState`) resumes from its vectors and epoch.
        ``schedule_start`` is the epoch at which the learning-rate schedule
        starts again from ``learning_rate`` (``partial_fit``). ``ids`` may be
        a :class:`~skw2v._store.TokenFile` in ``workspace``; each epoch's
        subsampled copy then goes to the workspace too.
        """
        doc_len = np.diff(offsets)
        if not np.any(doc_len >= 2):
            raise ValueError(
                "No training pairs: every document has fewer than 2 in-vocabulary tokens. "
                "Pass longer documents or lower min_count.")
        n_words, dim = len(index_to_key), self.n_components
        if state is None:
            seed = self._draw_seed()
            init_rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(0,)))
            try:
                W_in = _uniform_init(init_rng, n_words, dim, dtype)
                W_out = np.zeros((n_words, dim), dtype=dtype)
            except MemoryError as exc:
                raise MemoryError(
                    f"Not enough memory for the word vectors: two {n_words} x {dim} matrices "
                    f"of {np.dtype(dtype).name} ({2 * n_words * dim * np.dtype(dtype).itemsize:.3g}"
                    " bytes). Lower n_components, keep fewer words (raise min_count or set "
                    "max_vocab_size), or use dtype=np.float32.") from exc
            if self.initial_vectors is not None:
                self._copy_initial_vectors(W_in, index_to_key)
            curve, pair_counts, first_epoch = [], [], 0
        else:
            seed = state.seed
            W_in = state.vectors.astype(dtype, copy=True)
            W_out = state.output_vectors.astype(dtype, copy=True)
            curve, pair_counts = list(state.loss_curve), list(state.n_pairs)
            first_epoch = state.epoch
        last_epoch = schedule_start + self.epochs
        keep_prob = keep_probabilities(word_counts, self.subsample)
        sampler = noise_sampler(word_counts, self.noise_exponent)
        callbacks = self._callback_list()
        n_shards, shared_dir, bar = self.n_shards, None, None
        above_bar = contextlib.ExitStack()
        epoch_stats = []
        try:
            if n_shards is None and effective_n_jobs(self.n_jobs) > 1:
                if shared_memory_backend():
                    # Hogwild on local workers: the vectors live in memory-mapped
                    # files that every worker process opens in place.
                    folder = _shared_folder(W_in.nbytes + W_out.nbytes, self.temp_folder)
                    shared_dir = tempfile.mkdtemp(prefix=_owned_prefix("skw2v-"), dir=folder)
                    W_in = _shared_copy(W_in, os.path.join(shared_dir, "vectors"))
                    W_out = _shared_copy(W_out, os.path.join(shared_dir, "output_vectors"))
                else:
                    # a cluster shares no memory: synchronised shards, one per worker
                    n_shards = effective_n_jobs(self.n_jobs)
            # Synchronised shards add up their changes, like one step of a batch
            # n_shards times larger: "auto" keeps word2vec's 0.025 there.
            n_trained = ids.size + (self.n_tokens_ if keep_statistics else 0)
            lr0 = _initial_learning_rate(self.learning_rate, np.inf if n_shards else n_trained,
                                         self.epochs)
            lr1 = float(self.min_learning_rate)
            bar = _progress_bar(self.verbose, total=(last_epoch - first_epoch) * ids.size)
            above_bar.enter_context(_logging_above_bar(bar))
            for epoch in range(first_epoch, last_epoch):
                t_epoch = time.perf_counter()
                ep_rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(1, epoch)))
                sink = (TokenSink(workspace, "kept.i32", spill=True)
                        if isinstance(ids, TokenFile) else None)
                kept, kept_off = subsample(ids, offsets, keep_prob, ep_rng, sink=sink)
                shard_seed = np.random.SeedSequence(seed, spawn_key=(2, epoch))
                frac_a = (epoch - schedule_start) / self.epochs
                frac_b = (epoch + 1 - schedule_start) / self.epochs
                lr_a, lr_b = lr0 - (lr0 - lr1) * frac_a, lr0 - (lr0 - lr1) * frac_b
                progress = None
                if bar is not None:
                    scale = ids.size / max(kept.size, 1)

                    def progress(n, scale=scale):
                        bar.update(int(n * scale))
                # non-finite values are detected below and raised as TrainingDiverged
                with np.errstate(over="ignore", invalid="ignore"):
                    total, n_pairs = train_epoch(
                        W_in, W_out, kept, kept_off, n_jobs=self.n_jobs, seed=shard_seed,
                        n_shards=n_shards, syncs_per_epoch=self.syncs_per_epoch,
                        lr_start=lr_a, lr_stop=lr_b, progress=progress, window=self.window,
                        loss=loss, n_negatives=self.n_negatives, sampler=sampler,
                        batch_size=self.batch_size)
                epoch_stats.append((epoch, int(kept.size), n_pairs))  # checked after the loop
                mean_loss = total / n_pairs if n_pairs else float("nan")
                if not (np.isfinite(total) and _all_finite(W_in) and _all_finite(W_out)):
                    raise TrainingDiverged(
                        f"Training diverged in epoch {epoch + 1}: the loss or the vectors became "
                        f"NaN or infinite (learning_rate={lr0:.4g}). Lower "
                        "learning_rate (for example by a factor of 10) or batch_size. The "
                        "estimator keeps its previous state.")
                # A finite blow-up: SGD with a decaying step never multiplies the
                # loss tenfold. The reference is the first epoch, or the loss of
                # the word2vec initialisation (output vectors zero) for built-ins.
                reference = [c for c in curve[:1] if np.isfinite(c)]
                if isinstance(loss, NegativeSamplingLoss):
                    reference.append((self.n_negatives + 1) * np.log(2.0))
                elif isinstance(loss, SoftmaxLoss):
                    reference.append(np.log(n_words))
                if reference and n_pairs and mean_loss > 10.0 * max(reference):
                    raise TrainingDiverged(
                        f"Training diverged in epoch {epoch + 1}: the mean loss per pair grew "
                        f"to {mean_loss:.4g}, over 10 times its starting value "
                        f"{max(reference):.4g} (learning_rate={lr0:.4g}, "
                        f"batch_size={self.batch_size}). Lower learning_rate (for example by a "
                        "factor of 10) or batch_size. The estimator keeps its previous state.")
                curve.append(mean_loss)
                pair_counts.append(n_pairs)
                dt = time.perf_counter() - t_epoch
                if self.verbose:
                    logger.info("epoch %d/%d: loss %.5f, %d pairs, %.0f words/s, lr %.5f",
                                epoch + 1, last_epoch, mean_loss, n_pairs,
                                ids.size / max(dt, 1e-9), lr_b)
                info = EpochInfo(epoch, mean_loss, np.array(curve), lr_b, W_in, W_out,
                                 state=_TrainState(epoch + 1, W_in, W_out, np.array(curve),
                                                   np.array(pair_counts), seed, last_epoch,
                                                   index_to_key, word_counts,
                                                   self._checkpoint_params()))
                stop = False
                for cb in callbacks:
                    stop = bool(cb(self, info)) or stop
                if stop:
                    break
        finally:
            above_bar.close()
            if bar is not None:
                bar.close()
            if shared_dir is not None:
                W_in, W_out = np.array(W_in), np.array(W_out)
                shutil.rmtree(shared_dir, ignore_errors=True)
        self._check_epoch_pairs(epoch_stats, int(ids.size))
        # Only now, with training complete and finite, publish the fitted state.
        fitted = dict(
            index_to_key_=list(index_to_key),
            word_counts_=np.asarray(word_counts, dtype=np.int64),
            vectors_=W_in, output_vectors_=W_out,
            learning_rate_=lr0,
            loss_curve_=np.array(curve, np.float64), n_pairs_=np.array(pair_counts, np.int64),
            _seed_=seed)
        if keep_statistics:
            fitted.update(n_tokens_=self.n_tokens_ + int(ids.size))
        else:
            idf, sif_component = _corpus_statistics(ids, offsets, W_in, fitted["word_counts_"],
                                                    self.sif_alpha)
            fitted.update(n_tokens_=int(ids.size), idf_=idf, sif_component_=sif_component)
        fitted["vocabulary_"] = {w: i for i, w in enumerate(fitted["index_to_key_"])}
        for name, value in fitted.items():
            setattr(self, name, value)

    def _check_epoch_pairs(self, stats, n_tokens):
        """Warn about epochs without training pairs; raise if no epoch had any.

        ``stats`` holds ``(epoch, tokens kept by subsampling, pairs)`` of
        every epoch run, on a corpus of ``n_tokens`` in-vocabulary tokens.
        Also warns when subsampling dropped nearly every token.
        """
        if not stats:
            return
        empty = [(e, k) for e, k, p in stats if p == 0]
        kept_share = sum(k for _, k, _ in stats) / (len(stats) * max(n_tokens, 1))
        small = self.subsample > 0 and n_tokens < 1.0 / self.subsample
        why_small = (f"; on a corpus this small (under 1/subsample = {1.0 / self.subsample:.0f}"
                     " tokens) every word counts as frequent and is mostly dropped"
                     if small else "")
        sub_fix = "Pass subsample=0 to disable subsampling, or train on more text."
        if empty:
            kept = max(k for _, k in empty)
            if self.subsample > 0 and kept < n_tokens:
                cause = (f"subsampling (subsample={self.subsample}) kept at most {kept} of the "
                         f"{n_tokens} tokens, leaving no document with 2 tokens{why_small}")
                fix = sub_fix
            else:
                cause = "no document had 2 tokens within reach of each other"
                fix = "Pass longer documents, lower min_count, or pass subsample=0."
            if len(empty) == len(stats):
                raise ValueError(f"No training pairs in any of the {len(stats)} epoch(s): "
                                 f"{cause}. Nothing was trained. {fix}")
            epochs = ", ".join(str(e + 1) for e, _ in empty)
            warnings.warn(f"{len(empty)} of {len(stats)} epochs (epoch {epochs}) had no "
                          f"training pairs: {cause}. {fix}", UserWarning,
                          stacklevel=_caller_stacklevel())
        elif self.subsample > 0 and kept_share < 0.1:
            warnings.warn(f"Subsampling (subsample={self.subsample}) dropped "
                          f"{1 - kept_share:.0%} of the {n_tokens} tokens in each epoch, so "
                          f"little was trained{why_small}. {sub_fix}", UserWarning,
                          stacklevel=_caller_stacklevel())

    def _copy_initial_vectors(self, W_in, index_to_key):
        """Overwrite the rows of ``W_in`` of words found in ``initial_vectors``."""
        kv = _load_keyed_vectors(self.initial_vectors)
        if kv.vector_size != W_in.shape[1]:
            raise ValueError(
                f"initial_vectors have {kv.vector_size} dimensions but n_components="
                f"{W_in.shape[1]}; set n_components={kv.vector_size}.")
        pairs = [(i, kv.key_to_index[w]) for i, w in enumerate(index_to_key)
                 if w in kv.key_to_index]
        if not pairs:
            warnings.warn("No word of the vocabulary is in initial_vectors; training starts "
                          "from random vectors.", UserWarning, stacklevel=4)
            return
        rows, src = np.array(pairs).T
        W_in[rows] = kv.vectors[src]
        if self.verbose:
            logger.info("initial_vectors: %d of %d words initialised from pretrained vectors",
                        rows.size, len(index_to_key))

    @classmethod
    def from_keyed_vectors(cls, keyed_vectors, **params):
        """An estimator that transforms with pretrained vectors, without training.

        The result is fitted: ``transform``, ``wv_``, ``save`` and
        ``partial_fit`` (which then trains further, starting from these
        input vectors and zero output vectors) all work. With no corpus,
        ``idf_`` is all ones (so ``pooling="tfidf"`` equals ``"mean"``), and
        ``"sif"`` pooling needs word counts: they come from
        ``keyed_vectors.counts`` when present, else from the rank of each
        word under Zipf's law (count proportional to 1 / rank, as vector
        files list words by decreasing frequency); ``sif_component_`` is
        zero.

        Parameters
        ----------
        keyed_vectors : KeyedVectors or str or path-like
            The vectors, or a word2vec-format file (binary when the name ends
            in ``.bin`` or ``.bin.gz``).
        **params : dict
            Other parameters of the estimator (text options, ``pooling``,
            ``norm``, ...). ``n_components`` is set from the vectors.

        Returns
        -------
        estimator : SkipGramVectorizer
        """
        kv = _load_keyed_vectors(keyed_vectors)
        est = cls(**{**params, "n_components": kv.vector_size})
        loss, dtype = est._validate_params()
        n = len(kv)
        if n == 0:
            raise ValueError("keyed_vectors is empty.")
        counts = (np.asarray(kv.counts, dtype=np.int64) if kv.counts is not None
                  else np.maximum(1, np.round(1e6 / np.arange(1, n + 1))).astype(np.int64))
        est.index_to_key_ = list(kv.index_to_key)
        est.vocabulary_ = {w: i for i, w in enumerate(est.index_to_key_)}
        est.word_counts_ = counts
        est.vectors_ = np.array(kv.vectors, dtype=dtype)
        est.output_vectors_ = np.zeros_like(est.vectors_)
        est.loss_curve_ = np.zeros(0, dtype=np.float64)
        est.n_pairs_ = np.zeros(0, dtype=np.int64)
        est.n_tokens_ = 0
        est.learning_rate_ = float("nan")  # nothing trained yet
        est.idf_ = np.ones(n, dtype=np.float64)
        est.sif_component_ = np.zeros(kv.vector_size, dtype=dtype)
        est._seed_ = est._draw_seed()
        return est

    def _checkpoint_params(self):
        """The parameters that must match for a checkpoint to be resumed."""
        names = ("n_components", "window", "n_negatives", "noise_exponent", "min_count",
                 "max_vocab_size", "subsample", "epochs", "learning_rate",
                 "min_learning_rate", "batch_size")
        params = {n: getattr(self, n) for n in names}
        params["loss"] = self.loss if isinstance(self.loss, str) else type(self.loss).__name__
        params["dtype"] = np.dtype(self.dtype).name
        return params

    # -------------------------------------------------------------- transform
    def transform(self, raw_documents):
        """Turn documents into pooled word-vector rows.

        Out-of-vocabulary tokens are skipped. A document without any known
        token gives a zero row, and one warning reports how many there were.

        Parameters
        ----------
        raw_documents : iterable
            Documents, as for :meth:`fit`.

        Returns
        -------
        X : ndarray of shape (n_documents, n_components)
        """
        check_is_fitted(self, "vectors_")
        self._check_output_params()
        raw_documents = check_documents(raw_documents, analyzer=self.analyzer)
        return self._pool_encoded(*self._encode(raw_documents))

    def fit_transform(self, raw_documents, y=None, **fit_params):
        """Fit, then transform the same documents, reading them only once.

        Equivalent to ``fit(raw_documents).transform(raw_documents)``, but
        the documents are analysed once, so a one-shot generator works.

        Parameters
        ----------
        raw_documents : iterable
        y : None
            Ignored.
        **fit_params : dict
            Passed to :meth:`fit` (for example ``resume_from``).

        Returns
        -------
        X : ndarray of shape (n_documents, n_components)
        """
        with self._workspace() as workspace, _fitting(self.verbose, self.temp_folder):
            ids, offsets = self._fit(raw_documents, workspace, **fit_params)
            self._check_output_params()
            return self._pool_encoded(ids, offsets)

    def _check_output_params(self):
        if not (isinstance(self.pooling, str) and self.pooling in _POOLINGS):
            raise ValueError(f"The 'pooling' parameter of SkipGramVectorizer must be one of "
                             f"{list(_POOLINGS)}; got {self.pooling!r}.")
        if not (self.norm is None or (isinstance(self.norm, str) and self.norm == "l2")):
            raise ValueError(f"The 'norm' parameter of SkipGramVectorizer must be 'l2' or None; "
                             f"got {self.norm!r}.")

    def _pool_encoded(self, ids, offsets):
        """Pool the rows of documents given as encoded ids and offsets (block by block)."""
        n_docs = offsets.size - 1
        out = np.zeros((n_docs, self.vectors_.shape[1]), dtype=self.vectors_.dtype)
        for first, counts in document_blocks(ids, offsets, len(self.index_to_key_)):
            out[first:first + counts.shape[0]] = _pool(
                counts, self.vectors_, self.pooling, idf=self.idf_,
                word_counts=self.word_counts_, sif_alpha=self.sif_alpha,
                sif_component=self.sif_component_)
        empty = int(np.sum(np.diff(offsets) == 0))
        if empty:
            warnings.warn(
                f"{empty} of {n_docs} documents have no in-vocabulary token; their "
                "rows are zero.", UserWarning, stacklevel=2)
        if self.norm == "l2":
            n = np.linalg.norm(out, axis=1)
            nz = n > 0
            out[nz] /= n[nz, None]
        return out

    def get_feature_names_out(self, input_features=None):
        """Names of the output columns.

        Parameters
        ----------
        input_features : None
            Ignored.

        Returns
        -------
        names : ndarray of str of shape (n_components,)
        """
        check_is_fitted(self, "vectors_")
        return np.asarray([f"skipgramvectorizer{i}" for i in range(self.vectors_.shape[1])],
                          dtype=object)

    # ------------------------------------------------------------------ score
    def score(self, raw_documents, y=None):
        """Mean log-likelihood of the skip-gram pairs of held-out documents.

        Every (center, outside) pair within ``window`` (no subsampling, no
        random radius) is scored with the fitted vectors. For
        ``loss="softmax"`` this is the exact mean ``log p(o|c)``; for other
        losses it is minus the mean loss per pair, with negatives drawn from
        a fixed seed, so the score is deterministic for a fitted model. Higher
        is better; scores of different losses are not comparable.

        Parameters
        ----------
        raw_documents : iterable
        y : None
            Ignored.

        Returns
        -------
        score : float
        """
        check_is_fitted(self, "vectors_")
        raw_documents = check_documents(raw_documents, analyzer=self.analyzer)
        counts_ids, offsets = self._encode(raw_documents)
        loss = get_loss(self.loss)
        sampler = noise_sampler(self.word_counts_, self.noise_exponent)
        rng = np.random.default_rng(0)
        total, n = 0.0, 0
        if counts_ids.size:
            # full windows: radius = window for every center
            c, o, _ = skipgram_pairs(counts_ids, offsets, 0, counts_ids.size, self.window)
            for b in range(0, c.size, 4096):
                cc, oo = c[b:b + 4096], o[b:b + 4096]
                neg = (draw_negatives(sampler, (cc.size, self.n_negatives), rng)
                       if loss.requires_negatives else None)
                # the outside word's input vector predicts the center word, as in training
                total += loss.loss_and_grad(self.vectors_[oo], cc, self.output_vectors_,
                                            neg).loss
                n += cc.size
        if n == 0:
            raise ValueError("No skip-gram pairs to score: the documents have fewer than two "
                             "in-vocabulary tokens each.")
        return -total / n

    def _encode(self, raw_documents):
        """Known-word ids and document offsets (files streamed when possible)."""
        vocab = self.vocabulary_
        items, analyzer, kind = document_chunks(self, raw_documents)
        parts, lengths, n_docs = [], [], 0
        for indices, docs in items:
            for i, doc in zip(indices, docs, strict=True):
                toks = analyze_document(analyzer, doc, i, kind, callable(self.analyzer))
                known = np.fromiter((j for j in map(vocab.get, toks) if j is not None),
                                    dtype=np.int32)
                parts.append(known)
                if i >= n_docs:  # a new document (pieces of one file share an index)
                    lengths.append(0)
                    n_docs = i + 1
                lengths[-1] += known.size
        offsets = np.zeros(n_docs + 1, dtype=np.int64)
        np.cumsum(lengths, out=offsets[1:])
        ids = np.concatenate(parts) if parts else np.empty(0, dtype=np.int32)
        return ids, offsets

    # ------------------------------------------------------------ persistence
    def save(self, path):
        """Save the fitted model to a safe ``.npz`` file (arrays and JSON only).

        The write is atomic: an existing file at ``path`` is replaced only
        once the new one is complete on disk. The estimator is stored as it
        is: its fitted arrays and its current parameters (also ones changed
        with ``set_params`` since ``fit``). Built-in callables (``list``,
        ``tuple``, ``str.split``, ``str.lower``, ``str.strip``, ...) are
        stored by name and restored by :meth:`load`. Other callables or
        objects (a custom ``analyzer``, ``tokenizer``, ``callbacks``, a loss
        object) are not stored; :meth:`load` warns and resets them to their
        defaults: set them again with
        ``SkipGramVectorizer.load(path).set_params(analyzer=my_analyzer)``.
        Unlike a pickle, loading the file never runs code.

        Parameters
        ----------
        path : str or path-like
        """
        from ._persist import save_model

        save_model(self, path)

    @classmethod
    def load(cls, path):
        """Load a model written by :meth:`save`.

        The file is read without pickle, boundedly, and checked (format,
        version, zip members and their sizes, shapes, SHA-256 checksum): a
        truncated, corrupted or modified file raises ``ValueError``. The
        loaded estimator has the saved parameters, built-in callables such as
        ``analyzer=list`` included; a custom callable or object parameter is
        reset to its default with a warning, so set it again with
        ``set_params`` before ``transform`` or ``partial_fit``.

        Parameters
        ----------
        path : str or path-like

        Returns
        -------
        estimator : SkipGramVectorizer
            Fitted; ``transform`` gives exactly the saved model's output.
        """
        from ._persist import load_model

        return load_model(path)

    # -------------------------------------------------------------- word API
    @property
    def wv_(self):
        """The fitted word vectors as :class:`skw2v.KeyedVectors`."""
        if not hasattr(self, "vectors_"):
            raise NotFittedError("This SkipGramVectorizer instance is not fitted yet. Call "
                                 "'fit' with appropriate arguments before using 'wv_'.")
        from .keyedvectors import KeyedVectors

        return KeyedVectors(self.index_to_key_, self.vectors_, counts=self.word_counts_)


def _pool(counts, W, pooling, *, idf=None, word_counts=None, sif_alpha=None,
          sif_component=None):
    """Pool word vectors ``W`` over the documents of a count matrix.

    Parameters
    ----------
    counts : scipy.sparse.csr_matrix of shape (n_documents, n_words)
        Token counts (duplicates summed, indices sorted).
    W : ndarray of shape (n_words, n_components)
    pooling : {"mean", "sum", "max", "tfidf", "sif"}
    idf, word_counts, sif_alpha, sif_component
        Statistics needed by ``"tfidf"`` and ``"sif"``; with
        ``sif_component=None`` the SIF rows are returned before the common
        component is removed.

    Returns
    -------
    X : ndarray of shape (n_documents, n_components), dtype of ``W``
    """
    n_docs = counts.shape[0]
    if pooling == "max":
        out = np.zeros((n_docs, W.shape[1]), dtype=W.dtype)
        rows = np.flatnonzero(np.diff(counts.indptr))
        if rows.size:
            out[rows] = np.maximum.reduceat(W[counts.indices], counts.indptr[rows], axis=0)
        return out
    if pooling in ("sum", "mean"):
        weights = counts
    elif pooling == "tfidf":
        weights = counts @ sp.diags(idf)
    else:  # sif: a / (a + p(w)), averaged over the document's tokens
        p = word_counts / word_counts.sum()
        weights = counts @ sp.diags(sif_alpha / (sif_alpha + p))
    out = _sparse_dot(weights, W)
    if pooling != "sum":
        denom = np.asarray((weights if pooling == "tfidf" else counts).sum(axis=1)).ravel()
        nz = denom > 0
        out[nz] /= denom[nz, None]
    if pooling == "sif" and sif_component is not None:
        u = sif_component.astype(np.float64)
        out -= np.outer(out @ u, u)
    return out.astype(W.dtype)


#: ``learning_rate="auto"``: word2vec's step for corpora of at least this many
#: token-epochs (16M in-vocabulary tokens at 5 epochs, the size of text8), larger
#: ones below it, growing as the inverse square root of the number of steps.
_AUTO_LR, _AUTO_LR_TOKEN_EPOCHS, _AUTO_LR_MAX = 0.025, 8e7, 0.1


def _initial_learning_rate(learning_rate, n_tokens, epochs):
    """The step size at the start of training (``learning_rate="auto"`` resolved)."""
    if not (isinstance(learning_rate, str) and learning_rate == "auto"):
        return float(learning_rate)
    ratio = _AUTO_LR_TOKEN_EPOCHS / max(n_tokens * epochs, 1)
    return float(min(_AUTO_LR_MAX, _AUTO_LR * max(1.0, ratio) ** 0.5))


def _lowest_learning_rate(learning_rate):
    """The smallest initial step that ``learning_rate`` can give."""
    return _initial_learning_rate(learning_rate, np.inf, 1)


def _all_finite(W):
    """Whether every entry of ``W`` is finite, without a temporary of W's size.

    A float64 sum of float32 or float64 entries is non-finite exactly when
    an entry is NaN or infinite (it cannot overflow for float32 entries; for
    float64 ones an overflow also means the vectors have blown up).
    """
    return bool(np.isfinite(W.sum(dtype=np.float64)))


def _sparse_dot(weights, W, block_rows=16384):
    """``weights @ W`` in float64, reading ``W`` in blocks of rows.

    Only the rows of words that occur are converted, one block at a time,
    so memory stays at one float64 block of ``W`` however many words the
    documents use.
    """
    weights = sp.csc_matrix(weights)
    out = np.zeros((weights.shape[0], W.shape[1]), dtype=np.float64)
    for a in range(0, W.shape[0], block_rows):
        part = weights[:, a:a + block_rows]
        if part.nnz:
            used = np.flatnonzero(np.diff(part.indptr))
            out += part[:, used] @ W[a + used].astype(np.float64)
    return out


def _uniform_init(rng, n_words, dim, dtype, block_rows=16384):
    """word2vec's initialisation, uniform in ``[-0.5/dim, 0.5/dim)``, drawn in row blocks.

    Equal to ``((rng.random((n_words, dim)) - 0.5) / dim).astype(dtype)``
    (the same stream, consumed in the same order), without the float64
    temporaries of the whole matrix.
    """
    W = np.empty((n_words, dim), dtype=dtype)
    for a in range(0, n_words, block_rows):
        b = min(a + block_rows, n_words)
        W[a:b] = (rng.random((b - a, dim)) - 0.5) / dim
    return W


def _corpus_statistics(ids, offsets, W, word_counts, sif_alpha):
    """``idf_`` and ``sif_component_`` of the training corpus, block by block.

    The SIF component is the first right singular vector of the matrix of
    the documents' SIF rows (zero rows left out), computed as the top
    eigenvector of their Gram matrix, accumulated over blocks of documents,
    so no per-document matrix is ever held. Its sign is chosen so that its
    largest entry in absolute value is positive (the removal
    ``x - (x.u) u`` does not depend on it).
    """
    n_words, dim = W.shape
    df = np.zeros(n_words, dtype=np.int64)
    gram = np.zeros((dim, dim), dtype=np.float64)
    n_rows = 0
    for _, counts in document_blocks(ids, offsets, n_words):
        df += np.bincount(counts.indices, minlength=n_words)
        emb = _pool(counts, W, "sif", word_counts=word_counts, sif_alpha=sif_alpha)
        emb = emb[np.any(emb != 0, axis=1)].astype(np.float64)
        gram += emb.T @ emb
        n_rows += emb.shape[0]
    idf = np.log((1.0 + offsets.size - 1) / (1.0 + df)) + 1.0
    if n_rows < 2:
        return idf, np.zeros(dim, dtype=W.dtype)
    _, vecs = np.linalg.eigh(gram)
    u = vecs[:, -1]
    if u[np.argmax(np.abs(u))] < 0:
        u = -u
    return idf, u.astype(W.dtype)


def _load_keyed_vectors(vectors):
    """A KeyedVectors as is, or one read from a word2vec file (binary for .bin/.bin.gz)."""
    from .keyedvectors import KeyedVectors

    if isinstance(vectors, KeyedVectors):
        return vectors
    binary = str(vectors).endswith((".bin", ".bin.gz"))
    return KeyedVectors.load_word2vec_format(vectors, binary=binary)


def _shared_memory_dir():
    """A RAM-backed folder for shared vectors when the OS has one, else the default."""
    shm = "/dev/shm"
    if os.path.isdir(shm) and os.access(shm, os.W_OK):
        return shm
    return None


#: Room kept free beyond the vectors in the shared-memory or temporary folder.
_SHARED_MARGIN = 0.05
_SHARED_MARGIN_BYTES = 16 << 20


def _free_bytes(folder):
    """Bytes an unprivileged process may still write in ``folder``; None if unknown."""
    try:
        st = os.statvfs(folder)
    except (AttributeError, OSError):
        return None
    return st.f_bavail * st.f_frsize


def _shared_folder(nbytes, temp_folder=None):
    """Folder for the shared vectors: RAM-backed when it has room, else the temp folder.

    A file of ``nbytes`` (both matrices) plus a margin must fit in the
    free space reported by ``os.statvfs``: a memory map of a file that
    outgrows its tmpfs kills the process with SIGBUS instead of raising.

    Raises
    ------
    OSError
        When neither folder has room.
    """
    need = int(nbytes * (1 + _SHARED_MARGIN)) + _SHARED_MARGIN_BYTES
    temp = os.fspath(temp_folder) if temp_folder is not None else tempfile.gettempdir()
    tried = []
    for folder in (_shared_memory_dir(), temp):
        if folder is None:
            continue
        if folder is temp and not os.path.isdir(temp):
            raise ValueError(f"temp_folder={temp!r} is not an existing directory; create it or "
                             "pass another folder.")
        free = _free_bytes(folder)
        if free is None or free >= need:
            if tried:
                logger.info("%s has %s bytes free, %d needed for the shared vectors; using %s",
                            tried[0][0], tried[0][1], need, folder)
            return folder
        tried.append((folder, free))
    where = "; ".join(f"{f} has {free / 1e6:.1f} MB free" for f, free in tried)
    raise OSError(
        errno.ENOSPC,
        f"No room for the shared word vectors of training with several n_jobs: they need "
        f"{need / 1e6:.1f} MB ({where}). Free space, pass temp_folder= a folder with more "
        "room, lower n_components or the vocabulary (min_count, max_vocab_size), or train "
        "with n_jobs=1 or n_shards= (which keep the vectors in process memory).")


def _shared_copy(array, path):
    """Copy ``array`` into a new ``np.memmap`` file at ``path`` (opened read-write).

    The file's blocks are allocated before it is mapped (``posix_fallocate``
    where available), so a full disk raises OSError here rather than
    SIGBUS on a later write through the map.
    """
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        try:
            os.posix_fallocate(fd, 0, array.nbytes)
        except AttributeError:  # not on this platform: a sparse file
            os.ftruncate(fd, array.nbytes)
        except OSError as exc:
            if exc.errno in (errno.EOPNOTSUPP, errno.EINVAL, getattr(errno, "ENOTSUP", -1)):
                os.ftruncate(fd, array.nbytes)  # the file system cannot preallocate
            else:
                raise OSError(
                    exc.errno,
                    f"Could not allocate {array.nbytes / 1e6:.1f} MB for the shared word "
                    f"vectors in {os.path.dirname(os.path.dirname(path))} ({exc.strerror}). "
                    "Free space there, pass temp_folder= a folder with more room, or train "
                    "with n_jobs=1.") from exc
    finally:
        os.close(fd)
    out = np.memmap(path, dtype=array.dtype, mode="r+", shape=array.shape)
    out[:] = array
    return out


def _owned_prefix(prefix):
    """``prefix`` followed by this process's id: folders a later fit may clean up."""
    return f"{prefix}{os.getpid()}-"


_OWNED = re.compile(r"skw2v-(?:corpus-)?(\d+)-")


def _pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # PermissionError: alive, someone else's
        return True
    return True


def remove_stale_folders(folders):
    """Delete ``skw2v-<pid>-*`` folders left by processes that no longer exist.

    A fit killed by SIGKILL (or a crash) cannot remove its shared vectors
    or spilled corpus. Only folders named with a process id, owned by this
    user, whose process is gone are removed; a live process's folder and
    folders of other naming are never touched. POSIX only.
    """
    if os.name != "posix":
        return []
    removed = []
    for folder in {os.fspath(f) for f in folders if f is not None}:
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            m = _OWNED.match(entry.name)
            if not m:
                continue
            pid = int(m.group(1))
            try:
                if (not entry.is_dir(follow_symlinks=False)
                        or entry.stat(follow_symlinks=False).st_uid != os.getuid()):
                    continue
            except OSError:
                continue
            if pid == os.getpid() or _pid_alive(pid):
                continue
            shutil.rmtree(entry.path, ignore_errors=True)
            removed.append(entry.path)
    if removed:
        logger.info("removed %d folder(s) left by skw2v processes that no longer run: %s",
                    len(removed), ", ".join(removed))
    return removed


def _has_user_handler(log):
    """Whether records of ``log`` reach a handler that is not a NullHandler."""
    while log is not None:
        if any(not isinstance(h, logging.NullHandler) for h in log.handlers):
            return True
        if not log.propagate:
            return False
        log = log.parent
    return False


@contextlib.contextmanager
def _verbose_logging(verbose):
    """Show ``verbose`` output for the duration of a fit, then restore logging as it was.

    The package itself only installs a NullHandler. When the application has
    configured no handler, a temporary one writing to standard error is
    attached; when the ``"skw2v"`` logger has no level of its own, INFO is
    set for the fit only. Both are undone on leaving, on errors too.
    """
    if not verbose:
        yield
        return
    handler, level = None, logger.level
    if not _has_user_handler(logger):
        handler = logging.StreamHandler()  # standard error as it is now
        handler.setFormatter(logging.Formatter("[skw2v] %(message)s"))
        logger.addHandler(handler)
    if level == logging.NOTSET and logger.getEffectiveLevel() > logging.INFO:
        logger.setLevel(logging.INFO)
    try:
        yield
    finally:
        logger.setLevel(level)
        if handler is not None:
            logger.removeHandler(handler)


@contextlib.contextmanager
def _logging_above_bar(bar):
    """Route console log lines through ``tqdm.write`` while ``bar`` is shown.

    Only the loggers on the ``"skw2v"`` chain that have a console handler are
    redirected (an application's file handlers are left alone), and only for
    the duration of the block.
    """
    if bar is None:
        yield
        return
    from tqdm.contrib.logging import _is_console_logging_handler, logging_redirect_tqdm

    chain, log = [], logger
    while log is not None:
        if any(_is_console_logging_handler(h) for h in log.handlers):
            chain.append(log)
        if not log.propagate:
            break
        log = log.parent
    if not chain:
        yield
        return
    with logging_redirect_tqdm(loggers=chain, tqdm_class=type(bar)):
        yield


class _Terminated(SystemExit, KeyboardInterrupt):
    """Raised by the SIGTERM handler of a fit, so that its cleanup runs.

    A KeyboardInterrupt, because joblib then stops its workers as for
    Ctrl-C; a SystemExit with status ``128 + signal``, so that, uncaught,
    it ends the process as SIGTERM asks (after the interpreter's shutdown,
    which also stops the process pools).
    """

    def __init__(self, signum):
        super().__init__(128 + signum)
        self.signum = signum


@contextlib.contextmanager
def _sigterm_as_interrupt():
    """Handle SIGTERM like SIGINT while fitting.

    In the main thread only (Python runs signal handlers there), and unless
    SIGTERM is ignored or an outer fit already handles it: the handler raises
    :class:`_Terminated`, so the ``finally`` blocks of the fit remove the
    shared-memory and spill folders and joblib stops its workers. The
    previous handler is restored on leaving; when the application had a
    handler of its own, the signal is then delivered to it.
    """
    sig = getattr(signal, "SIGTERM", None)
    if sig is None or threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.getsignal(sig)
    if previous in (signal.SIG_IGN, None) or getattr(previous, "_skw2v", False):
        yield
        return

    def handler(signum, frame):
        raise _Terminated(signum)

    handler._skw2v = True
    signal.signal(sig, handler)
    try:
        yield
    except _Terminated:
        signal.signal(sig, previous)
        if callable(previous):
            signal.raise_signal(sig)  # the application's handler decides
        raise
    finally:
        if signal.getsignal(sig) is handler:
            signal.signal(sig, previous)


@contextlib.contextmanager
def _fitting(verbose, temp_folder=None):
    """Context of every fit: SIGTERM handling and temporary verbose logging.

    Also removes the folders that killed fits left in the shared-memory and
    temporary folders (see :func:`remove_stale_folders`).
    """
    # Under a cluster backend (Dask) nothing local is left to clean up, and a
    # handler in the client process upsets the restart of lost workers.
    local = shared_memory_backend()
    with _sigterm_as_interrupt() if local else contextlib.nullcontext(), \
            _verbose_logging(verbose):
        temp = temp_folder if temp_folder is not None else tempfile.gettempdir()
        remove_stale_folders([_shared_memory_dir(), temp])
        yield


def _progress_bar(verbose, total):
    if not verbose:
        return None
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return None
    return tqdm(total=total, unit="word", unit_scale=True, desc="skw2v", leave=False)


__all__ = ["Checkpoint", "EpochInfo", "LOSSES", "SkipGramVectorizer", "TrainingDiverged"]
