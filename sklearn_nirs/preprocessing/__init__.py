"""NIRS preprocessing transformers.

Each works along the wavelength axis (axis 1) of ``(n_samples, n_wavelengths)``
spectra and follows the scikit-learn transformer API. See Rinnan, van den Berg
and Engelsen (2009), "Review of the most common pre-processing techniques for
near-infrared spectra", TrAC 28(10):1201-1222, for an overview.
"""

from __future__ import annotations

import importlib

# public name -> private module (one family per module); resolved lazily.
_MODULES = {
    "StandardNormalVariate": "_scatter",
    "RobustNormalVariate": "_scatter",
    "MultiplicativeScatterCorrection": "_scatter",
    "ExtendedMultiplicativeScatterCorrection": "_scatter",
    "Normalize": "_normalize",
    "ToAbsorbance": "_normalize",
    "WavelengthRange": "_selection",
    "SavitzkyGolay": "_derivative",
    "NorrisWilliams": "_derivative",
    "GaussianSmoothing": "_smoothing",
    "Detrend": "_baseline",
    "AsymmetricLeastSquaresBaseline": "_baseline",
}

__all__ = sorted(_MODULES)


def __getattr__(name: str):
    if name in _MODULES:
        module = importlib.import_module(f"{__name__}.{_MODULES[name]}")
        return getattr(module, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return __all__
