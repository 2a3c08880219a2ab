"""fastText's .bin model files: read and written, checked against gensim and fastText itself.

The layout the tests lean on is fastText 0.9's (``Args::save``,
``Dictionary::save``, ``FastText::saveModel``, ``DenseMatrix::save`` in
fastText's ``src/``): offsets below are those of that layout, written out
here rather than taken from the module under test.
"""

import errno
import os
import struct
import tempfile
import tracemalloc

import numpy as np
import pytest

from skw2v._core.subwords import SubwordSpec, composition_matrix, fnv1a_hash
from skw2v._files.fasttext import FastTextModel, read_fasttext_bin, write_fasttext_bin

# Byte offsets of a fastText 0.9 file: signature, args, then the dictionary header.
MAGIC_AT, VERSION_AT = 0, 4
ARG_AT = {name: 8 + 4 * i for i, name in enumerate(
    ["dim", "ws", "epoch", "minCount", "neg", "wordNgrams", "loss", "model", "bucket",
     "minn", "maxn", "lrUpdateRate"])}
DICT_AT = 64  # after the float64 t at 56
SIZE_AT, NWORDS_AT, NLABELS_AT, NTOKENS_AT, PRUNE_AT = 64, 68, 72, 76, 84
ENTRIES_AT = 92

TRAINING = dict(window=5, epochs=5, n_negatives=5, min_count=1, sample=1e-3)
# Non-ASCII words check the hash's sign extension of bytes >= 0x80 (gensim's
# compatible_hash); counts out of order check that the order is kept as given.
WORDS = ["someword", "banana", "naïve", "über", "x", "日本", "ab"]
COUNTS = [3, 10, 5, 7, 1, 2, 9]
UNSEEN = ["unseenword", "naïveté", "größe", "q"]


def random_model(words=WORDS, n_buckets=40, dim=6, seed=0):
    rng = np.random.default_rng(seed)
    n = len(words)
    return (rng.standard_normal((n + n_buckets, dim)).astype(np.float32),
            rng.standard_normal((n, dim)).astype(np.float32))


def write_random(path, min_n=2, max_n=4, n_buckets=40, dim=6, **kw):
    inp, out = random_model(n_buckets=n_buckets, dim=dim)
    write_fasttext_bin(path, WORDS, COUNTS, inp, out, min_n=min_n, max_n=max_n,
                       n_buckets=n_buckets, **{**TRAINING, **kw})
    return inp, out


def patched(src, dst, offset, fmt, value):
    """Copy ``src`` to ``dst`` with ``struct.pack(fmt, value)`` written at ``offset``."""
    data = bytearray(src.read_bytes())
    data[offset:offset + struct.calcsize(fmt)] = struct.pack(fmt, value)
    dst.write_bytes(bytes(data))
    return dst


def only(folder, *names):
    assert sorted(os.listdir(folder)) == sorted(names)


def tiny_corpus(n_lines=200, seed=0):
    rng = np.random.default_rng(seed)
    vocab = "the cat sat on a mat dog ran far away café naïve über größe".split()
    return [[vocab[i] for i in rng.integers(0, len(vocab), 10)] for _ in range(n_lines)]


# --------------------------------------------------------------------------
# Round trip and layout
# --------------------------------------------------------------------------
def test_round_trip_is_exact(tmp_path):
    path = tmp_path / "m.bin"
    inp, out = write_random(path, n_tokens=123, word_ngrams=1, lr_update_rate=77)
    m = read_fasttext_bin(path)
    assert isinstance(m, FastTextModel)
    assert m.words == WORDS
    assert m.counts.dtype == np.int64 and m.counts.tolist() == COUNTS
    assert m.input_matrix.dtype == np.float32 and np.array_equal(m.input_matrix, inp)
    assert m.output_matrix.dtype == np.float32 and np.array_equal(m.output_matrix, out)
    assert m.args == {"dim": 6, "window": 5, "epochs": 5, "min_count": 1, "n_negatives": 5,
                      "word_ngrams": 1, "loss": "ns", "model": "sg", "n_buckets": 40,
                      "min_n": 2, "max_n": 4, "lr_update_rate": 77, "sample": 1e-3,
                      "version": 12, "n_tokens": 123}
    assert (m.n_words, m.dim, m.n_buckets, m.min_n, m.max_n) == (7, 6, 40, 2, 4)
    assert m.uses_subwords
    # write(read(file)) gives the same bytes
    again = tmp_path / "again.bin"
    write_fasttext_bin(again, m.words, m.counts, m.input_matrix, m.output_matrix,
                       min_n=m.min_n, max_n=m.max_n, n_buckets=m.n_buckets,
                       **{k: m.args[k] for k in ("window", "epochs", "n_negatives",
                                                 "min_count", "sample", "n_tokens",
                                                 "lr_update_rate")})
    assert again.read_bytes() == path.read_bytes()


def test_layout_matches_fasttext_source(tmp_path):
    path = tmp_path / "m.bin"
    inp, out = write_random(path)
    data = path.read_bytes()
    assert struct.unpack_from("<ii", data, 0) == (793712314, 12)
    args = struct.unpack_from("<12id", data, 8)
    # dim ws epoch minCount neg wordNgrams loss(ns=2) model(sg=2) bucket minn maxn lrUpdateRate t
    assert args == (6, 5, 5, 1, 5, 1, 2, 2, 40, 2, 4, 100, 1e-3)
    # size, nwords, nlabels, ntokens (default: the sum of the counts), pruneidx_size (-1)
    assert struct.unpack_from("<iiiqq", data, DICT_AT) == (7, 7, 0, sum(COUNTS), -1)
    first = ENTRIES_AT + len(b"someword")
    assert data[ENTRIES_AT:first + 1] == b"someword\0"
    assert struct.unpack_from("<qb", data, first + 1) == (3, 0)
    # the two matrices close the file: quant flag, shape, data; qout flag, shape, data
    tail = 1 + 16 + inp.nbytes + 1 + 16 + out.nbytes
    q = len(data) - tail
    assert data[q] == 0 and struct.unpack_from("<qq", data, q + 1) == (47, 6)
    assert data[q + 17:q + 17 + inp.nbytes] == inp.astype("<f4").tobytes()
    r = q + 17 + inp.nbytes
    assert data[r] == 0 and struct.unpack_from("<qq", data, r + 1) == (7, 6)
    assert data[r + 17:] == out.astype("<f4").tobytes()


def test_float64_and_int_inputs_are_stored_as_float32_and_int64(tmp_path):
    path = tmp_path / "m.bin"
    inp, out = random_model()
    write_fasttext_bin(path, WORDS, np.array(COUNTS, dtype=np.uint16), inp.astype(np.float64),
                       out.astype(np.float64), min_n=3, max_n=6, n_buckets=40, dim=6,
                       **TRAINING)
    m = read_fasttext_bin(path)
    assert np.array_equal(m.input_matrix, inp) and np.array_equal(m.output_matrix, out)
    assert m.counts.tolist() == COUNTS


@pytest.mark.parametrize("min_n,max_n,n_buckets,stored", [
    (0, 0, 0, (0, 0, 0)),
    (3, 6, 0, (3, 0, 0)),   # as fastText -maxn 0 writes it: minn kept, maxn 0, no buckets
    (0, 0, 5, (0, 0, 5)),   # buckets kept, unused
])
def test_subwords_off(tmp_path, min_n, max_n, n_buckets, stored):
    path = tmp_path / "m.bin"
    inp, out = random_model(n_buckets=n_buckets)
    write_fasttext_bin(path, WORDS, COUNTS, inp, out, min_n=min_n, max_n=max_n,
                       n_buckets=n_buckets, **TRAINING)
    m = read_fasttext_bin(path)
    assert (m.min_n, m.max_n, m.n_buckets) == stored
    assert not m.uses_subwords
    assert np.array_equal(m.input_matrix, inp)


def test_version_11_is_read_too(tmp_path):
    # fastText 0.1 (2017) wrote version 11; the layout of unsupervised models is the same
    path = tmp_path / "m.bin"
    inp, out = write_random(path)
    old = patched(path, tmp_path / "old.bin", VERSION_AT, "<i", 11)
    m = read_fasttext_bin(old)
    assert m.args["version"] == 11 and m.words == WORDS
    assert np.array_equal(m.input_matrix, inp) and np.array_equal(m.output_matrix, out)


def test_empty_vocabulary_round_trips(tmp_path):
    path = tmp_path / "m.bin"
    write_fasttext_bin(path, [], [], np.zeros((3, 2)), np.zeros((0, 2)), min_n=3, max_n=6,
                       n_buckets=3, **TRAINING)
    m = read_fasttext_bin(path)
    assert m.words == [] and m.counts.shape == (0,) and m.input_matrix.shape == (3, 2)


# --------------------------------------------------------------------------
# gensim
# --------------------------------------------------------------------------
def gensim_fasttext():
    return pytest.importorskip("gensim.models.fasttext")


def test_reads_gensims_save_facebook_model_exactly(tmp_path):
    ft = gensim_fasttext()
    model = ft.FastText(tiny_corpus(), vector_size=8, window=3, min_count=2, sg=1, hs=0,
                        negative=4, min_n=3, max_n=5, bucket=64, epochs=2, sample=1e-2,
                        seed=1, workers=1)
    path = tmp_path / "gensim.bin"
    ft.save_facebook_model(model, str(path))
    m = read_fasttext_bin(path)
    wv = model.wv
    assert m.words == wv.index_to_key
    assert m.counts.tolist() == [wv.get_vecattr(w, "count") for w in wv.index_to_key]
    n = len(wv)
    assert np.array_equal(m.input_matrix[:n], wv.vectors_vocab)
    assert np.array_equal(m.input_matrix[n:], wv.vectors_ngrams)
    assert np.array_equal(m.output_matrix, model.syn1neg)
    assert m.args == {"dim": 8, "window": 3, "epochs": 2, "min_count": 2, "n_negatives": 4,
                      "word_ngrams": 1, "loss": "ns", "model": "sg", "n_buckets": 64,
                      "min_n": 3, "max_n": 5, "lr_update_rate": 100, "sample": 1e-2,
                      "version": 12, "n_tokens": model.corpus_total_words}
    # gensim's composed vectors are the means write_fasttext_bin's docs promise
    M = composition_matrix(SubwordSpec(3, 5, 64), m.words, np.arange(n), n, np.float64)
    np.testing.assert_allclose(wv.vectors, M @ m.input_matrix.astype(np.float64),
                               rtol=1e-5, atol=1e-6)
    # and writing what was read gives gensim's bytes back
    again = tmp_path / "again.bin"
    write_fasttext_bin(again, m.words, m.counts, m.input_matrix, m.output_matrix,
                       min_n=m.min_n, max_n=m.max_n, n_buckets=m.n_buckets,
                       **{k: m.args[k] for k in ("window", "epochs", "n_negatives",
                                                 "min_count", "sample", "n_tokens")})
    assert again.read_bytes() == path.read_bytes()


def test_gensim_loads_our_file_exactly(tmp_path):
    ft = gensim_fasttext()
    path = tmp_path / "m.bin"
    inp, out = write_random(path, min_n=2, max_n=4, n_buckets=40, n_negatives=3)
    model = ft.load_facebook_model(str(path))
    n = len(WORDS)
    assert model.sg == 1 and model.hs == 0 and model.negative == 3
    assert (model.wv.min_n, model.wv.max_n, model.wv.bucket) == (2, 4, 40)
    assert (model.window, model.epochs, model.sample) == (5, 5, 1e-3)
    assert model.wv.index_to_key == WORDS  # the order as given, not re-sorted by count
    assert [model.wv.get_vecattr(w, "count") for w in WORDS] == COUNTS
    assert model.corpus_total_words == sum(COUNTS)
    assert np.array_equal(model.wv.vectors_vocab, inp[:n])
    assert np.array_equal(model.wv.vectors_ngrams, inp[n:])
    assert np.array_equal(model.syn1neg, out)

    spec = SubwordSpec(2, 4, 40)
    W = inp.astype(np.float64)
    # a vocabulary word: the mean of its own row and its n-grams' bucket rows
    M = composition_matrix(spec, WORDS, np.arange(n), n, np.float64)
    own = M[[0], [0]][0]
    assert own > 0 and M[[0]].nnz > 1
    for i, word in enumerate(WORDS):
        np.testing.assert_allclose(model.wv[word], (M[[i]] @ W)[0], rtol=1e-5, atol=1e-6)
    # an unseen word: the mean of its bucket rows only
    U = composition_matrix(spec, UNSEEN, None, n, np.float64)
    assert U[:, :n].nnz == 0
    for i, word in enumerate(UNSEEN):
        assert word not in model.wv.key_to_index
        np.testing.assert_allclose(model.wv[word], (U[[i]] @ W)[0], rtol=1e-5, atol=1e-6)
    # spelled out for one word, independently of composition_matrix's weights
    buckets = [n + fnv1a_hash(g.encode()) % 40 for g in spec.ngrams("someword")]
    np.testing.assert_allclose(model.wv["someword"], W[[0] + buckets].mean(axis=0),
                               rtol=1e-5, atol=1e-6)
    buckets = [n + fnv1a_hash(g.encode()) % 40 for g in spec.ngrams("größe")]
    np.testing.assert_allclose(model.wv["größe"], W[buckets].mean(axis=0),
                               rtol=1e-5, atol=1e-6)


def test_gensim_loads_our_file_without_subwords(tmp_path):
    ft = gensim_fasttext()
    path = tmp_path / "m.bin"
    inp, out = write_random(path, min_n=3, max_n=6, n_buckets=0)
    model = ft.load_facebook_model(str(path))
    assert model.wv.bucket == 0 and model.wv.max_n == 0
    assert np.array_equal(model.wv.vectors, inp)
    assert np.array_equal(model.syn1neg, out)
    with pytest.raises(KeyError):
        model.wv["unseenword"]


# --------------------------------------------------------------------------
# fastText itself (the PyPI fasttext or fasttext-wheel package)
# --------------------------------------------------------------------------
def test_fasttext_loads_our_file(tmp_path):
    fasttext = pytest.importorskip("fasttext")
    path = tmp_path / "m.bin"
    inp, out = write_random(path, min_n=2, max_n=4, n_buckets=40)
    f = fasttext.load_model(str(path))
    args = f.f.getArgs()
    assert (args.loss.name, args.model.name) == ("ns", "skipgram")
    assert (args.dim, args.minn, args.maxn, args.bucket, args.neg) == (6, 2, 4, 40, 5)
    words, counts = f.get_words(include_freq=True)
    assert list(words) == WORDS and counts.tolist() == COUNTS
    assert np.array_equal(f.get_input_matrix(), inp)
    assert np.array_equal(f.get_output_matrix(), out)
    n, spec, W = len(WORDS), SubwordSpec(2, 4, 40), inp.astype(np.float64)
    M = composition_matrix(spec, WORDS, np.arange(n), n, np.float64)
    U = composition_matrix(spec, UNSEEN, None, n, np.float64)
    for i, word in enumerate(WORDS):
        np.testing.assert_allclose(f.get_word_vector(word), (M[[i]] @ W)[0],
                                   rtol=1e-5, atol=1e-6)
    for i, word in enumerate(UNSEEN):
        np.testing.assert_allclose(f.get_word_vector(word), (U[[i]] @ W)[0],
                                   rtol=1e-5, atol=1e-6)


def test_fasttext_loads_our_file_without_subwords(tmp_path):
    fasttext = pytest.importorskip("fasttext")
    path = tmp_path / "m.bin"
    inp, _ = write_random(path, min_n=0, max_n=0, n_buckets=0)
    f = fasttext.load_model(str(path))
    assert f.f.getArgs().maxn == 0
    for i, word in enumerate(WORDS):
        assert np.array_equal(f.get_word_vector(word), inp[i])
    assert not f.get_word_vector("unseenword").any()


@pytest.mark.parametrize("maxn", [5, 0])
def test_reads_a_model_trained_by_fasttext(tmp_path, maxn):
    fasttext = pytest.importorskip("fasttext")
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("\n".join(" ".join(line) for line in tiny_corpus()) + "\n",
                      encoding="utf-8")
    f = fasttext.train_unsupervised(str(corpus), model="skipgram", dim=8, minn=3, maxn=maxn,
                                    bucket=50, epoch=1, minCount=1, thread=1, verbose=0)
    path = tmp_path / "ft.bin"
    f.save_model(str(path))
    m = read_fasttext_bin(path)
    words, counts = f.get_words(include_freq=True)
    assert m.words == list(words) and m.counts.tolist() == counts.tolist()
    assert "</s>" in m.words  # fastText's end-of-line token is a word of its vocabulary
    assert np.array_equal(m.input_matrix, f.get_input_matrix())
    assert np.array_equal(m.output_matrix, f.get_output_matrix())
    n_buckets = 50 if maxn else 0  # fastText drops the buckets with -maxn 0
    assert m.args == {"dim": 8, "window": 5, "epochs": 1, "min_count": 1, "n_negatives": 5,
                      "word_ngrams": 1, "loss": "ns", "model": "sg", "n_buckets": n_buckets,
                      "min_n": 3, "max_n": maxn, "lr_update_rate": 100, "sample": 1e-4,
                      "version": 12, "n_tokens": 200 * 11}
    assert m.uses_subwords == bool(maxn)
    again = tmp_path / "again.bin"
    write_fasttext_bin(again, m.words, m.counts, m.input_matrix, m.output_matrix,
                       min_n=m.min_n, max_n=m.max_n, n_buckets=m.n_buckets,
                       **{k: m.args[k] for k in ("window", "epochs", "n_negatives",
                                                 "min_count", "sample", "n_tokens")})
    assert again.read_bytes() == path.read_bytes()


def test_refuses_a_supervised_model_trained_by_fasttext(tmp_path):
    fasttext = pytest.importorskip("fasttext")
    data = tmp_path / "train.txt"
    data.write_text("__label__a good day\n__label__b bad day\n" * 20, encoding="utf-8")
    f = fasttext.train_supervised(str(data), epoch=1, dim=4, minCount=1, thread=1, verbose=0)
    path = tmp_path / "sup.bin"
    f.save_model(str(path))
    with pytest.raises(ValueError, match=f"{path}: args: a supervised"):
        read_fasttext_bin(path)


# --------------------------------------------------------------------------
# Bad files
# --------------------------------------------------------------------------
def test_every_truncation_is_a_value_error_naming_the_file(tmp_path):
    path = tmp_path / "m.bin"
    write_random(path, n_buckets=3, dim=2)
    data = path.read_bytes()
    cut = tmp_path / "cut.bin"
    seen = set()
    for size in range(len(data)):
        cut.write_bytes(data[:size])
        with pytest.raises(ValueError, match="truncated") as info:
            read_fasttext_bin(cut)
        assert str(info.value).startswith(f"{cut}: ")
        seen.add(str(info.value).split(": ")[1])
    # the message says where: every part of the file was cut somewhere
    assert {"header", "args", "dictionary", "quant_input", "input matrix", "qout",
            "output matrix"} <= seen
    assert any(part.startswith("dictionary entry") for part in seen)


def test_trailing_bytes_are_refused(tmp_path):
    path = tmp_path / "m.bin"
    write_random(path)
    path.write_bytes(path.read_bytes() + b"\0")
    with pytest.raises(ValueError, match=f"{path}: end: 1 bytes after"):
        read_fasttext_bin(path)


@pytest.mark.parametrize("offset,fmt,value,message", [
    (MAGIC_AT, "<i", 123, "not a fastText .bin model file"),
    (MAGIC_AT, "<i", 100, "not a fastText .bin model file"),  # the pre-2017 format: dim first
    (VERSION_AT, "<i", 13, "version 13"),
    (VERSION_AT, "<i", 10, "version 10"),
    (ARG_AT["model"], "<i", 3, "supervised"),
    (ARG_AT["model"], "<i", 7, "unknown model"),
    (ARG_AT["loss"], "<i", 0, "unknown model 2 or loss 0"),
    (ARG_AT["dim"], "<i", 0, "dim is 0"),
    (ARG_AT["bucket"], "<i", -1, "bucket is -1"),
    (ARG_AT["dim"], "<i", 7, r"input matrix: shape \(47, 6\), but .* need \(47, 7\)"),
    (ARG_AT["bucket"], "<i", 41, r"input matrix: shape \(47, 6\), but .* need \(48, 6\)"),
    (NLABELS_AT, "<i", 2, "2 labels: a supervised model"),
    (NWORDS_AT, "<i", 6, "do not add up"),
    (SIZE_AT, "<i", -1, "do not add up"),
    (NTOKENS_AT, "<q", -5, "do not add up"),
    (PRUNE_AT, "<q", 0, "pruned-index size 0 in a model that is not quantised"),
    (ENTRIES_AT + len("someword") + 9, "<b", 1, "dictionary entry 0: entry type 1"),
    (ENTRIES_AT + len("someword") + 1, "<q", -3, "dictionary entry 0: negative count"),
    (ENTRIES_AT + 1, "<B", 0xFF, "dictionary entry 0: the word .* is not valid UTF-8"),
])
def test_bad_headers_are_value_errors_naming_the_file(tmp_path, offset, fmt, value, message):
    path = tmp_path / "m.bin"
    write_random(path)
    bad = patched(path, tmp_path / "bad.bin", offset, fmt, value)
    with pytest.raises(ValueError, match=f"^{bad}: .*{message}"):
        read_fasttext_bin(bad)


def test_repeated_word_is_refused(tmp_path):
    path = tmp_path / "m.bin"
    write_random(path)
    data = path.read_bytes()
    # "banana" and "naïve" both take 6 bytes: make entry 2 a copy of entry 1
    path.write_bytes(data.replace("naïve".encode(), b"banana"))
    with pytest.raises(ValueError, match=f"^{path}: dictionary entry 2: the word 'banana' "
                                         "occurs twice"):
        read_fasttext_bin(path)


def test_undecodable_word_can_be_read_with_replacement(tmp_path):
    path = tmp_path / "m.bin"
    write_random(path)
    bad = patched(path, tmp_path / "bad.bin", ENTRIES_AT + 1, "<B", 0xFF)
    m = read_fasttext_bin(bad, unicode_errors="replace")
    assert m.words[0] == "s\ufffdmeword" and m.words[1:] == WORDS[1:]


def quant_flag_offset(path):
    """Offset of the quant_input flag: just after the dictionary."""
    data = path.read_bytes()
    pos = ENTRIES_AT
    for _ in WORDS:
        pos = data.index(b"\0", pos) + 10
    return pos


def test_quantised_model_is_refused(tmp_path):
    path = tmp_path / "m.bin"
    write_random(path)
    bad = patched(path, tmp_path / "m.ftz", quant_flag_offset(path), "<B", 1)
    with pytest.raises(ValueError, match=f"^{bad}: quant_input: a quantised model"):
        read_fasttext_bin(bad)
    # a quantised model's pruned index comes first, and does not hide what the file is
    data = bytearray(path.read_bytes())
    q = quant_flag_offset(path)
    data[PRUNE_AT:PRUNE_AT + 8] = struct.pack("<q", 2)
    data[q:q + 1] = struct.pack("<iiii", 0, 0, 1, 1) + b"\1"
    bad.write_bytes(bytes(data))
    with pytest.raises(ValueError, match="quant_input: a quantised model"):
        read_fasttext_bin(bad)


def test_quantised_output_is_refused(tmp_path):
    path = tmp_path / "m.bin"
    inp, out = write_random(path)
    qout = path.stat().st_size - out.nbytes - 16 - 1
    bad = patched(path, tmp_path / "bad.bin", qout, "<B", 1)
    with pytest.raises(ValueError, match=f"^{bad}: qout: "):
        read_fasttext_bin(bad)


@pytest.mark.parametrize("edit", ["size", "prune", "dim_bucket", "matrix_rows", "output_rows"])
def test_huge_sizes_in_the_header_are_refused_without_allocating(tmp_path, edit):
    path = tmp_path / "m.bin"
    inp, out = write_random(path)
    data = bytearray(path.read_bytes())
    q = quant_flag_offset(path)
    if edit == "size":  # 2**31 - 1 words announced
        data[SIZE_AT:SIZE_AT + 8] = struct.pack("<ii", 2**31 - 1, 2**31 - 1)
    elif edit == "prune":
        data[PRUNE_AT:PRUNE_AT + 8] = struct.pack("<q", 2**62)
    elif edit == "dim_bucket":  # a consistent header for a 2**31 x 2**31 input matrix
        data[ARG_AT["dim"]:ARG_AT["dim"] + 4] = struct.pack("<i", 2**31 - 1)
        data[ARG_AT["bucket"]:ARG_AT["bucket"] + 4] = struct.pack("<i", 2**31 - 1)
        data[q + 1:q + 17] = struct.pack("<qq", 2**31 - 1 + len(WORDS), 2**31 - 1)
    elif edit == "matrix_rows":
        data[q + 1:q + 17] = struct.pack("<qq", 2**62, 6)
    else:
        r = len(data) - out.nbytes - 16
        data[r:r + 16] = struct.pack("<qq", 2**40, 2**20)
    path.write_bytes(bytes(data))
    tracemalloc.start()
    try:
        with pytest.raises(ValueError, match=f"^{path}: "):
            read_fasttext_bin(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 1 << 20


def test_not_a_regular_file_and_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError):
        read_fasttext_bin(tmp_path / "missing.bin")
    if hasattr(os, "mkfifo"):
        fifo = tmp_path / "fifo"
        os.mkfifo(fifo)
        writer = os.open(fifo, os.O_RDWR)  # so that opening it for reading does not block
        try:
            with pytest.raises(ValueError, match=f"^{fifo}: not a regular file"):
                read_fasttext_bin(fifo)
        finally:
            os.close(writer)


def test_a_word2vec_or_vec_file_is_named_as_such(tmp_path):
    path = tmp_path / "vectors.vec"
    path.write_bytes(b"2 3\nab 1 2 3\ncd 4 5 6\n")
    with pytest.raises(ValueError, match=f"^{path}: header: not a fastText .bin model file"):
        read_fasttext_bin(path)


# --------------------------------------------------------------------------
# Writing: checks before anything is written, and atomicity
# --------------------------------------------------------------------------
@pytest.mark.parametrize("change,error,message", [
    (dict(words=["a", "a", "b"]), ValueError, "occurs twice"),
    (dict(words=["a", "b c", "d"]), ValueError, "whitespace"),
    (dict(words=["a", "", "d"]), ValueError, "empty"),
    (dict(words=["a", "b\0", "d"]), ValueError, "NUL"),
    (dict(words=["a", "\ud800", "d"]), ValueError, "not valid Unicode"),
    (dict(words=["a", 2, "d"]), TypeError, "not a str"),
    (dict(counts=[1, 0, 2]), ValueError, "count 0"),
    (dict(counts=[1, 2]), ValueError, "counts must be 3 integers"),
    (dict(counts=[1.0, 2.0, 3.0]), ValueError, "counts must be 3 integers"),
    (dict(input_matrix=np.zeros((5, 4))), ValueError, r"input_matrix has shape \(5, 4\)"),
    (dict(output_matrix=np.zeros((3, 3))), ValueError, r"output_matrix has shape \(3, 3\)"),
    (dict(input_matrix=np.zeros(7)), ValueError, "input_matrix must be a 2-D array"),
    (dict(input_matrix=np.zeros((3, 0)), output_matrix=np.zeros((3, 0))), ValueError,
     "dim must be in"),
    (dict(dim=5), ValueError, r"input_matrix has shape \(7, 4\); .* \(7, 5\)"),
    (dict(min_n=4, max_n=3), ValueError, "1 <= min_n <= max_n"),
    (dict(min_n=0, max_n=3), ValueError, "1 <= min_n <= max_n"),
    (dict(n_negatives=0), ValueError, r"n_negatives must be in \[1, "),
    (dict(window=2**31), ValueError, "window must be in"),
    (dict(epochs=1.5), TypeError, "epochs must be an int"),
    (dict(sample=-1.0), ValueError, "sample must be"),
    (dict(n_tokens=0), ValueError, "n_tokens must be in"),
])
def test_writer_refuses_bad_input_before_writing(tmp_path, change, error, message):
    rng = np.random.default_rng(0)
    call = dict(words=["a", "b", "c"], counts=[3, 2, 1],
                input_matrix=rng.standard_normal((7, 4)), output_matrix=np.zeros((3, 4)),
                min_n=3, max_n=6, n_buckets=4, **TRAINING)
    call.update(change)
    with pytest.raises(error, match=message):
        write_fasttext_bin(tmp_path / "m.bin", **call)
    only(tmp_path)


class FailingFile:
    """A temporary file whose writes raise ``exc`` once ``budget`` bytes went through."""

    def __init__(self, real, budget, exc):
        self._real, self._budget, self._exc = real, budget, exc

    def write(self, data):
        data = bytes(data)
        if self._real.tell() + len(data) > self._budget:
            self._real.write(data[:max(self._budget - self._real.tell(), 0)])
            self._budget = float("inf")
            raise self._exc()
        return self._real.write(data)

    def __getattr__(self, name):
        return getattr(self._real, name)


@pytest.mark.parametrize("exc", [KeyboardInterrupt,
                                 lambda: OSError(errno.ENOSPC, "No space left on device")])
@pytest.mark.parametrize("budget", [0, 100, 1000])
def test_interrupted_write_leaves_the_previous_file_and_no_temporary(tmp_path, monkeypatch,
                                                                    exc, budget):
    path = tmp_path / "m.bin"
    path.write_bytes(b"previous content")
    real = tempfile.NamedTemporaryFile
    monkeypatch.setattr(tempfile, "NamedTemporaryFile",
                        lambda *a, **k: FailingFile(real(*a, **k), budget, exc))
    with pytest.raises((KeyboardInterrupt, OSError)):
        write_random(path, n_buckets=100, dim=8)  # ~4 kB: cut in the dictionary or a matrix
    monkeypatch.undo()
    assert path.read_bytes() == b"previous content"
    only(tmp_path, "m.bin")
    # and with no previous file, nothing is left at all
    path.unlink()
    monkeypatch.setattr(tempfile, "NamedTemporaryFile",
                        lambda *a, **k: FailingFile(real(*a, **k), budget, exc))
    with pytest.raises((KeyboardInterrupt, OSError)):
        write_random(path)
    monkeypatch.undo()
    only(tmp_path)


def test_input_rows_given_in_two_parts_write_the_same_bytes(tmp_path):
    inp, out = random_model()
    n = len(WORDS)
    whole, parts = tmp_path / "whole.bin", tmp_path / "parts.bin"
    write_fasttext_bin(whole, WORDS, COUNTS, inp, out, min_n=2, max_n=4, n_buckets=40,
                       **TRAINING)
    write_fasttext_bin(parts, WORDS, COUNTS, (inp[:n], inp[n:].astype(np.float64)), out,
                       min_n=2, max_n=4, n_buckets=40, **TRAINING)
    assert parts.read_bytes() == whole.read_bytes()


@pytest.mark.parametrize("parts, message", [
    (lambda inp, n: (inp[:n],), r"\(word_rows, bucket_rows\)"),
    (lambda inp, n: (inp[:n - 1], inp[n - 1:]), r"input_matrix\[0\] has shape \(6, 6\)"),
    (lambda inp, n: (inp[:n], inp[n + 1:]), r"input_matrix\[1\] has shape \(39, 6\)"),
])
def test_input_parts_of_the_wrong_shape_are_refused_before_writing(tmp_path, parts, message):
    inp, out = random_model()
    with pytest.raises(ValueError, match=message):
        write_fasttext_bin(tmp_path / "x.bin", WORDS, COUNTS, parts(inp, len(WORDS)), out,
                           min_n=2, max_n=4, n_buckets=40, **TRAINING)
    assert list(tmp_path.iterdir()) == []
