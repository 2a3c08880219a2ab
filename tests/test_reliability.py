"""Resumption, incremental training, interruption and concurrency."""

import threading

import numpy as np
import pytest

from skw2v import Checkpoint, SkipGramVectorizer, TrainingDiverged


def test_checkpoint_resume_equals_uninterrupted_fit(planted, small_params, tmp_path,
                                                    interrupt_after):
    docs = list(planted[0])
    full = SkipGramVectorizer(**small_params).fit(docs)
    ckpt = tmp_path / "fit.ckpt.npz"
    est = SkipGramVectorizer(**small_params, callbacks=[Checkpoint(ckpt), interrupt_after(2)])
    with pytest.raises(KeyboardInterrupt):
        est.fit(docs)
    assert not hasattr(est, "vectors_")  # interrupted fit leaves it unfitted
    resumed = SkipGramVectorizer(**small_params).fit(docs, resume_from=ckpt)
    np.testing.assert_array_equal(resumed.vectors_, full.vectors_)
    np.testing.assert_array_equal(resumed.output_vectors_, full.output_vectors_)
    np.testing.assert_array_equal(resumed.loss_curve_, full.loss_curve_)
    np.testing.assert_array_equal(resumed.transform(docs), full.transform(docs))


def test_resume_rejects_other_parameters_or_corpus(planted, small_params, tmp_path,
                                                   interrupt_after):
    docs = list(planted[0])
    ckpt = tmp_path / "c.npz"
    est = SkipGramVectorizer(**small_params, callbacks=[Checkpoint(ckpt), interrupt_after(0)])
    with pytest.raises(KeyboardInterrupt):
        est.fit(docs)
    with pytest.raises(ValueError, match="different parameters.*window"):
        SkipGramVectorizer(**{**small_params, "window": 2}).fit(docs, resume_from=ckpt)
    with pytest.raises(ValueError, match="vocabulary differs"):
        SkipGramVectorizer(**small_params).fit(docs[:30], resume_from=ckpt)
    (tmp_path / "junk.npz").write_bytes(b"not a zip file")
    with pytest.raises(ValueError, match="not a readable skw2v checkpoint"):
        SkipGramVectorizer(**small_params).fit(docs, resume_from=tmp_path / "junk.npz")


@pytest.mark.parametrize("name, value", [("stop_words", ["t0w1"]), ("min_df", 2),
                                         ("max_df", 0.99)])
def test_resume_rejects_other_vocabulary_options(planted, small_params, tmp_path, name, value,
                                                 interrupt_after):
    """Parameters that change the training corpus are part of a checkpoint's parameters."""
    docs = list(planted[0])
    ckpt = tmp_path / "c.npz"
    est = SkipGramVectorizer(**small_params, callbacks=[Checkpoint(ckpt), interrupt_after(0)])
    with pytest.raises(KeyboardInterrupt):
        est.fit(docs)
    with pytest.raises(ValueError, match=f"different parameters.*{name}"):
        SkipGramVectorizer(**small_params, **{name: value}).fit(docs, resume_from=ckpt)


def test_checkpoint_without_vocabulary_options_resumes_with_their_defaults(
        planted, small_params, tmp_path, interrupt_after):
    """A checkpoint written before stop_words, min_df, max_df and the subword parameters
    existed was fitted without them."""
    import json

    docs = list(planted[0])
    ckpt = tmp_path / "c.npz"
    est = SkipGramVectorizer(**small_params, callbacks=[Checkpoint(ckpt), interrupt_after(1)])
    with pytest.raises(KeyboardInterrupt):
        est.fit(docs)
    with np.load(ckpt, allow_pickle=False) as data:
        arrays = {k: data[k] for k in data.files}
    meta = json.loads(arrays["meta"].tobytes())
    for name in ("stop_words", "min_df", "max_df", "char_ngram_range", "n_buckets",
                 "word_boundaries"):
        del meta["params"][name]
    arrays["meta"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
    older = tmp_path / "older.npz"
    np.savez(older, **arrays)
    full = SkipGramVectorizer(**small_params).fit(docs)
    resumed = SkipGramVectorizer(**small_params).fit(docs, resume_from=older)
    np.testing.assert_array_equal(resumed.vectors_, full.vectors_)
    with pytest.raises(ValueError, match="different parameters.*min_df"):
        SkipGramVectorizer(**small_params, min_df=2).fit(docs, resume_from=older)
    with pytest.raises(ValueError, match="different parameters.*char_ngram_range"):
        SkipGramVectorizer(**small_params, char_ngram_range=(3, 4)).fit(docs, resume_from=older)


def test_interrupt_keeps_previous_fitted_state(planted, small_params, interrupt_after):
    docs = list(planted[0])
    est = SkipGramVectorizer(**small_params).fit(docs)
    before = est.vectors_.copy()
    curve = est.loss_curve_.copy()
    est.set_params(callbacks=[interrupt_after(1)], random_state=1)
    with pytest.raises(KeyboardInterrupt):
        est.fit(docs)
    np.testing.assert_array_equal(est.vectors_, before)
    np.testing.assert_array_equal(est.loss_curve_, curve)
    # partial_fit numbers its epochs after the ones already done
    est.set_params(callbacks=[interrupt_after(len(curve) + 1)])
    with pytest.raises(KeyboardInterrupt):
        est.partial_fit(docs)
    np.testing.assert_array_equal(est.vectors_, before)
    np.testing.assert_array_equal(est.loss_curve_, curve)


def test_divergence_leaves_previous_state(planted, small_params, unbounded_loss):
    docs = list(planted[0])
    est = SkipGramVectorizer(**small_params).fit(docs)
    before = est.vectors_.copy()
    # built-in losses bound every step; one without curvature bounds can diverge
    est.set_params(learning_rate=1e30, loss=unbounded_loss)
    with pytest.raises(TrainingDiverged, match="learning_rate"):
        est.fit(docs)
    np.testing.assert_array_equal(est.vectors_, before)
    assert np.all(np.isfinite(est.vectors_))


def test_partial_fit_continues_with_frozen_vocabulary(planted, small_params):
    docs = list(planted[0])
    est = SkipGramVectorizer(**small_params).fit(docs[:45])
    vocab = dict(est.vocabulary_)
    counts = est.word_counts_.copy()
    before = est.vectors_.copy()
    est.partial_fit(docs[45:] + ["brandnewword t0w1 brandnewword t0w2"])
    assert est.vocabulary_ == vocab  # new words are ignored
    np.testing.assert_array_equal(est.word_counts_, counts)
    assert len(est.loss_curve_) == 2 * small_params["epochs"]
    assert len(est.n_pairs_) == 2 * small_params["epochs"]
    assert not np.array_equal(est.vectors_, before)
    assert np.all(np.isfinite(est.vectors_))


def test_partial_fit_is_reproducible_and_fits_when_unfitted(planted, small_params):
    docs = list(planted[0])
    a = SkipGramVectorizer(**small_params).partial_fit(docs)
    b = SkipGramVectorizer(**small_params).fit(docs)
    np.testing.assert_array_equal(a.vectors_, b.vectors_)
    a.partial_fit(docs)
    b.partial_fit(docs)
    np.testing.assert_array_equal(a.vectors_, b.vectors_)


def test_partial_fit_rejects_changed_dimension(planted, small_params):
    docs = list(planted[0])
    est = SkipGramVectorizer(**small_params).fit(docs)
    est.set_params(n_components=small_params["n_components"] + 1)
    with pytest.raises(ValueError, match="n_components"):
        est.partial_fit(docs)


def test_partial_fit_improves_planted_topics(make_corpus, small_params, separation):
    docs, _, topics = make_corpus(n_docs=60, seed=3)
    est = SkipGramVectorizer(**{**small_params, "epochs": 1}).fit(docs)
    first = separation(est.index_to_key_, est.vectors_, topics)
    for _ in range(4):
        est.partial_fit(docs)
    assert separation(est.index_to_key_, est.vectors_, topics) >= max(first, 0.9)


def test_transform_is_thread_safe(planted, small_params):
    docs = list(planted[0])
    est = SkipGramVectorizer(**{**small_params, "pooling": "sif"}).fit(docs)
    expected = est.transform(docs)
    results, errors = [None] * 8, []

    def work(i):
        try:
            for _ in range(5):
                out = est.transform(docs)
                if not np.array_equal(out, expected):
                    raise AssertionError("different result under concurrency")
            results[i] = out
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert all(r is not None for r in results)


def test_from_keyed_vectors_transforms_without_training(planted, small_params, tmp_path):
    from skw2v import KeyedVectors

    docs = list(planted[0])
    trained = SkipGramVectorizer(**small_params).fit(docs)
    path = tmp_path / "vectors.txt"
    trained.wv_.save_word2vec_format(path)
    pre = SkipGramVectorizer.from_keyed_vectors(path, pooling="mean")
    assert pre.n_components == small_params["n_components"]
    np.testing.assert_allclose(pre.transform(docs), trained.transform(docs), rtol=1e-6)
    kv = KeyedVectors.load_word2vec_format(path)
    pre2 = SkipGramVectorizer.from_keyed_vectors(kv, pooling="sif")
    assert pre2.transform(docs[:3]).shape == (3, small_params["n_components"])
    # and it can train further from there (small batches: a 24-word vocabulary
    # repeats every row ~40 times in a 1024-pair batch)
    pre.set_params(min_count=1, subsample=0.0, epochs=1, batch_size=64)
    pre.partial_fit(docs)
    assert len(pre.loss_curve_) == 1 and np.all(np.isfinite(pre.vectors_))


def test_initial_vectors_start_training_from_pretrained(planted, small_params, separation):
    docs, _, topics = planted
    good = SkipGramVectorizer(**small_params).fit(list(docs))
    # one epoch at a tiny learning rate barely moves the vectors: the start shows
    params = {**small_params, "epochs": 1, "learning_rate": 1e-6, "min_learning_rate": 0.0}
    warm = SkipGramVectorizer(**params, initial_vectors=good.wv_).fit(list(docs))
    cold = SkipGramVectorizer(**params).fit(list(docs))
    np.testing.assert_allclose(warm.vectors_, good.vectors_, atol=1e-3)
    assert separation(warm.index_to_key_, warm.vectors_, topics) == 1.0
    assert separation(cold.index_to_key_, cold.vectors_, topics) < 0.5
    with pytest.raises(ValueError, match="n_components"):
        SkipGramVectorizer(**{**params, "n_components": 3},
                           initial_vectors=good.wv_).fit(list(docs))


def test_finite_blow_up_raises_training_diverged(planted, small_params, unbounded_loss):
    """lr=0.05 on a 24-word vocabulary with 1024-pair batches explodes without NaN
    when the steps are not bounded."""
    docs = list(planted[0])
    est = SkipGramVectorizer(**small_params, loss=unbounded_loss, learning_rate=0.05)
    with pytest.raises(TrainingDiverged, match="over 10 times its starting value"):
        est.fit(docs)
    assert not hasattr(est, "vectors_")
    # the same data trains fine with smaller batches
    ok = SkipGramVectorizer(**small_params, loss=unbounded_loss, learning_rate=0.05,
                            batch_size=64)
    assert np.all(np.isfinite(ok.fit(docs).loss_curve_))


@pytest.mark.parametrize("loss", ["negative_sampling", "softmax"])
def test_built_in_losses_bound_the_blow_up(planted, small_params, loss):
    """The setting above trains with the built-in losses, whose steps are bounded."""
    est = SkipGramVectorizer(**small_params, loss=loss, learning_rate=0.05).fit(list(planted[0]))
    assert np.all(np.isfinite(est.loss_curve_))
    assert est.loss_curve_[-1] < est.loss_curve_[0]


# ------------------------------------------------------------------ logging
@pytest.fixture
def bare_logging():
    """Logging as an application that configured nothing sees it.

    pytest adds its capturing handlers to the root logger for the test call,
    after fixtures run: the root's handler list is replaced by one that
    ignores additions until the test ends.
    """
    import logging

    root = logging.root
    saved = root.handlers

    class Bare(list):
        pass

    root.handlers = Bare()  # pytest appends its handlers here; drop them on use
    root.handlers.append = lambda h: None
    yield
    root.handlers = saved


def _logging_state():
    import logging

    log = logging.getLogger("skw2v")
    return (list(log.handlers), log.level, log.propagate, list(logging.root.handlers),
            logging.root.level)


def test_package_adds_only_a_null_handler():
    import logging

    import skw2v  # noqa: F401

    handlers = logging.getLogger("skw2v").handlers
    assert handlers and all(isinstance(h, logging.NullHandler) for h in handlers)


@pytest.mark.parametrize("method", ["fit", "fit_transform", "partial_fit"])
def test_verbose_fit_leaves_logging_state_unchanged(planted, small_params, method, capsys,
                                                    bare_logging):
    before = _logging_state()
    est = SkipGramVectorizer(**{**small_params, "epochs": 2}, verbose=1)
    getattr(est, method)(list(planted[0]))
    assert _logging_state() == before
    assert "epoch 2/2" in capsys.readouterr().err  # shown while fitting


def test_verbose_state_restored_after_an_error(planted, small_params, bare_logging,
                                               interrupt_after):
    before = _logging_state()
    with pytest.raises(KeyboardInterrupt):
        SkipGramVectorizer(**small_params, verbose=1, callbacks=[interrupt_after(0)]).fit(
            list(planted[0]))
    assert _logging_state() == before


def test_quiet_fit_after_verbose_fit_prints_nothing(planted, small_params, capsys,
                                                     bare_logging):
    import logging

    docs = list(planted[0])
    SkipGramVectorizer(**{**small_params, "epochs": 1}, verbose=1).fit(docs)
    assert "epoch 1/1" in capsys.readouterr().err
    SkipGramVectorizer(**{**small_params, "epochs": 1}, verbose=0).fit(docs)
    logging.getLogger("skw2v").info("not shown: no handler, level WARNING")
    logging.getLogger("skw2v.cli").info("nor this")
    out = capsys.readouterr()
    assert out.out == "" and out.err == ""


def test_verbose_respects_configured_handler_and_level(planted, small_params, capsys,
                                                       bare_logging):
    import io
    import logging

    log = logging.getLogger("skw2v")
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    log.addHandler(handler)
    try:
        SkipGramVectorizer(**{**small_params, "epochs": 1}, verbose=1).fit(list(planted[0]))
        assert "epoch 1/1" in stream.getvalue()  # through the application's handler
        assert "epoch" not in capsys.readouterr().err  # and no second, temporary one
        log.setLevel(logging.WARNING)  # the application silenced skw2v
        stream.truncate(0)
        SkipGramVectorizer(**{**small_params, "epochs": 1}, verbose=1).fit(list(planted[0]))
        assert stream.getvalue() == ""
        assert log.level == logging.WARNING
    finally:
        log.removeHandler(handler)
        log.setLevel(logging.NOTSET)


def test_epoch_lines_do_not_collide_with_the_progress_bar(planted, small_params, capsys,
                                                          bare_logging):
    pytest.importorskip("tqdm")
    SkipGramVectorizer(**{**small_params, "epochs": 3}, verbose=1).fit(list(planted[0]))
    err = capsys.readouterr().err
    lines = [ln for ln in err.replace("\r", "\n").split("\n") if "epoch" in ln]
    # every epoch line starts on a line of its own, not after a bar's text
    assert [ln.startswith("[skw2v] epoch") for ln in lines] == [True] * 3
    assert "loss=" not in err  # the loss is shown once, in the epoch line


# ------------------------------------------------------- noise distribution
@pytest.mark.parametrize("exponent", [60, 100])
def test_large_noise_exponent_samples_the_most_frequent_word(exponent):
    from skw2v._core.vocab import noise_sampler

    counts = np.array([10 ** 6, 9 * 10 ** 5, 10, 1])  # 10**6 ** 60 overflows float64
    draws = noise_sampler(counts, exponent).sample(20000, np.random.default_rng(0))
    share = np.bincount(draws, minlength=4) / draws.size
    # 0.9 ** 60 ~ 0.0018: word 0 nearly always, never the rare ones
    assert share[0] > 0.99 and share[2] == share[3] == 0


def test_noise_exponent_60_in_a_fit_draws_the_most_frequent_word(monkeypatch):
    import skw2v._fitting.trainer as est_mod

    samplers = []
    real = est_mod.noise_sampler
    monkeypatch.setattr(est_mod, "noise_sampler", lambda *a: samplers.append(real(*a)) or
                        samplers[-1])
    # "aa" is 300,000 times as frequent as the rest: 300000 ** 60 overflows
    docs = ["aa " * 300000 + "bb cc"]
    est = SkipGramVectorizer(n_components=4, min_count=1, subsample=0, epochs=1,
                             noise_exponent=60, learning_rate=1e-4, min_learning_rate=0,
                             random_state=0).fit(docs)
    draws = samplers[0].sample(5000, np.random.default_rng(0))
    assert np.all(draws == est.vocabulary_["aa"])
    assert np.all(np.isfinite(est.vectors_))


def test_noise_weights_match_the_power_where_it_is_finite():
    from skw2v._core.vocab import noise_weights

    counts = np.array([5, 3, 0, 1, 8])
    for a in (0.0, 0.5, 0.75, 1.0, 2.0):
        w = noise_weights(counts, a)
        expected = counts.astype(float) ** a
        np.testing.assert_allclose(w / w.sum(), expected / expected.sum())


# ----------------------------------------------------- parameter validation
@pytest.mark.parametrize("name, value", [
    ("window", 2 ** 31),
    ("window", 2 ** 31 - 1),
    ("window", 10 ** 30),
    ("n_components", 2 ** 40),
    ("n_negatives", 2 ** 40),
    ("epochs", 2 ** 62),
    ("batch_size", 2 ** 63),
    ("min_count", 2 ** 64),
    ("max_vocab_size", 2 ** 70),
    ("n_shards", 2 ** 40),
    ("syncs_per_epoch", 2 ** 40),
    ("n_jobs", 2 ** 70),
    ("n_jobs", -(2 ** 40)),
    ("random_state", 2 ** 40),
    ("random_state", -1),
    ("random_state", "0"),
    ("learning_rate", 10 ** 400),
    ("sif_alpha", 10 ** 400),
    ("subsample", "1e-3"),
    ("noise_exponent", float("inf")),
    ("noise_exponent", 1e6),
    ("noise_exponent", -1),
    ("spill_threshold", "1" * 400),
    ("spill_threshold", "1" * 5000),
    ("spill_threshold", 2 ** 70),
    ("spill_threshold", "lots"),
    ("spill_threshold", 1.5),
    ("encoding", "no-such-codec"),
    ("encoding", 8),
    ("token_pattern", "(unclosed"),
    ("token_pattern", 12),
    ("lowercase", "yes"),
    ("strip_accents", "greek"),
    ("preprocessor", "lower"),
    ("tokenizer", 3),
    ("pooling", np.array(["mean"])),
    ("input", ["content"]),
    ("initial_vectors", 3.5),
    ("callbacks", 7),
    ("verbose", -1),
    ("verbose", "loud"),
    ("dtype", -1),
    ("dtype", "abc"),
    ("token_pattern", None),
    ("initial_vectors", "/no/such/vectors.txt"),
], ids=lambda v: repr(v)[:20])
def test_out_of_range_parameters_raise_naming_them(planted, name, value):
    est = SkipGramVectorizer(**{"min_count": 1, "epochs": 1, "n_components": 4, name: value})
    with pytest.raises(ValueError, match=f"'{name}'") as exc:
        est.fit(list(planted[0])[:5])
    message = str(exc.value)
    assert "Use " in message or "use " in message or "one of" in message or "must be" in message
    assert len(message) < 600  # a huge value is not echoed in full
    assert not hasattr(est, "vectors_")


@pytest.mark.parametrize("name, value", [("window", 1 << 20), ("noise_exponent", 100),
                                         ("spill_threshold", "1.5K"), ("random_state", 2 ** 32 - 1),
                                         ("n_jobs", -2), ("epochs", 1)])
def test_large_but_sensible_values_are_accepted(planted, name, value):
    est = SkipGramVectorizer(**{"min_count": 1, "epochs": 1, "n_components": 4, name: value})
    est.fit(list(planted[0])[:10])
    assert np.all(np.isfinite(est.vectors_))


def test_vectors_too_large_for_memory_name_the_parameters(planted, monkeypatch):
    import skw2v._fitting.trainer as trainer

    def no_memory(*args, **kwargs):
        raise MemoryError("Unable to allocate 32.0 TiB")

    monkeypatch.setattr(trainer, "uniform_init", no_memory)
    with pytest.raises(MemoryError, match="n_components") as exc:
        SkipGramVectorizer(min_count=1, epochs=1).fit(list(planted[0]))
    assert "min_count" in str(exc.value) and "max_vocab_size" in str(exc.value)


# -------------------------------------------------------------- zero pairs
@pytest.mark.parametrize("docs", [
    ["just two words", "two words again"],
    ["alpha beta", "beta gamma", "gamma alpha"],
])
def test_subsampling_everything_away_raises_suggesting_subsample_0(docs):
    est = SkipGramVectorizer(min_count=1, random_state=0)
    with pytest.raises(ValueError, match=r"subsample=0") as exc:
        est.fit(docs)
    assert "No training pairs" in str(exc.value) and "small" in str(exc.value)
    assert not hasattr(est, "vectors_")
    # the fix works
    est = SkipGramVectorizer(min_count=1, subsample=0, random_state=0).fit(docs)
    assert np.all(est.n_pairs_ > 0) and np.all(np.isfinite(est.loss_curve_))


def test_an_epoch_without_pairs_warns_naming_subsample():
    docs = ["aa bb cc dd ee ff gg hh ii jj kk"] * 3
    est = SkipGramVectorizer(min_count=1, epochs=5, random_state=0)
    with pytest.warns(UserWarning, match=r"no training pairs.*subsample") as rec:
        est.fit(docs)
    assert 0 in est.n_pairs_ and np.any(est.n_pairs_ > 0)
    assert any(w.filename == __file__ for w in rec)  # points at the caller


def test_subsampling_nearly_everything_warns():
    docs = [" ".join(["aa"] * 400 + ["bb", "cc"]), " ".join(["aa"] * 400 + ["dd"])]
    with pytest.warns(UserWarning, match=r"dropped 9\d% .*subsample=0"):
        est = SkipGramVectorizer(min_count=1, epochs=2, random_state=0).fit(docs)
    assert np.all(est.n_pairs_ > 0)


def test_partial_fit_without_pairs_raises_and_keeps_the_model(planted, small_params):
    est = SkipGramVectorizer(**small_params).fit(list(planted[0]))
    before = est.vectors_.copy(), est.loss_curve_.copy()
    # every word has frequency ~1/24 >> 1e-6: each token is kept with p ~ 0.005
    est.set_params(subsample=1e-6)
    with pytest.raises(ValueError, match="No training pairs in any.*subsample=0"):
        est.partial_fit(["t0w1 t0w2", "t1w1 t1w2"])
    np.testing.assert_array_equal(est.vectors_, before[0])
    np.testing.assert_array_equal(est.loss_curve_, before[1])


# ----------------------------------------------------------------- 2-D input
@pytest.fixture
def frame(planted):
    pd = pytest.importorskip("pandas")
    docs, labels, _ = planted
    return pd.DataFrame({"text": list(docs), "label": labels})


def _two_d_inputs(frame):
    return {
        "DataFrame": frame,
        "one-column DataFrame": frame[["text"]],
        "2-D array": frame[["text"]].to_numpy(),
        "2-D array, two columns": frame.to_numpy(),
    }


@pytest.mark.parametrize("kind", ["DataFrame", "one-column DataFrame", "2-D array",
                                  "2-D array, two columns"])
@pytest.mark.parametrize("method", ["fit", "fit_transform", "partial_fit", "transform",
                                    "score"])
def test_two_dimensional_input_is_refused(frame, small_params, kind, method):
    est = SkipGramVectorizer(**small_params)
    if method in ("transform", "score"):
        est.fit(frame["text"])
    before = getattr(est, "vectors_", None)
    with pytest.raises(ValueError, match=r"df\['text'\]") as exc:
        getattr(est, method)(_two_d_inputs(frame)[kind])
    assert "ColumnTransformer" in str(exc.value) and "2-D" in str(exc.value)
    assert getattr(est, "vectors_", None) is before


def test_one_dimensional_inputs_stay_accepted(frame, small_params):
    a = SkipGramVectorizer(**small_params).fit(frame["text"])  # Series
    b = SkipGramVectorizer(**small_params).fit(frame["text"].to_numpy())  # 1-D array
    c = SkipGramVectorizer(**small_params).fit(list(frame["text"]))
    np.testing.assert_array_equal(a.vectors_, c.vectors_)
    np.testing.assert_array_equal(b.vectors_, c.vectors_)
    assert a.transform(frame["text"]).shape == (len(frame), small_params["n_components"])


def test_token_lists_with_a_callable_analyzer_stay_accepted(frame, small_params):
    tokens = [d.split() for d in frame["text"]]
    ref = SkipGramVectorizer(**small_params, analyzer=list).fit(tokens)
    # equal-length token rows as a 2-D array, one token per column
    rows = np.array([t[:8] for t in tokens])
    est = SkipGramVectorizer(**small_params, analyzer=list).fit(rows)
    assert set(est.index_to_key_) <= set(ref.index_to_key_)


def test_column_transformer_with_a_list_of_columns_is_explained(frame, small_params):
    from sklearn.compose import ColumnTransformer

    good = ColumnTransformer([("w2v", SkipGramVectorizer(**small_params), "text")])
    assert good.fit_transform(frame).shape == (len(frame), small_params["n_components"])
    bad = ColumnTransformer([("w2v", SkipGramVectorizer(**small_params), ["text"])])
    with pytest.raises(ValueError, match=r"column name as a string"):
        bad.fit_transform(frame)


def test_rows_of_a_table_as_documents_are_explained(frame, small_params):
    rows = frame[["text"]].to_numpy().tolist()  # list of one-element lists
    with pytest.raises(TypeError, match=r"analyzer=list.*df\['text'\]"):
        SkipGramVectorizer(**small_params).fit(rows)


@pytest.mark.parametrize("keep", [0.5, 0.9, 10])
def test_damaged_checkpoint_is_a_value_error_without_a_leaked_handle(planted, small_params,
                                                                      tmp_path, keep):
    import gc
    import warnings

    path = tmp_path / "ckpt.npz"
    SkipGramVectorizer(**{**small_params, "epochs": 2}, callbacks=[Checkpoint(path)]).fit(
        list(planted[0]))
    data = path.read_bytes()
    path.write_bytes(data[:int(len(data) * keep)] if keep < 1 else data[:keep])
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always", ResourceWarning)
        with pytest.raises(ValueError, match="not a readable skw2v checkpoint"):
            SkipGramVectorizer(**{**small_params, "epochs": 2}).fit(list(planted[0]),
                                                                     resume_from=path)
        gc.collect()
    assert [w for w in record if issubclass(w.category, ResourceWarning)] == []
