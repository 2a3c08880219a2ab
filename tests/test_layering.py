"""The kernel modules must not pull in scikit-learn or joblib."""

import subprocess
import sys

import pytest

KERNELS = ["skw2v.losses", "skw2v.gradcheck"]


@pytest.mark.parametrize("module", KERNELS)
def test_kernel_imports_neither_sklearn_nor_joblib(module):
    code = (
        f"import sys, {module}\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('sklearn', 'joblib'))\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"{module} imported {out.stdout.strip()}"
