"""Tests of the synthetic NIR spectra generator."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.cross_decomposition import PLSRegression
from sklearn.metrics import r2_score
from sklearn.model_selection import KFold, cross_val_predict

from sklearn_nirs.datasets import make_nirs_regression

CLEAN = {"noise": 0.0, "scatter": 0.0, "baseline": 0.0}


def _relative_singular_values(X):
    s = np.linalg.svd(X, compute_uv=False)
    return s / s[0]


def test_shapes_and_wavelengths():
    X, y, wl = make_nirs_regression(
        n_samples=30,
        n_wavelengths=50,
        wavelength_range=(900, 1700),
        random_state=0,
        return_wavelengths=True,
    )
    assert X.shape == (30, 50)
    assert y.shape == (30,)
    assert X.dtype == y.dtype == wl.dtype == np.float64
    np.testing.assert_allclose(wl, np.linspace(900, 1700, 50))
    assert np.isfinite(X).all()
    assert len(make_nirs_regression(n_samples=5, random_state=0)) == 2


def test_default_shape():
    X, y = make_nirs_regression(random_state=0)
    assert X.shape == (500, 700)
    assert y.shape == (500,)


def test_deterministic_for_a_seed():
    X1, y1 = make_nirs_regression(n_samples=40, n_wavelengths=80, random_state=7)
    X2, y2 = make_nirs_regression(n_samples=40, n_wavelengths=80, random_state=7)
    np.testing.assert_array_equal(X1, X2)
    np.testing.assert_array_equal(y1, y2)
    X3, y3 = make_nirs_regression(
        n_samples=40, n_wavelengths=80, random_state=np.random.RandomState(7)
    )
    np.testing.assert_array_equal(X1, X3)
    np.testing.assert_array_equal(y1, y3)


def test_different_seeds_differ():
    X1, y1 = make_nirs_regression(n_samples=40, n_wavelengths=80, random_state=1)
    X2, y2 = make_nirs_regression(n_samples=40, n_wavelengths=80, random_state=2)
    assert not np.allclose(X1, X2)
    assert not np.allclose(y1, y2)


@pytest.mark.parametrize(
    "params, error, match",
    [
        ({"n_samples": 0}, ValueError, "n_samples"),
        ({"n_samples": 2.5}, TypeError, "n_samples"),
        ({"n_samples": True}, TypeError, "n_samples"),
        ({"n_wavelengths": 1}, ValueError, "n_wavelengths"),
        ({"n_constituents": 1}, ValueError, "n_constituents"),
        ({"noise": -0.1}, ValueError, "noise"),
        ({"noise": np.inf}, ValueError, "noise must be finite"),
        ({"scatter": -1}, ValueError, "scatter"),
        ({"baseline": "high"}, TypeError, "baseline"),
        ({"wavelength_range": (2500, 1000)}, ValueError, "0 < start < stop"),
        ({"wavelength_range": (0, 1000)}, ValueError, "0 < start < stop"),
        ({"wavelength_range": (1000, np.nan)}, ValueError, "0 < start < stop"),
        ({"wavelength_range": (1000, 1500, 2000)}, ValueError, "pair"),
        ({"wavelength_range": 1000}, ValueError, "pair"),
        ({"random_state": "seed"}, ValueError, "seed"),
    ],
)
def test_parameter_errors(params, error, match):
    with pytest.raises(error, match=match):
        make_nirs_regression(**{"n_samples": 10, "n_wavelengths": 20, **params})


@pytest.mark.parametrize("n_constituents", [2, 4, 7])
def test_clean_spectra_are_beer_lambert_mixtures(n_constituents):
    # A = C K: the spectra span exactly an n_constituents-dimensional subspace.
    X, y = make_nirs_regression(
        n_samples=200,
        n_wavelengths=300,
        n_constituents=n_constituents,
        random_state=3,
        **CLEAN,
    )
    s = _relative_singular_values(X)
    assert s[n_constituents - 1] > 1e-8
    assert s[n_constituents:].max() < 1e-12
    # Absorbances and concentrations of a clean mixture are non-negative.
    assert X.min() >= 0
    assert ((y >= 0) & (y <= 1)).all()


def test_clean_target_is_linear_in_the_spectra():
    # Beer-Lambert inverse calibration: with K of full row rank, the
    # concentrations are a linear function of the spectra, so a direct
    # least-squares fit of y on X is exact (up to rounding).
    X, y = make_nirs_regression(
        n_samples=120, n_wavelengths=150, random_state=4, **CLEAN
    )
    coef, *_ = np.linalg.lstsq(X, y, rcond=None)
    np.testing.assert_allclose(X @ coef, y, atol=1e-9)
    # Doubling a composition doubles the absorbance (linearity): two samples'
    # mean composition has the mean spectrum, via the same linear map.
    np.testing.assert_allclose((X[0] + X[1]) / 2 @ coef, (y[0] + y[1]) / 2, atol=1e-9)


def test_target_follows_a_flat_dirichlet():
    # y is the first constituent's mass fraction: Beta(1, k - 1) marginal,
    # mean 1/k and variance (k - 1) / (k^2 (k + 1)).
    k = 4
    _, y = make_nirs_regression(
        n_samples=20000, n_wavelengths=10, n_constituents=k, random_state=5
    )
    assert abs(y.mean() - 1 / k) < 0.005
    assert abs(y.var() - (k - 1) / (k**2 * (k + 1))) < 0.002


def test_scatter_is_multiplicative():
    kwargs = {"n_samples": 3000, "n_wavelengths": 60, "random_state": 6}
    clean, y0 = make_nirs_regression(**kwargs, **CLEAN)
    scattered, y1 = make_nirs_regression(**kwargs, noise=0.0, scatter=0.2, baseline=0.0)
    np.testing.assert_array_equal(y0, y1)
    ratio = scattered / clean
    # One factor per spectrum, the same at every wavelength...
    np.testing.assert_allclose(ratio, ratio[:, :1] * np.ones_like(ratio), rtol=1e-10)
    # ...log-normal around 1 with the requested spread.
    log_factor = np.log(ratio[:, 0])
    assert abs(np.median(log_factor)) < 0.02
    assert abs(log_factor.std() - 0.2) < 0.02
    # Scatter keeps the spectra in the span of the pure components.
    s = _relative_singular_values(scattered[:200])
    assert s[4:].max() < 1e-12


def test_baseline_is_additive_offset_and_slope():
    kwargs = {"n_samples": 3000, "n_wavelengths": 40, "random_state": 8}
    clean, _, wl = make_nirs_regression(**kwargs, **CLEAN, return_wavelengths=True)
    shifted, _ = make_nirs_regression(**kwargs, noise=0.0, scatter=0.0, baseline=0.05)
    added = shifted - clean
    # Each added baseline is a straight line in wavelength: fit it per row.
    t = np.linspace(-1, 1, wl.size)
    slopes, offsets = np.polyfit(t, added.T, deg=1)
    np.testing.assert_allclose(
        np.outer(slopes, t) + offsets[:, None], added, atol=1e-12
    )
    assert abs(offsets.std() - 0.05) < 0.005
    assert abs(slopes.std() - 0.05) < 0.005
    # Offset and slope add two dimensions to the clean mixture subspace.
    s = _relative_singular_values(shifted[:200])
    assert s[5] > 1e-8
    assert s[6:].max() < 1e-12


def test_noise_is_white_gaussian_with_the_requested_sd():
    kwargs = {"n_samples": 400, "n_wavelengths": 500, "random_state": 9}
    clean, _ = make_nirs_regression(**kwargs, **CLEAN)
    noisy, _ = make_nirs_regression(**kwargs, noise=0.01, scatter=0.0, baseline=0.0)
    residual = noisy - clean
    assert abs(residual.std() - 0.01) < 0.0002
    assert abs(residual.mean()) < 0.0002
    # White: neighbouring wavelengths are uncorrelated.
    lag1 = np.corrcoef(residual[:, :-1].ravel(), residual[:, 1:].ravel())[0, 1]
    assert abs(lag1) < 0.01


def test_bands_are_broad_and_smooth():
    # Clean spectra made of bands tens of nm wide vary slowly: at 1 nm spacing
    # the second difference is tiny compared with the spectrum itself.
    X, _ = make_nirs_regression(
        n_samples=50, n_wavelengths=1501, random_state=10, **CLEAN
    )
    curvature = np.abs(np.diff(X, n=2, axis=1)).max(axis=1)
    assert (curvature < 0.01 * X.max(axis=1)).all()


def test_target_is_predictable_by_pls():
    X, y = make_nirs_regression(random_state=0)
    cv = KFold(n_splits=5, shuffle=True, random_state=0)
    y_cv = cross_val_predict(PLSRegression(n_components=8, scale=False), X, y, cv=cv)
    assert r2_score(y, np.ravel(y_cv)) > 0.9
