"""Training epochs on joblib workers: the scheme, chosen once, and the shards.

Training runs over contiguous ranges of the encoded corpus. Results are
always combined in shard order, so they never depend on which worker
finished first.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import os
import threading
import time
import uuid
from dataclasses import dataclass

import numpy as np
from joblib import Parallel, delayed, effective_n_jobs

from .._compat import release_free_memory, training_heap
from .._core.rowsum import add_to_rows, store_rows
from .._core.sgd import fused_kernel, train_range
from .._data.store import (
    CorpusNotVisible,
    OffsetFile,
    SharedCorpus,
    TokenFile,
    document_slice,
    read_tokens,
)
from .._params import MAX_SLICES, is_auto

logger = logging.getLogger("skw2v")


def split_range(n, n_shards):
    """Cut ``range(n)`` into ``n_shards`` contiguous, nearly equal parts."""
    bounds = np.linspace(0, n, n_shards + 1).round().astype(np.int64)
    return [(int(a), int(b)) for a, b in zip(bounds[:-1], bounds[1:], strict=True) if b > a]


@dataclass(frozen=True)
class Strategy:
    """How an epoch is spread over workers, chosen once per fit by :func:`choose_strategy`.

    Attributes
    ----------
    kind : {"serial", "hogwild", "synced"}
    n_jobs : int or None
    n_shards : int or None
        Shards of the synchronised scheme.
    syncs_per_epoch : int
    local : bool
        Whether the joblib backend runs its workers on this machine.
    verbose : bool
        Log how the corpus reaches the workers (synchronised shards).
    """

    kind: str
    n_jobs: int | None
    n_shards: int | None
    syncs_per_epoch: int
    local: bool
    verbose: bool = False


def choose_strategy(n_jobs, n_shards, syncs_per_epoch, local, verbose=False):
    """The training scheme for these parameters and backend.

    * ``n_shards=k``: synchronised shards (deterministic, any backend).
    * One job: plain sequential mini-batch SGD.
    * Several local jobs: Hogwild on shared memory-mapped vectors.
    * Several jobs on a cluster (no shared memory): synchronised shards, one
      per worker.
    """
    verbose = bool(verbose)
    if n_shards is not None:
        return Strategy("synced", n_jobs, n_shards, syncs_per_epoch, local, verbose)
    n = effective_n_jobs(n_jobs)
    if n == 1:
        return Strategy("serial", n_jobs, None, syncs_per_epoch, local, verbose)
    if local:
        return Strategy("hogwild", n_jobs, None, syncs_per_epoch, local, verbose)
    return Strategy("synced", n_jobs, n, syncs_per_epoch, local, verbose)


@dataclass(frozen=True)
class SGDSettings:
    """The per-batch training settings every worker needs.

    ``incidence`` (a :class:`~skw2v._core.composed.Incidence`, or None)
    makes the input vectors subword vectors: the input matrix then has the
    words' own rows followed by the n-gram buckets.
    """

    window: int
    loss: object
    n_negatives: int
    sampler: object
    batch_size: int
    incidence: object = None

    def run(self, W_in, W_out, ids, offsets, start, stop, lr_start, lr_stop, rng,
            callback=None, base=0, drawn=None):
        """:func:`~skw2v._core.sgd.train_range` with these settings.

        A corpus on disk (:class:`~skw2v._data.store.TokenFile`) is handed to
        the kernel as a reader of its blocks.
        """
        read = None
        if isinstance(ids, TokenFile):
            read, ids = ids.read, None
        return train_range(W_in, W_out, ids, offsets, start, stop, read=read, window=self.window,
                           loss=self.loss, n_negatives=self.n_negatives, sampler=self.sampler,
                           batch_size=self.batch_size, lr_start=lr_start, lr_stop=lr_stop,
                           rng=rng, callback=callback, base=base, incidence=self.incidence,
                           drawn=drawn)


def train_epoch(W_in, W_out, ids, offsets, *, strategy, settings, seed, lr_start, lr_stop,
                progress=None, meanwhile=None):
    """Train one epoch: sequentially, in shared memory, or on synchronised shards.

    * ``"serial"``: the corpus is trained in order, plain mini-batch SGD.
    * ``"hogwild"``: the corpus is cut into one contiguous shard per job, and
      the shards train at the same time on the *same* vectors, without locks
      (Hogwild, as gensim's worker threads do). ``W_in`` and ``W_out`` must
      then be ``np.memmap`` arrays that the workers (local processes or
      threads) open in place. Not bitwise reproducible: updates interleave
      differently on every run.
    * ``"synced"``: the epoch is cut into ``n_shards`` shards, and each shard
      into ``syncs_per_epoch`` slices. In each round, every shard trains its
      next slice on a private copy of the vectors, starting from the same
      synchronised state; then the shards' changes are added in shard order.
      The result depends on the shards, the syncs and the seed, never on
      which worker ran what, so it is the same on threads, processes or a
      Dask cluster (``joblib.parallel_config(backend="dask")``). The vectors
      are shipped to the workers once per round, as top-level arguments.
      A corpus on disk travels as its path when the workers can read it
      (local workers; on Dask, when :func:`share_with_cluster` finds that
      every worker reads the client's file, as on shared storage); else
      each task gets its slice of tokens. Either way a task gets only the
      document offsets its slice needs.

    Each shard sweeps the learning rate from ``lr_start`` to ``lr_stop``
    over the epoch, as a single shard does.

    Parameters
    ----------
    strategy : Strategy
    settings : SGDSettings
    seed : numpy.random.SeedSequence
        Root of the shards' random streams.
    progress : callable or None
        Called with a number of center positions done.
    meanwhile : callable or None
        Called once, with no argument, in this process: with Hogwild while
        the workers train (the next epoch's subsampling, which would
        otherwise be a pause in which every worker waits), otherwise after
        the epoch.

    Returns
    -------
    loss : float
        Summed loss over the epoch.
    n_pairs : int
    """
    if strategy.kind == "serial":
        result = settings.run(W_in, W_out, ids, offsets, 0, ids.size, lr_start, lr_stop,
                              np.random.default_rng(seed.spawn(1)[0]), callback=progress)
        if meanwhile is not None:
            meanwhile()
        return float(result.loss), int(result.n_pairs)
    if strategy.kind == "hogwild":
        n_jobs = effective_n_jobs(strategy.n_jobs)
        shards = split_range(ids.size, n_jobs)
        seeds = seed.spawn(len(shards))
        # the tasks are sent when the generator is made; their results are
        # collected after ``meanwhile`` has run here
        pending = Parallel(n_jobs=n_jobs, return_as="generator")(
            delayed(train_slice_in_place)(W_in, W_out, ids, offsets, a, b, seeds[j], lr_start,
                                          lr_stop, settings)
            for j, (a, b) in enumerate(shards))
        if meanwhile is not None:
            meanwhile()
        results = list(pending)
        if progress is not None:
            progress(ids.size)
        return float(sum(r.loss for r in results)), int(sum(r.n_pairs for r in results))
    result = _train_epoch_synced(W_in, W_out, ids, offsets, strategy=strategy,
                                 settings=settings, seed=seed, lr_start=lr_start,
                                 lr_stop=lr_stop, progress=progress)
    if meanwhile is not None:
        meanwhile()
    return result


def _warm_worker(pause):
    """A Hogwild worker's first task: the imports and the BLAS controller, then a short pause.

    The pause keeps this worker busy while the other workers, started at the
    same time, take the other warm-up tasks.
    """
    with one_blas_thread():
        pass
    time.sleep(pause)
    return os.getpid()


@contextlib.contextmanager
def warm_up(strategy, pause=0.05):
    """Start the Hogwild workers on entering, while the block does other work.

    A local process pool takes about a second to start, most of it each
    worker importing NumPy, SciPy and scikit-learn. A fit starts it before
    building its vocabulary, so both go on at the same time, and the first
    epoch does not wait for it. Nothing is started unless ``strategy`` is
    Hogwild (None: nothing).

    Yields
    ------
    wait : callable
        Waits until every warm-up task has run and returns the set of the
        process ids that ran them (None when nothing was started). When the
        block raises before calling it, the warm-up tasks are left to finish
        before the error goes on, so that nothing about them reaches the
        user.
    """
    if strategy is None or strategy.kind != "hogwild":
        yield lambda: None
        return
    n_jobs = effective_n_jobs(strategy.n_jobs)
    pending = Parallel(n_jobs=n_jobs, return_as="generator_unordered")(
        delayed(_warm_worker)(pause) for _ in range(n_jobs))
    done = []

    def wait():
        if not done:
            done.append(set(pending))
        return done[0]

    try:
        yield wait
    finally:
        if not done:
            # The block raised: let the warm-up finish (about a second at
            # most). Closing the generator would make joblib cancel the tasks,
            # which warns about them and races with loky's manager thread;
            # a failure here must not hide the block's error.
            try:
                set(pending)
            except Exception:  # noqa: BLE001, S110 - the block's error is the one to raise
                pass


def train_slice_in_place(W_in, W_out, ids, offsets, start, stop, seed, lr_start, lr_stop,
                         settings):
    """Train ``[start, stop)`` directly on shared ``np.memmap`` vectors (Hogwild)."""
    # Plain ndarray views of the same memory: np.memmap's Python-level
    # subclass hooks on every small operation cost about 3% of an epoch.
    W_in, W_out = np.asarray(W_in), np.asarray(W_out)
    if isinstance(ids, np.memmap):
        ids = np.asarray(ids)
    with one_blas_thread():
        return settings.run(W_in, W_out, ids, offsets, start, stop, lr_start, lr_stop,
                            np.random.default_rng(seed))


def train_slice_from_files(model, W_in, W_out, settings, corpus, slices):
    """:func:`train_slice_on_copy` of a :class:`~skw2v._data.store.SharedCorpus`.

    The worker reads the tokens of each slice (and the window around them)
    and the document offsets they need from the client's files, after
    checking that the files it sees are the client's: a worker on another
    disk raises :class:`~skw2v._data.store.CorpusNotVisible` before
    training anything, and the client then ships the slices instead. Only
    the file handle travels, so the task's size does not grow with the
    corpus.

    ``slices`` are ``(start, stop, seed, lr_start, lr_stop)`` tuples.
    """
    corpus.check()
    return train_slice_on_copy(
        model, W_in, W_out, settings,
        [(corpus.tokens, corpus.offsets.around(a, b), a, b, seed, lr_a, lr_b, 0)
         for a, b, seed, lr_a, lr_b in slices])


def _corpus_problem(corpus):
    """On a worker: why it cannot read ``corpus`` (a SharedCorpus), or None."""
    return corpus.problem()


def dask_client():
    """The Dask client of the active joblib backend, or None if the backend is not Dask's."""
    try:
        from joblib.parallel import get_active_backend

        backend, _ = get_active_backend()
    except (ImportError, AttributeError, TypeError, ValueError):
        return None
    client = getattr(backend, "client", None)
    return client if callable(getattr(client, "run", None)) else None


def share_with_cluster(ids, offsets):
    """A :class:`~skw2v._data.store.SharedCorpus` of ``ids`` if every Dask worker reads it.

    Writes ``offsets`` next to the token file, then asks every worker of
    the cluster, with one ``Client.run`` call (Dask's way of running a
    function on each worker), whether it reads both files as the client
    wrote them (size and :func:`~skw2v._data.store.fingerprint`). That is
    the case when the folder is on storage the workers share
    (``temp_folder=``), or when they run on this machine.

    Returns
    -------
    shared : SharedCorpus or None
        None when a worker cannot read the files, when the backend is not
        Dask's or when the workers could not be asked; the offsets file is
        then removed.
    why : str
        For the verbose log.
    """
    client = dask_client()
    if client is None:
        return None, "the joblib backend is not Dask's, so the workers cannot be asked"
    path = os.path.splitext(ids.path)[0] + ".offsets.i64"
    shared = SharedCorpus(ids, OffsetFile.write(path, offsets))
    try:
        answers = client.run(_corpus_problem, shared, on_error="return")
    except Exception as exc:  # the cluster could not answer: ship the slices
        answers = {"(the cluster)": f"could not be asked ({exc!r})"}
    bad = {w: a for w, a in answers.items() if a is not None}
    if answers and not bad:
        return shared, (f"the {len(answers)} workers read the corpus file {ids.path}: "
                        "tasks get its path, not tokens")
    unshare(shared)
    worker, problem = next(iter(sorted(bad.items(), key=str))) if bad else ("", "no workers")
    return None, (f"{len(bad)} of {len(answers)} workers cannot read the corpus file "
                  f"{ids.path} ({worker}: {problem}): the client ships each task its slice "
                  "of tokens. Pass temp_folder= a folder on storage every worker shares to "
                  "send paths instead")


def unshare(shared):
    """Remove the offsets file a :func:`share_with_cluster` wrote."""
    if shared is not None:
        try:
            os.remove(shared.offsets.path)
        except OSError:
            pass


@dataclass(frozen=True)
class ModelState:
    """Which synchronised state a shard's task trains from, and how it gets it.

    Each worker thread keeps a replica of the synchronised vectors between
    rounds (:class:`Replica`), so a round sends only the rows the last
    combination changed, not both matrices.

    Attributes
    ----------
    token : str
        Names one synchronised epoch; a replica of another epoch is dropped.
    version : int
        Rounds combined into the state so far in this epoch.
    rows_in, rows_out : ndarray of int32 or None
        The rows that round ``version`` changed; the task's ``W_in`` and
        ``W_out`` are then their new values. None: ``W_in`` and ``W_out``
        are the whole matrices (the first round, or a worker whose replica
        is missing or more than one round behind).
    """

    token: str
    version: int
    rows_in: np.ndarray | None = None
    rows_out: np.ndarray | None = None

    @property
    def dense(self):
        """Whether the task carries the whole matrices."""
        return self.rows_in is None


class Replica:
    """A worker thread's copy of the synchronised vectors, and a scratch copy to train on.

    ``base_*`` hold the state at ``version``. A task trains ``work_*`` (equal
    to ``base_*`` between tasks), takes the difference on the rows it can have
    changed, and copies those rows back from ``base_*``, so each round costs
    in proportion to the rows it touches, not to the vocabulary.
    """

    def __init__(self, token, version, W_in, W_out):
        self.token, self.version = token, version
        self.base_in, self.base_out = np.array(W_in, copy=True), np.array(W_out, copy=True)
        self.work_in, self.work_out = self.base_in.copy(), self.base_out.copy()

    def advance(self, state, new_in, new_out):
        """Apply the rows round ``state.version`` changed (their new values)."""
        for base, work, rows, values in ((self.base_in, self.work_in, state.rows_in, new_in),
                                         (self.base_out, self.work_out, state.rows_out, new_out)):
            values = np.ascontiguousarray(values)
            store_rows(base, rows, values)
            store_rows(work, rows, values)
        self.version = state.version


#: Each worker thread's :class:`Replica`, by thread identifier: a process
#: keeps one per thread that ran shards, so the client can free them all
#: (:func:`drop_replicas`).
_REPLICAS = {}
_CONTROLLER = []


def one_blas_thread():
    """A context that limits BLAS to one thread (a worker runs one shard per core).

    The :class:`threadpoolctl.ThreadpoolController` that finds the BLAS
    libraries is made once per process: finding them scans every loaded
    library, which cost about 3 ms per task, more than training a short
    round's slice.
    """
    if not _CONTROLLER:
        from threadpoolctl import ThreadpoolController

        _CONTROLLER.append(ThreadpoolController())
    return _CONTROLLER[0].limit(limits=1, user_api="blas")


def replica_for(state, W_in, W_out):
    """This thread's :class:`Replica` at ``state``, or None when the task cannot make it.

    None means the replica is missing (a new worker) or more than one round
    behind (its thread ran no shard of the last round); the client then
    sends the task again with the whole matrices.
    """
    key = threading.get_ident()
    rep = _REPLICAS.get(key)
    if state.dense:
        if rep is None or rep.token != state.token or rep.version != state.version:
            _REPLICAS.pop(key, None)  # free the old copies before making new ones
            rep = _REPLICAS[key] = Replica(state.token, state.version, W_in, W_out)
        return rep
    if rep is None or rep.token != state.token:
        return None
    if rep.version == state.version - 1:
        rep.advance(state, W_in, W_out)
    return rep if rep.version == state.version else None


def drop_replica():
    """Free this thread's replica (after a failed task: its scratch copy is half trained)."""
    _REPLICAS.pop(threading.get_ident(), None)


def drop_replicas(token):
    """Free every replica of the epoch ``token`` in this process; return how many."""
    mine = [key for key, rep in list(_REPLICAS.items()) if rep.token == token]
    for key in mine:
        _REPLICAS.pop(key, None)
    return len(mine)


def _free_worker_replicas(token):
    """After a synchronised epoch: free the replicas the workers hold.

    This process's (sequential and threading backends) always; on Dask,
    every worker's, with one ``Client.run``. Process workers of loky are
    not reachable one by one: their replicas go when the next synchronised
    epoch replaces them or when loky stops its idle workers.
    """
    drop_replicas(token)
    client = dask_client()
    if client is not None:
        try:
            client.run(drop_replicas, token, on_error="ignore")
        except Exception:  # noqa: BLE001 - best effort: a worker may be gone
            pass


#: What a task returns when it cannot make the state it was asked to train
#: from (:func:`replica_for`).
STALE = "stale"


def candidate_rows(settings, ids, start, stop, base, drawn, n_out):
    """Rows of ``W_in`` and ``W_out`` that training ``[start, stop)`` can have changed.

    The words within a window of the range (input rows, with subwords
    every row they use, and output rows), and every negative drawn
    (``drawn``, output rows). A loss without the fused negative-sampling
    kernel may change any output row, so all are listed. Also returns the
    range's own tokens (its centers), read with the window around them.
    """
    lo = max(start - settings.window - base, 0)
    near = np.asarray(read_tokens(ids, lo, stop + settings.window - base))
    centers = near[start - base - lo:stop - base - lo]
    used = np.zeros(n_out, dtype=bool)
    used[near] = True
    rows_in = np.flatnonzero(used)
    if settings.incidence is not None:
        inc = settings.incidence
        rows_in = np.unique(inc.indices[np.repeat(used, np.diff(inc.indptr))])
    if fused_kernel(settings.loss) is None:
        rows_out = np.arange(n_out)
    else:
        rows_out = np.flatnonzero(used | drawn)
    return rows_in.astype(np.intp), rows_out, centers


def train_slice_on_copy(model, W_in, W_out, settings, slices):
    """Train some shards' slices, one after the other, from the synchronised state ``model``.

    A top-level function of arrays, so that joblib ships ``W_in`` and
    ``W_out`` (the whole matrices, or the rows the last round changed; see
    :class:`ModelState`) to process or Dask workers as top-level arguments,
    memory-mapped or scattered, once per task. Each worker runs one task
    per round, with a contiguous group of the round's shards: every shard
    starts from the same state, whatever ran before it in the task.

    Parameters
    ----------
    slices : list of tuple
        ``(ids, offsets, start, stop, seed, lr_start, lr_stop, base)`` per
        shard: the token slice ``ids`` (positions from ``base``, holding
        ``[start, stop)`` and the window around it; or a
        :class:`~skw2v._data.store.TokenFile` the worker reads), and the
        document offsets the slice needs
        (:func:`~skw2v._data.store.document_slice`). Only the slices travel,
        not the corpus.

    Returns
    -------
    results : list of tuple
        Per slice: ``(delta_in, delta_out, result, counts)``, where the
        deltas are :class:`RowDelta` (``trained - original``, only the rows
        that changed), ``result`` a
        :class:`~skw2v._core.sgd.RangeResult`, and ``counts`` the words
        centred in ``[start, stop)`` and how often each occurs, for
        :func:`combine_weights`.

        Or :data:`STALE` when the worker's replica cannot be brought to
        ``model`` from the rows sent.
    """
    rep = replica_for(model, W_in, W_out)
    if rep is None:
        return STALE
    try:
        with training_heap():  # Dask's workers trim the C heap eagerly
            return [_train_one_slice(rep, settings, *spec) for spec in slices]
    except BaseException:
        drop_replica()  # a half-trained scratch copy is never reused
        raise


def _train_one_slice(rep, settings, ids, offsets, start, stop, seed, lr_start, lr_stop, base):
    """One slice of :func:`train_slice_on_copy` on the replica ``rep``."""
    A, B = rep.work_in, rep.work_out
    drawn = np.zeros(B.shape[0], dtype=bool)
    with one_blas_thread():
        result = settings.run(A, B, ids, offsets, start, stop, lr_start, lr_stop,
                              np.random.default_rng(seed), base=base, drawn=drawn)
    rows_in, rows_out, centers = candidate_rows(settings, ids, start, stop, base, drawn,
                                                B.shape[0])
    counts = np.bincount(centers, minlength=B.shape[0])
    words = np.flatnonzero(counts)
    deltas = []
    for work, orig, rows in ((A, rep.base_in, rows_in), (B, rep.base_out, rows_out)):
        before = orig.take(rows, axis=0)
        delta = work.take(rows, axis=0)
        delta -= before
        store_rows(work, rows, before)  # the scratch copy is the synchronised state again
        deltas.append(RowDelta.of(delta, rows, work.shape[0]))
    return deltas[0], deltas[1], result, (words, counts[words])


@dataclass(frozen=True)
class RowDelta:
    """The changed rows of a matrix: ``delta[rows]`` of a dense ``delta``.

    Attributes
    ----------
    rows : ndarray of int32
        Increasing row indices.
    values : ndarray of shape (rows.size, n_columns)
    n_rows : int
        Rows of the full matrix.
    """

    rows: np.ndarray
    values: np.ndarray
    n_rows: int

    @classmethod
    def of(cls, delta, rows=None, n_rows=None):
        """The rows of ``delta`` with a non-zero entry.

        With ``rows`` (increasing), ``delta`` holds only those rows of a
        change to an ``n_rows``-row matrix.
        """
        if rows is None:
            rows, n_rows = np.arange(delta.shape[0]), delta.shape[0]
        changed = (delta != 0).any(axis=1)
        if changed.all():
            return cls(rows.astype(np.int32), delta, int(n_rows))
        return cls(rows[changed].astype(np.int32), delta[changed], int(n_rows))

    @property
    def nbytes(self):
        """Bytes of the rows and their indices (what a worker sends back)."""
        return int(self.rows.nbytes + self.values.nbytes)

    def dense_nbytes(self):
        """Bytes of the whole change matrix, as it was sent before."""
        return int(self.n_rows * self.values.shape[1] * self.values.itemsize)

    def add_to(self, W):
        """``W += delta`` (rows are unique, so fancy indexing adds each once)."""
        W[self.rows] += self.values


#: Saturation scale of :func:`combine_weights`, in occurrences of a word per
#: shard and round. ``inf`` adds the shards' changes (diverges from 4 shards on
#: 4M tokens of text8like, sooner with more syncs); ``0`` averages each row
#: over the shards that touched it (stable, but loses quality with every
#: doubling of shards); 1000 diverges from 8 shards at 1 sync per epoch, and
#: 100 lets the loss grow on a small skewed corpus at 8 shards and 4 syncs,
#: where 30 matches the sequential loss (``benchmarks/README.md``).
SATURATION = 30.0
#: With short rounds (:func:`short_rounds`), the saturation constant
#: shrinks with the step: ``SATURATION * min(lr, SATURATION_LR) /
#: SATURATION_LR`` at a round's learning rate ``lr`` (30 at 0.025 and above,
#: 0 as the step reaches 0), so that late in training the rows many shards
#: changed are averaged rather than added.
#: 8 shards, first 4M tokens, seeds 0 and 1: MEN 0.477 against 0.460 with
#: the constant, and 0.485 for one worker (``benchmarks/README.md``). None
#: keeps ``SATURATION`` for every round.
SATURATION_LR = 0.025


def noise_probabilities(sampler, n_words):
    """The probability of each word under an alias ``sampler`` (zeros without one)."""
    prob = getattr(sampler, "prob", None)
    alias = getattr(sampler, "alias", None)
    if prob is None or alias is None or prob.size != n_words:
        return np.zeros(n_words)
    prob = prob.astype(np.float64)
    return (prob + np.bincount(alias, weights=1.0 - prob, minlength=n_words)) / n_words


def combine_weights(counts, saturation):
    """Per-row factor applied to the sum of the shards' changes.

    Each shard trains a row from the same start; ``counts[s, w]`` estimates
    how many updates shard ``s`` made to row ``w``. In the model where every
    update moves a row a fraction ``1/saturation`` of the way towards a target
    that all shards share, ``n`` updates move it ``1 - exp(-n / saturation)``
    of the way, and one worker doing all of the updates would move it
    ``1 - exp(-sum_s n_s / saturation)`` of the way. The factor returned is
    the ratio of the latter to the sum of the former: 1 for rows one shard
    touched, and for rows all shards touched, 1 (adding) when the counts are
    small against ``saturation`` and ``1 / n_shards`` (averaging) when they
    are large.

    Parameters
    ----------
    counts : ndarray of float of shape (n_shards, n_words)
    saturation : float
        Positive, or ``inf`` to add the changes (factor 1).

    Returns
    -------
    factor : ndarray of float64 of shape (n_words,)
    """
    if np.isinf(saturation):
        return np.ones(counts.shape[1])
    if saturation <= 0:  # average over the shards that touched the row
        return 1.0 / np.maximum((counts > 0).sum(axis=0), 1)
    x = np.asarray(counts, dtype=np.float64) / saturation
    shards = -np.expm1(-x).sum(axis=0)
    whole = -np.expm1(-x.sum(axis=0))
    factor = np.ones(counts.shape[1])
    np.divide(whole, shards, out=factor, where=shards > 0)
    return factor


def _round_slices(mode, ids, offsets, shards, r, n_rounds, seeds, settings, lr_start,
                  lr_stop):
    """The slices of round ``r``, one per shard with a non-empty slice, in shard order.

    ``mode`` says how the tokens travel: ``"files"`` (the task reads its
    slices from a SharedCorpus: ``(start, stop, seed, lr_start, lr_stop)``),
    ``"path"`` (a local worker reads the token file ``ids``) or ``"slices"``
    (the task gets its tokens); the last two give the tuples of
    :func:`train_slice_on_copy`. Also returns every slice's length.
    """
    slices, sizes = [], []
    for j, (a, b) in enumerate(shards):
        cuts = np.linspace(a, b, n_rounds + 1).round().astype(np.int64)
        lo, hi = int(cuts[r]), int(cuts[r + 1])
        if hi <= lo:
            continue
        sizes.append(hi - lo)
        lr_a = lr_start + (lr_stop - lr_start) * (lo - a) / (b - a)
        lr_b = lr_start + (lr_stop - lr_start) * (hi - a) / (b - a)
        seed = seeds[j * n_rounds + r]
        if mode == "files":
            slices.append((lo, hi, seed, lr_a, lr_b))
            continue
        docs = document_slice(offsets, lo, hi)  # only the documents the slice needs
        if mode == "path":
            part, base = ids, 0
        else:  # ship only the slice (and the window around it), not the corpus
            base = max(lo - settings.window, 0)
            part = read_tokens(ids, base, hi + settings.window)
        slices.append((part, docs, lo, hi, seed, lr_a, lr_b, base))
    return slices, sizes


def _group(n_items, n_groups):
    """``n_items`` cut into at most ``n_groups`` contiguous, nearly equal ranges."""
    return split_range(n_items, max(1, min(n_groups, n_items)))


def _round_tasks(mode, model, A, B, shared, slices, groups, settings):
    """One task per group of slices: :func:`train_slice_on_copy` or, in ``"files"``
    mode, :func:`train_slice_from_files`, each from the state ``model`` (``A``, ``B``)."""
    if mode == "files":
        return [delayed(train_slice_from_files)(model, A, B, settings, shared, slices[a:b])
                for a, b in groups]
    return [delayed(train_slice_on_copy)(model, A, B, settings, slices[a:b]) for a, b in groups]


#: With ``syncs_per_epoch="auto"``, the shards together train about this many
#: tokens (of the subsampled corpus) per round: quality falls with the
#: tokens trained between syncs (``benchmarks/README.md``, bench_shards) ...
ROUND_TOKENS = 8_192
#: ... but each shard trains between these many tokens per round (fewer cost
#: more in per-round overhead than they gain; more lose quality).
SHARD_ROUND_TOKENS = (1_024, 4_096)
#: Rounds per epoch from which ``learning_rate="auto"`` gives synchronised
#: shards the step of a single worker (:func:`short_rounds`).
SHORT_ROUNDS = 32


def shard_round_tokens(n_shards):
    """Tokens each of ``n_shards`` shards trains per round with ``syncs_per_epoch="auto"``."""
    low, high = SHARD_ROUND_TOKENS
    return int(min(high, max(low, ROUND_TOKENS // max(int(n_shards), 1))))


def rounds_per_epoch(syncs_per_epoch, n_tokens, n_shards):
    """Rounds of a synchronised epoch of ``n_tokens`` tokens.

    ``syncs_per_epoch="auto"`` gives each shard :func:`shard_round_tokens`
    tokens per round (one round for one shard, which then trains
    sequentially), at most ``MAX_SLICES // n_shards`` rounds.
    """
    if not is_auto(syncs_per_epoch):
        return int(syncs_per_epoch)
    if n_shards <= 1:
        return 1
    n = -(-int(n_tokens) // (n_shards * shard_round_tokens(n_shards)))
    return int(max(1, min(n, MAX_SLICES // n_shards)))


def short_rounds(syncs_per_epoch, n_tokens, n_shards):
    """Whether ``syncs_per_epoch="auto"`` makes at least :data:`SHORT_ROUNDS` rounds per epoch.

    Shards that synchronise that often train like one worker, so
    ``learning_rate="auto"`` gives them the same step; with few rounds per
    epoch each round adds up ``n_shards`` stale changes, and "auto" keeps
    word2vec's 0.025.
    """
    return is_auto(syncs_per_epoch) and (
        rounds_per_epoch(syncs_per_epoch, n_tokens, n_shards) >= SHORT_ROUNDS)


def _train_epoch_synced(W_in, W_out, ids, offsets, *, strategy, settings, seed, lr_start,
                        lr_stop, progress=None):
    n_shards = strategy.n_shards
    n_rounds = rounds_per_epoch(strategy.syncs_per_epoch, ids.size, n_shards)
    shards = split_range(ids.size, n_shards)
    seeds = seed.spawn(n_shards * n_rounds)
    local = strategy.local
    shared, mode = None, "slices"
    if isinstance(ids, TokenFile) and local:
        mode = "path"  # local workers read a spilled file themselves
    elif isinstance(ids, TokenFile):
        shared, why = share_with_cluster(ids, offsets)
        mode = "files" if shared is not None else "slices"
        if strategy.verbose:
            logger.info("synchronised shards: %s", why)
    token = uuid.uuid4().hex
    try:
        return _run_rounds(W_in, W_out, ids, offsets, shared, mode, shards, seeds, n_rounds,
                           strategy, settings, lr_start, lr_stop, progress, token,
                           scaled=short_rounds(strategy.syncs_per_epoch, ids.size, n_shards))
    finally:
        unshare(shared)
        _free_worker_replicas(token)


class _Rounds:
    """Runs the rounds of one synchronised epoch on the active joblib backend.

    Local backends run every round in one :class:`joblib.Parallel` context,
    so the workers (and their replicas) stay the same all epoch; a cluster
    runs each round under :func:`run_round_on_cluster`.
    """

    def __init__(self, strategy, parallel):
        self.strategy, self.parallel, self.slowest = strategy, parallel, 0.0

    def run(self, tasks, longest, r):
        if self.parallel is not None:
            return self.parallel(tasks)
        results, seconds = run_round_on_cluster(
            tasks, self.strategy.n_jobs,
            max(longest / _SLOWEST_TOKENS_PER_SECOND, _ROUND_TIMEOUT_FACTOR * self.slowest), r)
        self.slowest = max(self.slowest, seconds)
        return results


def _run_rounds(W_in, W_out, ids, offsets, shared, mode, shards, seeds, n_rounds, strategy,
                settings, lr_start, lr_stop, progress, token, scaled=False):
    """The rounds of a synchronised epoch; returns ``(summed loss, pairs)``.

    With ``scaled`` (short rounds), each round combines with the saturation
    of its learning rate (see ``SATURATION_LR``).
    """
    local = strategy.local
    loss, n_pairs = 0.0, 0
    noise = noise_probabilities(settings.sampler, W_out.shape[0])
    dense = ModelState(token, 0)
    model, A, B = dense, W_in, W_out
    with contextlib.ExitStack() as stack:
        parallel = None
        if local:
            parallel = stack.enter_context(Parallel(n_jobs=strategy.n_jobs, batch_size=1))
        rounds = _Rounds(strategy, parallel)
        # the client's garbage may reach 4 times both matrices (256 MB at least)
        garbage = None if local else ClientGarbage(4 * (W_in.nbytes + W_out.nbytes))
        n_groups = effective_n_jobs(strategy.n_jobs)
        r = 0
        while r < n_rounds:
            slices, sizes = _round_slices(mode, ids, offsets, shards, r, n_rounds, seeds,
                                          settings, lr_start, lr_stop)
            groups = _group(len(slices), n_groups)
            longest = max(sizes) * max(b - a for a, b in groups)
            tasks = _round_tasks(mode, model, A, B, shared, slices, groups, settings)
            try:
                results = rounds.run(tasks, longest, r)
                stale = [i for i, res in enumerate(results) if isinstance(res, str)]
                if stale:  # workers whose replica fell behind get the whole matrices
                    again = _round_tasks(mode, dense, W_in, W_out, shared, slices,
                                         [groups[i] for i in stale], settings)
                    for i, res in zip(stale, rounds.run(again, longest, r), strict=True):
                        results[i] = res
                    if STALE_LOG is not None:
                        STALE_LOG.append(len(stale))
            except CorpusNotVisible as exc:
                if mode != "files" or local:
                    raise
                # a worker that joined after the check reads another disk:
                # this round and the rest of the epoch ship their slices
                mode = "slices"
                if strategy.verbose:
                    logger.info("synchronised shards: %s; round %d is run again with the "
                                "slices shipped", exc, r + 1)
                continue
            groups_out, results = results, [res for group in results for res in group]
            loss, n_pairs, rows_in, rows_out = _combine_round(
                W_in, W_out, results, sizes, noise, settings, loss, n_pairs, progress,
                sent=A.nbytes + B.nbytes + (0 if model.dense else
                                            model.rows_in.nbytes + model.rows_out.nbytes),
                lr=(lr_start + (lr_stop - lr_start) * (r + 0.5) / n_rounds
                    if scaled else None))
            # the returned lists may sit in reference cycles (see ClientGarbage):
            # emptied, they no longer hold the shards' changes
            for group in groups_out:
                if isinstance(group, list):
                    group.clear()
            groups_out = results = None
            r += 1
            if garbage is not None:
                garbage.after_round()
            dense = ModelState(token, r)
            model = ModelState(token, r, rows_in, rows_out)
            A, B = W_in.take(rows_in, axis=0), W_out.take(rows_out, axis=0)
    return float(loss), int(n_pairs)


def _resident_bytes():
    """This process's resident set in bytes (Linux), or None."""
    try:
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError, AttributeError):
        return None


class ClientGarbage:
    """Frees what cluster rounds leave in the client once it outgrows ``budget`` bytes.

    Each round on Dask leaves its sent and returned arrays in reference
    cycles (futures and their callbacks) that only the cyclic garbage
    collector frees. On the full text8like, 24 rounds of one epoch took the
    client from 415 MB to a peak of 1.6 GB; collecting after every round
    kept it at 667 MB but doubled a 342-round fit's time (a collection costs
    about 90 ms with Dask loaded). So the collector runs only when the
    resident set has grown by ``budget`` since the last collection (every
    16 rounds where the resident set cannot be read). The returned lists
    of shard changes are emptied once a round combined them (see
    :func:`_run_rounds`), so the cycles hold little more than the sent
    arrays (the peak did not change measurably: 8 rounds on 17M tokens
    peaked 398 MB above the RSS at the start of training, against 389 MB
    before).
    """

    def __init__(self, budget):
        self.budget, self.rounds = max(int(budget), 256 << 20), 0
        self.base = _resident_bytes()

    def after_round(self):
        self.rounds += 1
        now = _resident_bytes()
        if (now is None and self.rounds % 16) or (now is not None and self.base is not None
                                                   and now - self.base < self.budget):
            return False
        gc.collect()
        release_free_memory()
        self.base = _resident_bytes()
        return True


def _union_rows(deltas):
    """The increasing union of the rows of some :class:`RowDelta` (of one matrix).

    Marks the rows in a mask of the matrix's rows instead of sorting their
    concatenation: the same rows, much faster when the shards changed a good
    part of the vocabulary, as a default round does (0.13 ms against 3.3 ms
    for two shards of 9k and 11k rows of 30k).
    """
    mask = np.zeros(deltas[0].n_rows, dtype=bool)
    for d in deltas:
        mask[d.rows] = True
    return np.flatnonzero(mask).astype(np.int32)


def _combine_round(W_in, W_out, results, sizes, noise, settings, loss, n_pairs, progress,
                   sent=0, lr=None):
    """Add the shards' changes, each row scaled by :func:`combine_weights`, in shard order.

    Works on the union of the rows the shards changed only. Returns the
    running loss and pair count, and the rows of ``W_in`` and ``W_out`` that
    changed. With ``lr`` (the round's learning rate, given for short
    rounds) the saturation constant shrinks with it (see
    ``SATURATION_LR``); without, it is ``SATURATION``.
    """
    saturation = SATURATION
    if lr is not None and SATURATION_LR is not None:
        # never above SATURATION: a factor is then never larger than the
        # constant's (a smaller saturation moves each factor towards
        # averaging), so no combined step grows
        saturation = SATURATION * min(max(float(lr), 0.0), SATURATION_LR) / SATURATION_LR
    rows_in = _union_rows([res[0] for res in results])
    rows_out = _union_rows([res[1] for res in results])
    if not np.isinf(saturation):
        n_words = W_out.shape[0]
        c_words = np.zeros((len(results), n_words))
        for s, (*_, (words, counts)) in enumerate(results):
            c_words[s, words] = counts
        # an output row is trained as a context (about as often as the word
        # occurs) and as a negative (n_negatives draws per pair)
        c_out = c_words[:, rows_out] + settings.n_negatives * np.outer(sizes, noise[rows_out])
        if settings.incidence is not None:
            # a subword row is updated whenever one of its words is
            c_in = settings.incidence.row_counts(c_words)[:, rows_in]
        else:
            c_in = c_words[:, rows_in]
        f_in = combine_weights(c_in, saturation).astype(W_in.dtype)[:, None]
        f_out = combine_weights(c_out, saturation).astype(W_out.dtype)[:, None]
        sum_in = np.zeros((rows_in.size, W_in.shape[1]), dtype=W_in.dtype)
        sum_out = np.zeros((rows_out.size, W_out.shape[1]), dtype=W_out.dtype)
    for d_in, d_out, res, _counts in results:  # shard order: deterministic
        if np.isinf(saturation):
            d_in.add_to(W_in)
            d_out.add_to(W_out)
        else:
            add_to_rows(sum_in, np.searchsorted(rows_in, d_in.rows), d_in.values)
            add_to_rows(sum_out, np.searchsorted(rows_out, d_out.rows), d_out.values)
        loss += res.loss
        n_pairs += res.n_pairs
        if progress is not None:
            progress(res.n_words)
        if ROUND_LOG is not None:
            ROUND_LOG.append((d_in.nbytes + d_out.nbytes,
                              d_in.dense_nbytes() + d_out.dense_nbytes(), sent))
    if not np.isinf(saturation):
        sum_in *= f_in
        sum_out *= f_out
        add_to_rows(W_in, rows_in, sum_in)
        add_to_rows(W_out, rows_out, sum_out)
    return loss, n_pairs, rows_in, rows_out


#: A list to record ``(sparse bytes, dense bytes, bytes sent)`` of every
#: shard's task: the changes it returned, their size as dense matrices, and
#: the vectors it was sent (the whole matrices, or the rows the last round
#: changed). None, or a list that benchmarks set
#: (``benchmarks/bench_sync_bytes.py``).
ROUND_LOG = None
#: A list to record how many tasks of a round were sent again with the whole
#: matrices (:data:`STALE`), or None.
STALE_LOG = None


#: On a cluster, a round whose shards have not all come back after
#: ``max(ROUND_TIMEOUT_MIN, slice tokens / _SLOWEST_TOKENS_PER_SECOND,
#: _ROUND_TIMEOUT_FACTOR * slowest round so far)`` seconds is run again, up to
#: ``ROUND_ATTEMPTS`` times: a lost worker can take the data scattered to it
#: along, and its tasks then never finish. The shards are deterministic, so a
#: round run again gives the same result, bit for bit.
ROUND_TIMEOUT_MIN = 30.0
_SLOWEST_TOKENS_PER_SECOND = 1_000.0
_ROUND_TIMEOUT_FACTOR = 10.0
#: How many times a round is tried on a cluster before the fit gives up.
ROUND_ATTEMPTS = 3


def _lost_worker_errors():
    """Exceptions that mean a cluster lost a worker or a task's data, not a bug."""
    import asyncio
    import concurrent.futures
    from multiprocessing import TimeoutError as ParallelTimeout

    errors = [ParallelTimeout, TimeoutError, concurrent.futures.CancelledError,
              asyncio.CancelledError]
    try:
        from distributed import KilledWorker
    except ImportError:  # pragma: no cover - dask is optional
        pass
    else:
        errors.append(KilledWorker)
    return tuple(errors)


def cluster_workers():
    """Addresses of the Dask workers of the default client, or None off Dask."""
    try:
        from distributed import get_client

        return set(get_client().scheduler_info(n_workers=-1)["workers"])
    except Exception:  # no dask, no client, or the scheduler is gone
        return None


def lost_workers(exc, before):
    """The workers a failed attempt lost: named by the error, or gone from the cluster."""
    lost = set()
    worker = getattr(exc, "last_worker", None)  # distributed.KilledWorker
    if getattr(worker, "address", None):
        lost.add(worker.address)
    after = cluster_workers()
    if before is not None and after is not None:
        lost |= before - after
    return lost


def run_round_on_cluster(tasks, n_jobs, timeout, round_index):
    """Run one synchronised round on a cluster, again if workers are lost.

    Returns the shards' results and the seconds the successful attempt took.
    After :data:`ROUND_ATTEMPTS` failed attempts, raises a RuntimeError that
    names the workers lost and says how to resume.
    """
    import time

    timeout = max(ROUND_TIMEOUT_MIN, timeout)
    errors = _lost_worker_errors()
    lost = set()
    for _attempt in range(ROUND_ATTEMPTS):
        before = cluster_workers()
        t0 = time.perf_counter()
        try:
            results = Parallel(n_jobs=n_jobs, timeout=timeout)(tasks)
        except errors as exc:
            last = exc
            lost |= lost_workers(exc, before)
            continue
        return results, time.perf_counter() - t0
    named = (f"Workers lost: {', '.join(sorted(lost))}. " if lost else
             "No worker was reported lost: check that the cluster has free workers. ")
    raise RuntimeError(
        f"Synchronised round {round_index + 1} failed {ROUND_ATTEMPTS} times on the cluster: "
        f"workers were lost or did not answer within {timeout:.0f} s ({last!r}). {named}The "
        "estimator keeps its previous state. To continue where training stopped, fit with "
        "callbacks=[skw2v.Checkpoint(path)] and then fit(..., resume_from=path) once the "
        "cluster is healthy.") from last
