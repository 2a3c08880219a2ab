"""From documents to an encoded corpus: token ids, document offsets, a vocabulary.

Documents are read exactly once, chunk by chunk (tokenised in parallel with
joblib when asked), counted, and kept as provisional ids in a
:class:`~skw2v._data.store.TokenSink` (which may spill them to disk). The
vocabulary is then pruned and ordered, and the ids remapped to it, block by
block. Chunks are always combined in order, so nothing depends on which
worker finished first.
"""

from __future__ import annotations

import hashlib
import logging
import operator
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from joblib import Parallel, delayed, effective_n_jobs

from .._compat import release_free_memory
from .._core.vocab import doc_count_range, needs_doc_freq, order_vocabulary
from .store import TokenFile, TokenSink, Workspace, iter_blocks, read_tokens, remap_compact
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
    index_to_key : sequence of str
        The vocabulary, most frequent word first: a :class:`PackedWords`
        after :func:`build_corpus` (``list(index_to_key)`` makes the word
        objects), or a list.
    word_counts : ndarray of int64
        Count of each vocabulary word.
    """

    ids: object
    offsets: np.ndarray
    index_to_key: Sequence
    word_counts: np.ndarray


def build_corpus(opts, raw_documents, *, min_count, max_vocab_size, n_jobs, workspace,
                 verbose=0, min_df=1, max_df=1.0):
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
    min_df, max_df : int or float
        Document-frequency pruning, as in ``CountVectorizer`` (an int is a
        number of documents, a float a proportion of them). The document
        frequencies are counted in the same single pass as the words, and
        only when these bounds can prune anything.

    Returns
    -------
    corpus : Corpus
    """
    chunks, analyzer, input_kind = document_chunks(opts, raw_documents)
    t0 = time.perf_counter()
    with_df = needs_doc_freq(min_df, max_df)
    tokens, counts, ids, offsets, doc_freq = count_and_encode(
        chunks, analyzer, input_kind=input_kind, callable_analyzer=callable(opts.analyzer),
        n_jobs=n_jobs, sink=TokenSink(workspace, "tokens.i32"), doc_freq=with_df)
    if offsets.size == 1:
        raise ValueError("The corpus is empty: raw_documents contained no documents.")
    n_docs = offsets.size - 1
    bounds = doc_count_range(min_df, max_df, n_docs) if with_df else None
    if bounds is not None and bounds[1] < bounds[0]:
        raise ValueError(
            f"max_df={max_df!r} corresponds to fewer documents ({bounds[1]:g}) than "
            f"min_df={min_df!r} ({bounds[0]:g}) in this corpus of {n_docs} documents, so no "
            "word could be kept. Raise max_df or lower min_df.")
    order = order_vocabulary(tokens, counts, min_count, max_vocab_size, doc_freq=doc_freq,
                             doc_count_range=bounds)
    if order.size == 0:
        raise ValueError(_empty_vocabulary_message(tokens, ids.size, min_count, bounds,
                                                   min_df, max_df))
    n_distinct = len(tokens)
    remap = np.full(n_distinct, -1, dtype=np.int32)
    remap[order] = np.arange(order.size, dtype=np.int32)
    enc, offsets = remap_compact(ids, offsets, remap)
    del ids, remap
    words = [tokens[i] for i in order]
    del tokens
    corpus = Corpus(enc, offsets, PackedWords(words), counts[order])
    del counts
    release_free_memory()
    if verbose:
        logger.info("vocabulary: %d words kept of %d, %d tokens, %d documents (%.1fs)",
                    order.size, n_distinct, enc.size, offsets.size - 1,
                    time.perf_counter() - t0)
        if isinstance(enc, TokenFile):
            logger.info("corpus spilled to %s (%.1f MB)", enc.path, enc.size * 4e-6)
    return corpus


class PackedWords(Sequence):
    """The words of a vocabulary packed into one string, sliced out when asked for.

    The kept words are the strings the tokeniser made when each word was
    first seen, scattered among the millions of short-lived token strings
    of the corpus, and each keeps its block of Python's small-object
    allocator (pools of 16 KiB in arenas of 1 MiB) from being returned to
    the system. Packing them into one string frees the originals (their
    arenas go back to the system), and the fit keeps one string (1 byte per
    character for ASCII words, up to 4 otherwise) and 8 bytes per word
    instead of a string object of about 60 bytes per word. The word objects
    are made once, at the end of the fit (``list(words)``), in fresh memory.

    A read-only sequence of str: ``len``, indexing, slicing (a list) and
    iteration give the words as they were, item by item.

    Parameters
    ----------
    words : list of str
        Emptied, so that the original strings can be freed.
    """

    #: Words sliced out per step of iteration (bounds the Python ints made at once).
    ITER_WORDS = 8192

    def __init__(self, words):
        self._joined = "".join(words)
        self._ends = np.cumsum(np.fromiter(map(len, words), dtype=np.int64, count=len(words)))
        words.clear()

    def __len__(self):
        return int(self._ends.size)

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        n = len(self)
        j = operator.index(i)
        if j < 0:
            j += n
        if not 0 <= j < n:
            raise IndexError(f"word index {i} out of range for {n} words")
        start = int(self._ends[j - 1]) if j else 0
        return self._joined[start:int(self._ends[j])]

    def __iter__(self):
        joined, start = self._joined, 0
        for a in range(0, len(self), self.ITER_WORDS):
            for stop in self._ends[a:a + self.ITER_WORDS].tolist():
                yield joined[start:stop]
                start = stop

    def __repr__(self):
        return f"PackedWords({len(self)} words)"


def _empty_vocabulary_message(tokens, n_tokens, min_count, bounds, min_df, max_df):
    """Why no word was kept, and what to change."""
    if bounds is None:
        return (f"Empty vocabulary: no token occurs at least min_count={min_count} times "
                f"({len(tokens)} distinct tokens, {n_tokens} tokens in all). Lower min_count, "
                "or check the tokenisation options (token_pattern drops one-letter words by "
                "default).")
    return (f"Empty vocabulary: no token occurs at least min_count={min_count} times and "
            f"in {bounds[0]:g} to {bounds[1]:g} documents (min_df={min_df!r}, "
            f"max_df={max_df!r}; {len(tokens)} distinct tokens, {n_tokens} tokens in all). "
            "Lower min_count or min_df, or raise max_df.")


def corpus_fingerprint(corpus):
    """SHA-256 of an encoded corpus: its vocabulary, counts, document offsets and ids.

    Computed on the encoded corpus, after the documents were read (once), so
    it needs no second reading; a spilled corpus is read back block by block.
    Two corpora with the same fingerprint train the same vectors with the
    same parameters: whatever text options, stop words or pruning produced
    them.

    Returns
    -------
    digest : str
        ``"sha256:<hex>"``.
    """
    words = [w.encode("utf-8", "surrogatepass") for w in corpus.index_to_key]
    n = int(corpus.ids.size)
    # the sizes first, so that every part that follows has a known length
    h = hashlib.sha256(f"skw2v-corpus-1\n{len(words)} words, {corpus.offsets.size - 1} "
                       f"documents, {n} tokens\n".encode())
    h.update(np.array([len(w) for w in words], dtype="<i8").tobytes())
    h.update(b"".join(words))
    h.update(np.asarray(corpus.word_counts, dtype="<i8").tobytes())
    h.update(np.asarray(corpus.offsets, dtype="<i8").tobytes())
    for a, b in iter_blocks(n):
        h.update(np.asarray(read_tokens(corpus.ids, a, b), dtype="<i4").tobytes())
    return "sha256:" + h.hexdigest()


def encode_known(opts, raw_documents, vocabulary, unseen=None):
    """Ids of the tokens of ``raw_documents`` found in ``vocabulary``, and document offsets.

    Files are streamed when possible; unknown tokens are left out, unless
    ``unseen`` is given.

    Parameters
    ----------
    opts : TextOptions
    raw_documents : iterable
    vocabulary : dict of str to int
        Token -> id, ids ``0 .. len(vocabulary) - 1``.
    unseen : dict of str to int or None, default=None
        If given (usually empty), each token missing from ``vocabulary`` is
        kept with the id ``len(vocabulary) + k``, where ``k`` numbers the
        distinct unseen tokens in order of first appearance; ``unseen`` is
        filled with token -> id (tokens already in it keep their ids).

    Returns
    -------
    ids : ndarray of int32
    offsets : ndarray of int64 of shape (n_documents + 1,)
    """
    items, analyzer, kind = document_chunks(opts, raw_documents)
    parts, lengths, n_docs = [], [], 0
    if unseen is not None:
        n_words = len(vocabulary)
        get, setdefault = vocabulary.get, unseen.setdefault

        def token_id(tok):
            j = get(tok)
            return setdefault(tok, n_words + len(unseen)) if j is None else j

    for indices, docs in items:
        for i, doc in zip(indices, docs, strict=True):
            toks = analyze_document(analyzer, doc, i, kind, callable(opts.analyzer))
            if unseen is None:
                known = np.fromiter((j for j in map(vocabulary.get, toks) if j is not None),
                                    dtype=np.int32)
            else:
                known = np.fromiter(map(token_id, toks), dtype=np.int32)
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
                     sink=None, doc_freq=False):
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
    doc_freq : bool, default=False
        Also count the documents each token occurs in (see
        :func:`chunk_doc_freq`).

    Returns
    -------
    tokens : list of str
        Distinct tokens, in order of first appearance in the corpus.
    counts : ndarray of int64
        Count of each token.
    ids : ndarray of int32 or TokenFile
        The whole corpus as indices into ``tokens``.
    offsets : ndarray of int64 of shape (n_documents + 1,)
    doc_freq : ndarray of int64 or None
        Number of documents each token occurs in, when asked.
    """
    if sink is None:
        sink = TokenSink(Workspace(), "tokens", spill=False)
    args = dict(input_kind=input_kind, callable_analyzer=callable_analyzer, doc_freq=doc_freq)
    if effective_n_jobs(n_jobs) == 1:
        results = ((idx, _chunk_task(analyzer, docs, idx, **args)) for idx, docs in chunks)
    else:
        # the indices stay here; only the documents travel to the workers
        index_queue: deque = deque()

        def tasks():
            for idx, docs in chunks:
                index_queue.append(idx)
                yield delayed(_chunk_task)(analyzer, docs, idx, **args)

        results = ((index_queue.popleft(), r) for r in Parallel(
            n_jobs=n_jobs, return_as="generator")(tasks()))
    try:
        return _combine(results, sink, doc_freq)
    except BaseException:
        sink.close()  # an error or interrupt mid-corpus leaves no open file behind
        raise


def _chunk_task(analyzer, docs, indices, *, input_kind, callable_analyzer, doc_freq):
    """What a worker does with a chunk: tokenise it, and count its document frequencies.

    Returns
    -------
    part : list
        ``[tokens, ids, lengths, df]``: a list, which :func:`_combine` empties
        once it has merged the chunk (see there).
    """
    tokens, ids, lengths = tokenize_chunk(analyzer, docs, indices, input_kind,
                                          callable_analyzer)
    df = chunk_doc_freq(ids, lengths, indices, len(tokens)) if doc_freq else None
    return [tokens, ids, lengths, df]


def chunk_doc_freq(ids, lengths, indices, n_tokens):
    """Document frequencies of the local tokens of one chunk.

    Parameters
    ----------
    ids : ndarray of int32
        The chunk's tokens as local ids (see
        :func:`~skw2v._data.text.tokenize_chunk`).
    lengths : ndarray of int64
        Tokens of each item.
    indices : sequence of int
        Document index of each item, non-decreasing: the pieces of a file
        share an index, and a file may go on in the next chunk.
    n_tokens : int
        Number of local tokens.

    Returns
    -------
    df : ndarray of int64 of shape (n_tokens,)
        Number of the chunk's documents each token occurs in.
    first, last : (int, ndarray of int32)
        The first and the last document of the chunk, each with the sorted
        distinct ids of its tokens in this chunk: a document cut between
        two chunks is counted once (see :class:`_DocFreq`).
    """
    idx = np.asarray(indices, dtype=np.int64)
    if idx.size == 0:
        return np.zeros(n_tokens, dtype=np.int64), (-1, ids[:0]), (-1, ids[:0])
    doc = np.repeat(idx - idx[0], lengths)  # each token's document, from 0
    pairs = np.unique(doc * max(n_tokens, 1) + ids)  # distinct (document, token)
    pair_doc, pair_tok = np.divmod(pairs, max(n_tokens, 1))
    df = np.bincount(pair_tok, minlength=n_tokens).astype(np.int64)
    last = int(idx[-1] - idx[0])
    first_ids = pair_tok[pair_doc == 0].astype(np.int32)
    last_ids = pair_tok[pair_doc == last].astype(np.int32)
    return df, (int(idx[0]), first_ids), (int(idx[-1]), last_ids)


class _DocFreq:
    """Document frequencies over the chunks, merged in order.

    Only the distinct words of the document still open at the end of the
    previous chunk are held, so that a file streamed in pieces over two
    chunks counts once per word.
    """

    def __init__(self):
        self.df = np.zeros(1024, dtype=np.int64)
        self.open_doc = -1
        self.open_ids = np.empty(0, dtype=np.int32)

    def add(self, part, mapping, n_vocab):
        df, (first_doc, first_ids), (last_doc, last_ids) = part
        if n_vocab > self.df.size:
            self.df = np.concatenate([self.df, np.zeros(max(n_vocab, 2 * self.df.size)
                                                        - self.df.size, dtype=np.int64)])
        self.df[mapping] += df  # ``mapping`` has no repeats
        if first_doc < 0:
            return
        continuing = first_doc == self.open_doc
        first = mapping[first_ids]
        if continuing:  # counted in both chunks: once is right
            self.df[np.intersect1d(self.open_ids, first, assume_unique=True)] -= 1
        last = mapping[last_ids]
        if continuing and last_doc == first_doc:  # the chunk is one piece of the open file
            last = np.union1d(self.open_ids, last)
        else:
            last = np.unique(last)
        self.open_doc, self.open_ids = last_doc, last

    def result(self, n_vocab):
        return self.df[:n_vocab].copy()


def _combine(results, sink, doc_freq=False):
    """Merge the chunks' local vocabularies and ids, in chunk order (see count_and_encode).

    Each chunk's result (a list, see :func:`_chunk_task`) is emptied once
    merged, so that the client keeps nothing of a chunk but its words' ids
    in the vocabulary and its lengths, whoever else still refers to the
    list: joblib's Dask backend keeps each batch's results in a reference
    cycle (a ``concurrent.futures.Future`` whose ``get`` is its own bound
    ``result``) until the cyclic garbage collector runs, so the chunks'
    token lists and ids piled up with the corpus: on text8like (17M tokens
    in 10k-token files, 2 Dask workers) 70 MB of chunks' token strings were
    alive after the encoding, and 4 times the text took the client from
    168 MB to 452 MB (peak 611) by the end of the encoding; emptied, 211 MB
    (peak 275).
    """
    vocab: dict[str, int] = {}
    counts = np.zeros(1024, dtype=np.int64)
    dfs = _DocFreq() if doc_freq else None
    doc_parts: list[np.ndarray] = []
    len_parts: list[np.ndarray] = []
    for idx, part in results:
        local_tokens, local_ids, lengths, df_part = part
        part.clear()  # the caller's reference holds nothing (see above)
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
        if dfs is not None:
            dfs.add(df_part, mapping, len(vocab))
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
    doc_freq_out = dfs.result(len(vocab)) if dfs is not None else None
    return list(vocab), counts[:len(vocab)].copy(), ids, offsets, doc_freq_out
