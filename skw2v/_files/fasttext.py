"""fastText's ``.bin`` model files, read and written over plain arrays.

A ``.bin`` file is what fastText 0.9 writes with ``save_model`` (and gensim
with :func:`gensim.models.fasttext.save_facebook_model`): a whole
unsupervised model, with the word vectors, the hashed character n-gram
vectors and the output vectors, so that any string gets a vector and training
could go on. The layout, every number little-endian (fastText writes its
native byte order; every platform it is used on is little-endian)::

    int32   magic 793712314, version 12
    args    int32 dim, ws, epoch, minCount, neg, wordNgrams,
            int32 loss (1 hs, 2 ns, 3 softmax, 4 ova),
            int32 model (1 cbow, 2 sg, 3 sup),
            int32 bucket, minn, maxn, lrUpdateRate, float64 t
    dict    int32 size, nwords, nlabels; int64 ntokens, pruneidx_size
            size entries: the word's bytes, a NUL, int64 count, int8 type (0 word)
            pruneidx_size pairs of int32 (none: -1 for an unpruned dictionary)
    bool    quant_input (0)
    matrix  int64 rows, cols; rows * cols float32, row-major (the input matrix:
            the nwords words' own rows, then the bucket rows)
    bool    qout (0)
    matrix  int64 rows, cols; rows * cols float32 (the output matrix, nwords rows)

(``Args::save``, ``Dictionary::save``, ``FastText::saveModel`` and
``DenseMatrix::save`` in fastText's ``src/``.) A word's vector in fastText
and gensim is the mean of its own input row and the rows ``nwords + b`` of
its n-grams' buckets ``b`` (:mod:`skw2v._core.subwords` computes the same
buckets); a word outside the vocabulary gets the mean of its bucket rows.
``maxn == 0`` (fastText's ``-maxn 0``) or ``bucket == 0`` means no n-grams.

The learning rate is not part of the file (``Args::save`` stores
``lrUpdateRate`` and the sampling threshold ``t``, not ``lr``).

Quantised models (``.ftz``) and supervised models (labels, ``model sup``)
are refused, as are files of the format before the magic number (fastText
before 2017). Reading is bounded: every count in the header is checked
against the file's size before anything is allocated from it. This module
imports only the standard library, NumPy and :mod:`skw2v._files.atomic`.
"""

from __future__ import annotations

import mmap
import os
import stat
import struct
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import atomic

__all__ = [
    "FASTTEXT_MAGIC",
    "FASTTEXT_VERSION",
    "FastTextModel",
    "read_fasttext_bin",
    "write_fasttext_bin",
]

PathLike = str | os.PathLike

#: First int32 of a fastText model file (``FASTTEXT_FILEFORMAT_MAGIC_INT32``).
FASTTEXT_MAGIC = 793712314
#: The file format version written (fastText 0.9); 11 is read as well.
FASTTEXT_VERSION = 12
_READ_VERSIONS = (11, 12)

_LOSSES = {1: "hs", 2: "ns", 3: "softmax", 4: "ova"}
_MODELS = {1: "cbow", 2: "sg", 3: "sup"}
_INT32_MAX = 2**31 - 1

# magic, version
_SIGNATURE = struct.Struct("<ii")
# dim, ws, epoch, minCount, neg, wordNgrams, loss, model, bucket, minn, maxn,
# lrUpdateRate, t
_ARGS = struct.Struct("<12id")
# size, nwords, nlabels, ntokens, pruneidx_size
_DICT_HEADER = struct.Struct("<iiiqq")
_MATRIX_HEADER = struct.Struct("<qq")
_ENTRY_TAIL = struct.Struct("<qb")  # count, type after the word's NUL
# Bytes of an entry besides its word: the NUL, the count and the type.
_ENTRY_OVERHEAD = 1 + _ENTRY_TAIL.size
# What fastText's tokeniser splits on: a word holding one can never be read back.
_WHITESPACE = frozenset(" \n\r\t\v\f\0")
# Rows converted to little-endian float32 and written at a time.
_WRITE_ROWS = 1 << 16


@dataclass(frozen=True)
class FastTextModel:
    """The contents of a fastText ``.bin`` file, as plain arrays.

    Attributes
    ----------
    words : list of str
        The vocabulary, in file order (fastText's: by decreasing count).
    counts : ndarray of int64 of shape (n_words,)
        Each word's count in the training text.
    input_matrix : ndarray of float32 of shape (n_words + n_buckets, dim)
        The words' own input rows, then the n-gram bucket rows.
    output_matrix : ndarray of float32 of shape (n_words, dim)
        The output vectors: one per word with negative sampling (gensim's
        ``syn1neg``) or softmax; the tree's inner nodes with ``loss`` hs.
    args : dict
        The training arguments stored in the file, under the names of
        :func:`write_fasttext_bin`'s keywords: ``dim``, ``window``,
        ``epochs``, ``min_count``, ``n_negatives``, ``word_ngrams``,
        ``n_buckets``, ``min_n``, ``max_n``, ``lr_update_rate``, ``sample``
        (all int but ``sample``, a float) and ``n_tokens`` (the number of
        tokens fastText read, out-of-vocabulary ones included), and also
        ``loss`` (``"ns"``, ``"hs"``, ``"softmax"`` or ``"ova"``), ``model``
        (``"sg"`` or ``"cbow"``) and the file's ``version``.
    """

    words: list[str]
    counts: np.ndarray
    input_matrix: np.ndarray
    output_matrix: np.ndarray
    args: dict[str, Any] = field(default_factory=dict)

    @property
    def n_words(self) -> int:
        """Number of words in the vocabulary."""
        return len(self.words)

    @property
    def dim(self) -> int:
        """Number of dimensions of the vectors."""
        return int(self.args["dim"])

    @property
    def n_buckets(self) -> int:
        """Number of n-gram hash buckets (input rows after the words')."""
        return int(self.args["n_buckets"])

    @property
    def min_n(self) -> int:
        """Shortest character n-gram."""
        return int(self.args["min_n"])

    @property
    def max_n(self) -> int:
        """Longest character n-gram; 0 for no n-grams."""
        return int(self.args["max_n"])

    @property
    def uses_subwords(self) -> bool:
        """Whether fastText gives the words n-gram rows (``max_n >= max(min_n, 1)``, buckets)."""
        return self.n_buckets > 0 and self.max_n >= max(self.min_n, 1)


# --------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------
def _int_arg(name: str, value: Any, low: int, high: int = _INT32_MAX) -> int:
    """``value`` as an int in ``[low, high]``, or ValueError naming the argument."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise TypeError(f"{name} must be an int, got {value!r} ({type(value).__name__}).")
    value = int(value)
    if not low <= value <= high:
        raise ValueError(f"{name} must be in [{low}, {high}] for a fastText .bin file, "
                         f"got {value}.")
    return value


def _encode_words(words: Sequence[str]) -> list[bytes]:
    """The words' UTF-8 bytes; ValueError for a word a fastText dictionary cannot hold."""
    encoded, seen = [], set()
    for i, word in enumerate(words):
        if not isinstance(word, str):
            raise TypeError(f"word {word!r} (index {i}) is a {type(word).__name__}, not a str.")
        if not word or not _WHITESPACE.isdisjoint(word):
            raise ValueError(
                f"word {word!r} (index {i}) cannot be stored in a fastText .bin file: it is "
                "empty or contains whitespace or NUL, which fastText's tokeniser splits on; "
                "rename or drop it before saving")
        try:
            data = word.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise ValueError(
                f"word {word!r} (index {i}) cannot be stored in a fastText .bin file: it is "
                f"not valid Unicode text ({exc.reason} at position {exc.start}), so it has no "
                "UTF-8 encoding; fix the decoding (e.g. errors='replace') or drop the word "
                "before saving") from None
        if data in seen:
            raise ValueError(f"word {word!r} (index {i}) occurs twice; the words of a fastText "
                             "dictionary must be distinct.")
        seen.add(data)
        encoded.append(data)
    return encoded


def _check_matrix(name: str, matrix: Any, rows: int, dim: int, rows_text: str) -> np.ndarray:
    """``matrix`` as a 2-D array of shape ``(rows, dim)``, or ValueError saying what it is."""
    matrix = np.asarray(matrix)
    if matrix.dtype.kind not in "fiu":
        raise TypeError(f"{name} must hold real numbers, got dtype {matrix.dtype}.")
    if matrix.shape != (rows, dim):
        raise ValueError(f"{name} has shape {matrix.shape}; a fastText .bin file needs "
                         f"({rows}, {dim}): {rows_text} rows of dim columns.")
    return matrix


def _write_matrix(fh, *parts: np.ndarray) -> None:
    """One ``DenseMatrix`` of the ``parts`` stacked: its int64 shape, then float32 rows,
    a block of rows at a time (never the whole stack in memory)."""
    fh.write(_MATRIX_HEADER.pack(sum(p.shape[0] for p in parts), parts[0].shape[1]))
    for matrix in parts:
        for start in range(0, matrix.shape[0], _WRITE_ROWS):
            block = np.ascontiguousarray(matrix[start:start + _WRITE_ROWS], dtype="<f4")
            fh.write(memoryview(block).cast("B"))


def write_fasttext_bin(path: PathLike, words: Sequence[str], counts: Any,
                       input_matrix: Any, output_matrix: Any, *, min_n: int, max_n: int,
                       n_buckets: int, window: int, epochs: int, n_negatives: int,
                       min_count: int, sample: float, dim: int | None = None,
                       n_tokens: int | None = None, word_ngrams: int = 1,
                       lr_update_rate: int = 100) -> None:
    """Write a skip-gram negative-sampling model as a fastText ``.bin`` file.

    fastText (``fasttext.load_model``) and gensim
    (:func:`gensim.models.fasttext.load_facebook_model`) read the file as a
    skip-gram model trained with negative sampling (``loss ns``,
    ``model sg``): a word's vector is the mean of its own row and of its
    n-grams' bucket rows, an unseen word's the mean of its bucket rows.

    Parameters
    ----------
    path : str or os.PathLike
        The file to write (conventionally ``*.bin``), atomically.
    words : sequence of str
        The vocabulary, distinct non-empty words without whitespace or NUL.
        fastText orders its own by decreasing count; any order is stored as
        given. (fastText gives the word ``"</s>"``, its end-of-line token,
        only its own row, no n-grams; gensim composes it as any other word.)
    counts : array-like of int of shape (n_words,)
        Each word's count in the training text, at least 1 (gensim drops a
        word of count 0 when loading, which breaks the file's layout).
    input_matrix : array-like of shape (n_words + n_buckets, dim), or a tuple of two
        The words' own input rows, then the bucket rows; stored as float32.
        A tuple ``(word_rows, bucket_rows)`` of shapes ``(n_words, dim)``
        and ``(n_buckets, dim)`` is written as their concatenation without
        making it (the bucket rows are often the largest array of a model).
    output_matrix : array-like of shape (n_words, dim)
        The output vectors; stored as float32.
    min_n, max_n : int
        The character n-gram lengths (boundary marks ``<`` and ``>``
        included). ``max_n = 0`` turns n-grams off, as fastText's
        ``-maxn 0``; otherwise ``1 <= min_n <= max_n``.
    n_buckets : int
        Number of hash buckets. 0 turns n-grams off too: ``maxn`` is then
        written as 0, as fastText would otherwise divide by zero.
    window, epochs, n_negatives, min_count : int
        Training arguments, stored for the record (``ws``, ``epoch``,
        ``neg``, ``minCount``). ``n_negatives`` must be positive: gensim
        reads the output matrix as negative-sampling vectors only then.
    sample : float
        The subsampling threshold (fastText's ``t``), at least 0.
    dim : int, optional
        The number of dimensions; by default the matrices' width, which it
        must equal when given.
    n_tokens : int, optional
        The number of tokens of the training text (fastText's ``ntokens``,
        which fastText uses for subsampling if training goes on). By default
        ``sum(counts)``.
    word_ngrams, lr_update_rate : int, default=1, 100
        fastText's ``wordNgrams`` and ``lrUpdateRate``, at fastText's
        defaults (skip-gram has no word n-grams).

    Raises
    ------
    ValueError
        For a word the format cannot hold, a count below 1, matrices whose
        shapes do not agree with the words and ``n_buckets``, or an argument
        outside what the format stores; all checked before anything is
        written.
    TypeError
        For a non-integer integer argument or a non-numeric matrix.

    Notes
    -----
    The learning rate is not stored: the format has no field for it. The
    file goes through :func:`skw2v._files.atomic.atomic_file`: on any error a
    previous file at ``path`` is left untouched and no partial file remains.
    """
    encoded = _encode_words(words)
    n_words = _int_arg("the number of words", len(encoded), 0)
    counts = np.asarray(counts)
    if counts.shape != (n_words,) or (counts.size and counts.dtype.kind not in "iu"):
        raise ValueError(f"counts must be {n_words} integers, one per word; got an array of "
                         f"shape {counts.shape} and dtype {counts.dtype}.")
    counts = counts.astype(np.int64)
    if n_words and counts.min() < 1:
        i = int(np.argmin(counts))
        raise ValueError(f"word {words[i]!r} (index {i}) has count {counts[i]}; fastText and "
                         "gensim need every count to be at least 1.")
    n_buckets = _int_arg("n_buckets", n_buckets, 0)
    max_n = _int_arg("max_n", max_n, 0)
    min_n = _int_arg("min_n", min_n, 0)
    if n_buckets == 0:
        max_n = 0
    if max_n and not 1 <= min_n <= max_n:
        raise ValueError(f"min_n={min_n} and max_n={max_n}: with n-grams on, a fastText .bin "
                         "file needs 1 <= min_n <= max_n (max_n=0 turns them off).")
    if isinstance(input_matrix, tuple):
        if len(input_matrix) != 2 or any(np.ndim(part) != 2 for part in input_matrix):
            raise ValueError("input_matrix as a tuple must be (word_rows, bucket_rows), two 2-D "
                             "arrays of shapes (n_words, dim) and (n_buckets, dim).")
        dim = _int_arg("dim", np.shape(input_matrix[0])[1] if dim is None else dim, 1)
        inputs = (_check_matrix("input_matrix[0]", input_matrix[0], n_words, dim,
                                f"{n_words} words'"),
                  _check_matrix("input_matrix[1]", input_matrix[1], n_buckets, dim,
                                f"{n_buckets} buckets'"))
    else:
        if np.ndim(input_matrix) != 2:
            raise ValueError("input_matrix must be a 2-D array of shape (n_words + n_buckets, "
                             f"dim), got shape {np.shape(input_matrix)}.")
        dim = _int_arg("dim", np.shape(input_matrix)[1] if dim is None else dim, 1)
        inputs = (_check_matrix("input_matrix", input_matrix, n_words + n_buckets, dim,
                                f"{n_words} words' + {n_buckets} buckets'"),)
    output_matrix = _check_matrix("output_matrix", output_matrix, n_words, dim,
                                  f"{n_words} words'")
    if n_tokens is None:
        n_tokens = int(counts.sum())
    n_tokens = _int_arg("n_tokens", n_tokens, 1 if n_words else 0, 2**63 - 1)
    sample = float(sample)
    if not (np.isfinite(sample) and sample >= 0):
        raise ValueError(f"sample must be a finite number >= 0, got {sample}.")
    args = (
        dim,
        _int_arg("window", window, 1),
        _int_arg("epochs", epochs, 1),
        _int_arg("min_count", min_count, 0),
        _int_arg("n_negatives", n_negatives, 1),
        _int_arg("word_ngrams", word_ngrams, 1),
        2,  # loss: ns (negative sampling)
        2,  # model: sg (skip-gram)
        n_buckets,
        min_n,
        max_n,
        _int_arg("lr_update_rate", lr_update_rate, 1),
        sample,
    )
    with atomic.atomic_file(path) as fh:
        fh.write(_SIGNATURE.pack(FASTTEXT_MAGIC, FASTTEXT_VERSION))
        fh.write(_ARGS.pack(*args))
        # size, nwords, nlabels (no labels), ntokens, pruneidx_size (-1: not pruned)
        fh.write(_DICT_HEADER.pack(n_words, n_words, 0, n_tokens, -1))
        for word, count in zip(encoded, counts.tolist(), strict=True):
            fh.write(word + b"\0" + _ENTRY_TAIL.pack(count, 0))
        fh.write(b"\0")  # quant_input: false
        _write_matrix(fh, *inputs)
        fh.write(b"\0")  # qout: false
        _write_matrix(fh, output_matrix)


# --------------------------------------------------------------------------
# Reading
# --------------------------------------------------------------------------
class _Reader:
    """A cursor over a memory-mapped file that reports where a malformed file goes wrong."""

    def __init__(self, path: PathLike, data: mmap.mmap | bytes) -> None:
        self.name = os.fsdecode(os.fspath(path))
        self.data = data
        self.size = len(data)
        self.pos = 0

    def error(self, where: str, message: str) -> ValueError:
        """The ValueError ``"<file>: <where>: <message>"``."""
        return ValueError(f"{self.name}: {where}: {message}")

    def need(self, n_bytes: int, what: str) -> None:
        """Refuse a file that ends before ``n_bytes`` more bytes of ``what``."""
        left = self.size - self.pos
        if n_bytes > left:
            raise self.error(what, f"the file is truncated: {n_bytes} bytes needed at byte "
                                   f"offset {self.pos}, but the file ends after {left}")

    def unpack(self, layout: struct.Struct, what: str) -> tuple:
        """Read the fields of ``layout``."""
        self.need(layout.size, what)
        values = layout.unpack_from(self.data, self.pos)
        self.pos += layout.size
        return values

    def flag(self, what: str) -> int:
        """One byte of a C++ bool."""
        return self.unpack(_FLAG, what)[0]


_FLAG = struct.Struct("<B")


def _read_args(r: _Reader) -> dict[str, Any]:
    """The signature and ``Args`` of the file, checked."""
    magic, version = r.unpack(_SIGNATURE, "header")
    if magic != FASTTEXT_MAGIC:
        raise r.error("header", f"not a fastText .bin model file: it starts with {magic} "
                                f"instead of the magic number {FASTTEXT_MAGIC} (a .vec text "
                                "file, a word2vec file, or a fastText model from before 2017?)")
    if version not in _READ_VERSIONS:
        raise r.error("header", f"fastText file format version {version}, but this reader "
                                f"knows versions {_READ_VERSIONS[0]} to {_READ_VERSIONS[-1]}")
    (dim, ws, epoch, min_count, neg, word_ngrams, loss, model, bucket, minn, maxn,
     lr_update_rate, t) = r.unpack(_ARGS, "args")
    if model == 3:
        raise r.error("args", "a supervised (classification) model, which has labels instead "
                              "of word vectors; only unsupervised models (skipgram, cbow) are "
                              "read")
    if model not in _MODELS or loss not in _LOSSES:
        raise r.error("args", f"unknown model {model} or loss {loss} (corrupted file?)")
    for name, value in (("dim", dim), ("bucket", bucket), ("minn", minn), ("maxn", maxn)):
        if value < (1 if name == "dim" else 0):
            raise r.error("args", f"{name} is {value} (corrupted file?)")
    return {
        "dim": dim, "window": ws, "epochs": epoch, "min_count": min_count,
        "n_negatives": neg, "word_ngrams": word_ngrams, "loss": _LOSSES[loss],
        "model": _MODELS[model], "n_buckets": bucket, "min_n": minn, "max_n": maxn,
        "lr_update_rate": lr_update_rate, "sample": t, "version": version,
    }


def _read_dictionary(r: _Reader, unicode_errors: str) -> tuple[list[str], np.ndarray, int, int]:
    """The words, their counts, ``ntokens`` and ``pruneidx_size``."""
    size, nwords, nlabels, ntokens, pruneidx_size = r.unpack(_DICT_HEADER, "dictionary")
    if nlabels != 0:
        raise r.error("dictionary", f"{nlabels} labels: a supervised model, which is not read")
    if size != nwords or size < 0 or ntokens < 0:
        raise r.error("dictionary", f"size {size}, {nwords} words and {ntokens} tokens do not "
                                    "add up (corrupted file?)")
    # Each entry takes at least its NUL, count and type: bound the count by the file.
    if size * _ENTRY_OVERHEAD > r.size - r.pos:
        raise r.error("dictionary", f"{size} words announced, but only {r.size - r.pos} "
                                    f"bytes follow: each takes at least {_ENTRY_OVERHEAD} "
                                    "(truncated or corrupted file)")
    data, pos, end = r.data, r.pos, r.size
    words, counts = [], np.empty(size, dtype=np.int64)
    for i in range(size):
        nul = data.find(b"\0", pos, end)
        if nul < 0 or nul + _ENTRY_OVERHEAD > end:
            raise r.error(f"dictionary entry {i}", "the file is truncated inside the word "
                                                   f"list, at byte offset {pos}")
        count, kind = _ENTRY_TAIL.unpack_from(data, nul + 1)
        if kind != 0:
            raise r.error(f"dictionary entry {i}", f"entry type {kind} is not a word (a "
                                                   "label of a supervised model?)")
        if count < 0:
            raise r.error(f"dictionary entry {i}", f"negative count {count} (corrupted file?)")
        words.append(data[pos:nul])
        counts[i] = count
        pos = nul + _ENTRY_OVERHEAD
    r.pos = pos
    decoded, seen = [], set()
    for i, word in enumerate(words):
        try:
            text = word.decode("utf-8", errors=unicode_errors)
        except UnicodeDecodeError as exc:
            raise r.error(f"dictionary entry {i}",
                          f"the word {word!r} is not valid UTF-8 ({exc.reason}); read with "
                          "unicode_errors='replace' or 'backslashreplace'") from None
        if text in seen:
            raise r.error(f"dictionary entry {i}", f"the word {text!r} occurs twice")
        seen.add(text)
        decoded.append(text)
    return decoded, counts, ntokens, pruneidx_size


def _read_matrix(r: _Reader, name: str, rows: int, dim: int, rows_text: str) -> np.ndarray:
    """One ``DenseMatrix`` whose shape must be ``(rows, dim)``, checked against the file size."""
    m, n = r.unpack(_MATRIX_HEADER, name)
    if (m, n) != (rows, dim):
        raise r.error(name, f"shape ({m}, {n}), but the header and dictionary need "
                            f"({rows}, {dim}): {rows_text} rows of dim columns (sizes do "
                            "not add up: corrupted file?)")
    n_bytes = 4 * m * n
    r.need(n_bytes, name)
    out = np.empty((m, n), dtype=np.float32)
    out.reshape(-1)[:] = np.frombuffer(r.data, dtype="<f4", count=m * n, offset=r.pos)
    r.pos += n_bytes
    return out


def _parse(r: _Reader, unicode_errors: str) -> FastTextModel:
    """Read a whole model from ``r``."""
    args = _read_args(r)
    words, counts, ntokens, pruneidx_size = _read_dictionary(r, unicode_errors)
    args["n_tokens"] = ntokens
    if pruneidx_size > 0:
        r.need(8 * pruneidx_size, "pruned index")
        r.pos += 8 * pruneidx_size
    if r.flag("quant_input"):
        raise r.error("quant_input", "a quantised model (.ftz, from 'fasttext quantize'), "
                                     "whose vectors are compressed; only full .bin models "
                                     "are read")
    if pruneidx_size != -1:
        raise r.error("dictionary", f"pruned-index size {pruneidx_size} in a model that is not "
                                    "quantised (fastText itself refuses such files: -1 "
                                    "expected)")
    n_words, n_buckets, dim = len(words), args["n_buckets"], args["dim"]
    input_matrix = _read_matrix(r, "input matrix", n_words + n_buckets, dim,
                                f"{n_words} words' + {n_buckets} buckets'")
    qout = r.flag("qout")
    if qout:
        raise r.error("qout", f"output quantisation flag {qout}: a quantised output "
                              "matrix, which is not read")
    output_matrix = _read_matrix(r, "output matrix", n_words, dim, f"{n_words} words'")
    if r.pos != r.size:
        raise r.error("end", f"{r.size - r.pos} bytes after the output matrix (corrupted "
                             "file, or not a fastText model?)")
    return FastTextModel(words, counts, input_matrix, output_matrix, args)


def read_fasttext_bin(path: PathLike, *, unicode_errors: str = "strict") -> FastTextModel:
    """Read an unsupervised fastText ``.bin`` model into plain arrays.

    Reads the files of fastText 0.9 (``save_model``, ``fasttext skipgram``
    or ``cbow``), of gensim's
    :func:`~gensim.models.fasttext.save_facebook_model` and of
    :func:`write_fasttext_bin`.

    Parameters
    ----------
    path : str or os.PathLike
        A fastText ``.bin`` file (uncompressed).
    unicode_errors : str, default="strict"
        How words that are not valid UTF-8 are decoded (as for
        :meth:`bytes.decode`): by default they are an error; ``"replace"``
        or ``"backslashreplace"`` (gensim's choice) reads them anyway.

    Returns
    -------
    model : FastTextModel
        The words, counts, input and output matrices and the stored
        arguments (see :class:`FastTextModel`).

    Raises
    ------
    ValueError
        If the file is not such a model: a wrong magic number or version, a
        quantised (``.ftz``) or supervised model, a truncated file, sizes
        that do not add up, an undecodable or repeated word, or data after
        the output matrix. The message names the file and the part at
        fault. Every size in the file is checked against the file's length
        before memory is allocated for it.
    OSError
        If the file cannot be opened or mapped.
    """
    name = os.fsdecode(os.fspath(path))
    with open(path, "rb") as fh:
        info = os.fstat(fh.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise ValueError(f"{name}: not a regular file; a fastText .bin file is read from "
                             "disk (decompress it first)")
        if info.st_size == 0:
            return _parse(_Reader(path, b""), unicode_errors)
        with mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as data:
            return _parse(_Reader(path, data), unicode_errors)
