"""Tests of skw2v.evaluation: analogy and word-similarity benchmarks."""

import math

import numpy as np
import pytest

from skw2v.evaluation import (
    AnalogyResult,
    evaluate_analogies,
    evaluate_similarity,
    read_analogies,
    read_similarity,
)
from skw2v.keyedvectors import KeyedVectors


def write(path, text):
    path.write_text(text, encoding="utf8")
    return path


def compose(parts, n_dims=16):
    """Build vectors as sums of orthonormal concept directions."""
    basis = {}

    def direction(name):
        if name not in basis:
            basis[name] = np.eye(n_dims)[len(basis)]
        return basis[name]

    keys = list(parts)
    vecs = np.array([sum(w * direction(c) for c, w in parts[k].items()) for k in keys])
    return KeyedVectors(keys, vecs.astype(np.float32))


def planted_kv():
    """Every word is the sum of two unit concepts, so all norms are equal and
    3CosAdd recovers ``d`` exactly when ``b - a + c == d`` in concept space."""
    words = {
        # gender: person = sex + role
        "man": {"male": 1, "common": 1},
        "woman": {"female": 1, "common": 1},
        "king": {"male": 1, "royal": 1},
        "queen": {"female": 1, "royal": 1},
        "boy": {"male": 1, "young": 1},
        "girl": {"female": 1, "young": 1},
        # capitals: city = country + capital
        "france": {"fr": 1, "country": 1},
        "paris": {"fr": 1, "capital": 1},
        "italy": {"it": 1, "country": 1},
        "rome": {"it": 1, "capital": 1},
        "japan": {"jp": 1, "country": 1},
        "tokyo": {"jp": 1, "capital": 1},
    }
    return compose(words)


ANALOGY_FILE = """\
: gender
man woman king queen
man woman boy girl
king queen boy girl
man woman king prince
: capitals
france paris italy rome
france paris japan tokyo
France Paris Italy Rome
france paris italy tokyo
france paris atlantis x
"""
# By construction: gender has 3 right, 1 wrong (prince is OOV -> skipped, not wrong).
# capitals: rows 1, 2 right; row 3 right only case-insensitively; row 4 wrong
# (the answer is rome); row 5 OOV.


# --------------------------------------------------------------------------
# read_analogies
# --------------------------------------------------------------------------
def test_read_analogies(tmp_path):
    path = write(
        tmp_path / "q.txt", "\ufeff: first\n a b c d\n\nA B C D\n: second one\ne f g h\n: empty\n"
    )
    assert read_analogies(path) == [
        ("first", [("a", "b", "c", "d"), ("A", "B", "C", "D")]),
        ("second one", [("e", "f", "g", "h")]),
        ("empty", []),
    ]


@pytest.mark.parametrize(
    "text, match",
    [
        ("a b c d\n: s\n", "line 1.*before the first"),
        (": s\na b c d\na b c\n", "line 3.*4 words"),
        (": s\na b c d e\n", "line 2.*4 words"),
        (": s\n:\n", "line 2.*empty section"),
    ],
)
def test_read_analogies_errors(tmp_path, text, match):
    path = write(tmp_path / "bad.txt", text)
    with pytest.raises(ValueError, match=match) as info:
        read_analogies(path)
    assert "bad.txt" in str(info.value)


# --------------------------------------------------------------------------
# evaluate_analogies on planted geometry
# --------------------------------------------------------------------------
def test_planted_analogies(tmp_path):
    path = write(tmp_path / "q.txt", ANALOGY_FILE)
    result = evaluate_analogies(planted_kv(), path)
    assert isinstance(result, AnalogyResult)
    gender, capitals, total = result.sections
    assert gender.name == "gender" and capitals.name == "capitals" and total.name == "total"
    assert (gender.n_correct, gender.n_attempted, gender.n_total) == (3, 3, 4)
    assert (capitals.n_correct, capitals.n_attempted, capitals.n_total) == (3, 4, 5)
    assert (total.n_correct, total.n_attempted, total.n_total) == (6, 7, 9)
    assert result.accuracy == pytest.approx(6 / 7)
    assert result.coverage == pytest.approx(7 / 9)
    assert gender.accuracy == 1.0 and gender.coverage == pytest.approx(3 / 4)
    assert capitals.accuracy == pytest.approx(3 / 4)
    assert capitals.incorrect == (("france", "paris", "italy", "tokyo"),)
    assert ("France", "Paris", "Italy", "Rome") in capitals.correct
    assert result.section("capitals") is capitals
    assert result.n_correct == 6 and result.n_attempted == 7 and result.n_total == 9


def test_planted_analogies_case_sensitive(tmp_path):
    path = write(tmp_path / "q.txt", ANALOGY_FILE)
    result = evaluate_analogies(planted_kv(), path, case_insensitive=False)
    capitals = result.section("capitals")
    # the capitalised question is now out of vocabulary
    assert (capitals.n_correct, capitals.n_attempted, capitals.n_total) == (2, 3, 5)


def test_restrict_vocab_skips_and_limits_candidates(tmp_path):
    kv = planted_kv()  # japan and tokyo are the last two words
    path = write(tmp_path / "q.txt", ANALOGY_FILE)
    result = evaluate_analogies(kv, path, restrict_vocab=len(kv) - 2)
    capitals = result.section("capitals")
    # "france paris japan tokyo" and "france paris italy tokyo" become OOV
    assert (capitals.n_correct, capitals.n_attempted, capitals.n_total) == (2, 2, 5)
    assert result.restrict_vocab == len(kv) - 2
    # restricting to the gender words: capitals all OOV, accuracy undefined
    small = evaluate_analogies(kv, path, restrict_vocab=6)
    assert small.section("capitals").n_attempted == 0
    assert math.isnan(small.section("capitals").accuracy)
    assert small.section("gender").n_correct == 3
    # the answer must come from the restricted vocabulary even when the
    # question words are all in it: queen (index 3) is outside the first 3 words
    only = [("g", [("man", "woman", "king", "queen")])]
    assert evaluate_analogies(kv, only, restrict_vocab=4).n_correct == 1
    assert evaluate_analogies(kv, only, restrict_vocab=3).n_attempted == 0


def test_in_memory_sections_match_file(tmp_path):
    path = write(tmp_path / "q.txt", ANALOGY_FILE)
    from_file = evaluate_analogies(planted_kv(), path)
    from_list = evaluate_analogies(planted_kv(), read_analogies(path))
    assert from_file.sections == from_list.sections


def test_case_variants_of_inputs_are_skipped():
    """As in gensim: with case folding, a case variant of a, b or c is not an answer."""
    words = {
        "man": {"male": 1, "common": 1},
        "woman": {"female": 1, "common": 1},
        "king": {"male": 1, "royal": 1},
        "queen": {"female": 1, "royal": 1, "noise": 0.3},
        # a later variant of "king" that sits exactly on b - a + c
        "KING": {"female": 1, "royal": 1},
    }
    kv = compose(words)
    questions = [("s", [("man", "woman", "king", "queen")])]
    # case-sensitive: KING is a different word, and the best answer
    assert evaluate_analogies(kv, questions, case_insensitive=False).n_correct == 0
    # case-insensitive: KING folds onto king (excluded), so queen wins
    assert evaluate_analogies(kv, questions, case_insensitive=True).n_correct == 1


@pytest.mark.parametrize("n_variants, expected", [(3, 1), (4, 1), (5, 0)])
def test_case_variants_use_up_five_candidates(n_variants, expected):
    """gensim looks at five candidates after dropping a, b and c by index; if all
    five are case variants of a, b or c the question is lost.

    Here c ("dog") is closer to the target than the answer "dogs", and so are the
    variants of "dog" placed between them: with up to four variants the answer is
    the fifth candidate at most, with five it is the sixth.
    """
    words = {
        "cat": {"cat": 1},
        "cats": {"cat": 1, "plural": 0.3},
        "dog": {"dog": 1},
        "dogs": {"dog": 1, "plural": 0.3, "other": 0.6},
    }
    for k, name in enumerate(["DOG", "Dog", "dOG", "doG", "DoG"][:n_variants]):
        words[name] = {"dog": 1, "plural": 0.3, f"noise{k}": 0.1}
    kv = compose(words)
    normed = kv.get_normed_vectors().astype(np.float64)
    target = normed[1] - normed[0] + normed[2]
    cos = normed @ target / np.linalg.norm(target)
    assert cos[4:].min() > cos[2] > cos[3]  # variants > c > answer
    questions = [("s", [("cat", "cats", "dog", "dogs")])]
    assert evaluate_analogies(kv, questions).n_correct == expected


def test_first_case_variant_provides_the_vector():
    words = {
        "France": {"fr": 1, "country": 1},
        "Paris": {"fr": 1, "capital": 1},
        "italy": {"it": 1, "country": 1},
        "rome": {"it": 1, "capital": 1},
        "paris": {"junk": 1, "it": -1},  # later, wrong vector
    }
    kv = compose(words)
    questions = [("s", [("france", "paris", "italy", "rome")])]
    assert evaluate_analogies(kv, questions).n_correct == 1
    assert evaluate_analogies(kv, questions, case_insensitive=False).n_attempted == 0


def test_result_repr_and_summary(tmp_path):
    result = evaluate_analogies(planted_kv(), write(tmp_path / "q.txt", ANALOGY_FILE))
    text = repr(result)
    assert text.startswith("AnalogyResult(") and "accuracy=0.8571" in text
    assert "correct=(" not in repr(result.sections[0])  # question lists stay out of the repr
    table = result.summary()
    assert "capitals" in table and "total" in table and len(table.splitlines()) == 4


def test_empty_question_set():
    result = evaluate_analogies(planted_kv(), [])
    assert result.n_total == 0 and math.isnan(result.accuracy) and math.isnan(result.coverage)


@pytest.mark.parametrize("bad, error", [(0, ValueError), (-3, ValueError), (1.5, TypeError),
                                        (True, TypeError), ("10", TypeError)])
def test_restrict_vocab_is_checked_as_by_the_queries(bad, error):
    """One check serves KeyedVectors queries and both evaluations: same type, same text."""
    kv = planted_kv()
    with pytest.raises(error) as expected:
        kv.most_similar(kv.index_to_key[0], restrict_vocab=bad)
    question = tuple(kv.index_to_key[:4])
    for call in (lambda: evaluate_analogies(kv, [("s", [question])], restrict_vocab=bad),
                 lambda: evaluate_similarity(kv, [(*question[:2], 1.0)], restrict_vocab=bad)):
        with pytest.raises(error) as got:
            call()
        assert str(got.value) == str(expected.value)
        assert str(got.value).startswith("restrict_vocab must be")


def test_vectorised_batches_agree_with_one_by_one(monkeypatch):
    """Small batches (many chunks) must give the same answers as analogy()."""
    import skw2v.evaluation as module

    rng = np.random.default_rng(0)
    keys = [f"w{i}" for i in range(60)]
    kv = KeyedVectors(keys, rng.standard_normal((60, 5)).astype(np.float32))
    quads = [tuple(rng.choice(keys, 4, replace=False)) for _ in range(300)]
    expected = sum(kv.analogy(a, b, c)[0][0] == d for a, b, c, d in quads)
    monkeypatch.setattr(module, "BATCH_ELEMENTS", 7 * 60)
    result = evaluate_analogies(kv, [("s", quads)], case_insensitive=False)
    assert result.n_correct == expected
    assert result.n_attempted == 300


# --------------------------------------------------------------------------
# Comparison with gensim
# --------------------------------------------------------------------------
def noisy_analogy_problem(seed, noise, n_dims=12, n_pairs=25):
    """Pairs y = x + offset + noise, so 3CosAdd is right on some questions only;
    plus case variants of some words and an OOV question."""
    rng = np.random.default_rng(seed)
    keys, vecs, sections = [], [], []
    for s in range(3):
        offset = rng.standard_normal(n_dims)
        xs = [f"x{s}_{i}" for i in range(n_pairs)]
        ys = [f"y{s}_{i}" for i in range(n_pairs)]
        bx = rng.standard_normal((n_pairs, n_dims))
        by = bx + offset + noise * rng.standard_normal((n_pairs, n_dims))
        keys += xs + ys
        vecs += list(bx) + list(by)
        questions = [
            (xs[i], ys[i], xs[j], ys[j])
            for i in range(n_pairs)
            for j in range(n_pairs)
            if i != j and rng.random() < 0.15
        ]
        sections.append((f"sec{s}", questions))
    variants = [k.upper() for k in rng.choice(keys, 30, replace=False)]
    keys += variants
    vecs += list(rng.standard_normal((len(variants), n_dims)))
    order = rng.permutation(len(keys))
    keys = [keys[i] for i in order]
    vecs = np.array(vecs, dtype=np.float32)[order]
    sections[0][1].append(("x0_0", "y0_0", "unknown", "y0_1"))
    return KeyedVectors(keys, vecs), sections


def write_sections(path, sections):
    lines = []
    for name, questions in sections:
        lines.append(f": {name}")
        lines += [" ".join(q) for q in questions]
    return write(path, "\n".join(lines) + "\n")


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize(
    "restrict_vocab, case_insensitive", [(None, True), (90, True), (90, False)]
)
def test_analogies_match_gensim(tmp_path, seed, restrict_vocab, case_insensitive):
    pytest.importorskip("gensim")
    kv, sections = noisy_analogy_problem(seed, noise=0.8)
    path = write_sections(tmp_path / "q.txt", sections)
    ours = evaluate_analogies(
        kv, path, restrict_vocab=restrict_vocab, case_insensitive=case_insensitive
    )
    score, theirs = kv.to_gensim().evaluate_word_analogies(
        str(path), restrict_vocab=restrict_vocab or 10**9, case_insensitive=case_insensitive
    )
    assert 0.05 < ours.accuracy < 0.95  # a non-trivial comparison
    assert ours.accuracy == pytest.approx(score, abs=1e-12)
    assert len(ours.sections) == len(theirs)

    def fold(quads):
        return sorted(tuple(w.upper() if case_insensitive else w for w in q) for q in quads)

    for mine, ref in zip(ours.sections, theirs, strict=True):
        assert fold(mine.correct) == sorted(ref["correct"])
        assert fold(mine.incorrect) == sorted(ref["incorrect"])


def test_gensim_keyed_vectors_are_accepted():
    pytest.importorskip("gensim")
    kv = planted_kv()
    questions = [("s", [("man", "woman", "king", "queen"), ("man", "woman", "boy", "queen")])]
    assert evaluate_analogies(kv.to_gensim(), questions).n_correct == 1


# --------------------------------------------------------------------------
# Word similarity
# --------------------------------------------------------------------------
WS353_STYLE = """\
# The WordSimilarity-353 Test Collection
Word 1\tWord 2\tHuman (mean)
love\tsex\t6.77
tiger\tcat\t7.35

tiger\ttiger\t10.00
"""

MEN_STYLE = """\
sun sunlight 50.000000
automobile car  50.000000

river water 49.000000
"""


def test_read_similarity_tab_with_header_and_comments(tmp_path):
    pairs = read_similarity(write(tmp_path / "ws.tsv", WS353_STYLE))
    assert pairs == [("love", "sex", 6.77), ("tiger", "cat", 7.35), ("tiger", "tiger", 10.0)]


def test_read_similarity_space_separated(tmp_path):
    pairs = read_similarity(write(tmp_path / "men.txt", MEN_STYLE))
    assert pairs == [
        ("sun", "sunlight", 50.0),
        ("automobile", "car", 50.0),
        ("river", "water", 49.0),
    ]


def test_read_similarity_explicit_delimiter(tmp_path):
    pairs = read_similarity(write(tmp_path / "c.csv", "a,b,1.5\nc,d,2\n"), delimiter=",")
    assert pairs == [("a", "b", 1.5), ("c", "d", 2.0)]


@pytest.mark.parametrize(
    "text, match",
    [
        ("a\tb\t1\nc\td\tx\n", "line 2.*'x'"),
        ("a\tb\t1\nc\td\n", "line 2.*3 fields"),
        ("a\tb\t1\nc d 3\n", "line 2.*3 fields"),  # tab file, space line
        ("a b 1\nc d e 3\n", "line 2.*3 fields"),
        ("# c\na b\n", "line 2.*3 fields"),  # too short to be a header
        ("a b 1\nc d nan\n", "line 2.*not finite"),
    ],
)
def test_read_similarity_errors(tmp_path, text, match):
    path = write(tmp_path / "bad.txt", text)
    with pytest.raises(ValueError, match=match) as info:
        read_similarity(path)
    assert "bad.txt" in str(info.value)


def fan_kv(angles):
    """Word "a" at angle 0 and word "w<i>" at each angle: cos(a, w<i>) = cos(angle)."""
    keys = ["a"] + [f"w{i}" for i in range(len(angles))]
    rad = np.radians([0.0, *angles])
    return KeyedVectors(keys, np.stack([np.cos(rad), np.sin(rad)], axis=1))


def test_similarity_perfect_and_reversed_rank(tmp_path):
    angles = [5, 20, 35, 50, 80, 120, 170]
    kv = fan_kv(angles)
    # human score decreasing with angle: same order as cosine
    lines = [f"a\tw{i}\t{10 - i}" for i in range(len(angles))]
    result = evaluate_similarity(kv, write(tmp_path / "s.tsv", "\n".join(lines)))
    assert result.spearman == pytest.approx(1.0)
    assert result.n_pairs == result.n_used == len(angles) and result.coverage == 1.0
    reversed_lines = [f"a w{i} {i}" for i in range(len(angles))]
    result = evaluate_similarity(kv, write(tmp_path / "r.txt", "\n".join(reversed_lines)))
    assert result.spearman == pytest.approx(-1.0)
    # scores linear in the cosine: Pearson is 1 as well
    pairs = [("a", f"w{i}", 3.0 * math.cos(math.radians(t)) + 2) for i, t in enumerate(angles)]
    result = evaluate_similarity(kv, pairs)
    assert result.pearson == pytest.approx(1.0) and result.spearman == pytest.approx(1.0)


def test_similarity_oov_and_case(tmp_path):
    kv = fan_kv([10, 40, 70])
    pairs = [("A", "W0", 9.0), ("a", "w1", 5.0), ("a", "missing", 4.0), ("a", "w2", 1.0)]
    result = evaluate_similarity(kv, pairs)
    assert (result.n_pairs, result.n_used, result.n_oov) == (4, 3, 1)
    assert result.coverage == pytest.approx(0.75)
    assert result.spearman == pytest.approx(1.0)
    strict = evaluate_similarity(kv, pairs, case_insensitive=False)
    assert strict.n_used == 2
    restricted = evaluate_similarity(kv, pairs, restrict_vocab=2)  # only a and w0
    assert restricted.n_used == 1 and math.isnan(restricted.spearman)
    assert "SimilarityResult(spearman=" in repr(result)


def test_similarity_matches_gensim(tmp_path):
    pytest.importorskip("gensim")
    rng = np.random.default_rng(5)
    keys = [f"w{i}" for i in range(80)] + ["W3", "Mixed"]
    kv = KeyedVectors(keys, rng.standard_normal((82, 6)).astype(np.float32))
    lines = ["# comment"] + [
        f"{rng.choice(keys)}\t{rng.choice(keys + ['oov1', 'oov2'])}\t{rng.uniform(0, 10):.2f}"
        for _ in range(60)
    ]
    path = write(tmp_path / "pairs.tsv", "\n".join(lines) + "\n")
    ours = evaluate_similarity(kv, path, restrict_vocab=70)
    pearson, spearman, oov_ratio = kv.to_gensim().evaluate_word_pairs(str(path), restrict_vocab=70)
    assert ours.spearman == pytest.approx(spearman[0], abs=1e-6)
    assert ours.pearson == pytest.approx(pearson[0], abs=1e-6)
    assert ours.spearman_pvalue == pytest.approx(spearman[1], rel=1e-4)
    assert 100.0 * ours.n_oov / ours.n_pairs == pytest.approx(oov_ratio)
    assert 0 < ours.n_oov < ours.n_pairs
