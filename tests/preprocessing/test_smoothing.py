"""GaussianSmoothing against an explicit convolution with a hand-built kernel."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose

from sklearn_nirs.preprocessing import GaussianSmoothing


def _spectra(n_samples=4, n_wavelengths=60, seed=0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    t = np.linspace(0.0, 1.0, n_wavelengths)
    centres = rng.uniform(0.2, 0.8, size=(n_samples, 1))
    X = 0.5 + 0.3 * t + np.exp(-0.5 * ((t - centres) / 0.08) ** 2)
    X += 0.02 * rng.standard_normal(X.shape)
    return X.astype(dtype)


def _gaussian_kernel(sigma, truncate, order):
    """Sampled Gaussian normalised to sum 1, or its first derivative."""
    radius = int(truncate * sigma + 0.5)
    k = np.arange(-radius, radius + 1, dtype=float)
    g = np.exp(-(k**2) / (2.0 * sigma**2))
    g /= g.sum()
    if order == 0:
        return g
    return -k / sigma**2 * g  # d/dk of the Gaussian


def _convolve_rows(X, kernel):
    """Explicit convolution, one output point at a time (interior only)."""
    radius = kernel.size // 2
    n = X.shape[1]
    out = np.full(X.shape, np.nan)
    for row in range(X.shape[0]):
        for i in range(radius, n - radius):
            window = X[row, i - radius : i + radius + 1]
            out[row, i] = np.sum(kernel[::-1] * window)  # convolution flips
    return out


@pytest.mark.parametrize("order", [0, 1])
@pytest.mark.parametrize(("sigma", "truncate"), [(1.0, 4.0), (2.0, 4.0), (3.5, 2.5)])
def test_interior_equals_explicit_gaussian_convolution(sigma, truncate, order):
    # Arrange
    X = _spectra()
    kernel = _gaussian_kernel(sigma, truncate, order)
    radius = kernel.size // 2
    expected = _convolve_rows(X, kernel)

    # Act
    result = GaussianSmoothing(
        sigma=sigma, truncate=truncate, order=order
    ).fit_transform(X)

    # Assert
    inner = slice(radius, -radius)
    assert_allclose(result[:, inner], expected[:, inner], atol=1e-12)


def test_nearest_mode_edges_equal_convolution_of_edge_padded_spectra():
    # Arrange
    X = _spectra(n_wavelengths=30)
    kernel = _gaussian_kernel(2.0, 4.0, 0)
    radius = kernel.size // 2
    padded = np.pad(X, ((0, 0), (radius, radius)), mode="edge")

    # Act
    result = GaussianSmoothing(sigma=2.0, mode="nearest").fit_transform(X)

    # Assert: every position
    expected = np.vstack([np.convolve(row, kernel, mode="valid") for row in padded])
    assert_allclose(result, expected, atol=1e-12)


def test_smoothing_preserves_each_spectrum_level_and_a_straight_line_inside():
    t = np.arange(50.0)
    X = np.vstack([np.full(50, 0.7), 0.1 + 0.02 * t])

    result = GaussianSmoothing(sigma=2.0).fit_transform(X)

    assert_allclose(result[0], 0.7)
    assert_allclose(result[1, 8:-8], X[1, 8:-8])  # symmetric kernel


def test_smoothing_reduces_noise():
    rng = np.random.default_rng(1)
    noise = rng.standard_normal((20, 400))

    smoothed = GaussianSmoothing(sigma=3.0).fit_transform(noise)

    # Averaging ~sigma * 2 * sqrt(pi) independent points shrinks the std.
    assert smoothed.std() < 0.5 * noise.std()


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"sigma": 0.0}, "sigma"),
        ({"sigma": -1.0}, "sigma"),
        ({"order": -1}, "order"),
        ({"order": 1.5}, "order"),
        ({"truncate": 0.0}, "truncate"),
        ({"mode": "interp"}, "mode must be one of"),
    ],
)
def test_rejects_bad_parameters_at_fit(params, message):
    est = GaussianSmoothing(**params)

    with pytest.raises((ValueError, TypeError), match=message):
        est.fit(_spectra())


def test_float32_stays_float32_and_matches_float64():
    X = _spectra()

    out32 = GaussianSmoothing().fit_transform(X.astype(np.float32))
    out64 = GaussianSmoothing().fit_transform(X)

    assert out32.dtype == np.float32
    assert_allclose(out32, out64, rtol=1e-5)


def test_empty_spectra_are_rejected():
    with pytest.raises(ValueError, match="0 feature"):
        GaussianSmoothing().fit(np.empty((3, 0)))


def test_pandas_output_keeps_wavelength_names():
    import pandas as pd

    X = _spectra()
    columns = [f"{w:.0f}" for w in np.linspace(1100, 2500, X.shape[1])]

    result = (
        GaussianSmoothing()
        .set_output(transform="pandas")
        .fit_transform(pd.DataFrame(X, columns=columns))
    )

    assert isinstance(result, pd.DataFrame)
    assert list(result.columns) == columns
    assert_allclose(result.to_numpy(), GaussianSmoothing().fit_transform(X))
