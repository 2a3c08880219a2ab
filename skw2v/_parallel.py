"""Mapping corpus shards onto joblib workers, and combining results in order.

Counting and encoding run over chunks of documents; training runs over
contiguous ranges of the encoded corpus. Results are always combined in shard
order, so they never depend on which worker finished first.
"""

from __future__ import annotations

import numpy as np
from joblib import Parallel, delayed, effective_n_jobs

from ._sgd import train_range
from ._text import iter_chunks, tokenize_chunk


def count_and_encode(raw_documents, analyzer, *, input_kind, callable_analyzer, n_jobs=None,
                     chunk_size=1000):
    """Tokenise every document once, counting words and keeping provisional ids.

    The documents are read exactly once (a one-shot generator works), in
    chunks of ``chunk_size`` documents that are tokenised in parallel when
    ``n_jobs`` allows it.

    Returns
    -------
    tokens : list of str
        Distinct tokens, in order of first appearance in the corpus.
    counts : ndarray of int64
        Count of each token.
    ids : ndarray of int32
        The whole corpus as indices into ``tokens``.
    offsets : ndarray of int64 of shape (n_documents + 1,)
    """
    chunks = iter_chunks(raw_documents, chunk_size)
    args = dict(input_kind=input_kind, callable_analyzer=callable_analyzer)
    if effective_n_jobs(n_jobs) == 1:
        results = (tokenize_chunk(analyzer, docs, start, **args) for start, docs in chunks)
    else:
        results = Parallel(n_jobs=n_jobs, return_as="generator")(
            delayed(tokenize_chunk)(analyzer, docs, start, **args) for start, docs in chunks)
    vocab: dict[str, int] = {}
    id_parts: list[np.ndarray] = []
    len_parts: list[np.ndarray] = []
    for local_tokens, local_ids, lengths in results:
        setdefault = vocab.setdefault
        mapping = np.fromiter((setdefault(t, len(vocab)) for t in local_tokens),
                              dtype=np.int32, count=len(local_tokens))
        id_parts.append(mapping[local_ids] if local_ids.size else local_ids)
        len_parts.append(lengths)
    ids = np.concatenate(id_parts) if id_parts else np.empty(0, dtype=np.int32)
    lengths = np.concatenate(len_parts) if len_parts else np.empty(0, dtype=np.int64)
    offsets = np.zeros(lengths.size + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    counts = np.bincount(ids, minlength=len(vocab)).astype(np.int64)
    return list(vocab), counts, ids, offsets


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

    with threadpool_limits(1, user_api="blas"):
        return train_range(W_in, W_out, ids, offsets, start, stop, lr_start=lr_start,
                           lr_stop=lr_stop, rng=np.random.default_rng(seed), **kwargs)


def train_slice_on_copy(W_in, W_out, ids, offsets, start, stop, seed, lr_start, lr_stop,
                        kwargs):
    """Train ``[start, stop)`` on copies of the vectors; return the changes.

    A top-level function of arrays, so that joblib ships ``W_in``, ``W_out``,
    ``ids`` and ``offsets`` to process or Dask workers once per ``Parallel``
    call (as top-level arguments they are memory-mapped or scattered).

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
                             lr_stop=lr_stop, rng=np.random.default_rng(seed), **kwargs)
    A -= W_in
    B -= W_out
    return A, B, result


def _train_epoch_synced(W_in, W_out, ids, offsets, *, n_jobs, seed, lr_start, lr_stop,
                        n_shards, n_rounds, progress=None, **kwargs):
    shards = split_range(ids.size, n_shards)
    seeds = seed.spawn(n_shards * n_rounds)
    loss, n_pairs = 0.0, 0
    for r in range(n_rounds):
        tasks = []
        for j, (a, b) in enumerate(shards):
            cuts = np.linspace(a, b, n_rounds + 1).round().astype(np.int64)
            lo, hi = int(cuts[r]), int(cuts[r + 1])
            if hi <= lo:
                continue
            lr_a = lr_start + (lr_stop - lr_start) * (lo - a) / (b - a)
            lr_b = lr_start + (lr_stop - lr_start) * (hi - a) / (b - a)
            tasks.append(delayed(train_slice_on_copy)(
                W_in, W_out, ids, offsets, lo, hi, seeds[j * n_rounds + r], lr_a, lr_b,
                kwargs))
        results = Parallel(n_jobs=n_jobs)(tasks)
        for d_in, d_out, res in results:  # shard order: deterministic
            W_in += d_in
            W_out += d_out
            loss += res.loss
            n_pairs += res.n_pairs
            if progress is not None:
                progress(res.n_words)
    return float(loss), int(n_pairs)
