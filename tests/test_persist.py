"""Native model files: round trip, integrity checks, atomic writes, no pickle."""

import hashlib
import json
import os
import pickle
import warnings
import zipfile

import numpy as np
import pytest
from sklearn.exceptions import NotFittedError

from skw2v import SkipGramVectorizer
from skw2v._files import model as _persist

FITTED_ARRAYS = ["index_to_key_", "word_counts_", "vectors_", "output_vectors_", "loss_curve_",
                 "n_pairs_", "n_tokens_", "idf_", "sif_component_", "_seed_"]
# Format version 2 stores the vocabulary as UTF-8 bytes + offsets instead of index_to_key_,
# and the learning rate used (learning_rate="auto").
MEMBERS_V2 = ["index_to_key_utf8_", "index_to_key_offsets_", *FITTED_ARRAYS[1:],
              "learning_rate_"]
BASE = dict(n_components=8, window=2, min_count=1, subsample=0.0, epochs=2, random_state=0)


@pytest.fixture(scope="module")
def docs():
    rng = np.random.default_rng(3)
    topics = [[f"t{t}w{i}" for i in range(6)] for t in range(3)]
    docs = [" ".join(rng.choice(topics[d % 3], size=10)) for d in range(30)]
    # non-ASCII words, mixed case and punctuation exercise the unicode vocabulary array
    return docs + ["Café naïve 日本語 zürich café naïve, x", "日本語 zürich Café naïve"]


@pytest.fixture(scope="module")
def fitted(docs):
    return SkipGramVectorizer(**BASE).fit(docs)


@pytest.fixture
def model_file(fitted, tmp_path):
    path = tmp_path / "model.npz"
    fitted.save(path)
    return path


def read_members(path):
    """All arrays of an npz file, read without pickle."""
    with np.load(path, allow_pickle=False) as npz:
        return {name: npz[name] for name in npz.files}


def metadata(arrays):
    return json.loads(arrays["metadata"].tobytes().decode("utf-8"))


def write_members(path, arrays):
    with open(path, "wb") as fh:
        np.savez(fh, **arrays)


def independent_checksum(arrays, meta):
    """The checksum as documented in skw2v._files.model, computed without its code."""
    h = hashlib.sha256()
    for name in sorted(n for n in arrays if n != "metadata"):
        a = np.asarray(arrays[name], order="C")
        h.update(f"{name}\n{a.dtype.str}\n{','.join(map(str, a.shape))}\n{a.nbytes}\n".encode())
        h.update(a.tobytes())
    body = {k: v for k, v in meta.items() if k != "checksum"}
    h.update(b"metadata\n")
    h.update(json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode())
    return "sha256:" + h.hexdigest()


def with_metadata(arrays, meta):
    out = dict(arrays)
    out["metadata"] = np.frombuffer(json.dumps(meta).encode("utf-8"), dtype=np.uint8)
    return out


def load_quietly(path):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a clean model must load without any warning
        return SkipGramVectorizer.load(path)


# --------------------------------------------------------------------------
# Round trip
# --------------------------------------------------------------------------
@pytest.mark.parametrize("extra", [
    {},
    {"pooling": "sif", "norm": "l2", "dtype": np.float64},
    {"pooling": "tfidf", "loss": "softmax", "lowercase": False, "max_vocab_size": 12},
    {"pooling": "max", "token_pattern": r"\S+", "strip_accents": "unicode", "n_jobs": 1},
    {"stop_words": ["t0w1", "café"], "min_df": 2, "max_df": 0.95},
    {"stop_words": "english", "min_df": 0.01, "max_df": 80},
])
def test_round_trip_is_exact(docs, tmp_path, extra):
    est = SkipGramVectorizer(**BASE, **extra).fit(docs)
    path = tmp_path / "m.skw2v"  # any name: no suffix is added
    est.save(path)
    assert os.listdir(tmp_path) == ["m.skw2v"]
    loaded = load_quietly(path)
    assert type(loaded) is SkipGramVectorizer
    assert loaded.get_params() == est.get_params()
    assert loaded.index_to_key_ == est.index_to_key_
    assert all(type(w) is str for w in loaded.index_to_key_)
    assert loaded.vocabulary_ == est.vocabulary_
    for name in FITTED_ARRAYS[1:]:
        a, b = np.asarray(getattr(loaded, name)), np.asarray(getattr(est, name))
        assert a.dtype == b.dtype and a.shape == b.shape, name
        np.testing.assert_array_equal(a, b, err_msg=name)
    assert type(loaded.n_tokens_) is int
    unseen = ["t0w1 t0w2 café unknown", "t1w3 t2w0 t2w1", "nothing known here"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the all-OOV document warns
        for batch in (docs, unseen):
            X1, X2 = est.transform(batch), loaded.transform(batch)
            assert X1.dtype == X2.dtype
            np.testing.assert_array_equal(X1, X2)
    assert loaded.score(docs[:5]) == est.score(docs[:5])
    np.testing.assert_array_equal(loaded.wv_.vectors, est.wv_.vectors)


def test_loaded_model_can_be_refitted(model_file, docs):
    loaded = load_quietly(model_file)
    loaded.set_params(epochs=1).fit(docs[:10])
    assert loaded.loss_curve_.shape == (1,)


def test_file_holds_only_plain_arrays(model_file, fitted):
    # allow_pickle=False succeeds on every member, and none is an object array
    arrays = read_members(model_file)
    assert set(arrays) == {"metadata", *MEMBERS_V2}
    for name, arr in arrays.items():
        assert not arr.dtype.hasobject, name
    text, offsets = arrays["index_to_key_utf8_"], arrays["index_to_key_offsets_"]
    assert text.dtype == np.uint8 and offsets.dtype == np.int64
    data = text.tobytes()
    words = [data[a:b].decode("utf-8") for a, b in zip(offsets[:-1], offsets[1:], strict=True)]
    assert words == fitted.index_to_key_
    assert text.size == sum(len(w.encode("utf-8")) for w in fitted.index_to_key_)
    assert arrays["metadata"].dtype == np.uint8
    meta = metadata(arrays)
    assert meta["format"] == "skw2v-model"
    assert meta["format_version"] == 2
    assert meta["arrays"]["vectors_"] == {"dtype": "<f4", "shape": list(fitted.vectors_.shape)}
    import skw2v

    assert meta["skw2v_version"] == skw2v.__version__
    assert meta["params"]["dtype"] == "float32"
    assert meta["params"]["n_components"] == 8
    assert meta["checksum"] == independent_checksum(arrays, meta)


def test_load_never_unpickles(model_file, monkeypatch):
    def forbidden(*args, **kwargs):
        raise AssertionError("pickle used")

    monkeypatch.setattr(pickle, "load", forbidden)
    monkeypatch.setattr(pickle, "loads", forbidden)
    monkeypatch.setattr(np, "load", forbidden)  # members are read one by one, boundedly
    calls = []
    real_read = np.lib.format.read_array

    def spy(*args, **kwargs):
        calls.append(kwargs.get("allow_pickle"))
        return real_read(*args, **kwargs)

    monkeypatch.setattr(np.lib.format, "read_array", spy)
    load_quietly(model_file)
    assert calls == [False] * (len(MEMBERS_V2) + 1)


def test_pickled_object_array_is_refused(model_file, tmp_path, monkeypatch):
    arrays = read_members(model_file)
    arrays["idf_"] = np.array([{"evil": 1}] * 3, dtype=object)
    bad = tmp_path / "evil.npz"
    write_members(bad, arrays)  # np.savez pickles object arrays

    def forbidden(*args, **kwargs):
        raise AssertionError("pickle used")

    monkeypatch.setattr(pickle, "load", forbidden)
    monkeypatch.setattr(pickle, "loads", forbidden)
    with pytest.raises(ValueError, match="pickled"):
        SkipGramVectorizer.load(bad)


# --------------------------------------------------------------------------
# Parameters that cannot be stored
# --------------------------------------------------------------------------
def my_split(doc):
    return doc.split()


def test_callable_analyzer_warns_critical_for_transform(docs, tmp_path):
    est = SkipGramVectorizer(**BASE, analyzer=my_split).fit(docs)
    path = tmp_path / "m.npz"
    est.save(path)
    meta = metadata(read_members(path))
    assert meta["params"]["analyzer"] == "<not stored: callable>"
    with pytest.warns(UserWarning, match="analyzer") as record:
        loaded = SkipGramVectorizer.load(path)
    message = " ".join(str(w.message) for w in record)
    assert "CRITICAL" in message and "transform" in message and "set_params" in message
    assert loaded.analyzer == "word"  # the default
    np.testing.assert_array_equal(loaded.vectors_, est.vectors_)
    # once restored, transform agrees exactly again
    loaded.set_params(analyzer=my_split)
    np.testing.assert_array_equal(loaded.transform(docs), est.transform(docs))


def test_object_params_are_reset_and_listed(docs, tmp_path):
    def callback(estimator, info):
        return False

    est = SkipGramVectorizer(**{**BASE, "random_state": np.random.RandomState(0)},
                             callbacks=[callback], tokenizer=my_split, token_pattern=None)
    est.fit(docs)
    path = tmp_path / "m.npz"
    est.save(path)
    meta = metadata(read_members(path))
    assert sorted(meta["not_stored"]) == ["callbacks", "random_state", "tokenizer"]
    assert meta["params"]["callbacks"] == "<not stored: callable>"
    with pytest.warns(UserWarning) as record:
        loaded = SkipGramVectorizer.load(path)
    message = " ".join(str(w.message) for w in record)
    for name in ("callbacks", "random_state", "tokenizer"):
        assert name in message
    assert "CRITICAL" not in message  # only a callable analyzer is critical
    assert loaded.callbacks is None and loaded.random_state is None
    assert loaded.tokenizer is None and loaded.token_pattern is None  # stored as data


def test_unfitted_raises_not_fitted(tmp_path):
    with pytest.raises(NotFittedError):
        SkipGramVectorizer().save(tmp_path / "m.npz")
    assert os.listdir(tmp_path) == []


# --------------------------------------------------------------------------
# Damaged, foreign and future files
# --------------------------------------------------------------------------
@pytest.mark.parametrize("keep", [0, 3, 100, 0.5, 0.9, -1])
def test_truncated_file_is_a_clear_value_error(model_file, keep):
    data = model_file.read_bytes()
    n = int(len(data) * keep) if isinstance(keep, float) else keep % len(data)
    model_file.write_bytes(data[:n])
    with pytest.raises(ValueError, match="not a skw2v model file|truncated"):
        SkipGramVectorizer.load(model_file)


def test_flipped_byte_in_vectors_is_detected(model_file):
    with zipfile.ZipFile(model_file) as zf:
        info = zf.getinfo("vectors_.npy")
        assert info.compress_type == zipfile.ZIP_STORED
    data = bytearray(model_file.read_bytes())
    # local header (30 bytes + name + extra), then the .npy header, then the data: flip
    # a byte in the last bytes of the member, which are vector data.
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    pos = start + info.compress_size - 5
    data[pos] ^= 0x55
    model_file.write_bytes(bytes(data))
    with pytest.raises(ValueError, match="corrupted or modified"):
        SkipGramVectorizer.load(model_file)


def test_modified_array_with_valid_zip_fails_checksum(model_file, tmp_path):
    # Rewriting the archive gives correct zip CRCs: only the checksum can notice.
    arrays = read_members(model_file)
    arrays["vectors_"] = arrays["vectors_"].copy()
    arrays["vectors_"][0, 0] += 1.0
    write_members(model_file, arrays)
    with pytest.raises(ValueError, match="corrupted or modified"):
        SkipGramVectorizer.load(model_file)


@pytest.mark.parametrize("change", ["param", "vocabulary"])
def test_modified_metadata_or_vocabulary_fails_checksum(model_file, change):
    arrays = read_members(model_file)
    meta = metadata(arrays)
    if change == "param":
        meta["params"]["pooling"] = "max"
    else:
        text = arrays["index_to_key_utf8_"].copy()
        text[0] ^= 0x01  # still valid UTF-8 (ASCII), another word
        arrays["index_to_key_utf8_"] = text
    write_members(model_file, with_metadata(arrays, meta))
    with pytest.raises(ValueError, match="corrupted or modified"):
        SkipGramVectorizer.load(model_file)


def test_invalid_json_metadata(model_file):
    arrays = read_members(model_file)
    raw = arrays["metadata"].tobytes().replace(b'"format"', b'"format', 1)
    arrays["metadata"] = np.frombuffer(raw, dtype=np.uint8)
    write_members(model_file, arrays)
    with pytest.raises(ValueError, match="JSON"):
        SkipGramVectorizer.load(model_file)


def test_newer_format_version_asks_to_upgrade(model_file):
    arrays = read_members(model_file)
    meta = metadata(arrays)
    future = _persist.FORMAT_VERSION + 1
    meta["format_version"] = future
    meta["checksum"] = "sha512:from-the-future"  # a future version may change anything
    arrays["something_new"] = np.arange(3)  # and its members
    write_members(model_file, with_metadata(arrays, meta))
    with pytest.raises(ValueError, match=rf"(?i)format version {future}.*upgrade skw2v"):
        SkipGramVectorizer.load(model_file)


def test_unknown_parameter_asks_to_upgrade(model_file):
    arrays = read_members(model_file)
    meta = metadata(arrays)
    meta["params"]["from_the_future"] = 1
    meta["checksum"] = independent_checksum(arrays, meta)
    write_members(model_file, with_metadata(arrays, meta))
    with pytest.raises(ValueError, match="from_the_future.*[Uu]pgrade"):
        SkipGramVectorizer.load(model_file)


def test_missing_array(model_file):
    arrays = read_members(model_file)
    del arrays["idf_"]
    write_members(model_file, arrays)
    with pytest.raises(ValueError, match="idf_"):
        SkipGramVectorizer.load(model_file)


@pytest.mark.parametrize("name, damage", [
    ("vectors_", lambda a: a[:-1]),
    ("output_vectors_", lambda a: a[:, :-1]),
    ("word_counts_", lambda a: a[:-1]),
    ("idf_", lambda a: a.astype(np.int64)),
    ("sif_component_", lambda a: a[:-1]),
    ("n_pairs_", lambda a: np.append(a, 7)),
    ("n_tokens_", lambda a: a.reshape(1)),
    ("index_to_key_offsets_", lambda a: np.append(a, a[-1])),
    ("index_to_key_utf8_", lambda a: a.astype(np.int16)),
])
def test_inconsistent_shapes_are_rejected(model_file, name, damage):
    # Recompute the declared arrays and the checksum so that the consistency checks
    # themselves are exercised.
    arrays = read_members(model_file)
    meta = metadata(arrays)
    arrays[name] = damage(arrays[name])
    meta["arrays"][name] = {"dtype": arrays[name].dtype.str, "shape": list(arrays[name].shape)}
    meta["checksum"] = independent_checksum(arrays, meta)
    write_members(model_file, with_metadata(arrays, meta))
    with pytest.raises(ValueError, match=name):
        SkipGramVectorizer.load(model_file)


@pytest.mark.parametrize("name", ["vectors_", "index_to_key_utf8_", "loss_curve_"])
def test_arrays_must_match_what_the_metadata_declares(model_file, name):
    arrays = read_members(model_file)
    meta = metadata(arrays)
    meta["arrays"][name]["shape"][0] += 1
    meta["checksum"] = independent_checksum(arrays, meta)
    write_members(model_file, with_metadata(arrays, meta))
    with pytest.raises(ValueError, match=f"{name}.*metadata declares"):
        SkipGramVectorizer.load(model_file)


def test_other_npz_is_not_a_model(tmp_path):
    path = tmp_path / "other.npz"
    np.savez(path, a=np.arange(3))
    with pytest.raises(ValueError, match="not a skw2v model file"):
        SkipGramVectorizer.load(path)


def test_wrong_format_tag(model_file):
    arrays = read_members(model_file)
    meta = metadata(arrays)
    meta["format"] = "something-else"
    write_members(model_file, with_metadata(arrays, meta))
    with pytest.raises(ValueError, match="not a skw2v model file"):
        SkipGramVectorizer.load(model_file)


@pytest.mark.parametrize("content", [b"", b"hello, I am text\n", b"\x93NUMPY\x01\x00"])
def test_non_zip_file(tmp_path, content):
    path = tmp_path / "model.npz"
    path.write_bytes(content)
    with pytest.raises(ValueError, match="not a skw2v model file"):
        SkipGramVectorizer.load(path)


def test_npy_file_is_not_a_model(tmp_path):
    path = tmp_path / "a.npy"
    np.save(path, np.arange(4))
    with pytest.raises(ValueError, match="not a skw2v model file"):
        SkipGramVectorizer.load(path)


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError):
        SkipGramVectorizer.load(tmp_path / "nope.npz")


# --------------------------------------------------------------------------
# Atomic writes
# --------------------------------------------------------------------------
def test_overwrite_replaces_previous_model(docs, fitted, model_file):
    other = SkipGramVectorizer(**{**BASE, "n_components": 4}).fit(docs)
    other.save(model_file)
    assert load_quietly(model_file).vectors_.shape[1] == 4
    assert os.listdir(model_file.parent) == [model_file.name]


def test_overwrite_keeps_file_mode(fitted, model_file):
    os.chmod(model_file, 0o640)
    fitted.save(model_file)
    assert os.stat(model_file).st_mode & 0o777 == 0o640


@pytest.mark.parametrize("where", ["savez", "replace", "fsync"])
def test_failed_save_leaves_previous_file_and_no_temp(docs, model_file, monkeypatch, where):
    before = model_file.read_bytes()

    def failing_savez(file, *args, **kwargs):
        file.write(b"PK\x03\x04 half-written archive")  # partial output, then failure
        raise OSError(28, "No space left on device")

    def failing(*args, **kwargs):
        raise OSError(5, "I/O error")

    target = {"savez": (_persist.np, "savez", failing_savez),
              "replace": (_persist.os, "replace", failing),
              "fsync": (_persist.os, "fsync", failing)}[where]
    monkeypatch.setattr(*target)
    other = SkipGramVectorizer(**{**BASE, "n_components": 4}).fit(docs)
    with pytest.raises(OSError):
        other.save(model_file)
    monkeypatch.undo()
    assert model_file.read_bytes() == before
    assert os.listdir(model_file.parent) == [model_file.name]
    assert load_quietly(model_file).vectors_.shape[1] == 8


def test_failed_first_save_leaves_nothing(fitted, tmp_path, monkeypatch):
    monkeypatch.setattr(_persist.os, "replace", lambda *a: (_ for _ in ()).throw(OSError(5, "x")))
    with pytest.raises(OSError):
        fitted.save(tmp_path / "m.npz")
    assert os.listdir(tmp_path) == []


def test_missing_directory(fitted, tmp_path):
    with pytest.raises(FileNotFoundError, match="directory"):
        fitted.save(tmp_path / "no" / "such" / "m.npz")


def test_words_with_nul_and_lone_surrogates_round_trip(tmp_path):
    words = ["a", "b\x00", "\x00c", "\ud800", "x\udcffy", "\udfff\ud800", "日本語"]
    est = SkipGramVectorizer(**BASE, analyzer=list).fit([words * 2] * 3)
    est.save(tmp_path / "m.npz")
    loaded = load_quietly(tmp_path / "m.npz")
    assert sorted(loaded.index_to_key_) == sorted(words)
    assert loaded.index_to_key_ == est.index_to_key_
    np.testing.assert_array_equal(loaded.transform([words]), est.transform([words]))


def test_partial_fit_after_load_matches_partial_fit_before_save(tmp_path):
    docs = ["alpha beta gamma delta alpha beta", "gamma delta epsilon alpha"] * 10
    est = SkipGramVectorizer(**BASE).fit(docs)
    path = tmp_path / "m.npz"
    est.save(path)
    loaded = SkipGramVectorizer.load(path)
    est.partial_fit(docs)
    loaded.partial_fit(docs)
    np.testing.assert_array_equal(loaded.vectors_, est.vectors_)
