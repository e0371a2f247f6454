"""What every spectral transformer promises about its input.

These promises live in one place in the code (the shared base class,
``sklearn_nirs.preprocessing._base.SpectralTransformer``), so they are
specified once here, for every transformer and several configurations:
read-only input works and is never modified, NaN and infinity are reported
with the rows that hold them, a width at ``transform`` that differs from
``fit`` is refused, and 1-D input is refused.
"""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

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
from sklearn_nirs.utils import all_estimators

TRANSFORMERS = [
    StandardNormalVariate(),
    RobustNormalVariate(),
    RobustNormalVariate(method="mad"),
    MultiplicativeScatterCorrection(),
    MultiplicativeScatterCorrection(reference="median"),
    ExtendedMultiplicativeScatterCorrection(),
    ExtendedMultiplicativeScatterCorrection(degree=1),
    Normalize(),
    Normalize(method="l2"),
    Normalize(method="area"),
    Normalize(method="max"),
    ToAbsorbance(),
    ToAbsorbance(percent=True),
    WavelengthRange(start=5, stop=30),
    SavitzkyGolay(window_length=7, polyorder=2),
    SavitzkyGolay(deriv=2, mode="mirror"),
    NorrisWilliams(segment=3, gap=3),
    NorrisWilliams(deriv=2),
    GaussianSmoothing(),
    Detrend(degree=2),
    AsymmetricLeastSquaresBaseline(lam=1e3),
]


def _spectra(n_samples=12, n_wavelengths=40, seed=0):
    """Positive, absorbance-like spectra: a band on a sloped baseline, noise."""
    rng = np.random.default_rng(seed)
    t = np.linspace(0.0, 1.0, n_wavelengths)
    centres = rng.uniform(0.2, 0.8, size=(n_samples, 1))
    X = 0.5 + 0.3 * t + np.exp(-0.5 * ((t - centres) / 0.1) ** 2)
    return X + 0.01 * rng.standard_normal(X.shape)


def test_every_transformer_is_covered():
    # A new transformer must be added above, or this contract is not checked.
    covered = {type(t).__name__ for t in TRANSFORMERS}
    public = {
        name
        for name, cls in all_estimators("transformer")
        if cls.__module__.startswith("sklearn_nirs.preprocessing")
    }
    assert public <= covered


@pytest.mark.parametrize("transformer", TRANSFORMERS, ids=repr)
def test_read_only_input_works_and_is_not_modified(transformer):
    X = _spectra()
    expected = transformer.fit_transform(X.copy())
    X.flags.writeable = False
    before = X.copy()

    result = transformer.fit(X).transform(X)

    assert_array_equal(X, before)
    assert_allclose(result, expected)
    assert not np.shares_memory(result, X)


@pytest.mark.parametrize("transformer", TRANSFORMERS, ids=repr)
@pytest.mark.parametrize(
    ("bad", "word"), [(np.nan, "NaN"), (np.inf, "infinity"), (-np.inf, "infinity")]
)
def test_non_finite_values_are_reported_by_row(transformer, bad, word):
    X = _spectra()
    X[[3, 7], 5] = bad

    with pytest.raises(ValueError, match=rf"{word}.*row\(s\) 3, 7\b"):
        transformer.fit(X)
    fitted = transformer.fit(_spectra())
    with pytest.raises(ValueError, match=r"row\(s\) 3, 7\b"):
        fitted.transform(X)


@pytest.mark.parametrize("transformer", TRANSFORMERS, ids=repr)
def test_width_at_transform_must_match_fit(transformer):
    fitted = transformer.fit(_spectra(n_wavelengths=40))

    with pytest.raises(ValueError, match="features"):
        fitted.transform(_spectra(n_wavelengths=39))


@pytest.mark.parametrize("transformer", TRANSFORMERS, ids=repr)
def test_one_dimensional_input_is_rejected(transformer):
    with pytest.raises(ValueError, match="Expected 2D array"):
        transformer.fit(_spectra()[0])
