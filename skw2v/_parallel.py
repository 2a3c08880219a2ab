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


def train_epoch(W_in, W_out, ids, offsets, *, n_jobs, seeds, lr_start, lr_stop, progress=None,
                **kwargs):
    """Train one epoch over shards of ``ids``.

    With one job, the whole corpus is a single shard trained in order. With
    ``n`` jobs, the corpus is cut into ``n`` contiguous shards trained at the
    same time by threads that update the shared matrices in place
    (Hogwild-style): NumPy releases the GIL inside the large array
    operations. Each shard sweeps the learning rate from ``lr_start`` to
    ``lr_stop``, as the single shard does.

    Parameters
    ----------
    seeds : list of numpy.random.SeedSequence
        One per possible shard; shard ``j`` uses ``seeds[j]``.
    progress : callable or None
        Called with a number of center positions done.

    Returns
    -------
    loss : float
        Summed loss over the epoch.
    n_pairs : int
    """
    n_jobs = effective_n_jobs(n_jobs)
    shards = split_range(ids.size, n_jobs)
    def run(j, a, b):
        return train_range(W_in, W_out, ids, offsets, a, b, lr_start=lr_start, lr_stop=lr_stop,
                           rng=np.random.default_rng(seeds[j]), callback=progress, **kwargs)
    if len(shards) <= 1:
        results = [run(j, a, b) for j, (a, b) in enumerate(shards)]
    else:
        from threadpoolctl import threadpool_limits

        with threadpool_limits(1, user_api="blas"):
            results = Parallel(n_jobs=len(shards), backend="threading")(
                delayed(run)(j, a, b) for j, (a, b) in enumerate(shards))
    loss = float(sum(r.loss for r in results))
    n_pairs = int(sum(r.n_pairs for r in results))
    return loss, n_pairs
