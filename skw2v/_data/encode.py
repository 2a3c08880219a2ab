"""From documents to an encoded corpus: token ids, document offsets, a vocabulary.

Documents are read exactly once, chunk by chunk (tokenised in parallel with
joblib when asked), counted, and kept as provisional ids in a
:class:`~skw2v._data.store.TokenSink` (which may spill them to disk). The
vocabulary is then pruned and ordered, and the ids remapped to it, block by
block. Chunks are always combined in order, so nothing depends on which
worker finished first.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from dataclasses import dataclass

import numpy as np
from joblib import Parallel, delayed, effective_n_jobs

from .._core.vocab import order_vocabulary
from .store import TokenFile, TokenSink, Workspace, remap_compact
from .text import analyze_document, document_chunks, tokenize_chunk

logger = logging.getLogger("skw2v")


@dataclass
class Corpus:
    """An encoded training corpus and its vocabulary.

    Attributes
    ----------
    ids : ndarray of int32 or TokenFile
        Word ids of every in-vocabulary token, document after document.
    offsets : ndarray of int64 of shape (n_documents + 1,)
    index_to_key : list of str
        The vocabulary, most frequent word first.
    word_counts : ndarray of int64
        Count of each vocabulary word.
    """

    ids: object
    offsets: np.ndarray
    index_to_key: list
    word_counts: np.ndarray


def build_corpus(opts, raw_documents, *, min_count, max_vocab_size, n_jobs, workspace,
                 verbose=0):
    """Read, count and encode ``raw_documents``; prune and order the vocabulary.

    Parameters
    ----------
    opts : TextOptions
    raw_documents : iterable
    min_count, max_vocab_size : int, int or None
        Vocabulary pruning (see :func:`~skw2v._core.vocab.order_vocabulary`).
    n_jobs : int or None
        Jobs for tokenising.
    workspace : Workspace
        Where the encoded corpus may spill.

    Returns
    -------
    corpus : Corpus
    """
    chunks, analyzer, input_kind = document_chunks(opts, raw_documents)
    t0 = time.perf_counter()
    tokens, counts, ids, offsets = count_and_encode(
        chunks, analyzer, input_kind=input_kind, callable_analyzer=callable(opts.analyzer),
        n_jobs=n_jobs, sink=TokenSink(workspace, "tokens.i32"))
    if offsets.size == 1:
        raise ValueError("The corpus is empty: raw_documents contained no documents.")
    order = order_vocabulary(tokens, counts, min_count, max_vocab_size)
    if order.size == 0:
        raise ValueError(
            f"Empty vocabulary: no token occurs at least min_count={min_count} times "
            f"({len(tokens)} distinct tokens, {ids.size} tokens in all). Lower min_count, "
            "or check the tokenisation options (token_pattern drops one-letter words by "
            "default).")
    remap = np.full(len(tokens), -1, dtype=np.int32)
    remap[order] = np.arange(order.size, dtype=np.int32)
    enc, offsets = remap_compact(ids, offsets, remap)
    del ids
    corpus = Corpus(enc, offsets, [tokens[i] for i in order], counts[order])
    if verbose:
        logger.info("vocabulary: %d words kept of %d, %d tokens, %d documents (%.1fs)",
                    order.size, len(tokens), enc.size, offsets.size - 1,
                    time.perf_counter() - t0)
        if isinstance(enc, TokenFile):
            logger.info("corpus spilled to %s (%.1f MB)", enc.path, enc.size * 4e-6)
    return corpus


def encode_known(opts, raw_documents, vocabulary):
    """Ids of the tokens of ``raw_documents`` found in ``vocabulary``, and document offsets.

    Files are streamed when possible; unknown tokens are left out.
    """
    items, analyzer, kind = document_chunks(opts, raw_documents)
    parts, lengths, n_docs = [], [], 0
    for indices, docs in items:
        for i, doc in zip(indices, docs, strict=True):
            toks = analyze_document(analyzer, doc, i, kind, callable(opts.analyzer))
            known = np.fromiter((j for j in map(vocabulary.get, toks) if j is not None),
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
        pieces of files (see :func:`~skw2v._data.text.document_chunks`).
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
