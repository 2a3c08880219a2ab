"""Sphinx configuration of the skw2v documentation.

Build (offline, warnings as errors)::

    pip install ".[docs]"
    python -m sphinx -W --keep-going -b html docs docs/_build/html

The built pages load nothing from the network: MathJax is copied into
``_static/mathjax`` by the ``sphinx-mathjax-offline`` package (listed in the
``docs`` extra), and ``python docs/tools/check_offline_html.py
docs/_build/html`` fails if any page still asks for a remote script, style,
font or image (CI runs it after the build). Where Chromium and playwright
are installed, ``python docs/tools/browser_check.py docs/_build/html``
opens every page offline and checks that formulas render and nothing runs
past its box at 1280 px (``--screenshots DIR`` saves a few pages).

The gallery under ``examples/`` is executed during the build. Links to the
documentation of Python, NumPy, SciPy, scikit-learn and joblib (intersphinx)
need the network, so they are off unless ``SKW2V_DOCS_INTERSPHINX=1`` is set;
without it every cross-reference to those projects renders as plain code.
"""

from __future__ import annotations

import ast
import os
import re
import sys
from pathlib import Path

from docutils import nodes

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
    # Ships MathJax 3 and points mathjax_path at the local copy, so formulas
    # render without the CDN (sphinx.ext.mathjax's default URL).
    "sphinx-mathjax-offline",
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
autodoc_default_options = {"members": True}
autodoc_typehints = "none"           # numpydoc sections carry the types
autodoc_member_order = "groupwise"
# Inherited methods (get_params, set_params, set_output, ...) are listed on
# the class pages: the class template passes :inherited-members: with the
# builtin bases whose members are not ours to document.
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
    # The execution-times page loads jQuery, DataTables and Bootstrap from
    # CDNs; the docs must work offline, so it is not written.
    "write_computation_times": False,
}

# -- HTML ----------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"skw2v {release}"
html_static_path = ["_static"]
html_css_files = ["skw2v.css"]
html_show_sourcelink = False
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "secondary_sidebar_items": ["page-toc"],
    "footer_start": ["copyright"],
    "footer_end": [],
}
# "On this page" lists methods as ``fit`` rather than
# ``SkipGramVectorizer.fit``; _static/skw2v.css lets names that are still
# too long for the sidebar wrap instead of running off the page.
toc_object_entries_show_parents = "hide"
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


_CLASS_REPR = re.compile(r"<class '([\w.]+)'>")


def _class_defaults_by_name(app, what, name, obj, options, signature, return_annotation):
    """Write class defaults as code: ``dtype=np.float32``.

    autodoc formats a default with ``repr``, which for a class such as
    ``numpy.float32`` is ``<class 'numpy.float32'>``. Only the text of the
    signature changes; the defaults in the code are untouched.
    """
    if not signature or "<class '" not in signature:
        return None

    def as_code(match):
        dotted = match.group(1)
        return "np." + dotted[len("numpy."):] if dotted.startswith("numpy.") else dotted

    return _CLASS_REPR.sub(as_code, signature), return_annotation


def _raw_string_defaults(app, doctree):
    """Show string defaults that contain backslashes as raw literals.

    A signature shows the ``repr`` of each default, which doubles every
    backslash of a regular expression such as the ``token_pattern`` default.
    The docstrings write it as a raw literal, and now so does the signature
    (the doctree is changed, not the code). Strings that a raw literal cannot
    spell are left as they are.
    """
    for node in doctree.findall(nodes.inline):
        if "default_value" not in node["classes"]:
            continue
        try:
            value = ast.literal_eval(node.astext())
        except (ValueError, SyntaxError):
            continue
        if (not isinstance(value, str) or "\\" not in value or value.endswith("\\")
                or "'" in value or "\n" in value):
            continue
        node.children = []
        node += nodes.Text(f"r'{value}'")


_REF = re.compile(r":ref:`(?:([^`<]*?)\s*<([^`>]+)>|([^`]+))`")


def _sklearn_refs_as_text(app, what, name, obj, options, lines):
    """Turn scikit-learn's ``:ref:`` links into text in inherited docstrings.

    ``get_params``, ``set_output`` and the other methods inherited from
    scikit-learn refer to labels of scikit-learn's own documentation. Those
    resolve only through intersphinx (``SKW2V_DOCS_INTERSPHINX=1``); in the
    offline build they would be undefined labels, so they become plain text
    that says where to look.
    """
    if INTERSPHINX or not getattr(obj, "__module__", "").startswith("sklearn"):
        return

    def as_text(match):
        text, label, bare = match.groups()
        if bare is not None:
            return ("scikit-learn's gallery" if bare.startswith("sphx_glr_")
                    else "scikit-learn's documentation")
        return f"{text} (scikit-learn's documentation)"

    lines[:] = [_REF.sub(as_text, line) for line in lines]


def setup(app):
    app.connect("autodoc-skip-member", _skip_metadata_request_methods)
    app.connect("autodoc-process-signature", _class_defaults_by_name)
    app.connect("autodoc-process-docstring", _sklearn_refs_as_text)
    app.connect("doctree-read", _raw_string_defaults)
