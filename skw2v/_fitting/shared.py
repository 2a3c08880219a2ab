"""Shared-memory vectors for Hogwild training, and the folders that hold them.

With several local jobs and no ``n_shards``, the word vectors live in
memory-mapped files (in ``/dev/shm`` when it has room) that every worker
opens in place. Folders are named with the owning process id, so a later fit
can remove what a killed one left behind.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import re
import shutil
import sys
import tempfile

import numpy as np

logger = logging.getLogger("skw2v")


def shared_memory_dir():
    """A RAM-backed folder for shared vectors when the OS has one, else the default."""
    shm = "/dev/shm"
    if os.path.isdir(shm) and os.access(shm, os.W_OK):
        return shm
    return None


#: Room kept free beyond the vectors in the shared-memory or temporary folder.
_SHARED_MARGIN = 0.05
_SHARED_MARGIN_BYTES = 16 << 20


def free_bytes(folder):
    """Bytes an unprivileged process may still write in ``folder``; None if unknown."""
    try:
        st = os.statvfs(folder)
    except (AttributeError, OSError):
        return None
    return st.f_bavail * st.f_frsize


def shared_folder(nbytes, temp_folder=None):
    """Folder for the shared vectors: RAM-backed when it has room, else the temp folder.

    A file of ``nbytes`` (both matrices) plus a margin must fit in the
    free space reported by ``os.statvfs``: a memory map of a file that
    outgrows its tmpfs kills the process with SIGBUS instead of raising.

    Raises
    ------
    OSError
        When neither folder has room.
    """
    need = int(nbytes * (1 + _SHARED_MARGIN)) + _SHARED_MARGIN_BYTES
    temp = os.fspath(temp_folder) if temp_folder is not None else tempfile.gettempdir()
    tried = []
    for folder in (shared_memory_dir(), temp):
        if folder is None:
            continue
        if folder is temp and not os.path.isdir(temp):
            raise ValueError(f"temp_folder={temp!r} is not an existing directory; create it or "
                             "pass another folder.")
        free = free_bytes(folder)
        if free is None or free >= need:
            if tried:
                logger.info("%s has %s bytes free, %d needed for the shared vectors; using %s",
                            tried[0][0], tried[0][1], need, folder)
            return folder
        tried.append((folder, free))
    where = "; ".join(f"{f} has {free / 1e6:.1f} MB free" for f, free in tried)
    raise OSError(
        errno.ENOSPC,
        f"No room for the shared word vectors of training with several n_jobs: they need "
        f"{need / 1e6:.1f} MB ({where}). Free space, pass temp_folder= a folder with more "
        "room, lower n_components or the vocabulary (min_count, max_vocab_size), or train "
        "with n_jobs=1 or n_shards= (which keep the vectors in process memory).")


def shared_empty(path, shape, dtype):
    """A new ``np.memmap`` file of ``shape`` at ``path`` (opened read-write, zero-filled).

    The file's blocks are allocated before it is mapped (``posix_fallocate``
    where available), so a full disk raises OSError here rather than
    SIGBUS on a later write through the map.
    """
    nbytes = int(np.prod(shape, dtype=np.int64)) * np.dtype(dtype).itemsize
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        try:
            os.posix_fallocate(fd, 0, nbytes)
        except AttributeError:  # not on this platform: a sparse file
            os.ftruncate(fd, nbytes)
        except OSError as exc:
            if exc.errno in (errno.EOPNOTSUPP, errno.EINVAL, getattr(errno, "ENOTSUP", -1)):
                os.ftruncate(fd, nbytes)  # the file system cannot preallocate
            else:
                raise OSError(
                    exc.errno,
                    f"Could not allocate {nbytes / 1e6:.1f} MB for the shared word "
                    f"vectors in {os.path.dirname(os.path.dirname(path))} ({exc.strerror}). "
                    "Free space there, pass temp_folder= a folder with more room, or train "
                    "with n_jobs=1.") from exc
    finally:
        os.close(fd)
    return np.memmap(path, dtype=dtype, mode="r+", shape=shape)


def owned_prefix(prefix):
    """``prefix`` followed by this process's id: folders a later fit may clean up."""
    return f"{prefix}{os.getpid()}-"


_OWNED = re.compile(r"skw2v-(?:corpus-)?(\d+)-")


def _pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # PermissionError: alive, someone else's
        return True
    return True


def remove_stale_folders(folders):
    """Delete ``skw2v-<pid>-*`` folders left by processes that no longer exist.

    A fit killed by SIGKILL (or a crash) cannot remove its shared vectors
    or spilled corpus. Only folders named with a process id, owned by this
    user, whose process is gone are removed; a live process's folder and
    folders of other naming are never touched. POSIX only.
    """
    if os.name != "posix":
        return []
    removed = []
    for folder in {os.fspath(f) for f in folders if f is not None}:
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            m = _OWNED.match(entry.name)
            if not m:
                continue
            pid = int(m.group(1))
            try:
                if (not entry.is_dir(follow_symlinks=False)
                        or entry.stat(follow_symlinks=False).st_uid != os.getuid()):
                    continue
            except OSError:
                continue
            if pid == os.getpid() or _pid_alive(pid):
                continue
            shutil.rmtree(entry.path, ignore_errors=True)
            removed.append(entry.path)
    if removed:
        logger.info("removed %d folder(s) left by skw2v processes that no longer run: %s",
                    len(removed), ", ".join(removed))
    return removed


def detached(shared):
    """An ndarray with the contents of a map of :func:`shared_space`, valid after it closes.

    On Linux, a map of a file in shared memory (``/dev/shm``) outlives the
    file's removal, and its pages are freed with the last reference: the
    map itself is returned as a plain ndarray, with no copy (with 2M subword
    buckets, 800 MB less at the end of a fit). Elsewhere, or for a file on
    disk (whose blocks would stay allocated while the array lives), a copy.
    """
    filename = os.fspath(getattr(shared, "filename", None) or "")
    if sys.platform.startswith("linux") and filename.startswith("/dev/shm/"):
        return np.asarray(shared)
    return np.array(shared)


@contextlib.contextmanager
def shared_space(nbytes, temp_folder=None):
    """A folder for maps that local workers open in place, removed on leaving.

    Yields ``allocate(name, shape, dtype)``, which makes a zero-filled
    :func:`shared_empty` map in the folder (in shared memory when it has
    room for ``nbytes``). Arrays created there directly are never held twice
    (with 2M subword buckets, 800 MB less at the peak than a copy).
    """
    folder = shared_folder(nbytes, temp_folder)
    path = tempfile.mkdtemp(prefix=owned_prefix("skw2v-"), dir=folder)
    try:
        yield lambda name, shape, dtype: shared_empty(os.path.join(path, name), shape, dtype)
    finally:
        shutil.rmtree(path, ignore_errors=True)
