"""Mapping corpus shards onto joblib workers, and combining results in order.

Counting and encoding run over chunks of documents; training runs over
contiguous ranges of the encoded corpus. Results are always combined in shard
order, so they never depend on which worker finished first.
"""

from __future__ import annotations

from collections import deque

import numpy as np
from joblib import Parallel, delayed, effective_n_jobs

from ._sgd import train_range
from ._store import TokenFile, TokenSink, Workspace, read_tokens
from ._text import tokenize_chunk


def count_and_encode(chunks, analyzer, *, input_kind, callable_analyzer, n_jobs=None,
                     sink=None):
    """Tokenise every document once, counting words and keeping provisional ids.

    The documents are read exactly once (a one-shot generator works), chunk
    by chunk, and the chunks are tokenised in parallel when ``n_jobs``
    allows it.

    Parameters
    ----------
    chunks : iterable of (sequence of int, list)
        The document index of each item and the items: whole documents, or
        pieces of files (see :func:`~skw2v._text.document_chunks`).
    sink : TokenSink or None
        Receives the ids chunk by chunk (and may spill them to disk); None
        keeps them in memory.

    Returns
    -------
    tokens : list of str
        Distinct tokens, in order of first appearance in the corpus.
    counts : ndarray of int64
        Count of each token.
    ids : ndarray of int32 or TokenFile
        The whole corpus as indices into ``tokens``.
    offsets : ndarray of int64 of shape (n_documents + 1,)
    """
    if sink is None:
        sink = TokenSink(Workspace(), "tokens", spill=False)
    args = dict(input_kind=input_kind, callable_analyzer=callable_analyzer)
    if effective_n_jobs(n_jobs) == 1:
        results = ((idx, tokenize_chunk(analyzer, docs, idx, **args)) for idx, docs in chunks)
    else:
        # the indices stay here; only the documents travel to the workers
        index_queue: deque = deque()

        def tasks():
            for idx, docs in chunks:
                index_queue.append(idx)
                yield delayed(tokenize_chunk)(analyzer, docs, idx, **args)

        results = ((index_queue.popleft(), r) for r in Parallel(
            n_jobs=n_jobs, return_as="generator")(tasks()))
    try:
        return _combine(results, sink)
    except BaseException:
        sink.close()  # an error or interrupt mid-corpus leaves no open file behind
        raise


def _combine(results, sink):
    """Merge the chunks' local vocabularies and ids, in chunk order (see count_and_encode)."""
    vocab: dict[str, int] = {}
    counts = np.zeros(1024, dtype=np.int64)
    doc_parts: list[np.ndarray] = []
    len_parts: list[np.ndarray] = []
    for idx, (local_tokens, local_ids, lengths) in results:
        setdefault = vocab.setdefault
        mapping = np.fromiter((setdefault(t, len(vocab)) for t in local_tokens),
                              dtype=np.int32, count=len(local_tokens))
        if len(vocab) > counts.size:
            counts = np.concatenate([counts, np.zeros(max(len(vocab), 2 * counts.size)
                                                      - counts.size, dtype=np.int64)])
        if local_ids.size:
            # ``mapping`` has no repeats, so a fancy-indexed add is exact
            counts[mapping] += np.bincount(local_ids, minlength=mapping.size)
            sink.append(mapping[local_ids])
        doc_parts.append(np.asarray(idx, dtype=np.int64))
        len_parts.append(lengths)
    ids = sink.finish()
    piece_docs = np.concatenate(doc_parts) if doc_parts else np.empty(0, dtype=np.int64)
    lengths = np.concatenate(len_parts) if len_parts else np.empty(0, dtype=np.int64)
    n_docs = int(piece_docs[-1]) + 1 if piece_docs.size else 0
    if piece_docs.size != n_docs:  # several pieces per document: add their lengths
        lengths = np.bincount(piece_docs, weights=lengths, minlength=n_docs).astype(np.int64)
    offsets = np.zeros(n_docs + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    return list(vocab), counts[:len(vocab)].copy(), ids, offsets


def split_range(n, n_shards):
    """Cut ``range(n)`` into ``n_shards`` contiguous, nearly equal parts."""
    bounds = np.linspace(0, n, n_shards + 1).round().astype(np.int64)
    return [(int(a), int(b)) for a, b in zip(bounds[:-1], bounds[1:], strict=True) if b > a]


def shared_memory_backend():
    """Whether the active joblib backend runs workers on this machine.

    Threads and local processes (loky, multiprocessing) can share
    ``np.memmap`` arrays; a Dask cluster cannot.
    """
    from joblib.parallel import get_active_backend

    backend, _ = get_active_backend()
    name = type(backend).__name__.lower()
    return any(k in name for k in ("loky", "threading", "multiprocessing", "sequential"))


def train_epoch(W_in, W_out, ids, offsets, *, n_jobs, seed, lr_start, lr_stop, progress=None,
                n_shards=None, syncs_per_epoch=1, **kwargs):
    """Train one epoch: sequentially, in shared memory, or on synchronised shards.

    * One job and ``n_shards=None``: the corpus is trained in order, plain
      mini-batch SGD.
    * Several jobs and ``n_shards=None``: the corpus is cut into one
      contiguous shard per job, and the shards train at the same time on the
      *same* vectors, without locks (Hogwild, as gensim's worker threads
      do). ``W_in`` and ``W_out`` must then be ``np.memmap`` arrays that the
      workers (local processes or threads) open in place. Not bitwise
      reproducible: updates interleave differently on every run.
    * ``n_shards=k``: the epoch is cut into ``k`` shards, and each shard into
      ``syncs_per_epoch`` slices. In each round, every shard trains its next
      slice on a private copy of the vectors, starting from the same
      synchronised state; then the shards' changes are added in shard order.
      The result depends on ``k``, ``syncs_per_epoch`` and the seed, never on
      which worker ran what, so it is the same on threads, processes or a
      Dask cluster (``joblib.parallel_config(backend="dask")``). The vectors
      are shipped to the workers once per round, as top-level arguments.

    Each shard sweeps the learning rate from ``lr_start`` to ``lr_stop``
    over the epoch, as a single shard does.

    Parameters
    ----------
    seed : numpy.random.SeedSequence
        Root of the shards' random streams.
    progress : callable or None
        Called with a number of center positions done.

    Returns
    -------
    loss : float
        Summed loss over the epoch.
    n_pairs : int
    """
    if n_shards is None:
        n_jobs = effective_n_jobs(n_jobs)
        if n_jobs == 1:
            result = train_range(W_in, W_out, ids, offsets, 0, ids.size, lr_start=lr_start,
                                 lr_stop=lr_stop, rng=np.random.default_rng(seed.spawn(1)[0]),
                                 callback=progress, **kwargs)
            return float(result.loss), int(result.n_pairs)
        shards = split_range(ids.size, n_jobs)
        seeds = seed.spawn(len(shards))
        results = Parallel(n_jobs=n_jobs)(
            delayed(train_slice_in_place)(W_in, W_out, ids, offsets, a, b, seeds[j], lr_start,
                                          lr_stop, kwargs)
            for j, (a, b) in enumerate(shards))
        if progress is not None:
            progress(ids.size)
        return float(sum(r.loss for r in results)), int(sum(r.n_pairs for r in results))
    return _train_epoch_synced(W_in, W_out, ids, offsets, n_jobs=n_jobs, seed=seed,
                               lr_start=lr_start, lr_stop=lr_stop, n_shards=n_shards,
                               n_rounds=syncs_per_epoch, progress=progress, **kwargs)


def train_slice_in_place(W_in, W_out, ids, offsets, start, stop, seed, lr_start, lr_stop,
                         kwargs):
    """Train ``[start, stop)`` directly on shared ``np.memmap`` vectors (Hogwild)."""
    from threadpoolctl import threadpool_limits

    # Plain ndarray views of the same memory: np.memmap's Python-level
    # subclass hooks on every small operation cost about 3% of an epoch.
    W_in, W_out = np.asarray(W_in), np.asarray(W_out)
    if isinstance(ids, np.memmap):
        ids = np.asarray(ids)
    with threadpool_limits(1, user_api="blas"):
        return train_range(W_in, W_out, ids, offsets, start, stop, lr_start=lr_start,
                           lr_stop=lr_stop, rng=np.random.default_rng(seed), **kwargs)


def train_slice_on_copy(W_in, W_out, ids, offsets, start, stop, seed, lr_start, lr_stop,
                        kwargs, base=0):
    """Train ``[start, stop)`` on copies of the vectors; return the changes.

    A top-level function of arrays, so that joblib ships ``W_in``, ``W_out``
    and the token slice ``ids`` (positions from ``base``, holding the slice
    and the window around it) to process or Dask workers as top-level
    arguments: memory-mapped or scattered, never pickled per batch. Only
    the slice travels, not the corpus.

    Returns
    -------
    delta_in, delta_out : ndarray
        ``trained - original`` for both matrices.
    result : RangeResult
    """
    from threadpoolctl import threadpool_limits

    A = np.array(W_in, copy=True)
    B = np.array(W_out, copy=True)
    with threadpool_limits(1, user_api="blas"):
        result = train_range(A, B, ids, offsets, start, stop, lr_start=lr_start,
                             lr_stop=lr_stop, rng=np.random.default_rng(seed), base=base,
                             **kwargs)
    A -= W_in
    B -= W_out
    return A, B, result


def _train_epoch_synced(W_in, W_out, ids, offsets, *, n_jobs, seed, lr_start, lr_stop,
                        n_shards, n_rounds, progress=None, **kwargs):
    shards = split_range(ids.size, n_shards)
    seeds = seed.spawn(n_shards * n_rounds)
    local = shared_memory_backend()
    # local workers read a spilled file themselves; others get their slices
    read_in_worker = isinstance(ids, TokenFile) and local
    loss, n_pairs, slowest = 0.0, 0, 0.0
    for r in range(n_rounds):
        tasks, longest = [], 0
        for j, (a, b) in enumerate(shards):
            cuts = np.linspace(a, b, n_rounds + 1).round().astype(np.int64)
            lo, hi = int(cuts[r]), int(cuts[r + 1])
            if hi <= lo:
                continue
            longest = max(longest, hi - lo)
            lr_a = lr_start + (lr_stop - lr_start) * (lo - a) / (b - a)
            lr_b = lr_start + (lr_stop - lr_start) * (hi - a) / (b - a)
            if read_in_worker:
                part, base = ids, 0
            else:  # ship only the slice (and the window around it), not the corpus
                base = max(lo - kwargs["window"], 0)
                part = read_tokens(ids, base, hi + kwargs["window"])
            tasks.append(delayed(train_slice_on_copy)(
                W_in, W_out, part, offsets, lo, hi, seeds[j * n_rounds + r], lr_a, lr_b,
                kwargs, base))
        if local:
            results = Parallel(n_jobs=n_jobs)(tasks)
        else:
            results, seconds = _run_round_on_cluster(
                tasks, n_jobs, max(longest / _SLOWEST_TOKENS_PER_SECOND,
                                   _ROUND_TIMEOUT_FACTOR * slowest), r)
            slowest = max(slowest, seconds)
        for d_in, d_out, res in results:  # shard order: deterministic
            W_in += d_in
            W_out += d_out
            loss += res.loss
            n_pairs += res.n_pairs
            if progress is not None:
                progress(res.n_words)
    return float(loss), int(n_pairs)


#: On a cluster, a round whose shards have not all come back after
#: ``max(_ROUND_TIMEOUT_MIN, slice tokens / _SLOWEST_TOKENS_PER_SECOND,
#: _ROUND_TIMEOUT_FACTOR * slowest round so far)`` seconds is run again, up to
#: ``_ROUND_ATTEMPTS`` times: a lost worker can take the data scattered to it
#: along, and its tasks then never finish. The shards are deterministic, so a
#: round run again gives the same result, bit for bit.
_ROUND_TIMEOUT_MIN = 30.0
_SLOWEST_TOKENS_PER_SECOND = 1_000.0
_ROUND_TIMEOUT_FACTOR = 10.0
_ROUND_ATTEMPTS = 3


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


def _run_round_on_cluster(tasks, n_jobs, timeout, round_index):
    """Run one synchronised round on a cluster, again if workers are lost.

    Returns the shards' results and the seconds the successful attempt took.
    """
    import time

    timeout = max(_ROUND_TIMEOUT_MIN, timeout)
    errors = _lost_worker_errors()
    for _attempt in range(_ROUND_ATTEMPTS):
        t0 = time.perf_counter()
        try:
            results = Parallel(n_jobs=n_jobs, timeout=timeout)(tasks)
        except errors as exc:
            last = exc
            continue
        return results, time.perf_counter() - t0
    raise RuntimeError(
        f"Synchronised round {round_index + 1} failed {_ROUND_ATTEMPTS} times on the cluster: "
        f"workers were lost or did not answer within {timeout:.0f} s ({last!r}). The estimator "
        "keeps its previous state. To continue where training stopped, fit with "
        "callbacks=[skw2v.Checkpoint(path)] and then fit(..., resume_from=path) once the "
        "cluster is healthy.") from last
