"""Text to tokens: the analyzer, document checks, and single-pass encoding.

The analyzer is scikit-learn's own: :meth:`CountVectorizer.build_analyzer`
(public API), so every text option behaves exactly as in ``CountVectorizer``.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Iterator

import numpy as np
from sklearn.feature_extraction.text import CountVectorizer

DEFAULT_TOKEN_PATTERN = r"(?u)\b\w\w+\b"


def build_analyzer(est):
    """Build the ``doc -> tokens`` callable from an estimator's text parameters.

    Parameters
    ----------
    est : SkipGramVectorizer
        Source of ``input``, ``encoding``, ``decode_error``, ``strip_accents``,
        ``lowercase``, ``preprocessor``, ``tokenizer``, ``token_pattern`` and
        ``analyzer``.

    Returns
    -------
    analyzer : callable
    """
    if callable(est.analyzer):
        ignored = [name for name, value, default in (
            ("preprocessor", est.preprocessor, None),
            ("tokenizer", est.tokenizer, None),
            ("token_pattern", est.token_pattern, DEFAULT_TOKEN_PATTERN),
            ("strip_accents", est.strip_accents, None),
        ) if value != default]
        if ignored:
            warnings.warn(
                f"The parameter(s) {ignored} will not be used since 'analyzer' is a "
                "callable; the callable does all preprocessing and tokenisation.",
                UserWarning, stacklevel=3)
    elif est.tokenizer is not None and est.token_pattern not in (None, DEFAULT_TOKEN_PATTERN):
        warnings.warn("The parameter 'token_pattern' will not be used since 'tokenizer' is "
                      "not None.", UserWarning, stacklevel=3)
    cv = CountVectorizer(
        input=est.input, encoding=est.encoding, decode_error=est.decode_error,
        strip_accents=est.strip_accents, lowercase=est.lowercase,
        preprocessor=est.preprocessor, tokenizer=est.tokenizer,
        token_pattern=est.token_pattern, analyzer=est.analyzer,
    )
    return cv.build_analyzer()


def check_documents(raw_documents, param="raw_documents") -> Iterable:
    """Reject a bare string (or bytes) where an iterable of documents is expected.

    Parameters
    ----------
    raw_documents : object
    param : str, default="raw_documents"

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
    return raw_documents


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
            raise TypeError(
                f"Document {index} is of type {type(doc).__name__}; with input='content' every "
                "document must be a str (or bytes). For pre-tokenised documents pass "
                "analyzer=a callable returning the tokens (for example analyzer=list)."
            )
        if input_kind == "filename" and not isinstance(doc, (str, bytes)) and not hasattr(
                doc, "__fspath__"):
            raise TypeError(
                f"Document {index} is of type {type(doc).__name__}; with input='filename' "
                "every document must be a path."
            )
    try:
        tokens = analyzer(doc)
    except UnicodeDecodeError as exc:
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


def tokenize_chunk(analyzer, docs, first_index, input_kind, callable_analyzer):
    """Tokenise a chunk of documents into local ids.

    Returns
    -------
    tokens : list of str
        Distinct tokens of the chunk, in order of first appearance.
    ids : ndarray of int32
        Every token of the chunk, as an index into ``tokens``.
    lengths : ndarray of int64
        Number of tokens of each document.
    """
    local: dict[str, int] = {}
    ids: list[int] = []
    lengths = np.empty(len(docs), dtype=np.int64)
    setdefault = local.setdefault
    for j, doc in enumerate(docs):
        toks = analyze_document(analyzer, doc, first_index + j, input_kind, callable_analyzer)
        lengths[j] = len(toks)
        ids.extend([setdefault(t, len(local)) for t in toks])
    return list(local), np.asarray(ids, dtype=np.int32), lengths
