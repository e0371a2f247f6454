"""
======================================================
NIR preprocessing on Tecator spectra, before and after
======================================================

What does each transformer of :mod:`sklearn_nirs.preprocessing` do to real NIR
spectra? We apply every one of them to the 215 Tecator meat spectra
(850-1050 nm, absorbance) and draw the spectra before and after, each coloured
by the sample's fat content, so you can see which physical effect each one
removes and what chemical information survives.

NIR spectra of the same material differ for reasons that have nothing to do with
its chemistry: light scattering by particles of different sizes multiplies and
offsets the whole spectrum, the optical path length changes, baselines drift.
Preprocessing removes those effects so that a linear model (PLS) can see the
absorption bands that do depend on chemistry: here the fat band near 930 nm.
See the :ref:`preprocessing` user guide for the formulas and references.
"""

# sphinx_gallery_thumbnail_number = 2

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.cm import ScalarMappable
from matplotlib.colors import Normalize as ColorNormalize

from sklearn_nirs.datasets import load_tecator
from sklearn_nirs.preprocessing import (
    AsymmetricLeastSquaresBaseline,
    Detrend,
    ExtendedMultiplicativeScatterCorrection,
    GaussianSmoothing,
    MultiplicativeScatterCorrection,
    Normalize,
    NorrisWilliams,
    RobustNormalVariate,
    SavitzkyGolay,
    StandardNormalVariate,
    ToAbsorbance,
    WavelengthRange,
)

tecator = load_tecator(target="fat")
X, fat, wavelengths = tecator.data, tecator.target, tecator.wavelengths
step = wavelengths[1] - wavelengths[0]  # 2.02 nm between channels
print(
    f"{X.shape[0]} spectra, {X.shape[1]} wavelengths, {wavelengths[0]:.0f}-"
    f"{wavelengths[-1]:.0f} nm, fat {fat.min():.1f}-{fat.max():.1f} %"
)

# %%
# The raw spectra
# ---------------
# Each line is one meat sample, coloured by its fat content. The spectra are
# dominated by offsets and slopes that vary from sample to sample (scatter and
# path length); the chemical differences are small bumps riding on them.

colors = plt.get_cmap("viridis")
color_scale = ColorNormalize(vmin=fat.min(), vmax=fat.max())
order = np.argsort(fat)  # draw high-fat spectra last, on top


def plot_spectra(ax, spectra, title, ylabel, x=wavelengths):
    """Draw spectra as lines coloured by fat content, with labelled axes."""
    for i in order:
        ax.plot(x, spectra[i], color=colors(color_scale(fat[i])), lw=0.5, alpha=0.8)
    ax.set_title(title, fontsize=10)
    ax.set_xlabel("Wavelength (nm)")
    ax.set_ylabel(ylabel)
    ax.set_xlim(x[0], x[-1])


def add_colorbar(fig, axes):
    mappable = ScalarMappable(norm=color_scale, cmap=colors)
    fig.colorbar(mappable, ax=axes, label="Fat (%)", shrink=0.8)


fig, ax = plt.subplots(figsize=(7, 4), layout="constrained")
plot_spectra(ax, X, "Tecator meat spectra (raw)", "Absorbance")
add_colorbar(fig, ax)


# %%
# A helper draws one figure: the raw spectra ("before") in the first panel,
# then one panel per transformer ("after"). Every transformer is a
# scikit-learn estimator, so ``fit_transform`` is all it takes.


def before_after(panels, suptitle):
    """Small multiples: raw spectra, then each (title, ylabel, spectra[, x])."""
    fig, axes = plt.subplots(2, 3, figsize=(11, 6.2), layout="constrained")
    plot_spectra(axes.flat[0], X, "Raw (before)", "Absorbance")
    for ax, (title, ylabel, spectra, *x) in zip(axes.flat[1:], panels, strict=True):
        plot_spectra(ax, spectra, title, ylabel, *x)
    for ax in axes.flat[1 + len(panels) :]:
        ax.set_axis_off()
    add_colorbar(fig, axes)
    fig.suptitle(suptitle)
    return fig


# %%
# Scatter correction and normalization
# ------------------------------------
# These remove, spectrum by spectrum, the additive offset and multiplicative
# scale caused by light scattering and path-length differences:
#
# * :class:`~sklearn_nirs.preprocessing.StandardNormalVariate` (SNV) centres and
#   scales each spectrum by its own mean and standard deviation;
# * :class:`~sklearn_nirs.preprocessing.RobustNormalVariate` does the same with
#   the median and interquartile range, so strong peaks weigh less;
# * :class:`~sklearn_nirs.preprocessing.MultiplicativeScatterCorrection` (MSC)
#   regresses each spectrum on the mean training spectrum (learned in ``fit``)
#   and undoes the fitted offset and slope;
# * :class:`~sklearn_nirs.preprocessing.ExtendedMultiplicativeScatterCorrection`
#   (EMSC) adds polynomial baseline terms in wavelength to that regression;
# * :class:`~sklearn_nirs.preprocessing.Normalize` rescales each spectrum (here to
#   unit area under the curve).
#
# After SNV or MSC the spectra collapse onto a common shape and sort by fat
# content around 930 nm: the scatter was most of the variation.

scatter = [
    ("StandardNormalVariate", "SNV absorbance", StandardNormalVariate()),
    ("RobustNormalVariate", "RNV absorbance", RobustNormalVariate()),
    (
        "MultiplicativeScatterCorrection",
        "MSC absorbance",
        MultiplicativeScatterCorrection(),
    ),
    (
        "ExtendedMultiplicativeScatterCorrection (degree 2)",
        "EMSC absorbance",
        ExtendedMultiplicativeScatterCorrection(degree=2, wavelengths=wavelengths),
    ),
    ('Normalize(method="area")', "Absorbance / area", Normalize(method="area")),
]
before_after(
    [(title, ylabel, t.fit_transform(X)) for title, ylabel, t in scatter],
    "Scatter correction and normalization",
)

# %%
# Derivatives and smoothing
# -------------------------
# A first derivative removes a constant offset, a second derivative also a
# linear slope; both sharpen overlapping absorption bands, at the price of
# amplifying noise, so derivatives are computed from a smoothing polynomial
# fitted over a moving window (Savitzky-Golay) or from segment averages
# separated by a gap (Norris-Williams). ``delta`` is the wavelength step, so the
# derivatives are per nm.
#
# * :class:`~sklearn_nirs.preprocessing.SavitzkyGolay` smooths (``deriv=0``) or
#   differentiates (``deriv=1``, ``2``);
# * :class:`~sklearn_nirs.preprocessing.GaussianSmoothing` smooths with a
#   Gaussian kernel;
# * :class:`~sklearn_nirs.preprocessing.NorrisWilliams` computes the gap-segment
#   derivative.
#
# Tecator spectra are already smooth, so smoothing barely changes them (it
# matters for noisier instruments). The 1st and 2nd derivatives remove the
# offsets and turn the fat band into a clear, fat-ordered feature near 930 nm.

derivatives = [
    (
        "SavitzkyGolay (smoothing, window 15)",
        "Absorbance",
        SavitzkyGolay(window_length=15, polyorder=2),
    ),
    ("GaussianSmoothing (sigma 3)", "Absorbance", GaussianSmoothing(sigma=3.0)),
    (
        "SavitzkyGolay (1st derivative)",
        "dA/dλ (1/nm)",
        SavitzkyGolay(window_length=15, polyorder=2, deriv=1, delta=step),
    ),
    (
        "SavitzkyGolay (2nd derivative)",
        "d²A/dλ² (1/nm²)",
        SavitzkyGolay(window_length=15, polyorder=2, deriv=2, delta=step),
    ),
    (
        "NorrisWilliams (segment 5, gap 5)",
        "dA/dλ (1/nm)",
        NorrisWilliams(segment=5, gap=5, deriv=1, delta=step),
    ),
]
before_after(
    [(title, ylabel, t.fit_transform(X)) for title, ylabel, t in derivatives],
    "Derivatives and smoothing",
)

# %%
# Baselines, units and wavelength selection
# -----------------------------------------
# * :class:`~sklearn_nirs.preprocessing.Detrend` subtracts a polynomial in
#   wavelength fitted to each spectrum (a sloped or curved baseline);
# * :class:`~sklearn_nirs.preprocessing.AsymmetricLeastSquaresBaseline` (AsLS)
#   subtracts a smooth baseline that follows the lower envelope of each
#   spectrum, leaving the absorption bands above it;
# * :class:`~sklearn_nirs.preprocessing.WavelengthRange` keeps only the
#   wavelengths in a range (here the fat band region, 900-1000 nm);
# * :class:`~sklearn_nirs.preprocessing.ToAbsorbance` turns reflectance or
#   transmittance into absorbance, :math:`A = -\log_{10} T`, which is linear in
#   concentration (Beer-Lambert). Tecator is stored as absorbance, so we first
#   compute the transmittance :math:`T = 10^{-A}` the instrument measured, and
#   convert it back.

transmittance = 10.0**-X
in_range = (wavelengths >= 900) & (wavelengths <= 1000)
baselines = [
    ("Detrend (degree 2)", "Absorbance - baseline", Detrend(degree=2).fit_transform(X)),
    (
        "AsymmetricLeastSquaresBaseline",
        "Absorbance - baseline",
        AsymmetricLeastSquaresBaseline(lam=1e4, p=0.01).fit_transform(X),
    ),
    (
        "WavelengthRange (900-1000 nm)",
        "Absorbance",
        WavelengthRange(start=900, stop=1000, wavelengths=wavelengths).fit_transform(X),
        wavelengths[in_range],
    ),
    ("Transmittance T = 10^-A (input)", "Transmittance", transmittance),
    (
        "ToAbsorbance (back to absorbance)",
        "Absorbance",
        ToAbsorbance().fit_transform(transmittance),
    ),
]
before_after(baselines, "Baselines, units and wavelength selection")

plt.show()

# %%
# Which one should I use?
# -----------------------
# There is no universal answer: it depends on the instrument, the sample and
# the property. Common, robust starting points are SNV or MSC followed by a
# Savitzky-Golay 1st or 2nd derivative. Rather than choosing by eye, let
# cross-validation decide: give a model several preprocessings at once with
# :class:`~sklearn_nirs.ParallelFeatureAugmentation`
# (:ref:`sphx_glr_auto_examples_plot_augmentation_pls_gridsearch.py`), or
# compare whole pipelines with :class:`~sklearn_nirs.ParallelModelSearch`
# (:ref:`sphx_glr_auto_examples_plot_model_search.py`).
