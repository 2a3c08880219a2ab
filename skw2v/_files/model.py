"""Save and load fitted :class:`~skw2v.SkipGramVectorizer` models and checkpoints without pickle.

A model file is a single NumPy ``.npz`` archive (an uncompressed zip of
``.npy`` files) that holds **only plain arrays**, so loading it never runs
code. The archive (format version 2) contains

* the vocabulary as UTF-8 text: ``index_to_key_utf8_`` (uint8, the words'
  bytes one after the other, encoded with ``errors="surrogatepass"`` so that
  any Python ``str`` round-trips, lone surrogates and NUL characters
  included) and ``index_to_key_offsets_`` (int64, ``n_words + 1`` byte
  offsets: word ``i`` is ``utf8[offsets[i]:offsets[i + 1]]``). The size is
  linear in the text: one long token costs its own length, not
  ``n_words`` times it. ``vocabulary_`` is rebuilt from it;
* the other fitted arrays of the estimator, each under its attribute name:
  ``word_counts_``, ``vectors_``, ``output_vectors_``, ``loss_curve_``,
  ``n_pairs_``, ``n_tokens_`` and ``_seed_`` (0-d int64 arrays),
  ``learning_rate_`` (a 0-d float64 array, from version 2), ``idf_``
  and ``sif_component_``; with subwords (version 3 only), ``vectors_vocab_``
  and ``vectors_ngrams_``, the trained input rows of the words and of the
  n-gram buckets (``vectors_`` then holds the composed vectors);
* ``metadata``: a UTF-8 JSON document stored as a uint8 array::

      {"format": "skw2v-model", "format_version": 2,
       "skw2v_version": "...", "params": {...}, "not_stored": [...],
       "callables": {...}, "dtype_param": "type",
       "arrays": {"<name>": {"dtype": "<f4", "shape": [...]}, ...},
       "checksum": "sha256:<hex>"}

``arrays`` declares the dtype and shape of every array, as fitted: the
arrays, not the parameters, are the truth about the fitted state.

``params`` holds the constructor parameters exactly as they are when
:func:`save_model` is called, even if they were changed with ``set_params``
after ``fit`` (for example ``n_components`` or ``dtype``): the loaded
estimator has the same parameters and the same fitted arrays as the saved
one, so ``transform`` gives the same output, and ``partial_fit`` or ``fit``
behave as they would have on the saved estimator (``partial_fit`` refuses an
``n_components`` that differs from the vectors; ``fit`` starts over with the
new parameters). Plain data (None, bool, int, float, str, and a list of str
such as ``stop_words``) is stored as is; a tuple of str and int (such as
``char_ngram_range``) as ``{"tuple": [...]}``;
``dtype`` by name (``"float32"``), with ``dtype_param`` telling whether it
was a NumPy type, a ``np.dtype``, a built-in type such as ``float``, or a
string. The common built-in callables
``list``, ``tuple``, ``str.split``, ``str.lower``, ``str.upper``,
``str.casefold``, ``str.strip``, ``str.lstrip`` and ``str.rstrip`` (for
``analyzer``, ``tokenizer``, ``preprocessor`` or ``strip_accents``) are
stored by name (``"<callable: str.split>"``, listed in ``callables``) and
restored on load. Other Python objects (a custom callable, ``callbacks``, a
loss object, a ``RandomState``) cannot be stored as data: they are written as
``"<not stored: callable>"`` (or ``"<not stored: object>"``), listed in
``not_stored``, reset to their defaults on load, and reported by a
:class:`UserWarning`; set them again with ``set_params``.

A model without subwords is written as version 2, exactly as before
subwords existed, so that older skw2v versions still read it; a model with
subwords is written as version 3, which adds the two subword arrays (and
which older versions refuse, asking for an upgrade, instead of dropping the
n-gram rows). Its fitted ``vectors_vocab_`` and ``vectors_ngrams_`` are None
when read from a version 1 or 2 file.

Version 1 files (written by skw2v before the format change) are still read:
they store the vocabulary as a fixed-width unicode array ``index_to_key_``
and have no ``arrays``, ``callables`` or ``dtype_param`` keys.

The checksum detects accidental corruption and casual modification (it is
not a signature: whoever can write the file can recompute it). It is the
SHA-256 of, for every array except ``metadata`` in sorted name order::

    f"{name}\\n{dtype.str}\\n{','.join(map(str, shape))}\\n{nbytes}\\n".encode()
    + the array's bytes in C order

followed by ``b"metadata\\n"`` and the metadata without its ``checksum`` key,
serialised as ``json.dumps(meta, sort_keys=True, separators=(",", ":"),
ensure_ascii=True)``.

Reading is bounded: before any array is read, the zip member list must be
exactly the one of the file's format version (an extra or missing member is
an error), every member must be stored uncompressed (as ``np.savez`` writes
them) with a size that fits in the file, the ``.npy`` header of every member
must declare the dtype and shape the metadata declares and exactly the
member's size, and the arrays must be consistent with each other. So a
damaged or hostile file fails with a ``ValueError`` naming the file and the
problem, after reading at most the file's own size.

Checkpoints (written by :class:`skw2v.Checkpoint`, read by ``fit(...,
resume_from=path)``) use the same bounded reader and the same vocabulary
storage (checkpoint version 2; version 1 checkpoints are still read).

Every write is atomic (see :func:`skw2v._io.atomic_file`): the archive is
written to a temporary file in the target directory, flushed and fsync'ed,
then moved over the target with :func:`os.replace`, so a crash or an error
never leaves a partial file and never destroys a previous model.
"""

from __future__ import annotations

import hashlib
import json
import os
from typing import Any

import numpy as np

from .._version import __version__
from . import atomic
from .archive import Archive, Spec, decode_vocabulary, encode_vocabulary

__all__ = ["FORMAT", "FORMAT_VERSION", "MODEL_ATTRIBUTES", "not_stored_message", "read_model",
           "write_model"]

#: Value of the ``"format"`` key of the metadata.
FORMAT = "skw2v-model"
#: Newest format version this module reads. A model without subword rows is written as
#: version 2 (readable by skw2v versions that predate subwords), one with them as version 3.
FORMAT_VERSION = 3

_METADATA = "metadata"
_NOT_STORED_CALLABLE = "<not stored: callable>"
_NOT_STORED_OBJECT = "<not stored: object>"
_CALLABLE_MARK = "<callable: {}>"
#: A tuple parameter is stored as ``{"tuple": [...]}``.
_TUPLE_KEY = "tuple"
#: Built-in callables stored by name (parameters such as analyzer=list or tokenizer=str.split).
_BUILTIN_CALLABLES = {
    "list": list, "tuple": tuple, "str.split": str.split, "str.lower": str.lower,
    "str.upper": str.upper, "str.casefold": str.casefold, "str.strip": str.strip,
    "str.lstrip": str.lstrip, "str.rstrip": str.rstrip,
}
#: The fitted attributes a model file of the newest version stores (``vocabulary_`` is
#: rebuilt from ``index_to_key_``). A new fitted attribute needs a new format version.
MODEL_ATTRIBUTES = (
    "index_to_key_",
    "word_counts_",
    "vectors_",
    "output_vectors_",
    "loss_curve_",
    "n_pairs_",
    "n_tokens_",
    "idf_",
    "sif_component_",
    "_seed_",
    "learning_rate_",
    "vectors_vocab_",
    "vectors_ngrams_",
)
#: The subword rows (version 3); None without subwords, and then not stored.
SUBWORD_ATTRIBUTES = ("vectors_vocab_", "vectors_ngrams_")
_VOCAB_BYTES, _VOCAB_OFFSETS = "index_to_key_utf8_", "index_to_key_offsets_"
_V2_MEMBERS = frozenset((_VOCAB_BYTES, _VOCAB_OFFSETS, *MODEL_ATTRIBUTES[1:11]))
#: The array members of each format version.
_MEMBERS = {1: frozenset(MODEL_ATTRIBUTES[:10]),  # learning_rate_ came with version 2
            2: _V2_MEMBERS,
            3: _V2_MEMBERS | frozenset(SUBWORD_ATTRIBUTES)}
# Parameters that change how transform() tokenises documents.
_TOKENISATION_PARAMS = ("tokenizer", "preprocessor")


# --------------------------------------------------------------------------
# Parameters
# --------------------------------------------------------------------------
def _builtin_name(value: Any) -> str | None:
    """The table name of a built-in callable stored by name, or None."""
    return next((name for name, func in _BUILTIN_CALLABLES.items() if value is func), None)


def _encode_params(params: dict[str, Any]) -> tuple[dict[str, Any], list[str], dict[str, str]]:
    """Turn constructor parameters into JSON-safe values.

    Returns
    -------
    encoded : dict
        Every parameter; built-in callables become ``"<callable: name>"`` and
        other objects a ``"<not stored: ...>"`` string.
    not_stored : list of str
        Names of the parameters that could not be stored, sorted.
    callables : dict of str to str
        Parameters holding a built-in callable, and its name.
    """
    encoded: dict[str, Any] = {}
    not_stored: list[str] = []
    callables: dict[str, str] = {}
    for name, value in sorted(params.items()):
        kind = _dtype_param_kind(value) if name == "dtype" else None
        if kind in ("type", "dtype"):
            encoded[name] = np.dtype(value).name
            continue
        if kind == "python":
            encoded[name] = value.__name__
            continue
        builtin = _builtin_name(value)
        if builtin is not None:
            encoded[name] = _CALLABLE_MARK.format(builtin)
            callables[name] = builtin
        elif value is None or isinstance(value, (bool, str)):
            encoded[name] = value
        elif isinstance(value, np.bool_):
            encoded[name] = bool(value)
        elif isinstance(value, (int, np.integer)):
            encoded[name] = int(value)
        elif isinstance(value, (float, np.floating)):
            encoded[name] = float(value)
        elif isinstance(value, list) and all(isinstance(v, str) for v in value):
            encoded[name] = list(value)  # a stop list
        elif isinstance(value, tuple) and all(
                isinstance(v, (str, int, np.integer)) and not isinstance(v, bool)
                for v in value):
            # char_ngram_range, word_boundaries: a JSON list, marked to be read back as a tuple
            encoded[name] = {_TUPLE_KEY: [v if isinstance(v, str) else int(v) for v in value]}
        else:
            is_callable = callable(value) or (
                isinstance(value, (list, tuple)) and all(callable(v) for v in value))
            encoded[name] = _NOT_STORED_CALLABLE if is_callable else _NOT_STORED_OBJECT
            not_stored.append(name)
    return encoded, not_stored, callables


_PYTHON_TYPES = {"float": float, "int": int, "bool": bool, "complex": complex}


def _dtype_param_kind(value: Any) -> str:
    """How the ``dtype`` parameter was given, so that load restores the same kind of object.

    ``"type"`` (a NumPy scalar type such as ``np.float32``), ``"dtype"`` (a
    ``np.dtype``), ``"python"`` (``float`` and the other built-in number
    types), ``"str"`` (kept as is), or ``"value"`` (anything else, stored as
    any other parameter).
    """
    if isinstance(value, str):
        return "str"
    if isinstance(value, np.dtype):
        return "dtype"
    if isinstance(value, type) and issubclass(value, np.generic):
        return "type"
    if any(value is t for t in _PYTHON_TYPES.values()):
        return "python"
    return "value"


def not_stored_message(names: list[str], analyzer_default: Any) -> str:
    """Text of the warning about parameters reset to their defaults on load."""
    builtins = ", ".join(_BUILTIN_CALLABLES)
    parts = []
    if "analyzer" in names:
        parts.append(
            "CRITICAL for transform: the model was fitted with a custom callable 'analyzer', "
            "which a model file cannot store. It was reset to "
            f"analyzer={analyzer_default!r}, so transform() will tokenise documents "
            "differently and will NOT reproduce the original features until you restore it "
            "with set_params(analyzer=<your callable>).")
    tok = [n for n in _TOKENISATION_PARAMS if n in names]
    if tok and "analyzer" not in names:
        parts.append(
            f"The parameter(s) {tok} change how transform() tokenises documents: restore them "
            "with set_params(...) before calling transform().")
    parts.append(
        f"The parameter(s) {names} of the saved SkipGramVectorizer held Python objects that a "
        "skw2v model file cannot store; they were reset to their defaults. Set them again "
        f"with set_params(...) if you need them (only the built-in callables {builtins} are "
        "stored, by name).")
    return " ".join(parts)


# --------------------------------------------------------------------------
# Checksum
# --------------------------------------------------------------------------
def _canonical_json(meta: dict[str, Any]) -> bytes:
    return json.dumps(meta, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


def _checksum(arrays: dict[str, np.ndarray], meta: dict[str, Any]) -> str:
    """SHA-256 over the arrays (sorted by name) and the metadata without its checksum."""
    h = hashlib.sha256()
    for name in sorted(arrays):
        arr = np.asarray(arrays[name], order="C")
        shape = ",".join(map(str, arr.shape))
        h.update(f"{name}\n{arr.dtype.str}\n{shape}\n{arr.nbytes}\n".encode())
        h.update(memoryview(arr.reshape(-1).view(np.uint8)) if arr.size else b"")
    h.update(b"metadata\n")
    h.update(_canonical_json({k: v for k, v in meta.items() if k != "checksum"}))
    return "sha256:" + h.hexdigest()


# --------------------------------------------------------------------------
# Save
# --------------------------------------------------------------------------
def _fitted_arrays(fitted: dict[str, Any]) -> dict[str, np.ndarray]:
    """The fitted state as a dict of plain (non-object) arrays, as the format stores it.

    The subword rows are left out when they are None (a model without subwords).
    """
    utf8, offsets = encode_vocabulary(fitted["index_to_key_"])
    arrays = {_VOCAB_BYTES: utf8, _VOCAB_OFFSETS: offsets}
    present = [fitted.get(name) is not None for name in SUBWORD_ATTRIBUTES]
    if any(present) and not all(present):
        raise TypeError(f"The fitted attributes {SUBWORD_ATTRIBUTES} must both be arrays or "
                        "both be None.")
    for name in MODEL_ATTRIBUTES[1:]:
        if name in SUBWORD_ATTRIBUTES and fitted.get(name) is None:
            continue
        arr = np.asarray(fitted[name], order="C")
        if arr.dtype.hasobject:
            raise TypeError(f"The fitted attribute {name!r} has dtype {arr.dtype}; only "
                            "numeric arrays can be saved.")
        arrays[name] = arr
    return arrays


def write_model(path: str | os.PathLike, params: dict[str, Any],
                fitted: dict[str, Any]) -> None:
    """Write a model file (format version 2, or 3 with subword rows): fitted arrays and
    parameters, no pickle.

    The write is atomic: a previous file at ``path`` is replaced only once
    the new one is complete on disk. The arrays are checked against their
    own recorded shapes on load, not against the parameters, so
    :func:`read_model` accepts every file this writes.

    Parameters
    ----------
    path : str or os.PathLike
        Destination file, written exactly as named (no ``.npz`` suffix is
        added).
    params : dict
        The estimator's constructor parameters, as they are now. Built-in
        callables (``list``, ``str.split``, ... see the module documentation)
        are stored by name; other Python objects are recorded as not stored.
    fitted : dict
        Every attribute of :data:`MODEL_ATTRIBUTES`.

    Raises
    ------
    TypeError
        If a vocabulary word is not a ``str`` or a fitted array holds objects.
    FileNotFoundError
        If the directory of ``path`` does not exist.
    """
    arrays = _fitted_arrays(fitted)
    stored, not_stored, callables = _encode_params(params)
    # the oldest version that holds these arrays, so older skw2v reads what it can
    version = 3 if SUBWORD_ATTRIBUTES[0] in arrays else 2
    meta: dict[str, Any] = {
        "format": FORMAT,
        "format_version": version,
        "skw2v_version": __version__,
        "params": stored,
        "not_stored": not_stored,
        "callables": callables,
        "dtype_param": _dtype_param_kind(params.get("dtype")),
        "arrays": {name: {"dtype": arr.dtype.str, "shape": list(arr.shape)}
                   for name, arr in sorted(arrays.items())},
    }
    meta["checksum"] = _checksum(arrays, meta)
    blob = np.frombuffer(json.dumps(meta, sort_keys=True, indent=1).encode("utf-8"),
                         dtype=np.uint8)
    with atomic.atomic_file(path) as fh:
        np.savez(fh, **{_METADATA: blob}, **arrays)


# --------------------------------------------------------------------------
# Load
# --------------------------------------------------------------------------
def _corrupt(path: str, detail: str) -> ValueError:
    return ValueError(
        f"{path}: the skw2v model file is truncated, corrupted or modified ({detail}). "
        "Save the model again from a fitted estimator.")


def _check_header(meta: Any, path: str) -> int:
    """Check the format tag and version of model metadata; return the version."""
    if not isinstance(meta, dict):
        raise _corrupt(path, "the metadata is not a JSON object")
    if meta.get("format") != FORMAT:
        raise ValueError(f"{path}: not a skw2v model file (format tag "
                         f"{meta.get('format')!r}, expected {FORMAT!r}).")
    version = meta.get("format_version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise _corrupt(path, f"invalid format_version {version!r}")
    if version > FORMAT_VERSION:
            raise ValueError(
            f"{path}: the model file has format version {version}, written by skw2v "
            f"{meta.get('skw2v_version', '?')}; this skw2v {__version__} reads versions up to "
            f"{FORMAT_VERSION}. Upgrade skw2v (pip install -U skw2v) to load it.")
    if not isinstance(meta.get("params"), dict):
        raise _corrupt(path, "the metadata has no 'params' object")
    not_stored = meta.get("not_stored", [])
    if not isinstance(not_stored, list) or not all(isinstance(n, str) for n in not_stored):
        raise _corrupt(path, "invalid 'not_stored' list")
    if not isinstance(meta.get("checksum"), str):
        raise _corrupt(path, "the metadata has no checksum")
    if version >= 2:
        declared = meta.get("arrays")
        if not isinstance(declared, dict) or set(declared) != _MEMBERS[version]:
            raise _corrupt(path, "the metadata does not declare the arrays")
        callables = meta.get("callables")
        if not isinstance(callables, dict) or not all(
                isinstance(v, str) for v in callables.values()):
            raise _corrupt(path, "invalid 'callables' object")
    return version


def _check_declared(specs: dict[str, Spec], meta: dict[str, Any], path: str) -> None:
    """Every array's header must show the dtype and shape the metadata declares."""
    for name, spec in specs.items():
        entry = meta["arrays"][name]
        declared = (entry.get("dtype"), entry.get("shape")) if isinstance(entry, dict) else None
        if declared != (spec.dtype.str, list(spec.shape)):
            raise _corrupt(path, f"array {name!r} has dtype {spec.dtype.str} and shape "
                                 f"{list(spec.shape)} but the metadata declares {declared}")


def _check_arrays(arrays: dict[str, Any], path: str, version: int) -> tuple[int, int]:
    """Check dtypes and shapes of the arrays (or their specs); return ``(n_words, dim)``.

    Only what the fitted state itself guarantees is checked (one row per
    word, matching columns, integer counts, ...), never a parameter: a
    parameter may have been changed since fit, and the file stores it as is.
    """
    def bad(name, what):
        arr = arrays[name]
        return _corrupt(path, f"array {name!r} of dtype {arr.dtype} and shape {arr.shape}: "
                              f"expected {what}")

    vectors = arrays["vectors_"]
    if vectors.dtype.kind != "f" or vectors.ndim != 2:
        raise bad("vectors_", "a 2-D float array")
    n_words, dim = vectors.shape
    if version == 1:
        vocab = arrays["index_to_key_"]
        if vocab.dtype.kind != "U" or vocab.ndim != 1 or vocab.size == 0:
            raise bad("index_to_key_", "a non-empty 1-D unicode array")
        if n_words != vocab.size:
            raise bad("vectors_", f"{vocab.size} rows, one per word of 'index_to_key_'")
    else:
        if arrays[_VOCAB_BYTES].dtype != np.uint8 or arrays[_VOCAB_BYTES].ndim != 1:
            raise bad(_VOCAB_BYTES, "a 1-D uint8 array")
        offsets = arrays[_VOCAB_OFFSETS]
        if offsets.dtype.kind not in "iu" or offsets.ndim != 1 or offsets.size < 2:
            raise bad(_VOCAB_OFFSETS, "a 1-D integer array of at least 2 offsets")
        if n_words != offsets.size - 1:
            raise bad(_VOCAB_OFFSETS, f"{n_words + 1} offsets: one per row of 'vectors_', "
                                      "plus one")
    if dim < 1:
        raise bad("vectors_", "at least one column")
    if arrays["output_vectors_"].dtype.kind != "f" or \
            arrays["output_vectors_"].shape != vectors.shape:
        raise bad("output_vectors_", f"floats of the shape {vectors.shape} of 'vectors_'")
    if arrays["sif_component_"].dtype.kind != "f" or arrays["sif_component_"].shape != (dim,):
        raise bad("sif_component_", f"floats of shape ({dim},)")
    if arrays["word_counts_"].dtype.kind not in "iu" or \
            arrays["word_counts_"].shape != (n_words,):
        raise bad("word_counts_", f"integers of shape ({n_words},)")
    if arrays["idf_"].dtype.kind != "f" or arrays["idf_"].shape != (n_words,):
        raise bad("idf_", f"floats of shape ({n_words},)")
    curve = arrays["loss_curve_"]
    if curve.dtype.kind != "f" or curve.ndim != 1:
        raise bad("loss_curve_", "a 1-D float array")
    if arrays["n_pairs_"].dtype.kind not in "iu" or arrays["n_pairs_"].shape != curve.shape:
        raise bad("n_pairs_", f"integers of shape {curve.shape} (one per epoch)")
    for name in ("n_tokens_", "_seed_"):
        if arrays[name].dtype.kind not in "iu" or arrays[name].shape != ():
            raise bad(name, "a 0-d integer array")
    if "learning_rate_" in arrays and (arrays["learning_rate_"].dtype.kind != "f"
                                       or arrays["learning_rate_"].shape != ()):
        raise bad("learning_rate_", "a 0-d float array")
    if "vectors_vocab_" in arrays:
        own, ngrams = arrays["vectors_vocab_"], arrays["vectors_ngrams_"]
        if own.dtype.kind != "f" or own.shape != vectors.shape:
            raise bad("vectors_vocab_", f"floats of the shape {vectors.shape} of 'vectors_'")
        if ngrams.dtype.kind != "f" or ngrams.ndim != 2 or ngrams.shape[1] != dim or \
                ngrams.shape[0] < 1:
            raise bad("vectors_ngrams_", f"a 2-D float array of at least one row of {dim} "
                                         "columns")
    return n_words, dim


def _decode_params(meta, defaults, path, version):
    """Stored params -> constructor kwargs; return ``(params, not_stored)``."""
    stored = meta["params"]
    unknown = sorted(set(stored) - set(defaults))
    if unknown:
        raise ValueError(
            f"{path}: the model uses parameter(s) {unknown} unknown to skw2v {__version__} "
            f"(it was written by skw2v {meta.get('skw2v_version', '?')}). Upgrade skw2v.")
    not_stored = sorted(set(meta.get("not_stored", [])))
    callables = meta.get("callables", {}) if version >= 2 else {}
    params = dict(defaults)
    for name, value in stored.items():
        if name in not_stored:
            continue
        if name in callables:
            func = _BUILTIN_CALLABLES.get(callables[name])
            if func is None or value != _CALLABLE_MARK.format(callables[name]):
                raise ValueError(
                    f"{path}: parameter {name!r} holds the callable {callables[name]!r}, unknown "
                    f"to skw2v {__version__} (the file was written by skw2v "
                    f"{meta.get('skw2v_version', '?')}). Upgrade skw2v.")
            params[name] = func
            continue
        if isinstance(value, dict) and set(value) == {_TUPLE_KEY}:
            items = value[_TUPLE_KEY]
            if not (isinstance(items, list) and all(
                    isinstance(v, (str, int)) and not isinstance(v, bool) for v in items)):
                raise _corrupt(path, f"parameter {name!r} has a tuple value that is not a "
                                     f"list of str and int: {items!r}")
            params[name] = tuple(items)
            continue
        is_str_list = isinstance(value, list) and all(isinstance(v, str) for v in value)
        if value is not None and not isinstance(value, (bool, int, float, str)) and not (
                is_str_list):
            raise _corrupt(path, f"parameter {name!r} has a value that is neither a scalar "
                                 f"nor a list of str: {value!r}")
        params[name] = value
    if "dtype" in stored and "dtype" not in not_stored:
        kind = meta.get("dtype_param", "type") if version >= 2 else "type"
        if kind in ("type", "dtype"):
            try:
                dtype = np.dtype(stored["dtype"])
            except TypeError:
                raise _corrupt(path, f"invalid dtype {stored['dtype']!r}") from None
            params["dtype"] = dtype if kind == "dtype" else dtype.type
        elif kind == "python":
            if stored["dtype"] not in _PYTHON_TYPES:
                raise _corrupt(path, f"invalid dtype {stored['dtype']!r}")
            params["dtype"] = _PYTHON_TYPES[stored["dtype"]]
    return params, not_stored


def _open_model(archive: Archive, path: str) -> tuple[dict[str, Any], int, dict]:
    """Check an opened model archive; return its metadata, version and arrays."""
    if _METADATA not in archive.names:
        if "meta" in archive.names:
            raise ValueError(
                f"{path}: this is a training checkpoint written by skw2v.Checkpoint, "
                "not a model file; continue the fit with fit(documents, "
                "resume_from=<this file>), or load a file written by save().")
        raise ValueError(f"{path}: not a skw2v model file (no 'metadata' entry; "
                         f"found {sorted(archive.names)[:10]}).")
    meta = archive.read_json(_METADATA)
    version = _check_header(meta, path)
    expected = _MEMBERS[version]
    archive.check_members(expected | {_METADATA}, f"skw2v model file (format version "
                                                  f"{version})")
    specs = {name: archive.spec(name) for name in sorted(expected)}
    if version >= 2:
        _check_declared(specs, meta, path)
    _check_arrays(specs, path, version)
    return meta, version, {name: archive.read(name) for name in sorted(expected)}


def _fitted_state(arrays: dict, version: int, path: str) -> dict[str, Any]:
    """The fitted attributes of checked arrays (``vocabulary_`` included)."""
    if version == 1:
        keys = arrays["index_to_key_"].tolist()
    else:
        keys = decode_vocabulary(arrays[_VOCAB_BYTES], arrays[_VOCAB_OFFSETS], path,
                                 lambda d: _corrupt(path, d))
    vocabulary = {w: i for i, w in enumerate(keys)}
    if len(vocabulary) != arrays["word_counts_"].shape[0]:
        raise _corrupt(path, "the vocabulary has duplicate words")
    fitted = {name: arrays[name] for name in MODEL_ATTRIBUTES[1:] if name in arrays}
    fitted.update(index_to_key_=keys, vocabulary_=vocabulary,
                  n_tokens_=int(arrays["n_tokens_"]), _seed_=int(arrays["_seed_"]))
    if "learning_rate_" in arrays:
        fitted["learning_rate_"] = float(arrays["learning_rate_"])
    return fitted


def read_model(path: str | os.PathLike, defaults: dict[str, Any]):
    """Read a model file written by :func:`write_model`.

    No Python object is ever unpickled. The file is read boundedly (see the
    module documentation): before any array is read, the zip member list,
    the members' declared sizes and the ``.npy`` headers are checked against
    the format and against each other; then the SHA-256 checksum. Files of
    format versions 1 to 3 are read.

    Parameters
    ----------
    path : str or os.PathLike
        A model file.
    defaults : dict
        The estimator's default parameters (a stored parameter unknown to
        them is an error; a parameter not stored gets its default).

    Returns
    -------
    params : dict
        Constructor parameters, as they were when the model was saved.
    fitted : dict
        The fitted attributes (``vocabulary_`` included). A version 1 file
        has no ``learning_rate_``.
    not_stored : list of str
        Parameters that held Python objects a file cannot store; they have
        their defaults in ``params`` (see :func:`not_stored_message`).

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    ValueError
        If the file is not a skw2v model file (a checkpoint is recognised and
        named as such), was written by a newer format version (upgrade skw2v),
        has members it should not have, is truncated, corrupted or modified
        (checksum mismatch), or is internally inconsistent.
    """
    path_str = os.fsdecode(os.fspath(path))
    not_zip = (f"{path_str}: not a skw2v model file (not a .npz/zip archive; skw2v model files "
               "are written by SkipGramVectorizer.save).")
    with Archive(path_str, not_zip, lambda d: _corrupt(path_str, d)) as archive:
        meta, version, arrays = _open_model(archive, path_str)
    if _checksum(arrays, meta) != meta["checksum"]:
        raise _corrupt(path_str, "checksum mismatch: the arrays or the metadata differ from "
                                 "what was saved")
    fitted = _fitted_state(arrays, version, path_str)
    params, not_stored = _decode_params(meta, defaults, path_str, version)
    return params, fitted, not_stored
