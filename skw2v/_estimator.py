"""SkipGramVectorizer: the scikit-learn estimator.

This module holds the estimator only: its parameters, ``fit``/``transform``/
``score``, and its fitted attributes. Parameters are checked into a frozen
config by :mod:`skw2v._params`; documents become an encoded corpus in
:mod:`skw2v._data`; the epochs run in :mod:`skw2v._fitting`, on the array
kernels of :mod:`skw2v._core`; files are read and written by
:mod:`skw2v._files`. See the architecture page of the documentation.
"""

from __future__ import annotations

import inspect
import logging
import warnings

import numpy as np
from scipy.sparse import csr_array
from sklearn.base import BaseEstimator, ClassNamePrefixFeaturesOutMixin, TransformerMixin
from sklearn.exceptions import NotFittedError
from sklearn.utils.validation import check_is_fitted

from ._compat import caller_stacklevel, joblib_backend_is_local, release_free_memory
from ._core.pairs import skipgram_pairs
from ._core.pooling import (
    corpus_statistics,
    pool_blocks,
    stacked_rows,
    unseen_blocks,
    unseen_composer,
)
from ._core.subwords import composition_matrix
from ._core.vocab import noise_sampler
from ._data.encode import Corpus, build_corpus, encode_known
from ._data.store import Workspace, document_blocks, resolve_spill_threshold
from ._data.text import DEFAULT_TOKEN_PATTERN, check_documents
from ._files.model import not_stored_message, read_model, write_model
from ._fitting.cache import train_or_load
from ._fitting.parallel import choose_strategy, warm_up
from ._fitting.runtime import fitting
from ._fitting.state import (
    Checkpoint,
    EpochInfo,
    FittedState,
    TrainingDiverged,
    TrainState,
    checkpoint_params,
)
from ._fitting.trainer import as_keyed_vectors, draw_seed, fitted_vectors
from ._params import check_output_params, check_params, fit_config, subword_spec, text_options
from .losses import LOSSES, get_loss

logger = logging.getLogger("skw2v")

# Names kept importable from here: pickles and user code written against
# earlier versions refer to them as skw2v._estimator.<name>.
_TrainState = TrainState
load_checkpoint = TrainState.load


class SkipGramVectorizer(ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator):
    """Learn word2vec skip-gram vectors and turn documents into dense features.

    ``fit`` learns one vector per word with the skip-gram objective (each
    word's vector predicts the words around it); ``transform`` pools the
    vectors of each document's words into one row, so the estimator can sit
    in a :class:`~sklearn.pipeline.Pipeline` in front of any classifier.

    Parameters
    ----------
    n_components : int, default=100
        Dimension of the word vectors (and of the output rows).
    window : int, default=5
        Maximum distance between a center word and an outside word. Each
        center draws its radius uniformly from ``1..window``.
    loss : {"negative_sampling", "softmax"} or SkipGramLoss, default="negative_sampling"
        Training objective. ``"softmax"`` is the exact full-softmax
        cross-entropy, ``O(V)`` per pair; ``"negative_sampling"`` is
        ``O(n_negatives)`` per pair. An object implementing
        :class:`skw2v.losses.SkipGramLoss` plugs in a custom loss.
    n_negatives : int, default=5
        Negative samples per pair (gensim's ``negative``), when the loss uses
        them.
    noise_exponent : float, default=0.75
        Negatives are drawn from ``count ** noise_exponent``, in ``[0, 100]``
        (0 is uniform; large values draw only the most frequent words).
    min_count : int, default=5
        Words seen fewer times are dropped before training. Windows span over
        dropped words, as in word2vec.
    max_vocab_size : int or None, default=None
        Keep at most this many of the most frequent words.
    subsample : float, default=1e-3
        Threshold of word2vec's frequent-word subsampling; 0 disables it.
    epochs : int, default=5
        Passes over the corpus.
    learning_rate : float or "auto", default="auto"
        Initial SGD step size (gensim's ``alpha``). ``"auto"`` sizes it to
        the corpus: 0.025 (word2vec's and gensim's value) for corpora of
        16M in-vocabulary tokens or more at 5 epochs, and
        ``0.025 * sqrt(8e7 / (n_tokens * epochs))`` below that, at most 0.1,
        because fewer SGD steps need larger ones (on the first 1M tokens of
        text8like, WS353 0.33 at 0.025 against 0.44 at 0.1). Synchronised
        shards (``n_shards``, or a Dask cluster) get the same value, at
        most 0.05, when ``syncs_per_epoch="auto"`` makes at least 32 rounds
        per epoch; with
        fewer, longer rounds their combined changes act as a larger step,
        and ``"auto"`` is 0.025. The value used
        is :attr:`learning_rate_`. Each row's summed step is bounded by its
        curvature whatever the rate (see :ref:`stability`), so large rates
        do not diverge; a custom loss whose
        :meth:`~skw2v.losses.SkipGramLoss.curvature` returns None trains
        with unbounded steps: give it a fixed ``learning_rate``.
    min_learning_rate : float, default=1e-4
        Final step size; the rate decays linearly over all epochs.
    batch_size : int, default=1024
        Number of (center, outside) pairs per vectorised SGD step. Pairs are
        taken in text order.
    pooling : {"mean", "sum", "max", "tfidf", "sif"}, default="mean"
        How ``transform`` combines the vectors of a document's words.
        ``"tfidf"`` weights them by the idf learned in ``fit``; ``"sif"``
        weights them by ``sif_alpha / (sif_alpha + p(w))`` and removes the
        first principal component of the training documents (Arora et al.,
        2017). With subwords, tokens missing from the vocabulary are pooled
        too, with their composed vectors (see :meth:`transform` for their
        ``"tfidf"`` and ``"sif"`` weights).
    sif_alpha : float, default=1e-3
        The ``a`` of SIF weighting.
    norm : {"l2"} or None, default=None
        Normalise each output row to unit length.
    dtype : {np.float32, np.float64}, default=np.float32
        Storage type of the vectors.
    input : {"content", "filename", "file"}, default="content"
        As in :class:`~sklearn.feature_extraction.text.CountVectorizer`.
    encoding : str, default="utf-8"
    decode_error : {"strict", "ignore", "replace"}, default="strict"
    strip_accents : {"ascii", "unicode"} or None, default=None
    lowercase : bool, default=True
    preprocessor : callable or None, default=None
    tokenizer : callable or None, default=None
    token_pattern : str or None, default=``r"(?u)\\b\\w\\w+\\b"``
        As in CountVectorizer: one-letter words are dropped. On the full
        text8like it gives vectors as good as whitespace tokens
        (``token_pattern=r"\\S+"``): 37.6% against 37.5% on Google analogies,
        3 seeds each (``benchmarks/bench_tokenisation.py``). The CLI uses the
        same default.
    analyzer : "word" or callable, default="word"
        A callable receives each document and returns its tokens; with
        ``analyzer=list`` (or ``lambda d: d``) documents can be lists of tokens.
    n_jobs : int or None, default=None
        Parallel jobs for tokenising and training (joblib convention: None is
        1 unless in a :func:`joblib.parallel_config` context, -1 is all
        cores). With ``n_shards=None`` and several jobs, the jobs train
        contiguous shards of each epoch at the same time on the *same*
        vectors, held in memory-mapped files, without locks (Hogwild, as
        gensim's worker threads do): the quality of sequential training at
        parallel speed, but results vary slightly from run to run. Under a
        Dask backend, which shares no memory, the synchronised scheme of
        ``n_shards`` is used with one shard per worker. Documents that are
        already token lists (``analyzer=list`` or ``tuple``) are encoded in
        the main process, which is faster than shipping them to workers.
    n_shards : int or None, default=None
        Set it for results that do not depend on ``n_jobs`` or on the joblib
        backend: each epoch is cut into ``n_shards`` shards that train on
        private copies of the vectors, and the shards' changes are combined
        row by row in shard order at every synchronisation. The result
        depends on ``n_shards``, ``syncs_per_epoch`` and ``random_state``
        only, the same on threads, processes or a Dask cluster. Costs: two
        copies of both matrices per worker, and a round trip to the workers
        per synchronisation, which sends only the rows the last one changed.
    syncs_per_epoch : "auto" or int, default="auto"
        With ``n_shards``, how many times per epoch the shards' changes are
        combined. Quality falls with the tokens trained between syncs, so
        ``"auto"`` keeps rounds short: about 16k tokens over all shards
        (1k to 4k per shard; one round per epoch for one shard). On
        text8like, 2 to 8 shards score within a point of sequential
        training on analogies and 0.01 on WS353 (MEN: 0.019 lower at 8
        shards; see the scaling page of the user guide). An int gives
        fewer, longer rounds, which cost less in round trips on a cluster
        and lose quality: a few analogy points per doubling of shards at 4
        syncs per shard.
    spill_threshold : "auto", int, str or None, default="auto"
        Size in bytes above which the encoded corpus (4 bytes per token) is
        kept on disk instead of in memory: an int, or a string such as
        ``"500M"`` or ``"2G"``. ``None`` keeps it in memory; ``0`` always
        spills. ``"auto"`` spills from the start when the documents are
        files (``input="filename"`` or ``"file"``), which may hold more text
        than memory, and otherwise once the encoded corpus exceeds a quarter
        of the memory available when ``fit`` starts; ``verbose`` says which.
        Results are the same bit for bit whatever the threshold. A spilled
        corpus (and each epoch's subsampled copy) is read back in blocks of
        1M tokens, so the process's memory stays at the
        vectors plus a few blocks whatever the corpus size; the files are
        deleted at the end of ``fit``, on errors too. With
        ``input="filename"`` or ``"file"`` and the built-in word analyzer,
        files are also read in 1 MiB pieces (cut at whitespace), so no whole
        file is ever held in memory. See :ref:`memory`.
    temp_folder : str, path-like or None, default=None
        Folder for the spilled corpus; ``None`` uses the system temporary
        folder (``TMPDIR``). Choose a disk with room for about 8 bytes per
        token. Shared-memory training (several ``n_jobs``) keeps the
        vectors in ``/dev/shm`` when it has room for them, and here
        otherwise. Folders left by a killed fit are removed by the next one.
        On a Dask cluster (synchronised shards), a folder that every worker
        reads at the same path (shared storage such as NFS, or any folder
        when the workers run on this machine) lets the tasks read their
        slices of the spilled corpus themselves: only its path travels, and
        the client sends no tokens. Each epoch the workers are asked
        whether they read the client's files (size and a sampled
        fingerprint); when they do not, the client ships each task its
        slice, as before, and ``verbose`` says so. The vectors are the same
        either way. See :ref:`data-locality`.
    initial_vectors : KeyedVectors, str, path-like or None, default=None
        Pretrained vectors to start training from: the input vectors of words
        found in them are copied (their dimension must equal
        ``n_components``); the other words are initialised at random as
        usual. A path is read with
        :meth:`KeyedVectors.load_word2vec_format` (binary when it ends in
        ``.bin`` or ``.bin.gz``). To *use* pretrained vectors without
        training, see :meth:`from_keyed_vectors`.
    random_state : int, RandomState instance or None, default=None
        Seeds initialisation, subsampling, windows and negatives.
    verbose : int, default=0
        Log progress per epoch (words/s, loss, learning rate) through the
        ``"skw2v"`` logger; shows a tqdm bar when tqdm is installed. When
        the application configured no logging handler, the messages go to
        standard error for the duration of the fit only; logging is left as
        it was found.
    callbacks : callable, list of callables or None, default=None
        Each is called as ``callback(estimator, info)`` after every epoch with
        an :class:`EpochInfo`; returning ``True`` stops training early.
    stop_words : {"english"}, list of str or None, default=None
        Words removed from the tokens, as in
        :class:`~sklearn.feature_extraction.text.CountVectorizer`:
        ``"english"`` is scikit-learn's built-in list (see its caveats in
        the scikit-learn user guide), a list gives the words. They are removed
        when documents are tokenised, before any window is formed, so they
        never appear in the encoded corpus (their neighbours become
        neighbours), in the vocabulary, in ``transform`` or in ``score``.
        Only used with ``analyzer="word"``: a callable analyzer does all the
        analysis (filter the words in it), and stop words are then ignored
        with a warning. With frequent-word subsampling (``subsample``) a stop
        list is rarely needed for the quality of the vectors; it mostly
        shortens the corpus and keeps function words out of pooled rows.
    min_df : int or float, default=1
        Drop words that occur in fewer documents than this, as in
        ``CountVectorizer``: an int is a number of documents, a float in
        ``[0, 1]`` a proportion of the training documents. Applied with
        ``min_count`` (a word must pass both); windows span over the dropped
        words, as over those ``min_count`` drops.
    max_df : int or float, default=1.0
        Drop words that occur in more documents than this (corpus-specific
        stop words): an int is a number of documents, a float in ``(0, 1]``
        a proportion of the training documents. Document frequencies are
        counted in the same single pass that counts the words, and only
        when ``min_df`` or ``max_df`` can drop anything. ``max_vocab_size``
        applies after ``min_df`` and ``max_df``, as ``CountVectorizer``'s
        ``max_features`` does.
    max_features : None, default=None
        Not a separate setting: ``CountVectorizer``'s ``max_features`` is
        :attr:`max_vocab_size` here (the most frequent words, counted over
        the corpus, after ``min_df`` and ``max_df``). Setting it raises a
        ``ValueError`` at ``fit`` that says to use ``max_vocab_size``, rather
        than Python's "unexpected keyword argument": one parameter per
        setting keeps ``get_params``, grid searches and model files free of
        two names for one value that could disagree.
    memory : str, path-like, joblib.Memory or None, default=None
        Cache the trained vectors, as ``Pipeline(memory=...)`` and
        :class:`~sklearn.cluster.AgglomerativeClustering` do: a folder (a
        :class:`joblib.Memory` is made there), or an object with the
        ``joblib.Memory`` interface (checked with scikit-learn's
        :func:`~sklearn.utils.validation.check_memory`); None caches nothing.
        A fit still reads and encodes the documents (once: a one-shot
        generator works), then looks up the training under a key made of a
        fingerprint of the encoded corpus (its ids, document offsets,
        vocabulary and counts, which reflect every text option, the stop
        words and the vocabulary pruning) and of what changes training on
        that corpus: ``n_components``, ``window``, ``loss``, ``n_negatives``,
        ``noise_exponent``, ``subsample``, ``epochs``, ``learning_rate``,
        ``min_learning_rate``, ``batch_size``, ``dtype``, ``random_state``,
        ``initial_vectors`` (by content), the parallel scheme (``n_shards``
        and ``syncs_per_epoch``, or the number of Hogwild jobs) and the skw2v
        version. ``pooling``, ``norm`` and ``sif_alpha`` are not in the key:
        they change only ``transform`` and the statistics that ``fit``
        computes after training (``idf_``, ``sif_component_``), so a
        :class:`~sklearn.model_selection.GridSearchCV` over them trains the
        vectors once per fold. ``verbose``, ``callbacks``, ``n_jobs`` (beyond
        the scheme it selects), ``spill_threshold`` and ``temp_folder`` are
        not in it either. A cached fit gives bit for bit the fitted
        attributes of an uncached one.

    char_ngram_range : tuple (min_n, max_n) or None, default=None
        Subword vectors, as in fastText (Bojanowski et al., 2017): a word's
        input vector is the mean of its own row and of the rows of its
        character n-grams of ``min_n`` to ``max_n`` characters (the
        ``word_boundaries`` count as characters), hashed into ``n_buckets``
        rows. Words never seen in training then get vectors too: ``transform``,
        ``wv_[word]``, ``wv_.most_similar`` and the evaluations compose them
        from their n-grams. None (the default) trains plain word2vec vectors.
        ``(3, 6)`` is fastText's range.
    n_buckets : int, default=2_000_000
        Number of hash buckets of the n-grams, used when ``char_ngram_range``
        is set. Their rows take ``n_buckets * n_components * itemsize`` bytes
        whatever the vocabulary (800 MB at the defaults with
        ``n_components=100`` and float32), and are trained and stored with
        the model. Fewer buckets take less memory and make more n-grams share
        a row. fastText's default is 2,000,000. Measured on 4M tokens of
        text8like (31,771 words, 171k distinct 3- to 6-grams), 500,000
        buckets scored as 2,000,000 did in 440 MB instead of 1,010 MB, and
        200,000 about a point of analogy less: about three buckets per
        distinct n-gram of the vocabulary are enough, which the default
        gives vocabularies of some 600k n-grams (several hundred thousand
        words). See :ref:`subwords`.
    word_boundaries : tuple of two str, default=("<", ">")
        Marks added before and after each word before its n-grams are taken,
        so that prefixes and suffixes differ from the same letters inside a
        word (``"<wh"`` is a prefix of "where"). Used when
        ``char_ngram_range`` is set.

        Not cached: ``partial_fit`` and ``fit(..., resume_from=...)``, which
        continue from a state; fits with ``callbacks``, because a callback
        may stop training early or have side effects (a :class:`Checkpoint`
        writes a file) that a cached result would skip; and a
        ``random_state`` given as a ``RandomState`` instance, whose state
        changes with every fit (use an int). The last two train as without
        ``memory``, with a warning. With ``random_state=None``, later fits
        with the same key reuse the first fit's vectors rather than drawing
        new ones (as ``Pipeline(memory=...)`` reuses fitted transformers);
        so does a Hogwild fit (``n_jobs > 1`` without ``n_shards``), whose
        results vary from run to run. A custom loss object is keyed by its
        class and attributes, not its code: clear the cache
        (``joblib.Memory.clear``) after changing the code. :meth:`save`
        stores a folder path, not a ``joblib.Memory`` object (it is reset to
        None on :meth:`load`, with a warning).

    Attributes
    ----------
    vocabulary_ : dict
        Token -> row of :attr:`vectors_`.
    index_to_key_ : list of str
        Row -> token, most frequent first.
    word_counts_ : ndarray of int64 of shape (n_words,)
    vectors_ : ndarray of shape (n_words, n_components)
        The word vectors (input vectors). With ``char_ngram_range``, each
        word's composed vector: the mean of its own row of
        :attr:`vectors_vocab_` and of its n-grams' rows of
        :attr:`vectors_ngrams_` (repeated n-grams counted each time).
    vectors_vocab_ : ndarray of shape (n_words, n_components) or None
        With ``char_ngram_range``, the words' own input rows; None without
        subwords. (gensim's ``FastTextKeyedVectors.vectors_vocab``.)
    vectors_ngrams_ : ndarray of shape (n_buckets, n_components) or None
        With ``char_ngram_range``, the input rows of the n-gram hash
        buckets; None without subwords. (gensim's
        ``FastTextKeyedVectors.vectors_ngrams``.) ``partial_fit`` continues
        from these two.
    output_vectors_ : ndarray of shape (n_words, n_components)
        The output (context) vectors.
    learning_rate_ : float
        The initial step size used: ``learning_rate``, or its value for
        ``"auto"``.
    loss_curve_ : ndarray of float64 of shape (n_epochs_done,)
        Mean loss per training pair of each epoch (not cumulative).
    n_pairs_ : ndarray of int64 of shape (n_epochs_done,)
        Training pairs of each epoch.
    idf_ : ndarray of float64 of shape (n_words,)
        Smoothed inverse document frequency of each word in the training corpus.
    sif_component_ : ndarray of shape (n_components,)
        First principal direction of the SIF embeddings of the training documents.
    n_tokens_ : int
        In-vocabulary tokens of the training corpus.

    See Also
    --------
    sklearn.feature_extraction.text.CountVectorizer : Same text options.

    Examples
    --------
    >>> from skw2v import SkipGramVectorizer
    >>> docs = ["the cat sat on the mat", "the dog sat on the log"] * 20
    >>> vec = SkipGramVectorizer(n_components=8, min_count=1, epochs=2, random_state=0)
    >>> X = vec.fit_transform(docs)
    >>> X.shape
    (40, 8)
    """

    # The "?" of the notebook display links here (scikit-learn's HTML repr hook);
    # the path is the API page that docs/api.rst generates.
    _doc_link_module = "skw2v"
    _doc_link_template = ("https://skw2v.readthedocs.io/en/stable/generated/"
                          "{estimator_module}.{estimator_name}.html")

    def __init__(self, *, n_components=100, window=5, loss="negative_sampling", n_negatives=5,
                 noise_exponent=0.75, min_count=5, max_vocab_size=None, subsample=1e-3,
                 epochs=5, learning_rate="auto", min_learning_rate=1e-4, batch_size=1024,
                 pooling="mean", sif_alpha=1e-3, norm=None, dtype=np.float32,
                 input="content", encoding="utf-8", decode_error="strict", strip_accents=None,
                 lowercase=True, preprocessor=None, tokenizer=None,
                 token_pattern=DEFAULT_TOKEN_PATTERN, analyzer="word", n_jobs=None,
                 n_shards=None, syncs_per_epoch="auto", spill_threshold="auto", temp_folder=None,
                 initial_vectors=None, random_state=None, verbose=0, callbacks=None,
                 stop_words=None, min_df=1, max_df=1.0, max_features=None, memory=None,
                 char_ngram_range=None, n_buckets=2_000_000, word_boundaries=("<", ">")):
        self.n_components = n_components
        self.window = window
        self.loss = loss
        self.n_negatives = n_negatives
        self.noise_exponent = noise_exponent
        self.min_count = min_count
        self.max_vocab_size = max_vocab_size
        self.subsample = subsample
        self.epochs = epochs
        self.learning_rate = learning_rate
        self.min_learning_rate = min_learning_rate
        self.batch_size = batch_size
        self.pooling = pooling
        self.sif_alpha = sif_alpha
        self.norm = norm
        self.dtype = dtype
        self.input = input
        self.encoding = encoding
        self.decode_error = decode_error
        self.strip_accents = strip_accents
        self.lowercase = lowercase
        self.preprocessor = preprocessor
        self.tokenizer = tokenizer
        self.token_pattern = token_pattern
        self.analyzer = analyzer
        self.n_jobs = n_jobs
        self.n_shards = n_shards
        self.syncs_per_epoch = syncs_per_epoch
        self.spill_threshold = spill_threshold
        self.temp_folder = temp_folder
        self.initial_vectors = initial_vectors
        self.random_state = random_state
        self.verbose = verbose
        self.callbacks = callbacks
        self.stop_words = stop_words
        self.min_df = min_df
        self.max_df = max_df
        self.max_features = max_features
        self.memory = memory
        self.char_ngram_range = char_ngram_range
        self.n_buckets = n_buckets
        self.word_boundaries = word_boundaries

    # ------------------------------------------------------------------ tags
    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.string = True
        tags.input_tags.two_d_array = False
        tags.requires_fit = True
        tags.non_deterministic = False
        return tags

    def __setstate__(self, state):
        """Unpickle; parameters and fitted attributes added since the pickle was written
        get their defaults (None for the subword rows of an estimator fitted without them)."""
        super().__setstate__(state)
        for name, param in inspect.signature(type(self).__init__).parameters.items():
            if param.default is not inspect.Parameter.empty and name not in self.__dict__:
                setattr(self, name, param.default)
        if "vectors_" in self.__dict__:
            for name in FittedState.optional():
                if name not in self.__dict__:
                    setattr(self, name, None)

    @property
    def _n_features_out(self):
        """Output columns (read by ``get_feature_names_out``)."""
        return self.vectors_.shape[1]

    # ------------------------------------------------------------ parameters
    def _params(self):
        return self.get_params(deep=False)

    def _encoding_jobs(self, config):
        """Jobs for tokenising: 1 for documents that are already token lists.

        With ``analyzer=list`` or ``tuple`` there is nothing to compute, and
        shipping the tokens to worker processes and back costs more than
        encoding them here (text8like as 10,000-token lists: 10.6 s with 2
        jobs against 4.4 s with one).
        """
        return 1 if self.analyzer in (list, tuple) else config.n_jobs

    # ---------------------------------------------------------------- fitting
    def fit(self, raw_documents, y=None, *, resume_from=None):
        """Learn the vocabulary and the word vectors.

        Parameters
        ----------
        raw_documents : iterable
            Documents: str, or file names / file objects with ``input``, or
            anything a callable ``analyzer`` accepts. A one-shot generator is
            read exactly once.
        y : None
            Ignored.
        resume_from : str, path-like or None, default=None
            A checkpoint written by :class:`Checkpoint` during an earlier fit
            with the same parameters and corpus. Training continues after the
            checkpoint's epoch; with ``n_jobs=1`` the result is identical to an
            uninterrupted fit.

        Returns
        -------
        self : SkipGramVectorizer
        """
        self._fit(raw_documents, resume_from=resume_from)
        return self

    def _fit(self, raw_documents, resume_from=None, then=None):
        """Fit; then, with the corpus still open, return ``then(corpus)`` if given."""
        config = fit_config(self._params())  # before any folder is touched
        opts = text_options(self._params())
        raw_documents = check_documents(raw_documents, analyzer=self.analyzer)
        local = joblib_backend_is_local()
        threshold, why = resolve_spill_threshold(config.spill_threshold, opts.input)
        if config.verbose:
            logger.info("%s", why)
        with Workspace(threshold, config.temp_folder) as workspace, \
                fitting(config.verbose, config.temp_folder, local):
            encoding_jobs = self._encoding_jobs(config)
            # Hogwild's worker processes start while the vocabulary is built
            # here (unless the encoding itself starts them)
            strategy = self._strategy(config, local)
            with warm_up(strategy if encoding_jobs == 1 else None) as workers_ready:
                corpus = build_corpus(opts, raw_documents, min_count=config.min_count,
                                      max_vocab_size=config.max_vocab_size,
                                      min_df=config.min_df, max_df=config.max_df,
                                      n_jobs=encoding_jobs, workspace=workspace,
                                      verbose=config.verbose)
                workers_ready()
            state = None
            if resume_from is not None:
                state = TrainState.load(resume_from)
                state.check_compatible(checkpoint_params(self._params()), corpus.index_to_key,
                                       corpus.word_counts)
            self._train(config, corpus, local, state=state, workspace=workspace)
            return then(corpus) if then is not None else None

    def partial_fit(self, raw_documents, y=None):
        """Continue training on more documents, with the vocabulary frozen.

        On an unfitted estimator this is :meth:`fit`. Otherwise the words of
        ``raw_documents`` that are in :attr:`vocabulary_` are trained for
        ``epochs`` more epochs, starting from the current vectors, with the
        learning rate decaying again from ``learning_rate`` to
        ``min_learning_rate`` (as gensim's ``train`` on new sentences).
        New words are ignored: the vocabulary, ``word_counts_`` (and so the
        subsampling and noise distributions), ``idf_`` and ``sif_component_``
        stay those of the first fit. ``loss_curve_`` and ``n_pairs_`` grow
        by the new epochs. Each call draws fresh, reproducible random streams
        (they depend on ``random_state`` and the number of epochs done).

        Parameters
        ----------
        raw_documents : iterable
            Documents, as for :meth:`fit`.
        y : None
            Ignored.

        Returns
        -------
        self : SkipGramVectorizer
        """
        if not hasattr(self, "vectors_"):
            return self.fit(raw_documents)
        config = fit_config(self._params())
        opts = text_options(self._params())
        if self.n_components != self.vectors_.shape[1]:
            raise ValueError(
                f"n_components={self.n_components} differs from the fitted vectors' "
                f"{self.vectors_.shape[1]} dimensions; partial_fit cannot change it. Call fit "
                "to start over.")
        input_matrix = self._input_matrix(config)
        raw_documents = check_documents(raw_documents, analyzer=self.analyzer)
        local = joblib_backend_is_local()
        with fitting(config.verbose, config.temp_folder, local):
            ids, offsets = encode_known(opts, raw_documents, self.vocabulary_)
            corpus = Corpus(ids, offsets, self.index_to_key_, self.word_counts_)
            done = len(self.loss_curve_)
            state = TrainState(
                epoch=done, vectors=input_matrix,
                output_vectors=self.output_vectors_.astype(config.dtype, copy=True),
                loss_curve=self.loss_curve_, n_pairs=self.n_pairs_, seed=self._seed_,
                epochs_planned=done + config.epochs)
            self._train(config, corpus, local, state=state, schedule_start=done,
                        n_tokens_before=self.n_tokens_)
        return self

    def _input_matrix(self, config):
        """A copy of the fitted input matrix to continue training from (``partial_fit``).

        With subwords, the words' own rows followed by the n-gram rows;
        subwords must be on or off as they were fitted, with as many buckets.
        """
        ngrams = getattr(self, "vectors_ngrams_", None)
        if config.subwords is None and ngrams is None:
            return self.vectors_.astype(config.dtype, copy=True)
        if config.subwords is None or ngrams is None:
            how = "with" if ngrams is not None else "without"
            raise ValueError(
                f"char_ngram_range={self.char_ngram_range!r}, but the vectors were fitted "
                f"{how} subwords; partial_fit cannot change that. Set char_ngram_range as it "
                "was fitted, or call fit to start over.")
        if ngrams.shape[0] != config.subwords.n_buckets:
            raise ValueError(
                f"n_buckets={config.subwords.n_buckets} differs from the fitted "
                f"{ngrams.shape[0]} n-gram rows; partial_fit cannot change it. Call fit to "
                "start over.")
        self._check_composition(config.subwords, "partial_fit")
        return np.concatenate((self.vectors_vocab_, ngrams)).astype(config.dtype, copy=False)

    def _check_composition(self, spec, caller):
        """Refuse an n-gram range or boundaries other than the fit's.

        The fitted composed vectors of the longest words (those with the most
        n-grams) must be what ``spec`` composes from the fitted rows.
        """
        n_words = len(self.index_to_key_)
        longest = np.argsort([-len(w) for w in self.index_to_key_], kind="stable")[:256]
        M = composition_matrix(spec, [self.index_to_key_[i] for i in longest],
                               own_rows=longest, n_own=n_words, dtype=np.float64)
        # only the rows these words use, in float64 (not a copy of the n-gram matrix)
        used, columns = np.unique(M.indices, return_inverse=True)
        rows = stacked_rows(self.vectors_vocab_, self.vectors_ngrams_, used).astype(np.float64)
        composed = csr_array((M.data, columns, M.indptr), shape=(M.shape[0], used.size)) @ rows
        if not np.allclose(composed, self.vectors_[longest], rtol=1e-4, atol=1e-6):
            raise ValueError(
                f"char_ngram_range={self.char_ngram_range!r} and word_boundaries="
                f"{self.word_boundaries!r} do not compose the fitted vectors: the model was "
                f"fitted with other n-grams, and {caller} cannot use others. Set them as they "
                "were fitted, or call fit to start over.")

    @staticmethod
    def _strategy(config, local, verbose=False):
        """How the epochs run: serially, Hogwild or on synchronised shards."""
        return choose_strategy(config.n_jobs, config.n_shards, config.syncs_per_epoch, local,
                               verbose=verbose)

    def _train(self, config, corpus, local, state=None, schedule_start=0, n_tokens_before=None,
               workspace=None):
        """Train, then publish the fitted attributes (only once training succeeded)."""
        strategy = self._strategy(config, local, verbose=config.verbose)
        result = train_or_load(config, corpus, strategy=strategy, estimator=self,
                               checkpoint_params=checkpoint_params(self._params()), state=state,
                               schedule_start=schedule_start,
                               n_tokens_before=n_tokens_before or 0, workspace=workspace)
        n_tokens = int(corpus.ids.size)
        vectors, vectors_vocab, vectors_ngrams = fitted_vectors(result.vectors, config,
                                                                corpus.index_to_key)
        if n_tokens_before is None:
            blocks = document_blocks(corpus.ids, corpus.offsets, len(corpus.index_to_key))
            word_counts = np.asarray(corpus.word_counts, dtype=np.int64)
            idf, sif_component = corpus_statistics(blocks, corpus.offsets.size - 1,
                                                   vectors, word_counts, self.sif_alpha)
            # the statistics' blocks are freed: give their heap pages back
            # before the vocabulary's objects (the words, vocabulary_) are made
            release_free_memory()
        else:  # partial_fit: the statistics of the first fit stay
            n_tokens += n_tokens_before
            idf, sif_component = self.idf_, self.sif_component_
        # the word objects, made now (see PackedWords); the packed copy goes
        # before vocabulary_ is made
        words = list(corpus.index_to_key)
        corpus.index_to_key = words
        FittedState(
            index_to_key_=words,
            word_counts_=np.asarray(corpus.word_counts, dtype=np.int64),
            vectors_=vectors, output_vectors_=result.output_vectors,
            loss_curve_=result.loss_curve, n_pairs_=result.n_pairs, n_tokens_=n_tokens,
            idf_=idf, sif_component_=sif_component, _seed_=result.seed,
            learning_rate_=result.learning_rate, vectors_vocab_=vectors_vocab,
            vectors_ngrams_=vectors_ngrams).publish(self)

    @classmethod
    def from_keyed_vectors(cls, keyed_vectors, **params):
        """An estimator that transforms with pretrained vectors, without training.

        The result is fitted: ``transform``, ``wv_``, ``save`` and
        ``partial_fit`` (which then trains further, starting from these
        input vectors and zero output vectors) all work. With no corpus,
        ``idf_`` is all ones (so ``pooling="tfidf"`` equals ``"mean"``), and
        ``"sif"`` pooling needs word counts: they come from
        ``keyed_vectors.counts`` when present, else from the rank of each
        word under Zipf's law (count proportional to 1 / rank, as vector
        files list words by decreasing frequency); ``sif_component_`` is
        zero.

        Parameters
        ----------
        keyed_vectors : KeyedVectors or str or path-like
            The vectors, or a word2vec-format file (binary when the name ends
            in ``.bin`` or ``.bin.gz``).
        **params : dict
            Other parameters of the estimator (text options, ``pooling``,
            ``norm``, ...). ``n_components`` is set from the vectors.

        Returns
        -------
        estimator : SkipGramVectorizer
        """
        kv = as_keyed_vectors(keyed_vectors)
        est = cls(**{**params, "n_components": kv.vector_size})
        config = fit_config(est._params())
        n = len(kv)
        if n == 0:
            raise ValueError("keyed_vectors is empty.")
        counts = (np.asarray(kv.counts, dtype=np.int64) if kv.counts is not None
                  else np.maximum(1, np.round(1e6 / np.arange(1, n + 1))).astype(np.int64))
        vectors = np.array(kv.vectors, dtype=config.dtype)
        FittedState(
            index_to_key_=list(kv.index_to_key), word_counts_=counts, vectors_=vectors,
            output_vectors_=np.zeros_like(vectors), loss_curve_=np.zeros(0, dtype=np.float64),
            n_pairs_=np.zeros(0, dtype=np.int64), n_tokens_=0,
            idf_=np.ones(n, dtype=np.float64),
            sif_component_=np.zeros(kv.vector_size, dtype=config.dtype),
            _seed_=draw_seed(config.random_state),
            learning_rate_=float("nan"),  # nothing trained yet
        ).publish(est)
        return est

    # -------------------------------------------------------------- transform
    def transform(self, raw_documents):
        """Turn documents into pooled word-vector rows.

        Without subwords, out-of-vocabulary tokens are skipped. With
        subwords (a model fitted with ``char_ngram_range``), a token missing
        from the vocabulary gets the vector composed from its character
        n-grams (the mean of their rows) and is pooled like any other token:
        in ``"tfidf"`` with the largest idf of the vocabulary (that of the
        training word found in the fewest documents), in ``"sif"`` with
        weight 1 (a word of probability 0). Only a token too short to have an
        n-gram is still skipped. Stop words are removed either way. The
        unseen tokens are composed block by block of documents, so memory
        stays bounded by a block. A document without any token that has a
        vector gives a zero row, and one warning reports how many there
        were.

        Parameters
        ----------
        raw_documents : iterable
            Documents, as for :meth:`fit`.

        Returns
        -------
        X : ndarray of shape (n_documents, n_components)
        """
        check_is_fitted(self, "vectors_")
        check_output_params(self._params())
        opts = text_options(self._params())
        raw_documents = check_documents(raw_documents, analyzer=self.analyzer)
        subwords = self._subwords()
        if subwords is None:
            return self._pool_encoded(*encode_known(opts, raw_documents, self.vocabulary_))
        unseen = {}
        ids, offsets = encode_known(opts, raw_documents, self.vocabulary_, unseen=unseen)
        return self._pool_encoded(ids, offsets, unseen=list(unseen), subwords=subwords)

    def fit_transform(self, raw_documents, y=None, **fit_params):
        """Fit, then transform the same documents, reading them only once.

        Equivalent to ``fit(raw_documents).transform(raw_documents)``, but
        the documents are analysed once, so a one-shot generator works.

        With subwords (``char_ngram_range`` set), the tokens that pruning
        dropped from the vocabulary (``min_count``, ``max_df``, ...) are
        composed from their n-grams as :meth:`transform` composes them, so
        the documents are read twice, by :meth:`fit` and then by
        :meth:`transform`: a one-shot iterator of documents is first made
        into a list. With ``input="file"``, whose file objects cannot be
        read twice, they are read once, and the pruned tokens are left out
        of the output rows (call :meth:`transform` on fresh file objects to
        include them).

        Parameters
        ----------
        raw_documents : iterable
        y : None
            Ignored.
        **fit_params : dict
            Passed to :meth:`fit` (for example ``resume_from``).

        Returns
        -------
        X : ndarray of shape (n_documents, n_components)
        """
        if self.char_ngram_range is not None and self.input != "file":
            docs = check_documents(raw_documents, analyzer=self.analyzer)
            if iter(docs) is docs:  # one-shot: keep the documents for the second reading
                docs = list(docs)
            return self.fit(docs, **fit_params).transform(docs)

        def pool_corpus(corpus):
            check_output_params(self._params())
            return self._pool_encoded(corpus.ids, corpus.offsets)

        return self._fit(raw_documents, then=pool_corpus, **fit_params)

    def _pool_encoded(self, ids, offsets, unseen=None, subwords=None):
        """Pool the rows of documents given as encoded ids and offsets (block by block).

        With ``subwords`` (see :meth:`_subwords`), ids from ``n_words`` on are
        the tokens of ``unseen``, composed block by block.
        """
        n_docs = offsets.size - 1
        n_words = len(self.index_to_key_)
        if subwords is None:
            blocks = document_blocks(ids, offsets, n_words)
        else:
            spec, ngrams = subwords
            compose_unseen = unseen_composer(spec, unseen, ngrams, self.vectors_.dtype)
            blocks = unseen_blocks(document_blocks(ids, offsets, n_words + len(unseen)),
                                   n_words, compose_unseen)
            n_empty = [0]

            def counted(blocks):
                for first, counts, extra in blocks:
                    n_empty[0] += int(np.sum(np.diff(counts.indptr) == 0))
                    yield first, counts, extra

            blocks = counted(blocks)
        out = pool_blocks(blocks, n_docs, self.vectors_, self.pooling, self.norm,
                          idf=self.idf_, word_counts=self.word_counts_,
                          sif_alpha=self.sif_alpha, sif_component=self.sif_component_)
        if subwords is None:
            empty = int(np.sum(np.diff(offsets) == 0))
            if empty:
                warnings.warn(
                    f"{empty} of {n_docs} documents have no in-vocabulary token; their "
                    "rows are zero.", UserWarning, stacklevel=caller_stacklevel())
        elif n_empty[0]:
            warnings.warn(
                f"{n_empty[0]} of {n_docs} documents have no token with a vector (none in "
                "the vocabulary or with a character n-gram); their rows are zero.",
                UserWarning, stacklevel=caller_stacklevel())
        return out

    def _subwords(self):
        """The subword spec and n-gram rows that compose unseen words, or None.

        None for a model without n-gram rows (``vectors_ngrams_`` None or
        absent: fitted without subwords) or with ``char_ngram_range=None``.
        The spec comes from the current parameters, as the text options do.
        """
        ngrams = getattr(self, "vectors_ngrams_", None)
        if ngrams is None or self.char_ngram_range is None:
            return None
        params = self._params()
        check_params(params, ("char_ngram_range", "n_buckets", "word_boundaries"))
        spec = subword_spec(params)
        if spec.n_buckets != ngrams.shape[0]:
            raise ValueError(
                f"n_buckets={self.n_buckets!r} differs from the {ngrams.shape[0]} n-gram rows "
                "of the fitted model (vectors_ngrams_): set n_buckets back to "
                f"{ngrams.shape[0]} with set_params, or fit again.")
        self._check_composition(spec, "transform and wv_")
        return spec, ngrams

    # ------------------------------------------------------------------ score
    def score(self, raw_documents, y=None):
        """Mean log-likelihood of the skip-gram pairs of held-out documents.

        Every (center, outside) pair within ``window`` (no subsampling, no
        random radius) is scored with the fitted vectors. For
        ``loss="softmax"`` this is the exact mean ``log p(o|c)``; for other
        losses it is minus the mean loss per pair, with negatives drawn from
        a fixed seed, so the score is deterministic for a fitted model. Higher
        is better; scores of different losses are not comparable.

        The pairs are those of in-vocabulary tokens only, with or without
        subwords: tokens missing from the vocabulary are left out (windows
        span over them), because the output vectors that the likelihood
        needs exist for vocabulary words alone, and so that scores of models
        with and without subwords count the same pairs.

        Parameters
        ----------
        raw_documents : iterable
        y : None
            Ignored.

        Returns
        -------
        score : float
        """
        check_is_fitted(self, "vectors_")
        opts = text_options(self._params())
        raw_documents = check_documents(raw_documents, analyzer=self.analyzer)
        ids, offsets = encode_known(opts, raw_documents, self.vocabulary_)
        loss = get_loss(self.loss)
        sampler = noise_sampler(self.word_counts_, self.noise_exponent)
        rng = np.random.default_rng(0)
        total, n = 0.0, 0
        if ids.size:
            # full windows: radius = window for every center
            c, o, _ = skipgram_pairs(ids, offsets, 0, ids.size, self.window)
            for b in range(0, c.size, 4096):
                cc, oo = c[b:b + 4096], o[b:b + 4096]
                neg = (sampler.sample((cc.size, self.n_negatives), rng)
                       if loss.requires_negatives else None)
                # the outside word's input vector predicts the center word, as in training
                total += loss.loss(self.vectors_[oo], cc, self.output_vectors_, neg)
                n += cc.size
        if n == 0:
            raise ValueError("No skip-gram pairs to score: the documents have fewer than two "
                             "in-vocabulary tokens each.")
        return -total / n

    # ------------------------------------------------------------ persistence
    def save(self, path):
        """Save the fitted model to a safe ``.npz`` file (arrays and JSON only).

        The write is atomic: an existing file at ``path`` is replaced only
        once the new one is complete on disk. The estimator is stored as it
        is: its fitted arrays and its current parameters (also ones changed
        with ``set_params`` since ``fit``). Built-in callables (``list``,
        ``tuple``, ``str.split``, ``str.lower``, ``str.strip``, ...) are
        stored by name and restored by :meth:`load`. Other callables or
        objects (a custom ``analyzer``, ``tokenizer``, ``callbacks``, a loss
        object) are not stored; :meth:`load` warns and resets them to their
        defaults: set them again with
        ``SkipGramVectorizer.load(path).set_params(analyzer=my_analyzer)``.
        Unlike a pickle, loading the file never runs code.

        Parameters
        ----------
        path : str or path-like
        """
        missing = FittedState.missing(self)
        if missing:
            raise NotFittedError(
                "This SkipGramVectorizer instance is not fitted yet (missing "
                f"{', '.join(missing)}). Call 'fit' before saving it.")
        write_model(path, self.get_params(deep=False), FittedState.of(self).as_dict())

    def save_fasttext(self, path):
        """Write the fitted model as a fastText ``.bin`` file, atomically.

        fastText (``fasttext.load_model``) and gensim
        (:func:`~gensim.models.fasttext.load_facebook_model`) read it as a
        skip-gram model with negative sampling: the words and their counts,
        the input matrix (with subwords, the words' own rows
        ``vectors_vocab_`` then the n-gram rows ``vectors_ngrams_``; without,
        ``vectors_`` and no n-grams, fastText's ``-maxn 0``) and the output
        vectors. Both then give every word the vector it has here, and with
        subwords every unseen word too. :meth:`KeyedVectors.load_fasttext`
        reads it back. The format has no field for the learning rate, and
        stores only its own settings (dimension, window, epochs, negatives,
        ``min_count``, ``subsample``, n-grams): use :meth:`save` to keep
        the estimator itself.

        Parameters
        ----------
        path : str or path-like

        Raises
        ------
        ValueError
            If a vocabulary word contains whitespace (analyzer=list over
            such tokens), which the format cannot hold.
        """
        check_is_fitted(self, "vectors_")
        from ._files.fasttext import write_fasttext_bin

        ngrams = getattr(self, "vectors_ngrams_", None)
        if ngrams is not None:
            inputs = (self.vectors_vocab_, ngrams)  # written one after the other
            (min_n, max_n), n_buckets = self.char_ngram_range, ngrams.shape[0]
            if tuple(self.word_boundaries) != ("<", ">"):
                raise ValueError(
                    f"word_boundaries={self.word_boundaries!r}: fastText's files always use "
                    "('<', '>'); a model trained with other marks cannot be saved for fastText.")
        else:
            inputs = self.vectors_
            min_n = max_n = n_buckets = 0
        # the writer converts to float32 a block of rows at a time
        write_fasttext_bin(path, self.index_to_key_, self.word_counts_, inputs,
                           self.output_vectors_, min_n=min_n,
                           max_n=max_n, n_buckets=n_buckets, window=self.window,
                           epochs=self.epochs, n_negatives=max(int(self.n_negatives), 1),
                           min_count=self.min_count, sample=self.subsample,
                           n_tokens=int(self.n_tokens_))

    @classmethod
    def load(cls, path):
        """Load a model written by :meth:`save`.

        The file is read without pickle, boundedly, and checked (format,
        version, zip members and their sizes, shapes, SHA-256 checksum): a
        truncated, corrupted or modified file raises ``ValueError``. The
        loaded estimator has the saved parameters, built-in callables such as
        ``analyzer=list`` included; a custom callable or object parameter is
        reset to its default with a warning, so set it again with
        ``set_params`` before ``transform`` or ``partial_fit``.

        Parameters
        ----------
        path : str or path-like

        Returns
        -------
        estimator : SkipGramVectorizer
            Fitted; ``transform`` gives exactly the saved model's output.
        """
        defaults = cls().get_params(deep=False)
        params, fitted, not_stored = read_model(path, defaults)
        est = cls(**params)
        if "learning_rate_" not in fitted:
            # version 1 predates learning_rate="auto": learning_rate is the value used
            lr = est.learning_rate
            fitted["learning_rate_"] = 0.025 if isinstance(lr, str) else float(lr)
        fitted.pop("vocabulary_")
        FittedState(**fitted).publish(est)
        if not_stored:
            warnings.warn(not_stored_message(not_stored, defaults.get("analyzer")),
                          UserWarning, stacklevel=caller_stacklevel())
        return est

    # -------------------------------------------------------------- word API
    @property
    def wv_(self):
        """The fitted word vectors as :class:`skw2v.KeyedVectors`.

        With subwords, the KeyedVectors also hold the n-gram rows
        (``vectors_ngrams_``), so that ``wv_[word]``, ``wv_.most_similar``,
        ``wv_.similarity`` and the evaluations compose the vectors of unseen
        words; ``word in wv_`` still means "in the vocabulary".
        """
        if not hasattr(self, "vectors_"):
            raise NotFittedError("This SkipGramVectorizer instance is not fitted yet. Call "
                                 "'fit' with appropriate arguments before using 'wv_'.")
        from .keyedvectors import KeyedVectors

        subwords = self._subwords()
        if subwords is None:
            return KeyedVectors(self.index_to_key_, self.vectors_, counts=self.word_counts_)
        spec, ngrams = subwords
        return KeyedVectors(self.index_to_key_, self.vectors_, counts=self.word_counts_,
                            vectors_ngrams=ngrams, char_ngram_range=(spec.min_n, spec.max_n),
                            word_boundaries=(spec.bow, spec.eow))


__all__ = ["Checkpoint", "EpochInfo", "LOSSES", "SkipGramVectorizer", "TrainingDiverged"]
