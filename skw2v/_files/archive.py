"""Bounded, pickle-free reading of ``.npz`` archives, and vocabularies as UTF-8 arrays.

Shared by the model files (:mod:`skw2v._files.model`) and the checkpoints
(:mod:`skw2v._files.checkpoint`). Standard library and NumPy only.
"""

from __future__ import annotations

import json
import math
import os
import re
import zipfile
import zlib
from typing import Any

import numpy as np

#: The JSON metadata is small (parameters and a few numbers): refuse a larger member unread.
MAX_METADATA_BYTES = 16 << 20
ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")


# --------------------------------------------------------------------------
# Vocabulary as UTF-8 bytes + offsets
# --------------------------------------------------------------------------
def encode_vocabulary(words) -> tuple[np.ndarray, np.ndarray]:
    """The words as ``(utf8 bytes, int64 offsets)`` arrays, linear in the text's size.

    Encoded with ``errors="surrogatepass"``, so every Python ``str``
    round-trips exactly (lone surrogates and NUL characters included).

    Raises
    ------
    TypeError
        If a word is not a ``str``; the message names it and its index.
    """
    parts = []
    for i, word in enumerate(words):
        if not isinstance(word, str):
            raise TypeError(
                f"The vocabulary word {word!r} (index {i}) is a {type(word).__name__}, not a "
                "str; skw2v model and checkpoint files store str words only. Make the "
                "analyzer return str tokens (e.g. map(str, tokens)).")
        parts.append(word.encode("utf-8", "surrogatepass"))
    offsets = np.zeros(len(parts) + 1, dtype=np.int64)
    np.cumsum([len(b) for b in parts], out=offsets[1:])
    return np.frombuffer(b"".join(parts), dtype=np.uint8), offsets


def decode_vocabulary(utf8: np.ndarray, offsets: np.ndarray, path: str, fail) -> list[str]:
    """Inverse of :func:`encode_vocabulary`; ``fail(detail)`` builds the error to raise."""
    bounds = offsets.tolist()
    if bounds[0] != 0 or bounds[-1] != utf8.size or np.any(np.diff(offsets) < 0):
        raise fail("the vocabulary offsets are not increasing from 0 to the size of the text")
    data = utf8.tobytes()
    try:
        return [data[a:b].decode("utf-8", "surrogatepass")
                for a, b in zip(bounds[:-1], bounds[1:], strict=True)]
    except UnicodeDecodeError as exc:
        raise fail(f"the vocabulary is not valid UTF-8 text: {exc}") from None


# --------------------------------------------------------------------------
# Bounded reading of .npz archives
# --------------------------------------------------------------------------
class Spec:
    """Dtype and shape of an array member, known from its header before reading its data."""

    __slots__ = ("dtype", "shape")

    def __init__(self, dtype: np.dtype, shape: tuple[int, ...]) -> None:
        self.dtype, self.shape = dtype, tuple(shape)

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def size(self) -> int:
        return math.prod(self.shape)


def _other_format_hint(start: bytes) -> str:
    """A hint naming the right reader when a file's first bytes show another known format."""
    if start[:2] == b"\x1f\x8b" or start[:3] == b"BZh" or re.match(rb"\s*\d+ \d+\s*\n", start):
        return (" It looks like a word2vec vectors file (possibly compressed): read it with "
                "skw2v.KeyedVectors.load_word2vec_format, or make a fitted estimator of it with "
                "SkipGramVectorizer.from_keyed_vectors(path).")
    return ""


class Archive:
    """An ``.npz`` archive opened for bounded reading.

    Opening reads only the zip directory. Members must be stored uncompressed
    (as ``np.savez`` writes them) with sizes that fit in the file, so reading
    them all reads at most the file's size; :meth:`specs` reads only the
    small ``.npy`` headers and checks each against the member's size.

    Parameters
    ----------
    path : str
    not_zip : str
        The message when the file is not a zip archive at all.
    fail : callable
        ``fail(detail)`` returns the exception for a damaged file.
    """

    def __init__(self, path: str, not_zip: str, fail) -> None:
        self.path, self.fail = path, fail
        with open(path, "rb") as fh:  # FileNotFoundError / IsADirectoryError as usual
            start = fh.read(256)
            self.file_size = os.fstat(fh.fileno()).st_size
        if start[:4] not in ZIP_MAGIC:
            raise ValueError(not_zip + _other_format_hint(start))
        try:
            self.zip = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, ValueError) as exc:
            raise fail(f"not a readable zip archive: {exc}") from None
        self.infos: dict[str, zipfile.ZipInfo] = {}
        for info in self.zip.infolist():
            name = info.filename[:-4] if info.filename.endswith(".npy") else info.filename
            if name in self.infos:
                self.close()
                raise fail(f"unexpected member {info.filename!r}: it appears twice in the zip")
            self.infos[name] = info

    def close(self) -> None:
        self.zip.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    @property
    def names(self) -> set[str]:
        return set(self.infos)

    def check_members(self, expected, what: str) -> None:
        """Refuse unexpected or missing members and members that cannot be read boundedly."""
        extra = sorted(self.names - set(expected))
        if extra:
            raise ValueError(
                f"{self.path}: unexpected member(s) {extra[:10]} in the {what}, which holds "
                f"exactly {sorted(expected)}; refusing to read it (a modified or foreign file).")
        missing = sorted(set(expected) - self.names)
        if missing:
            raise self.fail(f"missing array(s) {missing}")
        total = 0
        for name in sorted(expected):
            info = self.infos[name]
            if not info.filename.endswith(".npy"):
                raise self.fail(f"the member {info.filename!r} is not a .npy array")
            if info.compress_type != zipfile.ZIP_STORED or info.file_size != info.compress_size:
                raise self.fail(
                    f"the member {info.filename!r} is compressed; skw2v writes its arrays "
                    "uncompressed, and does not inflate members of unknown size")
            total += info.file_size
        if total > self.file_size:
            raise self.fail(f"the members declare {total} bytes but the file has only "
                            f"{self.file_size}")

    def spec(self, name: str) -> Spec:
        """Dtype and shape from the ``.npy`` header of ``name``; check its declared size."""
        info = self.infos[name]
        try:
            with self.zip.open(info) as fp:
                version = np.lib.format.read_magic(fp)
                if version == (1, 0):
                    shape, _, dtype = np.lib.format.read_array_header_1_0(fp)
                elif version == (2, 0):
                    shape, _, dtype = np.lib.format.read_array_header_2_0(fp)
                else:
                    raise ValueError(f"unsupported .npy version {version}")
                header_bytes = fp.tell()
        except (zipfile.BadZipFile, EOFError, zlib.error, OSError, ValueError) as exc:
            raise self.fail(f"cannot read the header of array {name!r}: {exc}") from None
        if dtype.hasobject:
            raise ValueError(
                f"{self.path}: array {name!r} holds pickled Python objects, which skw2v files "
                "never contain; refusing to load it (corrupted or modified file?).")
        spec = Spec(dtype, shape)
        expected = header_bytes + spec.size * dtype.itemsize
        if info.file_size != expected:
            raise self.fail(f"array {name!r} of dtype {dtype} and shape {spec.shape} needs "
                            f"{expected} bytes but its zip member has {info.file_size}")
        return spec

    def read(self, name: str) -> np.ndarray:
        """The array ``name`` (never unpickles); call after :meth:`check_members`."""
        try:
            with self.zip.open(self.infos[name]) as fp:
                return np.lib.format.read_array(fp, allow_pickle=False)
        except (zipfile.BadZipFile, EOFError, zlib.error, OSError, ValueError) as exc:
            raise self.fail(f"cannot read array {name!r}: {exc}") from None

    def read_json(self, name: str, limit: int = MAX_METADATA_BYTES) -> Any:
        """Read the small uint8 member ``name`` holding UTF-8 JSON."""
        info = self.infos[name]
        if info.compress_type != zipfile.ZIP_STORED or info.file_size > limit:
            raise self.fail(f"the {name!r} member declares {info.file_size} bytes "
                            f"(at most {limit} expected) or is compressed")
        spec = self.spec(name)
        if spec.dtype != np.uint8 or spec.ndim != 1:
            raise ValueError(f"{self.path}: the {name!r} entry is not a JSON byte array.")
        raw = self.read(name)
        try:
            return json.loads(raw.tobytes().decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise self.fail(f"the {name!r} entry is not valid JSON: {exc}") from None
