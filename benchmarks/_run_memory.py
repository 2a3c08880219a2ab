"""Fit once on files and print a JSON record of time and memory.

Used by ``bench_memory.py``, which runs every configuration in a fresh
process. ``python benchmarks/_run_memory.py '{"lib": "skw2v", "files": [...], ...}'``.

Memory is read from ``/proc/self/status`` every 0.2 s by a thread: ``VmRSS``
(what ``ru_maxrss`` peaks), and its parts ``RssAnon`` (the process's own
arrays) and ``RssFile`` (mapped files: shared libraries, memory-mapped data).

With ``"phases": true`` (skw2v only) the peak of each phase of the fit is
measured exactly: the fit's internal steps (encoding, subsampling, each
epoch's training, the corpus statistics) are wrapped so that, at each
boundary, ``VmHWM`` (the kernel's peak RSS) is read and then reset by
writing ``5`` to ``/proc/self/clear_refs``. The wrappers only observe; the
fit is unchanged.
"""

import json
import os
import resource
import sys
import threading
import time

import numpy as np

FIELDS = ("VmRSS", "VmHWM", "RssAnon", "RssFile", "RssShmem")


def read_status():
    out = {}
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                key, _, value = line.partition(":")
                if key in FIELDS:
                    out[key] = int(value.split()[0]) / 1024  # kB -> MB
    except OSError:
        pass
    return out


class Phases:
    """Peak RSS of each phase of a fit, from ``VmHWM`` reset at every boundary."""

    def __init__(self):
        self.records = []
        self.current = "before fit"
        self.reset()

    @staticmethod
    def reset():
        try:
            with open("/proc/self/clear_refs", "w") as fh:
                fh.write("5")
            return True
        except OSError:
            return False

    def mark(self, name):
        s = read_status()
        self.records.append(dict(phase=self.current, peak_mb=s.get("VmHWM"),
                                 rss_at_end_mb=s.get("VmRSS"), anon_at_end_mb=s.get("RssAnon")))
        self.current = name
        self.reset()

    def wrap(self, module, attr, name):
        inner = getattr(module, attr)

        def wrapper(*args, **kwargs):
            self.mark(name)
            try:
                return inner(*args, **kwargs)
            finally:
                self.mark(f"after {name}")

        setattr(module, attr, wrapper)

    def install(self):
        import skw2v._estimator as est
        import skw2v._fitting.trainer as trainer

        self.wrap(est, "build_corpus", "encode")
        self.wrap(trainer, "_start", "allocate vectors")
        self.wrap(trainer, "subsample_corpus", "subsample")
        self.wrap(trainer, "train_epoch", "train epoch")
        self.wrap(est, "corpus_statistics", "corpus statistics")


class Sampler(threading.Thread):
    """Reads ``/proc/self/status`` every ``period`` seconds until stopped.

    The samples go into preallocated NumPy arrays, not Python lists: a
    tuple kept every 0.2 s while the fit frees millions of token strings
    would sit among them and keep whole arenas of Python's small-object
    allocator resident, so the sampler itself would raise the RSS it
    measures.
    """

    def __init__(self, period=0.2, capacity=1 << 16):
        super().__init__(daemon=True)
        self.period = period
        self.peaks = np.zeros(len(FIELDS))
        self.samples = np.zeros((capacity, 2))  # (seconds, VmRSS MB)
        self.n = 0
        self.stop_event = threading.Event()
        self.t0 = time.perf_counter()

    def run(self):
        while not self.stop_event.is_set():
            s = read_status()
            for k, field in enumerate(FIELDS):
                self.peaks[k] = max(self.peaks[k], s.get(field, 0.0))
            if self.n < self.samples.shape[0]:
                self.samples[self.n] = time.perf_counter() - self.t0, s.get("VmRSS", 0.0)
                self.n += 1
            self.stop_event.wait(self.period)

    def stop(self):
        self.stop_event.set()
        self.join()

    @property
    def peak(self):
        return {field: float(v) for field, v in zip(FIELDS, self.peaks, strict=True)}

    @property
    def trace(self):
        return [[round(float(t), 2), float(r)] for t, r in self.samples[:self.n]]


def peak_rss_mb(base, phases):
    """Peak RSS of the process: ``ru_maxrss``, or the largest phase peak with phases.

    Resetting ``VmHWM`` also resets what ``ru_maxrss`` reads, so with phases
    the peak is the largest of the import's peak and every phase's.
    """
    if phases is None:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return max([base.get("VmHWM", 0.0)] + [r["peak_mb"] for r in phases.records])


def main():
    cfg = json.loads(sys.argv[1])
    p = cfg["params"]
    if cfg["lib"] == "skw2v":
        from skw2v import SkipGramVectorizer
    else:
        from gensim.models import Word2Vec
        from gensim.models.word2vec import Text8Corpus
    base = read_status()
    phases = None
    if cfg.get("phases") and cfg["lib"] == "skw2v":
        phases = Phases()
        phases.install()
    sampler = Sampler()
    sampler.start()
    t0 = time.perf_counter()
    if cfg["lib"] == "skw2v":
        est = SkipGramVectorizer(
            input="filename", n_components=p["dim"], window=p["window"],
            n_negatives=p["negative"], epochs=p["epochs"], min_count=p["min_count"],
            subsample=p["sample"], n_jobs=cfg["n_jobs"], random_state=0,
            spill_threshold=cfg["spill_threshold"], temp_folder=cfg.get("temp_folder"))
        est.fit(cfg["files"])
        n_words, n_tokens = len(est.index_to_key_), est.n_tokens_
        loss = float(est.loss_curve_[-1])
    else:
        class Files:  # a restartable stream of 10,000-token sentences
            def __iter__(self):
                for f in cfg["files"]:
                    yield from Text8Corpus(f)

        m = Word2Vec(Files(), vector_size=p["dim"], window=p["window"], negative=p["negative"],
                     epochs=p["epochs"], min_count=p["min_count"], sample=p["sample"], sg=1,
                     workers=cfg["n_jobs"], seed=1)
        n_words, n_tokens = len(m.wv), int(m.corpus_total_words)
        loss = None
    fit_s = time.perf_counter() - t0
    sampler.stop()
    if phases is not None:
        phases.mark("end")
    rec = dict(
        lib=cfg["lib"], spill_threshold=cfg.get("spill_threshold"), n_jobs=cfg["n_jobs"],
        epochs=p["epochs"], fit_seconds=fit_s, n_tokens=n_tokens, n_words=n_words,
        raw_text_mb=sum(os.path.getsize(f) for f in cfg["files"]) / 2 ** 20,
        model_mb=2 * n_words * p["dim"] * 4 / 2 ** 20,
        rss_before_fit_mb=base.get("VmRSS"),
        peak_rss_mb=peak_rss_mb(base, phases),
        sampled_peak_mb={k.lower(): v for k, v in sampler.peak.items()},
        rss_trace=sampler.trace[::max(1, len(sampler.trace) // 200)],
        last_epoch_loss=loss,
        phases=None if phases is None else phases.records,
        dim=p["dim"],
    )
    print(json.dumps(rec))


if __name__ == "__main__":
    main()
