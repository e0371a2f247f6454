"""sklearn-nirs: scikit-learn compatible near-infrared spectroscopy.

The public face of the package. Heavy modules load on first use, so
``import sklearn_nirs`` stays cheap (the CLI and process workers import it).

Public names
------------
ParallelFeatureAugmentation
    Apply many preprocessings to the same spectra in parallel and combine them.
ParallelModelSearch
    Cross-validate many candidate models in parallel, reusing shared work.
preprocessing
    NIRS preprocessing transformers (SNV, MSC, Savitzky-Golay, ...).
datasets
    The bundled Tecator data set and synthetic NIR spectra.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

__version__ = "0.1.0"

# name -> module that defines it; resolved lazily by ``__getattr__`` below.
_LAZY = {
    "ParallelFeatureAugmentation": "sklearn_nirs.augmentation",
    "ParallelModelSearch": "sklearn_nirs.search",
}
_SUBMODULES = ("datasets", "preprocessing", "utils")

__all__ = [
    "ParallelFeatureAugmentation",
    "ParallelModelSearch",
    "__version__",
    "datasets",
    "preprocessing",
    "utils",
]

if TYPE_CHECKING:  # pragma: no cover
    from sklearn_nirs import datasets, preprocessing, utils
    from sklearn_nirs.augmentation import ParallelFeatureAugmentation
    from sklearn_nirs.search import ParallelModelSearch


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    if name in _SUBMODULES:
        return importlib.import_module(f"sklearn_nirs.{name}")
    raise AttributeError(f"module 'sklearn_nirs' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
