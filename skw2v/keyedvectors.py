"""Word vectors with similarity queries and word2vec file input/output.

:class:`KeyedVectors` holds an ordered vocabulary (``index_to_key``, usually
sorted by decreasing frequency) and one vector per word. It answers the usual
queries (nearest neighbours, analogies, odd one out) with cosine similarity
on unit-normed vectors, and reads and writes the two word2vec file formats of
the original C tool, text and binary
(:meth:`KeyedVectors.load_word2vec_format`,
:meth:`KeyedVectors.save_word2vec_format`). The files are byte-identical to
those of gensim 4 for the same float32 vectors; paths ending in ``.gz`` or
``.bz2`` are compressed and decompressed transparently. No pickle is ever
used.

With subword information (the hashed character n-gram rows of a model
trained with ``char_ngram_range``, as in fastText), a :class:`KeyedVectors`
also answers for words outside its vocabulary: ``kv["computr"]``,
``kv.most_similar("computr")`` and ``kv.similarity("computr", "computer")``
compose the vector of an unseen word as the mean of its n-gram rows.
``word in kv`` keeps meaning "``word`` is in the vocabulary";
:meth:`KeyedVectors.has_vector` tells whether a vector can be made.

The files themselves are read and written by the file layer
(``skw2v._files.word2vec``, over plain lists of words and arrays). This
module imports only NumPy, the standard library and that layer; gensim is
imported lazily by :meth:`KeyedVectors.to_gensim`.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from ._core.subwords import SubwordSpec, compose, composition_matrix
from ._files import word2vec as _word2vec

__all__ = ["KeyedVectors", "UnknownWordError"]

PathLike = str | os.PathLike

# Rows per block when computing norms in float64.
_NORM_BLOCK_ROWS = 1 << 15


class UnknownWordError(KeyError):
    """A word that is not in the vocabulary: the KeyError of :class:`KeyedVectors`.

    It is a :class:`KeyError`, so ``except KeyError`` catches it, and its
    ``str`` is that of a KeyError of ``message``.

    Parameters
    ----------
    message : str
        One-line description, naming the word and suggesting case variants
        that are in the vocabulary.
    word : object, optional
        The word (or other key) that was looked up.

    Attributes
    ----------
    message : str
        The description, for display without KeyError's quotes.
    word : object
        The key that was looked up.
    """

    def __init__(self, message: str, word: object = None) -> None:
        super().__init__(message)
        self.message = message
        self.word = word


def check_restrict_vocab(restrict_vocab: int | None, n_words: int) -> int:
    """Number of leading words searched, from a ``restrict_vocab`` argument.

    The one check of the ``restrict_vocab`` argument of the queries of
    :class:`KeyedVectors` and of the functions of :mod:`skw2v.evaluation`.

    Parameters
    ----------
    restrict_vocab : int or None
        None for the whole vocabulary, else a positive int.
    n_words : int
        Size of the vocabulary.

    Returns
    -------
    n_search : int
        ``min(restrict_vocab, n_words)``, or ``n_words`` for None.

    Raises
    ------
    TypeError
        If ``restrict_vocab`` is neither an int (a bool is not one) nor None.
    ValueError
        If ``restrict_vocab`` is smaller than 1.
    """
    if restrict_vocab is None:
        return n_words
    if isinstance(restrict_vocab, bool) or not isinstance(restrict_vocab, (int, np.integer)):
        raise TypeError(f"restrict_vocab must be an int or None, got {restrict_vocab!r}")
    if restrict_vocab < 1:
        raise ValueError(f"restrict_vocab must be >= 1, got {restrict_vocab}")
    return min(int(restrict_vocab), n_words)


# --------------------------------------------------------------------------
# Validation and array helpers of KeyedVectors
# --------------------------------------------------------------------------
def _checked_vectors(vectors: Any, keys: Sequence[str]) -> np.ndarray:
    """Validate ``vectors`` against the vocabulary ``keys`` and return it as an ndarray."""
    arr = np.asarray(vectors)
    if arr.dtype.kind == "c":
        raise TypeError("vectors must be real, got a complex array")
    if arr.dtype.kind not in "f":
        if arr.dtype.kind not in "biu":
            raise TypeError(f"vectors must be numeric, got dtype {arr.dtype}")
        arr = arr.astype(np.float64)
    if arr.ndim != 2:
        raise ValueError(f"vectors must be 2-D (n_words, vector_size), got shape {arr.shape}")
    if arr.shape[0] != len(keys):
        raise ValueError(f"vectors has {arr.shape[0]} rows but there are {len(keys)} keys")
    finite = np.isfinite(arr)
    if not finite.all():
        bad_rows = np.flatnonzero(~finite.all(axis=1))
        first = int(bad_rows[0])
        raise ValueError(
            f"vectors contain non-finite values (NaN or inf) in {bad_rows.size} row(s); "
            f"first at row {first} (key {keys[first]!r})"
        )
    return np.ascontiguousarray(arr)


def _checked_counts(counts: Any, n_words: int) -> np.ndarray | None:
    """Validate ``counts`` and return it as int64, or None."""
    if counts is None:
        return None
    arr = np.asarray(counts)
    if arr.shape != (n_words,):
        raise ValueError(f"counts must have shape ({n_words},), got {arr.shape}")
    if arr.dtype.kind not in "biu":
        if arr.dtype.kind != "f" or not np.all(np.isfinite(arr) & (arr == np.round(arr))):
            raise ValueError("counts must be integers")
    arr = arr.astype(np.int64)
    if np.any(arr < 0):
        raise ValueError("counts must be non-negative")
    return arr


def _checked_ngram_rows(value: Any, vector_size: int) -> np.ndarray:
    """Validate the n-gram bucket rows and return them as an ndarray (no copy if possible)."""
    arr = np.asarray(value)
    if arr.dtype.kind not in "f":
        if arr.dtype.kind not in "biu":
            raise TypeError(f"vectors_ngrams must be real numbers, got dtype {arr.dtype}")
        arr = arr.astype(np.float64)
    if arr.ndim != 2 or arr.shape[0] < 1 or arr.shape[1] != vector_size:
        raise ValueError(
            f"vectors_ngrams must have shape (n_buckets, {vector_size}) with n_buckets >= 1 "
            f"(one row per hash bucket, as many columns as the word vectors), got shape "
            f"{arr.shape}")
    # checked in blocks: a full mask of the 2,000,000 default buckets would take 200 MB
    for start in range(0, arr.shape[0], _NORM_BLOCK_ROWS):
        block = arr[start : start + _NORM_BLOCK_ROWS]
        if not np.isfinite(block).all():
            row = start + int(np.flatnonzero(~np.isfinite(block).all(axis=1))[0])
            raise ValueError(f"vectors_ngrams contain non-finite values (NaN or inf); first "
                             f"at row {row}")
    return np.ascontiguousarray(arr)


def _checked_ngram_range(value: Any) -> tuple[int, int]:
    """Validate ``char_ngram_range`` and return it as a tuple of two ints."""
    ok = (isinstance(value, (tuple, list)) and len(value) == 2
          and all(isinstance(n, (int, np.integer)) and not isinstance(n, bool) for n in value)
          and 1 <= value[0] <= value[1])
    if not ok:
        raise ValueError(f"char_ngram_range must be a tuple (min_n, max_n) of ints with "
                         f"1 <= min_n <= max_n, such as (3, 6), got {value!r}")
    return int(value[0]), int(value[1])


def _checked_boundaries(value: Any) -> tuple[str, str]:
    """Validate ``word_boundaries`` and return it as a tuple of two str."""
    if not (isinstance(value, (tuple, list)) and len(value) == 2
            and all(isinstance(m, str) for m in value)):
        raise ValueError(f"word_boundaries must be a tuple of two str, such as ('<', '>'), "
                         f"got {value!r}")
    return value[0], value[1]


def _unit(vec: np.ndarray) -> np.ndarray:
    """One vector in float64 scaled to unit norm (a zero vector stays zero)."""
    vec = np.asarray(vec, dtype=np.float64)
    norm = np.linalg.norm(vec)
    return vec / norm if norm > 0 else vec


def _unit_rows(vectors: np.ndarray) -> np.ndarray:
    """``vectors`` scaled to unit norm (norms in float64, zero rows kept), read-only."""
    normed = np.empty_like(vectors)
    for start in range(0, len(vectors), _NORM_BLOCK_ROWS):
        block = vectors[start : start + _NORM_BLOCK_ROWS].astype(np.float64)
        norms = np.sqrt(np.einsum("ij,ij->i", block, block))
        norms[norms == 0.0] = 1.0
        normed[start : start + _NORM_BLOCK_ROWS] = block / norms[:, None]
    normed.flags.writeable = False
    return normed


def _check_topn(topn: int | None) -> None:
    """Validate the ``topn`` argument of a query."""
    if topn is None:
        return
    if isinstance(topn, bool) or not isinstance(topn, (int, np.integer)):
        raise TypeError(f"topn must be an int or None, got {topn!r}")
    if topn < 0:
        raise ValueError(f"topn must be >= 0, got {topn}")


def _as_term_list(value: Any) -> list:
    """Wrap a single word or vector into a list; turn a 2-D array into rows."""
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, np.ndarray):
        if value.ndim == 1:
            return [value]
        if value.ndim == 2:
            return list(value)
        raise ValueError(f"query arrays must be 1-D or 2-D, got shape {value.shape}")
    return list(value)


def _top(scores: np.ndarray, exclude: Iterable[int], topn: int,
         keys: Sequence[str]) -> list[tuple[str, float]]:
    """Best ``topn`` (key, score) pairs, ties broken by index, ``exclude`` skipped."""
    masked = scores.astype(np.float64)
    excluded = [i for i in set(exclude) if i < len(masked)]
    masked[excluded] = -np.inf
    k = min(topn, len(masked) - len(excluded))
    if k <= 0:
        return []
    if k < len(masked):
        candidates = np.argpartition(-masked, k - 1)[:k]
    else:
        candidates = np.arange(len(masked))
    # The partition may cut through a tie: widen to all entries tied with the k-th.
    kth = masked[candidates].min()
    candidates = np.flatnonzero(masked >= kth)
    order = candidates[np.lexsort((candidates, -masked[candidates]))][:k]
    return [(keys[i], float(scores[i])) for i in order]


# --------------------------------------------------------------------------
# Similarity queries
# --------------------------------------------------------------------------
class _SimilarityQueries:
    """The cosine-similarity queries of :class:`KeyedVectors`.

    Written against what a subclass provides: ``index_to_key``,
    ``vector_size``, ``len()``, ``get_normed_vectors``, ``_word_unit_vector``
    (the unit vector of any word that has one, vocabulary or composed) and
    indexing by a list of words. Holds no state of its own.
    """

    def _term_vector(self, term: Any) -> tuple[np.ndarray, int | None]:
        """Unit vector of a query term (a word or a vector) and its index, if a vocabulary word."""
        if isinstance(term, str):
            return self._word_unit_vector(term)
        vec = np.asarray(term, dtype=np.float64)
        if vec.shape != (self.vector_size,):
            raise ValueError(
                f"query vectors must have shape ({self.vector_size},), got {vec.shape}"
            )
        if not np.all(np.isfinite(vec)):
            raise ValueError("query vector contains non-finite values")
        norm = np.linalg.norm(vec)
        return (vec / norm if norm > 0 else vec), None

    def most_similar(
        self,
        positive: Any = None,
        negative: Any = None,
        topn: int | None = 10,
        restrict_vocab: int | None = None,
    ) -> list[tuple[str, float]] | np.ndarray:
        """Find the words closest in cosine to a combination of query terms.

        Each term, a word or a vector, is scaled to unit norm; positive terms
        get weight +1 and negative terms weight -1; the weighted mean is
        normalised and compared with every word by cosine similarity. With
        ``positive=[b, c], negative=[a]`` this is the 3CosAdd analogy method
        of word2vec's ``word-analogy`` tool (see :meth:`analogy`).

        Unlike gensim, vectors passed as terms are normalised too, so that
        every term weighs the same whatever its length.

        With subword information (see :class:`KeyedVectors`), a query word
        outside the vocabulary gets its composed vector. Only query words
        that are in the vocabulary are left out of the result: the result
        lists vocabulary words only, so an unseen query word cannot appear
        in it anyway.

        Parameters
        ----------
        positive : str, ndarray or list of (str or ndarray), optional
            Terms that attract. A 2-D array is a list of vectors.
        negative : str, ndarray or list of (str or ndarray), optional
            Terms that repel.
        topn : int or None, default=10
            Number of words to return. ``None`` returns the similarity of
            every searched word, input words included, as an array.
        restrict_vocab : int, optional
            Only search the first ``restrict_vocab`` words.

        Returns
        -------
        result : list of (str, float) or ndarray
            ``(word, cosine)`` pairs sorted by decreasing cosine (ties by
            index), with the query words left out; or, if ``topn`` is None, an
            ndarray of shape (n_searched,) of cosines.

        Raises
        ------
        KeyError
            If a query word has no vector: it is not in the vocabulary, and
            there is no subword information or it has no n-gram.
        ValueError
            If no term is given, or a vector has the wrong shape.
        """
        _check_topn(topn)
        positive = _as_term_list(positive)
        negative = _as_term_list(negative)
        if not positive and not negative:
            raise ValueError("most_similar() needs at least one positive or negative term")
        n_search = check_restrict_vocab(restrict_vocab, len(self))
        mean = np.zeros(self.vector_size, dtype=np.float64)
        exclude: list[int] = []
        for terms, sign in ((positive, 1.0), (negative, -1.0)):
            for term in terms:
                vec, index = self._term_vector(term)
                mean += sign * vec
                if index is not None:
                    exclude.append(index)
        norm = np.linalg.norm(mean)
        if norm > 0:
            mean /= norm
        normed = self.get_normed_vectors()[:n_search]
        scores = normed @ mean.astype(normed.dtype)
        if topn is None:
            return scores
        return _top(scores, exclude, int(topn), self.index_to_key)

    def most_similar_cosmul(
        self,
        positive: Any = None,
        negative: Any = None,
        topn: int | None = 10,
        restrict_vocab: int | None = None,
    ) -> list[tuple[str, float]] | np.ndarray:
        """Find similar words with the multiplicative 3CosMul objective.

        Cosines are shifted to ``[0, 1]`` as ``(1 + cos) / 2``; the score of a
        word is the product over positive terms divided by the product over
        negative terms plus ``1e-6`` (Levy and Goldberg, 2014).

        Parameters
        ----------
        positive : str, ndarray or list of (str or ndarray), optional
            Terms in the numerator. At least one is required.
        negative : str, ndarray or list of (str or ndarray), optional
            Terms in the denominator.
        topn : int or None, default=10
            Number of words to return; ``None`` returns all scores.
        restrict_vocab : int, optional
            Only search the first ``restrict_vocab`` words.

        Returns
        -------
        result : list of (str, float) or ndarray
            ``(word, score)`` pairs by decreasing score, query words left
            out; or all scores if ``topn`` is None.

        Raises
        ------
        KeyError
            If a query word has no vector: it is not in the vocabulary, and
            there is no subword information or it has no n-gram.
        ValueError
            If there is no positive term.
        """
        _check_topn(topn)
        positive = _as_term_list(positive)
        negative = _as_term_list(negative)
        if not positive:
            raise ValueError("most_similar_cosmul() needs at least one positive term")
        n_search = check_restrict_vocab(restrict_vocab, len(self))
        normed = self.get_normed_vectors()[:n_search].astype(np.float64)
        exclude: list[int] = []
        numerator = np.ones(n_search)
        denominator = np.ones(n_search)
        for terms, product in ((positive, numerator), (negative, denominator)):
            for term in terms:
                vec, index = self._term_vector(term)
                product *= (1.0 + normed @ vec) / 2.0
                if index is not None:
                    exclude.append(index)
        scores = numerator / (denominator + 1e-6) if negative else numerator
        if topn is None:
            return scores
        return _top(scores, exclude, int(topn), self.index_to_key)

    def analogy(
        self,
        a: str,
        b: str,
        c: str,
        topn: int = 1,
        restrict_vocab: int | None = None,
    ) -> list[tuple[str, float]]:
        """Solve "``a`` is to ``b`` as ``c`` is to ?" with 3CosAdd.

        The answer maximises ``cos(x, b - a + c)`` on unit-normed vectors,
        over words other than ``a``, ``b`` and ``c``.

        Parameters
        ----------
        a, b, c : str
            The query words.
        topn : int, default=1
            Number of candidates to return.
        restrict_vocab : int, optional
            Only search the first ``restrict_vocab`` words.

        Returns
        -------
        candidates : list of (str, float)
            Best answers first, with their cosine.

        Raises
        ------
        KeyError
            If a query word has no vector: it is not in the vocabulary, and
            there is no subword information or it has no n-gram.
        """
        return self.most_similar(
            positive=[b, c], negative=[a], topn=topn, restrict_vocab=restrict_vocab
        )

    def similarity(self, w1: str, w2: str) -> float:
        """Cosine similarity of two words.

        Parameters
        ----------
        w1, w2 : str
            Words: vocabulary words, or with subword information any string
            that has a character n-gram (its vector is composed).

        Returns
        -------
        cosine : float
            0.0 if either vector is zero.

        Raises
        ------
        KeyError
            If a word has no vector: it is not in the vocabulary, and there
            is no subword information or it has no n-gram.
        """
        u, _ = self._word_unit_vector(w1)
        v, _ = self._word_unit_vector(w2)
        return float(u @ v)

    def distance(self, w1: str, w2: str) -> float:
        """Cosine distance ``1 - similarity(w1, w2)``.

        Parameters
        ----------
        w1, w2 : str
            Words.

        Returns
        -------
        distance : float
            In ``[0, 2]`` up to rounding.

        Raises
        ------
        KeyError
            If a word has no vector (see :meth:`similarity`).
        """
        return 1.0 - self.similarity(w1, w2)

    def distances(self, word_or_vector: Any, other_words: Sequence[str] = ()) -> np.ndarray:
        """Cosine distances from a word or a vector to other words.

        Parameters
        ----------
        word_or_vector : str or ndarray of shape (vector_size,)
            A word (composed from its n-grams if it is unseen and there is
            subword information) or a vector.
        other_words : sequence of str, default=()
            The words to measure the distance to (unseen ones composed too);
            empty for every vocabulary word, in index order.

        Returns
        -------
        distances : ndarray of float64 of shape (n_other,)
            ``1 - cosine``, in ``[0, 2]`` up to rounding.

        Raises
        ------
        KeyError
            If a word has no vector (see :meth:`similarity`).
        """
        if isinstance(other_words, str):
            raise TypeError("distances() takes a list of other words, not a string")
        query, _ = self._term_vector(word_or_vector)
        words = list(other_words)
        if not words:
            return 1.0 - self.get_normed_vectors().astype(np.float64) @ query
        others = np.stack([self._word_unit_vector(w)[0] for w in words])
        return 1.0 - others @ query

    def most_similar_to_given(self, key1: str, keys_list: Sequence[str]) -> str:
        """The word of ``keys_list`` most similar to ``key1``.

        Parameters
        ----------
        key1 : str
            The query word (composed if unseen, with subword information).
        keys_list : sequence of str
            Non-empty list of candidates (unseen ones composed too).

        Returns
        -------
        word : str
            The candidate of highest cosine to ``key1`` (the first on ties).

        Raises
        ------
        KeyError
            If a word has no vector (see :meth:`similarity`).
        ValueError
            If ``keys_list`` is empty.
        """
        if isinstance(keys_list, str):
            raise TypeError("most_similar_to_given() takes a list of candidates, not a string")
        keys = list(keys_list)
        if not keys:
            raise ValueError("most_similar_to_given() needs at least one candidate")
        return keys[int(np.argmin(self.distances(key1, keys)))]

    def n_similarity(self, ws1: Sequence[str], ws2: Sequence[str]) -> float:
        """Cosine similarity between the mean vectors of two sets of words.

        As in gensim, the raw (not unit-normed) vectors are averaged.

        Parameters
        ----------
        ws1, ws2 : sequence of str
            Non-empty lists of words (unseen words composed, with subword
            information).

        Returns
        -------
        cosine : float
            0.0 if either mean vector is zero.

        Raises
        ------
        KeyError
            If a word has no vector (see :meth:`similarity`).
        ValueError
            If either list is empty.
        """
        if isinstance(ws1, str) or isinstance(ws2, str):
            raise TypeError("n_similarity() takes two lists of words, not strings")
        if len(ws1) == 0 or len(ws2) == 0:
            raise ValueError("n_similarity() needs two non-empty lists of words")
        means = []
        for words in (ws1, ws2):
            mean = self[list(words)].astype(np.float64).mean(axis=0)
            norm = np.linalg.norm(mean)
            means.append(mean / norm if norm > 0 else mean)
        return float(means[0] @ means[1])

    def doesnt_match(self, words: Sequence[str]) -> str:
        """Find the word furthest from the others.

        The unit-normed vectors of ``words`` are averaged and the word with the
        lowest cosine to that mean is returned (the first such word on ties).

        Parameters
        ----------
        words : sequence of str
            Non-empty list of words (unseen words composed, with subword
            information).

        Returns
        -------
        word : str

        Raises
        ------
        KeyError
            If a word has no vector (see :meth:`similarity`).
        ValueError
            If ``words`` is empty.
        """
        if isinstance(words, str):
            raise TypeError("doesnt_match() takes a list of words, not a string")
        words = list(words)
        if not words:
            raise ValueError("doesnt_match() needs at least one word")
        vecs = np.stack([self._word_unit_vector(w)[0] for w in words])
        mean = vecs.mean(axis=0)
        norm = np.linalg.norm(mean)
        if norm > 0:
            mean /= norm
        return words[int(np.argmin(vecs @ mean))]


# --------------------------------------------------------------------------
# KeyedVectors
# --------------------------------------------------------------------------
class KeyedVectors(_SimilarityQueries):
    """An ordered vocabulary of words, each with a dense vector.

    Optionally with subword information, as in fastText (Bojanowski et al.,
    2017): rows of hashed character n-grams from which the vector of a word
    outside the vocabulary is composed.

    Parameters
    ----------
    index_to_key : sequence of str
        The words, unique, in index order (conventionally by decreasing
        frequency, which is what ``restrict_vocab`` arguments rely on).
    vectors : array-like of shape (n_words, vector_size)
        One row per word. Floating dtypes are kept; other numeric input is
        converted to float64. All values must be finite. With subwords these
        are the words' composed vectors (the mean of their own row and their
        n-gram rows), as :attr:`SkipGramVectorizer.vectors_` holds them.
    counts : array-like of int of shape (n_words,), optional
        Word frequencies, stored as int64.
    vectors_ngrams : array-like of shape (n_buckets, vector_size), optional
        The rows of the n-gram hash buckets. Given together with
        ``char_ngram_range``; the number of rows is the number of buckets.
    char_ngram_range : tuple (min_n, max_n), optional
        Lengths of the character n-grams, boundary marks included. Required
        with ``vectors_ngrams``.
    word_boundaries : tuple of two str, default=("<", ">")
        Marks put around a word before its n-grams are taken.

    Attributes
    ----------
    index_to_key : list of str
        The words in index order. Treat as read-only.
    key_to_index : dict of str to int
        Inverse of ``index_to_key``. Treat as read-only.
    vectors : ndarray of shape (n_words, vector_size)
        The word vectors. Assigning a new array re-validates it and clears the
        cached unit-normed vectors; after modifying it *in place*, assign it to
        itself (``kv.vectors = kv.vectors``) to clear the cache.
    counts : ndarray of int64 of shape (n_words,) or None
        Word frequencies, if known.
    vectors_ngrams : ndarray of shape (n_buckets, vector_size) or None
        The n-gram bucket rows, or None without subword information.
    char_ngram_range : tuple (min_n, max_n) or None
        The n-gram lengths, or None without subword information.
    word_boundaries : tuple of two str or None
        The boundary marks, or None without subword information.

    Notes
    -----
    **Words outside the vocabulary.** With subword information, the vector
    of a string that is not in the vocabulary is the mean of the rows of its
    character n-grams, each n-gram counted as often as it occurs (fastText's
    and gensim's rule; the n-grams are hashed with fastText's hash, so the
    rows of a fastText or gensim model give the same vectors). Every lookup
    and query (``kv[word]``, :meth:`get_vector`, :meth:`most_similar`,
    :meth:`similarity`, :meth:`distances`, :meth:`doesnt_match`, ...)
    accepts such words. A string too short to have an n-gram (fewer than
    ``min_n`` characters with its two marks) has no vector, and raises
    :class:`UnknownWordError` saying so. Vocabulary words keep their own
    rows of :attr:`vectors`.

    **Membership.** ``word in kv`` and :meth:`has_index_for` tell whether
    ``word`` is in the vocabulary, with or without subwords (gensim's
    ``FastTextKeyedVectors`` instead answers True for every string in
    ``in``; skw2v keeps one meaning for ``in``, as for a dict).
    :meth:`has_vector` tells whether a vector can be made, composed or not.

    **Files.** :meth:`save_word2vec_format` writes the vocabulary's vectors
    only, in the plain word2vec format that gensim and the C tool read; the
    n-gram rows are not written. :meth:`SkipGramVectorizer.save
    <skw2v.SkipGramVectorizer.save>` keeps them.

    Examples
    --------
    >>> import numpy as np
    >>> from skw2v import KeyedVectors
    >>> kv = KeyedVectors(["a", "b", "c"], np.array([[1.0, 0.0], [0.9, 0.1], [0.0, 1.0]]))
    >>> kv.most_similar("a", topn=1)[0][0]
    'b'

    With subword rows, an unseen word gets a vector:

    >>> rng = np.random.default_rng(0)
    >>> sub = KeyedVectors(["cat", "dog"], rng.normal(size=(2, 4)),
    ...                    vectors_ngrams=rng.normal(size=(100, 4)),
    ...                    char_ngram_range=(3, 5))
    >>> "cats" in sub, sub.has_vector("cats"), sub["cats"].shape
    (False, True, (4,))
    """

    # Defaults for instances without subwords: their pickles (and those made
    # before subwords existed) carry no such attributes.
    _ngrams: np.ndarray | None = None
    _spec: SubwordSpec | None = None

    def __init__(
        self,
        index_to_key: Sequence[str],
        vectors: Any,
        counts: Any = None,
        *,
        vectors_ngrams: Any = None,
        char_ngram_range: tuple[int, int] | None = None,
        word_boundaries: tuple[str, str] = ("<", ">"),
    ) -> None:
        keys = list(index_to_key)
        for i, key in enumerate(keys):
            if not isinstance(key, str):
                raise TypeError(f"keys must be str, got {type(key).__name__} at index {i}")
        key_to_index: dict[str, int] = {}
        for i, key in enumerate(keys):
            if key in key_to_index:
                raise ValueError(
                    f"duplicate key {key!r} at indices {key_to_index[key]} and {i}; "
                    "keys must be unique"
                )
            key_to_index[key] = i
        self.index_to_key: list[str] = keys
        self.key_to_index: dict[str, int] = key_to_index
        self._normed: np.ndarray | None = None
        self.vectors = vectors  # validated by the property setter
        self.counts = _checked_counts(counts, len(keys))
        if (vectors_ngrams is None) != (char_ngram_range is None):
            raise ValueError(
                "vectors_ngrams and char_ngram_range go together: give both for subword "
                "vectors, or neither")
        if vectors_ngrams is not None:
            min_n, max_n = _checked_ngram_range(char_ngram_range)
            bow, eow = _checked_boundaries(word_boundaries)
            ngrams = _checked_ngram_rows(vectors_ngrams, self.vector_size)
            self._spec = SubwordSpec(min_n, max_n, ngrams.shape[0], bow, eow)
            self._ngrams = ngrams

    # ------------------------------------------------------------------
    # Vocabulary and vectors
    # ------------------------------------------------------------------
    @property
    def vectors(self) -> np.ndarray:
        """ndarray of shape (n_words, vector_size): the word vectors."""
        return self._vectors

    @vectors.setter
    def vectors(self, value: Any) -> None:
        vectors = _checked_vectors(value, self.index_to_key)
        if self._ngrams is not None and vectors.shape[1] != self._ngrams.shape[1]:
            raise ValueError(
                f"vectors must have {self._ngrams.shape[1]} columns, as vectors_ngrams does; "
                f"got shape {vectors.shape}")
        self._vectors = vectors
        self._normed = None

    @property
    def vector_size(self) -> int:
        """int: Dimensionality of the vectors."""
        return int(self._vectors.shape[1])

    @property
    def vectors_ngrams(self) -> np.ndarray | None:
        """ndarray of shape (n_buckets, vector_size) or None: the n-gram bucket rows."""
        return self._ngrams

    @property
    def char_ngram_range(self) -> tuple[int, int] | None:
        """tuple (min_n, max_n) or None: the n-gram lengths, if there are subwords."""
        return None if self._spec is None else (self._spec.min_n, self._spec.max_n)

    @property
    def word_boundaries(self) -> tuple[str, str] | None:
        """tuple of two str or None: the boundary marks, if there are subwords."""
        return None if self._spec is None else (self._spec.bow, self._spec.eow)

    def __len__(self) -> int:
        """Number of words."""
        return len(self.index_to_key)

    def __contains__(self, key: object) -> bool:
        """Whether ``key`` is a vocabulary word (an unseen word is not, even with subwords)."""
        try:
            return key in self.key_to_index
        except TypeError:  # unhashable
            return False

    def has_index_for(self, key: object) -> bool:
        """Whether ``key`` is a word of the vocabulary: ``key in kv``, as in gensim.

        Parameters
        ----------
        key : object

        Returns
        -------
        in_vocabulary : bool
        """
        return key in self

    def has_vector(self, key: object) -> bool:
        """Whether a vector can be given for ``key``, composed or not.

        True for a vocabulary word, and with subword information for any
        string with at least one character n-gram; False otherwise (for
        example a string shorter than ``min_n`` characters with its marks).

        Parameters
        ----------
        key : object

        Returns
        -------
        has_vector : bool
        """
        if key in self:
            return True
        if self._spec is None or not isinstance(key, str):
            return False
        return bool(self._composed([key])[1][0])

    def __iter__(self):
        """Iterate over the words in index order."""
        return iter(self.index_to_key)

    def __repr__(self) -> str:
        subwords = ""
        if self._spec is not None:
            subwords = (f", char_ngram_range={self.char_ngram_range}, "
                        f"n_buckets={self._spec.n_buckets}")
        return (
            f"{type(self).__name__}(n_keys={len(self)}, vector_size={self.vector_size}, "
            f"dtype={self._vectors.dtype}{subwords})"
        )

    def _missing(self, key: object) -> UnknownWordError:
        """Build a helpful KeyError for a word that is not in the vocabulary."""
        message = f"word {key!r} not in vocabulary ({len(self)} words)"
        if isinstance(key, str):
            variants = [v for v in (key.lower(), key.upper(), key.capitalize()) if v != key]
            found = [v for v in dict.fromkeys(variants) if v in self.key_to_index]
            if found:
                message += "; did you mean " + " or ".join(repr(v) for v in found) + "?"
        return UnknownWordError(message, key)

    def _no_vector(self, key: object) -> UnknownWordError:
        """The error for a word that has no vector at all, saying why."""
        error = self._missing(key)
        if self._spec is None or not isinstance(key, str):
            return error
        spec = self._spec
        message = (
            f"{error.message}, and no vector can be composed for it: it has no character "
            f"n-gram of {spec.min_n} to {spec.max_n} characters (counting the boundary marks "
            f"{spec.bow!r} and {spec.eow!r}); it is too short")
        return UnknownWordError(message, key)

    def _composed(self, words: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """Vectors of ``words`` composed from their n-gram rows alone (subwords only).

        Returns
        -------
        vectors : ndarray of shape (len(words), vector_size), dtype of :attr:`vectors`
            The mean of each word's n-gram rows, repeats counted; a zero row
            for a word without n-grams.
        has_ngrams : ndarray of bool of shape (len(words),)
        """
        M = composition_matrix(self._spec, list(words), own_rows=None, n_own=0,
                               dtype=self._ngrams.dtype)
        vectors = compose(M, self._ngrams).astype(self._vectors.dtype, copy=False)
        return vectors, np.diff(M.indptr) > 0

    def _lookup(self, keys: Sequence[Any]) -> np.ndarray:
        """Stacked vectors of ``keys``: vocabulary rows, and composed rows for unseen words."""
        indices = np.fromiter((self.key_to_index.get(k, -1) if isinstance(k, str) else -1
                               for k in keys), dtype=np.intp, count=len(keys))
        unseen = np.flatnonzero(indices < 0)
        if unseen.size == 0:
            return self._vectors[indices]
        if self._spec is None or not all(isinstance(keys[i], str) for i in unseen):
            first = next(keys[i] for i in unseen
                         if self._spec is None or not isinstance(keys[i], str))
            raise self._missing(first)
        composed, ok = self._composed([keys[i] for i in unseen])
        if not ok.all():
            raise self._no_vector(keys[unseen[int(np.argmin(ok))]])
        out = self._vectors[np.where(indices < 0, 0, indices)] if len(self) else np.zeros(
            (len(keys), self.vector_size), dtype=self._vectors.dtype)
        out[unseen] = composed
        return out

    def _word_unit_vector(self, word: str) -> tuple[np.ndarray, int | None]:
        """Unit float64 vector of a word and its index (None for a composed word)."""
        index = self.key_to_index.get(word) if isinstance(word, str) else None
        if index is not None:
            return self.get_normed_vectors()[index].astype(np.float64), index
        if self._spec is None or not isinstance(word, str):
            raise self._missing(word)
        return _unit(self._lookup([word])[0]), None

    def get_index(self, key: str) -> int:
        """Return the row index of ``key``.

        Only vocabulary words have one: an unseen word raises even with
        subword information (its vector is composed, see :meth:`get_vector`).

        Parameters
        ----------
        key : str
            A word.

        Returns
        -------
        index : int

        Raises
        ------
        KeyError
            If ``key`` is not in the vocabulary.
        """
        try:
            return self.key_to_index[key]
        except (KeyError, TypeError):
            raise self._missing(key) from None

    def get_vector(self, key: str, norm: bool = False) -> np.ndarray:
        """Return the vector of one word.

        Parameters
        ----------
        key : str
            A word. With subword information any string that has a character
            n-gram: the vector of a word outside the vocabulary is the mean
            of its n-gram rows.
        norm : bool, default=False
            Return the unit-normed vector (zero vectors stay zero).

        Returns
        -------
        vector : ndarray of shape (vector_size,)
            Read-only: a view for a vocabulary word, a new array for a
            composed one.

        Raises
        ------
        KeyError
            If ``key`` has no vector: it is not in the vocabulary, and there is
            no subword information or it has no n-gram (the message says
            which).
        """
        index = self.key_to_index.get(key) if isinstance(key, str) else None
        if index is None:
            if self._spec is None or not isinstance(key, str):
                raise self._missing(key)
            row = self._lookup([key])[0]
            if norm:
                row = _unit(row).astype(self._vectors.dtype)
        else:
            source = self.get_normed_vectors() if norm else self._vectors
            row = source[index].view()
        row.flags.writeable = False
        return row

    def __getitem__(self, key: str | Iterable[str]) -> np.ndarray:
        """Vector of a word, or stacked vectors of a list of words.

        Parameters
        ----------
        key : str or sequence of str
            A word, or several. With subword information, words outside the
            vocabulary get composed vectors (see :meth:`get_vector`).

        Returns
        -------
        vectors : ndarray of shape (vector_size,) or (n_keys, vector_size)
            A read-only array for a single word, a new array for a sequence.

        Raises
        ------
        KeyError
            If a word has no vector (see :meth:`get_vector`).
        """
        if isinstance(key, str):
            return self.get_vector(key)
        if isinstance(key, (list, tuple, np.ndarray)):
            keys = list(key)
            if self._spec is None:
                indices = np.array([self.get_index(k) for k in keys], dtype=np.intp)
                return self._vectors[indices]
            return self._lookup(keys)
        raise self._missing(key)

    def get_normed_vectors(self) -> np.ndarray:
        """Return all vectors scaled to unit Euclidean norm.

        Computed once and cached until :attr:`vectors` is reassigned. Norms are
        accumulated in float64; rows of zeros stay zero instead of becoming
        NaN.

        Returns
        -------
        normed : ndarray of shape (n_words, vector_size)
            Read-only, same dtype as :attr:`vectors`.
        """
        if self._normed is None:
            self._normed = _unit_rows(self._vectors)
        return self._normed

    # ------------------------------------------------------------------
    # word2vec format
    # ------------------------------------------------------------------
    def save_word2vec_format(self, path: PathLike, binary: bool = False) -> None:
        """Write the vectors in the word2vec text or binary format.

        Words are written in index order. Text files print each value with
        ``str`` of the NumPy scalar of :attr:`vectors`' dtype; binary files
        store little-endian float32. For float32 vectors the output is
        byte-identical to gensim's ``save_word2vec_format`` (for a gensim
        model without counts, or whose counts are in decreasing order).

        Only the vocabulary's vectors are written (with subwords, its
        composed vectors): the format has no place for n-gram rows, so the
        file reads back, in skw2v or gensim, as plain word vectors without
        subword information.

        Parameters
        ----------
        path : str or os.PathLike
            Destination; a ``.gz`` or ``.bz2`` suffix compresses the file.
        binary : bool, default=False
            Write the binary format instead of text.

        Raises
        ------
        ValueError
            If a word is empty, contains a space or a newline, or cannot be
            encoded as UTF-8 (a lone surrogate such as ``"\\ud800"``), which
            the format cannot represent. The message names the word.
        FileNotFoundError
            If the directory of ``path`` does not exist.

        Notes
        -----
        Every word is checked before anything is written, and the file is
        written atomically (to a temporary file in the same folder, then
        renamed): on any error, a full disk or an interruption included, a
        previous file at ``path`` is left untouched and no partial file
        remains.
        """
        _word2vec.write_word2vec(path, self.index_to_key, self._vectors, binary)

    @classmethod
    def load_word2vec_format(
        cls,
        path: PathLike,
        binary: bool = False,
        encoding: str = "utf8",
        unicode_errors: str = "strict",
        limit: int | None = None,
        dtype: Any = np.float32,
    ) -> KeyedVectors:
        """Read vectors in the word2vec text or binary format.

        Parameters
        ----------
        path : str or os.PathLike
            Source file; ``.gz`` and ``.bz2`` files are decompressed.
        binary : bool, default=False
            Read the binary format instead of text.
        encoding : str, default="utf8"
            Encoding of the words.
        unicode_errors : str, default="strict"
            Error handler for undecodable words, e.g. ``"ignore"`` for files
            whose words were cut inside a multi-byte character.
        limit : int, optional
            Read only the first ``limit`` vectors.
        dtype : dtype, default=np.float32
            Floating dtype of the returned vectors.

        Returns
        -------
        kv : KeyedVectors
            Without counts (the format does not store them).

        Raises
        ------
        ValueError
            If the file is malformed: bad header, wrong number of values on a
            line, unparsable or non-finite number, truncated file, data after
            the announced vectors, undecodable or duplicate word. The message
            names the file and the line (text) or record and byte offset
            (binary).
        """
        keys, vectors = _word2vec.read_word2vec(
            path, binary, encoding=encoding, unicode_errors=unicode_errors, limit=limit,
            dtype=dtype,
        )
        return cls(keys, vectors)

    # ------------------------------------------------------------------
    # gensim interoperability
    # ------------------------------------------------------------------
    @classmethod
    def load_fasttext(cls, path: PathLike) -> KeyedVectors:
        """Read the word and subword vectors of a fastText ``.bin`` model.

        Reads what fastText's ``save_model``, gensim's
        :func:`~gensim.models.fasttext.save_facebook_model` and
        :meth:`SkipGramVectorizer.save_fasttext` write (an unsupervised,
        unquantised model). Each vocabulary word's vector is composed as
        fastText composes it: the mean of its own row and its n-grams'
        bucket rows; with n-grams in the file, the KeyedVectors keep the
        bucket rows, so unseen words get vectors too.

        Parameters
        ----------
        path : str or os.PathLike

        Returns
        -------
        kv : KeyedVectors
            With ``vectors_ngrams`` and ``char_ngram_range`` when the model
            has n-grams; the words' counts are kept.

        Raises
        ------
        ValueError
            For a file that is not such a model (naming the file and what is
            wrong).
        """
        from ._files.fasttext import read_fasttext_bin

        model = read_fasttext_bin(path)
        n = model.n_words
        if not model.uses_subwords:
            return cls(model.words, model.input_matrix[:n].copy(), counts=model.counts)
        spec = SubwordSpec(model.min_n, model.max_n, model.n_buckets)
        M = composition_matrix(spec, model.words, np.arange(n), n,
                               dtype=model.input_matrix.dtype)
        vectors = compose(M, model.input_matrix)
        if "</s>" in model.words:  # fastText's end-of-line word has no n-grams
            eos = model.words.index("</s>")
            vectors[eos] = model.input_matrix[eos]
        return cls(model.words, vectors, counts=model.counts,
                   vectors_ngrams=model.input_matrix[n:].copy(),
                   char_ngram_range=(model.min_n, model.max_n))

    def to_gensim(self):
        """Convert to a :class:`gensim.models.KeyedVectors`.

        Keys, order and vectors (copied, same dtype) are kept; counts, if any,
        become gensim's ``"count"`` attribute. The n-gram rows of subword
        vectors are not carried over: the result is a plain gensim
        ``KeyedVectors`` of the vocabulary's (composed) vectors.

        Returns
        -------
        kv : gensim.models.KeyedVectors

        Raises
        ------
        ImportError
            If gensim is not installed.
        """
        try:
            from gensim.models import KeyedVectors as GensimKeyedVectors
        except ImportError as exc:
            raise ImportError(
                "KeyedVectors.to_gensim() requires gensim; install it with `pip install gensim`"
            ) from exc
        out = GensimKeyedVectors(self.vector_size, count=0, dtype=self._vectors.dtype)
        if len(self):
            out.add_vectors(list(self.index_to_key), self._vectors.copy())
        if self.counts is not None:
            out.allocate_vecattrs(attrs=["count"], types=[np.int64])
            out.expandos["count"][:] = self.counts
        return out

    @classmethod
    def from_gensim(cls, kv: Any) -> KeyedVectors:
        """Build from a gensim ``KeyedVectors`` (or a model with a ``wv`` attribute).

        Parameters
        ----------
        kv : gensim.models.KeyedVectors or gensim.models.Word2Vec
            Source; its keys must all be str. The vectors are copied. A
            gensim ``FastTextKeyedVectors`` (or ``FastText`` model) with
            n-gram buckets also gives its n-gram rows (copied), its
            ``(min_n, max_n)`` and fastText's marks ``("<", ">")``: the
            result then composes unseen words as gensim does.

        Returns
        -------
        kv : KeyedVectors
            With counts taken from gensim's ``"count"`` attribute when present.
            Note that gensim invents decreasing counts for vectors it loaded
            from a word2vec file.
        """
        if not hasattr(kv, "index_to_key") and hasattr(kv, "wv"):
            kv = kv.wv
        keys = list(kv.index_to_key)
        vectors = np.array(kv.vectors[: len(keys)], copy=True)
        counts = None
        expandos = getattr(kv, "expandos", None) or {}
        if "count" in expandos:
            raw = np.asarray(expandos["count"])[: len(keys)]
            if raw.dtype.kind in "biu":
                counts = raw
        ngrams = getattr(kv, "vectors_ngrams", None)
        if getattr(kv, "bucket", 0) and ngrams is not None and len(ngrams):
            # gensim's FastTextKeyedVectors: fastText's marks, which gensim does not store
            return cls(keys, vectors, counts=counts, vectors_ngrams=np.array(ngrams, copy=True),
                       char_ngram_range=(int(kv.min_n), int(kv.max_n)),
                       word_boundaries=("<", ">"))
        return cls(keys, vectors, counts=counts)
