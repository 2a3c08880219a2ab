"""The one place where skw2v leans on something other packages do not promise.

Everything else in the package uses public APIs only. Each helper here says
which outside behaviour it depends on and what happens when that changes, so
an upgrade of joblib or scikit-learn breaks (at most) this module, loudly.
Standard library only at import time; the helpers import what they read.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
import warnings

__all__ = ["BackendUnknownWarning", "caller_stacklevel", "joblib_backend_is_local",
           "release_free_memory", "scipy_csc_kernels", "scipy_csr_kernels"]

#: Backends whose workers run on this machine: threads, or local processes
#: that can open the same memory-mapped files.
_LOCAL_BACKENDS = ("loky", "threading", "multiprocessing", "sequential")
#: Backends known to run workers elsewhere (no shared memory).
_REMOTE_BACKENDS = ("dask", "ray", "spark")


class BackendUnknownWarning(UserWarning):
    """The active joblib backend could not be classified as local or remote."""


def joblib_backend_is_local():
    """Whether the active joblib backend runs its workers on this machine.

    joblib offers no public way to read the backend selected by
    ``joblib.parallel_config``; this reads it with
    ``joblib.parallel.get_active_backend`` (not in joblib's public API).
    Threads and local processes (loky, multiprocessing) can share
    ``np.memmap`` arrays; a Dask cluster cannot. A backend this function
    cannot classify, or a joblib without that function, is treated as
    remote, the scheme that works everywhere (synchronised shards), with a
    :class:`BackendUnknownWarning` that says so: the training scheme never
    changes silently.
    """
    try:
        from joblib.parallel import get_active_backend

        backend, _ = get_active_backend()
    except (ImportError, AttributeError, TypeError, ValueError) as exc:
        warnings.warn(f"Could not read the active joblib backend ({exc!r}); training as on a "
                      "cluster (synchronised shards).", BackendUnknownWarning,
                      stacklevel=caller_stacklevel())
        return False
    name = type(backend).__name__.lower()
    if any(k in name for k in _LOCAL_BACKENDS):
        return True
    if not any(k in name for k in _REMOTE_BACKENDS):
        warnings.warn(f"Unknown joblib backend {type(backend).__name__}: training as on a "
                      "cluster (synchronised shards, no shared memory). Pass n_shards to "
                      "choose the scheme yourself.", BackendUnknownWarning,
                      stacklevel=caller_stacklevel())
    return False


def _outside(frame):
    """Whether ``frame`` runs code of neither skw2v nor scikit-learn."""
    name = frame.f_globals.get("__name__", "")
    return name.split(".")[0] not in ("skw2v", "sklearn")


def caller_stacklevel():
    """``stacklevel`` that attributes a warning to the first frame outside skw2v.

    For a warning raised in the function that calls this one, whatever
    chain of skw2v functions led there (``fit``, ``fit_transform``,
    ``transform``...). Frames of scikit-learn (its ``set_output`` wrapper
    around ``transform``, a ``Pipeline`` calling ``fit``) are skipped too,
    by module name, so the warning points at the user's own line. Relies on
    ``sys._getframe``, which CPython and PyPy provide.
    """
    frame, level = sys._getframe(1), 1
    while frame is not None and not _outside(frame):
        frame, level = frame.f_back, level + 1
    return level


def scipy_csr_kernels():
    """SciPy's compiled CSR products ``(csr_matvec, csr_matvecs)``, or ``(None, None)``.

    ``csr_array @ x`` hands its ``(indptr, indices, data)`` to these kernels
    (``csr_matvecs`` for a matrix, ``csr_matvec`` for a vector); calling them
    directly gives the same sums, in the same order, without building a
    sparse matrix and validating it for every batch. They are private to
    SciPy, so they are used only after they have reproduced ``csr_array``
    bit for bit on a small product here; otherwise ``(None, None)`` and the
    batches build ``csr_array`` matrices.
    """
    try:
        import numpy as np
        from scipy.sparse import csr_array as _csr_array
        from scipy.sparse._sparsetools import csr_matvec, csr_matvecs

        rng = np.random.default_rng(0)
        indptr = np.array([0, 3, 4, 7], dtype=np.int32)
        indices = np.array([4, 0, 2, 1, 3, 0, 4], dtype=np.int32)
        for dtype in (np.float32, np.float64):
            data = np.full(indices.size, -0.3, dtype=dtype)
            x = rng.normal(size=(5, 3)).astype(dtype)
            y = rng.normal(size=5).astype(dtype)
            summer = _csr_array((data, indices, indptr), shape=(3, 5))
            got_x = np.zeros((3, 3), dtype=dtype)
            csr_matvecs(3, 5, 3, indptr, indices, data, x.reshape(-1), got_x.reshape(-1))
            got_y = np.zeros(3, dtype=dtype)
            csr_matvec(3, 5, indptr, indices, data, y, got_y)
            if not (np.array_equal(got_x, summer @ x) and np.array_equal(got_y, summer @ y)):
                return None, None
        return csr_matvec, csr_matvecs
    except Exception:  # noqa: BLE001 - any failure means: build csr_array matrices
        return None, None



def scipy_csc_kernels():
    """SciPy's compiled CSC products ``(csc_matvec, csc_matvecs)``, or ``(None, None)``.

    ``csc_matvecs(n_row, n_col, n_vecs, Ap, Ai, Ax, Xx, Yx)`` adds
    ``Ax[k] * X[j]`` to row ``Ai[k]`` of ``Y`` for every entry ``k`` of
    column ``j``, columns in order (``csc_array @ X`` runs it on a zero
    ``Y``; ``csc_matvec`` is the same for a vector). skw2v uses them to add
    rows into a matrix in place, with every weight 1, where ``y + 1 * x``
    rounds exactly as ``y + x`` (a fused multiply-add included), so the
    result equals ``np.add.at(Y, rows, X)``. They write into ``Yx`` in place
    only when it is a C-contiguous array of their dtype (otherwise into a
    silent copy): callers must check. Private to SciPy, so they are used only
    after reproducing ``csc_array`` and that in-place sum bit for bit here.
    """
    try:
        import numpy as np
        from scipy.sparse import csc_array as _csc_array
        from scipy.sparse._sparsetools import csc_matvec, csc_matvecs

        rng = np.random.default_rng(0)
        indptr = np.array([0, 2, 2, 5], dtype=np.int64)
        indices = np.array([4, 0, 2, 4, 1], dtype=np.int64)
        for dtype in (np.float32, np.float64):
            data = rng.normal(size=indices.size).astype(dtype)
            ones = np.ones(indices.size, dtype=dtype)
            x = rng.normal(size=(3, 4)).astype(dtype)
            y = rng.normal(size=3).astype(dtype)
            product = _csc_array((data, indices, indptr), shape=(5, 3))
            got_x = np.zeros((5, 4), dtype=dtype)
            csc_matvecs(5, 3, 4, indptr, indices, data, x.reshape(-1), got_x.reshape(-1))
            got_y = np.zeros(5, dtype=dtype)
            csc_matvec(5, 3, indptr, indices, data, y, got_y)
            target = rng.normal(size=(5, 4)).astype(dtype)
            expected = target.copy()
            np.add.at(expected, indices, x[[0, 0, 2, 2, 2]])
            csc_matvecs(5, 3, 4, indptr, indices, ones, x.reshape(-1), target.reshape(-1))
            if not (np.array_equal(got_x, product @ x) and np.array_equal(got_y, product @ y)
                    and np.array_equal(target, expected)):
                return None, None
        return csc_matvec, csc_matvecs
    except Exception:  # noqa: BLE001 - any failure means: NumPy's np.add.at
        return None, None


_MALLOC_TRIM = []  # [function or None], looked up once


def release_free_memory():
    """Give the C heap's free pages back to the operating system, where the C library can.

    Memory that Python and NumPy free goes back to the C allocator, which
    keeps it for reuse: glibc's main heap only shrinks from its top, so the
    pages freed below a live block stay resident. ``malloc_trim(0)`` (a GNU
    extension, declared in ``<malloc.h>``) returns every whole free page of
    the heap to the system; nothing is moved and no live allocation changes.
    Elsewhere (macOS, Windows, musl) the function does not exist and this
    does nothing.

    Returns
    -------
    released : bool
        Whether ``malloc_trim`` was called and reported memory released.
    """
    trim = _glibc(_MALLOC_TRIM, "malloc_trim", ["c_size_t"])
    return bool(trim(0)) if trim is not None else False


def _glibc(cache, name, argtypes):
    """The C library's ``int name(argtypes)`` on Linux, looked up once into ``cache``; or None.

    ``cache`` is a list that holds the function (or None where the library
    has no such function, as on musl, macOS or Windows) after the first call.
    """
    if not cache:
        fn = None
        if sys.platform.startswith("linux"):
            try:
                import ctypes

                fn = getattr(ctypes.CDLL(None), name)
                fn.argtypes = [getattr(ctypes, t) for t in argtypes]
                fn.restype = ctypes.c_int
            except (ImportError, OSError, AttributeError):
                fn = None
        cache.append(fn)
    return cache[0]


_MALLOPT = []  # [function or None], looked up once
_HEAP_LOCK = threading.Lock()
_HEAP_USERS = [0]
#: glibc's ``mallopt`` parameters (``<malloc.h>``).
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3
#: While training: allocations up to this size come from the heap (glibc's
#: largest allowed value on 64-bit systems, 32 MiB) ...
_TRAINING_MMAP_THRESHOLD = 32 << 20
#: ... and the heap is trimmed only when this much is free at its top.
_TRAINING_TRIM_THRESHOLD = 256 << 20
#: glibc's default mmap threshold, which a fixed ``MALLOC_TRIM_THRESHOLD_``
#: leaves in place (setting it turns the dynamic threshold off).
_GLIBC_MMAP_THRESHOLD = 128 << 10


@contextlib.contextmanager
def training_heap():
    """Keep the C heap's large temporaries reusable while training, in processes that trim eagerly.

    Dask's nanny starts its workers with ``MALLOC_TRIM_THRESHOLD_=65536``.
    Setting that variable also fixes glibc's mmap threshold at 128 KiB, so
    every temporary array of a training batch above that size is mapped and
    unmapped, page faults included: a fit ran 3.4 times slower in such a
    process (``benchmarks/README.md``). Where the variable is set (and
    glibc's ``mallopt`` exists), this context raises both thresholds while
    at least one training call in the process is inside it, then restores
    the variable's trim threshold and the fixed 128 KiB mmap threshold and
    gives the free pages back (:func:`release_free_memory`). Elsewhere it
    does nothing.
    """
    trim_env = os.environ.get("MALLOC_TRIM_THRESHOLD_")
    mallopt = _glibc(_MALLOPT, "mallopt", ["c_int", "c_int"]) if trim_env is not None else None
    try:
        restore_trim = int(trim_env) if trim_env is not None else None
    except ValueError:
        mallopt = None
    if mallopt is None:
        yield
        return
    with _HEAP_LOCK:
        _HEAP_USERS[0] += 1
        if _HEAP_USERS[0] == 1:
            mallopt(_M_MMAP_THRESHOLD, _TRAINING_MMAP_THRESHOLD)
            mallopt(_M_TRIM_THRESHOLD, _TRAINING_TRIM_THRESHOLD)
    try:
        yield
    finally:
        with _HEAP_LOCK:
            _HEAP_USERS[0] -= 1
            if _HEAP_USERS[0] == 0:
                mallopt(_M_TRIM_THRESHOLD, restore_trim)
                mmap_env = os.environ.get("MALLOC_MMAP_THRESHOLD_", "")
                mallopt(_M_MMAP_THRESHOLD,
                        int(mmap_env) if mmap_env.isdigit() else _GLIBC_MMAP_THRESHOLD)
                release_free_memory()
