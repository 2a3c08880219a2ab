"""The "?" documentation link of SkipGramVectorizer's notebook (HTML) display.

scikit-learn draws a "?" button in an estimator's HTML repr when the class
names its documentation through ``_doc_link_module`` and
``_doc_link_template``. Nothing here touches the network: the repr is a string.
"""

import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline

from skw2v import SkipGramVectorizer

DOC_LINK = re.compile(
    r'<a class="sk-estimator-doc-link[^"]*"[^>]*href="([^"]+)"[^>]*>\?'
    r"<span>Documentation for (\w+)</span>")
EXPECTED = ("https://skw2v.readthedocs.io/en/stable/generated/"
            "skw2v.SkipGramVectorizer.html")


def _doc_links(html):
    return {name: url for url, name in DOC_LINK.findall(html)}


def test_html_repr_has_documentation_link():
    est = SkipGramVectorizer(n_components=8)
    assert est._get_doc_link() == EXPECTED
    assert _doc_links(est._repr_html_()) == {"SkipGramVectorizer": EXPECTED}


def test_documentation_link_inside_a_pipeline():
    pipe = make_pipeline(SkipGramVectorizer(), LogisticRegression())
    links = _doc_links(pipe._repr_html_())
    assert links["SkipGramVectorizer"] == EXPECTED
    # scikit-learn's own estimators keep their own links.
    assert "scikit-learn.org" in links["LogisticRegression"]


def test_documentation_link_names_the_generated_api_page():
    """The link's page is the one docs/api.rst generates for the class."""
    api = Path(__file__).resolve().parents[1] / "docs" / "api.rst"
    if not api.is_file():
        pytest.skip("docs/ is not next to the tests")
    text = api.read_text(encoding="utf-8")
    page = urlsplit(EXPECTED).path.rsplit("/", 2)
    folder, filename = page[-2], page[-1]
    module, name = filename.removesuffix(".html").rsplit(".", 1)
    assert f".. currentmodule:: {module}" in text
    blocks = [part.split(".. ", 1)[0] for part in text.split(f":toctree: {folder}/")[1:]]
    assert any(re.search(rf"^\s+{name}$", block, re.MULTILINE) for block in blocks)
