"""Save and load fitted :class:`~skw2v.SkipGramVectorizer` models without pickle.

A model file is a single NumPy ``.npz`` archive (a zip of ``.npy`` files)
that holds **only plain arrays**, so loading it never runs code: it is read
with ``np.load(path, allow_pickle=False)``. The archive contains

* the fitted arrays of the estimator, each under its attribute name:
  ``index_to_key_`` (the vocabulary, a NumPy unicode array), ``word_counts_``,
  ``vectors_``, ``output_vectors_``, ``loss_curve_``, ``n_pairs_``,
  ``n_tokens_`` (a 0-d int64 array), ``idf_`` and ``sif_component_``
  (``vocabulary_`` is rebuilt from ``index_to_key_``);
* ``metadata``: a UTF-8 JSON document stored as a uint8 array::

      {"format": "skw2v-model", "format_version": 1,
       "skw2v_version": "...", "params": {...}, "not_stored": [...],
       "checksum": "sha256:<hex>"}

``params`` holds the constructor parameters that are plain data (None, bool,
int, float, str; ``dtype`` is stored by name, e.g. ``"float32"``). Parameters
holding Python objects (a callable ``analyzer``, ``tokenizer`` or
``preprocessor``, ``callbacks``, a loss object, a ``RandomState``) cannot be
stored as data: they are written as the string ``"<not stored: callable>"``
(or ``"<not stored: object>"``), listed in ``not_stored``, reset to their
defaults on load, and reported by a :class:`UserWarning`.

The checksum detects accidental corruption and casual modification (it is
not a signature: whoever can write the file can recompute it). It is the
SHA-256 of, for every array except ``metadata`` in sorted name order::

    f"{name}\\n{dtype.str}\\n{','.join(map(str, shape))}\\n{nbytes}\\n".encode()
    + the array's bytes in C order

followed by ``b"metadata\\n"`` and the metadata without its ``checksum`` key,
serialised as ``json.dumps(meta, sort_keys=True, separators=(",", ":"),
ensure_ascii=True)``.

Writes are atomic: the archive is written to a temporary file in the target
directory, flushed and fsync'ed, then moved over the target with
:func:`os.replace`, so a crash or an error never leaves a partial file and
never destroys a previous model.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import os
import warnings
import zipfile
import zlib
from typing import Any

import numpy as np
from sklearn.exceptions import NotFittedError

from ._io import atomic_file

__all__ = ["FORMAT", "FORMAT_VERSION", "load_model", "save_model"]

#: Value of the ``"format"`` key of the metadata.
FORMAT = "skw2v-model"
#: Newest format version this module reads and the one it writes.
FORMAT_VERSION = 1

_METADATA = "metadata"
_NOT_STORED_CALLABLE = "<not stored: callable>"
_NOT_STORED_OBJECT = "<not stored: object>"
# Fitted attributes stored as arrays (vocabulary_ is rebuilt from index_to_key_).
_FITTED = (
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
)
# Parameters that change how transform() tokenises documents.
_TOKENISATION_PARAMS = ("tokenizer", "preprocessor")
_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")


def _encode_params(params: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """Turn constructor parameters into JSON-safe values.

    Returns
    -------
    encoded : dict
        Every parameter; objects are replaced by a ``"<not stored: ...>"`` string.
    not_stored : list of str
        Names of the parameters that could not be stored, sorted.
    """
    encoded: dict[str, Any] = {}
    not_stored: list[str] = []
    for name, value in sorted(params.items()):
        if name == "dtype":
            try:
                encoded[name] = np.dtype(value).name
                continue
            except TypeError:
                pass
        if value is None or isinstance(value, (bool, str)):
            encoded[name] = value
        elif isinstance(value, np.bool_):
            encoded[name] = bool(value)
        elif isinstance(value, (int, np.integer)):
            encoded[name] = int(value)
        elif isinstance(value, (float, np.floating)):
            encoded[name] = float(value)
        else:
            is_callable = callable(value) or (
                isinstance(value, (list, tuple)) and all(callable(v) for v in value))
            encoded[name] = _NOT_STORED_CALLABLE if is_callable else _NOT_STORED_OBJECT
            not_stored.append(name)
    return encoded, not_stored


def _default_params(cls) -> dict[str, Any]:
    """Default values of the constructor parameters of ``cls``."""
    return {name: p.default for name, p in inspect.signature(cls.__init__).parameters.items()
            if p.default is not inspect.Parameter.empty}


def _not_stored_message(names: list[str], analyzer_default: Any) -> str:
    """Text of the warning about parameters reset to their defaults on load."""
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
        "with set_params(...) if you need them.")
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
        h.update(arr.tobytes(order="C"))
    h.update(b"metadata\n")
    h.update(_canonical_json({k: v for k, v in meta.items() if k != "checksum"}))
    return "sha256:" + h.hexdigest()


# --------------------------------------------------------------------------
# Save
# --------------------------------------------------------------------------
def _fitted_arrays(estimator) -> dict[str, np.ndarray]:
    """The fitted state of ``estimator`` as a dict of plain (non-object) arrays."""
    keys = list(estimator.index_to_key_)
    vocab = np.array(keys, dtype=np.str_) if keys else np.empty(0, dtype="<U1")
    if vocab.tolist() != keys:
        bad = next(k for k, v in zip(keys, vocab.tolist(), strict=True) if k != v)
        raise ValueError(
            f"The vocabulary word {bad!r} cannot be stored in a skw2v model file (NumPy "
            "unicode arrays drop trailing NUL characters).")
    arrays = {"index_to_key_": vocab}
    for name in _FITTED[1:]:
        arr = np.asarray(getattr(estimator, name), order="C")
        if arr.dtype.hasobject:
            raise TypeError(f"The fitted attribute {name!r} has dtype {arr.dtype}; only "
                            "numeric arrays can be saved.")
        arrays[name] = arr
    return arrays


def save_model(estimator, path: str | os.PathLike) -> None:
    """Write a fitted :class:`~skw2v.SkipGramVectorizer` to a ``.npz`` model file.

    The file holds only plain arrays and a JSON metadata blob (see the module
    documentation), never pickled objects. The write is atomic: a previous
    file at ``path`` is replaced only once the new one is complete on disk.

    Parameters
    ----------
    estimator : SkipGramVectorizer
        A fitted estimator.
    path : str or os.PathLike
        Destination file, written exactly as named (no ``.npz`` suffix is
        added).

    Raises
    ------
    sklearn.exceptions.NotFittedError
        If ``estimator`` is not fitted.
    TypeError
        If ``estimator`` is not a SkipGramVectorizer.
    FileNotFoundError
        If the directory of ``path`` does not exist.

    Notes
    -----
    Parameters that hold Python objects (a callable ``analyzer``,
    ``tokenizer`` or ``preprocessor``, ``callbacks``, a loss object, a
    ``RandomState``) are not stored; :func:`load_model` resets them to their
    defaults and warns.

    Examples
    --------
    >>> from skw2v import SkipGramVectorizer
    >>> from skw2v._persist import load_model, save_model
    >>> docs = ["the cat sat on the mat", "the dog sat on the log"] * 5
    >>> vec = SkipGramVectorizer(n_components=4, min_count=1, epochs=1, random_state=0)
    >>> vec = vec.fit(docs)
    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "model.npz")
    >>> save_model(vec, path)
    >>> bool((load_model(path).transform(docs) == vec.transform(docs)).all())
    True
    """
    from . import __version__
    from ._estimator import SkipGramVectorizer

    if not isinstance(estimator, SkipGramVectorizer):
        raise TypeError(f"save_model() expects a SkipGramVectorizer, got "
                        f"{type(estimator).__name__}.")
    missing = [name for name in _FITTED if not hasattr(estimator, name)]
    if missing:
        raise NotFittedError(
            "This SkipGramVectorizer instance is not fitted yet (missing "
            f"{', '.join(missing)}). Call 'fit' before saving it.")
    arrays = _fitted_arrays(estimator)
    params, not_stored = _encode_params(estimator.get_params(deep=False))
    meta: dict[str, Any] = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "skw2v_version": __version__,
        "params": params,
        "not_stored": not_stored,
    }
    meta["checksum"] = _checksum(arrays, meta)
    blob = np.frombuffer(json.dumps(meta, sort_keys=True, indent=1).encode("utf-8"),
                         dtype=np.uint8)
    with atomic_file(path) as fh:
        np.savez(fh, **{_METADATA: blob}, **arrays)


# --------------------------------------------------------------------------
# Load
# --------------------------------------------------------------------------
def _corrupt(path: str, detail: str) -> ValueError:
    return ValueError(
        f"{path}: the skw2v model file is truncated, corrupted or modified ({detail}). "
        "Save the model again from a fitted estimator.")


def _read_array(npz, name: str, path: str) -> np.ndarray:
    """Read one member of an open npz archive, turning low-level errors into ValueError."""
    try:
        return npz[name]
    except (zipfile.BadZipFile, EOFError, zlib.error, OSError, ValueError, KeyError) as exc:
        if "allow_pickle" in str(exc):
            raise ValueError(
                f"{path}: array {name!r} holds pickled Python objects, which skw2v model files "
                "never contain; refusing to load it (corrupted or modified file?)."
            ) from None
        raise _corrupt(path, f"cannot read array {name!r}: {exc}") from None


def _parse_metadata(raw: np.ndarray, path: str) -> dict[str, Any]:
    if raw.dtype != np.uint8 or raw.ndim != 1:
        raise ValueError(f"{path}: not a skw2v model file (the 'metadata' entry is not a "
                         "JSON byte array).")
    try:
        meta = json.loads(raw.tobytes().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise _corrupt(path, f"the metadata is not valid JSON: {exc}") from None
    if not isinstance(meta, dict):
        raise _corrupt(path, "the metadata is not a JSON object")
    return meta


def _check_header(meta: dict[str, Any], path: str) -> None:
    if meta.get("format") != FORMAT:
        raise ValueError(f"{path}: not a skw2v model file (format tag "
                         f"{meta.get('format')!r}, expected {FORMAT!r}).")
    version = meta.get("format_version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise _corrupt(path, f"invalid format_version {version!r}")
    if version > FORMAT_VERSION:
        from . import __version__

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


def _check_arrays(arrays: dict[str, np.ndarray], path: str) -> tuple[int, int]:
    """Validate dtypes and shapes; return ``(n_words, n_components)``."""
    def bad(name, what):
        arr = arrays[name]
        return _corrupt(path, f"array {name!r} of dtype {arr.dtype} and shape {arr.shape}: "
                              f"expected {what}")

    vocab = arrays["index_to_key_"]
    if vocab.dtype.kind != "U" or vocab.ndim != 1 or vocab.size == 0:
        raise bad("index_to_key_", "a non-empty 1-D unicode array")
    vectors = arrays["vectors_"]
    if vectors.dtype not in (np.float32, np.float64) or vectors.ndim != 2:
        raise bad("vectors_", "a 2-D float32 or float64 array")
    n_words, dim = vectors.shape
    if n_words != vocab.size or dim < 1:
        raise bad("vectors_", f"{vocab.size} rows, one per word of 'index_to_key_'")
    if arrays["output_vectors_"].dtype != vectors.dtype or \
            arrays["output_vectors_"].shape != vectors.shape:
        raise bad("output_vectors_", f"the dtype {vectors.dtype} and shape {vectors.shape} "
                                     "of 'vectors_'")
    if arrays["sif_component_"].dtype != vectors.dtype or \
            arrays["sif_component_"].shape != (dim,):
        raise bad("sif_component_", f"dtype {vectors.dtype} and shape ({dim},)")
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
    return n_words, dim


def _decode_params(meta, defaults, path, n_components, vector_dtype):
    """Stored params -> constructor kwargs; return ``(params, not_stored)``."""
    stored = meta["params"]
    unknown = sorted(set(stored) - set(defaults))
    if unknown:
        from . import __version__

        raise ValueError(
            f"{path}: the model uses parameter(s) {unknown} unknown to skw2v {__version__} "
            f"(it was written by skw2v {meta.get('skw2v_version', '?')}). Upgrade skw2v.")
    not_stored = sorted(set(meta.get("not_stored", [])))
    params = dict(defaults)
    for name, value in stored.items():
        if name in not_stored:
            continue
        if value is not None and not isinstance(value, (bool, int, float, str)):
            raise _corrupt(path, f"parameter {name!r} has a non-scalar value {value!r}")
        params[name] = value
    if "dtype" in stored and "dtype" not in not_stored:
        if stored["dtype"] not in ("float32", "float64"):
            raise _corrupt(path, f"invalid dtype {stored['dtype']!r}")
        params["dtype"] = np.dtype(stored["dtype"]).type
        if np.dtype(params["dtype"]) != vector_dtype:
            raise _corrupt(path, f"dtype parameter {stored['dtype']!r} does not match the "
                                 f"vectors' dtype {vector_dtype}")
    if params.get("n_components") != n_components:
        raise _corrupt(path, f"n_components={params.get('n_components')!r} does not match "
                             f"the vectors' {n_components} columns")
    return params, not_stored


def load_model(path: str | os.PathLike):
    """Load a model file written by :func:`save_model`.

    The file is read with ``np.load(path, allow_pickle=False)``: no Python
    object is ever unpickled. Before the estimator is rebuilt the file is
    checked: zip structure, format tag and version, presence, dtypes and
    shapes of the arrays, and the SHA-256 checksum.

    Parameters
    ----------
    path : str or os.PathLike
        A model file.

    Returns
    -------
    estimator : SkipGramVectorizer
        Fitted, built with the stored parameters, whose ``transform`` gives
        exactly the same output as the saved estimator's (unless a parameter
        could not be stored, see Warns).

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    ValueError
        If the file is not a skw2v model file, was written by a newer
        format version (upgrade skw2v), is truncated, corrupted or modified
        (checksum mismatch), or is internally inconsistent.

    Warns
    -----
    UserWarning
        If parameters holding Python objects (a callable ``analyzer``,
        ``tokenizer``, ``preprocessor``, ``callbacks``, a loss object, a
        ``RandomState``) were not stored and have been reset to their defaults.
        A custom ``analyzer`` is reported as critical: ``transform`` will not
        reproduce the original features until it is set again with
        ``set_params``.
    """
    from ._estimator import SkipGramVectorizer

    path_str = os.fsdecode(os.fspath(path))
    with open(path_str, "rb") as fh:  # FileNotFoundError / IsADirectoryError as usual
        magic = fh.read(4)
    if magic not in _ZIP_MAGIC:
        raise ValueError(f"{path_str}: not a skw2v model file (not a .npz/zip archive; "
                         "skw2v model files are written by save_model).")
    try:
        npz = np.load(path_str, allow_pickle=False)
    except (zipfile.BadZipFile, EOFError, zlib.error, OSError, ValueError) as exc:
        raise _corrupt(path_str, f"not a readable zip archive: {exc}") from None
    with npz:
        if not isinstance(npz, np.lib.npyio.NpzFile):
            raise ValueError(f"{path_str}: not a skw2v model file.")
        names = set(npz.files)
        if _METADATA not in names:
            raise ValueError(f"{path_str}: not a skw2v model file (no 'metadata' entry; "
                             f"found {sorted(names)[:10]}).")
        meta = _parse_metadata(_read_array(npz, _METADATA, path_str), path_str)
        _check_header(meta, path_str)
        missing = [name for name in _FITTED if name not in names]
        if missing:
            raise _corrupt(path_str, f"missing array(s) {missing}")
        arrays = {name: _read_array(npz, name, path_str) for name in sorted(names - {_METADATA})}
    if _checksum(arrays, meta) != meta["checksum"]:
        raise _corrupt(path_str, "checksum mismatch: the arrays or the metadata differ from "
                                 "what was saved")
    n_words, dim = _check_arrays(arrays, path_str)
    keys = arrays["index_to_key_"].tolist()
    vocabulary = {w: i for i, w in enumerate(keys)}
    if len(vocabulary) != n_words:
        raise _corrupt(path_str, "the vocabulary has duplicate words")
    defaults = _default_params(SkipGramVectorizer)
    params, not_stored = _decode_params(meta, defaults, path_str, dim,
                                        arrays["vectors_"].dtype)
    est = SkipGramVectorizer(**params)
    est.index_to_key_ = keys
    est.vocabulary_ = vocabulary
    for name in _FITTED[1:]:
        setattr(est, name, arrays[name])
    est.n_tokens_ = int(arrays["n_tokens_"])
    est._seed_ = int(arrays["_seed_"])
    if not_stored:
        warnings.warn(_not_stored_message(not_stored, defaults.get("analyzer")), UserWarning,
                      stacklevel=2)
    return est
