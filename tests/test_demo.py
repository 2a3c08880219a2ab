"""The README's main job and the dataset loader behind it."""

import subprocess
import sys

import numpy as np

from skw2v import KeyedVectors
from skw2v.datasets import load_bbc_news


def test_load_bbc_news_is_complete_and_deterministic():
    docs, target, names = load_bbc_news()
    assert len(docs) == 2225 == target.size
    assert names == sorted(names) and len(names) == 5
    # the published class sizes of the BBC corpus (Greene & Cunningham, 2006)
    sizes = dict(zip(names, np.bincount(target).tolist(), strict=True))
    assert sizes == {"business": 510, "entertainment": 386, "politics": 417, "sports": 511,
                     "tech": 401}
    assert all(isinstance(d, str) and len(d) > 100 for d in docs)
    again, target2, _ = load_bbc_news()
    assert again == docs and np.array_equal(target, target2)


def test_demo_runs_end_to_end(tmp_path):
    out = tmp_path / "vectors.txt"
    proc = subprocess.run(
        [sys.executable, "-m", "skw2v.demo", "--epochs", "1", "--dim", "16", "--verbose", "0",
         "--output", str(out)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "nearest neighbours" in proc.stdout
    assert "TfidfVectorizer + LogisticRegression" in proc.stdout
    line = next(x for x in proc.stdout.splitlines() if "SkipGramVectorizer(mean, l2)" in x)
    assert float(line.split()[-1]) > 0.5  # five topics: chance is about 0.23
    kv = KeyedVectors.load_word2vec_format(out)
    assert kv.vector_size == 16 and len(kv) > 1000
