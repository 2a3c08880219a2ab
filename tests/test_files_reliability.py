"""Reliability of every file skw2v writes and reads: atomic writes, bounded reads, clear errors."""

import errno
import os
import tempfile

import numpy as np
import pytest

from skw2v import Checkpoint, KeyedVectors, SkipGramVectorizer
from skw2v._io import atomic_file

DOCS = ["alpha beta gamma delta alpha beta", "gamma delta epsilon alpha zeta"] * 6
SMALL = dict(n_components=8, window=2, min_count=1, subsample=0.0, epochs=1, random_state=0)


@pytest.fixture(scope="module")
def fitted():
    return SkipGramVectorizer(**SMALL).fit(DOCS)


def only(folder, *names):
    """The folder holds exactly ``names`` (no temporary file left behind)."""
    assert sorted(os.listdir(folder)) == sorted(names)


# --------------------------------------------------------------------------
# Simulated failures of the temporary file
# --------------------------------------------------------------------------
class FailingFile:
    """A temporary file whose writes fail once ``budget`` bytes went through.

    Like a real buffered file on a full disk, a failed file also fails to
    flush, and its close() closes the descriptor but raises the flush error.
    """

    def __init__(self, real, budget, exc):
        self._real, self._budget, self._exc, self._failed = real, budget, exc, False

    def _error(self):
        return self._exc() if callable(self._exc) else self._exc

    def write(self, data):
        data = bytes(data)
        room = self._budget - self._real.tell()
        if len(data) > room:
            self._real.write(data[:max(room, 0)])
            error = self._error()
            if isinstance(error, OSError):
                self._failed = True  # a full disk stays full
            else:
                self._budget = float("inf")  # an interrupt arrives once
            raise error
        return self._real.write(data)

    def flush(self):
        if self._failed:
            raise OSError(errno.ENOSPC, "No space left on device")
        self._real.flush()

    def close(self):
        try:
            self.flush()
        finally:
            self._real.close()

    def __getattr__(self, name):
        return getattr(self._real, name)


def disk_full_after(monkeypatch, budget, exc=None):
    """Make every temporary file fail after ``budget`` bytes (OSError ENOSPC by default)."""
    real_ntf = tempfile.NamedTemporaryFile
    exc = exc or (lambda: OSError(errno.ENOSPC, "No space left on device"))

    def failing(*args, **kwargs):
        return FailingFile(real_ntf(*args, **kwargs), budget, exc)

    monkeypatch.setattr(tempfile, "NamedTemporaryFile", failing)


def writers(fitted):
    """Every kind of file the library writes, as (name, write(path)) pairs."""
    kv = fitted.wv_

    def checkpoint(path):
        cb = Checkpoint(path)
        SkipGramVectorizer(**{**SMALL, "callbacks": [cb]}).fit(DOCS)

    return [
        ("v.txt", lambda p: kv.save_word2vec_format(p)),
        ("v.bin", lambda p: kv.save_word2vec_format(p, binary=True)),
        ("v.txt.gz", lambda p: kv.save_word2vec_format(p)),
        ("v.txt.bz2", lambda p: kv.save_word2vec_format(p)),
        ("model.npz", lambda p: fitted.save(p)),
        ("ckpt.npz", checkpoint),
    ]


WRITER_NAMES = ["v.txt", "v.bin", "v.txt.gz", "v.txt.bz2", "model.npz", "ckpt.npz"]


@pytest.mark.parametrize("name", WRITER_NAMES)
@pytest.mark.parametrize("budget", [0, 10, 100])
def test_full_disk_keeps_previous_file_and_leaves_no_temp(fitted, tmp_path, monkeypatch,
                                                          name, budget):
    write = dict(writers(fitted))[name]
    path = tmp_path / name
    path.write_bytes(b"previous content")
    disk_full_after(monkeypatch, budget)
    with pytest.raises(OSError) as info:
        write(path)
    monkeypatch.undo()
    assert info.value.errno == errno.ENOSPC
    assert path.read_bytes() == b"previous content"
    only(tmp_path, name)


@pytest.mark.parametrize("name", WRITER_NAMES)
def test_interrupt_mid_write_keeps_previous_file_and_leaves_no_temp(fitted, tmp_path,
                                                                    monkeypatch, name):
    write = dict(writers(fitted))[name]
    path = tmp_path / name
    path.write_bytes(b"previous content")
    disk_full_after(monkeypatch, 50, exc=KeyboardInterrupt)
    with pytest.raises(KeyboardInterrupt):
        write(path)
    monkeypatch.undo()
    assert path.read_bytes() == b"previous content"
    only(tmp_path, name)


@pytest.mark.parametrize("name", WRITER_NAMES)
def test_every_writer_is_atomic_and_complete(fitted, tmp_path, name):
    write = dict(writers(fitted))[name]
    path = tmp_path / name
    path.write_bytes(b"previous content")
    write(path)
    assert path.read_bytes() != b"previous content"
    only(tmp_path, name)


def test_atomic_file_failing_flush_on_exit_leaves_no_temp(tmp_path, monkeypatch):
    path = tmp_path / "out"
    disk_full_after(monkeypatch, 4)
    with pytest.raises(OSError), atomic_file(path) as fh:
        fh.write(b"abc")
        fh._failed = True  # the data sat in a buffer: the disk fills up on the final flush
    only(tmp_path)


# --------------------------------------------------------------------------
# word2vec files: every check before anything is replaced
# --------------------------------------------------------------------------
@pytest.mark.parametrize("name, binary", [("v.txt", False), ("v.bin", True),
                                          ("v.txt.gz", False), ("v.bin.bz2", True)])
@pytest.mark.parametrize("bad", ["\ud800", "ok\udcff", "\udfff\ud800"])
def test_unencodable_word_is_refused_before_anything_is_written(tmp_path, name, binary, bad):
    path = tmp_path / name
    path.write_bytes(b"previous content")
    kv = KeyedVectors(["fine", bad, "also"], np.ones((3, 8), dtype=np.float32))
    with pytest.raises(ValueError) as info:
        kv.save_word2vec_format(path, binary=binary)
    message = str(info.value)
    assert repr(bad) in message and "index 1" in message
    assert "UTF-8" in message and "drop the word" in message
    assert path.read_bytes() == b"previous content"
    only(tmp_path, name)


def test_analyzer_word_with_lone_surrogate_names_the_word(tmp_path):
    est = SkipGramVectorizer(**SMALL, analyzer=str.split).fit(["a \ud800 b a b \ud800"] * 4)
    path = tmp_path / "v.txt"
    path.write_bytes(b"previous content")
    with pytest.raises(ValueError, match=r"'\\ud800'"):
        est.wv_.save_word2vec_format(path)
    assert path.read_bytes() == b"previous content"
    only(tmp_path, "v.txt")


def test_gzip_header_names_the_destination_not_the_temp_file(fitted, tmp_path):
    path = tmp_path / "vectors.txt.gz"
    fitted.wv_.save_word2vec_format(path)
    data = path.read_bytes()
    assert data[3] & 0x08  # FNAME flag
    assert data[10:].split(b"\x00", 1)[0] == b"vectors.txt"
