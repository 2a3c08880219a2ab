"""Parameter constraints of SkipGramVectorizer, checked into frozen, typed configs.

The constraints are declared once, as a table (:data:`CONSTRAINTS`), in the
order they are checked. :func:`fit_config` turns an estimator's parameters
into a :class:`FitConfig` for the fitting layer, :func:`text_options` into a
:class:`~skw2v._data.text.TextOptions` for the data layer, and
:func:`check_output_params` checks the ``transform``-only parameters. Every
error names the parameter, the value and a fix; the warnings about text
options that will be ignored are raised here, at the entry point.
"""

from __future__ import annotations

import codecs
import numbers
import os
import re
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.utils.validation import check_memory

from ._compat import caller_stacklevel
from ._core.subwords import SubwordSpec
from ._data.store import parse_nbytes
from ._data.text import (
    DEFAULT_TOKEN_PATTERN,
    TextOptions,
    inconsistent_stop_words,
    stop_word_set,
)
from .losses import SkipGramLoss, get_loss

POOLINGS = ("mean", "sum", "max", "tfidf", "sif")

INT32_MAX = (1 << 31) - 1
INT64_MAX = (1 << 63) - 1
SEED_MAX = (1 << 32) - 1
#: Word-vector dimension: beyond it the two matrices alone need gigabytes per
#: thousand words.
MAX_COMPONENTS = 1 << 16
#: Window radius. Pairs grow as window x tokens; the radii are drawn as
#: int32 and a block of 65,536 centers makes up to 2 * window pairs each,
#: whose positions must stay addressable by the batch layouts.
MAX_WINDOW = 1 << 20
MAX_EPOCHS = 1 << 20
MAX_NEGATIVES = 1 << 10
#: n_shards and syncs_per_epoch each, and their product (one random stream each).
MAX_SHARDS = 1 << 16
MAX_SLICES = 1 << 20
MAX_JOBS = 1 << 15
MAX_NOISE_EXPONENT = 100.0

#: ``learning_rate="auto"``: word2vec's step for corpora of at least this many
#: token-epochs (16M in-vocabulary tokens at 5 epochs, the size of text8), larger
#: ones below it, growing as the inverse square root of the number of steps.
AUTO_LR, AUTO_LR_TOKEN_EPOCHS, AUTO_LR_MAX = 0.025, 8e7, 0.1


@dataclass(frozen=True)
class FitConfig:
    """The validated training parameters: what the fitting layer reads."""

    n_components: int
    window: int
    loss: SkipGramLoss
    n_negatives: int
    noise_exponent: float
    min_count: int
    max_vocab_size: int | None
    min_df: int | float
    max_df: int | float
    subsample: float
    epochs: int
    learning_rate: float | str
    min_learning_rate: float
    batch_size: int
    dtype: np.dtype
    n_jobs: int | None
    n_shards: int | None
    syncs_per_epoch: int
    spill_threshold: int | None
    temp_folder: Any
    initial_vectors: Any
    random_state: Any
    verbose: int
    callbacks: tuple
    #: The ``memory`` parameter as given (see :func:`checked_memory`).
    memory: Any
    #: Character n-grams of the input vectors, or None (see :func:`subword_spec`).
    subwords: SubwordSpec | None = None


# ---------------------------------------------------------------- messages
def _bad(name, value, expected, fix):
    shown = repr(value)
    if len(shown) > 80:
        shown = shown[:60] + f"... ({type(value).__name__} of {len(shown)} characters)"
    raise ValueError(f"The {name!r} parameter of SkipGramVectorizer must be {expected}; got "
                     f"{shown}. {fix}".rstrip())


def _is_int(x):
    return isinstance(x, numbers.Integral) and not isinstance(x, bool)


def _as_float(x):
    """``float(x)`` for a real number (not a bool), None otherwise or on overflow."""
    if not isinstance(x, numbers.Real) or isinstance(x, bool):
        return None
    try:
        return float(x)
    except (OverflowError, TypeError, ValueError):
        return None


# ------------------------------------------------------------ constraints
@dataclass(frozen=True)
class Int:
    """An int in ``[lo, hi]`` (None allowed when ``none``)."""

    lo: int
    hi: int = INT64_MAX
    fix: str = ""
    none: bool = False

    def check(self, name, v, params):
        if self.none and v is None:
            return
        if not _is_int(v) or not self.lo <= v <= self.hi:
            _bad(name, v, f"an int in [{self.lo}, {self.hi}]", self.fix)


@dataclass(frozen=True)
class Real:
    """A finite float in an interval, open or closed at each end."""

    lo: float
    hi: float = np.inf
    lo_open: bool = False
    hi_open: bool = True
    fix: str = ""

    def check(self, name, v, params):
        x = _as_float(v)
        ok = x is not None and np.isfinite(x)
        if ok:
            ok = ((x > self.lo if self.lo_open else x >= self.lo)
                  and (x < self.hi if self.hi_open else x <= self.hi))
        if not ok:
            lb, rb = "(" if self.lo_open else "[", ")" if self.hi_open else "]"
            _bad(name, v, f"a finite float in {lb}{self.lo}, {self.hi}{rb}", self.fix)


@dataclass(frozen=True)
class Choice:
    """One of a few strings (or None when ``none``)."""

    choices: tuple
    fix: str = ""
    none: bool = False

    def check(self, name, v, params):
        if not ((self.none and v is None) or (isinstance(v, str) and v in self.choices)):
            shown = ", ".join(map(repr, self.choices)) + (" or None" if self.none else "")
            _bad(name, v, f"one of {shown}", self.fix)


@dataclass(frozen=True)
class Rule:
    """A constraint written as a function ``check(name, value, params)``."""

    check: Any


def _verbose(name, v, params):
    if not (isinstance(v, (bool, np.bool_)) or (_is_int(v) and v >= 0)):
        _bad(name, v, "a bool or an int >= 0", "Use verbose=1 for progress.")


def is_auto(value):
    """Whether a parameter value is the string ``"auto"`` (NumPy values never are)."""
    return isinstance(value, str) and value == "auto"


def _learning_rate(name, v, params):
    if not is_auto(v):
        Real(0, lo_open=True, fix='Use "auto" or a positive value such as 0.025.').check(
            name, v, params)


def _min_learning_rate(name, v, params):
    Real(0, fix="Use a value such as 1e-4.").check(name, v, params)
    lowest = lowest_learning_rate(params["learning_rate"])
    if v > lowest:
        _bad(name, v, f"<= learning_rate ({lowest})", "Lower it.")


def _n_negatives(name, v, params):
    if get_loss(params["loss"]).requires_negatives:
        Int(1, MAX_NEGATIVES, "Use n_negatives=5 (5-20 are typical); for the exact objective "
            "use loss='softmax'.").check(name, v, params)


def _loss(name, v, params):
    loss = get_loss(v)  # raises a clear ValueError
    check = getattr(loss, "windows_per_draw", None)
    if check is not None:
        check()  # a negative-sampling loss's shared_windows


def _dtype(name, v, params):
    try:
        dt = np.dtype(v)  # None is float64, as in NumPy
    except (TypeError, ValueError):
        dt = None
    # not ``dt in (...)``: a dtype compares equal to None
    if dt is None or not any(dt == ok for ok in (np.float32, np.float64)):
        _bad(name, v, "np.float32 or np.float64",
             "Use dtype=np.float32 (half the memory) or np.float64.")


def _encoding(name, v, params):
    if not isinstance(v, str):
        _bad(name, v, "the name of a text encoding (a str)", "Use 'utf-8'.")
    try:
        codecs.lookup(v)
    except LookupError:
        _bad(name, v, "a text encoding known to Python",
             "Use 'utf-8', 'latin-1', ... (see the codecs module).")


def _strip_accents(name, v, params):
    if not (v is None or callable(v) or (isinstance(v, str) and v in ("ascii", "unicode"))):
        _bad(name, v, "'ascii', 'unicode', a callable or None", "")


def _bool(fix):
    def check(name, v, params):
        if not isinstance(v, (bool, np.bool_)):
            _bad(name, v, "a bool", fix)
    return check


def _optional_callable(name, v, params):
    if v is not None and not callable(v):
        _bad(name, v, "None or a callable", f"Pass a function, or {name}=None.")


def _token_pattern(name, v, params):
    fix = rf"Use the default r'{DEFAULT_TOKEN_PATTERN}'."
    if v is None:
        if not (callable(params["analyzer"]) or params["tokenizer"] is not None):
            _bad(name, None, "a regular expression unless a tokenizer or a callable analyzer "
                 "is given", fix)
        return
    if not isinstance(v, str):
        _bad(name, v, "a regular expression (a str) or None", fix)
    try:
        re.compile(v)
    except re.error as exc:
        _bad(name, v, "a valid regular expression",
             f"It does not compile ({exc}); fix it or use the default.")


def _analyzer(name, v, params):
    if not (callable(v) or (isinstance(v, str) and v == "word")):
        _bad(name, v, "'word' or a callable returning tokens",
             "For character n-grams use CountVectorizer; skip-gram needs word sequences.")


def _syncs_per_epoch(name, v, params):
    if is_auto(v):
        return
    Int(1, MAX_SHARDS, 'Use "auto" (short rounds, the default) or 1 to synchronise once per '
        "epoch.").check(name, v, params)
    n_shards = params["n_shards"]
    if n_shards is not None and n_shards * v > MAX_SLICES:
        _bad(name, v, f"at most {MAX_SLICES // n_shards} with n_shards={n_shards} "
             f"(n_shards * syncs_per_epoch <= {MAX_SLICES})", "Lower n_shards or syncs_per_epoch.")


def _stop_words(name, v, params):
    ok = v is None or (isinstance(v, str) and v == "english") or (
        isinstance(v, list) and all(isinstance(w, str) for w in v))
    if not ok:
        _bad(name, v, '"english", a list of str or None',
             "Use stop_words='english' for scikit-learn's English list, or a list of words "
             "(for a set or a tuple, pass list(words)).")


_DF_FIX = ("An int counts documents (for example 2), a float is a proportion of the "
           "documents (for example 0.01), as in CountVectorizer.")


def _doc_frequency(name, v, params, lo_open, keep_all):
    """An int >= 1 (documents) or a float in [0, 1] ((0, 1] when ``lo_open``: a proportion)."""
    x = None if _is_int(v) else _as_float(v)
    ok = (v >= 1) if _is_int(v) else (
        x is not None and (0 < x if lo_open else 0 <= x) and x <= 1)
    if not ok:
        interval = "(0, 1]" if lo_open else "[0, 1]"
        _bad(name, v, f"an int >= 1 (a number of documents) or a float in {interval} (a "
             "proportion of them)", f"Use {name}={keep_all} to keep every word. {_DF_FIX}")


def _min_df(name, v, params):
    _doc_frequency(name, v, params, lo_open=False, keep_all="1")


def _max_df(name, v, params):
    _doc_frequency(name, v, params, lo_open=True, keep_all="1.0")
    low = params["min_df"]
    if _is_int(v) == _is_int(low) and v < low:  # both counts, or both proportions
        _bad(name, v, f">= min_df ({low!r})", "Raise max_df or lower min_df.")


def _max_features(name, v, params):
    if v is not None:
        shown = v if _is_int(v) else "n"
        _bad(name, v, "None (CountVectorizer's max_features is called max_vocab_size here, "
             "and one parameter does it)",
             f"Use max_vocab_size={shown} to keep the {shown} most frequent words.")


def _spill_threshold(name, v, params):
    parse_nbytes(v)


def _temp_folder(name, v, params):
    if v is not None and not isinstance(v, (str, os.PathLike)):
        _bad(name, v, "None or a directory path", "Use None for the system's temporary folder.")


def _n_jobs(name, v, params):
    if v is not None and (not _is_int(v) or v == 0 or abs(v) > MAX_JOBS):
        _bad(name, v, f"a non-zero int in [-{MAX_JOBS}, {MAX_JOBS}] or None",
             "Use -1 for all cores.")


def _random_state(name, v, params):
    if not (v is None or isinstance(v, np.random.RandomState)
            or (_is_int(v) and 0 <= v <= SEED_MAX)):
        _bad(name, v, f"None, an int in [0, {SEED_MAX}] or a numpy.random.RandomState",
             "Use an int such as 0 for reproducible results.")


def _initial_vectors(name, v, params):
    if isinstance(v, (str, os.PathLike)):
        if not os.path.isfile(v):
            _bad(name, v, "None, a KeyedVectors or the path of an existing vector file",
                 "Check the path (a word2vec text file, or binary ending in .bin).")
        return
    if v is not None:
        from .keyedvectors import KeyedVectors

        if not isinstance(v, KeyedVectors):
            _bad(name, v, "None, a KeyedVectors or the path of a vector file", "")


#: Largest number of hash buckets: their rows alone take buckets x n_components x 4 bytes.
MAX_BUCKETS = 1 << 30
#: Longest character n-gram.
MAX_NGRAM = 1 << 10


def _char_ngram_range(name, v, params):
    if v is None:
        return
    ok = (isinstance(v, tuple) and len(v) == 2 and all(_is_int(n) for n in v)
          and 1 <= v[0] <= v[1] <= MAX_NGRAM)
    if not ok:
        _bad(name, v, f"None or a tuple (min_n, max_n) of ints with 1 <= min_n <= max_n <= "
             f"{MAX_NGRAM}", "Use (3, 6) for fastText's n-grams, or None for no subwords.")


def _word_boundaries(name, v, params):
    ok = isinstance(v, tuple) and len(v) == 2 and all(isinstance(m, str) for m in v)
    if not ok:
        _bad(name, v, "a tuple of two str (the marks before and after each word)",
             "Use ('<', '>') as fastText does, or ('', '') for no marks.")


def subword_spec(params):
    """The :class:`~skw2v._core.subwords.SubwordSpec` of the parameters, or None."""
    ngrams = params["char_ngram_range"]
    if ngrams is None:
        return None
    bow, eow = params["word_boundaries"]
    return SubwordSpec(int(ngrams[0]), int(ngrams[1]), int(params["n_buckets"]), bow, eow)


def _memory(name, v, params):
    if not (v is None or isinstance(v, (str, os.PathLike)) or hasattr(v, "cache")):
        _bad(name, v, "None, a directory path or a joblib.Memory",
             "Use memory='cache_folder' or joblib.Memory('cache_folder', verbose=0).")


def checked_memory(memory):
    """``memory`` as a joblib.Memory-like object (scikit-learn's ``check_memory``), or None.

    None, and a ``joblib.Memory(location=None)`` (which caches nothing), are None.
    """
    if memory is None:
        return None
    memory = check_memory(os.fspath(memory) if isinstance(memory, os.PathLike) else memory)
    return None if getattr(memory, "location", "") is None else memory


def callback_list(callbacks):
    """``callbacks`` as a list (None is no callback, a callable is one)."""
    if callbacks is None:
        return []
    if callable(callbacks):
        return [callbacks]
    return list(callbacks)


def _callbacks(name, v, params):
    ok = v is None or callable(v) or isinstance(v, (list, tuple))
    if not ok or not all(callable(cb) for cb in callback_list(v)):
        _bad(name, v, "a callable, a list of callables or None", "")


#: Every constraint, in the order the parameters are checked.
CONSTRAINTS = {
    "n_components": Int(1, MAX_COMPONENTS, "Typical values are 50-300."),
    "window": Int(1, MAX_WINDOW, "Use window=5 for word2vec's default; a window longer than a "
                  "document already pairs every word of the document with every other."),
    "min_count": Int(1, fix="Use min_count=1 to keep every word."),
    "epochs": Int(1, MAX_EPOCHS, "Typical values are 5-50."),
    "batch_size": Int(1, INT32_MAX, "Use batch_size=1024."),
    "verbose": Rule(_verbose),
    "max_vocab_size": Int(1, fix="Use None for no limit.", none=True),
    "max_features": Rule(_max_features),
    "min_df": Rule(_min_df),
    "max_df": Rule(_max_df),
    "learning_rate": Rule(_learning_rate),
    "min_learning_rate": Rule(_min_learning_rate),
    "subsample": Real(0, 1, fix="Use 1e-3 (word2vec's default) or 0 to disable."),
    "noise_exponent": Real(0, MAX_NOISE_EXPONENT, hi_open=False,
                           fix="Use 0.75 (word2vec's default); 0 samples uniformly, and large "
                               "values sample only the most frequent words."),
    "sif_alpha": Real(0, lo_open=True, fix="Use 1e-3."),
    "loss": Rule(_loss),
    "n_negatives": Rule(_n_negatives),
    "pooling": Choice(POOLINGS),
    "norm": Choice(("l2",), none=True),
    "dtype": Rule(_dtype),
    "input": Choice(("content", "filename", "file")),
    "encoding": Rule(_encoding),
    "decode_error": Choice(("strict", "ignore", "replace")),
    "strip_accents": Rule(_strip_accents),
    "lowercase": Rule(_bool("Use lowercase=True or False.")),
    "preprocessor": Rule(_optional_callable),
    "tokenizer": Rule(_optional_callable),
    "token_pattern": Rule(_token_pattern),
    "analyzer": Rule(_analyzer),
    "stop_words": Rule(_stop_words),
    "char_ngram_range": Rule(_char_ngram_range),
    "n_buckets": Int(1, MAX_BUCKETS, "Use 2000000 (fastText's default); fewer buckets take "
                     "less memory and share more n-grams per row."),
    "word_boundaries": Rule(_word_boundaries),
    "n_shards": Int(1, MAX_SHARDS, "Use None for shared-memory training.", none=True),
    "syncs_per_epoch": Rule(_syncs_per_epoch),
    "spill_threshold": Rule(_spill_threshold),
    "temp_folder": Rule(_temp_folder),
    "n_jobs": Rule(_n_jobs),
    "random_state": Rule(_random_state),
    "initial_vectors": Rule(_initial_vectors),
    "callbacks": Rule(_callbacks),
    "memory": Rule(_memory),
}


def check_params(params, names=None):
    """Check ``params`` (a dict of every parameter) against :data:`CONSTRAINTS`.

    Only ``names`` when given, in table order. Raises ValueError on the first
    parameter that breaks its constraint.
    """
    for name, constraint in CONSTRAINTS.items():
        if names is None or name in names:
            constraint.check(name, params[name], params)


def check_output_params(params):
    """Check the parameters that only ``transform`` reads (``pooling``, ``norm``)."""
    check_params(params, ("pooling", "norm"))


def fit_config(params):
    """Check every parameter, then give the training ones as a :class:`FitConfig`."""
    check_params(params)
    fields = FitConfig.__dataclass_fields__
    values = {k: params[k] for k in fields if k in params}
    values.update(loss=get_loss(params["loss"]), dtype=np.dtype(params["dtype"]),
                  spill_threshold=parse_nbytes(params["spill_threshold"]),
                  verbose=int(params["verbose"]),
                  callbacks=tuple(callback_list(params["callbacks"])),
                  memory=params["memory"], subwords=subword_spec(params))
    return FitConfig(**values)


def text_options(params):
    """The text parameters as :class:`~skw2v._data.text.TextOptions`.

    ``stop_words`` is checked and resolved to a frozenset (``"english"`` is
    scikit-learn's list). Warns (at the caller's line) about options that a
    callable ``analyzer`` or a ``tokenizer`` makes irrelevant, and, as
    ``CountVectorizer`` does, about stop words that the preprocessing and
    tokenisation would turn into other tokens.
    """
    check_params(params, ("stop_words",))
    if callable(params["analyzer"]):
        ignored = [name for name, default in (
            ("preprocessor", None), ("tokenizer", None),
            ("token_pattern", DEFAULT_TOKEN_PATTERN), ("strip_accents", None),
            ("stop_words", None),
        ) if params[name] != default]
        if ignored:
            warnings.warn(
                f"The parameter(s) {ignored} will not be used since 'analyzer' is a "
                "callable; the callable does all preprocessing and tokenisation.",
                UserWarning, stacklevel=caller_stacklevel())
    elif params["tokenizer"] is not None and params["token_pattern"] not in (
            None, DEFAULT_TOKEN_PATTERN):
        warnings.warn("The parameter 'token_pattern' will not be used since 'tokenizer' is "
                      "not None.", UserWarning, stacklevel=caller_stacklevel())
    values = {k: params[k] for k in TextOptions.__dataclass_fields__ if k != "stop_words"}
    opts = TextOptions(**values, stop_words=stop_word_set(params["stop_words"]))
    inconsistent = inconsistent_stop_words(opts)
    if inconsistent:
        shown = inconsistent[:10] + (["..."] if len(inconsistent) > 10 else [])
        warnings.warn(
            f"Your stop_words may be inconsistent with your preprocessing: tokenising them "
            f"gives {len(inconsistent)} token(s) that are not stop words ({shown}), and these "
            "will stay in the text. Add them to the list, or preprocess the list as the "
            "documents are.", UserWarning, stacklevel=caller_stacklevel())
    return opts


def initial_learning_rate(learning_rate, n_tokens, epochs):
    """The step size at the start of training (``learning_rate="auto"`` resolved)."""
    if not is_auto(learning_rate):
        return float(learning_rate)
    ratio = AUTO_LR_TOKEN_EPOCHS / max(n_tokens * epochs, 1)
    return float(min(AUTO_LR_MAX, AUTO_LR * max(1.0, ratio) ** 0.5))


def lowest_learning_rate(learning_rate):
    """The smallest initial step that ``learning_rate`` can give."""
    return initial_learning_rate(learning_rate, np.inf, 1)
