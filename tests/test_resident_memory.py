"""What a fit leaves resident, and what its passes hold at once.

Python's small-object allocator returns a 1 MiB arena to the system only
when every object in it is freed, so a few long-lived objects made while
millions of token strings come and go keep whole arenas resident. These
tests check the encoding steps that used to leave such survivors behind
(counted with ``sys.getallocatedblocks``, the live blocks of that
allocator), that the corpus statistics at the end of a fit hold few arrays
of the vocabulary's size at once and a training block few arrays of its
pairs' size (traced with ``tracemalloc``), and that the replacements give
the same results.
"""

import gc
import io
import subprocess
import sys
import tracemalloc

import numpy as np
import pytest
import scipy.sparse as sp

from skw2v import SkipGramVectorizer
from skw2v._compat import _MALLOC_TRIM, release_free_memory
from skw2v._core import pooling
from skw2v._core.pairs import skipgram_pairs
from skw2v._core.pooling import corpus_statistics
from skw2v._core.sgd import PAIR_BLOCK, train_range
from skw2v._core.vocab import noise_sampler, order_vocabulary
from skw2v._data.encode import PackedWords, build_corpus
from skw2v._data.store import (
    TokenSink,
    Workspace,
    document_blocks,
    long_document_counts,
    read_into,
)
from skw2v._fitting.state import vocabulary_index
from skw2v._params import text_options
from skw2v.losses import NegativeSamplingLoss


def live_blocks():
    """Live blocks of the small-object allocator, after a full collection."""
    gc.collect()
    return sys.getallocatedblocks()


def random_words(n, seed=0):
    rng = np.random.default_rng(seed)
    letters = np.array(list("abcdefghij"))
    return list({"".join(rng.choice(letters, size=int(k)))
                 for k in rng.integers(3, 12, size=n)})


# ------------------------------------------------------------ vocabulary order
def test_order_vocabulary_equals_the_key_sort():
    rng = np.random.default_rng(3)
    tokens = random_words(3000) + ["a\x00", "a", "\U0001d518x", "\ud800y", ""]
    counts = rng.integers(1, 6, size=len(tokens))  # many ties in the counts
    c = counts.tolist()
    for min_count, max_size in [(1, None), (3, None), (2, 100)]:
        keep = [i for i in range(len(tokens)) if c[i] >= min_count]
        expected = sorted(keep, key=lambda i: (-c[i], tokens[i]))[:max_size]
        order = order_vocabulary(tokens, counts, min_count, max_size)
        assert order.tolist() == expected


def test_order_vocabulary_leaves_no_key_objects_behind():
    # A key tuple per word went, once freed, to CPython's tuple free list
    # (up to 2000 of them), which a later full collection only would empty.
    tokens = random_words(20000, seed=1)
    counts = np.random.default_rng(1).integers(1, 50, size=len(tokens))
    before = live_blocks()
    order = order_vocabulary(tokens, counts, 1)
    grown = sys.getallocatedblocks() - before
    assert order.size == len(tokens)
    assert grown < 100, grown


# ------------------------------------------------------------ the kept words
def test_packed_words_give_the_words_back():
    words = ["alpha", "", "b", "\U0001d518nicode", "caf\u00e9", "\ud800lone", "nul\x00",
             "x" * 5000]
    originals = list(words)
    packed = PackedWords(words)
    assert words == []  # emptied, so the originals can go
    assert len(packed) == len(originals)
    assert list(packed) == originals
    assert [type(w) for w in packed] == [str] * len(originals)
    assert [packed[i] for i in range(-len(originals), len(originals))] == originals * 2
    assert packed[2:6] == originals[2:6] and packed[::-3] == originals[::-3]
    with pytest.raises(IndexError):
        packed[len(originals)]
    assert list(PackedWords([])) == []


def test_packed_words_iterate_in_steps(monkeypatch):
    words = random_words(50, seed=4)
    monkeypatch.setattr(PackedWords, "ITER_WORDS", 7)
    assert list(PackedWords(list(words))) == words


def test_the_kept_words_are_packed_until_the_fit_publishes_them():
    # Each kept word used to stay a string object of its own from reading
    # to the end of the fit (about 60 bytes a word, in allocator pools of
    # their own); now the corpus holds them as one string.
    words = random_words(20000, seed=2)
    docs = [" ".join(words[i:i + 100]) for i in range(0, len(words), 100)]
    opts = text_options(SkipGramVectorizer(token_pattern=r"\S+")._params())
    before = live_blocks()
    with Workspace() as ws:
        corpus = build_corpus(opts, docs, min_count=1, max_vocab_size=None, n_jobs=1,
                              workspace=ws)
    grown = live_blocks() - before
    assert isinstance(corpus.index_to_key, PackedWords)
    assert sorted(corpus.index_to_key) == sorted(words)
    assert grown < len(words) // 10, grown


# ------------------------------------------------------------ spilled tokens
SPILL_AND_REMAP = """
import gc, sys
import numpy as np
from skw2v._data.store import TokenSink, Workspace, remap_compact

def live_blocks():
    gc.collect()
    return sys.getallocatedblocks()

rng = np.random.default_rng(0)
blocks = [rng.integers(0, 1000, size=int(n)).astype(np.int32)
          for n in rng.integers(0, 40, size=3000)]
with Workspace(threshold=0, folder=sys.argv[1]) as ws:
    sink = TokenSink(ws, "t.i32", spill=True)
    sink.append(blocks[0])  # opens the file
    before = live_blocks()
    for b in blocks[1:]:
        sink.append(b)
    grown_write = sys.getallocatedblocks() - before
    ids = sink.finish()
    remap = np.arange(1000, dtype=np.int32)
    remap[::3] = -1
    offsets = np.array([0, ids.size // 2, ids.size], dtype=np.int64)
    kept, new_offsets = remap_compact(ids, offsets, remap, block=64)  # writes in place
    whole = np.concatenate(blocks)
    assert np.array_equal(kept.read(0, kept.size), remap[whole][remap[whole] >= 0])
    assert new_offsets[-1] == kept.size
print(grown_write)
"""


def test_spilling_leaves_no_allocations_behind(tmp_path):
    # numpy's tofile kept up to a few hundred small allocations alive after
    # its calls, made at any time, so they pinned arenas; in a fresh process,
    # so that no earlier test has filled that store already.
    out = subprocess.run([sys.executable, "-c", SPILL_AND_REMAP, str(tmp_path)],
                         capture_output=True, text=True, check=True)
    grown_write = int(out.stdout)
    assert grown_write < 100, grown_write


def test_reading_back_in_blocks(tmp_path):
    rng = np.random.default_rng(1)
    whole = rng.integers(0, 1000, size=5000).astype(np.int32)
    with Workspace(threshold=0, folder=tmp_path) as ws:
        sink = TokenSink(ws, "t.i32", spill=True)
        sink.append(whole)
        ids = sink.finish()
        for a, b in [(0, 5000), (17, 34), (4990, 6000), (-3, 2), (7, 7), (6000, 7000)]:
            np.testing.assert_array_equal(ids.read(a, b), whole[max(a, 0):b])
            assert ids.read(a, b).dtype == np.int32


class Trickle(io.RawIOBase):
    """A file that returns at most 3 bytes per read, as a read cut short."""

    def __init__(self, data):
        self.data, self.pos = data, 0

    def readable(self):
        return True

    def readinto(self, buf):
        n = min(3, len(buf), len(self.data) - self.pos)
        buf[:n] = self.data[self.pos:self.pos + n]
        self.pos += n
        return n


@pytest.mark.parametrize("n_file, n_out", [(10, 10), (10, 4), (4, 10), (0, 3)])
def test_read_into_loops_over_short_reads(n_file, n_out):
    data = np.arange(n_file, dtype=np.int32)
    out = np.full(n_out, -1, dtype=np.int32)
    got = read_into(Trickle(data.tobytes()), out)
    assert got == min(n_file, n_out)
    np.testing.assert_array_equal(out[:got], data[:got])


# ------------------------------------------------------------ corpus statistics
def statistics_peak(ids, offsets, n_words, dim=16):
    """Traced peak of corpus_statistics above its start, in bytes per word."""
    rng = np.random.default_rng(0)
    W = rng.random((n_words, dim), dtype=np.float32)
    counts = rng.integers(1, 1000, size=n_words)
    tracemalloc.start()
    try:
        start = tracemalloc.get_traced_memory()[0]
        corpus_statistics(document_blocks(ids, offsets, n_words, block=65536),
                          offsets.size - 1, W, counts, 1e-3)
        peak = tracemalloc.get_traced_memory()[1] - start
    finally:
        tracemalloc.stop()
    return peak / n_words


@pytest.mark.parametrize("doc_len, bound", [(300_000, 80), (300, 60)])
def test_corpus_statistics_make_few_vocabulary_sized_arrays(doc_len, bound):
    # 100k words, 300k tokens: one document longer than a block, or 1,000
    # short ones. The SIF weights were made again for every block, with a
    # diagonal matrix of the vocabulary and its CSR copy, and a long
    # document's dense row was converted through COO copies: 107 and 77
    # bytes per word at the peak; now 59 and 45.
    n_words = 100_000
    ids = np.random.default_rng(1).integers(0, n_words, size=300_000).astype(np.int32)
    offsets = np.arange(0, ids.size + 1, doc_len)
    assert statistics_peak(ids, offsets, n_words) < bound


def test_sparse_dot_in_pieces_is_the_blockwise_product(monkeypatch):
    rng = np.random.default_rng(5)
    counts = sp.random(40, 3000, density=0.05, format="csr", random_state=2)
    counts.data = np.ceil(counts.data * 4)
    W = rng.normal(size=(3000, 6)).astype(np.float32)
    weights = counts @ sp.diags(rng.random(3000) + 0.5)
    csc = sp.csc_matrix(weights)
    expected = np.zeros((40, 6))
    for a in range(0, 3000, 512):  # SciPy's product, block by block
        expected += csc[:, a:a + 512] @ W[a:a + 512].astype(np.float64)
    monkeypatch.setattr(pooling, "CONVERT_VALUES", 6 * 37)  # pieces of 37 rows
    assert np.array_equal(pooling.sparse_dot(weights, W, block_rows=512), expected)
    monkeypatch.setattr(pooling, "_csc_matvecs", None)  # without SciPy's kernel
    assert np.array_equal(pooling.sparse_dot(weights, W, block_rows=512), expected)


def test_scaled_columns_is_the_product_with_the_diagonal_in_csc_form():
    counts = sp.random(30, 500, density=0.1, format="csr", random_state=3)
    counts.data = np.ceil(counts.data * 4)
    w = np.random.default_rng(3).random(500) + 0.01
    got = sp.csc_matrix(pooling.scaled_columns(counts, w))
    expected = sp.csc_matrix(counts @ sp.diags(w))
    for name in ("indptr", "indices", "data"):
        assert np.array_equal(getattr(got, name), getattr(expected, name))


def test_long_document_counts_equal_the_dense_row():
    rng = np.random.default_rng(6)
    ids = rng.integers(0, 700, size=5000).astype(np.int32)
    X = long_document_counts(ids, 100, 4900, 1000, block=64)
    row = np.bincount(ids[100:4900], minlength=1000).astype(np.float64)
    expected = sp.csr_matrix(row[None, :])
    assert X.has_sorted_indices and X.shape == (1, 1000)
    for name in ("indptr", "indices", "data"):
        assert np.array_equal(getattr(X, name), getattr(expected, name))


# ------------------------------------------------------------ training blocks
def traced_peak(f, *args, **kwargs):
    """``f(*args, **kwargs)`` and its traced peak above the memory at the call, in bytes."""
    tracemalloc.start()
    try:
        start = tracemalloc.get_traced_memory()[0]
        out = f(*args, **kwargs)
        return out, tracemalloc.get_traced_memory()[1] - start
    finally:
        tracemalloc.stop()


def test_skipgram_pairs_make_no_per_pair_temporaries():
    # The offsets were made with a per-pair int64 temporary and every
    # center-sized array stayed to the end: 35 bytes per pair at the peak,
    # now 25 (the three results take 16).
    rng = np.random.default_rng(0)
    ids = rng.integers(0, 1000, size=70_000).astype(np.int32)
    offsets = np.array([0, 30_000, 70_000])
    (c, o, p), peak = traced_peak(skipgram_pairs, ids, offsets, 0, 65_536, 5,
                                  np.random.default_rng(1))
    assert peak / o.size < 30
    (none, o2, p2), _ = traced_peak(skipgram_pairs, ids, offsets, 0, 65_536, 5,
                                    np.random.default_rng(1), centers=False)
    assert none is None and np.array_equal(o2, o) and np.array_equal(p2, p)


def test_negative_draws_hold_few_arrays_at_once():
    sampler = noise_sampler(np.random.default_rng(0).integers(1, 10_000, size=5000))
    draws, peak = traced_peak(sampler.sample, (65_536, 5), np.random.default_rng(3))
    assert peak / draws.size < 15  # 17 bytes per draw before, 13 now
    r = np.random.default_rng(3)
    i = r.integers(0, 5000, size=(65_536, 5), dtype=np.int32)
    u = r.random((65_536, 5), dtype=np.float32)
    assert np.array_equal(draws, np.where(u < sampler.prob[i], i, sampler.alias[i]))


def test_a_training_block_holds_one_chunk_of_batches_at_a_time():
    # The next chunk's layouts were built while the last one's were held,
    # each window's center word was kept for every pair, and the pairs and
    # draws above made their temporaries: 41 bytes per pair of a block at
    # the peak, now 33.
    rng = np.random.default_rng(0)
    n, V = 200_000, 2000
    ids = rng.integers(0, V, size=n).astype(np.int32)
    offsets = np.array([0, n // 2, n])
    W_in = rng.random((V, 8), dtype=np.float32) - 0.5
    W_out = np.zeros((V, 8), np.float32)
    res, peak = traced_peak(
        train_range, W_in, W_out, ids, offsets, 0, n, window=5, loss=NegativeSamplingLoss(),
        n_negatives=5, sampler=noise_sampler(np.bincount(ids, minlength=V) + 1),
        batch_size=1024, lr_start=0.025, lr_stop=0.0001, rng=np.random.default_rng(1))
    assert peak / (res.n_pairs * PAIR_BLOCK / n) < 37


# ------------------------------------------------------------ vocabulary_
def test_vocabulary_index_is_the_enumeration():
    for n in [0, 1, 5, 6, 11, 43, 1000, 50_000]:
        words = [f"w{i}" for i in range(n)][::-1]
        index = vocabulary_index(words)
        assert index == {w: i for i, w in enumerate(words)}
        assert list(index) == words


VOCABULARY_RSS = """
import gc, sys
import numpy as np
from skw2v._compat import release_free_memory
from skw2v._fitting.state import vocabulary_index

def rss_mb():
    with open("/proc/self/status") as fh:
        return next(int(line.split()[1]) for line in fh if line.startswith("VmRSS")) / 1024

# free a 4 MiB block first, as a fit does: glibc then serves blocks up to
# that size from its heap (its mmap threshold adapts), where the dict's old
# tables stay as holes
np.ones(1 << 19)
words = [f"w{i:07d}" for i in range(200_000)]
gc.collect()
release_free_memory()
before = rss_mb()
index = vocabulary_index(words)
grown = rss_mb() - before
live = (sys.getsizeof(index) + sum(map(sys.getsizeof, index.values()))) / 2**20
print(grown - live)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc, glibc's heap")
def test_vocabulary_index_leaves_no_old_tables_resident():
    # A dict comprehension left 7 MB of its old tables resident under the
    # final one for 200,000 words (RSS grew by 20.7 MB for 13.4 MB of dict
    # and ints); now the growth is what the dict holds. In a fresh process,
    # so that the heap starts as a fit's would.
    release_free_memory()
    if _MALLOC_TRIM[0] is None:
        pytest.skip("no malloc_trim in this C library")
    out = subprocess.run([sys.executable, "-c", VOCABULARY_RSS], capture_output=True,
                         text=True, check=True)
    assert float(out.stdout) < 2.5, out.stdout
