"""Every docstring example in the package runs and prints what it shows.

The doctests run on the imported (installed) package, module by module, so a
stale example fails the suite like any other test.
"""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import sklearn_nirs

MODULES = sorted(
    info.name
    for info in pkgutil.walk_packages(sklearn_nirs.__path__, "sklearn_nirs.")
    if not info.name.endswith("__main__")
)


def test_modules_were_found():
    assert "sklearn_nirs.augmentation" in MODULES
    assert "sklearn_nirs.preprocessing._scatter" in MODULES


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    flags = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
    result = doctest.testmod(module, optionflags=flags, verbose=False)
    assert result.failed == 0, f"{result.failed} doctest(s) failed in {name}"
