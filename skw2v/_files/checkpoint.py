"""Training checkpoints: the state to resume a fit from, as plain arrays and JSON.

A checkpoint is an ``.npz`` archive of the vectors (the whole input matrix:
with subwords, the words' own rows then the n-gram buckets, so ``vectors``
has more rows than ``output_vectors``), the loss curve, the pairs
per epoch, the vocabulary (UTF-8 bytes and offsets, as in model files) and a
JSON ``meta`` member (epoch, seed, planned epochs, parameters, format tag
and version). Written atomically, read boundedly, never unpickled.
"""

from __future__ import annotations

import json
import os
from typing import Any

import numpy as np

from . import atomic
from .archive import Archive, decode_vocabulary, encode_vocabulary

__all__ = ["read_checkpoint", "write_checkpoint"]

CHECKPOINT_FORMAT = "skw2v-checkpoint"
CHECKPOINT_VERSION = 2
_ARRAYS = ("vectors", "output_vectors", "loss_curve", "n_pairs", "word_counts")
_MEMBERS = {
    1: frozenset(("meta", "index_to_key", *_ARRAYS)),
    2: frozenset(("meta", "index_to_key_utf8", "index_to_key_offsets", *_ARRAYS)),
}
#: The metadata member of a model file (to name a model file passed as a checkpoint).
MODEL_METADATA = "metadata"


def write_checkpoint(path, meta: dict[str, Any], *, vectors, output_vectors, loss_curve,
                     n_pairs, index_to_key, word_counts) -> None:
    """Write a training checkpoint atomically (checkpoint format version 2).

    Parameters
    ----------
    path : str or path-like
    meta : dict
        JSON-safe training state (epoch, seed, planned epochs, parameters);
        the format tag and version are added.
    vectors, output_vectors, loss_curve, n_pairs, word_counts : ndarray
    index_to_key : sequence of str
        Stored as UTF-8 bytes and offsets, like the vocabulary of a model file.
    """
    utf8, offsets = encode_vocabulary(index_to_key)
    meta = {**meta, "format": CHECKPOINT_FORMAT, "version": CHECKPOINT_VERSION}
    atomic.atomic_savez(
        path, vectors=vectors, output_vectors=output_vectors,
        loss_curve=np.asarray(loss_curve, dtype=np.float64),
        n_pairs=np.asarray(n_pairs, dtype=np.int64),
        index_to_key_utf8=utf8, index_to_key_offsets=offsets,
        word_counts=np.asarray(word_counts, dtype=np.int64),
        meta=np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8))


def read_checkpoint(path) -> tuple[dict[str, Any], dict[str, Any]]:
    """Read a checkpoint written by :func:`write_checkpoint` (or a version 1 one).

    Reading is bounded as for model files; nothing is unpickled.

    Returns
    -------
    meta : dict
        The JSON state (``epoch``, ``seed``, ``epochs_planned``, ``params``).
    arrays : dict
        ``vectors``, ``output_vectors``, ``loss_curve``, ``n_pairs``,
        ``word_counts`` and ``index_to_key`` (a list of str).

    Raises
    ------
    ValueError
        If the file is not a readable checkpoint; a model file written by
        ``save()`` is recognised and named as such.
    """
    path_str = os.fsdecode(os.fspath(path))

    def fail(detail):
        return ValueError(f"{path_str} is not a readable skw2v checkpoint ({detail}); pass a "
                          "file written by skw2v.Checkpoint during an earlier fit.")

    with Archive(path_str, str(fail("not a .npz/zip archive")), fail) as archive:
        if "meta" not in archive.names:
            if MODEL_METADATA in archive.names:
                raise ValueError(
                    f"{path_str} is not a checkpoint: this is a model file written by save(); "
                    "load it with SkipGramVectorizer.load, or pass a Checkpoint file as "
                    "resume_from.")
            raise ValueError(f"{path_str} is not a readable skw2v checkpoint: it has no "
                             f"'meta' entry (found {sorted(archive.names)[:10]}).")
        meta = archive.read_json("meta")
        if not isinstance(meta, dict) or meta.get("format") != CHECKPOINT_FORMAT:
            raise fail("not a checkpoint: wrong format tag")
        version = meta.get("version", 1)
        if isinstance(version, bool) or not isinstance(version, int) or version < 1:
            raise fail(f"invalid version {version!r}")
        if version > CHECKPOINT_VERSION:
            raise ValueError(f"{path_str}: checkpoint format version {version} is newer than "
                             f"this skw2v supports ({CHECKPOINT_VERSION}); upgrade skw2v.")
        for key, kind in (("epoch", int), ("seed", int), ("epochs_planned", int),
                          ("params", dict)):
            if not isinstance(meta.get(key), kind) or isinstance(meta.get(key), bool):
                raise fail(f"the meta entry has no valid {key!r}")
        expected = _MEMBERS[version]
        archive.check_members(expected, f"skw2v checkpoint (version {version})")
        specs = {name: archive.spec(name) for name in sorted(expected - {"meta"})}
        vectors = specs["vectors"]
        if vectors.dtype.kind != "f" or vectors.ndim != 2:
            raise fail(f"'vectors' has dtype {vectors.dtype} and shape {vectors.shape}")
        # one output row per word; the input matrix may have more rows (n-gram buckets)
        n_words = specs["output_vectors"].shape[0] if specs["output_vectors"].ndim == 2 else -1
        if not 0 <= n_words <= vectors.shape[0]:
            raise fail(f"'output_vectors' of shape {specs['output_vectors'].shape} does not "
                       f"match the {vectors.shape[0]} x {vectors.shape[1]} input vectors")
        checks = {"output_vectors": ("f", (n_words, vectors.shape[1])),
                  "word_counts": ("iu", (n_words,)),
                  "loss_curve": ("f", None), "n_pairs": ("iu", specs["loss_curve"].shape)}
        if version == 1:
            checks["index_to_key"] = ("U", (n_words,))
        else:
            checks["index_to_key_offsets"] = ("iu", (n_words + 1,))
            if specs["index_to_key_utf8"].dtype != np.uint8 or specs["index_to_key_utf8"].ndim != 1:
                raise fail("'index_to_key_utf8' is not a 1-D uint8 array")
        for name, (kinds, shape) in checks.items():
            spec = specs[name]
            if spec.dtype.kind not in kinds or spec.ndim != 1 + (name == "output_vectors") or (
                    shape is not None and spec.shape != shape):
                raise fail(f"array {name!r} of dtype {spec.dtype} and shape {spec.shape} does "
                           f"not match the {n_words} x {vectors.shape[1]} vectors")
        arrays = {name: archive.read(name) for name in sorted(specs)}
    if version == 1:
        arrays["index_to_key"] = arrays["index_to_key"].tolist()
    else:
        arrays["index_to_key"] = decode_vocabulary(
            arrays.pop("index_to_key_utf8"), arrays.pop("index_to_key_offsets"), path_str, fail)
    return meta, arrays
