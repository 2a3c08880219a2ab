"""Reliability of every file skw2v writes and reads: atomic writes, bounded reads, clear errors."""

import errno
import os
import tempfile
import warnings

import numpy as np
import pytest

from skw2v import Checkpoint, KeyedVectors, SkipGramVectorizer
from skw2v._files.atomic import atomic_file

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


# --------------------------------------------------------------------------
# save() never writes a file that load() refuses
# --------------------------------------------------------------------------
def assert_same_estimator(loaded, est):
    assert loaded.get_params().keys() == est.get_params().keys()
    for name, value in est.get_params().items():
        if name not in ("callbacks",):
            assert loaded.get_params()[name] == value, name
            assert type(loaded.get_params()[name]) is type(value), name
    assert loaded.index_to_key_ == est.index_to_key_
    for name in ("vectors_", "output_vectors_", "word_counts_", "idf_", "sif_component_",
                 "loss_curve_", "n_pairs_"):
        a, b = getattr(loaded, name), getattr(est, name)
        assert a.dtype == b.dtype and a.shape == b.shape, name
        np.testing.assert_array_equal(a, b, err_msg=name)
    np.testing.assert_array_equal(loaded.transform(DOCS), est.transform(DOCS))


@pytest.mark.parametrize("change", [
    {"n_components": 3},
    {"n_components": 300},
    {"dtype": np.float64},
    {"dtype": "float64"},
    {"dtype": np.dtype("float16")},
    {"dtype": "not-a-dtype"},
    {"dtype": float},
    {"dtype": None},
    {"epochs": 17, "min_count": 50, "window": 1, "pooling": "sif"},
    {"n_components": 3, "dtype": np.float64, "max_vocab_size": 2},
])
def test_save_after_set_params_loads_what_was_saved(tmp_path, change):
    est = SkipGramVectorizer(**SMALL).fit(DOCS)
    est.set_params(**change)
    est.save(tmp_path / "m.npz")
    loaded = SkipGramVectorizer.load(tmp_path / "m.npz")
    assert_same_estimator(loaded, est)


def test_partial_fit_after_dtype_change_then_save_loads(tmp_path):
    # partial_fit with a new dtype converts the vectors but keeps sif_component_ as fitted
    est = SkipGramVectorizer(**SMALL).fit(DOCS)
    est.set_params(dtype=np.float64).partial_fit(DOCS)
    assert est.vectors_.dtype == np.float64 and est.sif_component_.dtype == np.float32
    est.save(tmp_path / "m.npz")
    assert_same_estimator(SkipGramVectorizer.load(tmp_path / "m.npz"), est)


def test_callback_changing_parameters_during_fit_then_save_loads(tmp_path):
    def meddle(estimator, info):
        estimator.set_params(n_components=2, dtype=np.float64, epochs=9)
        return False

    est = SkipGramVectorizer(**{**SMALL, "epochs": 2}, callbacks=[meddle]).fit(DOCS)
    assert est.vectors_.shape[1] == 8 and est.n_components == 2
    est.save(tmp_path / "m.npz")
    with pytest.warns(UserWarning, match="callbacks"):
        loaded = SkipGramVectorizer.load(tmp_path / "m.npz")
    assert_same_estimator(loaded, est)


def test_loaded_estimator_behaves_like_the_saved_one(tmp_path):
    est = SkipGramVectorizer(**SMALL).fit(DOCS).set_params(n_components=3)
    est.save(tmp_path / "m.npz")
    loaded = SkipGramVectorizer.load(tmp_path / "m.npz")
    assert loaded.transform(DOCS).shape == (len(DOCS), 8)  # the fitted vectors
    for model in (est, loaded):  # partial_fit refuses the changed n_components alike
        with pytest.raises(ValueError, match="n_components=3 differs"):
            model.partial_fit(DOCS)
    assert loaded.fit(DOCS).vectors_.shape[1] == 3  # fit starts over with the new value


# --------------------------------------------------------------------------
# Built-in callables survive the round trip
# --------------------------------------------------------------------------
TOKEN_DOCS = [d.split() for d in DOCS]


@pytest.mark.parametrize("params, docs", [
    ({"analyzer": list}, TOKEN_DOCS),
    ({"analyzer": tuple}, TOKEN_DOCS),
    ({"analyzer": str.split}, DOCS),
    ({"tokenizer": str.split, "token_pattern": None}, DOCS),
    ({"preprocessor": str.upper, "lowercase": False}, DOCS),
    ({"preprocessor": str.strip}, DOCS),
    ({"preprocessor": str.lower, "tokenizer": str.split, "token_pattern": None}, DOCS),
])
def test_builtin_callables_are_restored_and_partial_fit_works(tmp_path, params, docs):
    est = SkipGramVectorizer(**SMALL, **params).fit(docs)
    est.save(tmp_path / "m.npz")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nothing was lost: no warning
        loaded = SkipGramVectorizer.load(tmp_path / "m.npz")
    for name, value in params.items():
        assert getattr(loaded, name) is value, name
    np.testing.assert_array_equal(loaded.transform(docs), est.transform(docs))
    loaded.partial_fit(docs)
    est.partial_fit(docs)
    np.testing.assert_array_equal(loaded.vectors_, est.vectors_)


def test_other_callables_still_warn_and_say_how_to_restore(tmp_path):
    est = SkipGramVectorizer(**SMALL, analyzer=lambda doc: doc.split()).fit(DOCS)
    est.save(tmp_path / "m.npz")
    with pytest.warns(UserWarning, match=r"CRITICAL.*set_params\(analyzer="):
        loaded = SkipGramVectorizer.load(tmp_path / "m.npz")
    assert loaded.analyzer == "word"


# --------------------------------------------------------------------------
# Vocabulary storage: linear in the text, in model files and checkpoints
# --------------------------------------------------------------------------
class StopAfterFirstEpoch:
    """An epoch callback that interrupts the fit after the first epoch (once checkpointed)."""

    def __call__(self, estimator, info):
        if info.epoch == 0:
            raise KeyboardInterrupt


def long_token_docs(n_words=200, long_len=50_000):
    words = [f"w{i}" for i in range(n_words)]
    long = "x" * long_len
    return [" ".join(words[i:i + 20] + [long]) for i in range(0, n_words, 20)] * 2, long


def test_one_long_token_costs_its_own_size_in_model_and_checkpoint(tmp_path):
    docs, long = long_token_docs()
    ckpt = tmp_path / "ckpt.npz"
    params = {**SMALL, "token_pattern": r"\S+", "epochs": 2}
    with pytest.raises(KeyboardInterrupt):
        SkipGramVectorizer(**params, callbacks=[Checkpoint(ckpt), StopAfterFirstEpoch()]).fit(
            docs)
    est = SkipGramVectorizer(**params).fit(docs)
    assert long in est.vocabulary_
    est.save(tmp_path / "m.npz")
    vectors_bytes = 2 * est.vectors_.nbytes
    for path in (tmp_path / "m.npz", ckpt):
        assert os.path.getsize(path) < len(long) + vectors_bytes + 40_000, path
    loaded = SkipGramVectorizer.load(tmp_path / "m.npz")
    assert loaded.index_to_key_ == est.index_to_key_
    resumed = SkipGramVectorizer(**params).fit(docs, resume_from=ckpt)
    assert resumed.index_to_key_ == est.index_to_key_
    np.testing.assert_array_equal(resumed.vectors_, est.vectors_)


def write_v1_model(est, path, params=None):
    """A format-1 model file as skw2v wrote it before format 2 (independent of its code)."""
    import hashlib
    import json

    arrays = {"index_to_key_": np.array(est.index_to_key_, dtype=str)}
    for name in ("word_counts_", "vectors_", "output_vectors_", "loss_curve_", "n_pairs_",
                 "idf_", "sif_component_"):
        arrays[name] = np.asarray(getattr(est, name))
    arrays["n_tokens_"] = np.asarray(est.n_tokens_)
    arrays["_seed_"] = np.asarray(est._seed_)
    raw = est.get_params() if params is None else params
    # the subword parameters came after format 1: a format-1 file never has them
    later = ("callbacks", "char_ngram_range", "n_buckets", "word_boundaries")
    stored = {k: (np.dtype(v).name if k == "dtype" else v) for k, v in raw.items()
              if k not in later}
    stored["callbacks"] = "<not stored: callable>" if raw.get("callbacks") else None
    meta = {"format": "skw2v-model", "format_version": 1, "skw2v_version": "0.1.0",
            "params": stored, "not_stored": ["callbacks"] if raw.get("callbacks") else []}
    h = hashlib.sha256()
    for name in sorted(arrays):
        a = np.asarray(arrays[name], order="C")
        h.update(f"{name}\n{a.dtype.str}\n{','.join(map(str, a.shape))}\n{a.nbytes}\n".encode())
        h.update(a.tobytes())
    h.update(b"metadata\n")
    h.update(json.dumps(meta, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode())
    meta["checksum"] = "sha256:" + h.hexdigest()
    blob = np.frombuffer(json.dumps(meta, sort_keys=True, indent=1).encode(), dtype=np.uint8)
    with open(path, "wb") as fh:
        np.savez(fh, metadata=blob, **arrays)


def test_version_1_model_files_are_still_read(tmp_path):
    docs = DOCS + ["Café naïve 日本語 zürich café naïve", "日本語 zürich Café naïve"]
    est = SkipGramVectorizer(**{**SMALL, "pooling": "sif", "norm": "l2"}).fit(docs)
    write_v1_model(est, tmp_path / "v1.npz")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loaded = SkipGramVectorizer.load(tmp_path / "v1.npz")
    assert_same_estimator(loaded, est)
    # a version 1 file whose n_components differs from the vectors (written by the old
    # save after set_params) now loads too
    write_v1_model(est, tmp_path / "v1b.npz", {**est.get_params(), "n_components": 3})
    assert SkipGramVectorizer.load(tmp_path / "v1b.npz").n_components == 3


def test_version_1_checkpoints_are_still_read(tmp_path):
    import json

    params = {**SMALL, "epochs": 3}
    ckpt = tmp_path / "c.npz"
    with pytest.raises(KeyboardInterrupt):
        SkipGramVectorizer(**params, callbacks=[Checkpoint(ckpt), StopAfterFirstEpoch()]).fit(DOCS)
    with np.load(ckpt, allow_pickle=False) as data:
        arrays = {k: data[k] for k in data.files}
    text, offsets = arrays.pop("index_to_key_utf8"), arrays.pop("index_to_key_offsets")
    words = [text.tobytes()[a:b].decode() for a, b in zip(offsets[:-1], offsets[1:], strict=True)]
    meta = json.loads(arrays["meta"].tobytes())
    meta["version"] = 1
    arrays["meta"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
    arrays["index_to_key"] = np.asarray(words, dtype=str)
    v1 = tmp_path / "c1.npz"
    np.savez(v1, **arrays)
    full = SkipGramVectorizer(**params).fit(DOCS)
    for path in (ckpt, v1):
        resumed = SkipGramVectorizer(**params).fit(DOCS, resume_from=path)
        np.testing.assert_array_equal(resumed.vectors_, full.vectors_)


# --------------------------------------------------------------------------
# Bounded reading of hostile or damaged archives
# --------------------------------------------------------------------------
def peak_memory(func):
    """Run ``func`` and return (its exception, the peak traced memory in bytes)."""
    import tracemalloc

    tracemalloc.start()
    try:
        func()
    except Exception as exc:  # noqa: BLE001 - returned to the test
        error = exc
    else:
        error = None
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return error, peak


def model_and_checkpoint(tmp_path, fitted):
    model, ckpt = tmp_path / "m.npz", tmp_path / "c.npz"
    fitted.save(model)
    with pytest.raises(KeyboardInterrupt):
        SkipGramVectorizer(**{**SMALL, "epochs": 2},
                           callbacks=[Checkpoint(ckpt), StopAfterFirstEpoch()]).fit(DOCS)
    return model, ckpt


def read_any(path):
    """Load a model file, or read a checkpoint as fit(resume_from=path) does."""
    if "c.npz" in str(path):
        from skw2v._files.checkpoint import read_checkpoint

        return read_checkpoint(path)
    return SkipGramVectorizer.load(path)


@pytest.mark.parametrize("kind", ["model", "checkpoint"])
@pytest.mark.parametrize("size, name", [(200_000_000, "evil.npy"), (10, "x"), (10, "vectors")])
def test_extra_zip_member_is_refused_unread(fitted, tmp_path, kind, size, name):
    import zipfile

    path = model_and_checkpoint(tmp_path, fitted)[kind == "checkpoint"]
    with zipfile.ZipFile(path, "a", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(name, b"\0" * size)
    assert os.path.getsize(path) < 1_000_000
    error, peak = peak_memory(lambda: read_any(path))
    assert isinstance(error, ValueError), error
    assert str(path) in str(error) and "unexpected member" in str(error)
    assert peak < 20_000_000


@pytest.mark.parametrize("kind", ["model", "checkpoint"])
def test_compressed_members_are_refused(fitted, tmp_path, kind):
    path = model_and_checkpoint(tmp_path, fitted)[kind == "checkpoint"]
    with np.load(path, allow_pickle=False) as data:
        arrays = {k: data[k] for k in data.files}
    np.savez_compressed(path, **arrays)
    with pytest.raises(ValueError, match=rf"{path.name}.*compressed"):
        read_any(path)


@pytest.mark.parametrize("kind", ["model", "checkpoint"])
def test_npy_header_larger_than_its_member_is_refused_unread(fitted, tmp_path, kind):
    import io
    import zipfile

    path = model_and_checkpoint(tmp_path, fitted)[kind == "checkpoint"]
    target = "vectors_.npy" if kind == "model" else "vectors.npy"
    with zipfile.ZipFile(path) as zf:
        members = {info.filename: zf.read(info) for info in zf.infolist()}
    with zipfile.ZipFile(path) as zf, zf.open(target) as fp:
        np.lib.format.read_magic(fp)
        shape, _, dtype = np.lib.format.read_array_header_1_0(fp)
        data = fp.read()
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        header, {"descr": dtype.str, "fortran_order": False, "shape": (10**9, shape[1])})
    members[target] = header.getvalue() + data
    with zipfile.ZipFile(path, "w") as zf:
        for name, payload in members.items():
            zf.writestr(name, payload)
    error, peak = peak_memory(lambda: read_any(path))
    assert isinstance(error, ValueError), error
    assert str(path) in str(error) and "vectors" in str(error)
    assert peak < 20_000_000


# --------------------------------------------------------------------------
# Errors name the cause and the fix
# --------------------------------------------------------------------------
def test_resume_from_a_model_file_says_so(fitted, tmp_path):
    model, ckpt = model_and_checkpoint(tmp_path, fitted)
    with pytest.raises(ValueError, match=r"model file written by save\(\).*"
                                         r"SkipGramVectorizer\.load.*Checkpoint"):
        SkipGramVectorizer(**SMALL).fit(DOCS, resume_from=model)
    with pytest.raises(ValueError, match=r"checkpoint written by skw2v\.Checkpoint.*"
                                         r"resume_from"):
        SkipGramVectorizer.load(ckpt)
    fitted.wv_.save_word2vec_format(tmp_path / "v.txt")
    with pytest.raises(ValueError, match="not a readable skw2v checkpoint"):
        SkipGramVectorizer(**SMALL).fit(DOCS, resume_from=tmp_path / "v.txt")


# --------------------------------------------------------------------------
# word2vec headers are checked against the file
# --------------------------------------------------------------------------
@pytest.mark.parametrize("header", [b"100000000000 100000\n", b"1 100000000000\n",
                                    b"5000000000 1\n"])
@pytest.mark.parametrize("name, binary", [("v.txt", False), ("v.bin", True),
                                          ("v.txt.gz", False), ("v.bin.bz2", True)])
def test_impossible_word2vec_header_is_a_value_error_naming_the_file(tmp_path, header, name,
                                                                     binary):
    import bz2
    import gzip

    body = header + b"word 1.0 2.0\nother 3.0 4.0\n"
    if name.endswith(".gz"):
        body = gzip.compress(body)
    elif name.endswith(".bz2"):
        body = bz2.compress(body)
    path = tmp_path / name
    path.write_bytes(body)
    error, peak = peak_memory(lambda: KeyedVectors.load_word2vec_format(path, binary=binary))
    assert isinstance(error, ValueError), error
    assert str(path) in str(error)
    assert peak < 50_000_000


@pytest.mark.parametrize("name", WRITER_NAMES)
def test_every_writer_goes_through_the_one_atomic_helper(fitted, tmp_path, monkeypatch, name):
    from skw2v._files import atomic as _io

    write = dict(writers(fitted))[name]
    real, targets = _io.atomic_file, []

    def spy(path, *args, **kwargs):
        targets.append(os.path.abspath(path))
        return real(path, *args, **kwargs)

    monkeypatch.setattr(_io, "atomic_file", spy)
    write(tmp_path / name)
    assert targets and set(targets) == {str(tmp_path / name)}


@pytest.mark.parametrize("fail", ["create", "replace", "fsync"])
def test_write_errors_name_the_destination_not_the_temp_file(fitted, tmp_path, monkeypatch,
                                                             fail):
    path = tmp_path / "v.txt"

    def denied_create(*args, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied", str(tmp_path / ".v.txt.x.tmp"))

    def denied_replace(src, dst):
        raise PermissionError(errno.EACCES, "Permission denied", src, dst)

    def failing_fsync(fd):
        raise OSError(errno.EIO, "I/O error", os.readlink(f"/proc/self/fd/{fd}"))

    monkeypatch.setattr(*{"create": (tempfile, "NamedTemporaryFile", denied_create),
                          "replace": (os, "replace", denied_replace),
                          "fsync": (os, "fsync", failing_fsync)}[fail])
    with pytest.raises(OSError) as info:
        fitted.wv_.save_word2vec_format(path)
    monkeypatch.undo()
    assert str(path) in str(info.value)
    assert ".tmp" not in str(info.value)
    only(tmp_path)


@pytest.mark.parametrize("name, binary", [("v.txt", False), ("v.bin", True),
                                          ("v.txt.gz", False)])
def test_word2vec_file_given_as_model_or_checkpoint_says_how_to_read_it(fitted, tmp_path,
                                                                       name, binary):
    path = tmp_path / name
    fitted.wv_.save_word2vec_format(path, binary=binary)
    with pytest.raises(ValueError, match="word2vec vectors file.*load_word2vec_format.*"
                                         "from_keyed_vectors"):
        SkipGramVectorizer.load(path)
    with pytest.raises(ValueError, match="not a readable skw2v checkpoint.*word2vec vectors"):
        SkipGramVectorizer(**SMALL).fit(DOCS, resume_from=path)


def test_model_file_given_as_word2vec_file_says_how_to_read_it(fitted, tmp_path):
    fitted.save(tmp_path / "m.npz")
    for binary in (False, True):
        with pytest.raises(ValueError, match=r"m\.npz.*SkipGramVectorizer\.load.*wv_"):
            KeyedVectors.load_word2vec_format(tmp_path / "m.npz", binary=binary)


@pytest.mark.parametrize("name", WRITER_NAMES)
def test_real_sigint_mid_write_keeps_previous_file_and_leaves_no_temp(fitted, tmp_path,
                                                                      monkeypatch, name):
    import signal

    # a process started without a terminal (CI) may inherit SIGINT ignored
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    write = dict(writers(fitted))[name]
    path = tmp_path / name
    path.write_bytes(b"previous content")
    disk_full_after(monkeypatch, 50, exc=lambda: os.kill(os.getpid(), signal.SIGINT))
    try:
        with pytest.raises(KeyboardInterrupt):
            write(path)
    finally:
        signal.signal(signal.SIGINT, previous)
    monkeypatch.undo()
    assert path.read_bytes() == b"previous content"
    only(tmp_path, name)
