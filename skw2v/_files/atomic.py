"""Atomic file writes: every file skw2v writes goes through :func:`atomic_file`.

A write goes to a hidden temporary file in the destination's folder, which is
flushed and fsync'ed and then moved over the destination with
:func:`os.replace`. Until that rename the destination is untouched, so an
exception (a full disk, an unencodable word, KeyboardInterrupt) leaves the
previous file as it was and no temporary file behind.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from typing import IO

import numpy as np

__all__ = ["atomic_file", "atomic_savez", "check_writable", "check_writable_dir"]


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


def _target(path: str | os.PathLike) -> tuple[str, str]:
    """Absolute destination and its folder; refuse a missing folder or a directory."""
    target = os.path.abspath(os.fsdecode(os.fspath(path)))
    directory = os.path.dirname(target)
    if not os.path.isdir(directory):
        raise FileNotFoundError(2, "output directory does not exist", directory)
    if os.path.isdir(target):
        raise IsADirectoryError(21, "is a directory", target)
    return target, directory


def _discard(tmp: IO[bytes]) -> None:
    """Close and delete a temporary file, whatever closing it raises.

    Closing flushes the buffer, which fails again on a full disk: that error
    must not keep the file from being deleted (the error being handled is
    the one the caller sees).
    """
    try:
        tmp.close()
    except BaseException:  # noqa: BLE001 - the original error is re-raised by the caller
        pass
    with contextlib.suppress(OSError):
        os.unlink(tmp.name)


@contextlib.contextmanager
def atomic_file(path: str | os.PathLike, suffix: str = "") -> Iterator[IO[bytes]]:
    """Write ``path`` atomically through a temporary file in the same directory.

    Parameters
    ----------
    path : str or os.PathLike
        The final destination.
    suffix : str, default=""
        Suffix of the temporary file name (default ``".tmp"``).

    Yields
    ------
    file : binary file object
        The open temporary file (named ``.<name>.<random><suffix>``). When
        the block ends without error the file is flushed, fsync'ed, given the
        mode of the file it replaces (or the umask default) and moved onto
        ``path``. On any exception, KeyboardInterrupt included, the temporary
        file is deleted and ``path`` is untouched.

    Raises
    ------
    FileNotFoundError
        If the directory of ``path`` does not exist.
    IsADirectoryError
        If ``path`` is a directory.
    """
    target, directory = _target(path)
    try:
        mode = os.stat(target).st_mode & 0o7777
    except OSError:
        mode = 0o666 & ~_umask()
    try:
        tmp = tempfile.NamedTemporaryFile(mode="w+b", dir=directory,  # noqa: SIM115
                                          prefix=f".{os.path.basename(target)}.",
                                          suffix=suffix or ".tmp", delete=False)
    except OSError as exc:  # name the file the caller asked for, not the temporary one
        raise type(exc)(exc.errno, f"cannot create files in the directory to write {target} "
                                   f"({exc.strerror or exc})", directory) from None
    try:
        yield tmp
        tmp.flush()
        os.fsync(tmp.fileno())
        tmp.close()
        with contextlib.suppress(OSError):
            os.chmod(tmp.name, mode)
        os.replace(tmp.name, target)
    except BaseException as exc:
        _discard(tmp)
        if isinstance(exc, OSError) and exc.filename == tmp.name:
            exc.filename = target  # the temporary file no longer exists
            exc.filename2 = None
        raise
    # Make the rename itself durable (POSIX only; best effort).
    with contextlib.suppress(OSError, AttributeError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def check_writable(path: str | os.PathLike) -> None:
    """Check that :func:`atomic_file` can write ``path``, by creating and removing a file.

    The folder must pass :func:`os.access` and a temporary file must really
    be creatable in it: permission bits alone do not tell (root ignores
    them; read-only mounts and network folders have rules of their own).

    Raises
    ------
    FileNotFoundError
        If the directory of ``path`` does not exist.
    NotADirectoryError
        If the parent of ``path`` is not a directory.
    IsADirectoryError
        If ``path`` is a directory.
    PermissionError, OSError
        If no file can be created in the directory; the message names it.
    """
    target = os.path.abspath(os.fsdecode(os.fspath(path)))
    directory = os.path.dirname(target)
    if os.path.exists(directory) and not os.path.isdir(directory):
        raise NotADirectoryError(20, "the output's parent is not a directory", directory)
    _target(path)
    check_writable_dir(directory, prefix=f".{os.path.basename(target)}.")


def check_writable_dir(directory: str | os.PathLike, prefix: str = ".skw2v-check.") -> None:
    """Check that files can be created in ``directory`` (see :func:`check_writable`)."""
    directory = os.fsdecode(os.fspath(directory))
    if not os.access(directory, os.W_OK | os.X_OK):
        raise PermissionError(13, "cannot create files in the directory (no write permission)",
                              directory)
    try:
        with tempfile.NamedTemporaryFile(dir=directory, prefix=prefix, suffix=".tmp"):
            pass
    except OSError as exc:
        raise type(exc)(exc.errno, f"cannot create files in the directory "
                                   f"({exc.strerror or exc})", directory) from None


def atomic_savez(path, **arrays) -> None:
    """Write arrays to ``path`` (npz, uncompressed) atomically, see :func:`atomic_file`.

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
