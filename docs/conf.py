"""Sphinx configuration of the skw2v documentation.

Build (offline, warnings as errors)::

    pip install ".[docs]"
    python -m sphinx -W --keep-going -b html docs docs/_build/html

The gallery under ``examples/`` is executed during the build. Links to the
documentation of Python, NumPy, SciPy, scikit-learn and joblib (intersphinx)
need the network, so they are off unless ``SKW2V_DOCS_INTERSPHINX=1`` is set;
without it every cross-reference to those projects renders as plain code.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
# Prefer the source tree over any installed copy when building from a clone.
sys.path.insert(0, str(ROOT))

import skw2v  # noqa: E402

# -- Project -----------------------------------------------------------------
project = "skw2v"
author = "skw2v developers"
copyright = "skw2v developers, BSD-3-Clause"
release = skw2v.__version__
version = ".".join(release.split(".")[:2])

# -- Extensions --------------------------------------------------------------
extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.doctest",
    "sphinx.ext.mathjax",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]

INTERSPHINX = os.environ.get("SKW2V_DOCS_INTERSPHINX", "0").strip().lower() in {
    "1", "true", "yes", "on"}
if INTERSPHINX:
    extensions.append("sphinx.ext.intersphinx")
    intersphinx_mapping = {
        "python": ("https://docs.python.org/3", None),
        "numpy": ("https://numpy.org/doc/stable/", None),
        "scipy": ("https://docs.scipy.org/doc/scipy/", None),
        "sklearn": ("https://scikit-learn.org/stable/", None),
        "joblib": ("https://joblib.readthedocs.io/en/stable/", None),
    }
    intersphinx_timeout = 10

templates_path = ["_templates"]
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store"]
source_suffix = {".rst": "restructuredtext"}
root_doc = "index"
default_role = "literal"
pygments_style = "sphinx"
add_function_parentheses = False

# -- autodoc / autosummary / numpydoc ---------------------------------------
autosummary_generate = True
autodoc_default_options = {"members": True, "inherited-members": False}
autodoc_typehints = "none"           # numpydoc sections carry the types
autodoc_member_order = "groupwise"
numpydoc_show_class_members = False  # our class template lists the members
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False

# -- doctest -------------------------------------------------------------------
# python -m sphinx -b doctest -D sphinx_gallery_conf.plot_gallery=0 docs docs/_build/doctest
doctest_global_setup = "import numpy as np"

# -- sphinx-gallery -----------------------------------------------------------
sphinx_gallery_conf = {
    "examples_dirs": str(ROOT / "examples"),
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "backreferences_dir": "gen_modules/backreferences",
    "doc_module": ("skw2v",),
    "within_subsection_order": "FileNameSortKey",
    "remove_config_comments": True,
    "abort_on_example_error": True,
    "plot_gallery": "True",
    "download_all_examples": False,
    "show_memory": False,
    "min_reported_time": 1,
    "matplotlib_animations": False,
    "image_scrapers": ("matplotlib",),
}

# -- HTML ----------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"skw2v {release}"
html_static_path = []
html_show_sourcelink = False
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "secondary_sidebar_items": ["page-toc"],
    "footer_start": ["copyright"],
    "footer_end": [],
}
html_sidebars = {"index": [], "install": [], "quickstart": [], "cli": [],
                 "migration_gensim": []}


# -- Hooks -----------------------------------------------------------------------
def _skip_metadata_request_methods(app, what, name, obj, skip, options):
    """Leave out scikit-learn's generated ``set_{method}_request`` methods.

    scikit-learn adds them to every estimator whose ``fit``/``score`` take
    extra keyword arguments (metadata routing). Their docstrings refer to
    terms of scikit-learn's own glossary, which cannot resolve offline, and
    they are documented once, in scikit-learn.
    """
    if name.startswith("set_") and name.endswith("_request"):
        return True
    return None


def setup(app):
    app.connect("autodoc-skip-member", _skip_metadata_request_methods)
