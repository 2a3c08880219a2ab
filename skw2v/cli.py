"""The ``skw2v`` command line tool: train, evaluate and query word vectors.

Subcommands
-----------
``skw2v train CORPUS... -o OUT``
    Train skip-gram vectors on plain-text files (``.gz`` and ``.bz2`` are
    decompressed) and write them in the word2vec text or binary format.
``skw2v evaluate VECTORS --analogies FILE --similarity FILE...``
    Score word2vec-format vectors on analogy questions and word-similarity
    data sets.
``skw2v neighbors VECTORS WORD...``
    Print the nearest neighbours of words.

Results go to standard output; progress, logs and errors go to standard
error. Expected failures (missing or malformed files, invalid parameters,
unknown words) print a single ``skw2v: error: <reason>`` line and exit with a
non-zero status; ``--debug`` shows the full traceback instead.

Exit status: 0 on success, 1 on an error (or an unknown word for
``neighbors``), 2 on invalid command-line usage, 130 when interrupted (Ctrl-C),
143 when terminated (SIGTERM) during training.
"""

from __future__ import annotations

import argparse
import codecs
import contextlib
import gzip
import io
import logging
import math
import os
import re
import sys
import time
import zlib
from collections.abc import Iterator, Sequence

from ._version import __version__

__all__ = ["WHITESPACE_TOKEN_PATTERN", "build_parser", "iter_documents", "main"]

#: Token pattern of ``--whitespace-tokens``: ``re.findall`` with it gives exactly
#: ``str.split()``. It is a plain string (unlike a callable analyzer), so models
#: saved with ``--save-model`` keep their tokenisation. Without the option (or
#: ``--token-pattern``) the CLI leaves SkipGramVectorizer's default in place.
WHITESPACE_TOKEN_PATTERN = r"\S+"

logger = logging.getLogger("skw2v")


# --------------------------------------------------------------------------
# Argument parsing
# --------------------------------------------------------------------------
class _HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """Keep the line breaks of descriptions; show meaningful defaults of options."""

    def _get_help_string(self, action):
        text = action.help or ""
        default = action.default
        if ("default" not in text and action.option_strings and default is not None
                and default is not False and default != [] and default is not argparse.SUPPRESS):
            text += " (default: %(default)s)"
        return text


class _Parser(argparse.ArgumentParser):
    """ArgumentParser whose usage errors are one ``skw2v: error:`` line."""

    def error(self, message):
        self.exit(2, f"skw2v: error: {message} (see '{self.prog} --help')\n")


def _nbytes(text):
    from ._data.store import parse_nbytes

    try:
        return parse_nbytes(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected auto, a size such as 500M, 2G or a number of bytes, got {text!r}") from None


def _directory(text):
    if not os.path.isdir(text):
        raise argparse.ArgumentTypeError(f"not an existing directory: {text!r}")
    return text


def _int_at_least(lo):
    def parse(text):
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
        if value < lo:
            raise argparse.ArgumentTypeError(f"must be >= {lo}, got {value}")
        return value

    parse.__name__ = f"int>={lo}"
    return parse


def _float_in(lo, hi=math.inf, lo_open=False):
    def parse(text):
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
        ok = math.isfinite(value) and (value > lo if lo_open else value >= lo) and value <= hi
        if not ok:
            lb = "(" if lo_open else "["
            raise argparse.ArgumentTypeError(f"must be in {lb}{lo}, {hi}], got {text}")
        return value

    parse.__name__ = "float"
    return parse


def _auto_or(parse_number):
    """Parse ``"auto"`` as itself and anything else with ``parse_number``."""
    def parse(text):
        if text == "auto":
            return "auto"
        try:
            return parse_number(text)
        except argparse.ArgumentTypeError as exc:  # say that 'auto' is allowed too
            message = str(exc)
            for start in ("expected ", "must be "):
                if message.startswith(start):
                    message = f"{start}'auto' or {message[len(start):]}"
            raise argparse.ArgumentTypeError(message) from None

    parse.__name__ = f"'auto' or {parse_number.__name__}"
    return parse


def _encoding(text):
    try:
        codecs.lookup(text)
    except LookupError:
        raise argparse.ArgumentTypeError(f"unknown encoding {text!r}") from None
    return text


def _regex(text):
    try:
        pattern = re.compile(text)
    except re.error as exc:
        raise argparse.ArgumentTypeError(f"invalid regular expression {text!r}: {exc}") from None
    if pattern.search("") is not None:
        raise argparse.ArgumentTypeError(
            f"the regular expression {text!r} matches the empty string, which would make empty "
            "tokens; use + instead of *")
    if pattern.groups > 1:
        raise argparse.ArgumentTypeError(
            f"the regular expression {text!r} has {pattern.groups} capturing groups; use at "
            "most one (the group is the token), e.g. with (?:...) for the others")
    return text


def _nonzero_int(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
    if value == 0:
        raise argparse.ArgumentTypeError("must be non-zero (use -1 for all cores)")
    return value


_MAIN_EPILOG = """\
examples:
  skw2v train corpus.txt.gz -o vectors.txt --dim 100 --epochs 5
  skw2v train docs/*.txt --whole-file -o vectors.bin --binary --save-model model.npz
  skw2v evaluate vectors.bin --analogies questions-words.txt --similarity wordsim353.tsv
  skw2v neighbors vectors.bin king queen --topn 5
"""

_TRAIN_DESCRIPTION = """\
Train word2vec skip-gram vectors on plain-text files and write them in the
word2vec format.

Each CORPUS is a plain-text file; names ending in .gz or .bz2 are
decompressed. By default every non-blank line is one document (a window never
spans two lines); with --whole-file every file is one document. Files are
streamed line by line, never concatenated in memory (with --whole-file one
file at a time is held in memory).

Tokenisation is the same as SkipGramVectorizer's default, so the CLI and the
Python API give the same vocabulary on the same text: the text is lower-cased
(unless --no-lowercase), and tokens are the matches of scikit-learn's default
token pattern '(?u)\\b\\w\\w+\\b' (words of two or more letters, digits or
underscores; one-letter words and punctuation are dropped), as in
CountVectorizer. --whitespace-tokens splits on whitespace instead, as
str.split(), word2vec and gensim do (one-letter words are kept, punctuation
stays attached; this was the CLI's default in earlier versions);
--token-pattern REGEX uses any other regular expression. The tokenisation is
stated in the log.

Options are named after SkipGramVectorizer's parameters (--n-components,
--n-negatives, --min-count, --subsample, --epochs, --learning-rate,
--random-state, --n-jobs, ...); the word2vec-style names (--dim, --negative,
--sample, --iter, --seed, --jobs) are the same options.

The summary line "<words> words, <dims> dims, <seconds> s, final loss <loss>"
is printed on standard output; progress is shown on standard error.
"""

_EVALUATE_DESCRIPTION = """\
Evaluate word vectors stored in the word2vec text or binary format (detected
automatically unless --binary or --text is given).

--analogies: a question file in the format of Google's questions-words.txt
(': section' lines, then lines 'a b c d': a is to b as c is to d). Each
question is answered with 3CosAdd among the first --restrict-vocab words, as
gensim and word2vec's compute-accuracy do; the accuracy, counts and coverage
of every section and of the total are printed.

--similarity: word-pair files with lines 'word1 word2 score' (tab- or
space-separated, e.g. WordSim-353, MEN). For each file the Spearman and
Pearson correlations between the human scores and the model's cosine
similarities are printed, with the coverage (pairs whose two words are
known).

Words are compared case-insensitively. Results are printed on standard output.
"""

_NEIGHBORS_DESCRIPTION = """\
Print the nearest neighbours of each WORD by cosine similarity: a line 'WORD:'
followed by one line per neighbour with its cosine. An unknown word is
reported on standard error and makes the exit status 1; the other words are
still printed.
"""


def build_parser() -> argparse.ArgumentParser:
    """Build the argument parser of the ``skw2v`` command.

    Returns
    -------
    parser : argparse.ArgumentParser
    """
    parser = _Parser(
        prog="skw2v",
        description="word2vec skip-gram embeddings: train vectors on text files, evaluate "
                    "them, and query nearest neighbours.",
        epilog=_MAIN_EPILOG,
        formatter_class=_HelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"skw2v {__version__}",
                        help="print the skw2v version and exit")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--debug", action="store_true",
                        help="show the full Python traceback on errors instead of a one-line "
                             "message")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True,
                                title="commands")
    train = sub.add_parser(
        "train", parents=[common], formatter_class=_HelpFormatter,
        help="train skip-gram vectors on text files", description=_TRAIN_DESCRIPTION)
    for add_options in (_add_train_files, _add_train_model, _add_train_text,
                        _add_train_resources):
        add_options(train)
    _add_evaluate_options(sub.add_parser(
        "evaluate", parents=[common], formatter_class=_HelpFormatter,
        help="score vectors on analogy and word-similarity benchmarks",
        description=_EVALUATE_DESCRIPTION))
    _add_neighbors_options(sub.add_parser(
        "neighbors", parents=[common], formatter_class=_HelpFormatter,
        help="print the nearest neighbours of words",
        description=_NEIGHBORS_DESCRIPTION))
    return parser


def _add_train_files(parser: argparse.ArgumentParser) -> None:
    """The files of ``skw2v train``: the corpus, the vectors and the model written."""
    parser.add_argument("corpus", nargs="+", metavar="CORPUS",
                        help="plain-text training files (.gz and .bz2 are decompressed)")
    parser.add_argument("-o", "--output", required=True, metavar="OUT",
                        help="where to write the vectors in word2vec format (a .gz or .bz2 "
                             "suffix compresses the file)")
    parser.add_argument("--binary", action="store_true",
                        help="write the word2vec binary format instead of text")
    parser.add_argument("--save-model", metavar="PATH", default=None,
                        help="also save the whole fitted SkipGramVectorizer (vocabulary, counts, "
                             "input and output vectors, parameters) as a native skw2v .npz "
                             "model file, loadable with skw2v.SkipGramVectorizer.load")


def _add_train_model(parser: argparse.ArgumentParser) -> None:
    """The model and optimisation options of ``skw2v train``.

    Each option is also reachable by the name of its SkipGramVectorizer
    parameter (``--n-components`` for ``--dim``, ...): the names of one option
    share one destination, so they are the same option, shown together in
    ``--help``.
    """
    parser.add_argument("--loss", choices=("negative_sampling", "softmax"),
                        default="negative_sampling",
                        help="training objective: negative sampling, or the exact full "
                             "softmax (O(vocabulary) per pair, only for small vocabularies)")
    for flags, default, text in (
            (("--dim", "--n-components"), 100, "dimension of the word vectors"),
            (("--window",), 5, "maximum distance between a center word and a context word"),
            (("--negative", "--n-negatives"), 5,
             "negative samples per (center, context) pair (negative_sampling loss only)"),
            (("--epochs", "--iter"), 5, "passes over the corpus"),
            (("--min-count",), 5, "drop words seen fewer than N times")):
        parser.add_argument(*flags, dest=flags[0][2:].replace("-", "_"), type=_int_at_least(1),
                            default=default, metavar="N", help=text)
    parser.add_argument("--subsample", "--sample", dest="subsample", type=_float_in(0.0, 1.0),
                        default=1e-3, metavar="T",
                        help="threshold of word2vec's frequent-word subsampling; 0 disables it")
    parser.add_argument("--learning-rate", type=_auto_or(_float_in(0.0, lo_open=True)),
                        default="auto", metavar="LR",
                        help="initial SGD learning rate (decays linearly); 'auto' (the "
                             "default) sizes it to the corpus: 0.025 from 16M tokens at 5 "
                             "epochs, up to 0.1 for small corpora")
    parser.add_argument("--min-learning-rate", type=_float_in(0.0), default=None, metavar="LR",
                        help="final learning rate (default: 1e-4, or the initial learning rate "
                             "if that is smaller)")
    parser.add_argument("--batch-size", type=_int_at_least(1), default=1024, metavar="N",
                        help="(center, context) pairs per vectorised SGD step")
    parser.add_argument("--jobs", "--n-jobs", dest="jobs", type=_nonzero_int, default=None,
                        metavar="N",
                        help="parallel jobs for tokenising and training (-1: all cores; default: "
                             "1). With several jobs results vary slightly between runs, unless "
                             "--n-shards is given")
    parser.add_argument("--n-shards", type=_int_at_least(1), default=None, metavar="N",
                        help="train N synchronised shards instead of sharing memory: the same "
                             "vectors for any --n-jobs, at some speed (default: shared memory)")
    parser.add_argument("--syncs-per-epoch", type=_auto_or(_int_at_least(1)), default="auto",
                        metavar="N",
                        help="with --n-shards, how many times per epoch the shards combine "
                             "their changes ('auto', the default: short rounds, which keep the "
                             "quality of one job)")
    parser.add_argument("--seed", "--random-state", dest="seed", type=_int_at_least(0),
                        default=None, metavar="N",
                        help="random seed; with one job the output is then reproducible "
                             "(default: a fresh random seed)")


def _add_train_text(parser: argparse.ArgumentParser) -> None:
    """How ``skw2v train`` decodes and tokenises the corpus, and what a document is."""
    parser.add_argument("--lowercase", action=argparse.BooleanOptionalAction, default=True,
                        help="lower-case the text before tokenising (--no-lowercase keeps case)")
    tokens = parser.add_mutually_exclusive_group()
    tokens.add_argument("--token-pattern", metavar="REGEX", default=None, type=_regex,
                        help="tokens are the matches of REGEX, as in CountVectorizer (default: "
                             "SkipGramVectorizer's token_pattern '(?u)\\b\\w\\w+\\b', words "
                             "of two or more word characters)")
    tokens.add_argument("--whitespace-tokens", dest="token_pattern", action="store_const",
                        const=WHITESPACE_TOKEN_PATTERN,
                        help="split on whitespace, as str.split() (keeps one-letter words and "
                             "punctuation): the same as --token-pattern '\\S+'")
    parser.add_argument("--encoding", default="utf-8", type=_encoding,
                        help="text encoding of the corpus files")
    parser.add_argument("--decode-error", choices=("strict", "replace", "ignore"),
                        default="strict",
                        help="what to do with bytes that cannot be decoded: fail, replace them "
                             "with U+FFFD, or drop them")
    split = parser.add_mutually_exclusive_group()
    split.add_argument("--split-lines", dest="whole_file", action="store_false",
                       help="every non-blank line is one document (the default)")
    split.add_argument("--whole-file", dest="whole_file", action="store_true",
                       help="every file is one document (windows span line breaks)")
    parser.set_defaults(whole_file=False)


def _add_train_resources(parser: argparse.ArgumentParser) -> None:
    """Memory, temporary files and output of ``skw2v train``."""
    parser.add_argument("--spill-threshold", type=_nbytes, default="auto", metavar="SIZE",
                        help="keep the encoded corpus on disk once it exceeds SIZE bytes "
                             "(e.g. 500M, 2G; 0 always): memory then stays at the vectors plus "
                             "a few blocks (default: auto, past a quarter of the available "
                             "memory)")
    parser.add_argument("--temp-folder", default=None, metavar="DIR", type=_directory,
                        help="folder for the spilled corpus (default: the system temporary "
                             "folder); the files are deleted when training ends")
    parser.add_argument("-q", "--quiet", action="store_true",
                        help="no progress or log output on standard error (errors are still "
                             "reported)")


def _add_vectors_argument(parser: argparse.ArgumentParser) -> None:
    """The VECTORS positional argument of the commands that read word vectors."""
    parser.add_argument("vectors", metavar="VECTORS",
                        help="word vectors in word2vec text or binary format (.gz/.bz2 ok)")


def _add_evaluate_options(parser: argparse.ArgumentParser) -> None:
    """The arguments of ``skw2v evaluate``."""
    _add_vectors_argument(parser)
    _add_format_options(parser)
    parser.add_argument("--analogies", metavar="FILE", default=None,
                        help="analogy questions: ': section' header lines followed by "
                             "lines 'a b c d' (a is to b as c is to d)")
    parser.add_argument("--similarity", metavar="FILE", nargs="+", action="extend",
                        default=[],
                        help="one or more word-similarity files (may be repeated)")
    parser.add_argument("--restrict-vocab", type=_int_at_least(0), default=30000, metavar="N",
                        help="search analogy answers among the N most frequent words (the "
                             "first N of the file); 0 uses all words. Similarity pairs use "
                             "the whole vocabulary")


def _add_neighbors_options(parser: argparse.ArgumentParser) -> None:
    """The arguments of ``skw2v neighbors``."""
    _add_vectors_argument(parser)
    parser.add_argument("words", nargs="+", metavar="WORD", help="query words")
    parser.add_argument("--topn", type=_int_at_least(1), default=10, metavar="N",
                        help="number of neighbours per word")
    _add_format_options(parser)


def _add_format_options(parser: argparse.ArgumentParser) -> None:
    """--binary / --text: the format of the vectors file, detected when neither is given."""
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--binary", dest="binary", action="store_const", const=True,
                       default=None,
                       help="the vectors file is in word2vec binary format (default: detected "
                            "from the file)")
    group.add_argument("--text", dest="binary", action="store_const", const=False,
                       help="the vectors file is in word2vec text format (default: detected "
                            "from the file)")


# --------------------------------------------------------------------------
# Input
# --------------------------------------------------------------------------
def _check_input_file(path: str) -> None:
    if not os.path.exists(path):
        raise FileNotFoundError(2, "No such file or directory", path)
    if os.path.isdir(path):
        raise IsADirectoryError(21, "Is a directory", path)


def _same_file(a: str, b: str) -> bool:
    """Whether two paths name the same file (through symbolic or hard links too)."""
    try:
        return os.path.samefile(a, b)
    except OSError:  # one of them does not exist (yet): compare the resolved names
        return os.path.realpath(a) == os.path.realpath(b)


def _check_outputs(inputs: Sequence[str], outputs: Sequence[tuple[str, str]]) -> None:
    """Refuse outputs that would overwrite an input or each other, or cannot be written.

    Runs before training, so that a bad output path costs nothing. Whether a
    directory is writable is found out by creating (and removing) a file in
    it: permission bits do not tell for root, read-only mounts and the like.

    Parameters
    ----------
    inputs : sequence of str
        Files that are read.
    outputs : sequence of (option, path)
        Files that will be written, with the option that names them.
    """
    from ._files.atomic import check_writable

    for i, (option, path) in enumerate(outputs):
        for corpus in inputs:
            if _same_file(path, corpus):
                raise ValueError(
                    f"{option} {path} is the input file {corpus}: writing it would destroy the "
                    "training data; choose another output path")
        for other_option, other in outputs[:i]:
            if _same_file(path, other):
                raise ValueError(f"{option} and {other_option} both name {path}; give them "
                                 "different paths")
        check_writable(path)


def iter_documents(paths: Sequence[str], whole_file: bool = False, encoding: str = "utf-8",
                   errors: str = "strict") -> Iterator[str]:
    """Stream the documents of text files.

    Parameters
    ----------
    paths : sequence of str
        Plain-text files; ``.gz`` and ``.bz2`` files are decompressed.
    whole_file : bool, default=False
        Yield each file as one document instead of one document per line.
    encoding : str, default="utf-8"
        Text encoding.
    errors : {"strict", "replace", "ignore"}, default="strict"
        Decoding error handler.

    Yields
    ------
    document : str
        A non-blank line (without its line break), or the text of a whole
        file. Files are read lazily, one line at a time. Any line break
        (``\\n``, ``\\r\\n``, ``\\r``) ends a line; a UTF-8 byte-order mark is
        dropped.

    Raises
    ------
    ValueError
        If a line cannot be decoded, or a compressed file is corrupted or
        truncated; the message gives the file (and line).
    """
    from ._files.word2vec import open_file

    if codecs.lookup(encoding).name == "utf-8":
        encoding = "utf-8-sig"  # drop a byte-order mark, which would glue onto the first word
    for path in paths:
        line_no = 0
        with _compressed_file_errors(path):
            try:
                with open_file(path, "rb") as raw, io.TextIOWrapper(
                        raw, encoding=encoding, errors=errors, newline=None) as fin:
                    parts: list[str] = []
                    for line_no, line in enumerate(fin, start=1):  # noqa: B007 (see except)
                        if whole_file:
                            parts.append(line)
                        elif not line.isspace():
                            yield line.rstrip("\n")
                    if whole_file:
                        yield "".join(parts)
            except UnicodeDecodeError as exc:
                where = _decode_error_line(path, encoding) or line_no + 1
                raise ValueError(
                    f"{path}: line {where}: cannot decode as {encoding} ({exc.reason}); "
                    "pass the right --encoding, or --decode-error replace") from None


@contextlib.contextmanager
def _compressed_file_errors(path: str) -> Iterator[None]:
    """Turn an error of a damaged ``.gz`` / ``.bz2`` file read in the block into a ValueError.

    The one place where the CLI recognises damaged compressed input, by type:
    ``EOFError`` (truncated stream), ``zlib.error`` and ``gzip.BadGzipFile``
    (damaged data), and for ``.bz2`` files an OSError without an errno (how
    ``bz2`` reports invalid data). The ValueError names ``path``. Other
    errors (a missing file, a permission problem) pass unchanged.

    Parameters
    ----------
    path : str
        The file read in the block.

    Yields
    ------
    None
    """
    try:
        yield
    except (EOFError, zlib.error, OSError) as exc:
        compressed = os.fsdecode(path).lower().endswith((".gz", ".bz2"))
        if isinstance(exc, (EOFError, zlib.error, gzip.BadGzipFile)) or (
                compressed and isinstance(exc, OSError) and exc.errno is None):
            raise ValueError(f"{path}: cannot read compressed file ({exc}); truncated or "
                             "corrupted?") from None
        raise


def _decode_error_line(path: str, encoding: str) -> int | None:
    """Line number of the first decoding error of a file (exact for ASCII-compatible codecs).

    The text reader decodes in large blocks, so its errors do not tell the line.
    """
    from ._files.word2vec import open_file

    decoder = codecs.getincrementaldecoder(encoding)()
    n_newlines = 0
    try:
        with open_file(path, "rb") as fin:
            for piece in fin:
                try:
                    n_newlines += decoder.decode(piece).count("\n")
                except UnicodeDecodeError:
                    return n_newlines + 1
    except (OSError, EOFError, zlib.error):
        return None
    return None


def _load_vectors(path: str, binary: bool | None):
    from ._files.word2vec import sniff_binary
    from .keyedvectors import KeyedVectors

    _check_input_file(path)
    with _compressed_file_errors(path):
        if binary is None:
            binary = sniff_binary(path)
        kv = KeyedVectors.load_word2vec_format(path, binary=binary)
    logger.info("loaded %d vectors of dimension %d from %s (word2vec %s format)", len(kv),
                kv.vector_size, path, "binary" if binary else "text")
    return kv


# --------------------------------------------------------------------------
# Commands
# --------------------------------------------------------------------------
def _check_train_paths(args) -> None:
    """Check the corpus files, the outputs and the temporary folder before training."""
    for path in args.corpus:
        _check_input_file(path)
    outputs = [("-o/--output", args.output)]
    if args.save_model:
        outputs.append(("--save-model", args.save_model))
    _check_outputs(args.corpus, outputs)
    if args.temp_folder:
        from ._files.atomic import check_writable_dir

        check_writable_dir(args.temp_folder)  # the spilled corpus goes there


def _estimator_for(args):
    """The SkipGramVectorizer that ``skw2v train`` fits, from its options."""
    from ._estimator import SkipGramVectorizer

    min_lr = args.min_learning_rate
    if min_lr is None:
        min_lr = 1e-4 if args.learning_rate == "auto" else min(1e-4, args.learning_rate)
    # Without --token-pattern / --whitespace-tokens the estimator's own default
    # applies, so the CLI and the Python API cannot drift apart.
    text = {} if args.token_pattern is None else {"token_pattern": args.token_pattern}
    return SkipGramVectorizer(
        n_components=args.dim, window=args.window, loss=args.loss, n_negatives=args.negative,
        min_count=args.min_count, subsample=args.subsample, epochs=args.epochs,
        learning_rate=args.learning_rate, min_learning_rate=min_lr,
        batch_size=args.batch_size, lowercase=args.lowercase, **text,
        n_jobs=args.jobs, n_shards=args.n_shards, syncs_per_epoch=args.syncs_per_epoch,
        random_state=args.seed, verbose=0 if args.quiet else 1,
        spill_threshold=args.spill_threshold, temp_folder=args.temp_folder)


def _describe_tokenisation(token_pattern: str, lowercase: bool) -> str:
    """How ``skw2v train`` tokenises, in words, as its log states it.

    Parameters
    ----------
    token_pattern : str
        The estimator's ``token_pattern``.
    lowercase : bool
        Whether the text is lower-cased first.

    Returns
    -------
    text : str
        For example ``"tokens: matches of the token pattern '(?u)\\b\\w\\w+\\b'
        (SkipGramVectorizer's default: one-letter words and punctuation dropped;
        --whitespace-tokens keeps them), lower-cased"``.
    """
    if token_pattern == WHITESPACE_TOKEN_PATTERN:
        how = (f"whitespace-separated (token pattern '{token_pattern}', as str.split(): "
               "one-letter words and punctuation kept; --whitespace-tokens)")
    elif token_pattern == _default_token_pattern():
        how = (f"matches of the token pattern '{token_pattern}' (SkipGramVectorizer's default: "
               "one-letter words and punctuation dropped; --whitespace-tokens keeps them)")
    else:
        how = f"matches of the token pattern '{token_pattern}' (--token-pattern)"
    return f"tokens: {how}, {'lower-cased' if lowercase else 'case kept'}"


def _default_token_pattern() -> str:
    from ._estimator import SkipGramVectorizer

    return SkipGramVectorizer().token_pattern


def _fit_on_files(estimator, args) -> tuple[int, float]:
    """Fit ``estimator`` on the corpus files of ``args``.

    Parameters
    ----------
    estimator : SkipGramVectorizer
        Unfitted.
    args : argparse.Namespace
        The options of ``skw2v train``.

    Returns
    -------
    n_docs : int
        Documents read.
    seconds : float
        Wall time of the fit.

    Raises
    ------
    ValueError
        Naming the CLI options when the corpus is empty or no word is
        frequent enough.
    """
    n_docs, exhausted = 0, False

    def documents():
        nonlocal n_docs, exhausted
        for doc in iter_documents(args.corpus, whole_file=args.whole_file,
                                  encoding=args.encoding, errors=args.decode_error):
            n_docs += 1
            yield doc
        exhausted = True

    logger.info("training on %d file(s): %s", len(args.corpus), ", ".join(args.corpus))
    logger.info("%s; documents: %s", _describe_tokenisation(estimator.token_pattern,
                                                           estimator.lowercase),
                "one per file" if args.whole_file else "one per non-blank line")
    start = time.perf_counter()
    try:
        estimator.fit(documents())
    except ValueError as exc:
        # Told apart by where the fit stopped, not by the message: the options were
        # validated before the corpus was read, and once it is read a ValueError before
        # training means there is nothing to train on (an empty vocabulary, or no
        # document with two words in reach after pruning or subsampling). The
        # estimator's message says which; the CLI adds the options that change it.
        if exhausted and n_docs == 0:
            raise ValueError("the corpus is empty: the file(s) contain no non-blank line") from exc
        if exhausted and not hasattr(estimator, "vectors_"):
            raise ValueError(
                f"nothing to train on in the {n_docs} documents: {exc} Options that change "
                f"this: --min-count (now {args.min_count}), --subsample (now "
                f"{args.subsample:g}), --token-pattern or --whitespace-tokens (the tokenisation), "
                "--whole-file (longer documents).") from exc
        raise
    return n_docs, time.perf_counter() - start


def _cmd_train(args) -> int:
    _check_train_paths(args)
    estimator = _estimator_for(args)
    n_docs, seconds = _fit_on_files(estimator, args)
    logger.info("read %d documents, %d tokens kept", n_docs, estimator.n_tokens_)

    kv = estimator.wv_
    kv.save_word2vec_format(args.output, binary=args.binary)  # atomic
    logger.info("wrote %s vectors to %s", "binary" if args.binary else "text", args.output)
    if args.save_model:
        estimator.save(args.save_model)
        logger.info("saved the model to %s", args.save_model)
    final_loss = float(estimator.loss_curve_[-1])
    print(f"{len(kv)} words, {kv.vector_size} dims, {seconds:.2f} s, final loss "
          f"{final_loss:.6g}")
    return 0


def _fmt(x: float, width: int) -> str:
    return f"{x:{width}.4f}"


def _cmd_evaluate(args) -> int:
    from .evaluation import evaluate_analogies, evaluate_similarity, read_analogies, read_similarity

    if not args.analogies and not args.similarity:
        raise ValueError("nothing to evaluate: pass --analogies FILE and/or --similarity FILE")
    # Parse the (small) benchmark files first: fail fast, before loading the vectors.
    questions = read_analogies(args.analogies) if args.analogies else None
    pair_sets = [(path, read_similarity(path)) for path in args.similarity]
    kv = _load_vectors(args.vectors, args.binary)
    blocks = []
    if questions is not None:
        result = evaluate_analogies(kv, questions, restrict_vocab=args.restrict_vocab or None)
        blocks.append(f"analogies: {args.analogies} (answers searched among "
                      f"{result.restrict_vocab} words)\n{result.summary()}")
        if result.n_attempted == 0:
            logger.warning("no analogy question has all four words in the vocabulary")
    if pair_sets:
        results = [(path, evaluate_similarity(kv, pairs, restrict_vocab=None))
                   for path, pairs in pair_sets]
        width = max(len("similarity"), *(len(p) for p, _ in results))
        lines = [f"{'similarity':<{width}}  spearman   pearson      used     pairs  coverage"]
        for path, r in results:
            lines.append(f"{path:<{width}}  {_fmt(r.spearman, 8)}  {_fmt(r.pearson, 8)}  "
                         f"{r.n_used:8d}  {r.n_pairs:8d}  {_fmt(r.coverage, 8)}")
        blocks.append("\n".join(lines))
    print("\n\n".join(blocks))
    return 0


def _cmd_neighbors(args) -> int:
    kv = _load_vectors(args.vectors, args.binary)
    status = 0
    for word in args.words:
        try:
            neighbours = kv.most_similar(word, topn=args.topn)
        except KeyError as exc:
            sys.stdout.flush()
            print(f"skw2v: error: {_message(exc)}", file=sys.stderr, flush=True)
            status = 1
            continue
        print(f"{word}:")
        width = max([len(w) for w, _ in neighbours], default=0)
        for other, cosine in neighbours:
            print(f"  {other:<{width}}  {cosine:.4f}")
    return status


_COMMANDS = {"train": _cmd_train, "evaluate": _cmd_evaluate, "neighbors": _cmd_neighbors}


# --------------------------------------------------------------------------
# Entry point
# --------------------------------------------------------------------------
def _is_unknown_word(exc: BaseException) -> bool:
    """Whether ``exc`` is the KeyError of a word missing from a KeyedVectors."""
    if not isinstance(exc, KeyError):
        return False  # and no need to import the module
    from .keyedvectors import UnknownWordError

    return isinstance(exc, UnknownWordError)


def _message(exc: BaseException) -> str:
    """One-line description of an expected error."""
    if isinstance(exc, OSError) and exc.filename is not None and exc.strerror:
        text = f"{exc.strerror}: {os.fsdecode(exc.filename)}"
    elif _is_unknown_word(exc):
        text = exc.message  # as is: str() of a KeyError would quote it
    elif isinstance(exc, MemoryError):
        text = f"out of memory {exc}".strip()
    else:
        text = str(exc) or type(exc).__name__
    return " ".join(text.split())


@contextlib.contextmanager
def _logging_to_stderr(quiet: bool):
    """Send the ``skw2v`` logger to standard error for the duration of a command."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("[skw2v] %(message)s"))
    old = logger.level, logger.propagate
    logger.addHandler(handler)
    logger.setLevel(logging.WARNING if quiet else logging.INFO)
    logger.propagate = False
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old[0])
        logger.propagate = old[1]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``skw2v`` command.

    Parameters
    ----------
    argv : sequence of str, optional
        Command-line arguments without the program name; defaults to
        ``sys.argv[1:]``.

    Returns
    -------
    status : int
        0 on success, 1 on an error, 2 on invalid usage (raised as
        :class:`SystemExit` by argparse), 130 when interrupted (Ctrl-C), 143 when
        terminated (SIGTERM) during training.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        with _logging_to_stderr(getattr(args, "quiet", False)):
            return _COMMANDS[args.command](args)
    except BrokenPipeError:
        # The reader of our output went away (e.g. `| head`): stop quietly.
        with contextlib.suppress(OSError):
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        return 141
    except KeyboardInterrupt as exc:
        if args.debug:
            raise
        if isinstance(exc, SystemExit) and isinstance(exc.code, int):
            # SIGTERM during a fit: the fit raised it with 128 + the signal's number
            print("skw2v: terminated", file=sys.stderr)
            return exc.code
        print("skw2v: interrupted", file=sys.stderr)
        return 130
    except (ValueError, TypeError, OSError, KeyError, EOFError, MemoryError,
            FloatingPointError) as exc:  # FloatingPointError: skw2v.TrainingDiverged
        if args.debug:
            raise
        sys.stdout.flush()
        print(f"skw2v: error: {_message(exc)}", file=sys.stderr)
        return 1
