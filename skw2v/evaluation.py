"""Intrinsic evaluation of word vectors: analogies and word similarity.

Two classic benchmarks, following the protocol of gensim 4 so that scores are
comparable with published numbers:

* **Analogies** (:func:`evaluate_analogies`), on files in the format of
  Google's ``questions-words.txt``: "``a`` is to ``b`` as ``c`` is to
  ``d``". The model answers with 3CosAdd, the word closest in cosine to
  ``b - a + c`` among the first ``restrict_vocab`` words, ``a``, ``b`` and
  ``c`` excluded; a question counts as correct when the answer is ``d``.
  Questions with a word outside the restricted vocabulary are skipped and
  reported through ``coverage``. Queries are answered in batches with matrix
  products, so the 19,544 Google questions on a 30,000-word vocabulary take
  seconds.
* **Word similarity** (:func:`evaluate_similarity`), on word pairs with human
  scores such as WordSim-353 or MEN: the Spearman (and Pearson) correlation
  between the human scores and the cosine similarities of the model.

With ``case_insensitive=True`` (the default, as in gensim) words are compared
in upper case; when several case variants of a word are in the vocabulary the
first one (the most frequent, if the vocabulary is sorted) provides the
vector.

**Unseen words.** By default (``unseen="skip"``) a pair or question with a
word outside the restricted vocabulary is skipped, as gensim does. With
subword vectors (a :class:`~skw2v.keyedvectors.KeyedVectors` with n-gram
rows, such as the ``wv_`` of a model fitted with ``char_ngram_range``),
``unseen="compose"`` gives such a word its vector composed from its
character n-grams, and the result reports how many pairs or questions used
one (``n_composed``) besides how many were scored (coverage).

This module imports only NumPy, SciPy and the standard library.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats

from ._core.pooling import stacked_rows
from ._files.word2vec import is_float, open_file
from .keyedvectors import KeyedVectors, _unit_rows, check_restrict_vocab

__all__ = [
    "AnalogyResult",
    "AnalogySectionResult",
    "SimilarityResult",
    "evaluate_analogies",
    "evaluate_similarity",
    "read_analogies",
    "read_similarity",
]

Quadruple = tuple[str, str, str, str]

# Number of similarity scores held in memory per batch of analogy queries.
BATCH_ELEMENTS = 1 << 22
# gensim looks at this many candidates (after dropping a, b and c by index)
# before giving up on finding one that is not a case variant of a, b or c.
_N_CANDIDATES = 5
#: The values of the ``unseen`` argument.
UNSEEN = ("skip", "compose")


# --------------------------------------------------------------------------
# Result classes
# --------------------------------------------------------------------------
def _ratio(num: int, den: int) -> float:
    return num / den if den else float("nan")


@dataclass(frozen=True, repr=False)
class AnalogySectionResult:
    """Analogy scores of one section of a question file (or of all of them).

    Attributes
    ----------
    name : str
        Section name (``"total"`` for the aggregate).
    n_correct : int
        Questions answered correctly.
    n_attempted : int
        Questions whose four words are all in the restricted vocabulary.
    n_total : int
        All questions of the section.
    correct : tuple of (str, str, str, str)
        The correctly answered questions, as written in the file.
    incorrect : tuple of (str, str, str, str)
        The attempted questions answered wrongly.
    n_composed : int
        Attempted questions in which at least one of ``a``, ``b`` and ``c``
        got a composed vector (always 0 with ``unseen="skip"``).
    """

    name: str
    n_correct: int
    n_attempted: int
    n_total: int
    correct: tuple[Quadruple, ...] = ()
    incorrect: tuple[Quadruple, ...] = ()
    n_composed: int = 0

    @property
    def accuracy(self) -> float:
        """float: ``n_correct / n_attempted`` (NaN if nothing was attempted)."""
        return _ratio(self.n_correct, self.n_attempted)

    @property
    def coverage(self) -> float:
        """float: ``n_attempted / n_total`` (NaN for an empty section)."""
        return _ratio(self.n_attempted, self.n_total)

    @property
    def n_oov(self) -> int:
        """int: Questions skipped because of an out-of-vocabulary word (without a vector)."""
        return self.n_total - self.n_attempted

    def __repr__(self) -> str:
        composed = f", n_composed={self.n_composed}" if self.n_composed else ""
        return (
            f"{type(self).__name__}(name={self.name!r}, accuracy={self.accuracy:.4f}, "
            f"n_correct={self.n_correct}, n_attempted={self.n_attempted}, "
            f"n_total={self.n_total}, coverage={self.coverage:.4f}{composed})"
        )


@dataclass(frozen=True, repr=False)
class AnalogyResult:
    """Result of :func:`evaluate_analogies`.

    Attributes
    ----------
    sections : tuple of AnalogySectionResult
        One entry per section of the question file, in file order, followed
        by a last entry named ``"total"`` that aggregates all of them.
    restrict_vocab : int
        Number of leading vocabulary words actually used.
    case_insensitive : bool
        Whether words were compared in upper case.
    unseen : {"skip", "compose"}
        How words outside the restricted vocabulary were treated.
    """

    sections: tuple[AnalogySectionResult, ...]
    restrict_vocab: int
    case_insensitive: bool
    unseen: str = "skip"

    @property
    def total(self) -> AnalogySectionResult:
        """AnalogySectionResult: The aggregate over all sections."""
        return self.sections[-1]

    @property
    def accuracy(self) -> float:
        """float: Overall ``n_correct / n_attempted``."""
        return self.total.accuracy

    @property
    def n_correct(self) -> int:
        """int: Questions answered correctly."""
        return self.total.n_correct

    @property
    def n_attempted(self) -> int:
        """int: Questions without out-of-vocabulary words."""
        return self.total.n_attempted

    @property
    def n_total(self) -> int:
        """int: All questions."""
        return self.total.n_total

    @property
    def coverage(self) -> float:
        """float: Overall ``n_attempted / n_total``."""
        return self.total.coverage

    @property
    def n_composed(self) -> int:
        """int: Attempted questions that used a composed vector."""
        return self.total.n_composed

    def section(self, name: str) -> AnalogySectionResult:
        """Return the result of the section called ``name``.

        Parameters
        ----------
        name : str
            A section name, or ``"total"``.

        Returns
        -------
        result : AnalogySectionResult
            The first section with that name.

        Raises
        ------
        KeyError
            If there is no such section.
        """
        for sec in self.sections:
            if sec.name == name:
                return sec
        raise KeyError(f"no section named {name!r}")

    def summary(self) -> str:
        """Format the per-section scores as a plain-text table.

        Returns
        -------
        table : str
            One line per section plus the total.
        """
        compose = self.unseen == "compose"
        width = max([len("section")] + [len(s.name) for s in self.sections])
        lines = [f"{'section':<{width}}  accuracy   correct  attempted    total  coverage"
                 + ("  composed" if compose else "")]
        for s in self.sections:
            lines.append(
                f"{s.name:<{width}}  {s.accuracy:8.4f}  {s.n_correct:8d}  {s.n_attempted:9d}"
                f"  {s.n_total:7d}  {s.coverage:8.4f}"
                + (f"  {s.n_composed:8d}" if compose else "")
            )
        return "\n".join(lines)

    def __repr__(self) -> str:
        composed = f", n_composed={self.n_composed}" if self.unseen == "compose" else ""
        return (
            f"{type(self).__name__}(accuracy={self.accuracy:.4f}, n_correct={self.n_correct}, "
            f"n_attempted={self.n_attempted}, n_total={self.n_total}, "
            f"coverage={self.coverage:.4f}{composed}, n_sections={len(self.sections) - 1})"
        )


@dataclass(frozen=True, repr=False)
class SimilarityResult:
    """Result of :func:`evaluate_similarity`.

    Attributes
    ----------
    spearman : float
        Spearman rank correlation between human scores and model cosines
        (NaN with fewer than two usable pairs or constant scores).
    pearson : float
        Pearson correlation, same conventions.
    spearman_pvalue : float
        Two-sided p-value of ``spearman``.
    pearson_pvalue : float
        Two-sided p-value of ``pearson``.
    n_pairs : int
        All pairs of the data set.
    n_used : int
        Pairs scored: both words in the restricted vocabulary, or with
        ``unseen="compose"`` both with a vector, composed or not.
    n_composed : int
        Scored pairs in which at least one word got a composed vector
        (always 0 with ``unseen="skip"``).
    unseen : {"skip", "compose"}
        How words outside the restricted vocabulary were treated.
    """

    spearman: float
    pearson: float
    spearman_pvalue: float
    pearson_pvalue: float
    n_pairs: int
    n_used: int
    n_composed: int = 0
    unseen: str = "skip"

    @property
    def coverage(self) -> float:
        """float: ``n_used / n_pairs`` (NaN without pairs)."""
        return _ratio(self.n_used, self.n_pairs)

    @property
    def n_oov(self) -> int:
        """int: Pairs skipped because of an out-of-vocabulary word (without a vector)."""
        return self.n_pairs - self.n_used

    def __repr__(self) -> str:
        composed = f", n_composed={self.n_composed}" if self.unseen == "compose" else ""
        return (
            f"{type(self).__name__}(spearman={self.spearman:.4f}, pearson={self.pearson:.4f}, "
            f"n_pairs={self.n_pairs}, n_used={self.n_used}, coverage={self.coverage:.4f}"
            f"{composed})"
        )


# --------------------------------------------------------------------------
# Readers
# --------------------------------------------------------------------------
def _read_lines(path: Any, encoding: str) -> Iterable[tuple[int, str]]:
    """Yield ``(line_number, text)`` for every line of a text file, BOM removed."""
    with open_file(path, "rb") as fin:
        for line_no, raw in enumerate(fin, start=1):
            try:
                line = raw.decode(encoding)
            except UnicodeDecodeError as exc:
                raise ValueError(
                    f"{os.fsdecode(path)}: line {line_no}: cannot decode: {exc}"
                ) from exc
            if line_no == 1:
                line = line.removeprefix("\ufeff")
            yield line_no, line


def read_analogies(
    path: str | os.PathLike, encoding: str = "utf8"
) -> list[tuple[str, list[Quadruple]]]:
    """Read an analogy file in the format of Google's ``questions-words.txt``.

    A line ``": name"`` starts a section; every other non-blank line holds
    four whitespace-separated words ``a b c d``, read "``a`` is to ``b`` as
    ``c`` is to ``d``". Words are returned as written.

    Parameters
    ----------
    path : str or os.PathLike
        The file; ``.gz`` and ``.bz2`` files are decompressed.
    encoding : str, default="utf8"
        Text encoding.

    Returns
    -------
    sections : list of (str, list of (str, str, str, str))
        Section names and their questions, in file order.

    Raises
    ------
    ValueError
        If a question precedes the first section header, a section name is
        empty, or a line does not hold exactly four words. The message gives
        the file and line number.
    """
    sections: list[tuple[str, list[Quadruple]]] = []
    name = os.fsdecode(path)
    for line_no, line in _read_lines(path, encoding):
        text = line.strip()
        if not text:
            continue
        if text.startswith(":"):
            section = text[1:].strip()
            if not section:
                raise ValueError(f"{name}: line {line_no}: empty section name")
            sections.append((section, []))
            continue
        words = text.split()
        if len(words) != 4:
            raise ValueError(
                f"{name}: line {line_no}: expected 4 words 'a b c d', "
                f"got {len(words)}: {text[:80]!r}"
            )
        if not sections:
            raise ValueError(f"{name}: line {line_no}: question before the first ': section' line")
        sections[-1][1].append((words[0], words[1], words[2], words[3]))
    return sections


def read_similarity(
    path: str | os.PathLike,
    delimiter: str | None = None,
    encoding: str = "utf8",
) -> list[tuple[str, str, float]]:
    """Read a word-pair similarity file (WordSim-353, MEN, SimLex-style).

    Each data line holds ``word1 word2 score``. Blank lines and lines
    starting with ``#`` are skipped, and so is the first data line if its last
    field is not a number (a header such as ``Word 1<TAB>Word 2<TAB>Human
    (mean)``).

    Parameters
    ----------
    path : str or os.PathLike
        The file; ``.gz`` and ``.bz2`` files are decompressed.
    delimiter : str, optional
        Field separator. By default it is detected from the first data line:
        a tab if it contains one (WordSim-353), else any run of whitespace
        (MEN).
    encoding : str, default="utf8"
        Text encoding.

    Returns
    -------
    pairs : list of (str, str, float)
        The word pairs with their score, as written in the file.

    Raises
    ------
    ValueError
        If a data line does not have exactly three fields, has an empty word
        or a score that is not a finite number. The message gives the file
        and line number.
    """
    name = os.fsdecode(path)
    pairs: list[tuple[str, str, float]] = []
    sep: str | None = delimiter
    detected = delimiter is not None
    first_data_line = True
    for line_no, line in _read_lines(path, encoding):
        text = line.rstrip("\r\n")
        if not text.strip() or text.lstrip().startswith("#"):
            continue
        if not detected:
            sep = "\t" if "\t" in text else None
            detected = True
        fields = [f.strip() for f in (text.split(sep) if sep is not None else text.split())]
        if first_data_line:
            first_data_line = False
            if len(fields) >= 3 and not is_float(fields[-1]):
                continue  # header line
        if len(fields) != 3:
            raise ValueError(
                f"{name}: line {line_no}: expected 3 fields 'word1 word2 score', "
                f"got {len(fields)}: {text[:80]!r}"
            )
        w1, w2, raw_score = fields
        if not w1 or not w2:
            raise ValueError(f"{name}: line {line_no}: empty word in {text[:80]!r}")
        try:
            score = float(raw_score)
        except ValueError:
            raise ValueError(
                f"{name}: line {line_no}: cannot parse score {raw_score[:40]!r} as a number"
            ) from None
        if not np.isfinite(score):
            raise ValueError(f"{name}: line {line_no}: score {raw_score!r} is not finite")
        pairs.append((w1, w2, score))
    return pairs


# --------------------------------------------------------------------------
# Evaluation
# --------------------------------------------------------------------------
def _as_keyed_vectors(kv: Any) -> KeyedVectors:
    """Accept a skw2v KeyedVectors, or a gensim KeyedVectors or model."""
    if isinstance(kv, KeyedVectors):
        return kv
    if hasattr(kv, "index_to_key") or hasattr(kv, "wv"):
        return KeyedVectors.from_gensim(kv)
    raise TypeError(f"expected a KeyedVectors, got {type(kv).__name__}")


def _normalise(word: str, case_insensitive: bool) -> str:
    """The form in which words are compared: upper case if ``case_insensitive``."""
    return word.upper() if case_insensitive else word


def _restricted_vocab(
    kv: KeyedVectors, restrict_vocab: int | None, case_insensitive: bool
) -> tuple[int, dict[str, int], np.ndarray]:
    """Lookup table of the first ``restrict_vocab`` words.

    Returns
    -------
    n_vocab : int
        Number of words kept.
    lookup : dict of str to int
        Normalised (upper-cased if ``case_insensitive``) word to the index of
        its first occurrence.
    canonical : ndarray of int of shape (n_vocab,)
        For each kept index, the index its normalised word maps to.
    """
    n_vocab = check_restrict_vocab(restrict_vocab, len(kv))
    lookup: dict[str, int] = {}
    canonical = np.empty(n_vocab, dtype=np.intp)
    for i, key in enumerate(kv.index_to_key[:n_vocab]):
        canonical[i] = lookup.setdefault(_normalise(key, case_insensitive), i)
    return n_vocab, lookup, canonical


def _check_unseen(unseen: Any, kv: KeyedVectors) -> None:
    """Validate the ``unseen`` argument against the vectors."""
    if not (isinstance(unseen, str) and unseen in UNSEEN):
        raise ValueError(f"unseen must be one of {UNSEEN}, got {unseen!r}")
    if unseen == "compose" and kv.vectors_ngrams is None:
        raise ValueError(
            "unseen='compose' needs subword vectors: a KeyedVectors with n-gram rows "
            "(vectors_ngrams), such as the wv_ of a SkipGramVectorizer fitted with "
            "char_ngram_range, or a gensim FastText model; these vectors have none. "
            "Use unseen='skip'.")


def _composed_form(word: str, case_insensitive: bool) -> str:
    """The form of an unseen word whose n-grams give its vector.

    Lower case when words are compared case-insensitively (skw2v lowercases
    by default, and a capital changes the n-grams at the start of a word),
    else the word as written.
    """
    return word.lower() if case_insensitive else word


class _UnseenRows:
    """Unit vectors of the unseen words of a benchmark, numbered after ``first`` rows.

    Parameters
    ----------
    kv : KeyedVectors
        With subword information.
    words : iterable of str
        The words (as written) that are outside the restricted vocabulary.
    case_insensitive : bool
        Whether to compose their lower-case forms (see :func:`_composed_form`).
    first : int
        The index of the first composed row (the number of vocabulary rows).

    Attributes
    ----------
    normed : ndarray of shape (n_forms, vector_size)
        Unit-normed composed vectors, dtype of ``kv.vectors``.
    """

    def __init__(self, kv: KeyedVectors, words: Iterable[str], case_insensitive: bool,
                 first: int) -> None:
        self.case_insensitive = case_insensitive
        self.forms = list(dict.fromkeys(_composed_form(w, case_insensitive) for w in words))
        vectors, self.ok = kv._composed(self.forms)
        self.normed = _unit_rows(vectors)
        self.first = first
        self.number = {form: k for k, form in enumerate(self.forms)}

    def index(self, word: str) -> int | None:
        """Row of an unseen word, or None if it has no n-gram."""
        k = self.number[_composed_form(word, self.case_insensitive)]
        return self.first + k if self.ok[k] else None


def _check_sections(sections: Any) -> list[tuple[str, list[Quadruple]]]:
    """Validate an in-memory list of analogy sections."""
    out = []
    for item in sections:
        try:
            name, questions = item
        except (TypeError, ValueError):
            raise ValueError(
                "sections must be a sequence of (name, [(a, b, c, d), ...]) pairs"
            ) from None
        quads = []
        for q in questions:
            q = tuple(q)
            if len(q) != 4 or not all(isinstance(w, str) for w in q):
                raise ValueError(f"analogy questions must be 4 strings, got {q!r} in {name!r}")
            quads.append(q)
        out.append((str(name), quads))
    return out


def _answer_analogies(
    normed: np.ndarray,
    canonical: np.ndarray,
    questions: np.ndarray,
    extra: np.ndarray | None = None,
) -> np.ndarray:
    """Predict the answer of each analogy question with 3CosAdd.

    Parameters
    ----------
    normed : ndarray of shape (n_vocab, d)
        Unit-normed vectors of the restricted vocabulary.
    canonical : ndarray of int of shape (n_vocab,)
        Index of the first case variant of each word.
    questions : ndarray of int of shape (n_questions, 3)
        Indices of ``a``, ``b`` and ``c``; from ``n_vocab`` on, rows of
        ``extra``.
    extra : ndarray of shape (n_extra, d) or None
        Unit-normed composed vectors of unseen question words. They are
        never candidates, so there is nothing to exclude for them.

    Returns
    -------
    predicted : ndarray of int of shape (n_questions,)
        Canonical index of the predicted word, -1 if there was no candidate.
    """
    n_vocab = normed.shape[0]
    n_questions = questions.shape[0]
    predicted = np.full(n_questions, -1, dtype=np.intp)
    if n_questions == 0 or n_vocab == 0:
        return predicted
    batch = max(1, min(n_questions, BATCH_ELEMENTS // n_vocab))
    for start in range(0, n_questions, batch):
        q = questions[start : start + batch]
        rows = np.arange(len(q))
        a, b, c = q[:, 0], q[:, 1], q[:, 2]
        # The mean of the unit vectors with weights (-1, +1, +1); its scale does not
        # change the ranking, so neither dividing by 3 nor normalising is needed.
        target = (stacked_rows(normed, extra, b) + stacked_rows(normed, extra, c)
                  - stacked_rows(normed, extra, a))
        scores = target @ normed.T
        for col in (a, b, c):
            inside = col < n_vocab  # composed words are not candidates
            scores[rows[inside], col[inside]] = -np.inf
        n_available = n_vocab - np.array([len({v for v in (x, y, z) if v < n_vocab})
                                          for x, y, z in q])
        best = np.argmax(scores, axis=1)
        result = np.where(n_available > 0, canonical[best], -1)
        # Like gensim, skip candidates that are case variants of a, b or c (they map
        # to the same canonical index), looking at up to _N_CANDIDATES candidates;
        # if all of them are variants, the last one stands as the prediction.
        pending = rows[(n_available > 0) & _is_input(result, q)]
        for n_seen in range(1, _N_CANDIDATES):
            pending = pending[n_available[pending] > n_seen]
            if pending.size == 0:
                break
            scores[pending, best[pending]] = -np.inf
            best[pending] = np.argmax(scores[pending], axis=1)
            result[pending] = canonical[best[pending]]
            pending = pending[_is_input(result[pending], q[pending])]
        predicted[start : start + batch] = result
    return predicted


def _is_input(result: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Row-wise test ``result[i] in q[i]``."""
    return (result[:, None] == q).any(axis=1)


def _known_questions(
    sections: list[tuple[str, list[Quadruple]]], lookup: dict[str, int], case_insensitive: bool
) -> tuple[np.ndarray, list[bool]]:
    """Vocabulary indices of the questions whose four words are all known.

    Parameters
    ----------
    sections : list of (str, list of (str, str, str, str))
        The questions, section by section.
    lookup : dict of str to int
        Normalised word to index (see :func:`_restricted_vocab`).
    case_insensitive : bool
        Whether words are compared in upper case.

    Returns
    -------
    ids : ndarray of int of shape (n_attempted, 4)
        Indices of ``a``, ``b``, ``c`` and ``d`` of the attempted questions.
    attempted : list of bool
        For every question of every section, in order, whether it has a row
        in ``ids``.
    """
    index_rows: list[list[int]] = []
    attempted: list[bool] = []
    for _, questions in sections:
        for quad in questions:
            row = [lookup.get(_normalise(w, case_insensitive), -1) for w in quad]
            attempted.append(min(row) >= 0)
            if attempted[-1]:
                index_rows.append(row)
    return np.array(index_rows, dtype=np.intp).reshape(-1, 4), attempted


def _questions_with_unseen(
    kv: KeyedVectors,
    sections: list[tuple[str, list[Quadruple]]],
    lookup: dict[str, int],
    case_insensitive: bool,
    n_vocab: int,
) -> tuple[np.ndarray, list[bool], np.ndarray, np.ndarray]:
    """Like :func:`_known_questions`, composing ``a``, ``b`` and ``c`` when unseen.

    A question is attempted when ``d`` is in the restricted vocabulary (an
    answer outside it could never be found) and ``a``, ``b`` and ``c`` each
    have a vector: in the restricted vocabulary, or composed from their
    n-grams.

    Returns
    -------
    ids : ndarray of int of shape (n_attempted, 4)
        Indices of ``a``, ``b``, ``c`` and ``d``; from ``n_vocab`` on, rows
        of ``extra``.
    attempted : list of bool
        For every question, whether it has a row in ``ids``.
    composed : ndarray of bool of shape (n_attempted,)
        Whether the question used a composed vector.
    extra : ndarray of shape (n_extra, vector_size)
        Unit-normed composed vectors.
    """
    quads = [quad for _, questions in sections for quad in questions]
    unseen = _UnseenRows(kv, (w for quad in quads for w in quad[:3]
                              if _normalise(w, case_insensitive) not in lookup),
                         case_insensitive, n_vocab)
    index_rows: list[list[int]] = []
    attempted: list[bool] = []
    for quad in quads:
        d = lookup.get(_normalise(quad[3], case_insensitive), -1)
        row = [lookup.get(_normalise(w, case_insensitive)) for w in quad[:3]]
        row = [unseen.index(w) if i is None else i for w, i in zip(quad[:3], row, strict=True)]
        attempted.append(d >= 0 and None not in row)
        if attempted[-1]:
            index_rows.append([*row, d])
    ids = np.array(index_rows, dtype=np.intp).reshape(-1, 4)
    return ids, attempted, (ids[:, :3] >= n_vocab).any(axis=1), unseen.normed


def _section_result(
    name: str, correct: list[Quadruple], incorrect: list[Quadruple], n_total: int,
    n_composed: int = 0,
) -> AnalogySectionResult:
    """The result of one section (or of the total) from its answered questions."""
    return AnalogySectionResult(
        name=name,
        n_correct=len(correct),
        n_attempted=len(correct) + len(incorrect),
        n_total=n_total,
        correct=tuple(correct),
        incorrect=tuple(incorrect),
        n_composed=n_composed,
    )


def _section_results(
    sections: list[tuple[str, list[Quadruple]]], attempted: list[bool], is_correct: list[bool],
    composed: list[bool] | None = None,
) -> tuple[AnalogySectionResult, ...]:
    """Sort the questions into correct and incorrect, section by section.

    Parameters
    ----------
    sections : list of (str, list of (str, str, str, str))
        The questions, section by section.
    attempted : list of bool
        For every question, whether it was answered.
    is_correct : list of bool
        For every answered question, whether the answer was right.
    composed : list of bool, optional
        For every answered question, whether it used a composed vector.

    Returns
    -------
    results : tuple of AnalogySectionResult
        One per section, then the ``"total"``.
    """
    results: list[AnalogySectionResult] = []
    all_correct: list[Quadruple] = []
    all_incorrect: list[Quadruple] = []
    answers = iter(is_correct)
    used_composed = iter(composed if composed is not None else [False] * len(is_correct))
    flags = iter(attempted)
    n_all_composed = 0
    for name, questions in sections:
        correct: list[Quadruple] = []
        incorrect: list[Quadruple] = []
        n_composed = 0
        for quad in questions:
            if next(flags):
                (correct if next(answers) else incorrect).append(quad)
                n_composed += bool(next(used_composed))
        results.append(_section_result(name, correct, incorrect, len(questions), n_composed))
        all_correct.extend(correct)
        all_incorrect.extend(incorrect)
        n_all_composed += n_composed
    n_total = sum(len(questions) for _, questions in sections)
    results.append(_section_result("total", all_correct, all_incorrect, n_total,
                                   n_all_composed))
    return tuple(results)


def evaluate_analogies(
    kv: Any,
    path_or_sections: str | os.PathLike | Sequence[tuple[str, Sequence[Quadruple]]],
    restrict_vocab: int | None = 30000,
    case_insensitive: bool = True,
    unseen: str = "skip",
) -> AnalogyResult:
    """Score word vectors on analogy questions with 3CosAdd.

    Reproduces the protocol of gensim's ``KeyedVectors.evaluate_word_analogies``
    (with ``dummy4unknown=False``) and of word2vec's ``compute-accuracy``:

    1. keep the first ``restrict_vocab`` words of the vocabulary (sorted by
       decreasing frequency, by convention);
    2. if ``case_insensitive``, upper-case the questions and the kept words,
       a word's vector being that of its first case variant;
    3. skip the questions with a word outside the kept words;
    4. answer "``a`` : ``b`` :: ``c`` : ?" with the kept word of highest cosine
       to ``b - a + c`` (unit-normed vectors), excluding ``a``, ``b``, ``c``
       and their case variants;
    5. count the answer as correct when it is ``d``.

    With ``unseen="compose"``, step 3 changes: a question word ``a``, ``b``
    or ``c`` outside the kept words gets its vector composed from its
    character n-grams (of its lower-case form if ``case_insensitive``, else
    as written), even if it is a vocabulary word beyond ``restrict_vocab``
    (the kept words are the vocabulary of the evaluation; pass
    ``restrict_vocab=None`` to keep them all). Composed words are never
    candidate answers, and a question is still skipped when ``d`` is not a
    kept word (no answer could be right) or a word has no n-gram.

    Parameters
    ----------
    kv : KeyedVectors
        The word vectors (a gensim ``KeyedVectors`` or model is converted).
    path_or_sections : str, os.PathLike or sequence of (str, sequence of 4-tuples)
        A question file (see :func:`read_analogies`) or its parsed content.
    restrict_vocab : int or None, default=30000
        Number of leading vocabulary words to use; None uses all words.
    case_insensitive : bool, default=True
        Compare words in upper case.
    unseen : {"skip", "compose"}, default="skip"
        ``"skip"`` skips questions with a word outside the kept words (the
        protocol above); ``"compose"`` composes ``a``, ``b`` and ``c`` from
        their n-grams (subword vectors only).

    Returns
    -------
    result : AnalogyResult
        Accuracy, counts and coverage, overall and per section; with
        ``unseen="compose"`` also ``n_composed``, the attempted questions
        that used a composed vector.

    Raises
    ------
    ValueError
        If ``unseen`` is unknown, or ``"compose"`` for vectors without
        n-gram rows.
    """
    kv = _as_keyed_vectors(kv)
    _check_unseen(unseen, kv)
    if isinstance(path_or_sections, (str, os.PathLike)):
        sections = read_analogies(path_or_sections)
    else:
        sections = _check_sections(path_or_sections)
    n_vocab, lookup, canonical = _restricted_vocab(kv, restrict_vocab, case_insensitive)
    normed = kv.get_normed_vectors()[:n_vocab]
    composed = extra = None
    if unseen == "compose":
        ids, attempted, composed, extra = _questions_with_unseen(
            kv, sections, lookup, case_insensitive, n_vocab)
    else:
        ids, attempted = _known_questions(sections, lookup, case_insensitive)
    predicted = _answer_analogies(normed, canonical, ids[:, :3], extra)
    is_correct = (predicted == ids[:, 3]).tolist()
    return AnalogyResult(
        sections=_section_results(sections, attempted, is_correct,
                                  None if composed is None else composed.tolist()),
        restrict_vocab=n_vocab,
        case_insensitive=case_insensitive,
        unseen=unseen,
    )


def evaluate_similarity(
    kv: Any,
    path_or_pairs: str | os.PathLike | Sequence[tuple[str, str, float]],
    case_insensitive: bool = True,
    restrict_vocab: int | None = 300000,
    unseen: str = "skip",
) -> SimilarityResult:
    """Correlate model cosine similarities with human similarity scores.

    Follows gensim's ``KeyedVectors.evaluate_word_pairs`` with
    ``dummy4unknown=False``: pairs with a word outside the first
    ``restrict_vocab`` words are skipped (and counted in ``n_oov``); for the
    others the cosine of the two unit-normed vectors is compared with the
    human score by Spearman's and Pearson's correlations.

    With ``unseen="compose"``, a word outside the first ``restrict_vocab``
    words gets its vector composed from its character n-grams instead (of
    its lower-case form if ``case_insensitive``, else as written), even if
    it is a vocabulary word beyond ``restrict_vocab``; only a pair with a
    word without n-grams is skipped. ``n_composed`` counts the scored pairs
    that used a composed vector.

    Parameters
    ----------
    kv : KeyedVectors
        The word vectors (a gensim ``KeyedVectors`` or model is converted).
    path_or_pairs : str, os.PathLike or sequence of (str, str, float)
        A pair file (see :func:`read_similarity`) or its parsed content.
    case_insensitive : bool, default=True
        Compare words in upper case, a word's vector being that of its first
        case variant in the vocabulary.
    restrict_vocab : int or None, default=300000
        Number of leading vocabulary words to use; None uses all words.
    unseen : {"skip", "compose"}, default="skip"
        ``"skip"`` skips pairs with a word outside those words; ``"compose"``
        composes such words from their n-grams (subword vectors only).

    Returns
    -------
    result : SimilarityResult
        Correlations, p-values and coverage (``n_used``, and with
        ``unseen="compose"`` ``n_composed``). Correlations are NaN when
        fewer than two pairs are usable or either score list is constant.

    Raises
    ------
    ValueError
        If ``unseen`` is unknown, or ``"compose"`` for vectors without
        n-gram rows.
    """
    kv = _as_keyed_vectors(kv)
    _check_unseen(unseen, kv)
    if isinstance(path_or_pairs, (str, os.PathLike)):
        pairs = read_similarity(path_or_pairs)
    else:
        pairs = [(str(w1), str(w2), float(score)) for w1, w2, score in path_or_pairs]
    _, lookup, _ = _restricted_vocab(kv, restrict_vocab, case_insensitive)
    normed = kv.get_normed_vectors()
    extra = None
    if unseen == "compose":
        rows = _UnseenRows(kv, (w for w1, w2, _ in pairs for w in (w1, w2)
                                if _normalise(w, case_insensitive) not in lookup),
                           case_insensitive, len(normed))
        extra = rows.normed

    left, right, gold = [], [], []
    for w1, w2, score in pairs:
        i = lookup.get(_normalise(w1, case_insensitive))
        j = lookup.get(_normalise(w2, case_insensitive))
        if extra is not None:
            i = rows.index(w1) if i is None else i
            j = rows.index(w2) if j is None else j
        if i is not None and j is not None:
            left.append(i)
            right.append(j)
            gold.append(score)
    left_ids = np.array(left, dtype=np.intp)
    right_ids = np.array(right, dtype=np.intp)
    model = np.einsum(
        "ij,ij->i",
        stacked_rows(normed, extra, left_ids).astype(np.float64),
        stacked_rows(normed, extra, right_ids).astype(np.float64),
    )
    n_composed = int(np.sum((left_ids >= len(normed)) | (right_ids >= len(normed))))
    nan = float("nan")
    spearman = pearson = (nan, nan)
    if len(gold) >= 2:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", stats.ConstantInputWarning)
            spearman = tuple(stats.spearmanr(gold, model))
            if np.ptp(gold) > 0 and np.ptp(model) > 0:
                pearson = tuple(stats.pearsonr(gold, model))
    return SimilarityResult(
        spearman=float(spearman[0]),
        pearson=float(pearson[0]),
        spearman_pvalue=float(spearman[1]),
        pearson_pvalue=float(pearson[1]),
        n_pairs=len(pairs),
        n_used=len(gold),
        n_composed=n_composed,
        unseen=unseen,
    )
