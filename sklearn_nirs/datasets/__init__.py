"""Spectral data: the bundled Tecator meat spectra and synthetic NIR spectra.

load_tecator
    215 real NIR transmission spectra of meat (850-1050 nm) with moisture,
    fat and protein reference values and the original train/monitor/test split.
make_nirs_regression
    Synthetic NIR absorbance spectra from a Beer-Lambert mixture model with
    scatter, baseline and noise; the target is one constituent's concentration.
"""

from sklearn_nirs.datasets._synthetic import make_nirs_regression
from sklearn_nirs.datasets._tecator import load_tecator

__all__ = ["load_tecator", "make_nirs_regression"]
