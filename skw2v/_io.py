"""Atomic file writes (no pickle anywhere)."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from typing import IO

import numpy as np


def _umask() -> int:
    """The process umask, read without changing it where the OS allows."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def atomic_file(path: str | os.PathLike, suffix: str = "") -> Iterator[IO[bytes]]:
    """Write ``path`` atomically through a temporary file in the same directory.

    Parameters
    ----------
    path : str or os.PathLike
        The final destination.
    suffix : str, default=""
        Suffix of the temporary file name (keep ``".gz"`` or ``".bz2"`` for
        writers that choose the compression from the name).

    Yields
    ------
    file : binary file object
        The open temporary file. Write to it, or to the path ``file.name``.
        When the block ends without error the file is flushed, fsync'ed and
        moved onto ``path``; on error it is deleted and ``path`` is untouched.

    Raises
    ------
    FileNotFoundError
        If the directory of ``path`` does not exist.
    """
    target = os.path.abspath(os.fsdecode(os.fspath(path)))
    directory = os.path.dirname(target)
    if not os.path.isdir(directory):
        raise FileNotFoundError(2, "output directory does not exist", directory)
    if os.path.isdir(target):
        raise IsADirectoryError(21, "is a directory", target)
    try:
        mode = os.stat(target).st_mode & 0o7777
    except OSError:
        mode = 0o666 & ~_umask()
    # Closed below on every path (delete=False: it is renamed, not deleted, on success).
    tmp = tempfile.NamedTemporaryFile(mode="w+b", dir=directory,
                                      prefix=f".{os.path.basename(target)}.",
                                      suffix=suffix or ".tmp", delete=False)
    try:
        yield tmp
        tmp.flush()
        os.fsync(tmp.fileno())
        tmp.close()
        with contextlib.suppress(OSError):
            os.chmod(tmp.name, mode)
        os.replace(tmp.name, target)
    except BaseException:
        tmp.close()
        with contextlib.suppress(OSError):
            os.unlink(tmp.name)
        raise
    # Make the rename itself durable (POSIX only; best effort).
    with contextlib.suppress(OSError, AttributeError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


# --------------------------------------------------------------------------
# Parameters
# --------------------------------------------------------------------------

def atomic_savez(path, **arrays) -> None:
    """Write arrays to ``path`` (npz) atomically, see :func:`atomic_file`.

    Parameters
    ----------
    path : str or path-like
    **arrays : ndarray
        Arrays to store; object arrays are refused.
    """
    for name, value in arrays.items():
        if np.asarray(value).dtype.hasobject:
            raise TypeError(f"array {name!r} has dtype object, which cannot be stored safely.")
    with atomic_file(path) as fh:
        np.savez(fh, **arrays)
