"""The ``skw2v`` command line tool, end to end (``python -m skw2v``) and in-process."""

import argparse
import bz2
import gzip
import inspect
import math
import os
import re
import shutil
import subprocess
import sys
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from sklearn.feature_extraction.text import CountVectorizer

import skw2v
from skw2v import KeyedVectors, SkipGramVectorizer
from skw2v.cli import WHITESPACE_TOKEN_PATTERN, build_parser, iter_documents, main

#: SkipGramVectorizer's default token pattern (CountVectorizer's), which the CLI uses too.
DEFAULT_PATTERN = r"(?u)\b\w\w+\b"
TINY = ["--dim", "8", "--epochs", "2", "--min-count", "1", "--subsample", "0", "--seed", "1",
        "--jobs", "1"]
SUMMARY = re.compile(r"^(\d+) words, (\d+) dims, ([0-9.]+) s, final loss (\S+)$")
ERROR_LINE = re.compile(r"^skw2v: error: \S.*$")


#: The checkout under test: the subprocesses import its skw2v, not an installed one.
CHECKOUT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run(*args, cwd):
    """Run ``python -m skw2v ARGS`` with this checkout's skw2v; return the completed process."""
    path = os.environ.get("PYTHONPATH")
    env = dict(os.environ, PYTHONPATH=CHECKOUT if not path else CHECKOUT + os.pathsep + path)
    return subprocess.run([sys.executable, "-m", "skw2v", *map(str, args)], cwd=cwd,
                          capture_output=True, text=True, timeout=120, env=env)


def assert_one_line_error(stderr, *fragments):
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert ERROR_LINE.match(lines[0]), stderr
    assert "Traceback" not in stderr
    for fragment in fragments:
        assert fragment in lines[0], (fragment, stderr)


def corpus_lines(seed=0, n_docs=60):
    rng = np.random.default_rng(seed)
    topics = [[f"t{t}w{i}" for i in range(6)] for t in range(3)]
    lines = [" ".join(rng.choice(topics[d % 3], size=10)) for d in range(n_docs)]
    # upper case, punctuation and one-letter words: the default token pattern drops
    # one-letter words and splits at punctuation; whitespace tokenisation keeps them all
    lines[0] += " Hello WORLD don't a"
    lines[1] += "\ta  hello-there\t"
    return lines


def expected_vocabulary(lines, lowercase=True, pattern=DEFAULT_PATTERN):
    return {(w.lower() if lowercase else w) for line in lines for w in re.findall(pattern, line)}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """A small corpus as plain, gzip and bz2 files (with blank lines)."""
    d = tmp_path_factory.mktemp("corpus")
    lines = corpus_lines()
    text = "\n".join(lines[:30]) + "\n\n   \n" + "\r\n".join(lines[30:]) + "\n"
    (d / "c.txt").write_text(text, encoding="utf-8")
    with gzip.open(d / "c.txt.gz", "wt", encoding="utf-8") as f:
        f.write(text)
    with bz2.open(d / "c.txt.bz2", "wt", encoding="utf-8") as f:
        f.write(text)
    return d, lines


@pytest.fixture(scope="module")
def trained(corpus):
    """One end-to-end training run on the plain-text corpus."""
    d, lines = corpus
    proc = run("train", "c.txt", "-o", "v.txt", *TINY, cwd=d)
    return d, lines, proc


# --------------------------------------------------------------------------
# train
# --------------------------------------------------------------------------
def test_train_end_to_end(trained):
    d, lines, proc = trained
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout.splitlines()
    assert len(out) == 1, proc.stdout
    m = SUMMARY.match(out[0])
    assert m, out[0]
    kv = KeyedVectors.load_word2vec_format(d / "v.txt")
    assert int(m.group(1)) == len(kv)
    assert int(m.group(2)) == kv.vector_size == 8
    loss = float(m.group(4))
    assert math.isfinite(loss) and loss > 0
    # the estimator's default tokenisation, lower-cased, min-count 1: every token is a word
    assert set(kv.index_to_key) == expected_vocabulary(lines)
    assert {"don", "hello", "there", "world"} <= set(kv.index_to_key)
    assert not {"a", "t", "don't", "hello-there"} & set(kv.index_to_key)
    # progress and logs on stderr only; the log says how the text was tokenised
    assert "epoch 1/2" in proc.stderr and "epoch 2/2" in proc.stderr
    assert f"tokens: matches of the token pattern '{DEFAULT_PATTERN}'" in proc.stderr
    assert "[skw2v]" not in proc.stdout
    assert "Traceback" not in proc.stderr


def test_compressed_corpora_give_identical_vectors_and_quiet(trained):
    d, _, first = trained
    assert first.returncode == 0
    gz = run("train", "c.txt.gz", "-o", "v_gz.txt", "-q", *TINY, cwd=d)
    assert gz.returncode == 0, gz.stderr
    assert gz.stderr == ""  # --quiet: nothing on stderr
    assert SUMMARY.match(gz.stdout.strip())
    assert (d / "v_gz.txt").read_bytes() == (d / "v.txt").read_bytes()
    # bz2, in-process
    assert main(["train", str(d / "c.txt.bz2"), "-o", str(d / "v_bz2.txt"), "-q", *TINY]) == 0
    assert (d / "v_bz2.txt").read_bytes() == (d / "v.txt").read_bytes()


def test_spilled_training_gives_identical_vectors(trained, tmp_path):
    d, _, first = trained
    assert first.returncode == 0
    spill = tmp_path / "spill"
    spill.mkdir()
    out = tmp_path / "v_spill.txt"
    assert main(["train", str(d / "c.txt"), "-o", str(out), "-q", *TINY,
                 "--spill-threshold", "0", "--temp-folder", str(spill)]) == 0
    assert out.read_bytes() == (d / "v.txt").read_bytes()
    assert list(spill.iterdir()) == []


def test_train_binary_and_compressed_output(trained):
    d, _, first = trained
    assert first.returncode == 0
    proc = run("train", "c.txt", "-o", "v.bin", "--binary", "-q", *TINY, cwd=d)
    assert proc.returncode == 0, proc.stderr
    text_kv = KeyedVectors.load_word2vec_format(d / "v.txt")
    bin_kv = KeyedVectors.load_word2vec_format(d / "v.bin", binary=True)
    assert bin_kv.index_to_key == text_kv.index_to_key
    np.testing.assert_array_equal(bin_kv.vectors, text_kv.vectors)
    with pytest.raises(ValueError):  # really binary, not text
        KeyedVectors.load_word2vec_format(d / "v.bin", binary=False)
    assert main(["train", str(d / "c.txt"), "-o", str(d / "v.txt.gz"), "-q", *TINY]) == 0
    with gzip.open(d / "v.txt.gz", "rb") as f:
        assert f.read() == (d / "v.txt").read_bytes()
    assert sorted(p.name for p in d.iterdir() if p.name.startswith(".")) == []  # no temp files


def test_lowercase_and_token_pattern_options(corpus, tmp_path, capsys):
    d, lines = corpus
    out = tmp_path / "v.txt"
    assert main(["train", str(d / "c.txt"), "-o", str(out), "--no-lowercase", "-q", *TINY]) == 0
    assert set(KeyedVectors.load_word2vec_format(out).index_to_key) == \
        expected_vocabulary(lines, lowercase=False)
    assert main(["train", str(d / "c.txt"), "-o", str(out), "--whitespace-tokens", "-q",
                 *TINY]) == 0
    vocab = set(KeyedVectors.load_word2vec_format(out).index_to_key)
    assert vocab == {w.lower() for line in lines for w in line.split()}
    assert {"don't", "a", "hello-there"} <= vocab  # str.split() behaviour
    # --whitespace-tokens is --token-pattern '\S+', bit for bit
    out2 = tmp_path / "v2.txt"
    assert main(["train", str(d / "c.txt"), "-o", str(out2), "--token-pattern", r"\S+", "-q",
                 *TINY]) == 0
    assert out2.read_bytes() == out.read_bytes()
    pattern = r"\w+"
    assert main(["train", str(d / "c.txt"), "-o", str(out), "--token-pattern", pattern, "-q",
                 *TINY]) == 0
    vocab = set(KeyedVectors.load_word2vec_format(out).index_to_key)
    assert vocab == expected_vocabulary(lines, pattern=pattern)
    assert {"a", "don", "t"} <= vocab
    capsys.readouterr()


def idf(doc_freq, n_docs):
    return np.log((1.0 + n_docs) / (1.0 + doc_freq)) + 1.0


@pytest.mark.parametrize("mode", ["--split-lines", "--whole-file"])
def test_documents_and_save_model(corpus, tmp_path, mode, capsys):
    d, lines = corpus
    files = [tmp_path / "a.txt", tmp_path / "b.txt"]
    files[0].write_text("\n".join(lines[:20]) + "\n")
    files[1].write_text("\n".join(lines[20:]) + "\n")
    model = tmp_path / "model.npz"
    argv = ["train", *map(str, files), "-o", str(tmp_path / "v.txt"), mode, "--save-model",
            str(model), "--whitespace-tokens", "-q", *TINY]
    assert main(argv) == 0
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the CLI's tokenisation is stored as plain data
        est = SkipGramVectorizer.load(model)
    kv = KeyedVectors.load_word2vec_format(tmp_path / "v.txt")
    assert est.index_to_key_ == kv.index_to_key
    np.testing.assert_array_equal(est.vectors_, kv.vectors)
    docs = ([line.lower().split() for line in lines] if mode == "--split-lines" else
            [" ".join(lines[:20]).lower().split(), " ".join(lines[20:]).lower().split()])
    df = np.array([sum(w in set(doc) for doc in docs) for w in est.index_to_key_])
    np.testing.assert_allclose(est.idf_, idf(df, len(docs)))
    assert est.n_tokens_ == sum(len(doc) for doc in docs)
    # the saved model tokenises new text exactly like the CLI did
    X = est.transform(["T0W1 t0w2 don't", "hello-there a"])
    np.testing.assert_allclose(X[0], kv[["t0w1", "t0w2", "don't"]].mean(axis=0), rtol=1e-6)
    np.testing.assert_allclose(X[1], kv[["hello-there", "a"]].mean(axis=0), rtol=1e-6)
    capsys.readouterr()


def test_iter_documents_streams_lazily(corpus, tmp_path):
    d, lines = corpus
    docs = iter_documents([str(d / "c.txt.gz"), str(tmp_path / "missing.txt")])
    assert inspect.isgenerator(docs)
    # the first file is read without touching the second (which does not exist)
    assert [next(docs) for _ in range(len(lines))] == lines  # blank lines and \r\n dropped
    with pytest.raises(FileNotFoundError):
        next(docs)
    whole = list(iter_documents([str(d / "c.txt.bz2")], whole_file=True))
    assert len(whole) == 1 and whole[0].split() == " ".join(lines).split()


def test_iter_documents_encodings_and_line_breaks(tmp_path):
    path = tmp_path / "bom.txt"
    path.write_bytes("\ufeffhello world\r\nsecond line\rthird\n\n".encode())
    assert list(iter_documents([str(path)])) == ["hello world", "second line", "third"]
    path = tmp_path / "u16.txt"
    path.write_text("héllo wörld\nzwei\n", encoding="utf-16")
    assert list(iter_documents([str(path)], encoding="utf-16")) == ["héllo wörld", "zwei"]
    path.write_bytes(b"ok line\nbad \xff byte\n" + b"more\n" * 10000)
    assert list(iter_documents([str(path)], errors="replace"))[1] == "bad \ufffd byte"
    with pytest.raises(ValueError, match="line 2"):
        list(iter_documents([str(path)]))


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40)
       | st.text(alphabet=" \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f\x85\xa0\u2028\u3000ab", max_size=20))
def test_whitespace_pattern_is_str_split(text):
    assert re.findall(WHITESPACE_TOKEN_PATTERN, text) == text.split()
    analyzer = CountVectorizer(token_pattern=WHITESPACE_TOKEN_PATTERN).build_analyzer()
    assert analyzer(text) == text.lower().split()


# --------------------------------------------------------------------------
# The CLI and the Python API agree (issue 17, item 5)
# --------------------------------------------------------------------------
def mixed_lines(seed=0, n_docs=120):
    """Text where tokenisations differ: one-letter words, punctuation, case, digits, accents."""
    rng = np.random.default_rng(seed)
    words = ["A", "a", "I", "s", "x", "the", "The", "cat's", "don't", "e-mail", "U.S.",
             "naïve", "café", "42", "x86_64", "hello,", "(world)", "co-op", "b2b", "ok!"]
    return [" ".join(rng.choice(words, size=int(rng.integers(5, 25)))) for _ in range(n_docs)]


@pytest.mark.parametrize("cli_options, api_params", [
    ([], {}),  # both at their defaults
    (["--min-count", "1"], {"min_count": 1}),
    (["--min-count", "40", "--no-lowercase"], {"min_count": 40, "lowercase": False}),
    (["--whitespace-tokens"], {"token_pattern": r"\S+"}),
    (["--token-pattern", r"[^\W\d_]+"], {"token_pattern": r"[^\W\d_]+"}),
])
def test_cli_and_api_give_the_same_vocabulary(tmp_path, capsys, cli_options, api_params):
    lines = mixed_lines()
    path = tmp_path / "c.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out, model = tmp_path / "v.txt", tmp_path / "m.npz"
    # the training options (--dim, --epochs, ...) do not change the vocabulary
    assert main(["train", str(path), "-o", str(out), "--save-model", str(model), "-q",
                 "--dim", "4", "--epochs", "1", "--seed", "0", *cli_options]) == 0
    api = SkipGramVectorizer(n_components=4, epochs=1, random_state=0, **api_params).fit(lines)
    assert KeyedVectors.load_word2vec_format(out).index_to_key == api.index_to_key_
    cli = SkipGramVectorizer.load(model)
    np.testing.assert_array_equal(cli.word_counts_, api.word_counts_)
    assert cli.n_tokens_ == api.n_tokens_
    assert cli.token_pattern == api.token_pattern and cli.lowercase == api.lowercase
    if not cli_options:  # the default really drops one-letter words and punctuation
        assert {"don", "mail", "42", "x86_64", "naïve"} <= set(api.index_to_key_)
        assert not {"a", "i", "s", "x", "don't", "hello,"} & set(api.index_to_key_)
    capsys.readouterr()


def test_cli_default_token_pattern_is_the_estimators(tmp_path):
    assert SkipGramVectorizer().token_pattern == DEFAULT_PATTERN
    assert build_parser().parse_args(["train", "c.txt", "-o", "v.txt"]).token_pattern is None
    proc = run("train", "--help", cwd=tmp_path)
    assert proc.returncode == 0
    # the default shown in --help is the estimator's (line breaks aside)
    assert f"'{DEFAULT_PATTERN}'" in " ".join(proc.stdout.split())


@pytest.mark.parametrize("options, fragment", [
    ([], f"tokens: matches of the token pattern '{DEFAULT_PATTERN}' (SkipGramVectorizer's "
         "default: one-letter words and punctuation dropped"),
    (["--whitespace-tokens"], r"tokens: whitespace-separated (token pattern '\S+'"),
    (["--token-pattern", r"\S+"], r"tokens: whitespace-separated (token pattern '\S+'"),
    (["--token-pattern", r"\w+", "--no-lowercase"],
     r"tokens: matches of the token pattern '\w+' (--token-pattern), case kept"),
])
def test_train_log_states_the_tokenisation(corpus, tmp_path, capsys, options, fragment):
    d, _ = corpus
    assert main(["train", str(d / "c.txt"), "-o", str(tmp_path / "v.txt"), *TINY,
                 *options]) == 0
    err = capsys.readouterr().err
    line = next(line for line in err.splitlines() if "tokens: " in line)
    assert fragment in line
    assert "documents: one per non-blank line" in line


#: The Python parameter names accepted by ``skw2v train`` (options named after a
#: SkipGramVectorizer parameter), with a value and the parameter it must set.
PYTHON_NAMED_OPTIONS = {
    "--n-components": ("6", 6), "--window": ("3", 3), "--n-negatives": ("3", 3),
    "--min-count": ("2", 2), "--subsample": ("0", 0.0), "--epochs": ("2", 2),
    "--learning-rate": ("0.05", 0.05), "--min-learning-rate": ("0.001", 0.001),
    "--batch-size": ("64", 64), "--n-jobs": ("1", 1), "--random-state": ("3", 3),
    "--loss": ("negative_sampling", "negative_sampling"), "--token-pattern": (r"\w+", r"\w+"),
    "--spill-threshold": ("1G", 1 << 30), "--n-shards": ("2", 2), "--syncs-per-epoch": ("3", 3),
}
#: The other spellings of the same options (word2vec's and the CLI's older names).
ALIASES = {"--dim": "--n-components", "--negative": "--n-negatives", "--iter": "--epochs",
           "--sample": "--subsample", "--jobs": "--n-jobs", "--seed": "--random-state"}


def train_option_strings():
    parser = build_parser()
    subparsers = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return {s for a in subparsers.choices["train"]._actions for s in a.option_strings}


def test_every_option_named_after_a_parameter_is_tested():
    params = set(SkipGramVectorizer().get_params())
    named = {s for s in train_option_strings() if s[2:].replace("-", "_") in params}
    # Tested elsewhere: --lowercase / --no-lowercase (a flag pair), --temp-folder (a
    # folder that must exist), and --encoding / --decode-error, which mean what the
    # parameters mean, but the CLI decodes the files itself (test_iter_documents_*).
    elsewhere = {"--lowercase", "--temp-folder", "--encoding", "--decode-error"}
    assert named - elsewhere == set(PYTHON_NAMED_OPTIONS)


@pytest.mark.parametrize("alias, option", sorted(ALIASES.items()))
def test_aliases_are_the_same_option(alias, option):
    parser = build_parser()
    value = PYTHON_NAMED_OPTIONS[option][0]
    base = ["train", "c.txt", "-o", "v.txt"]
    assert vars(parser.parse_args([*base, alias, value])) == \
        vars(parser.parse_args([*base, option, value]))
    assert vars(parser.parse_args([*base, alias, value])) != vars(parser.parse_args(base))


def test_python_parameter_names_set_those_parameters(corpus, tmp_path, capsys):
    d, _ = corpus
    argv = [x for option, (value, _) in PYTHON_NAMED_OPTIONS.items() for x in (option, value)]
    model, out = tmp_path / "m.npz", tmp_path / "v.txt"
    assert main(["train", str(d / "c.txt"), "-o", str(out), "--save-model", str(model), "-q",
                 *argv]) == 0
    params = SkipGramVectorizer.load(model).get_params()
    for option, (_, expected) in PYTHON_NAMED_OPTIONS.items():
        assert params[option[2:].replace("-", "_")] == expected, option
    # the older spellings train the same model, bit for bit
    renamed = {python: old for old, python in ALIASES.items()}
    old_argv = [renamed.get(x, x) for x in argv]
    assert old_argv != argv
    out_old = tmp_path / "v_old.txt"
    assert main(["train", str(d / "c.txt"), "-o", str(out_old), "-q", *old_argv]) == 0
    assert out_old.read_bytes() == out.read_bytes()
    capsys.readouterr()


def test_nothing_to_train_on_names_the_options(tmp_path, capsys):
    path = tmp_path / "c.txt"
    # one word a line: no window holds two tokens, whatever the vocabulary
    path.write_text("\n".join(["alpha", "beta", "a b"] * 20) + "\n")
    assert main(["train", str(path), "-o", str(tmp_path / "v.txt"), "-q", "--min-count",
                 "1", "--subsample", "0"]) == 1
    err = capsys.readouterr().err
    assert_one_line_error(err, "No training pairs", "--whole-file", "--whitespace-tokens")
    assert "empty vocabulary" not in err.lower()
    # with --whitespace-tokens the one-letter words make pairs
    assert main(["train", str(path), "-o", str(tmp_path / "v.txt"), "-q", "--min-count",
                 "1", "--subsample", "0", "--whitespace-tokens", "--dim", "4"]) == 0
    capsys.readouterr()


# --------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------
def test_missing_corpus_file(tmp_path):
    proc = run("train", "nope.txt", "-o", "v.txt", *TINY, cwd=tmp_path)
    assert proc.returncode != 0
    assert_one_line_error(proc.stderr, "nope.txt")
    assert proc.stdout == ""
    assert not (tmp_path / "v.txt").exists()


def test_debug_shows_traceback(tmp_path):
    proc = run("train", "nope.txt", "-o", "v.txt", "--debug", cwd=tmp_path)
    assert proc.returncode != 0
    assert "Traceback" in proc.stderr and "FileNotFoundError" in proc.stderr


@pytest.mark.parametrize("argv, fragments, status", [
    (["--min-count", "1000"], ["--min-count", "Empty vocabulary"], 1),
    (["--learning-rate", "0.001", "--min-learning-rate", "0.01"], ["min_learning_rate"], 1),
    (["--dim", "0"], ["--dim"], 2),
    (["--jobs", "0"], ["--jobs"], 2),
    (["--subsample", "2"], ["--subsample"], 2),
    (["--encoding", "no-such-codec"], ["--encoding"], 2),
    (["--token-pattern", "(a)(b)"], ["--token-pattern"], 2),
    (["--token-pattern", r"\w+", "--whitespace-tokens"], ["--whitespace-tokens"], 2),
    (["--n-components", "0"], ["--n-components"], 2),
    (["--sample", "2"], ["--sample"], 2),
    (["--split-lines", "--whole-file"], ["--whole-file"], 2),
    (["--loss", "hinge"], ["--loss"], 2),
    (["--spill-threshold", "lots"], ["--spill-threshold"], 2),
    (["--spill-threshold", "-5"], ["--spill-threshold"], 2),
    (["--temp-folder", "/no/such/dir"], ["--temp-folder"], 2),
    (["--n-shards", "0"], ["--n-shards"], 2),
    (["--syncs-per-epoch", "often"], ["--syncs-per-epoch", "expected 'auto' or an integer"], 2),
    (["--syncs-per-epoch", "0"], ["--syncs-per-epoch", "must be 'auto' or >= 1"], 2),
    (["--learning-rate", "fast"], ["--learning-rate", "expected 'auto' or a number"], 2),
    (["--n-shards", "3", "--syncs-per-epoch", "100000"], ["syncs_per_epoch"], 1),
])
def test_invalid_training_options(corpus, tmp_path, capsys, argv, fragments, status):
    d, _ = corpus
    out = tmp_path / "v.txt"
    try:
        code = main(["train", str(d / "c.txt"), "-o", str(out), "-q", "--dim", "4",
                     "--epochs", "1", *argv])
    except SystemExit as exc:  # argparse usage errors
        code = exc.code
    assert code == status
    captured = capsys.readouterr()
    assert_one_line_error(captured.err, *fragments)
    assert captured.out == ""
    assert not out.exists()


def test_empty_corpus_and_bad_input_files(tmp_path, capsys):
    (tmp_path / "empty.txt").write_text("\n  \n")
    (tmp_path / "latin1.txt").write_bytes("caf\xe9 au lait\n".encode("latin-1") * 3)
    (tmp_path / "broken.txt.gz").write_bytes(gzip.compress(b"some text here\n" * 50)[:40])
    out = str(tmp_path / "v.txt")
    cases = [("empty.txt", ["empty"]), ("latin1.txt", ["latin1.txt", "line 1", "--encoding"]),
             ("broken.txt.gz", ["broken.txt.gz"]), (".", ["directory"])]
    for name, fragments in cases:
        assert main(["train", str(tmp_path / name), "-o", out, "-q", "--min-count", "1",
                     "--subsample", "0"]) == 1
        assert_one_line_error(capsys.readouterr().err, *fragments)
    # the same latin-1 file trains with the right encoding
    assert main(["train", str(tmp_path / "latin1.txt"), "-o", out, "-q", "--min-count", "1",
                 "--dim", "4", "--encoding", "latin-1", "--subsample", "0"]) == 0
    assert "café" in KeyedVectors.load_word2vec_format(out)
    capsys.readouterr()


def test_missing_output_directory_fails_before_training(corpus, tmp_path, capsys):
    d, _ = corpus
    code = main(["train", str(d / "c.txt"), "-o", str(tmp_path / "no" / "v.txt"), *TINY])
    assert code == 1
    err = capsys.readouterr().err
    assert_one_line_error(err, "directory")
    assert "epoch" not in err


# --------------------------------------------------------------------------
# evaluate and neighbors, on hand-made vectors with known answers
# --------------------------------------------------------------------------
WORDS = ["man", "woman", "king", "queen", "boy", "girl", "apple", "pear"]
VECTORS = np.array([[1, 0, 0], [1, 1, 0], [1, 0, 1], [1, 1, 1], [2, 0, 0.2], [0, 3, 0.1],
                    [-1, -1, 5], [-1, -2, 4]], dtype=np.float32)
ANALOGIES = """\
: royal
man woman king queen
man king woman queen
man woman king apple
man woman boy zebra
: fruit
apple pear man woman
"""
SIMILARITY = "man\twoman\t5\nking\tqueen\t4\nman\tapple\t1\nfoo\tbar\t3\nboy\tgirl\t2\n"
SIMILARITY_2 = "# comment\napple pear 9\nman pear 1\nking man 5\n"


def cosine(a, b):
    return float(a @ b / np.linalg.norm(a) / np.linalg.norm(b))


def answer(a, b, c, n_vocab=None):
    """3CosAdd on unit vectors, excluding the query words: the reference implementation."""
    n_vocab = n_vocab or len(WORDS)
    unit = VECTORS[:n_vocab] / np.linalg.norm(VECTORS[:n_vocab], axis=1, keepdims=True)
    idx = {w: i for i, w in enumerate(WORDS[:n_vocab])}
    target = unit[idx[b]] - unit[idx[a]] + unit[idx[c]]
    scores = unit @ target
    scores[[idx[a], idx[b], idx[c]]] = -np.inf
    return WORDS[int(np.argmax(scores))]


def expected_sections(n_vocab=None):
    n_vocab = n_vocab or len(WORDS)
    sections, name = {}, None
    for line in ANALOGIES.splitlines():
        if line.startswith(":"):
            name = line[1:].strip()
            sections[name] = [0, 0, 0]
            continue
        q = line.split()
        sections[name][2] += 1
        if all(w in WORDS[:n_vocab] for w in q):
            sections[name][1] += 1
            sections[name][0] += answer(*q[:3], n_vocab=n_vocab) == q[3]
    total = [sum(v[i] for v in sections.values()) for i in range(3)]
    return {**sections, "total": total}


def expected_similarity(text):
    gold, model, n = [], [], 0
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        w1, w2, score = line.split()
        n += 1
        if w1 in WORDS and w2 in WORDS:
            gold.append(float(score))
            model.append(cosine(VECTORS[WORDS.index(w1)], VECTORS[WORDS.index(w2)]))
    return stats.spearmanr(gold, model)[0], stats.pearsonr(gold, model)[0], len(gold), n


@pytest.fixture(scope="module")
def eval_files(tmp_path_factory):
    d = tmp_path_factory.mktemp("eval")
    KeyedVectors(WORDS, VECTORS).save_word2vec_format(d / "vec.txt")
    KeyedVectors(WORDS, VECTORS).save_word2vec_format(d / "vec.bin.gz", binary=True)
    (d / "questions.txt").write_text(ANALOGIES)
    (d / "sim.tsv").write_text(SIMILARITY)
    (d / "sim2.txt").write_text(SIMILARITY_2)
    return d


def parse_table(text, first_column):
    rows = {}
    for line in text.splitlines():
        parts = line.split()
        if parts and parts[0] in first_column:
            rows[parts[0]] = parts[1:]
    return rows


@pytest.mark.parametrize("vectors, extra", [("vec.txt", []), ("vec.bin.gz", []),
                                            ("vec.bin.gz", ["--binary"])])
def test_evaluate_end_to_end(eval_files, vectors, extra):
    # sanity of the hand-made benchmark: one wrong answer, one OOV question
    sections = expected_sections()
    assert sections["royal"] == [2, 3, 4]
    proc = run("evaluate", vectors, "--analogies", "questions.txt", "--similarity", "sim.tsv",
               "sim2.txt", *extra, cwd=eval_files)
    assert proc.returncode == 0, proc.stderr
    rows = parse_table(proc.stdout, ["royal", "fruit", "total"])
    assert set(rows) == {"royal", "fruit", "total"}
    for name, (correct, attempted, total) in sections.items():
        acc, n_correct, n_attempted, n_total, coverage = rows[name]
        assert (int(n_correct), int(n_attempted), int(n_total)) == (correct, attempted, total)
        assert float(acc) == pytest.approx(correct / attempted, abs=1e-4)
        assert float(coverage) == pytest.approx(attempted / total, abs=1e-4)
    sims = parse_table(proc.stdout, ["sim.tsv", "sim2.txt"])
    for name, text in (("sim.tsv", SIMILARITY), ("sim2.txt", SIMILARITY_2)):
        spearman, pearson, used, pairs = expected_similarity(text)
        got = sims[name]
        assert float(got[0]) == pytest.approx(spearman, abs=1e-4)
        assert float(got[1]) == pytest.approx(pearson, abs=1e-4)
        assert (int(got[2]), int(got[3])) == (used, pairs)
        assert float(got[4]) == pytest.approx(used / pairs, abs=1e-4)
    assert "Traceback" not in proc.stderr


def test_evaluate_restrict_vocab(eval_files, capsys):
    assert main(["evaluate", str(eval_files / "vec.txt"), "--analogies",
                 str(eval_files / "questions.txt"), "--restrict-vocab", "4"]) == 0
    rows = parse_table(capsys.readouterr().out, ["royal", "fruit", "total"])
    for name, (correct, attempted, total) in expected_sections(n_vocab=4).items():
        assert [int(x) for x in rows[name][1:4]] == [correct, attempted, total]


def test_evaluate_errors(eval_files, tmp_path, capsys):
    (tmp_path / "garbage.txt").write_text("this is not\na vectors file\n")
    cases = [
        ([str(tmp_path / "nope.txt"), "--similarity", str(eval_files / "sim.tsv")], ["nope.txt"]),
        ([str(tmp_path / "garbage.txt"), "--similarity", str(eval_files / "sim.tsv")],
         ["garbage.txt"]),
        ([str(eval_files / "vec.txt"), "--analogies", str(eval_files / "sim.tsv")],
         ["sim.tsv"]),  # a similarity file is not an analogy file
        ([str(eval_files / "vec.txt")], ["--analogies"]),  # nothing to evaluate
        ([str(eval_files / "vec.bin.gz"), "--text", "--similarity", str(eval_files / "sim.tsv")],
         ["vec.bin.gz"]),
    ]
    for argv, fragments in cases:
        assert main(["evaluate", *argv]) == 1
        captured = capsys.readouterr()
        assert_one_line_error(captured.err, *fragments)
        assert captured.out == ""


def parse_neighbors(stdout):
    blocks, current = {}, None
    for line in stdout.splitlines():
        if line.endswith(":") and not line.startswith(" "):
            current = blocks.setdefault(line[:-1], [])
        else:
            word, score = line.split()
            current.append((word, float(score)))
    return blocks


def test_neighbors_end_to_end(eval_files):
    proc = run("neighbors", "vec.bin.gz", "king", "unicorn", "apple", "--topn", "3",
               cwd=eval_files)
    assert proc.returncode == 1  # because of the unknown word
    errors = [line for line in proc.stderr.splitlines() if not line.startswith("[skw2v]")]
    assert_one_line_error("\n".join(errors), "unicorn")
    blocks = parse_neighbors(proc.stdout)
    assert list(blocks) == ["king", "apple"]  # the others are still printed, in order
    for query, got in blocks.items():
        q = VECTORS[WORDS.index(query)]
        ranked = sorted(((cosine(q, v), w) for w, v in zip(WORDS, VECTORS, strict=True)
                         if w != query), reverse=True)[:3]
        assert [w for w, _ in got] == [w for _, w in ranked]
        assert [s for _, s in got] == pytest.approx([s for s, _ in ranked], abs=1e-4)


def test_unknown_word_message_is_printed_without_quotes(eval_files, capsys):
    assert main(["neighbors", str(eval_files / "vec.txt"), "KING", "--topn", "1"]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.splitlines()[-1] == (
        f"skw2v: error: word 'KING' not in vocabulary ({len(WORDS)} words); "
        "did you mean 'king'?")


def test_neighbors_text_format_all_known(eval_files, capsys):
    assert main(["neighbors", str(eval_files / "vec.txt"), "man", "--topn", "2", "--text"]) == 0
    blocks = parse_neighbors(capsys.readouterr().out)
    assert list(blocks) == ["man"] and len(blocks["man"]) == 2


def test_neighbors_missing_file(tmp_path):
    proc = run("neighbors", "nope.bin", "king", cwd=tmp_path)
    assert proc.returncode != 0
    assert_one_line_error(proc.stderr, "nope.bin")


# --------------------------------------------------------------------------
# help and version
# --------------------------------------------------------------------------
SPEC_OPTIONS = {
    "train": ["-o", "--output", "--binary", "--loss", "negative_sampling", "softmax", "--dim",
              "--window", "--negative", "--epochs", "--min-count", "--subsample",
              "--learning-rate", "--batch-size", "--jobs", "--seed", "--lowercase",
              "--no-lowercase", "--split-lines", "--whole-file", "-q", "--quiet",
              "--token-pattern", "--save-model", "--spill-threshold", "--temp-folder",
              "--debug", "CORPUS", "--whitespace-tokens", "--n-components", "--n-negatives",
              "--iter", "--sample", "--n-jobs", "--random-state", "--min-learning-rate",
              "--encoding", "--decode-error"],
    "evaluate": ["--binary", "--analogies", "--similarity", "--restrict-vocab", "--debug",
                 "VECTORS"],
    "neighbors": ["--topn", "--binary", "--debug", "VECTORS", "WORD"],
}


@pytest.mark.parametrize("command", sorted(SPEC_OPTIONS))
def test_subcommand_help_mentions_every_option(command, tmp_path):
    proc = run(command, "--help", cwd=tmp_path)
    assert proc.returncode == 0
    for option in SPEC_OPTIONS[command]:
        assert re.search(rf"(?<![\w-]){re.escape(option)}(?![\w-])", proc.stdout), option


def test_every_option_has_a_description():
    parser = build_parser()
    subparsers = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    assert set(subparsers.choices) == set(SPEC_OPTIONS)
    for name, sub in subparsers.choices.items():
        assert sub.description and len(sub.description) > 80, name
        for action in sub._actions:
            assert action.help and len(action.help) > 10, (name, action.dest)


def test_main_help_and_version(tmp_path):
    proc = run("--help", cwd=tmp_path)
    assert proc.returncode == 0
    for command in SPEC_OPTIONS:
        assert command in proc.stdout
    assert "--version" in proc.stdout
    proc = run("--version", cwd=tmp_path)
    assert proc.returncode == 0
    assert proc.stdout.strip() == f"skw2v {skw2v.__version__}"


def test_no_command_is_a_usage_error(tmp_path):
    proc = run(cwd=tmp_path)
    assert proc.returncode == 2
    assert_one_line_error(proc.stderr)


@pytest.mark.skipif(shutil.which("skw2v") is None, reason="console script not installed")
def test_console_script(tmp_path):
    proc = subprocess.run(["skw2v", "--version"], capture_output=True, text=True, timeout=60,
                          cwd=tmp_path)
    assert proc.returncode == 0
    assert skw2v.__version__ in proc.stdout


# --------------------------------------------------------------------------
# Outputs are checked before training
# --------------------------------------------------------------------------
@pytest.fixture
def own_corpus(tmp_path):
    d = tmp_path / "data"
    d.mkdir()
    text = "\n".join(corpus_lines(n_docs=20)) + "\n"
    (d / "c.txt").write_text(text)
    (d / "c.txt.gz").write_bytes(gzip.compress(text.encode()))
    return d, text


@pytest.mark.parametrize("make_output", [
    lambda d: d / "c.txt",
    lambda d: d / "sub" / ".." / "c.txt",
    lambda d: (d / "link.txt").symlink_to(d / "c.txt") or d / "link.txt",
    lambda d: os.link(d / "c.txt", d / "hard.txt") or d / "hard.txt",
])
@pytest.mark.parametrize("option", ["-o", "--save-model"])
def test_output_that_is_an_input_is_refused_before_training(own_corpus, capsys, make_output,
                                                             option):
    d, text = own_corpus
    (d / "sub").mkdir()
    target = make_output(d)
    argv = ["train", str(d / "c.txt"), *TINY]
    if option == "-o":
        argv += ["-o", str(target)]
    else:
        argv += ["-o", str(d / "v.txt"), "--save-model", str(target)]
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert_one_line_error(err, "input file", "c.txt", option)
    assert "epoch" not in err
    assert (d / "c.txt").read_text() == text
    assert not (d / "v.txt").exists()


def test_compressed_corpus_as_output_and_same_two_outputs_are_refused(own_corpus, capsys):
    d, _ = own_corpus
    before = (d / "c.txt.gz").read_bytes()
    assert main(["train", str(d / "c.txt.gz"), "-o", str(d / "c.txt.gz"), *TINY]) == 1
    assert_one_line_error(capsys.readouterr().err, "input file")
    assert (d / "c.txt.gz").read_bytes() == before
    assert main(["train", str(d / "c.txt"), "-o", str(d / "v"), "--save-model",
                 str(d / "v"), *TINY]) == 1
    assert_one_line_error(capsys.readouterr().err, "--save-model", "-o/--output", "both")


@pytest.mark.parametrize("option", ["-o", "--save-model"])
def test_output_under_a_regular_file_fails_before_training(own_corpus, capsys, option):
    d, _ = own_corpus
    bad = str(d / "c.txt" / "v.txt")  # the parent is a file: no one can write there
    outputs = ["-o", bad] if option == "-o" else ["-o", str(d / "v.txt"), "--save-model", bad]
    assert main(["train", str(d / "c.txt"), *outputs, *TINY]) == 1
    err = capsys.readouterr().err
    assert_one_line_error(err, "not a directory", "c.txt")
    assert "epoch" not in err
    assert sorted(os.listdir(d)) == ["c.txt", "c.txt.gz"]


def test_unwritable_output_directory_fails_before_training(own_corpus, tmp_path, capsys,
                                                           monkeypatch):
    # root ignores permission bits: make file creation itself fail in the read-only folder
    import tempfile

    d, _ = own_corpus
    ro = tmp_path / "ro"
    ro.mkdir()
    real = tempfile.NamedTemporaryFile
    fitted = []

    def refuse(*args, **kwargs):
        if os.path.abspath(kwargs.get("dir") or "") == str(ro):
            raise PermissionError(13, "Permission denied", str(ro / ".v.txt.xyz.tmp"))
        return real(*args, **kwargs)

    monkeypatch.setattr(tempfile, "NamedTemporaryFile", refuse)
    from skw2v import SkipGramVectorizer

    real_fit = SkipGramVectorizer.fit
    monkeypatch.setattr(SkipGramVectorizer, "fit",
                        lambda self, *a, **k: fitted.append(1) or real_fit(self, *a, **k))
    assert main(["train", str(d / "c.txt"), "-o", str(ro / "v.txt"), *TINY]) == 1
    err = capsys.readouterr().err
    assert_one_line_error(err, "cannot create files in the directory", str(ro))
    assert ".tmp" not in err
    assert fitted == []
    assert os.listdir(ro) == []


@pytest.mark.parametrize("name, data", [
    ("bad.txt.gz", b"this is not gzip data at all\n"),
    ("cut.txt.gz", gzip.compress(b"some text here\n" * 200)[:-12]),
    ("bad.txt.bz2", b"BZh9 this is not bzip2 data\n"),
    ("cut.txt.bz2", bz2.compress(b"some text here\n" * 200)[:-12]),
])
def test_damaged_compressed_files_are_one_line_errors(tmp_path, capsys, name, data):
    path = tmp_path / name
    path.write_bytes(data)
    for argv in (["train", str(path), "-o", str(tmp_path / "v.txt"), "-q", *TINY],
                 ["neighbors", str(path), "word"], ["neighbors", str(path), "word", "--text"]):
        assert main(argv) == 1
        assert_one_line_error(capsys.readouterr().err, name, "compressed")


@pytest.mark.parametrize("option", ["-o", "--save-model", "--temp-folder"])
def test_directory_denied_by_os_access_fails_before_training(own_corpus, tmp_path, capsys,
                                                            monkeypatch, option):
    d, _ = own_corpus
    ro = tmp_path / "ro"
    ro.mkdir()
    real_access = os.access
    monkeypatch.setattr(os, "access", lambda p, mode, *a, **k: (
        False if os.path.abspath(p) == str(ro) and mode & os.W_OK else real_access(p, mode)))
    extra = {"-o": ["-o", str(ro / "v.txt")],
             "--save-model": ["-o", str(d / "v.txt"), "--save-model", str(ro / "m.npz")],
             "--temp-folder": ["-o", str(d / "v.txt"), "--temp-folder", str(ro)]}[option]
    assert main(["train", str(d / "c.txt"), *extra, *TINY]) == 1
    err = capsys.readouterr().err
    assert_one_line_error(err, "cannot create files in the directory", str(ro))
    assert "epoch" not in err
    assert os.listdir(ro) == [] and not (d / "v.txt").exists()


def test_sigterm_ends_train_with_the_status_sigterm_asks_and_no_output(tmp_path):
    """SIGTERM during ``skw2v train`` ends it with 128 + 15 = 143 (as a shell and a
    process manager expect of a terminated program), says so, and leaves no output
    file; it used to report "interrupted" and 130, the status of Ctrl-C."""
    import signal
    import subprocess

    corpus = tmp_path / "c.txt"
    corpus.write_text("\n".join(corpus_lines(n_docs=10_000)) + "\n")
    out = tmp_path / "vectors.txt"
    proc = subprocess.Popen([sys.executable, "-m", "skw2v", "train", str(corpus), "-o",
                             str(out), "--epochs", "500"], stderr=subprocess.PIPE, text=True,
                            cwd=tmp_path)
    try:
        seen = ""
        while "epoch 1/" not in seen:  # training has started
            chunk = proc.stderr.read(1)
            assert chunk, seen
            seen += chunk
        proc.send_signal(signal.SIGTERM)
        rest = proc.stderr.read()
        proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.stderr.close()
    assert proc.returncode == 143, rest[-500:]
    assert "skw2v: terminated" in rest
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.txt"]


def test_shards_give_the_same_vectors_for_any_number_of_jobs(corpus, tmp_path):
    """``--n-shards`` makes the output independent of ``--n-jobs``, bit for bit (shared
    memory with 2 jobs does not promise that)."""
    d, _ = corpus
    outs = []
    for jobs in ("1", "2"):
        out = tmp_path / f"v{jobs}.txt"
        assert main(["train", str(d / "c.txt"), "-o", str(out), "-q", "--dim", "8",
                     "--epochs", "2", "--seed", "0", "--n-shards", "2", "--n-jobs", jobs]) == 0
        outs.append(out.read_bytes())
    assert outs[0] == outs[1]
