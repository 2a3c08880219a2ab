"""The package's layers: each module imports only the layers below it, never in a circle.

Layers, lowest first (see the architecture page of the documentation):

0. ``_version``, ``_compat``: the version, and the outside APIs skw2v leans on
   without a promise;
1. ``_core``: array kernels, NumPy and SciPy only;
2. ``_files``: file formats, the standard library and NumPy only;
3. ``_data``: documents to encoded corpora;
4. ``losses``, then ``gradcheck``: the public loss protocol (NumPy and SciPy);
5. ``keyedvectors``, then ``evaluation``: word vectors and their benchmarks;
6. ``_params``: parameter constraints into typed configs;
7. ``_fitting``: the training loop, its parallel schemes and its state;
8. ``_estimator``: SkipGramVectorizer;
9. ``datasets``, then ``cli``, ``demo``, ``__main__`` and the package itself:
   the applications.

Modules of one layer may import each other (within their own package only).
Imports inside functions count as much as those at the top of a module.
"""

import ast
import pathlib
import subprocess
import sys

import pytest

import skw2v

PACKAGE = pathlib.Path(skw2v.__file__).parent
LAYERS = [
    ("skw2v._version", "skw2v._compat"),
    ("skw2v._core",),
    ("skw2v._files",),
    ("skw2v._data",),
    ("skw2v.losses",),
    ("skw2v.gradcheck",),
    ("skw2v.keyedvectors",),
    ("skw2v.evaluation",),
    ("skw2v._params",),
    ("skw2v._fitting",),
    ("skw2v._estimator",),
    ("skw2v.datasets",),
    ("skw2v.cli", "skw2v.demo", "skw2v.__main__", "skw2v"),
]
#: The applications of the top layer import each other freely.
APPLICATIONS = ("skw2v.cli", "skw2v.demo", "skw2v.__main__", "skw2v")
#: Layers whose modules must load without scikit-learn and joblib.
LEAN = ("skw2v._compat", "skw2v._core", "skw2v._files", "skw2v.losses", "skw2v.gradcheck")


def module_names():
    names = []
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names


def layer_of(name):
    """Index of the layer of module ``name`` (the longest matching prefix)."""
    best, rank = -1, None
    for i, prefixes in enumerate(LAYERS):
        for p in prefixes:
            if (name == p or name.startswith(p + ".")) and len(p) > best:
                best, rank = len(p), i
    assert rank is not None, f"{name} belongs to no layer: add it to LAYERS"
    return rank


def group_of(name):
    """The package (or module) that makes a layer's unit: skw2v._core, skw2v.losses..."""
    if name in APPLICATIONS:
        return "applications"
    parts = name.split(".")
    return ".".join(parts[:2])


def internal_imports(name):
    """The skw2v modules that module ``name`` imports, anywhere in its code."""
    path = PACKAGE.parent.joinpath(*name.split("."))
    path = path / "__init__.py" if path.is_dir() else path.with_suffix(".py")
    tree = ast.parse(path.read_text(encoding="utf-8"))
    is_pkg = path.name == "__init__.py"
    here = name.split(".") if is_pkg else name.split(".")[:-1]
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.split(".")[0] == "skw2v")
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = here[:len(here) - node.level + 1]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            if mod.split(".")[0] != "skw2v":
                continue
            for alias in node.names:  # "from . import atomic" names a module
                sub = f"{mod}.{alias.name}"
                found.add(sub if sub in MODULES else mod)
    found.discard(name)
    return found


MODULES = set(module_names())


@pytest.mark.parametrize("name", sorted(MODULES))
def test_module_imports_only_lower_layers(name):
    rank = layer_of(name)
    for other in internal_imports(name):
        other_rank = layer_of(other)
        same_unit = group_of(other) == group_of(name)
        assert other_rank < rank or (other_rank == rank and same_unit), (
            f"{name} (layer {rank}) imports {other} (layer {other_rank})")


def test_no_module_imports_in_a_circle():
    graph = {name: {m for m in internal_imports(name) if m in MODULES} - {"skw2v"}
             for name in MODULES}
    state = {}

    def visit(node, path):
        if state.get(node) == "done":
            return
        assert state.get(node) != "open", "import cycle: " + " -> ".join(path + [node])
        state[node] = "open"
        for nxt in sorted(graph[node]):
            visit(nxt, path + [node])
        state[node] = "done"

    for name in sorted(graph):
        visit(name, [])


def test_every_layer_is_checked():
    """A new module must be placed in a layer (layer_of asserts it)."""
    assert len(MODULES) > 25
    for name in MODULES:
        layer_of(name)


@pytest.mark.parametrize("module", sorted(m for m in MODULES
                                          if any(m == p or m.startswith(p + ".") for p in LEAN)))
def test_lean_module_imports_neither_sklearn_nor_joblib(module):
    code = (
        f"import sys, {module}\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('sklearn', 'joblib'))\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"{module} imported {out.stdout.strip()}"
