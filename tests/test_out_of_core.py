"""Corpora on disk (``spill_threshold``, ``temp_folder``) and streamed files.

The contract: spilling and streaming change where the corpus lives, never the
result. Every estimator test here compares against the in-memory fit bit for
bit, with tiny block sizes so that every block boundary case is crossed.
"""

import io
import os
import tempfile

import numpy as np
import pytest
import scipy.sparse as sp

import skw2v._data.store as store
import skw2v._data.text as text
from skw2v import SkipGramVectorizer
from skw2v._data.store import (
    TokenFile,
    TokenSink,
    Workspace,
    document_blocks,
    parse_nbytes,
    remap_compact,
    subsample_corpus,
)


def zipf_corpus(n_docs=60, vocab=150, seed=0, lengths=(0, 80)):
    """Documents of Zipf-distributed words ``w0, w1, ...`` (some empty)."""
    rng = np.random.default_rng(seed)
    p = 1.0 / np.arange(1, vocab + 1)
    p /= p.sum()
    docs = []
    for _ in range(n_docs):
        n = int(rng.integers(*lengths))
        docs.append(" ".join(f"w{i}" for i in rng.choice(vocab, size=n, p=p)))
    if lengths[0] == 0:
        docs[3] = ""
    return docs


def subsample_whole_array(ids, offsets, keep_prob, rng):
    """Reference: subsampling with one random draw and one cumsum over the corpus."""
    keep = rng.random(ids.size, dtype=np.float32) < keep_prob.astype(np.float32)[ids]
    csum = np.concatenate([[0], np.cumsum(keep)])
    return ids[keep], csum[offsets]


def encoded(n_tokens=5000, n_docs=40, n_words=30, seed=1):
    rng = np.random.default_rng(seed)
    ids = rng.integers(0, n_words, size=n_tokens).astype(np.int32)
    cuts = np.sort(rng.integers(0, n_tokens, size=n_docs - 1))
    offsets = np.concatenate([[0], cuts, [n_tokens]]).astype(np.int64)
    offsets[5] = offsets[4]  # an empty document
    return ids, offsets


def as_file(ids, tmp_path, name="ids.i32"):
    path = tmp_path / name
    ids.astype(np.int32).tofile(path)
    return TokenFile(path, ids.size)


PARAMS = dict(n_components=8, window=3, min_count=2, subsample=1e-2, epochs=2,
              batch_size=64, random_state=0)


@pytest.fixture
def tiny_blocks(monkeypatch):
    """Blocks of 64 tokens and 37-byte file pieces: every boundary case happens."""
    monkeypatch.setattr(store, "BLOCK_TOKENS", 64)
    monkeypatch.setattr(text, "PIECE_BYTES", 37)


# ---------------------------------------------------------------- parameters
@pytest.mark.parametrize("value, expected", [
    (None, None), (0, 0), (1234, 1234), ("1K", 1024), ("500M", 500 << 20), ("2g", 2 << 30),
    ("1.5KB", 1536), (" 7 ", 7)])
def test_parse_nbytes(value, expected):
    assert parse_nbytes(value) == expected


@pytest.mark.parametrize("value", [-1, "lots", "5X", 1.5, True, [1]])
def test_bad_spill_threshold_is_named(value):
    with pytest.raises(ValueError, match="spill_threshold"):
        SkipGramVectorizer(spill_threshold=value).fit(["a b c"])


def test_bad_temp_folder(tmp_path):
    with pytest.raises(ValueError, match="temp_folder"):
        SkipGramVectorizer(temp_folder=3).fit(["aa bb"])
    missing = tmp_path / "nope"
    with pytest.raises(ValueError, match="temp_folder=.*not an existing directory"):
        SkipGramVectorizer(min_count=1, spill_threshold=0, temp_folder=missing).fit(
            ["aa bb cc aa bb"])


# ------------------------------------------------------------ block passes
def test_token_sink_spills_past_threshold(tmp_path):
    with Workspace(threshold=40, folder=tmp_path) as ws:
        sink = TokenSink(ws, "t.i32")
        sink.append(np.arange(5))        # 20 bytes: stays in memory
        assert sink.handle is None
        sink.append(np.arange(5, 12))    # 48 bytes: spills, with what came before
        assert sink.handle is not None
        sink.append(np.arange(12, 13))
        out = sink.finish()
        assert isinstance(out, TokenFile) and out.size == 13
        np.testing.assert_array_equal(out.read(0, 13), np.arange(13))
        np.testing.assert_array_equal(out.read(11, 99), [11, 12])
        folder = ws.path
        assert os.path.exists(out.path)
    assert not os.path.exists(folder)
    with Workspace(threshold=None, folder=tmp_path) as ws:
        sink = TokenSink(ws, "t.i32")
        sink.append(np.arange(10 ** 5))
        assert isinstance(sink.finish(), np.ndarray)
        assert ws.path is None  # no folder was ever made
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("slab", [1, 5, 64, 1 << 24])
def test_token_sink_in_memory_slabs(monkeypatch, slab):
    monkeypatch.setattr(store, "SLAB_TOKENS", slab)
    rng = np.random.default_rng(0)
    blocks = [rng.integers(0, 100, size=n).astype(np.int32) for n in (3, 0, 17, 5, 40, 1)]
    sink = TokenSink(Workspace(), "t", spill=False)
    for b in blocks:
        sink.append(b)
    out = sink.finish()
    np.testing.assert_array_equal(out, np.concatenate(blocks))
    assert out.dtype == np.int32 and out.flags.c_contiguous
    assert TokenSink(Workspace(), "t", spill=False).finish().shape == (0,)


@pytest.mark.parametrize("on_disk", [False, True])
@pytest.mark.parametrize("block", [7, 64, 10 ** 6])
def test_remap_compact_matches_whole_array(tmp_path, on_disk, block):
    ids, offsets = encoded()
    remap = np.arange(30, dtype=np.int32)[::-1].copy()
    remap[[0, 3, 17]] = -1
    # whole-array reference
    enc = remap[ids]
    keep = enc >= 0
    csum = np.concatenate([[0], np.cumsum(keep)])
    ref_ids, ref_off = enc[keep], csum[offsets]
    src = as_file(ids, tmp_path) if on_disk else ids.copy()
    out, off = remap_compact(src, offsets, remap, block=block)
    np.testing.assert_array_equal(off, ref_off)
    got = out.read(0, out.size) if on_disk else out
    np.testing.assert_array_equal(got, ref_ids)
    if on_disk:
        assert os.path.getsize(out.path) == 4 * ref_ids.size  # truncated


@pytest.mark.parametrize("on_disk", [False, True])
@pytest.mark.parametrize("block", [2, 64, 10 ** 6])
def test_subsample_blocks_equal_one_draw(tmp_path, on_disk, block):
    ids, offsets = encoded()
    keep_prob = np.linspace(0.05, 1.0, 30)
    ref_ids, ref_off = subsample_whole_array(ids, offsets, keep_prob, np.random.default_rng(3))
    with Workspace(0, tmp_path) as ws:
        src = as_file(ids, tmp_path) if on_disk else ids
        sink = TokenSink(ws, "kept.i32", spill=True) if on_disk else None
        out, off = subsample_corpus(src, offsets, keep_prob, np.random.default_rng(3), sink=sink,
                             block=block)
        got = out.read(0, out.size) if on_disk else out
        np.testing.assert_array_equal(got, ref_ids)
        np.testing.assert_array_equal(off, ref_off)
        assert 0 < got.size < ids.size


@pytest.mark.parametrize("on_disk", [False, True])
@pytest.mark.parametrize("block", [5, 300, 10 ** 6])
def test_document_blocks_equal_whole_matrix(tmp_path, on_disk, block):
    ids, offsets = encoded()
    offsets[10] = offsets[9]  # another empty document
    # copies: sum_duplicates sorts the shared index array in place
    ref = sp.csr_matrix((np.ones(ids.size), ids.copy(), offsets.copy()),
                        shape=(offsets.size - 1, 30))
    ref.sum_duplicates()
    src = as_file(ids, tmp_path) if on_disk else ids
    parts = list(document_blocks(src, offsets, 30, block=block))
    firsts = [f for f, _ in parts]
    assert firsts == sorted(firsts) and firsts[0] == 0
    got = sp.vstack([X for _, X in parts]).tocsr()
    assert got.shape == ref.shape
    np.testing.assert_array_equal(got.toarray(), ref.toarray())
    if block == 5:  # long documents were counted block by block, bounded
        assert max(X.nnz for _, X in parts) <= 30


# ------------------------------------------------------------ the estimator
FITTED = ["vectors_", "output_vectors_", "loss_curve_", "n_pairs_", "word_counts_", "idf_",
          "sif_component_"]


def assert_same_fit(a, b):
    assert a.index_to_key_ == b.index_to_key_
    assert a.n_tokens_ == b.n_tokens_
    for name in FITTED:
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)


@pytest.mark.parametrize("extra", [
    {}, {"n_shards": 2, "syncs_per_epoch": 2}, {"loss": "softmax"}])
def test_spilled_fit_equals_in_memory_fit(tmp_path, tiny_blocks, extra):
    docs = zipf_corpus()
    ref = SkipGramVectorizer(**PARAMS, **extra).fit(docs)
    est = SkipGramVectorizer(**PARAMS, **extra, spill_threshold=0, temp_folder=tmp_path)
    est.fit(iter(docs))
    assert_same_fit(est, ref)
    assert list(tmp_path.iterdir()) == []  # the spill folder is gone
    with pytest.warns(UserWarning, match="1 of 60 documents have no in-vocabulary token"):
        X = est.transform(docs)
    with pytest.warns(UserWarning):
        np.testing.assert_array_equal(X, ref.transform(docs))


def test_spilled_fit_under_threads_backend(tmp_path, tiny_blocks):
    from joblib import parallel_config

    docs = zipf_corpus()
    ref = SkipGramVectorizer(**PARAMS, n_shards=2).fit(docs)
    with parallel_config(backend="threading"):
        est = SkipGramVectorizer(**PARAMS, n_shards=2, n_jobs=2, spill_threshold=0,
                                 temp_folder=tmp_path).fit(docs)
    assert_same_fit(est, ref)


def test_spilled_hogwild_fit_trains(tmp_path, planted, separation):
    docs, labels, topics = planted
    est = SkipGramVectorizer(n_components=16, window=3, min_count=1, subsample=0.0,
                             epochs=5, random_state=0, n_jobs=2, spill_threshold=0,
                             temp_folder=tmp_path).fit(docs)
    assert separation(est.index_to_key_, est.vectors_, topics) == 1.0
    assert list(tmp_path.iterdir()) == []


def test_fit_transform_spilled_equals_fit_then_transform(tmp_path, tiny_blocks):
    docs = zipf_corpus()
    for pooling in ("mean", "max", "sif", "tfidf"):
        ref = SkipGramVectorizer(**PARAMS, pooling=pooling).fit(docs)
        with pytest.warns(UserWarning, match="no in-vocabulary token"):
            X = SkipGramVectorizer(**PARAMS, pooling=pooling, spill_threshold=0,
                                   temp_folder=tmp_path).fit_transform(iter(docs))
        with pytest.warns(UserWarning, match="no in-vocabulary token"):
            np.testing.assert_array_equal(X, ref.transform(docs))
    assert list(tmp_path.iterdir()) == []


class Stop(Exception):
    pass


def test_spill_folder_removed_on_error(tmp_path, tiny_blocks):
    def boom(est, info):
        assert len(os.listdir(tmp_path)) == 1  # the spill folder exists while training
        raise Stop

    est = SkipGramVectorizer(**PARAMS, spill_threshold=0, temp_folder=tmp_path, callbacks=boom)
    with pytest.raises(Stop):
        est.fit(zipf_corpus())
    assert list(tmp_path.iterdir()) == []
    assert not hasattr(est, "vectors_")

    def bad_docs():
        yield from zipf_corpus()[:20]
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        SkipGramVectorizer(**PARAMS, spill_threshold=0, temp_folder=tmp_path).fit(bad_docs())
    assert list(tmp_path.iterdir()) == []


def test_spill_threshold_decides(tmp_path, monkeypatch):
    made = []
    real = Workspace.file

    def spy(self, name):
        made.append(name)
        return real(self, name)

    monkeypatch.setattr(Workspace, "file", spy)
    docs = zipf_corpus()
    n = sum(len(d.split()) for d in docs)
    SkipGramVectorizer(**PARAMS, spill_threshold=4 * n + 1, temp_folder=tmp_path).fit(docs)
    assert made == []
    SkipGramVectorizer(**PARAMS, spill_threshold=f"{(4 * n - 1) / 1024}K",
                       temp_folder=tmp_path).fit(docs)
    assert "tokens.i32" in made and "kept.i32" in made


# ----------------------------------------------------------- streamed files
def write_files(tmp_path, texts, encoding="utf-8"):
    paths = []
    for i, t in enumerate(texts):
        p = tmp_path / f"doc{i}.txt"
        p.write_bytes(t.encode(encoding))
        paths.append(str(p))
    return paths


def test_can_stream():
    assert text.can_stream(SkipGramVectorizer(input="filename"))
    assert text.can_stream(SkipGramVectorizer(input="file", token_pattern=r"[a-zé]+"))
    assert not text.can_stream(SkipGramVectorizer())  # content
    assert not text.can_stream(SkipGramVectorizer(input="filename", analyzer=str.split))
    assert not text.can_stream(SkipGramVectorizer(input="filename", tokenizer=str.split))
    assert not text.can_stream(SkipGramVectorizer(input="filename", preprocessor=str.upper))
    for crossing in (r"\S+ \S+", r"(?s).+", r"[^x]+", r"\w+\s"):
        assert not text.can_stream(SkipGramVectorizer(input="filename", token_pattern=crossing))


TEXTS = [
    "Ça déjà vu: naïve café ÉTÉ " * 30 + "tail",  # multi-byte characters across pieces
    "",
    "x" * 200 + " " + "solo word\n\n\tword solo " * 20,  # a token longer than a piece
    "   leading and trailing spaces   ",
    "line one\nline two\r\nline three\x0bvt\x0cff " * 15,
]


@pytest.mark.parametrize("options", [{}, {"strip_accents": "unicode"}, {"lowercase": False}])
def test_streamed_files_equal_content(tmp_path, tiny_blocks, options):
    paths = write_files(tmp_path, TEXTS)
    params = dict(PARAMS, min_count=1, **options)
    ref = SkipGramVectorizer(**params).fit(TEXTS)
    est = SkipGramVectorizer(**params, input="filename").fit(paths)
    assert_same_fit(est, ref)
    with pytest.warns(UserWarning, match="1 of 5 documents"):  # the empty file
        X = est.transform(paths)
    with pytest.warns(UserWarning, match="1 of 5 documents"):
        np.testing.assert_array_equal(X, ref.transform(TEXTS))
    handles = [open(p, "rb") for p in paths]
    try:
        est = SkipGramVectorizer(**params, input="file").fit(handles)
    finally:
        for h in handles:
            h.close()
    assert_same_fit(est, ref)
    text_handles = [io.StringIO(t) for t in TEXTS]  # files opened in text mode
    assert_same_fit(SkipGramVectorizer(**params, input="file").fit(text_handles), ref)


def test_non_streamable_files_still_read_whole(tmp_path, tiny_blocks):
    texts = ["aa bb cc dd " * 20, "ee ff aa bb " * 20]
    paths = write_files(tmp_path, texts)
    params = dict(PARAMS, min_count=1, token_pattern=r"\w+ \w+")  # tokens hold a space
    ref = SkipGramVectorizer(**params).fit(texts)
    assert_same_fit(SkipGramVectorizer(**params, input="filename").fit(paths), ref)
    assert "aa bb" in ref.vocabulary_


class RecordingFile(io.BytesIO):
    def __init__(self, data):
        super().__init__(data)
        self.sizes = []

    def read(self, size=-1):
        self.sizes.append(size)
        return super().read(size)


def test_streaming_never_reads_a_whole_file(tiny_blocks):
    data = ("alpha beta gamma delta " * 400).encode()
    f = RecordingFile(data)
    SkipGramVectorizer(**PARAMS, input="file").fit([f])
    assert f.sizes and all(0 < s <= 37 for s in f.sizes)
    assert len(f.sizes) >= len(data) // 37


def test_streamed_decode_error_names_document_and_fix(tmp_path, tiny_blocks):
    paths = write_files(tmp_path, ["fine words here " * 10])
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"good words " * 10 + b"\xff\xfe broken")
    with pytest.raises(ValueError, match=r"Document 1 could not be decoded.*near byte 110.*"
                                         r"decode_error"):
        SkipGramVectorizer(**PARAMS, input="filename").fit(paths + [str(bad)])
    est = SkipGramVectorizer(**dict(PARAMS, min_count=1), input="filename",
                             decode_error="replace")
    assert "broken" in est.fit(paths + [str(bad)]).vocabulary_


def test_streamed_bad_document_types(tmp_path):
    with pytest.raises(TypeError, match="Document 0 is of type int.*path"):
        SkipGramVectorizer(input="filename").fit([3])
    with pytest.raises(TypeError, match="Document 0 is of type str.*file object"):
        SkipGramVectorizer(input="file").fit(["not a file"])
    with pytest.raises(FileNotFoundError):
        SkipGramVectorizer(input="filename").fit([str(tmp_path / "missing.txt")])


def test_streamed_file_with_spill_equals_content(tmp_path, tiny_blocks):
    texts = zipf_corpus(n_docs=6, lengths=(300, 600))
    paths = write_files(tmp_path, texts)
    ref = SkipGramVectorizer(**PARAMS).fit(texts)
    with tempfile.TemporaryDirectory() as spill:
        est = SkipGramVectorizer(**PARAMS, input="filename", spill_threshold=0,
                                 temp_folder=spill).fit(paths)
        assert os.listdir(spill) == []
    assert_same_fit(est, ref)


@pytest.mark.parametrize("n_words, block_rows", [(1, 4), (100, 7), (1000, 1000), (5, 2)])
def test_blockwise_init_equals_whole_matrix_draw(n_words, block_rows):
    from skw2v._core.vectors import uniform_init as _uniform_init

    for dtype in (np.float32, np.float64):
        expected = ((np.random.default_rng(3).random((n_words, 9)) - 0.5) / 9).astype(dtype)
        got = _uniform_init(np.random.default_rng(3), n_words, 9, dtype, block_rows=block_rows)
        assert got.dtype == dtype
        np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("block_rows", [1, 7, 1000])
def test_blockwise_sparse_dot(block_rows):
    from skw2v._core.pooling import sparse_dot as _sparse_dot
    from skw2v._core.vectors import all_finite as _all_finite

    rng = np.random.default_rng(0)
    weights = sp.random(6, 50, density=0.2, random_state=1, format="csr")
    W = rng.standard_normal((50, 4)).astype(np.float32)
    got = _sparse_dot(weights, W, block_rows=block_rows)
    assert got.dtype == np.float64
    np.testing.assert_allclose(got, weights.toarray() @ W.astype(np.float64), rtol=1e-12)
    assert _all_finite(W)
    for bad in (np.nan, np.inf, -np.inf):
        V = W.copy()
        V[3, 2] = bad
        assert not _all_finite(V)


@pytest.mark.parametrize("call", ["fit", "fit_transform", "transform"])
def test_ignored_text_option_warning_points_at_the_caller(call):
    est = SkipGramVectorizer(**dict(PARAMS, min_count=1, subsample=0))  # 18 tokens
    docs = ["aa bb cc aa bb dd"] * 3
    if call == "transform":
        est.fit(docs)
    est.set_params(analyzer=str.split, strip_accents="ascii")
    if call == "transform":
        est.set_params(analyzer=str.split)
    with pytest.warns(UserWarning, match="will not be used") as record:
        getattr(est, call)(docs)
    assert [w.filename for w in record if "will not be used" in str(w.message)] == [__file__]


STREAM_PATTERNS = [
    r"(?u)\b\w\w+\b", r"\w+", r"(?<=the )\w+", r"(?<!the )\b\w+", r"\w+(?= cat)",
    r"\w+(?!\s+sat)\b", r"(\w)\1\w*", r"(?P<a>\w)\w*(?P=a)", r"\w+\s?", r"the \w+",
    r"(?m)^\w+", r"\w+$", r"(?s)t.e", r"[^\s]+", r"\S+", r"\w*", r"(?x) \w \w+",
    r"(?i)[a-z]+(?:-[a-z]+)*", r"\bth\w*", r"\B\w+", r"[\w-]{2,}", r"\w+\Z", r"\A\w+",
    r"[ -~]+?\w", r"\W+\w+",
]
STREAM_TEXTS = [
    ("the cat sat on the mat and the dog sat on the log\n" * 7
     + "the well-known tt pepper popped; the bee sees the tree\tthe end"),
    "the\nthe\rthe\x0bcat cat   the   mat " * 9,
]


@pytest.mark.parametrize("pattern", STREAM_PATTERNS)
def test_filename_input_equals_content_for_any_token_pattern(tmp_path, tiny_blocks, pattern):
    """Streamed or not, input='filename' tokenises as input='content' does."""
    paths = write_files(tmp_path, STREAM_TEXTS)
    params = dict(PARAMS, min_count=1, subsample=0, token_pattern=pattern)
    import warnings

    def fit(est, docs):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # CountVectorizer's notes about a pattern's groups
            try:
                return est.fit(docs)
            except ValueError as exc:  # too few tokens: the same error both ways
                return str(exc)

    ref = fit(SkipGramVectorizer(**params), STREAM_TEXTS)
    est = fit(SkipGramVectorizer(**params, input="filename"), paths)
    if isinstance(ref, str):
        assert est == ref
        return
    assert est.index_to_key_ == ref.index_to_key_
    np.testing.assert_array_equal(est.word_counts_, ref.word_counts_)
    assert_same_fit(est, ref)


def test_only_provably_local_patterns_stream():
    local = [r"(?u)\b\w\w+\b", r"\w+", r"[a-zé]+", r"(?i)[a-z]+(?:-[a-z]+)*", r"\S+",
             r"[\w-]{2,}", r"(?P<w>\w+)", r"\d+|\w+", r"[!-~]+", r"\bth\w*", r"\B\w+"]
    for p in local:
        assert text.can_stream(SkipGramVectorizer(input="filename", token_pattern=p)), p
    for p in STREAM_PATTERNS:
        if p not in local:
            assert not text.can_stream(SkipGramVectorizer(input="filename", token_pattern=p)), p


# ------------------------------------------------------ leaks and full disks
def _resource_warnings(fn):
    """ResourceWarnings raised while ``fn`` runs or when its garbage is collected."""
    import gc
    import warnings

    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always", ResourceWarning)
        fn()
        gc.collect()
    return [w for w in record if issubclass(w.category, ResourceWarning)]


@pytest.mark.parametrize("params", [
    dict(spill_threshold=0, subsample=0),
    dict(spill_threshold=0, subsample=1e-2),
    dict(spill_threshold=0, subsample=0, n_shards=2),
    dict(spill_threshold=0, subsample=0, input="filename"),
])
def test_spilled_fit_leaks_no_file_handle(tmp_path, params):
    docs = zipf_corpus()
    if params.get("input") == "filename":
        docs = write_files(tmp_path, docs[:40])
    est = SkipGramVectorizer(**{**PARAMS, **params, "epochs": 3}, temp_folder=tmp_path)
    assert _resource_warnings(lambda: est.fit(docs)) == []
    assert not [p for p in tmp_path.iterdir() if p.name.startswith("skw2v")]


def test_error_while_spilling_leaks_nothing(tmp_path):
    def analyzer(doc):
        if doc == "boom":
            raise TypeError("no")
        return doc.split()

    docs = ["aa bb cc"] * 3000 + ["boom"]
    est = SkipGramVectorizer(**{**PARAMS, "min_count": 1}, analyzer=analyzer,
                             spill_threshold=0, temp_folder=tmp_path)

    def fit():
        with pytest.raises(TypeError):
            est.fit(docs)

    assert _resource_warnings(fit) == []
    assert list(tmp_path.iterdir()) == []


FULL_DISK = """
import resource, signal, sys
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails instead
resource.setrlimit(resource.RLIMIT_FSIZE, (65536, 65536))  # as a disk with 64 KiB free
from skw2v import SkipGramVectorizer
docs = ["w%d w%d w%d" % (i % 50, i % 7, i % 13) for i in range(int(sys.argv[2]))]
try:
    SkipGramVectorizer(min_count=1, epochs=1, spill_threshold=0,
                       temp_folder=sys.argv[1]).fit(docs)
except OSError as exc:
    print("OSError:", exc)
"""


@pytest.mark.skipif(not hasattr(__import__("signal"), "SIGXFSZ"), reason="POSIX limits")
def test_spill_on_a_full_disk_says_so_and_cleans_up(tmp_path):
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-c", FULL_DISK, str(tmp_path), "40000"],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    msg = out.stdout
    assert msg.startswith("OSError:"), msg
    for fragment in ("full", str(tmp_path), "temp_folder=", "spill_threshold=None"):
        assert fragment in msg
    assert list(tmp_path.iterdir()) == []  # the partial spill is removed


# --------------------------------------------------------- compressed files
@pytest.mark.parametrize("fmt", ["gzip", "bz2", "lzma", "zip"])
@pytest.mark.parametrize("options", [{}, {"analyzer": str.split},
                                     {"decode_error": "replace"}, {"encoding": "latin-1"}])
def test_compressed_file_is_named_as_such(tmp_path, fmt, options):
    import bz2
    import gzip
    import lzma
    import zipfile

    data = ("the cat sat on the mat " * 50).encode()
    path = tmp_path / f"doc.{fmt}"
    if fmt == "zip":
        with zipfile.ZipFile(path, "w") as z:
            z.writestr("doc.txt", data)
    else:
        path.write_bytes({"gzip": gzip, "bz2": bz2, "lzma": lzma}[fmt].compress(data))
    est = SkipGramVectorizer(**{**PARAMS, "min_count": 1, **options}, input="filename")
    with pytest.raises(ValueError, match=r"compressed file, not text\. Decompress") as exc:
        est.fit([str(path)])
    assert str(path) in str(exc.value) and "input='content'" in str(exc.value)
    with open(path, "rb") as handle:
        with pytest.raises(ValueError, match="compressed"):
            SkipGramVectorizer(**{**PARAMS, "min_count": 1, **options}, input="file").fit(
                [handle])
    # the advice works
    if fmt == "gzip":
        with gzip.open(path, "rb") as handle:
            est = SkipGramVectorizer(**{**PARAMS, "min_count": 1, **options},
                                     input="file").fit([handle])
        assert "cat" in est.vocabulary_ or "cat" in str(est.vocabulary_)


def test_text_starting_like_bzip2_is_still_text(tmp_path):
    path = tmp_path / "doc.txt"
    path.write_text("BZh is how this text starts " * 20)
    est = SkipGramVectorizer(**{**PARAMS, "min_count": 1}, input="filename").fit([str(path)])
    assert "bzh" in est.vocabulary_


@pytest.mark.parametrize("fmt", ["gzip", "bz2", "lzma"])
def test_compressed_bytes_as_content_are_named_as_such(fmt):
    import bz2
    import gzip
    import lzma

    module = {"gzip": gzip, "bz2": bz2, "lzma": lzma}[fmt]
    data = module.compress(("the cat sat on the mat " * 50).encode())
    for options in ({}, {"encoding": "latin-1"}):
        est = SkipGramVectorizer(**{**PARAMS, "min_count": 1, **options})
        with pytest.raises(ValueError, match=r"Document 1 is .*compressed data.*decompress"):
            est.fit([b"plain bytes here", data])


# ------------------------------------------------------ spill_threshold="auto"
def test_auto_threshold_spills_files_and_keeps_text_in_memory(tmp_path, monkeypatch):
    from skw2v._data.store import AUTO_MEMORY_SHARE, resolve_spill_threshold

    monkeypatch.setattr(store, "available_memory", lambda: 8 << 30)
    assert resolve_spill_threshold("auto", "filename")[0] == 0
    assert resolve_spill_threshold("auto", "file")[0] == 0
    assert resolve_spill_threshold("auto", "content")[0] == int((8 << 30) * AUTO_MEMORY_SHARE)
    assert resolve_spill_threshold(None, "filename")[0] is None  # an explicit choice stays
    assert resolve_spill_threshold(1024, "content")[0] == 1024
    monkeypatch.setattr(store, "available_memory", lambda: None)
    assert resolve_spill_threshold("auto", "content")[0] is None


@pytest.mark.parametrize("memory, spills", [(1 << 40, False), (1 << 10, True)])
def test_auto_threshold_in_a_fit_gives_the_same_vectors(tmp_path, monkeypatch, memory, spills):
    """Documents as text: spilled only past a quarter of the available memory, and
    the vectors are the same whether spilled or not."""
    docs = [" ".join(f"w{(i * 7 + j) % 40}" for j in range(30)) for i in range(200)]
    params = dict(n_components=8, min_count=1, epochs=2, random_state=0)
    ref = SkipGramVectorizer(**params, spill_threshold=None).fit(docs)
    used = []
    real = Workspace.file
    monkeypatch.setattr(Workspace, "file", lambda self, name: used.append(name) or real(self, name))
    monkeypatch.setattr(store, "available_memory", lambda: memory)
    est = SkipGramVectorizer(**params).fit(docs)  # spill_threshold="auto" by default
    assert bool(used) == spills
    np.testing.assert_array_equal(est.vectors_, ref.vectors_)


def test_auto_threshold_spills_files_from_the_start(tmp_path, monkeypatch, caplog):
    import logging

    paths = []
    for i in range(3):
        p = tmp_path / f"f{i}.txt"
        p.write_text(" ".join(f"w{(i + j) % 25}" for j in range(400)), encoding="utf-8")
        paths.append(str(p))
    used = []
    real = Workspace.file
    monkeypatch.setattr(Workspace, "file", lambda self, name: used.append(name) or real(self, name))
    with caplog.at_level(logging.INFO, logger="skw2v"):
        SkipGramVectorizer(n_components=8, min_count=1, epochs=1, random_state=0,
                           input="filename", verbose=1).fit(paths)
    assert "tokens.i32" in used
    assert "spill_threshold='auto': input='filename'" in caplog.text


def test_document_slice_gives_the_same_bounds_as_all_offsets(tmp_path):
    """A task gets only the offsets its slice needs: the bounds of every position of the
    slice are those computed from all the offsets, empty documents included; the
    offsets file gives the same slice."""
    from skw2v._core.pairs import document_bounds

    rng = np.random.default_rng(0)
    lengths = rng.integers(0, 7, size=300)  # zeros: empty documents
    offsets = np.concatenate(([0], np.cumsum(lengths))).astype(np.int64)
    n = int(offsets[-1])
    on_disk = store.OffsetFile.write(str(tmp_path / "offsets.i64"), offsets)
    cuts = sorted({0, n, *offsets[::17].tolist(), *rng.integers(0, n, 40).tolist()})
    for a, b in zip(cuts[:-1], cuts[1:], strict=True):
        part = store.document_slice(offsets, a, b)
        assert part.size < offsets.size
        sliced, whole = document_bounds(part, a, b), document_bounds(offsets, a, b)
        for got, want in zip(sliced, whole, strict=True):
            np.testing.assert_array_equal(got, want)
        np.testing.assert_array_equal(on_disk.around(a, b), part)


def test_shared_corpus_sees_a_missing_truncated_or_changed_file(tmp_path):
    """The check a worker runs before reading the client's files."""
    tokens = np.arange(50_000, dtype=np.int32)
    path = tmp_path / "tokens.i32"
    tokens.tofile(path)
    offsets = store.OffsetFile.write(str(tmp_path / "offsets.i64"), [0, 20_000, 50_000])
    shared = store.SharedCorpus(store.TokenFile(path, tokens.size), offsets)
    assert shared.problem() is None
    shared.check()
    changed = tokens.copy()
    changed[-1] = 7  # same size, other content in the last piece
    changed.tofile(path)
    assert "differs from the client's" in shared.problem()
    tokens[:-1].tofile(path)  # truncated
    assert "differs from the client's" in shared.problem()
    os.remove(path)
    assert "cannot read" in shared.problem()
    with pytest.raises(store.CorpusNotVisible, match="cannot read"):
        shared.check()
