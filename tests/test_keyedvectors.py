"""Tests of skw2v.keyedvectors: queries, word2vec file formats, gensim interop."""

import bz2
import gzip
import math
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from skw2v.keyedvectors import KeyedVectors

ANGLES = {"a": 0, "b": 10, "c": 30, "d": 60, "e": 90, "f": 180}


def angle_kv(dtype=np.float64):
    """Unit 2-D vectors at known angles: the cosine between two is known in closed form."""
    keys = list(ANGLES)
    vecs = [[math.cos(math.radians(t)), math.sin(math.radians(t))] for t in ANGLES.values()]
    # scale rows differently: cosine similarity must not depend on length
    vecs = np.array(vecs) * np.arange(1, len(keys) + 1)[:, None]
    return KeyedVectors(keys, vecs.astype(dtype))


def royal_kv():
    """Planted geometry: king - man + woman == queen exactly, all vectors of equal length.

    With equal norms the identity also holds for the unit-normed vectors, so the
    3CosAdd cosine of queen is exactly 1.
    """
    male, female, royal, common, fruit, vehicle = np.eye(6)
    vectors = {
        "man": male + common,
        "woman": female + common,
        "king": male + royal,
        "queen": female + royal,
        "apple": fruit + 0.2 * common,
        "car": vehicle + 0.1 * male,
        "prince": 0.8 * male + royal + 0.3 * fruit,
    }
    keys = list(vectors)
    return KeyedVectors(keys, np.array([vectors[k] for k in keys], dtype=np.float32))


def random_kv(n=50, d=8, seed=0, dtype=np.float32, counts=False):
    rng = np.random.default_rng(seed)
    keys = [f"w{i}" for i in range(n - 3)] + ["naïve", "日本", "x-y_z"]
    vecs = rng.standard_normal((n, d)).astype(dtype)
    return KeyedVectors(keys, vecs, counts=np.arange(n, 0, -1) * 7 if counts else None)


# --------------------------------------------------------------------------
# Construction and lookup
# --------------------------------------------------------------------------
def test_basic_protocol():
    kv = random_kv(counts=True)
    assert len(kv) == 50
    assert kv.vector_size == 8
    assert "w3" in kv and "nope" not in kv and ["w3"] not in kv
    assert kv.get_index("w3") == 3
    assert kv.key_to_index["日本"] == 48
    assert kv.index_to_key[48] == "日本"
    np.testing.assert_array_equal(kv["w3"], kv.vectors[3])
    np.testing.assert_array_equal(kv.get_vector("w3"), kv.vectors[3])
    np.testing.assert_array_equal(kv[["w3", "w1", "w0", "w3"]], kv.vectors[[3, 1, 0, 3]])
    assert kv[[]].shape == (0, 8)
    assert kv.counts.dtype == np.int64 and kv.counts[0] == 350
    assert list(kv) == kv.index_to_key
    assert "n_keys=50" in repr(kv)


def test_single_vector_is_read_only():
    kv = random_kv()
    with pytest.raises(ValueError):
        kv["w1"][0] = 5.0


@pytest.mark.parametrize(
    "keys, vectors, match",
    [
        (["a", "b", "a"], np.zeros((3, 2)), "duplicate key 'a'"),
        (["a", "b"], np.zeros((3, 2)), "3 rows but there are 2 keys"),
        (["a", "b"], np.zeros(2), "2-D"),
        (["a", "b"], np.array([[0.0, 1.0], [np.nan, 0.0]]), "non-finite.*'b'"),
        (["a", "b"], np.array([[0.0, np.inf], [1.0, 0.0]]), "non-finite.*'a'"),
    ],
)
def test_constructor_validation(keys, vectors, match):
    with pytest.raises(ValueError, match=match):
        KeyedVectors(keys, vectors)


def test_constructor_type_errors():
    with pytest.raises(TypeError):
        KeyedVectors(["a", 3], np.zeros((2, 2)))
    with pytest.raises(TypeError):
        KeyedVectors(["a"], np.zeros((1, 2), dtype=complex))


def test_counts_validation():
    with pytest.raises(ValueError, match="shape"):
        KeyedVectors(["a", "b"], np.zeros((2, 2)), counts=[1])
    with pytest.raises(ValueError, match="non-negative"):
        KeyedVectors(["a", "b"], np.zeros((2, 2)), counts=[1, -1])
    with pytest.raises(ValueError, match="integers"):
        KeyedVectors(["a", "b"], np.zeros((2, 2)), counts=[1.5, 2])
    kv = KeyedVectors(["a", "b"], np.zeros((2, 2)), counts=[3.0, 2.0])
    assert kv.counts.tolist() == [3, 2] and kv.counts.dtype == np.int64


def test_integer_vectors_become_float():
    kv = KeyedVectors(["a", "b"], [[1, 0], [0, 2]])
    assert kv.vectors.dtype.kind == "f"
    assert kv.similarity("a", "b") == 0.0


def test_oov_errors_name_the_word():
    kv = KeyedVectors(["Paris", "london"], np.eye(2))
    with pytest.raises(KeyError, match="'berlin' not in vocabulary"):
        kv["berlin"]
    with pytest.raises(KeyError, match="did you mean 'Paris'"):
        kv.get_index("paris")
    with pytest.raises(KeyError, match="berlin"):
        kv[["london", "berlin"]]
    for call in (
        lambda: kv.most_similar("berlin"),
        lambda: kv.most_similar(positive=["Paris"], negative=["berlin"]),
        lambda: kv.similarity("Paris", "berlin"),
        lambda: kv.analogy("Paris", "london", "berlin"),
        lambda: kv.doesnt_match(["Paris", "berlin"]),
        lambda: kv.get_vector("berlin", norm=True),
    ):
        with pytest.raises(KeyError, match="berlin"):
            call()


def test_unknown_word_error_is_a_key_error_that_names_the_word():
    """The CLI recognises it by type; it stays a KeyError with the same text."""
    import pickle

    from skw2v.keyedvectors import UnknownWordError

    kv = KeyedVectors(["Paris", "london"], np.eye(2))
    with pytest.raises(UnknownWordError) as info:
        kv.get_index("paris")
    error = info.value
    message = "word 'paris' not in vocabulary (2 words); did you mean 'Paris'?"
    assert isinstance(error, KeyError)
    assert error.word == "paris" and error.message == message
    assert error.args == (message,) and str(error) == repr(message)
    again = pickle.loads(pickle.dumps(error))
    assert type(again) is UnknownWordError and (again.word, again.message) == ("paris", message)


def test_pickled_keyed_vectors_keep_their_attributes():
    import pickle

    kv = random_kv(n=10, d=3, counts=True)
    kv.get_normed_vectors()
    back = pickle.loads(pickle.dumps(kv))
    assert sorted(vars(back)) == ["_normed", "_vectors", "counts", "index_to_key",
                                  "key_to_index"]
    assert back.index_to_key == kv.index_to_key and back.key_to_index == kv.key_to_index
    np.testing.assert_array_equal(back.vectors, kv.vectors)
    np.testing.assert_array_equal(back.counts, kv.counts)
    assert back.most_similar("w1", topn=3) == kv.most_similar("w1", topn=3)


def test_vectors_reassignment_clears_norm_cache():
    kv = KeyedVectors(["a", "b"], np.array([[1.0, 0.0], [0.0, 1.0]]))
    assert kv.similarity("a", "b") == 0.0
    kv.vectors = np.array([[1.0, 0.0], [1.0, 0.0]])
    assert kv.similarity("a", "b") == pytest.approx(1.0)
    with pytest.raises(ValueError, match="rows"):
        kv.vectors = np.zeros((3, 2))


# --------------------------------------------------------------------------
# Similarity queries
# --------------------------------------------------------------------------
def expected_cos(w1, w2):
    return math.cos(math.radians(ANGLES[w1] - ANGLES[w2]))


def test_normed_vectors_unit_length():
    kv = angle_kv()
    normed = kv.get_normed_vectors()
    np.testing.assert_allclose(np.linalg.norm(normed, axis=1), 1.0)
    assert kv.get_normed_vectors() is normed  # cached
    np.testing.assert_allclose(kv.get_vector("c", norm=True), normed[2])


def test_most_similar_known_order_and_values():
    kv = angle_kv()
    result = kv.most_similar("a", topn=10)
    assert [w for w, _ in result] == ["b", "c", "d", "e", "f"]
    for word, sim in result:
        assert isinstance(sim, float)
        assert sim == pytest.approx(expected_cos("a", word), abs=1e-12)
    assert kv.most_similar("a", topn=2) == result[:2]
    assert kv.most_similar(["d"], topn=2)[0][0] == "c"  # 30 deg from d, vs e at 30 too
    # from c at 30 deg: b (20) then a (30) / d (30) tie broken by index
    assert [w for w, _ in kv.most_similar("c", topn=3)] == ["b", "a", "d"]
    assert kv.most_similar("a", topn=0) == []


def test_most_similar_topn_none_returns_all_similarities():
    kv = angle_kv()
    sims = kv.most_similar("a", topn=None)
    assert isinstance(sims, np.ndarray) and sims.shape == (6,)
    np.testing.assert_allclose(sims, [expected_cos("a", w) for w in ANGLES], atol=1e-12)
    assert kv.most_similar("a", topn=None, restrict_vocab=3).shape == (3,)


def test_most_similar_restrict_vocab():
    kv = angle_kv()
    assert [w for w, _ in kv.most_similar("e", restrict_vocab=3)] == ["c", "b", "a"]
    # the query word may lie outside the searched range
    assert [w for w, _ in kv.most_similar("f", restrict_vocab=2)] == ["b", "a"]
    with pytest.raises(ValueError):
        kv.most_similar("a", restrict_vocab=0)


def test_most_similar_with_vectors_and_negative():
    kv = angle_kv()
    # a vector at 25 degrees, any length: nearest is c (5 deg), then b (15)
    v = 3.0 * np.array([math.cos(math.radians(25)), math.sin(math.radians(25))])
    result = kv.most_similar(positive=[v], topn=2)
    assert [w for w, _ in result] == ["c", "b"]
    assert result[0][1] == pytest.approx(math.cos(math.radians(5)))
    # a single 1-D array is one term, not a list of numbers
    assert kv.most_similar(v, topn=1)[0][0] == "c"
    # negative of a (0 deg) alone points at 180 deg: f
    assert kv.most_similar(negative="a", topn=1) == [("f", pytest.approx(1.0))]
    # mean of unit b (10) and unit e (90) points at 50 deg; d is closest (10 deg)
    best = kv.most_similar(positive=["b", "e"], topn=1)[0]
    assert best[0] == "d" and best[1] == pytest.approx(math.cos(math.radians(10)))
    # input words are excluded, vector inputs exclude nothing
    assert "a" in [w for w, _ in kv.most_similar(positive=[kv["a"]])]
    assert "a" not in [w for w, _ in kv.most_similar(positive=["a", kv["a"]])]


def test_most_similar_errors():
    kv = angle_kv()
    with pytest.raises(ValueError, match="at least one"):
        kv.most_similar()
    with pytest.raises(ValueError, match="at least one"):
        kv.most_similar(positive=[], negative=[])
    with pytest.raises(ValueError, match="shape"):
        kv.most_similar(positive=[np.ones(3)])
    with pytest.raises(ValueError):
        kv.most_similar("a", topn=-1)


def test_zero_vectors_give_no_nan():
    kv = KeyedVectors(["x", "zero", "y"], np.array([[1.0, 0.0], [0.0, 0.0], [0.6, 0.8]]))
    normed = kv.get_normed_vectors()
    assert np.all(np.isfinite(normed))
    np.testing.assert_array_equal(normed[1], [0.0, 0.0])
    assert kv.similarity("x", "zero") == 0.0
    assert kv.distance("x", "zero") == 1.0
    result = kv.most_similar("x")
    assert result == [("y", pytest.approx(0.6)), ("zero", 0.0)]
    assert all(math.isfinite(s) for _, s in kv.most_similar("zero"))
    assert np.all(np.isfinite(kv.most_similar_cosmul("x", topn=None)))


def test_similarity_distance_n_similarity():
    kv = angle_kv()
    assert kv.similarity("a", "d") == pytest.approx(0.5)
    assert kv.similarity("a", "f") == pytest.approx(-1.0)
    assert kv.distance("a", "e") == pytest.approx(1.0)
    assert kv.similarity("b", "c") == pytest.approx(kv.similarity("c", "b"))
    kv2 = KeyedVectors(["p", "q", "r"], np.array([[2.0, 0.0], [0.0, 2.0], [1.0, 1.0]]))
    # mean of raw p and q is (1, 1), parallel to r
    assert kv2.n_similarity(["p", "q"], ["r"]) == pytest.approx(1.0)
    assert kv2.n_similarity(["p"], ["q"]) == pytest.approx(0.0)
    with pytest.raises(ValueError):
        kv2.n_similarity([], ["r"])


def test_doesnt_match():
    kv = royal_kv()
    assert kv.doesnt_match(["king", "queen", "prince", "apple"]) == "apple"
    assert kv.doesnt_match(["car"]) == "car"
    with pytest.raises(ValueError):
        kv.doesnt_match([])


def test_analogy_planted_geometry():
    kv = royal_kv()
    (word, sim), *_ = kv.analogy("man", "king", "woman")
    assert word == "queen"
    assert sim == pytest.approx(1.0, abs=1e-6)
    # exclusion of a, b and c: the best vector-offset match would otherwise be
    # queen anyway, so check with topn that none of them appears
    top = [w for w, _ in kv.analogy("man", "king", "woman", topn=10)]
    assert not {"man", "king", "woman"} & set(top)
    assert len(top) == len(kv) - 3
    # restrict_vocab: queen (index 3) out of range -> cannot be predicted
    assert kv.analogy("man", "king", "woman", restrict_vocab=3) == []
    assert kv.analogy("man", "king", "woman", restrict_vocab=4)[0][0] == "queen"
    assert kv.most_similar_cosmul(positive=["king", "woman"], negative=["man"], topn=1)[0][0] == (
        "queen"
    )


def test_analogy_excludes_inputs_even_when_closest():
    # b - a + c lands exactly on c: c is excluded, the runner-up comes out
    kv = KeyedVectors(
        ["a", "b", "c", "d"],
        np.array([[1.0, 0.0, 0.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 1.0, 0.5]]),
    )
    assert kv.analogy("a", "b", "c")[0][0] == "d"


def test_float32_queries_return_python_floats():
    kv = royal_kv()
    for _, sim in kv.most_similar("king"):
        assert type(sim) is float
    assert type(kv.similarity("king", "queen")) is float


# --------------------------------------------------------------------------
# word2vec format
# --------------------------------------------------------------------------
@pytest.mark.parametrize("binary", [False, True])
@pytest.mark.parametrize("suffix", ["", ".gz", ".bz2"])
def test_round_trip_exact(tmp_path, binary, suffix):
    kv = random_kv()
    path = tmp_path / f"vec.w2v{suffix}"
    kv.save_word2vec_format(path, binary=binary)
    back = KeyedVectors.load_word2vec_format(path, binary=binary)
    assert back.index_to_key == kv.index_to_key
    assert back.vectors.dtype == np.float32
    np.testing.assert_array_equal(back.vectors, kv.vectors)
    assert back.counts is None


def test_compressed_files_are_really_compressed(tmp_path):
    kv = random_kv()
    kv.save_word2vec_format(tmp_path / "v.txt")
    kv.save_word2vec_format(tmp_path / "v.txt.gz")
    kv.save_word2vec_format(tmp_path / "v.txt.bz2")
    plain = (tmp_path / "v.txt").read_bytes()
    assert gzip.decompress((tmp_path / "v.txt.gz").read_bytes()) == plain
    assert bz2.decompress((tmp_path / "v.txt.bz2").read_bytes()) == plain


def test_text_format_layout(tmp_path):
    kv = KeyedVectors(["hello", "wörld"], np.array([[0.5, -2.0], [1.0, 0.25]], dtype=np.float32))
    kv.save_word2vec_format(tmp_path / "v.txt")
    assert (tmp_path / "v.txt").read_bytes() == "2 2\nhello 0.5 -2.0\nwörld 1.0 0.25\n".encode()


def test_binary_format_layout(tmp_path):
    vecs = np.array([[0.5, -2.0], [1.0, 0.25]], dtype=np.float32)
    kv = KeyedVectors(["hello", "wörld"], vecs)
    kv.save_word2vec_format(tmp_path / "v.bin", binary=True)
    expected = (
        b"2 2\n"
        + b"hello "
        + vecs[0].astype("<f4").tobytes()
        + "wörld ".encode()
        + vecs[1].astype("<f4").tobytes()
    )
    assert (tmp_path / "v.bin").read_bytes() == expected


def test_binary_with_c_tool_newlines(tmp_path):
    """The original C tool ends every binary record with a newline."""
    vecs = np.array([[1.5, -2.0, 3.0], [0.0, 1e-30, -7.25]], dtype=np.float32)
    data = b"2 3\n" + b"".join(
        w + b" " + v.astype("<f4").tobytes() + b"\n"
        for w, v in zip([b"ab", b"cd"], vecs, strict=True)
    )
    (tmp_path / "c.bin").write_bytes(data)
    kv = KeyedVectors.load_word2vec_format(tmp_path / "c.bin", binary=True)
    assert kv.index_to_key == ["ab", "cd"]
    np.testing.assert_array_equal(kv.vectors, vecs)


def test_binary_reader_handles_records_across_chunks(tmp_path, monkeypatch):
    from skw2v._files import word2vec

    monkeypatch.setattr(word2vec, "CHUNK_BYTES", 7)
    kv = random_kv(n=20, d=5)
    kv.save_word2vec_format(tmp_path / "v.bin", binary=True)
    back = KeyedVectors.load_word2vec_format(tmp_path / "v.bin", binary=True)
    assert back.index_to_key == kv.index_to_key
    np.testing.assert_array_equal(back.vectors, kv.vectors)


@pytest.mark.parametrize("name", ["v.txt", "v.bin", "v.txt.gz", "v.bin.bz2"])
def test_file_layer_works_on_plain_lists_and_arrays(tmp_path, name):
    """skw2v._files.word2vec writes the same bytes as KeyedVectors and reads them back."""
    from skw2v._files.word2vec import read_word2vec, sniff_binary, write_word2vec

    binary = ".bin" in name
    kv = random_kv(n=12, d=4)
    kv.save_word2vec_format(tmp_path / ("kv-" + name), binary=binary)
    write_word2vec(tmp_path / name, list(kv.index_to_key), kv.vectors, binary)
    if name.endswith(".gz"):  # the gzip header holds the file name and time: compare contents
        assert gzip.decompress((tmp_path / name).read_bytes()) == gzip.decompress(
            (tmp_path / ("kv-" + name)).read_bytes())
    else:
        assert (tmp_path / name).read_bytes() == (tmp_path / ("kv-" + name)).read_bytes()
    assert sniff_binary(tmp_path / name) is binary
    keys, vectors = read_word2vec(tmp_path / name, binary, encoding="utf8",
                                  unicode_errors="strict", limit=5, dtype=np.float64)
    assert keys == kv.index_to_key[:5] and vectors.dtype == np.float64
    np.testing.assert_array_equal(vectors.astype(np.float32), kv.vectors[:5])


@pytest.mark.parametrize("binary", [False, True])
def test_limit_and_dtype(tmp_path, binary):
    kv = random_kv()
    kv.save_word2vec_format(tmp_path / "v", binary=binary)
    head = KeyedVectors.load_word2vec_format(tmp_path / "v", binary=binary, limit=5)
    assert head.index_to_key == kv.index_to_key[:5]
    np.testing.assert_array_equal(head.vectors, kv.vectors[:5])
    as64 = KeyedVectors.load_word2vec_format(tmp_path / "v", binary=binary, dtype=np.float64)
    assert as64.vectors.dtype == np.float64
    if binary:
        np.testing.assert_array_equal(as64.vectors, kv.vectors.astype(np.float64))
    else:
        # text holds the shortest decimal of each float32: parsed in float64 it is
        # a (slightly) different number that rounds back to the same float32
        np.testing.assert_array_equal(as64.vectors.astype(np.float32), kv.vectors)
        np.testing.assert_allclose(as64.vectors, kv.vectors, rtol=1e-7)
    assert len(KeyedVectors.load_word2vec_format(tmp_path / "v", binary=binary, limit=0)) == 0


def test_float64_vectors_round_trip_text_exactly(tmp_path):
    kv = random_kv(dtype=np.float64)
    kv.save_word2vec_format(tmp_path / "v.txt")
    back = KeyedVectors.load_word2vec_format(tmp_path / "v.txt", dtype=np.float64)
    np.testing.assert_array_equal(back.vectors, kv.vectors)


@settings(max_examples=30, deadline=None)
@given(
    hnp.arrays(
        np.float32,
        hnp.array_shapes(min_dims=2, max_dims=2, max_side=6),
        elements=st.floats(width=32, allow_nan=False, allow_infinity=False),
    )
)
def test_text_round_trip_is_exact_for_any_float32(tmp_path_factory, vecs):
    path = tmp_path_factory.mktemp("h") / "v.txt"
    keys = [f"k{i}" for i in range(vecs.shape[0])]
    KeyedVectors(keys, vecs).save_word2vec_format(path)
    back = KeyedVectors.load_word2vec_format(path)
    assert back.index_to_key == keys
    # bit-exact, including the sign of zero
    np.testing.assert_array_equal(back.vectors.view(np.uint32), vecs.view(np.uint32))


def test_empty_vocabulary_round_trip(tmp_path):
    kv = KeyedVectors([], np.zeros((0, 4), dtype=np.float32))
    for binary in (False, True):
        kv.save_word2vec_format(tmp_path / "v", binary=binary)
        back = KeyedVectors.load_word2vec_format(tmp_path / "v", binary=binary)
        assert len(back) == 0 and back.vector_size == 4


@pytest.mark.parametrize("key", ["two words", "new\nline", ""])
def test_save_rejects_unrepresentable_words(tmp_path, key):
    kv = KeyedVectors(["ok", key], np.zeros((2, 2)))
    with pytest.raises(ValueError, match="cannot be stored"):
        kv.save_word2vec_format(tmp_path / "v.txt")


def test_unicode_errors_option(tmp_path):
    # a word cut inside a multi-byte character, as the C tool sometimes writes
    data = b"1 2\n" + "é".encode()[:1] + b"x 1.0 2.0\n"
    (tmp_path / "v.txt").write_bytes(data)
    with pytest.raises(ValueError, match="line 2"):
        KeyedVectors.load_word2vec_format(tmp_path / "v.txt")
    kv = KeyedVectors.load_word2vec_format(tmp_path / "v.txt", unicode_errors="ignore")
    assert kv.index_to_key == ["x"]


TEXT_CORRUPTIONS = [
    (b"2 3\na 1 2 3\n", "line 3.*end of file"),  # truncated: missing line
    (b"2 3\na 1 2 3\nb 1 2", "line 3.*expected a word and 3"),  # truncated line
    (b"2 3\na 1 2 3\nb 1 2 3 4\n", "line 3.*expected a word and 3"),  # row too long
    (b"2 3\na 1 2 3\nb 1 x 3\n", "line 3.*'x'"),  # not a number
    (b"2 3\na 1 2 3\na 4 5 6\n", "line 3.*duplicate word 'a'"),
    (b"2 3\na 1 2 3\nb 1 nan 3\n", "line 3.*non-finite"),
    (b"2 3\na 1 2 3\nb 1 2 3\nc 1 2 3\n", "line 4.*extra data"),
    (b"2 3 4\na 1 2 3\n", "line 1.*header"),
    (b"two 3\na 1 2 3\n", "line 1.*header"),
    (b"", "line 1.*header"),
    (b"2 3\n\nb 1 2 3\n", "line 2"),  # blank line
]


@pytest.mark.parametrize("data, match", TEXT_CORRUPTIONS)
def test_corrupted_text_files_raise(tmp_path, data, match):
    path = tmp_path / "bad.txt"
    path.write_bytes(data)
    with pytest.raises(ValueError, match=match) as info:
        KeyedVectors.load_word2vec_format(path)
    assert "bad.txt" in str(info.value)


def binary_file(words, vectors, count=None, dim=None):
    vectors = np.asarray(vectors, dtype="<f4")
    count = len(words) if count is None else count
    dim = vectors.shape[1] if dim is None else dim
    body = b"".join(w.encode() + b" " + v.tobytes() for w, v in zip(words, vectors, strict=True))
    return f"{count} {dim}\n".encode() + body


@pytest.mark.parametrize(
    "mutate, match",
    [
        (lambda d: d[:-3], "vector #3.*end of file"),  # cut in the last vector
        (lambda d: d[: d.rindex(b"c ") + 1], "vector #3.*end of file"),  # cut in the word
        (lambda d: d + b"d " + np.ones(2, "<f4").tobytes(), "extra data"),
        (lambda d: d.replace(b"3 2\n", b"4 2\n", 1), "vector #4.*end of file"),
        (lambda d: d.replace(b"c ", b"a ", 1), "vector #3.*duplicate word 'a'"),
        (lambda d: d.replace(b"3 2\n", b"3\n", 1), "line 1.*header"),
    ],
)
def test_corrupted_binary_files_raise(tmp_path, mutate, match):
    good = binary_file(["a", "b", "c"], np.arange(6.0).reshape(3, 2))
    path = tmp_path / "bad.bin"
    path.write_bytes(good)
    assert KeyedVectors.load_word2vec_format(path, binary=True).index_to_key == ["a", "b", "c"]
    path.write_bytes(mutate(good))
    with pytest.raises(ValueError, match=match) as info:
        KeyedVectors.load_word2vec_format(path, binary=True)
    assert "bad.bin" in str(info.value)


def test_binary_nan_is_rejected(tmp_path):
    path = tmp_path / "nan.bin"
    path.write_bytes(binary_file(["a", "b"], [[1.0, 2.0], [np.nan, 0.0]]))
    with pytest.raises(ValueError, match="vector #2.*non-finite"):
        KeyedVectors.load_word2vec_format(path, binary=True)


def test_truncated_gzip_raises(tmp_path):
    kv = random_kv()
    kv.save_word2vec_format(tmp_path / "v.txt")
    data = (tmp_path / "v.txt").read_bytes()
    cut = data[: len(data) // 2]
    (tmp_path / "cut.txt.gz").write_bytes(gzip.compress(cut))
    with pytest.raises(ValueError, match="cut.txt.gz"):
        KeyedVectors.load_word2vec_format(tmp_path / "cut.txt.gz")


def test_module_does_not_import_gensim_or_sklearn():
    code = (
        "import sys, skw2v.keyedvectors, skw2v.evaluation\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in "
        "('gensim', 'sklearn', 'joblib', 'pandas'))\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


# --------------------------------------------------------------------------
# gensim interoperability
# --------------------------------------------------------------------------
@pytest.fixture
def gensim_kv_cls():
    gensim_models = pytest.importorskip("gensim.models")
    return gensim_models.KeyedVectors


def gensim_from_arrays(cls, keys, vectors):
    """Build a gensim KeyedVectors with gensim's own API (no counts)."""
    kv = cls(vectors.shape[1], count=0, dtype=vectors.dtype)
    kv.add_vectors(keys, vectors)
    return kv


@pytest.mark.parametrize("binary", [False, True])
def test_our_files_load_in_gensim(tmp_path, gensim_kv_cls, binary):
    kv = random_kv()
    kv.save_word2vec_format(tmp_path / "ours", binary=binary)
    theirs = gensim_kv_cls.load_word2vec_format(tmp_path / "ours", binary=binary)
    assert list(theirs.index_to_key) == kv.index_to_key
    np.testing.assert_array_equal(theirs.vectors, kv.vectors)


@pytest.mark.parametrize("binary", [False, True])
@pytest.mark.parametrize("suffix", ["", ".gz"])
def test_gensim_files_load_in_ours(tmp_path, gensim_kv_cls, binary, suffix):
    rng = np.random.default_rng(3)
    keys = [f"tok{i}" for i in range(30)] + ["ünï", "中文"]
    vecs = (rng.standard_normal((32, 7)) * 10.0 ** rng.integers(-8, 8, (32, 7))).astype(np.float32)
    theirs = gensim_from_arrays(gensim_kv_cls, keys, vecs)
    path = tmp_path / f"theirs{suffix}"
    theirs.save_word2vec_format(str(path), binary=binary)
    ours = KeyedVectors.load_word2vec_format(path, binary=binary)
    assert ours.index_to_key == keys
    np.testing.assert_array_equal(ours.vectors, vecs)


@pytest.mark.parametrize("binary", [False, True])
def test_files_are_byte_identical_to_gensim(tmp_path, gensim_kv_cls, binary):
    rng = np.random.default_rng(4)
    keys = [f"tok{i}" for i in range(40)] + ["ünï", "中文", "a,b"]
    vecs = (rng.standard_normal((43, 9)) * 10.0 ** rng.integers(-12, 12, (43, 9))).astype(
        np.float32
    )
    vecs[0, :3] = [0.0, -0.0, 1.0]
    vecs[1, :3] = [1e-45, 3.4028235e38, 0.1]  # smallest subnormal, largest float32
    KeyedVectors(keys, vecs).save_word2vec_format(tmp_path / "ours", binary=binary)
    gensim_from_arrays(gensim_kv_cls, keys, vecs).save_word2vec_format(
        str(tmp_path / "theirs"), binary=binary
    )
    assert (tmp_path / "ours").read_bytes() == (tmp_path / "theirs").read_bytes()


def test_to_and_from_gensim(gensim_kv_cls):
    kv = random_kv(counts=True)
    theirs = kv.to_gensim()
    assert isinstance(theirs, gensim_kv_cls)
    assert list(theirs.index_to_key) == kv.index_to_key
    np.testing.assert_array_equal(theirs.vectors, kv.vectors)
    assert theirs.vectors.dtype == kv.vectors.dtype
    assert theirs.get_vecattr("w0", "count") == kv.counts[0]
    assert not np.shares_memory(theirs.vectors, kv.vectors)
    back = KeyedVectors.from_gensim(theirs)
    assert back.index_to_key == kv.index_to_key
    np.testing.assert_array_equal(back.vectors, kv.vectors)
    np.testing.assert_array_equal(back.counts, kv.counts)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_queries_agree_with_gensim(gensim_kv_cls):
    kv = random_kv(n=200, d=16, seed=7)
    theirs = gensim_from_arrays(gensim_kv_cls, kv.index_to_key, kv.vectors)
    for pos, neg in [(["w1"], []), (["w1", "w2"], ["w3"]), (["w5"], ["w6", "w7"])]:
        ours = kv.most_similar(positive=pos, negative=neg, topn=8)
        ref = theirs.most_similar(positive=pos, negative=neg, topn=8)
        assert [w for w, _ in ours] == [w for w, _ in ref]
        np.testing.assert_allclose([s for _, s in ours], [s for _, s in ref], atol=1e-5)
        ours = kv.most_similar_cosmul(positive=pos, negative=neg, topn=8)
        ref = theirs.most_similar_cosmul(positive=pos, negative=neg, topn=8)
        assert [w for w, _ in ours] == [w for w, _ in ref]
    assert kv.similarity("w1", "w9") == pytest.approx(
        float(theirs.similarity("w1", "w9")), abs=1e-6
    )
    words = ["w1", "w2", "w3", "w4", "w5"]
    assert kv.doesnt_match(words) == theirs.doesnt_match(words)
    assert kv.n_similarity(words[:2], words[2:]) == pytest.approx(
        float(theirs.n_similarity(words[:2], words[2:])), abs=1e-6
    )
