"""Character n-grams and buckets agree with fastText's (via gensim's copy of its rules)."""

import numpy as np
import pytest

from skw2v._core.subwords import (
    SubwordSpec,
    composition_matrix,
    fnv1a_hash,
    ngram_hashes,
    vocabulary_composition,
)

WORDS = ["where", "a", "é", "naïve", "日本語テキスト", "x" * 30, "aaaa", "", "ab", "</s>"]


def test_ngrams_of_where_are_the_papers_example():
    # Bojanowski et al. (2017), section 3.2: "where" with n = 3
    assert SubwordSpec(3, 3, 10).ngrams("where") == ["<wh", "whe", "her", "ere", "re>"]


def test_fnv1a_known_values():
    # FNV-1a 32-bit reference values: the empty string and "a"
    assert fnv1a_hash(b"") == 2166136261
    assert fnv1a_hash(b"a") == 0xE40C292C
    # a byte >= 0x80 is sign-extended before the xor, as in fastText
    assert fnv1a_hash(b"\xe9") == ((2166136261 ^ 0xFFFFFFE9) * 16777619) & 0xFFFFFFFF


@pytest.mark.parametrize("min_n,max_n", [(3, 6), (1, 3), (2, 2), (5, 5), (1, 1)])
def test_hashes_equal_gensims_fasttext_hashes(min_n, max_n):
    inner = pytest.importorskip("gensim.models.fasttext_inner")
    spec = SubwordSpec(min_n, max_n, 2_000_000)
    word, hashes = ngram_hashes(spec, WORDS)
    for i, w in enumerate(WORDS):
        expected = sorted(inner.ft_hash_bytes(g) for g in inner.compute_ngrams_bytes(w, min_n,
                                                                                     max_n))
        assert sorted(hashes[word == i].tolist()) == expected, w
        assert sorted(fnv1a_hash(g.encode()) for g in spec.ngrams(w)) == expected, w


def test_custom_boundaries_change_the_ngrams():
    spec = SubwordSpec(3, 3, 10, bow="^", eow="$")
    assert spec.ngrams("ab") == ["^ab", "ab$"]
    word, hashes = ngram_hashes(spec, ["ab"])
    assert sorted(hashes.tolist()) == sorted([fnv1a_hash(b"^ab"), fnv1a_hash(b"ab$")])


def test_bucket_counts_keep_repeated_ngrams():
    spec = SubwordSpec(3, 3, 1000)
    counts = spec.ngram_buckets(["aaaa"])  # <aa aaa aaa aa>
    assert counts.sum() == 4
    assert counts[[0]].toarray().max() == 2
    assert counts[[0]].toarray()[0, fnv1a_hash(b"aaa") % 1000] == 2


def test_composition_matrix_rows_average_own_row_and_ngrams():
    spec = SubwordSpec(3, 4, 50)
    words = ["where", "ab", "aaaa"]
    M = vocabulary_composition(spec, words, dtype=np.float64)
    assert M.shape == (3, 53)
    np.testing.assert_allclose(M.sum(axis=1), 1.0)
    for i, w in enumerate(words):
        grams = spec.ngrams(w)
        row = M[[i]].toarray()[0]
        assert row[i] == pytest.approx(1 / (1 + len(grams)))
        expected = np.zeros(53)
        expected[i] += 1
        for g in grams:
            expected[3 + fnv1a_hash(g.encode()) % 50] += 1
        np.testing.assert_allclose(row, expected / expected.sum())


def test_composition_without_own_rows_and_empty_words():
    spec = SubwordSpec(5, 6, 20)
    M = composition_matrix(spec, ["a", "abcdef"], own_rows=None, n_own=7)
    assert M.shape == (2, 27)
    assert M[[0]].nnz == 0  # "<a>" has no 5-gram: a zero vector
    assert M[[1]].toarray()[0, :7].sum() == 0
    assert M[[1]].toarray().sum() == pytest.approx(1.0)
