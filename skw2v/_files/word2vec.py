"""The word2vec text and binary files, read and written over plain arrays.

These are the two formats of the original C tool, behind
:meth:`skw2v.KeyedVectors.load_word2vec_format` and
:meth:`skw2v.KeyedVectors.save_word2vec_format`.

Text format::

    <n_words> <vector_size>\n
    <word> <x_1> <x_2> ... <x_d>\n          (one line per word)

Binary format::

    <n_words> <vector_size>\n
    <word> <d little-endian float32 values>  (one record per word)

:func:`write_word2vec` produces files byte-identical to those of gensim 4 for
the same float32 vectors: numbers are printed with ``str`` of the NumPy
scalar (the shortest string that round-trips), and binary records carry no
trailing newline. :func:`read_word2vec` also accepts the newline that the C
tool writes after each binary record. Paths ending in ``.gz`` or ``.bz2`` are
compressed and decompressed transparently (:func:`open_file`). No pickle is
ever used.

The functions take and return a list of words and a 2-D array; building a
:class:`~skw2v.KeyedVectors` from them is the caller's business. This module
imports only the standard library, NumPy and :mod:`skw2v._files.atomic`.
"""

from __future__ import annotations

import bz2
import contextlib
import gzip
import os
import stat
from collections.abc import Sequence
from dataclasses import dataclass
from typing import IO, Any

import numpy as np

from . import atomic

__all__ = [
    "CHUNK_BYTES",
    "is_float",
    "open_file",
    "read_word2vec",
    "sniff_binary",
    "write_word2vec",
]

PathLike = str | os.PathLike

#: Bytes read at a time when parsing binary files.
CHUNK_BYTES = 1 << 20
# A binary record whose word is longer than this is taken as file corruption.
_MAX_WORD_BYTES = 1 << 16


# --------------------------------------------------------------------------
# Opening files
# --------------------------------------------------------------------------
def _suffix(path: PathLike) -> str:
    """The lower-cased name of ``path``, to tell compressed files by their ending."""
    return os.fsdecode(os.fspath(path)).lower()


def open_file(path: PathLike, mode: str) -> IO[bytes]:
    """Open ``path`` in binary ``mode``, (de)compressing ``.gz`` and ``.bz2``.

    Parameters
    ----------
    path : str or os.PathLike
        File path.
    mode : {"rb", "wb"}
        Binary open mode.

    Returns
    -------
    file : binary file object
    """
    name = _suffix(path)
    if name.endswith(".gz"):
        return gzip.open(path, mode)
    if name.endswith(".bz2"):
        return bz2.open(path, mode)
    return open(path, mode)


def is_float(text: str) -> bool:
    """Whether ``float(text)`` succeeds.

    Parameters
    ----------
    text : str
        A field of a text file.

    Returns
    -------
    result : bool
    """
    try:
        float(text)
    except ValueError:
        return False
    return True


def _compressor(raw: IO[bytes], path: PathLike) -> IO[bytes]:
    """A writer onto the open file ``raw`` that compresses as the name of ``path`` asks.

    ``.gz`` output records the name of ``path`` (not of ``raw``) in its
    header, as ``gzip.open(path, "wb")`` does; other names are written as is.
    """
    name = os.fsdecode(os.fspath(path))
    if name.lower().endswith(".gz"):
        return gzip.GzipFile(filename=name, mode="wb", fileobj=raw)
    if name.lower().endswith(".bz2"):
        return bz2.BZ2File(raw, "wb")
    return contextlib.nullcontext(raw)


# --------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------
def _encode_word(key: str, index: int) -> bytes:
    """UTF-8 bytes of a word, or ValueError naming the word when the format cannot hold it."""
    if not key or " " in key or "\n" in key:
        raise ValueError(
            f"word {key!r} (index {index}) cannot be stored in word2vec format (empty, or "
            "contains a space or newline); rename or drop it before saving"
        )
    try:
        return key.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValueError(
            f"word {key!r} (index {index}) cannot be stored in word2vec format: it is not "
            f"valid Unicode text ({exc.reason} at position {exc.start}), so it has no UTF-8 "
            "encoding. It usually comes from text decoded with errors='surrogateescape' or "
            "from a custom analyzer; fix the decoding (e.g. errors='replace') or drop the word "
            "before saving"
        ) from None


def write_word2vec(path: PathLike, keys: Sequence[str], vectors: np.ndarray,
                   binary: bool) -> None:
    """Write words and their vectors to a word2vec file.

    Parameters
    ----------
    path, binary : str or os.PathLike, bool
        As for :meth:`skw2v.KeyedVectors.save_word2vec_format`.
    keys : sequence of str
        The words, in the order they are written.
    vectors : ndarray of shape (len(keys), vector_size)
        One row per word, printed in text files with ``str`` of the NumPy
        scalars of its dtype, stored as little-endian float32 in binary ones.

    Raises
    ------
    ValueError
        For a word the format cannot hold (see :func:`_encode_word`), before
        anything is written.

    Notes
    -----
    The file goes through :func:`skw2v._files.atomic.atomic_file`: on any
    error a previous file at ``path`` is left untouched and no partial file
    remains.
    """
    encoded = [_encode_word(key, i) for i, key in enumerate(keys)]
    with atomic.atomic_file(path) as raw, _compressor(raw, path) as fout:
        fout.write(f"{len(encoded)} {int(vectors.shape[1])}\n".encode())
        if binary:
            data = np.ascontiguousarray(vectors, dtype="<f4")
            for word, row in zip(encoded, data, strict=True):
                fout.write(word + b" " + row.tobytes())
        else:
            for word, row in zip(encoded, vectors, strict=True):
                # Iterating a row yields NumPy scalars, whose str() is the shortest
                # round-tripping representation in the row's own precision.
                fout.write(word + f" {' '.join(map(str, row))}\n".encode())


# --------------------------------------------------------------------------
# Reading: the header
# --------------------------------------------------------------------------
def _format_error(path: PathLike, where: str, message: str) -> ValueError:
    """The ValueError ``"<file>: <where>: <message>"`` of a malformed file."""
    return ValueError(f"{os.fsdecode(os.fspath(path))}: {where}: {message}")


def _parse_header(line: bytes, path: PathLike, encoding: str) -> tuple[int, int]:
    """Parse the ``"<n_words> <vector_size>"`` header line of a word2vec file.

    Parameters
    ----------
    line : bytes
        The first line of the file, newline included.
    path : str or os.PathLike
        File name, for error messages.
    encoding : str
        Text encoding of the file.

    Returns
    -------
    n_words, vector_size : int
    """
    try:
        parts = line.decode(encoding).split()
        if len(parts) != 2:
            raise ValueError
        n_words, vector_size = int(parts[0]), int(parts[1])
    except ValueError:
        hint = ""
        if line[:4] in (b"PK\x03\x04", b"PK\x05\x06"):
            hint = (" (this is a zip/.npz archive, such as a skw2v model file: load it with "
                    "SkipGramVectorizer.load(path) and use its wv_ attribute)")
        raise _format_error(
            path, "line 1", f"expected a header '<n_words> <vector_size>', got {line[:80]!r}{hint}"
        ) from None
    if n_words < 0 or vector_size < 0:
        raise _format_error(path, "line 1", f"negative size in header {line!r}")
    return n_words, vector_size


def _check_header_size(path: PathLike, fin: IO[bytes], header_bytes: int, n_words: int,
                       vector_size: int, binary: bool) -> bool:
    """Check what the header of an uncompressed file announces against the file's size.

    Each text line holds at least ``2 * vector_size`` bytes (one-character
    numbers and their spaces) plus a line break, and each binary record
    ``4 * vector_size + 1`` (the space after the word and the float32
    values).

    Returns
    -------
    trusted : bool
        Whether the file is large enough for all the vectors, so that they
        may be allocated at once. When it is not (a truncated file), the
        readers grow the matrix as rows arrive and report the line or record
        where the file ends.

    Raises
    ------
    ValueError
        If the header cannot be true whatever the words: more vectors than
        the file has bytes, or a single vector larger than the whole file (a
        corrupted header, e.g. ``100000000000 100000``). Checked before any
        memory is allocated for the vectors.
    """
    if _suffix(path).endswith((".gz", ".bz2")):
        return False
    try:
        info = os.fstat(fin.fileno())
    except (OSError, AttributeError, ValueError):
        return False
    if not stat.S_ISREG(info.st_mode):
        return False
    if n_words == 0:
        return True
    available = info.st_size - header_bytes
    record = 4 * vector_size + 1 if binary else 2 * vector_size + 1
    kind = "binary" if binary else "text"
    min_records = n_words if binary else n_words - 1  # the last line needs no line break
    if min_records > available or record - (not binary) > available:
        raise _format_error(
            path,
            "line 1",
            f"the header announces {n_words} vectors of {vector_size} dimensions, but the "
            f"file has only {available} bytes after the header: a {kind} vector takes"
            f" at least {record} bytes (corrupted header, or binary and "
            "text formats mixed up?)",
        )
    return n_words * record - (not binary) <= available


@dataclass(frozen=True)
class _Layout:
    """What the record readers know of the file they read, from its header.

    Attributes
    ----------
    path : str or os.PathLike
        File name, for error messages.
    n_words : int
        Number of vectors to read (the header's, or fewer with a limit).
    vector_size : int
        Values per vector.
    header_bytes : int
        Length of the header line, to report byte offsets.
    encoding, unicode_errors : str
        How words are decoded.
    check_trailing : bool
        Whether anything but blank space after the vectors is an error (not
        when a limit stops the reading early).
    trusted : bool
        Whether the file's size allows all the vectors (see
        :func:`_check_header_size`).
    """

    path: PathLike
    n_words: int
    vector_size: int
    header_bytes: int
    encoding: str
    unicode_errors: str
    check_trailing: bool
    trusted: bool

    def error(self, where: str, message: str) -> ValueError:
        """The ValueError of a malformed file, naming it and ``where``."""
        return _format_error(self.path, where, message)

    def rows(self, dtype: Any) -> _Rows:
        """An empty matrix for the vectors."""
        return _Rows(self.n_words, self.vector_size, dtype, self.trusted)


class _Rows:
    """The rows of an ``(n_rows, n_cols)`` matrix, filled in order.

    With a ``trusted`` row count (checked against the file size) the matrix
    is allocated at once. Otherwise (compressed files, whose size does not
    bound the header) it grows by doubling as rows arrive, so a header that
    announces more than the file holds costs memory only for rows really read.
    """

    def __init__(self, n_rows: int, n_cols: int, dtype: Any, trusted: bool) -> None:
        self._n_rows, self._n_cols, self._dtype = n_rows, n_cols, dtype
        self._data = np.empty((n_rows if trusted else 0, n_cols), dtype=dtype)

    def set(self, row: int, values: np.ndarray) -> None:
        if row >= self._data.shape[0]:
            grown = np.empty((min(self._n_rows, max(1, 2 * row)), self._n_cols), self._dtype)
            grown[:row] = self._data[:row]
            self._data = grown
        self._data[row] = values

    def array(self) -> np.ndarray:
        """The matrix (call once every row is set)."""
        return self._data


# --------------------------------------------------------------------------
# Reading: text records
# --------------------------------------------------------------------------
def _parse_text_line(raw: bytes, line_no: int, layout: _Layout) -> tuple[str, np.ndarray]:
    """The word and the float64 values of one text line ``word x_1 ... x_d``."""
    where = f"line {line_no}"
    try:
        line = raw.decode(layout.encoding, errors=layout.unicode_errors)
    except UnicodeDecodeError as exc:
        raise layout.error(where, f"cannot decode: {exc}") from exc
    parts = line.rstrip().split(" ")
    if len(parts) != layout.vector_size + 1:
        raise layout.error(
            where,
            f"expected a word and {layout.vector_size} numbers, got {len(parts) - 1} "
            "fields after the word (wrong vector size or truncated line?)",
        )
    try:
        values = np.array(parts[1:], dtype=np.float64)
    except ValueError:
        bad = next(p for p in parts[1:] if not is_float(p))
        raise layout.error(where, f"cannot parse {bad[:40]!r} as a number") from None
    return parts[0], values


def _read_text_vectors(fin: IO[bytes], layout: _Layout) -> tuple[list[str], np.ndarray]:
    """Read ``layout.n_words`` text lines ``word x_1 ... x_d`` after the header."""
    keys: list[str] = []
    vectors = layout.rows(np.float64)
    for row in range(layout.n_words):
        raw = fin.readline()
        if not raw:
            raise layout.error(
                f"line {row + 2}",
                f"unexpected end of file: the header announces {layout.n_words} vectors "
                f"but only {row} were found (truncated file?)",
            )
        key, values = _parse_text_line(raw, row + 2, layout)
        vectors.set(row, values)
        keys.append(key)
    if layout.check_trailing:
        for line_no, raw in enumerate(iter(fin.readline, b""), start=layout.n_words + 2):
            if raw.strip():
                raise layout.error(
                    f"line {line_no}",
                    f"unexpected extra data: the header announces only {layout.n_words} vectors",
                )
    return keys, vectors.array()


# --------------------------------------------------------------------------
# Reading: binary records
# --------------------------------------------------------------------------
class _BinaryRecordReader:
    """Sequential reader of ``word + b" " + float32 bytes`` records.

    Reads the underlying file in chunks of :data:`CHUNK_BYTES`, so that files
    larger than memory can be parsed with a bounded buffer.

    Parameters
    ----------
    fin : binary file object
        Positioned just after the header line.
    header_bytes : int
        Length of the header line, used to report byte offsets.
    """

    def __init__(self, fin: IO[bytes], header_bytes: int) -> None:
        self._fin = fin
        self._buf = b""
        self._pos = 0
        self._eof = False
        self._consumed = header_bytes  # file offset of self._buf[0]

    @property
    def offset(self) -> int:
        """Byte offset in the (decompressed) file of the next unread byte."""
        return self._consumed + self._pos

    def _fill(self) -> bool:
        """Append one chunk to the buffer; return False at end of file."""
        if self._eof:
            return False
        chunk = self._fin.read(CHUNK_BYTES)
        if not chunk:
            self._eof = True
            return False
        self._consumed += self._pos
        self._buf = self._buf[self._pos :] + chunk
        self._pos = 0
        return True

    def skip_newlines(self) -> None:
        """Skip ``b"\\n"`` bytes (the C tool ends each record with one)."""
        while True:
            while self._pos < len(self._buf) and self._buf[self._pos] == 0x0A:
                self._pos += 1
            if self._pos < len(self._buf) or not self._fill():
                return

    def read_word(self) -> bytes | None:
        """Read the bytes up to the next space and consume the space.

        Returns
        -------
        word : bytes or None
            None at end of file before any space was found.

        Raises
        ------
        ValueError
            If no space follows within ``_MAX_WORD_BYTES`` bytes.
        """
        start = self._pos
        search_from = start
        while True:
            i = self._buf.find(b" ", search_from)
            if i >= 0:
                word = self._buf[start:i]
                self._pos = i + 1
                return word
            search_from = len(self._buf)
            if search_from - start > _MAX_WORD_BYTES:
                raise ValueError(f"no space after {_MAX_WORD_BYTES} bytes of word")
            pending = len(self._buf) - start
            if not self._fill():
                return None
            # _fill drops the consumed prefix: re-base the indices.
            start, search_from = 0, pending

    def read_exact(self, n_bytes: int) -> bytes | None:
        """Read exactly ``n_bytes`` bytes, or return None at end of file."""
        while len(self._buf) - self._pos < n_bytes:
            if not self._fill():
                return None
        out = self._buf[self._pos : self._pos + n_bytes]
        self._pos += n_bytes
        return out

    def rest_is_blank(self) -> bool:
        """Whether everything left in the file is ASCII whitespace."""
        while True:
            if self._buf[self._pos :].strip():
                return False
            self._pos = len(self._buf)
            if not self._fill():
                return True


def _read_binary_record(reader: _BinaryRecordReader, row: int,
                        layout: _Layout) -> tuple[str, np.ndarray]:
    """The word and the float32 values of the binary record number ``row``."""
    reader.skip_newlines()
    where = f"vector #{row + 1} (byte offset {reader.offset})"
    truncated = (
        f"unexpected end of file: the header announces {layout.n_words} vectors but only "
        f"{row} are complete (truncated file?)"
    )
    try:
        word = reader.read_word()
    except ValueError as exc:
        raise layout.error(where, f"corrupted record: {exc}") from None
    if word is None:
        raise layout.error(where, truncated)
    data = reader.read_exact(4 * layout.vector_size)
    if data is None:
        raise layout.error(where, truncated)
    try:
        key = word.decode(layout.encoding, errors=layout.unicode_errors)
    except UnicodeDecodeError as exc:
        raise layout.error(where, f"cannot decode word: {exc}") from exc
    return key, np.frombuffer(data, dtype="<f4")


def _read_binary_vectors(fin: IO[bytes], layout: _Layout) -> tuple[list[str], np.ndarray]:
    """Read ``layout.n_words`` binary records after the header."""
    reader = _BinaryRecordReader(fin, layout.header_bytes)
    keys: list[str] = []
    vectors = layout.rows(np.float32)
    for row in range(layout.n_words):
        key, values = _read_binary_record(reader, row, layout)
        keys.append(key)
        vectors.set(row, values)
    if layout.check_trailing and not reader.rest_is_blank():
        raise layout.error(
            f"byte offset {reader.offset}",
            f"unexpected extra data: the header announces only {layout.n_words} vectors",
        )
    return keys, vectors.array()


# --------------------------------------------------------------------------
# Reading: the whole file
# --------------------------------------------------------------------------
def _check_read(keys: list[str], vectors: np.ndarray, path: PathLike, binary: bool) -> None:
    """Refuse duplicate words and non-finite values, naming the line or record."""

    def where(row: int) -> str:
        return f"line {row + 2}" if not binary else f"vector #{row + 1}"

    seen: dict[str, int] = {}
    for row, key in enumerate(keys):
        if key in seen:
            raise _format_error(
                path, where(row), f"duplicate word {key!r} (first seen as vector #{seen[key] + 1})"
            )
        seen[key] = row
    finite = np.isfinite(vectors).all(axis=1)
    if not finite.all():
        row = int(np.flatnonzero(~finite)[0])
        raise _format_error(path, where(row), f"non-finite value (NaN or inf) for {keys[row]!r}")


def _check_read_options(limit: int | None, dtype: Any) -> np.dtype:
    """Validate ``limit`` and ``dtype`` of :func:`read_word2vec`; return the dtype."""
    dtype = np.dtype(dtype)
    if dtype.kind != "f":
        raise ValueError(f"dtype must be a floating dtype, got {dtype}")
    if limit is not None and (isinstance(limit, bool) or limit < 0):
        raise ValueError(f"limit must be a non-negative int or None, got {limit!r}")
    return dtype


def read_word2vec(path: PathLike, binary: bool, *, encoding: str, unicode_errors: str,
                  limit: int | None, dtype: Any) -> tuple[list[str], np.ndarray]:
    """Read the words and vectors of a word2vec file.

    Parameters
    ----------
    path, binary, encoding, unicode_errors, limit, dtype
        As for :meth:`skw2v.KeyedVectors.load_word2vec_format`, which gives
        their defaults.

    Returns
    -------
    keys : list of str
        The words, in file order, all distinct.
    vectors : ndarray of shape (len(keys), vector_size)
        Finite values of ``dtype``.

    Raises
    ------
    ValueError
        If ``dtype`` or ``limit`` is invalid, or the file is malformed (bad
        header, wrong number of values on a line, unparsable, non-finite or
        overflowing number, truncated file, data after the announced
        vectors, undecodable or duplicate word). The message names the file
        and the line (text) or record and byte offset (binary).
    """
    dtype = _check_read_options(limit, dtype)
    with open_file(path, "rb") as fin:
        header = fin.readline()
        n_words, vector_size = _parse_header(header, path, encoding)
        n_read = n_words if limit is None else min(n_words, int(limit))
        trusted = _check_header_size(path, fin, len(header), n_read, vector_size, binary)
        layout = _Layout(path, n_read, vector_size, len(header), encoding, unicode_errors,
                         check_trailing=n_read == n_words, trusted=trusted)
        read = _read_binary_vectors if binary else _read_text_vectors
        keys, vectors = read(fin, layout)
    _check_read(keys, vectors, path, binary)
    with np.errstate(over="raise"):
        try:
            vectors = vectors.astype(dtype, copy=False)
        except FloatingPointError:
            raise _format_error(path, "data", f"values overflow dtype {dtype}") from None
    return keys, vectors


def sniff_binary(path: PathLike) -> bool:
    """Guess whether a word2vec file is binary by trying to parse its first record as text.

    Parameters
    ----------
    path : str or os.PathLike
        A word2vec file; ``.gz`` and ``.bz2`` files are decompressed.

    Returns
    -------
    binary : bool
        False when the first record parses as a text line (and when the
        header does not parse or announces no vectors, so that the text
        reader reports the problem); True otherwise.
    """
    with open_file(path, "rb") as fin:
        header = fin.readline(4096)
        try:
            n_words, dim = (int(x) for x in header.split())
        except ValueError:
            return False  # let the text reader report the bad header
        if n_words == 0:
            return False
        line = fin.readline((1 << 16) + 64 * (dim + 1))
    try:
        parts = line.decode("utf-8").rstrip().split(" ")
    except UnicodeDecodeError:
        return True
    return len(parts) != dim + 1 or not all(is_float(part) for part in parts[1:])
