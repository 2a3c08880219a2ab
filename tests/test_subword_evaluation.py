"""Evaluation with unseen words (#15): ``unseen="compose"`` and its coverage numbers."""

import numpy as np
import pytest
from scipy import stats

from skw2v import KeyedVectors
from skw2v._core.subwords import SubwordSpec
from skw2v.evaluation import evaluate_analogies, evaluate_similarity

WORDS = ["computer", "science", "garden", "flower", "river", "mountain", "king", "queen"]


def subword_kv(seed=0, d=6, n_buckets=211, char_ngram_range=(4, 6)):
    """Random vectors and n-gram rows; with n-grams of 4 to 6, "<q>" has none."""
    rng = np.random.default_rng(seed)
    return KeyedVectors(WORDS, rng.standard_normal((len(WORDS), d)).astype(np.float32),
                        vectors_ngrams=rng.standard_normal((n_buckets, d)).astype(np.float32),
                        char_ngram_range=char_ngram_range)


PAIRS = [
    ("computer", "science", 7.0),   # both in the vocabulary
    ("garden", "flower", 8.0),      # both in the vocabulary
    ("computr", "science", 6.5),    # one composed
    ("gardn", "flowr", 7.5),        # two composed
    ("q", "river", 1.0),            # "<q>": no n-gram of 4 to 6, skipped
    ("mountain", "king", 2.0),      # both in the vocabulary
]


def test_similarity_coverage_counts_on_a_hand_made_list():
    kv = subword_kv()
    skip = evaluate_similarity(kv, PAIRS, case_insensitive=False)
    assert (skip.n_pairs, skip.n_used, skip.n_composed) == (6, 3, 0)
    compose = evaluate_similarity(kv, PAIRS, case_insensitive=False, unseen="compose")
    assert (compose.n_pairs, compose.n_used, compose.n_composed) == (6, 5, 2)
    assert compose.coverage == pytest.approx(5 / 6) and compose.n_oov == 1
    assert compose.unseen == "compose" and "n_composed=2" in repr(compose)
    used = [p for p in PAIRS if p[0] != "q"]
    model = [kv.similarity(a, b) for a, b, _ in used]
    gold = [s for _, _, s in used]
    assert compose.spearman == pytest.approx(stats.spearmanr(gold, model)[0], abs=1e-12)
    assert compose.pearson == pytest.approx(stats.pearsonr(gold, model)[0], abs=1e-6)


def test_similarity_default_is_unchanged_by_the_option():
    kv = subword_kv()
    default = evaluate_similarity(kv, PAIRS)
    assert evaluate_similarity(kv, PAIRS, unseen="skip") == default
    assert default.unseen == "skip" and "n_composed" not in repr(default)
    plain = KeyedVectors(WORDS, kv.vectors)
    assert evaluate_similarity(plain, PAIRS) == default


def test_case_insensitive_composes_the_lower_case_form():
    kv = subword_kv()
    pairs = [("Computr", "SCIENCE", 1.0), ("Gardn", "flower", 2.0), ("Rivr", "King", 3.0)]
    result = evaluate_similarity(kv, pairs, unseen="compose")
    assert (result.n_used, result.n_composed) == (3, 3)
    model = [kv.similarity(a.lower(), b.lower()) for a, b, _ in pairs]
    assert result.pearson == pytest.approx(stats.pearsonr([1, 2, 3], model)[0], abs=1e-6)
    as_written = [kv.similarity(a, b) for a, b, _ in pairs]
    assert result.pearson != pytest.approx(stats.pearsonr([1, 2, 3], as_written)[0], abs=1e-3)
    strict = evaluate_similarity(kv, pairs, case_insensitive=False, unseen="compose")
    # as written: "SCIENCE" and "King" are composed too, from their capitals
    assert (strict.n_used, strict.n_composed) == (3, 3)


def test_words_beyond_restrict_vocab_are_composed():
    kv = subword_kv()
    pairs = [("computer", "science", 1.0), ("computer", "queen", 2.0), ("science", "king", 3.0)]
    skip = evaluate_similarity(kv, pairs, restrict_vocab=6)
    assert (skip.n_used, skip.n_composed) == (1, 0)
    compose = evaluate_similarity(kv, pairs, restrict_vocab=6, unseen="compose")
    assert (compose.n_used, compose.n_composed) == (3, 2)


QUESTIONS = [
    ("words", [
        ("computer", "science", "garden", "flower"),   # all in the vocabulary
        ("computr", "science", "garden", "flower"),    # a composed
        ("king", "queen", "mountan", "river"),         # c composed
        ("king", "queen", "river", "mountainz"),       # d unseen: never answerable, skipped
        ("q", "queen", "river", "mountain"),           # "<q>" has no n-gram: skipped
    ]),
    ("more", [
        ("gardn", "flowr", "kng", "queen"),            # a, b and c composed
        ("mountain", "river", "flower", "garden"),     # all in the vocabulary
    ]),
]


def expected_answer(kv, a, b, c):
    """3CosAdd over the vocabulary, vocabulary query words excluded, composed ones not."""
    return kv.most_similar(positive=[b, c], negative=[a], topn=1)[0][0]


def test_analogy_coverage_counts_and_answers_on_a_hand_made_list():
    kv = subword_kv()
    skip = evaluate_analogies(kv, QUESTIONS, case_insensitive=False)
    assert (skip.n_attempted, skip.n_total, skip.n_composed) == (2, 7, 0)
    result = evaluate_analogies(kv, QUESTIONS, case_insensitive=False, unseen="compose")
    assert (result.n_attempted, result.n_total, result.n_composed) == (5, 7, 3)
    assert result.coverage == pytest.approx(5 / 7) and result.total.n_oov == 2
    words, more = result.section("words"), result.section("more")
    assert (words.n_attempted, words.n_composed, words.n_total) == (3, 2, 5)
    assert (more.n_attempted, more.n_composed, more.n_total) == (2, 1, 2)
    attempted = [q for q in QUESTIONS[0][1][:3] + QUESTIONS[1][1]]
    correct = [q for q in attempted if expected_answer(kv, *q[:3]) == q[3]]
    assert sorted(result.total.correct) == sorted(correct)
    assert sorted(result.total.incorrect) == sorted(set(attempted) - set(correct))
    assert "composed" in result.summary() and "n_composed=3" in repr(result)
    assert "composed" not in skip.summary() and "n_composed" not in repr(skip)


def test_composed_analogy_finds_the_planted_answer():
    # a typo of "man" composes to man's vector: king - man + woman is queen
    male, female, royal, common = np.eye(4)
    words = ["man", "woman", "king", "queen"]
    vectors = np.array([male + common, female + common, male + royal, female + royal])
    rows = np.zeros((97, 4), dtype=np.float32)
    rows[SubwordSpec(3, 6, 97).ngram_buckets(["mann"]).indices] = male + common
    kv = KeyedVectors(words, vectors.astype(np.float32), vectors_ngrams=rows,
                      char_ngram_range=(3, 6))
    questions = [("s", [("mann", "woman", "king", "queen")])]
    assert evaluate_analogies(kv, questions).n_attempted == 0
    result = evaluate_analogies(kv, questions, unseen="compose")
    assert (result.n_correct, result.n_attempted, result.n_composed) == (1, 1, 1)


def test_analogy_default_is_unchanged_by_the_option():
    kv = subword_kv()
    default = evaluate_analogies(kv, QUESTIONS)
    assert evaluate_analogies(kv, QUESTIONS, unseen="skip") == default
    assert evaluate_analogies(KeyedVectors(WORDS, kv.vectors), QUESTIONS) == default


def test_unseen_option_is_checked():
    plain = KeyedVectors(WORDS, np.ones((len(WORDS), 3)))
    for call in (lambda kv, u: evaluate_similarity(kv, PAIRS, unseen=u),
                 lambda kv, u: evaluate_analogies(kv, QUESTIONS, unseen=u)):
        with pytest.raises(ValueError, match="needs subword vectors"):
            call(plain, "compose")
        with pytest.raises(ValueError, match="unseen must be one of"):
            call(subword_kv(), "ignore")


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_gensim_fasttext_model_is_evaluated_with_composed_words():
    gensim_models = pytest.importorskip("gensim.models")
    sentences = [["computer", "science", "garden", "flower"]] * 20
    model = gensim_models.FastText(sentences, vector_size=8, min_count=1, epochs=1, bucket=499,
                                   min_n=3, max_n=5, seed=1, workers=1)
    pairs = [("computer", "science", 1.0), ("computr", "flower", 2.0), ("gardn", "scince", 3.0)]
    result = evaluate_similarity(model, pairs, unseen="compose")
    assert (result.n_used, result.n_composed) == (3, 2)
    model_cos = [float(model.wv.similarity(a, b)) for a, b, _ in pairs]
    assert result.spearman == pytest.approx(stats.spearmanr([1, 2, 3], model_cos)[0])
