"""The training loop: initialisation, epochs, schedule, divergence, callbacks.

:func:`train` runs the epochs of a fit (or of a ``partial_fit``, or of a
resumed fit) on an encoded corpus and returns the trained state; it publishes
nothing. The estimator publishes the result only once training is complete
and finite.
"""

from __future__ import annotations

import contextlib
import logging
import time
import warnings
from dataclasses import dataclass

import numpy as np
from sklearn.utils import check_random_state

from .._compat import caller_stacklevel, release_free_memory, training_heap
from .._core.composed import vocabulary_incidence
from .._core.vectors import all_finite, uniform_init
from .._core.vocab import keep_probabilities, noise_sampler
from .._data.store import TokenFile, TokenSink, subsample_corpus
from .._params import initial_learning_rate, is_auto
from .parallel import SGDSettings, short_rounds, train_epoch
from .runtime import logging_above_bar, progress_bar
from .shared import detached, shared_folder, shared_space
from .state import EpochInfo, TrainingDiverged, TrainState

logger = logging.getLogger("skw2v")


@dataclass
class TrainResult:
    """The trained vectors and the record of the epochs run.

    ``vectors`` is the whole input matrix: with subwords, the words' own
    rows followed by the n-gram buckets (see :func:`fitted_vectors`).
    """

    vectors: np.ndarray
    output_vectors: np.ndarray
    loss_curve: np.ndarray
    n_pairs: np.ndarray
    seed: int
    learning_rate: float


@dataclass
class _Run:
    """The mutable record of a training run."""

    W_in: np.ndarray
    W_out: np.ndarray
    curve: list
    pair_counts: list
    first_epoch: int
    seed: int


def draw_seed(random_state):
    """The root seed of a fit's random streams, from ``random_state``."""
    return int(check_random_state(random_state).randint(np.iinfo(np.int32).max))


def input_rows(config, n_words):
    """Rows of the input matrix: one per word, then one per n-gram bucket with subwords."""
    return n_words + (config.subwords.n_buckets if config.subwords is not None else 0)


def _start(config, n_words, state, initial_vectors, index_to_key, allocate=None):
    """A run from ``state``, or from word2vec's initialisation.

    With subwords the input matrix has a row per word and then one per
    n-gram bucket, all drawn like word2vec's word rows (the word rows get
    the same values as without subwords: the bucket rows are drawn after
    them from the same stream). ``allocate(name, shape, dtype)``, when
    given, makes the (zero-filled) matrices, in shared memory for Hogwild
    workers, so that they are never held twice.
    """
    if allocate is None:
        def allocate(name, shape, dtype):
            return np.zeros(shape, dtype) if name == "output_vectors" else np.empty(shape, dtype)
    n_in = input_rows(config, n_words)
    if state is not None:
        if state.vectors.shape[0] != n_in:
            raise ValueError(
                f"The state to continue from has {state.vectors.shape[0]} input rows, but "
                f"{n_words} words and these parameters need {n_in} "
                f"(char_ngram_range={None if config.subwords is None else 'set'}); continue "
                "with the parameters it was trained with.")
        W_in = allocate("vectors", state.vectors.shape, config.dtype)
        W_out = allocate("output_vectors", state.output_vectors.shape, config.dtype)
        W_in[...] = state.vectors
        W_out[...] = state.output_vectors
        return _Run(W_in, W_out, list(state.loss_curve), list(state.n_pairs), state.epoch,
                    state.seed)
    seed = draw_seed(config.random_state)
    dim, dtype = config.n_components, config.dtype
    init_rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(0,)))
    try:
        W_in = uniform_init(init_rng, n_in, dim, dtype,
                            out=allocate("vectors", (n_in, dim), dtype))
        W_out = allocate("output_vectors", (n_words, dim), dtype)
    except MemoryError as exc:
        nbytes = (n_in + n_words) * dim * np.dtype(dtype).itemsize
        buckets = (f" and {n_in - n_words} n-gram rows (lower n_buckets)"
                   if n_in > n_words else "")
        raise MemoryError(
            f"Not enough memory for the word vectors: {n_words} x {dim} output and "
            f"{n_in} x {dim} input vectors of {np.dtype(dtype).name} ({nbytes:.3g} bytes, "
            f"{n_words} words{buckets}). Lower n_components, keep fewer words (raise "
            "min_count or set max_vocab_size), or use dtype=np.float32.") from exc
    if initial_vectors is not None:
        copy_initial_vectors(W_in, index_to_key, initial_vectors, config.verbose)
    return _Run(W_in, W_out, [], [], 0, seed)


def copy_initial_vectors(W_in, index_to_key, initial_vectors, verbose=0):
    """Overwrite the rows of ``W_in`` of words found in ``initial_vectors``."""
    kv = as_keyed_vectors(initial_vectors)
    if kv.vector_size != W_in.shape[1]:
        raise ValueError(
            f"initial_vectors have {kv.vector_size} dimensions but n_components="
            f"{W_in.shape[1]}; set n_components={kv.vector_size}.")
    pairs = [(i, kv.key_to_index[w]) for i, w in enumerate(index_to_key)
             if w in kv.key_to_index]
    if not pairs:
        warnings.warn("No word of the vocabulary is in initial_vectors; training starts "
                      "from random vectors.", UserWarning, stacklevel=caller_stacklevel())
        return
    rows, src = np.array(pairs).T
    W_in[rows] = kv.vectors[src]
    if verbose:
        logger.info("initial_vectors: %d of %d words initialised from pretrained vectors",
                    rows.size, len(index_to_key))


def fitted_vectors(W_in, config, index_to_key, incidence=None):
    """The fitted input vectors of a trained input matrix.

    Returns
    -------
    vectors : ndarray of shape (n_words, n_components)
        The words' input vectors: with subwords, the composed vectors (the
        mean of each word's own row and its n-gram rows); else ``W_in``.
    vectors_vocab, vectors_ngrams : ndarray or None
        With subwords, the words' own rows and the n-gram bucket rows of
        ``W_in`` (views); else None.
    """
    if config.subwords is None:
        return W_in, None, None
    if incidence is None:
        incidence = vocabulary_incidence(config.subwords, index_to_key, W_in.dtype)
    n = len(index_to_key)
    return incidence.compose(W_in), W_in[:n], W_in[n:]


def is_binary_vector_file(path):
    """Whether a word2vec file is read as binary: its name ends in .bin or .bin.gz."""
    return str(path).endswith((".bin", ".bin.gz"))


def as_keyed_vectors(vectors):
    """A KeyedVectors as is, or one read from a word2vec file (binary for .bin/.bin.gz)."""
    from ..keyedvectors import KeyedVectors

    if isinstance(vectors, KeyedVectors):
        return vectors
    return KeyedVectors.load_word2vec_format(vectors, binary=is_binary_vector_file(vectors))


def check_finite(total, run, epoch, lr0):
    """Raise :class:`TrainingDiverged` if the loss or the vectors are not finite."""
    if not (np.isfinite(total) and all_finite(run.W_in) and all_finite(run.W_out)):
        raise TrainingDiverged(
            f"Training diverged in epoch {epoch + 1}: the loss or the vectors became "
            f"NaN or infinite (learning_rate={lr0:.4g}). Lower "
            "learning_rate (for example by a factor of 10) or batch_size. The "
            "estimator keeps its previous state.")


def check_growth(mean_loss, run, epoch, lr0, config, n_words):
    """Raise :class:`TrainingDiverged` on a finite blow-up of the loss.

    SGD with a decaying step never multiplies the loss tenfold. The
    reference is the first epoch, or the loss of the initialisation, when
    the loss knows it (see ``SkipGramLoss.reference_loss``).
    """
    reference = [c for c in run.curve[:1] if np.isfinite(c)]
    known = getattr(config.loss, "reference_loss", None)
    start = known(n_words, config.n_negatives) if known is not None else None
    if start is not None:
        reference.append(start)
    if reference and mean_loss > 10.0 * max(reference):
        raise TrainingDiverged(
            f"Training diverged in epoch {epoch + 1}: the mean loss per pair grew "
            f"to {mean_loss:.4g}, over 10 times its starting value "
            f"{max(reference):.4g} (learning_rate={lr0:.4g}, "
            f"batch_size={config.batch_size}). Lower learning_rate (for example by a "
            "factor of 10) or batch_size. The estimator keeps its previous state.")


def kept_buffers_fit(ids, nbytes, temp_folder):
    """Whether Hogwild's two buffers of kept tokens (:class:`KeptTokens`) go with the vectors.

    Only for a corpus in memory, and only when they leave the vectors in the
    folder they would have without them (shared memory when it has room):
    the buffers are a gain of about 1%, the vectors in a folder on disk a
    loss of much more.
    """
    if not isinstance(ids, np.ndarray):
        return False
    try:
        return (shared_folder(nbytes + KeptTokens.buffer_bytes(ids), temp_folder)
                == shared_folder(nbytes, temp_folder))
    except OSError:  # no room for both: the vectors alone decide, as before
        return False


class KeptTokens:
    """Each epoch's subsampled corpus, made when asked or ahead of time.

    Subsampling is a pass over the corpus in this process. With Hogwild
    (``ahead=True``) it runs while the workers train the epoch before
    (:meth:`prepare`, from ``train_epoch``'s ``meanwhile``), instead of in a
    pause between epochs in which every worker waits. The epoch's tokens
    are drawn from their own stream (the fit's seed and the epoch), so they
    do not depend on when they are made.

    Where the kept tokens live: with ``allocate`` (a corpus in memory,
    Hogwild), in two buffers of the corpus's size in the fit's shared
    folder, used by turns (the workers read one while the next epoch's
    tokens are written in the other), which the workers open in place; for
    a corpus on disk, in a file of the workspace (two by turns, ahead of
    time); otherwise, in a new array.
    """

    def __init__(self, ids, offsets, keep_prob, workspace, ahead=False, allocate=None):
        self.ids, self.offsets, self.keep_prob = ids, offsets, keep_prob
        self.workspace, self.ahead = workspace, ahead
        self.buffers = None
        if allocate is not None:
            self.buffers = [allocate(f"kept{k}.i32", (max(ids.size, 1),), np.int32)
                            for k in range(2)]
        self.ready = {}
        self.copied = False

    @staticmethod
    def buffer_bytes(ids):
        """Bytes of the two buffers for the corpus ``ids``."""
        return 2 * max(int(ids.size), 1) * np.dtype(np.int32).itemsize

    def prepare(self, seed, epoch):
        """Subsample for ``epoch`` now, to be taken by :meth:`get`."""
        self.ready = {epoch: self._subsample(seed, epoch)}

    def get(self, seed, epoch):
        """``(kept ids, kept offsets)`` of ``epoch``: prepared ahead, or made now."""
        made = self.ready.pop(epoch, None)
        return made if made is not None else self._subsample(seed, epoch)

    def _subsample(self, seed, epoch):
        ep_rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(1, epoch)))
        turn = epoch % 2
        if isinstance(self.ids, TokenFile):
            name = f"kept{turn}.i32" if self.ahead else "kept.i32"
            sink = TokenSink(self.workspace, name, spill=True)
        elif self.buffers is not None:
            sink = _BufferSink(self.buffers[turn])
        else:
            sink = None
        kept, kept_off = subsample_corpus(self.ids, self.offsets, self.keep_prob, ep_rng,
                                          sink=sink)
        if kept is self.ids and self.buffers is not None:
            # nothing subsampled: the workers read the corpus from a buffer
            # (an array of this process would be written to a file for
            # each epoch by joblib)
            kept = self.buffers[0][:self.ids.size]
            if not self.copied:  # once: the corpus does not change
                kept[...] = self.ids
                self.copied = True
        return kept, kept_off


class _BufferSink:
    """A :class:`~skw2v._data.store.TokenSink` that fills a preallocated buffer."""

    def __init__(self, buffer):
        self.buffer, self.size = buffer, 0

    def append(self, block):
        block = np.asarray(block, dtype=np.int32).ravel()
        self.buffer[self.size:self.size + block.size] = block
        self.size += block.size

    def finish(self):
        return self.buffer[:self.size]

    def close(self):
        pass


class _Epochs:
    """Runs the epochs of one fit (see :func:`train`)."""

    def __init__(self, config, corpus, strategy, estimator, checkpoint_params, workspace,
                 allocate=None):
        self.config, self.corpus, self.strategy = config, corpus, strategy
        self.estimator, self.checkpoint_params = estimator, checkpoint_params
        self.workspace = workspace
        self.keep_prob = keep_probabilities(corpus.word_counts, config.subsample)
        self.kept = KeptTokens(corpus.ids, corpus.offsets, self.keep_prob, workspace,
                               ahead=strategy.kind == "hogwild", allocate=allocate)
        self.incidence = (None if config.subwords is None else
                          vocabulary_incidence(config.subwords, corpus.index_to_key,
                                               config.dtype))
        self.settings = SGDSettings(config.window, config.loss, config.n_negatives,
                                    noise_sampler(corpus.word_counts, config.noise_exponent),
                                    config.batch_size, self.incidence)
        self.stats = []  # (epoch, tokens kept by subsampling, pairs)

    def schedule(self, epoch, lr0, schedule_start):
        """Learning rates at the start and the end of ``epoch`` (linear decay)."""
        lr1, epochs = float(self.config.min_learning_rate), self.config.epochs
        frac_a = (epoch - schedule_start) / epochs
        frac_b = (epoch + 1 - schedule_start) / epochs
        return lr0 - (lr0 - lr1) * frac_a, lr0 - (lr0 - lr1) * frac_b

    def run_epoch(self, run, epoch, lr_a, lr_b, bar, last_epoch):
        """Subsample, then train one epoch; return ``(summed loss, pairs)``."""
        ids = self.corpus.ids
        kept, kept_off = self.kept.get(run.seed, epoch)
        meanwhile = None
        if self.kept.ahead and epoch + 1 < last_epoch:
            def meanwhile():
                self.kept.prepare(run.seed, epoch + 1)
        progress = None
        if bar is not None:
            scale = ids.size / max(kept.size, 1)

            def progress(n, scale=scale):
                bar.update(int(n * scale))
        # non-finite values are detected by the caller and raised as TrainingDiverged
        with np.errstate(over="ignore", invalid="ignore"):
            total, n_pairs = train_epoch(
                run.W_in, run.W_out, kept, kept_off, strategy=self.strategy,
                settings=self.settings, lr_start=lr_a, lr_stop=lr_b, progress=progress,
                seed=np.random.SeedSequence(run.seed, spawn_key=(2, epoch)),
                meanwhile=meanwhile)
        self.stats.append((epoch, int(kept.size), n_pairs))
        # the epoch's pair and batch arrays are freed: give their heap pages
        # back before the next epoch or the corpus statistics allocate anew
        kept = kept_off = None
        release_free_memory()
        return total, n_pairs

    def finish_epoch(self, run, epoch, last_epoch, mean_loss, n_pairs, lr_b, seconds):
        """Record, log and call the callbacks; return whether one asked to stop."""
        run.curve.append(mean_loss)
        run.pair_counts.append(n_pairs)
        if self.config.verbose:
            logger.info("epoch %d/%d: loss %.5f, %d pairs, %.0f words/s, lr %.5f",
                        epoch + 1, last_epoch, mean_loss, n_pairs,
                        self.corpus.ids.size / max(seconds, 1e-9), lr_b)
        curve = np.array(run.curve)
        state = TrainState(epoch + 1, run.W_in, run.W_out, curve, np.array(run.pair_counts),
                           run.seed, last_epoch, self.corpus.index_to_key,
                           self.corpus.word_counts, self.checkpoint_params)
        vectors = run.W_in
        if self.incidence is not None:
            # callbacks see the words' vectors, composed when read; the
            # checkpoint state keeps every row
            def vectors(W=run.W_in, incidence=self.incidence):
                return incidence.compose(np.asarray(W))
        info = EpochInfo(epoch, mean_loss, curve, lr_b, vectors, run.W_out, state=state)
        stop = False
        for cb in self.config.callbacks:
            stop = bool(cb(self.estimator, info)) or stop
        return stop

    def loop(self, run, lr0, schedule_start, bar):
        """Run the epochs from ``run.first_epoch`` until the last or a callback stops."""
        last_epoch = schedule_start + self.config.epochs
        n_words = len(self.corpus.index_to_key)
        for epoch in range(run.first_epoch, last_epoch):
            t_epoch = time.perf_counter()
            lr_a, lr_b = self.schedule(epoch, lr0, schedule_start)
            total, n_pairs = self.run_epoch(run, epoch, lr_a, lr_b, bar, last_epoch)
            mean_loss = total / n_pairs if n_pairs else float("nan")
            check_finite(total, run, epoch, lr0)
            if n_pairs:
                check_growth(mean_loss, run, epoch, lr0, self.config, n_words)
            if self.finish_epoch(run, epoch, last_epoch, mean_loss, n_pairs, lr_b,
                                 time.perf_counter() - t_epoch):
                break


def train(config, corpus, *, strategy, estimator, checkpoint_params, state=None,
          schedule_start=0, n_tokens_before=0, workspace=None):
    """Run the epochs of a fit and return a :class:`TrainResult`.

    Parameters
    ----------
    config : FitConfig
    corpus : Corpus
        ``ids`` may be a :class:`~skw2v._data.store.TokenFile` in
        ``workspace``; each epoch's subsampled copy then goes there too.
    strategy : Strategy
    estimator : SkipGramVectorizer
        Passed to the callbacks.
    checkpoint_params : dict
        Recorded in checkpoints (see :func:`~skw2v._fitting.state.checkpoint_params`).
    state : TrainState or None
        Resume from its vectors and epoch.
    schedule_start : int
        The epoch at which the learning-rate schedule starts again from
        ``learning_rate`` (``partial_fit``).
    n_tokens_before : int
        Tokens trained by earlier calls (``partial_fit``), for
        ``learning_rate="auto"``.
    """
    if not np.any(np.diff(corpus.offsets) >= 2):
        raise ValueError(
            "No training pairs: every document has fewer than 2 in-vocabulary tokens. "
            "Pass longer documents or lower min_count.")
    n_words = len(corpus.index_to_key)
    stack = contextlib.ExitStack()
    allocate, buffers = None, False
    if strategy.kind == "hogwild":
        # the vectors are made in memory-mapped files every worker opens in place
        itemsize = np.dtype(config.dtype).itemsize
        nbytes = (input_rows(config, n_words) + n_words) * config.n_components * itemsize
        buffers = kept_buffers_fit(corpus.ids, nbytes, config.temp_folder)
        if buffers:
            nbytes += KeptTokens.buffer_bytes(corpus.ids)
        allocate = stack.enter_context(shared_space(nbytes, config.temp_folder))
    # a fit inside a Dask worker (a grid search on Dask) trains as fast as outside
    stack.enter_context(training_heap())
    with stack:
        return _train_run(config, corpus, strategy, estimator, checkpoint_params, state,
                          schedule_start, n_tokens_before, workspace, allocate, buffers)


def _train_run(config, corpus, strategy, estimator, checkpoint_params, state, schedule_start,
               n_tokens_before, workspace, allocate, buffers=False):
    """:func:`train`, its matrices made by ``allocate`` (shared maps for Hogwild) if given.

    With ``buffers``, each epoch's kept tokens go in two buffers that
    ``allocate`` makes (see :class:`KeptTokens`).
    """
    run = _start(config, len(corpus.index_to_key), state, config.initial_vectors,
                 corpus.index_to_key, allocate)
    epochs = _Epochs(config, corpus, strategy, estimator, checkpoint_params, workspace,
                     allocate if buffers else None)
    # Synchronised shards with few rounds per epoch add up n_shards stale
    # changes at each sync: "auto" keeps word2vec's 0.025 there. Short rounds
    # train like one worker and get its step, up to SYNCED_AUTO_LR_MAX.
    n_trained = corpus.ids.size + n_tokens_before
    synced = strategy.kind == "synced"
    stale = synced and not short_rounds(strategy.syncs_per_epoch, corpus.ids.size,
                                        strategy.n_shards)
    lr0 = initial_learning_rate(config.learning_rate, np.inf if stale else n_trained,
                                config.epochs)
    if synced and is_auto(config.learning_rate):
        lr0 = min(lr0, SYNCED_AUTO_LR_MAX)
    last_epoch = schedule_start + config.epochs
    bar = progress_bar(config.verbose, total=(last_epoch - run.first_epoch) * corpus.ids.size)
    with contextlib.ExitStack() as stack:
        if bar is not None:
            stack.callback(bar.close)
        stack.enter_context(logging_above_bar(bar))
        if strategy.kind == "hogwild":
            try:
                epochs.loop(run, lr0, schedule_start, bar)
            finally:
                run.W_in, run.W_out = detached(run.W_in), detached(run.W_out)
        else:
            epochs.loop(run, lr0, schedule_start, bar)
    check_epoch_pairs(epochs.stats, int(corpus.ids.size), config.subsample)
    return TrainResult(run.W_in, run.W_out, np.array(run.curve, np.float64),
                       np.array(run.pair_counts, np.int64), run.seed, lr0)


#: The largest step ``learning_rate="auto"`` gives synchronised shards. On the
#: first 1M tokens of text8like at 16 shards, 0.1 (the single worker's value)
#: reached a first-epoch loss of 7.8 and a last of 2.42; 0.05 gave 4.0 and 2.40,
#: 0.025 gave 3.0 and 2.49 (``benchmarks/README.md``).
SYNCED_AUTO_LR_MAX = 0.05


def check_epoch_pairs(stats, n_tokens, subsample_rate):
    """Warn about epochs without training pairs; raise if no epoch had any.

    ``stats`` holds ``(epoch, tokens kept by subsampling, pairs)`` of
    every epoch run, on a corpus of ``n_tokens`` in-vocabulary tokens.
    Also warns when subsampling dropped nearly every token.
    """
    if not stats:
        return
    empty = [(e, k) for e, k, p in stats if p == 0]
    kept_share = sum(k for _, k, _ in stats) / (len(stats) * max(n_tokens, 1))
    small = subsample_rate > 0 and n_tokens < 1.0 / subsample_rate
    why_small = (f"; on a corpus this small (under 1/subsample = {1.0 / subsample_rate:.0f}"
                 " tokens) every word counts as frequent and is mostly dropped"
                 if small else "")
    sub_fix = "Pass subsample=0 to disable subsampling, or train on more text."
    if empty:
        _no_pairs(stats, empty, n_tokens, subsample_rate, why_small, sub_fix)
    elif subsample_rate > 0 and kept_share < 0.1:
        warnings.warn(f"Subsampling (subsample={subsample_rate}) dropped "
                      f"{1 - kept_share:.0%} of the {n_tokens} tokens in each epoch, so "
                      f"little was trained{why_small}. {sub_fix}", UserWarning,
                      stacklevel=caller_stacklevel())


def _no_pairs(stats, empty, n_tokens, subsample_rate, why_small, sub_fix):
    """Raise (no epoch had pairs) or warn (some had none), saying why."""
    kept = max(k for _, k in empty)
    if subsample_rate > 0 and kept < n_tokens:
        cause = (f"subsampling (subsample={subsample_rate}) kept at most {kept} of the "
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
                  stacklevel=caller_stacklevel())
