"""Text to tokens: the analyzer, document checks, and single-pass encoding.

The analyzer is scikit-learn's own: :meth:`CountVectorizer.build_analyzer`
(public API), so every text option behaves exactly as in ``CountVectorizer``.
"""

from __future__ import annotations

import codecs
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.feature_extraction.text import CountVectorizer

DEFAULT_TOKEN_PATTERN = r"(?u)\b\w\w+\b"


@dataclass(frozen=True)
class TextOptions:
    """How documents become tokens: scikit-learn's text parameters, validated."""

    input: str = "content"
    encoding: str = "utf-8"
    decode_error: str = "strict"
    strip_accents: Any = None
    lowercase: bool = True
    preprocessor: Any = None
    tokenizer: Any = None
    token_pattern: str | None = DEFAULT_TOKEN_PATTERN
    analyzer: Any = "word"
    #: The stop words as a frozenset (see :func:`stop_word_set`), or None.
    stop_words: frozenset | None = None


def stop_word_set(stop_words):
    """The stop words of the ``stop_words`` parameter as a frozenset, or None.

    ``"english"`` is scikit-learn's built-in list, resolved by
    :meth:`CountVectorizer.get_stop_words`, as ``CountVectorizer`` does.
    """
    if stop_words is None:
        return None
    return frozenset(CountVectorizer(stop_words=stop_words).get_stop_words())


def inconsistent_stop_words(opts):
    """Tokens that preprocessing and tokenising the stop words give but that are not stop words.

    The check of ``CountVectorizer``, written with its public builders: a
    stop word such as ``"don't"`` becomes the token ``"don"``, which the
    list does not remove. An empty list when the check cannot be made (a
    custom preprocessor or tokenizer that fails on single words) or does not
    apply (no stop words, or a callable analyzer).

    Returns
    -------
    tokens : list of str
        Sorted.
    """
    if not opts.stop_words or callable(opts.analyzer):
        return []
    cv = CountVectorizer(strip_accents=opts.strip_accents, lowercase=opts.lowercase,
                         preprocessor=opts.preprocessor, tokenizer=opts.tokenizer,
                         token_pattern=opts.token_pattern)
    try:
        preprocess, tokenize = cv.build_preprocessor(), cv.build_tokenizer()
        found = {tok for word in opts.stop_words for tok in tokenize(preprocess(word))}
    except Exception:  # noqa: BLE001 - a user's callable; CountVectorizer skips the check too
        return []
    return sorted(tok for tok in found if tok not in opts.stop_words)


class WithoutStopWords:
    """An analyzer followed by stop-word removal: ``[t for t in analyzer(doc) if t not in stop]``.

    Exactly the filter of ``CountVectorizer``'s word analyzer (with
    ``ngram_range=(1, 1)``), applied here rather than by ``CountVectorizer``
    so that building an analyzer never warns (the consistency warning is
    raised once, at the entry point). A class, so that it pickles for
    worker processes.
    """

    def __init__(self, analyzer, stop_words):
        self.analyzer = analyzer
        self.stop_words = stop_words

    def __call__(self, doc):
        stop = self.stop_words
        return [tok for tok in self.analyzer(doc) if tok not in stop]


def build_analyzer(opts, input=None):
    """Build the ``doc -> tokens`` callable from text options.

    With ``analyzer="word"``, the stop words of ``opts.stop_words`` are
    removed from the tokens, as ``CountVectorizer`` removes them; a callable
    analyzer is used as it is (it does all the analysis, as in
    ``CountVectorizer``).

    Parameters
    ----------
    opts : TextOptions
    input : str or None, default=None
        Overrides ``opts.input`` (``"content"`` for pieces of files that were
        read already).

    Returns
    -------
    analyzer : callable
    """
    cv = CountVectorizer(
        input=opts.input if input is None else input, encoding=opts.encoding,
        decode_error=opts.decode_error,
        strip_accents=opts.strip_accents, lowercase=opts.lowercase,
        preprocessor=opts.preprocessor, tokenizer=opts.tokenizer,
        token_pattern=opts.token_pattern, analyzer=opts.analyzer,
    )
    analyzer = cv.build_analyzer()
    if opts.stop_words and not callable(opts.analyzer):
        analyzer = WithoutStopWords(analyzer, opts.stop_words)
    return analyzer


def check_documents(raw_documents, param="raw_documents", analyzer=None) -> Iterable:
    """Reject a bare string (or bytes), or a table, where documents are expected.

    Parameters
    ----------
    raw_documents : object
    param : str, default="raw_documents"
    analyzer : "word", callable or None
        The estimator's analyzer: a callable one may receive rows of a 2-D
        array as token lists.

    Returns
    -------
    raw_documents : iterable
    """
    if isinstance(raw_documents, (str, bytes)):
        raise ValueError(
            f"Iterable over raw text documents expected, {type(raw_documents).__name__} object "
            f"received. Wrap a single document in a list: [{param}]."
        )
    if raw_documents is None or not isinstance(raw_documents, Iterable):
        raise TypeError(
            f"{param} must be an iterable of documents (for example a list of str), got "
            f"{type(raw_documents).__name__}."
        )
    _reject_two_dimensional(raw_documents, param, analyzer)
    return raw_documents


_SELECT_COLUMN = (
    "Select the text column as a 1-D sequence: df['text'] (a Series), not df[['text']]; in a "
    "ColumnTransformer give the column name as a string, ('w2v', SkipGramVectorizer(), "
    "'text'), not a list ['text']."
)


def _reject_two_dimensional(docs, param, analyzer):
    """Refuse tables where a 1-D sequence of documents is expected.

    Iterating over a DataFrame yields its column names, and over a 2-D array
    its rows, so either would be trained on silently. A 2-D array is only
    accepted with a callable ``analyzer`` and more than one column (each row
    a token list); a single column is a column of documents.
    """
    shape = getattr(docs, "shape", None)
    ndim = getattr(docs, "ndim", None)
    if not isinstance(ndim, int) or ndim < 2:
        if ndim is None and isinstance(shape, tuple) and len(shape) >= 2:
            ndim = len(shape)  # a table-like object without ndim
        else:
            return
    kind = type(docs).__name__
    if hasattr(docs, "columns"):  # a DataFrame: iterating gives the column names
        cols = list(getattr(docs, "columns", []))[:5]
        raise ValueError(
            f"{param} is a 2-D {kind} with columns {cols}; iterating over it gives the column "
            f"names, not documents. {_SELECT_COLUMN}")
    if callable(analyzer) and isinstance(docs, np.ndarray) and ndim == 2 and shape[1] > 1:
        return  # rows of tokens for a callable analyzer (as analyzer=list)
    raise ValueError(
        f"{param} is a {ndim}-D {kind} of shape {shape}; documents must be a 1-D sequence "
        f"(one document per item). {_SELECT_COLUMN} For token lists, pass a list of lists "
        "with analyzer=list.")


#: Leading bytes of compressed formats: (magic, name, how to read it).
_COMPRESSED = (
    (b"\x1f\x8b", "gzip", "gzip.open"),
    (b"BZh", "bzip2", "bz2.open"),
    (b"\xfd7zXZ\x00", "xz", "lzma.open"),
    (b"PK\x03\x04", "zip", "zipfile.ZipFile(path).open(member)"),
    (b"\x28\xb5\x2f\xfd", "zstandard", "a zstandard reader"),
)
_HEAD_BYTES = 10


def compressed_format(head):
    """Name and reader of the compressed format whose magic bytes start ``head``, or None.

    Parameters
    ----------
    head : bytes
        The first bytes of a file (10 are enough).

    Returns
    -------
    (name, reader) or None
    """
    if not isinstance(head, (bytes, bytearray)):
        return None
    for magic, name, reader in _COMPRESSED:
        if head.startswith(magic):
            if name == "bzip2" and not (head[3:4].isdigit() and head[4:10] == b"1AY&SY"):
                continue  # "BZh" alone could be text
            return name, reader
    return None


def _compressed_error(index, doc, found, data=False):
    name, reader = found
    if data:  # compressed bytes given as the document itself
        return ValueError(
            f"Document {index} is {name}-compressed data, not text. Decompress it first "
            f"(for example with {name if name != 'xz' else 'lzma'}.decompress) and pass the "
            "text, or its bytes with the right 'encoding'.")
    where = f" ({os.fspath(doc)!r})" if isinstance(doc, (str, bytes, os.PathLike)) else ""
    return ValueError(
        f"Document {index}{where} is a {name}-compressed file, not text. Decompress it first, "
        f"or read it yourself with {reader} and pass the decompressed text: as a file object "
        f"opened in binary mode with input='file', or its text with input='content'.")


def check_not_compressed(doc, index):
    """Raise a clear ValueError if the file at path ``doc`` is compressed.

    Files that cannot be opened are left for the reader to report.
    """
    try:
        with open(doc, "rb") as handle:
            head = handle.read(_HEAD_BYTES)
    except (OSError, TypeError, ValueError):
        return
    found = compressed_format(head)
    if found:
        raise _compressed_error(index, doc, found)


def _head_of_file_object(doc):
    """The first bytes of a seekable binary file object, or None (position restored)."""
    try:
        pos = doc.tell()
        doc.seek(0)
        head = doc.read(_HEAD_BYTES)
        doc.seek(pos)
        return head
    except (AttributeError, OSError, ValueError):
        return None


def analyze_document(analyzer, doc, index, input_kind, callable_analyzer):
    """Run the analyzer on one document with clear errors.

    Parameters
    ----------
    analyzer : callable
    doc : object
    index : int
        Position of the document in the input, for error messages.
    input_kind : {"content", "filename", "file"}
    callable_analyzer : bool
        Whether the user supplied the analyzer (then any document type is
        passed through to it).

    Returns
    -------
    tokens : list of str
    """
    if not callable_analyzer:
        if input_kind == "content" and not isinstance(doc, (str, bytes)):
            row = isinstance(doc, (list, tuple)) or getattr(doc, "ndim", 0) >= 1
            raise TypeError(
                f"Document {index} is of type {type(doc).__name__}; with input='content' every "
                "document must be a str (or bytes). For pre-tokenised documents pass "
                "analyzer=a callable returning the tokens (for example analyzer=list)."
                + (f" If it is a row of a table, select the text column instead: "
                   f"{_SELECT_COLUMN}" if row else "")
            )
        if input_kind == "filename":
            check_path(doc, index)
    if input_kind == "filename" and isinstance(doc, (str, bytes, os.PathLike)):
        check_not_compressed(doc, index)
    elif input_kind == "content" and isinstance(doc, bytes):
        found = compressed_format(doc[:_HEAD_BYTES])
        if found:
            raise _compressed_error(index, doc, found, data=True)
    try:
        tokens = analyzer(doc)
    except UnicodeDecodeError as exc:
        found = compressed_format(_head_of_file_object(doc)) if input_kind == "file" else None
        if found:
            raise _compressed_error(index, doc, found) from exc
        raise ValueError(
            f"Document {index} could not be decoded ({exc.reason} at byte {exc.start}). Pass "
            "the right 'encoding', or set decode_error='replace' or 'ignore'."
        ) from exc
    except (AttributeError, TypeError) as exc:
        raise TypeError(
            f"Document {index} ({type(doc).__name__}) could not be analysed: {exc}."
        ) from exc
    if isinstance(tokens, str) or not isinstance(tokens, Iterable):
        raise TypeError(
            f"The analyzer returned {type(tokens).__name__} for document {index}; it must "
            "return a list of str tokens."
        )
    tokens = list(tokens)
    for tok in tokens:
        if not isinstance(tok, str):
            raise TypeError(
                f"The analyzer returned a token of type {type(tok).__name__} for document "
                f"{index}; tokens must be str."
            )
    return tokens


def iter_chunks(docs: Iterable, chunk_size: int) -> Iterator[tuple[int, list]]:
    """Yield ``(index_of_first_document, list_of_documents)`` chunks, reading once."""
    chunk: list = []
    start = 0
    for i, doc in enumerate(docs):
        if not chunk:
            start = i
        chunk.append(doc)
        if len(chunk) >= chunk_size:
            yield start, chunk
            chunk = []
    if chunk:
        yield start, chunk


def tokenize_chunk(analyzer, docs, indices, input_kind, callable_analyzer):
    """Tokenise a chunk of documents (or pieces of documents) into local ids.

    ``indices`` gives the document index of each item, for error messages.

    Returns
    -------
    tokens : list of str
        Distinct tokens of the chunk, in order of first appearance.
    ids : ndarray of int32
        Every token of the chunk, as an index into ``tokens``.
    lengths : ndarray of int64
        Number of tokens of each item.
    """
    local: dict[str, int] = {}
    ids: list[int] = []
    lengths = np.empty(len(docs), dtype=np.int64)
    setdefault = local.setdefault
    for j, doc in enumerate(docs):
        toks = analyze_document(analyzer, doc, indices[j], input_kind, callable_analyzer)
        lengths[j] = len(toks)
        ids.extend([setdefault(t, len(local)) for t in toks])
    return list(local), np.asarray(ids, dtype=np.int32), lengths


#: Bytes read from a file at a time when streaming it.
PIECE_BYTES = 1 << 20
_ASCII_SPACE = " \n\t\r\x0b\x0c"


def can_stream(opts: TextOptions):
    """Whether files can be tokenised piece by piece with the same result.

    True for ``input='filename'`` or ``'file'`` with the built-in word
    analyzer, no ``preprocessor`` or ``tokenizer``, and a ``token_pattern``
    that :func:`pattern_is_local` accepts: then cutting a file at an ASCII
    whitespace character (shared by the two pieces) changes no token. Any
    other pattern reads whole documents.
    """
    if opts.input not in ("filename", "file") or opts.analyzer != "word":
        return False
    if opts.preprocessor is not None or opts.tokenizer is not None:
        return False
    return isinstance(opts.token_pattern, str) and pattern_is_local(opts.token_pattern)


class _NotLocal(Exception):
    """A construct outside the whitelist of :func:`pattern_is_local`."""


#: Escapes that match one character that is never ASCII whitespace.
_CHAR_ESCAPES = frozenset("wdS")
#: Zero-width escapes; they look at one character on each side, which both
#: pieces of a cut keep (the whitespace character is in both).
_EDGE_ESCAPES = frozenset("bB")
#: Inline flags that change neither what can match whitespace nor how far a
#: pattern looks (not x, s, m or L).
_LOCAL_FLAGS = frozenset("aiu")
_QUANTIFIER = re.compile(r"\{(\d*)(?:,(\d*))?\}")


def pattern_is_local(pattern):
    """Whether a token pattern provably never matches or looks across whitespace.

    A whitelist, decided on the pattern's text (no private ``re`` internals):
    literal characters other than ASCII whitespace, ``\\w``, ``\\d``, ``\\S``,
    escaped punctuation, classes ``[...]`` of those (not negated, ranges
    that contain no whitespace), the one-character edges ``\\b`` and ``\\B``,
    groups ``(...)``, ``(?:...)`` and ``(?P<name>...)``, alternation,
    quantifiers, and the flags ``a``, ``i``, ``u``. Anything else --
    look-arounds, backreferences, conditionals, ``.``, ``^``, ``$``, ``\\s``,
    ``\\W``, ``\\D``, negated classes, character codes, verbose mode -- is
    refused, as is a pattern that can match the empty string (its empty
    matches next to a cut would differ). Refusing only costs memory: the
    documents are then read whole.

    Parameters
    ----------
    pattern : str

    Returns
    -------
    bool
    """
    try:
        re.compile(pattern)
        parser = _LocalPatternParser(pattern)
        width = parser.alternation()
        if parser.pos != len(pattern):
            return False
    except (_NotLocal, re.error, IndexError, ValueError, TypeError):
        return False
    return width >= 1


class _LocalPatternParser:
    """Recursive descent over the whitelisted subset; each rule returns a minimal width."""

    def __init__(self, pattern):
        self.p = pattern
        self.pos = 0

    def peek(self, k=0):
        i = self.pos + k
        return self.p[i] if i < len(self.p) else ""

    def alternation(self):
        widths = [self.sequence()]
        while self.peek() == "|":
            self.pos += 1
            widths.append(self.sequence())
        return min(widths)

    def sequence(self):
        total = 0
        while self.peek() not in ("", "|", ")"):
            width = self.atom()
            total += width * self.quantifier()
        return total

    def quantifier(self):
        """Minimal repeat count of the quantifier at ``pos`` (1 when there is none)."""
        c = self.peek()
        if c in ("*", "?"):
            low = 0
            self.pos += 1
        elif c == "+":
            low = 1
            self.pos += 1
        elif c == "{":
            m = _QUANTIFIER.match(self.p, self.pos)
            if not m:
                raise _NotLocal("a '{' that is not a quantifier")
            low = int(m.group(1) or 0)
            self.pos = m.end()
        else:
            return 1
        if self.peek() in ("?", "+"):  # lazy or possessive
            self.pos += 1
        return low

    def atom(self):
        c = self.peek()
        if c == "(":
            return self.group()
        if c == "[":
            self.char_class()
            return 1
        if c == "\\":
            e = self.peek(1)
            self.pos += 2
            if e in _EDGE_ESCAPES:
                return 0
            if e in _CHAR_ESCAPES:
                return 1
            self.literal(e, escaped=True)
            return 1
        if c in ".^$*+?{":
            raise _NotLocal(c)
        self.literal(c)
        self.pos += 1
        return 1

    @staticmethod
    def literal(c, escaped=False):
        if c in _ASCII_SPACE or not c or (escaped and (c.isalnum() or c == "_")):
            # whitespace, or an escape such as \s \W \1 \x20 \n \A \Z
            raise _NotLocal(c)

    def group(self):
        self.pos += 1  # "("
        if self.peek() == "?":
            self.pos += 1
            if self.peek() == ":":
                self.pos += 1
            elif self.peek() == "P" and self.peek(1) == "<":
                end = self.p.index(">", self.pos)
                self.pos = end + 1
            else:
                start = self.pos
                while self.peek() not in ("", ")", ":"):
                    if self.peek() not in _LOCAL_FLAGS and self.peek() != "-":
                        raise _NotLocal("(?" + self.peek())  # look-around, (?P=, (?(, ...
                    self.pos += 1
                if self.pos == start:
                    raise _NotLocal("(?")
                if self.peek() == ")":  # global flags: matches nothing
                    self.pos += 1
                    return 0
                self.pos += 1  # ":" of a scoped-flags group
        width = self.alternation()
        if self.peek() != ")":
            raise _NotLocal("unbalanced group")
        self.pos += 1
        return width

    def char_class(self):
        self.pos += 1  # "["
        if self.peek() == "^":
            raise _NotLocal("negated class")
        first = True
        while True:
            c = self.peek()
            if c == "]" and not first:
                self.pos += 1
                return
            first = False
            low = self.class_item()
            if self.peek() == "-" and self.peek(1) not in ("]", ""):
                self.pos += 1
                high = self.class_item()
                if low is None or high is None:
                    raise _NotLocal("range of a class escape")
                if any(ord(low) <= ord(w) <= ord(high) for w in _ASCII_SPACE):
                    raise _NotLocal("range holding whitespace")

    def class_item(self):
        """One class member; its character, or None for ``\\w``, ``\\d``, ``\\S``."""
        c = self.peek()
        if c == "":
            raise _NotLocal("unterminated class")
        if c == "\\":
            e = self.peek(1)
            self.pos += 2
            if e in _CHAR_ESCAPES:
                return None
            self.literal(e, escaped=True)
            return e
        if c == "[" or (c in "-&~|" and self.peek(1) == c):
            raise _NotLocal("nested set or set operation")
        self.literal(c)
        self.pos += 1
        return c


def check_path(doc, index):
    """Refuse document ``index`` under ``input='filename'`` unless it is a path."""
    if not isinstance(doc, (str, bytes)) and not hasattr(doc, "__fspath__"):
        raise TypeError(
            f"Document {index} is of type {type(doc).__name__}; with input='filename' "
            "every document must be a path.")


def _file_pieces(doc, index, input_kind, encoding, decode_error, piece_bytes):
    """Decoded text of one file, in pieces cut at ASCII whitespace.

    Consecutive pieces share the whitespace character at the cut, so a
    pattern's one-character look-around sees the same text. At least one
    (possibly empty) piece is yielded.
    """
    if input_kind == "filename":
        check_path(doc, index)
        handle = open(doc, "rb")  # noqa: SIM115 - closed below
    else:
        if not hasattr(doc, "read"):
            raise TypeError(
                f"Document {index} is of type {type(doc).__name__}; with input='file' every "
                "document must be a file object (with a read() method).")
        handle = doc
    decoder = codecs.getincrementaldecoder(encoding)(errors=decode_error)
    carry, consumed, yielded = "", 0, False
    try:
        while True:
            raw = handle.read(piece_bytes)
            if consumed == 0 and isinstance(raw, bytes):
                found = compressed_format(raw[:_HEAD_BYTES])
                if found:
                    raise _compressed_error(index, doc, found)
            if isinstance(raw, bytes):
                try:
                    text = decoder.decode(raw, final=not raw)
                except UnicodeDecodeError as exc:
                    raise ValueError(
                        f"Document {index} could not be decoded ({exc.reason} near byte "
                        f"{consumed + exc.start}). Pass the right 'encoding', or set "
                        "decode_error='replace' or 'ignore'.") from exc
            else:  # a file opened in text mode
                text = raw
            consumed += len(raw)
            if not raw:
                if carry or not yielded:
                    yield carry + text
                return
            buf = carry + text
            cut = max(buf.rfind(c) for c in _ASCII_SPACE)
            if cut < 0:
                carry = buf
                continue
            yield buf[:cut + 1]
            yielded = True
            carry = buf[cut:]
    finally:
        if handle is not doc:
            handle.close()


def iter_file_pieces(docs, input_kind, encoding, decode_error, *, chunk_docs=1000,
                     chunk_chars=1 << 20, piece_bytes=None):
    """Chunks of decoded pieces of files, never a whole file at once.

    Yields
    ------
    indices : list of int
        Document (file) index of each piece.
    pieces : list of str
    """
    piece_bytes = PIECE_BYTES if piece_bytes is None else piece_bytes
    indices: list[int] = []
    pieces: list[str] = []
    size = 0
    for i, doc in enumerate(docs):
        for piece in _file_pieces(doc, i, input_kind, encoding, decode_error, piece_bytes):
            indices.append(i)
            pieces.append(piece)
            size += len(piece)
            if size >= chunk_chars or len(pieces) >= chunk_docs:
                yield indices, pieces
                indices, pieces, size = [], [], 0
    if pieces:
        yield indices, pieces


def document_chunks(opts: TextOptions, raw_documents, chunk_docs=1000):
    """How ``fit`` and ``transform`` read documents: chunks, their analyzer and input kind.

    Files are streamed in pieces when :func:`can_stream` allows it (the
    pieces are then analysed as ``input='content'``); otherwise documents
    are taken whole, ``chunk_docs`` at a time.

    Returns
    -------
    chunks : iterator of (sequence of int, list)
        The document index of each item, and the items (documents or pieces).
    analyzer : callable
    input_kind : {"content", "filename", "file"}
    """
    if can_stream(opts):
        chunks = iter_file_pieces(raw_documents, opts.input, opts.encoding, opts.decode_error,
                                  chunk_docs=chunk_docs)
        return chunks, build_analyzer(opts, input="content"), "content"
    chunks = ((range(start, start + len(docs)), docs)
              for start, docs in iter_chunks(raw_documents, chunk_docs))
    return chunks, build_analyzer(opts), opts.input
