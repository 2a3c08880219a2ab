"""Encoded corpora in memory or on disk, processed in bounded blocks.

An encoded corpus is a flat ``int32`` array of word ids plus ``int64``
document offsets. Past a size threshold the id array is *spilled*: written to
a raw ``int32`` file in a temporary folder and read back in blocks
(``readinto`` a new array). Blocks are read, not memory-mapped, so the pages of the file
live in the operating system's page cache and never count towards the
process's resident memory; the resident set stays at the model plus a few
blocks.

Every pass here (remapping to the final vocabulary, per-epoch subsampling,
document statistics) works block by block, for in-memory arrays too, so an
in-memory corpus costs 4 bytes per token plus one block, not the 17-21 bytes
per token of whole-array NumPy expressions. Imports only NumPy and SciPy.
"""

from __future__ import annotations

import errno
import os
import re
import shutil
import tempfile

import numpy as np
import scipy.sparse as sp

#: Tokens per block of the block-wise passes (4 MiB of int32; a pass holds
#: about 6 arrays of a block at once).
BLOCK_TOKENS = 1 << 20
#: Tokens counted at once in a document longer than a block (see
#: :func:`document_blocks`): ``np.bincount`` converts its input to int64,
#: so a block of 1M tokens would take 12 MiB with its copy.
COUNT_TOKENS = 1 << 18

_ITEMSIZE = np.dtype(np.int32).itemsize
#: Largest byte count accepted (an int64 file offset).
MAX_NBYTES = (1 << 63) - 1
_UNITS = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}


def parse_nbytes(value, name="spill_threshold"):
    """Parse a byte count: None, a non-negative int, or a string such as ``"500M"``.

    Parameters
    ----------
    value : None, int or str
        Suffixes K, M, G and T (powers of 1024, an optional trailing ``B``)
        are understood, case-insensitively.
    name : str
        Parameter name for error messages.

    Returns
    -------
    nbytes : int or None
    """
    if value is None:
        return None
    if isinstance(value, str) and value.strip().lower() == "auto":
        return "auto"
    fix = ("Use 'auto' (the default), None to keep the corpus in memory, 0 to always spill, "
           "or a size such as '500M'.")
    if isinstance(value, (bool, np.bool_)):
        raise ValueError(f"The '{name}' parameter must be None, a number of bytes or a string "
                         f"such as '500M'; got {value!r}. {fix}")
    if isinstance(value, (int, np.integer)):
        nbytes = int(value)
    elif isinstance(value, str) and len(value) <= 1000:
        m = re.fullmatch(r"\s*(\d+)(?:\.(\d*))?\s*([KMGT]?)B?\s*", value.upper())
        if not m:
            raise ValueError(f"The '{name}' parameter must be None, a number of bytes or a "
                             f"string such as '500M' or '2G'; got {value!r}. {fix}")
        # exact integer arithmetic: no float overflow for long digit strings
        whole, frac, unit = m.group(1), m.group(2) or "", _UNITS[m.group(3)]
        nbytes = int(whole) * unit + (int(frac) * unit // 10 ** len(frac) if frac else 0)
    else:
        shown = (repr(value) if not isinstance(value, str)
                 else f"a string of {len(value)} characters")
        raise ValueError(f"The '{name}' parameter must be None, a number of bytes or a string "
                         f"such as '500M' or '2G'; got {shown}. {fix}")
    if nbytes < 0:
        raise ValueError(f"The '{name}' parameter must be >= 0 bytes; got {value!r}. {fix}")
    if nbytes > MAX_NBYTES:
        raise ValueError(f"The '{name}' parameter must be at most {MAX_NBYTES} bytes (8 EiB); "
                         f"got a number of {len(str(nbytes))} digits. {fix}")
    return nbytes


#: ``spill_threshold="auto"`` for documents given as text: spill once the encoded corpus
#: exceeds this share of the memory available when the fit starts.
AUTO_MEMORY_SHARE = 0.25


def available_memory():
    """Bytes of memory available to a new allocation, or None if unknown.

    ``MemAvailable`` of ``/proc/meminfo`` on Linux, else the free physical
    pages that ``os.sysconf`` reports.
    """
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, OSError, ValueError):
        return None


def resolve_spill_threshold(threshold, input_kind):
    """The threshold in bytes (or None) for a parsed ``spill_threshold``, and why.

    ``"auto"`` spills from the start when the documents are files
    (``input="filename"`` or ``"file"``): the corpus may be larger than
    memory, and a spilled corpus trains bit for bit as an in-memory one.
    For documents given as text (already in memory), it spills once the
    encoded corpus exceeds :data:`AUTO_MEMORY_SHARE` of the available
    memory, and keeps it in memory when that is unknown.

    Returns
    -------
    nbytes : int or None
    reason : str
        For the verbose log.
    """
    if threshold != "auto":
        return threshold, f"spill_threshold={threshold!r}"
    if input_kind in ("filename", "file"):
        return 0, f"spill_threshold='auto': input={input_kind!r}, the corpus goes to disk"
    avail = available_memory()
    if avail is None:
        return None, "spill_threshold='auto': available memory unknown, the corpus stays in memory"
    nbytes = int(avail * AUTO_MEMORY_SHARE)
    return nbytes, (f"spill_threshold='auto': the corpus goes to disk past {nbytes / 2**20:.0f} "
                    f"MiB ({AUTO_MEMORY_SHARE:.0%} of the {avail / 2**20:.0f} MiB available)")


def write_failed(exc, path, what):
    """The error to raise when writing ``what`` to ``path`` failed, mostly for a full disk.

    NumPy reports a short write as ``"N requested and M written"``, without
    an errno; the message says what that means and how to fix it.
    """
    folder = os.path.dirname(os.path.dirname(os.path.abspath(path)))
    try:
        free = shutil.disk_usage(folder).free
        room = f"{free / 1e6:.1f} MB free now"
    except OSError:
        room = "free space unknown"
    return OSError(
        exc.errno or errno.ENOSPC,
        f"Could not write {what} to {path} ({exc}): the disk holding {folder} is probably "
        f"full ({room}). Free space there, or pass temp_folder= a folder on a disk with room "
        "for about 8 bytes per token, or set spill_threshold=None to keep the corpus in "
        "memory. The partial files are removed.")


class TokenFile:
    """An ``int32`` token array kept in a raw file and read in blocks.

    Pickling copies only the path and the size, so a local worker process
    opens the same file, and so does a Dask worker that sees the folder
    (shared storage, or a cluster on this machine). The synchronised
    training mode checks that it does (:class:`SharedCorpus`), and ships
    in-memory slices to workers that do not.

    Parameters
    ----------
    path : str
    size : int
        Number of tokens.
    """

    dtype = np.dtype(np.int32)

    def __init__(self, path, size):
        self.path = str(path)
        self.size = int(size)

    def __len__(self):
        return self.size

    def __repr__(self):
        return f"TokenFile({self.path!r}, size={self.size})"

    def read(self, start, stop):
        """Tokens ``[start, stop)`` as a new in-memory array."""
        start, stop = max(int(start), 0), min(int(stop), self.size)
        if stop <= start:
            return np.empty(0, dtype=np.int32)
        out = np.empty(stop - start, dtype=np.int32)
        with open(self.path, "rb", buffering=0) as fh:
            fh.seek(start * _ITEMSIZE)
            n = read_into(fh, out)
        return out if n == out.size else out[:n].copy()


def read_into(fh, out):
    """Fill ``out`` from the unbuffered binary file ``fh``; return the number of items read.

    Fewer than ``out.size`` only at the end of the file. A single ``read``
    may return less than asked (Linux stops at 2 GiB), so this loops.
    """
    view = memoryview(out).cast("B")
    got = 0
    while got < view.nbytes:
        n = fh.readinto(view[got:])
        if not n:
            break
        got += n
    return got // out.itemsize


def document_slice(offsets, start, stop):
    """The document offsets that positions ``[start, stop)`` need.

    ``offsets[first:last + 1]``, from the start of the document holding
    ``start`` to the first offset at or past ``stop``: the document bounds
    of every position in the range, computed from this slice, equal those
    computed from all the offsets (see
    :func:`~skw2v._core.pairs.document_bounds`), so a worker needs no more.
    """
    first = max(int(np.searchsorted(offsets, start, side="right")) - 1, 0)
    last = int(np.searchsorted(offsets, stop, side="left"))
    return np.array(offsets[first:last + 1], dtype=np.int64)


class OffsetFile:
    """``int64`` document offsets kept in a raw file; pickles as its path and size.

    Parameters
    ----------
    path : str
    size : int
        Number of offsets (documents + 1).
    """

    dtype = np.dtype(np.int64)

    def __init__(self, path, size):
        self.path = str(path)
        self.size = int(size)

    def __repr__(self):
        return f"OffsetFile({self.path!r}, size={self.size})"

    @classmethod
    def write(cls, path, offsets):
        """Write ``offsets`` to ``path``; return the :class:`OffsetFile`."""
        offsets = np.ascontiguousarray(offsets, dtype=np.int64)
        try:
            offsets.tofile(path)
        except OSError as exc:
            raise write_failed(exc, path, "the document offsets") from exc
        return cls(path, offsets.size)

    def around(self, start, stop):
        """:func:`document_slice` of the offsets in the file, reading only that part.

        The two binary searches go through a read-only map (they touch a
        few pages); the slice is copied out.
        """
        if self.size == 0:
            return np.empty(0, dtype=np.int64)
        mapped = np.memmap(self.path, dtype=np.int64, mode="r", shape=(self.size,))
        out = document_slice(mapped, start, stop)  # a copy: the map closes with its last view
        del mapped
        return out


class CorpusNotVisible(OSError):
    """A worker cannot read the corpus files the client wrote (another disk)."""


#: Pieces of a file read by :func:`fingerprint`, and their size in bytes.
FINGERPRINT_PIECES = 8
FINGERPRINT_BYTES = 4096


def fingerprint(path):
    """A short digest of a file: its size and a few pieces spread over it.

    Cheap (8 reads of 4 KiB), for a worker to check that the file at
    ``path`` on its machine is the one the client wrote, not a missing,
    truncated, stale or other file of the same name. Raises OSError if the
    file cannot be read.
    """
    import hashlib

    size = os.path.getsize(path)
    digest = hashlib.blake2b(str(size).encode(), digest_size=16)
    with open(path, "rb") as fh:
        for k in range(FINGERPRINT_PIECES):
            fh.seek(max(size - FINGERPRINT_BYTES, 0) * k // max(FINGERPRINT_PIECES - 1, 1))
            digest.update(fh.read(FINGERPRINT_BYTES))
    return f"{size}:{digest.hexdigest()}"


class SharedCorpus:
    """A corpus in files that workers read themselves: only this handle travels.

    Pickles as two paths, two sizes and the files' fingerprints (a few
    hundred bytes), whatever the corpus size.

    Parameters
    ----------
    tokens : TokenFile
    offsets : OffsetFile
    """

    def __init__(self, tokens, offsets):
        self.tokens = tokens
        self.offsets = offsets
        self.digests = (fingerprint(tokens.path), fingerprint(offsets.path))

    def __repr__(self):
        return f"SharedCorpus({self.tokens!r}, {self.offsets!r})"

    def problem(self):
        """Why this process cannot read the files the client wrote, or None if it can."""
        for f, digest, itemsize in ((self.tokens, self.digests[0], _ITEMSIZE),
                                    (self.offsets, self.digests[1], 8)):
            try:
                seen = fingerprint(f.path)
            except OSError as exc:
                return f"cannot read {f.path} ({exc.strerror or exc})"
            if seen != digest:
                size = seen.split(":")[0]
                return (f"{f.path} differs from the client's ({size} bytes here, "
                        f"{f.size * itemsize} there, or other content)")
        return None

    def check(self):
        """Raise :class:`CorpusNotVisible` unless this process reads the client's files."""
        problem = self.problem()
        if problem is not None:
            import socket

            raise CorpusNotVisible(f"On {socket.gethostname()} (pid {os.getpid()}): {problem}.")


def read_tokens(ids, start, stop):
    """Tokens ``[start, stop)`` of an in-memory array (a view) or a :class:`TokenFile`."""
    if isinstance(ids, TokenFile):
        return ids.read(start, stop)
    return ids[max(int(start), 0):int(stop)]


class Workspace:
    """Where encoded corpora above ``threshold`` bytes are written.

    The folder is created on first use, under ``folder`` (None: the system
    temporary folder, which honours ``TMPDIR``), and removed with everything
    in it by :meth:`close`, which also runs on leaving a ``with`` block,
    whether by an error or not.

    Parameters
    ----------
    threshold : int or None
        A corpus larger than this many bytes is spilled; None never spills,
        0 always does.
    folder : str, path-like or None
    """

    def __init__(self, threshold=None, folder=None):
        self.threshold = threshold
        self.folder = None if folder is None else os.fspath(folder)
        self.path = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def spills(self, nbytes):
        """Whether a corpus of ``nbytes`` bytes goes to disk."""
        return self.threshold is not None and nbytes > self.threshold

    def file(self, name):
        """Path of a file of this workspace (the folder is made on first use)."""
        if self.path is None:
            if self.folder is not None and not os.path.isdir(self.folder):
                raise ValueError(
                    f"temp_folder={self.folder!r} is not an existing directory; create it or "
                    "pass another folder.")
            # the process id lets a later fit remove the folder if this process is killed
            self.path = tempfile.mkdtemp(prefix=f"skw2v-corpus-{os.getpid()}-", dir=self.folder)
        return os.path.join(self.path, name)

    def close(self):
        """Delete the folder and its files."""
        if self.path is not None:
            shutil.rmtree(self.path, ignore_errors=True)
            self.path = None


#: Tokens per slab of an in-memory :class:`TokenSink` (64 MiB). Slabs are
#: large enough that the C library maps each one separately and returns it to
#: the OS when freed, rather than scattering many small blocks through the
#: heap, where they would pin freed memory around them.
SLAB_TOKENS = 1 << 24


class TokenSink:
    """Collect ``int32`` token blocks, in memory until they outgrow the threshold.

    In memory, blocks are copied into large preallocated slabs.

    Parameters
    ----------
    workspace : Workspace
    name : str
        File name inside the workspace when spilled.
    spill : bool or None, default=None
        True writes to disk from the start, False never does, None decides
        by the workspace threshold as the corpus grows.
    """

    def __init__(self, workspace, name, spill=None):
        self.workspace = workspace
        self.name = name
        self.slabs: list[np.ndarray] = []
        self.fill = 0  # tokens used in the last slab
        self.size = 0
        self.handle = None
        self.spill = spill  # with True the file is opened by the first append or finish

    def _filled(self):
        """The filled part of each slab, in order."""
        for k, slab in enumerate(self.slabs):
            yield slab if k < len(self.slabs) - 1 else slab[:self.fill]

    def _open(self):
        path = self.workspace.file(self.name)
        self.handle = open(path, "wb")  # noqa: SIM115 - closed in finish() or close()
        for part in self._filled():
            self._write(part)
        self.slabs, self.fill = [], 0

    def _write(self, block):
        try:
            self.handle.write(memoryview(block))
        except OSError as exc:
            path = self.handle.name
            self.close()
            raise write_failed(exc, path, "the spilled corpus") from exc

    def close(self):
        """Close the file, if one is open (the workspace deletes it). Idempotent."""
        if self.handle is not None:
            self.handle.close()
            self.handle = None

    def append(self, block):
        """Add a block of tokens (copied)."""
        block = np.asarray(block, dtype=np.int32).ravel()
        self.size += block.size
        if self.spill and self.handle is None:
            self._open()
        if self.handle is not None:
            self._write(block)
            return
        pos = 0
        while pos < block.size:
            if not self.slabs or self.fill == self.slabs[-1].size:
                self.slabs.append(np.empty(max(SLAB_TOKENS, 1), dtype=np.int32))
                self.fill = 0
            n = min(block.size - pos, self.slabs[-1].size - self.fill)
            self.slabs[-1][self.fill:self.fill + n] = block[pos:pos + n]
            self.fill += n
            pos += n
        if self.spill is None and self.workspace.spills(self.size * _ITEMSIZE):
            self._open()

    def finish(self):
        """The collected tokens: an ndarray, or a :class:`TokenFile` if spilled."""
        if self.spill and self.handle is None:
            self._open()  # nothing was appended: an empty file
        if self.handle is not None:
            try:
                self.handle.flush()
            except OSError as exc:
                path = self.handle.name
                self.close()
                raise write_failed(exc, path, "the spilled corpus") from exc
            self.close()
            return TokenFile(self.workspace.file(self.name), self.size)
        if len(self.slabs) == 1:
            out = self.slabs[0][:self.fill]
            if self.fill < self.slabs[0].size // 2:
                out = out.copy()  # do not pin a mostly empty slab
            self.slabs = []
            return out
        # copy slab by slab, freeing each as it goes: peak = corpus + one slab
        out = np.empty(self.size, dtype=np.int32)
        parts = list(self._filled())[::-1]
        self.slabs = []
        pos = 0
        while parts:
            part = parts.pop()
            out[pos:pos + part.size] = part
            pos += part.size
            del part
        return out


def iter_blocks(n, block=None):
    """``(start, stop)`` of consecutive blocks covering ``range(n)``."""
    block = BLOCK_TOKENS if block is None else block
    for a in range(0, n, block):
        yield a, min(a + block, n)


def _filter_blocks(ids, offsets, select, emit, block):
    """The loop shared by :func:`remap_compact` and :func:`subsample`.

    For each block of ``ids``, ``select(chunk)`` gives ``(values, keep)``;
    ``values[keep]`` are the block's kept tokens, passed to
    ``emit(kept, position)`` with their position among all kept tokens.

    Returns
    -------
    offsets : ndarray of int64
        Document offsets among the kept tokens.
    n_kept : int
    """
    n = len(ids)
    new_offsets = np.empty_like(offsets)
    w = doc = 0
    for a, b in iter_blocks(n, block):
        values, keep = select(read_tokens(ids, a, b))
        # offsets inside [a, b) (and n itself, in the last block)
        hi = np.searchsorted(offsets, b, side="left" if b < n else "right")
        csum = np.zeros(b - a + 1, dtype=np.int32)  # a block has < 2**31 tokens
        np.cumsum(keep, out=csum[1:])
        new_offsets[doc:hi] = csum[offsets[doc:hi] - a].astype(np.int64) + w
        doc = hi
        kept = values[keep]
        emit(kept, w)
        w += kept.size
    new_offsets[doc:] = w
    return new_offsets, w


def remap_compact(ids, offsets, remap, block=None):
    """Map ids through ``remap`` and drop the tokens mapped to -1, in place.

    Parameters
    ----------
    ids : ndarray of int32 or TokenFile
        Overwritten (the file is truncated to the kept tokens).
    offsets : ndarray of int64 of shape (n_documents + 1,)
    remap : ndarray of int32
        New id of each old id, -1 to drop.

    Returns
    -------
    ids : ndarray of int32 or TokenFile
        The kept tokens (a view of the input array, or the same file).
    offsets : ndarray of int64
        Document offsets among the kept tokens.
    """
    block = BLOCK_TOKENS if block is None else block

    def select(chunk):
        enc = remap[chunk]
        return enc, enc >= 0

    # writing at the kept position never overtakes the block being read
    if not isinstance(ids, TokenFile):
        def emit(kept, w):
            ids[w:w + kept.size] = kept

        new_offsets, w = _filter_blocks(ids, offsets, select, emit, block)
        return ids[:w], new_offsets
    try:
        with open(ids.path, "r+b") as handle:
            def emit(kept, w):
                handle.seek(w * _ITEMSIZE)
                handle.write(memoryview(kept))

            new_offsets, w = _filter_blocks(ids, offsets, select, emit, block)
            handle.truncate(w * _ITEMSIZE)
    except OSError as exc:
        raise write_failed(exc, ids.path, "the spilled corpus") from exc
    return TokenFile(ids.path, w), new_offsets


def subsample_corpus(ids, offsets, keep_prob, rng, sink=None, block=None):
    """Keep each token with the probability of its word, block by block.

    The random draws equal those of one ``rng.random(n, dtype=np.float32)``
    call (``block`` is even), so the result does not depend on the block size.

    Parameters
    ----------
    ids : ndarray of int32 or TokenFile
    offsets : ndarray of int64
    keep_prob : ndarray of float
    rng : numpy.random.Generator
    sink : TokenSink or None
        Receives the kept tokens; None collects them in memory.

    Returns
    -------
    kept : ndarray of int32 or TokenFile
    kept_offsets : ndarray of int64
    """
    block = BLOCK_TOKENS if block is None else block
    if block % 2:
        raise ValueError("block must be even")
    if np.all(keep_prob >= 1.0):
        return ids, offsets
    p = keep_prob.astype(np.float32)
    if sink is None:
        sink = TokenSink(Workspace(), "kept", spill=False)

    def select(chunk):
        return chunk, rng.random(chunk.size, dtype=np.float32) < p[chunk]

    try:
        new_offsets, _ = _filter_blocks(ids, offsets, select,
                                        lambda kept, w: sink.append(kept), block)
        return sink.finish(), new_offsets
    except BaseException:
        sink.close()  # an interrupted pass leaves no open file behind
        raise


def document_blocks(ids, offsets, n_words, block=None):
    """Document-term count matrices of consecutive groups of whole documents.

    Groups hold about ``block`` tokens. A document longer than ``block`` is a
    group of its own, counted block by block, so memory stays bounded
    however long a document is.

    Yields
    ------
    first : int
        Index of the group's first document.
    counts : scipy.sparse.csr_matrix of float64 of shape (n_group_documents, n_words)
        Token counts, duplicates summed, indices sorted.
    """
    block = BLOCK_TOKENS if block is None else block
    n_docs = offsets.size - 1
    d = 0
    while d < n_docs:
        start = offsets[d]
        # the documents that end within ``block`` tokens of ``start``
        e = min(int(np.searchsorted(offsets, start + block, side="right")) - 1, n_docs)
        if e > d:
            stop = offsets[e]
            # a copy: sum_duplicates sorts the indices in place, and an
            # in-memory corpus gives a view (int32, as SciPy stores them)
            chunk = np.array(read_tokens(ids, start, stop), dtype=np.int32)
            indptr = offsets[d:e + 1] - start
            X = sp.csr_matrix((np.ones(chunk.size), chunk, indptr), shape=(e - d, n_words))
            chunk = None
            X.sum_duplicates()
        else:  # document d alone is longer than a block
            e = d + 1
            X = long_document_counts(ids, start, offsets[e], n_words, min(block, COUNT_TOKENS))
        yield d, X
        X = None  # not held while the next block is read
        d = e


def long_document_counts(ids, start, stop, n_words, block):
    """The counts of the tokens ``[start, stop)``, one document, as a one-row CSR matrix.

    Read and counted ``block`` tokens at a time; equal to
    ``csr_matrix(row[None, :])`` of the dense row of counts (float64,
    indices sorted), without that conversion's copies of the whole row.
    """
    row = np.zeros(n_words, dtype=np.float64)
    for a, b in iter_blocks(int(stop - start), block):
        row += np.bincount(read_tokens(ids, start + a, start + b), minlength=n_words)
    index = np.int32 if n_words <= np.iinfo(np.int32).max else np.int64
    columns = np.flatnonzero(row).astype(index)
    values = row[columns]
    row = None
    return sp.csr_matrix((values, columns, np.array([0, columns.size], dtype=index)),
                         shape=(1, n_words))
