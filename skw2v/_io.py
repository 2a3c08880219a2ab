"""Atomic file writes for arrays (no pickle anywhere)."""

from __future__ import annotations

import os
import tempfile

import numpy as np


def atomic_savez(path, **arrays) -> None:
    """Write arrays to ``path`` (npz) so that a crash never leaves a partial file.

    The data goes to a temporary file in the same directory, is flushed and
    fsync'ed, and then renamed over ``path`` with :func:`os.replace`. On any
    error the temporary file is removed and an existing ``path`` is intact.

    Parameters
    ----------
    path : str or path-like
    **arrays : ndarray
        Arrays to store; object arrays are refused.
    """
    path = os.fspath(path)
    for name, value in arrays.items():
        if np.asarray(value).dtype == object:
            raise TypeError(f"array {name!r} has dtype object, which cannot be stored safely.")
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".skw2v-", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as fh:
            np.savez(fh, **arrays)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
