"""Detrend and AsymmetricLeastSquaresBaseline against independent computations."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose

from sklearn_nirs.preprocessing import AsymmetricLeastSquaresBaseline, Detrend


def _spectra(n_samples=5, n_wavelengths=50, seed=0, dtype=np.float64):
    """Peaks on a different sloped, curved baseline in every row."""
    rng = np.random.default_rng(seed)
    t = np.linspace(0.0, 1.0, n_wavelengths)
    offset, slope, curve = rng.uniform(-0.5, 0.5, size=(3, n_samples, 1))
    centres = rng.uniform(0.2, 0.8, size=(n_samples, 1))
    X = offset + slope * t + curve * t**2 + np.exp(-0.5 * ((t - centres) / 0.05) ** 2)
    X += 0.005 * rng.standard_normal(X.shape)
    return X.astype(dtype)


# ------------------------------------------------------------------------ Detrend


@pytest.mark.parametrize("degree", [0, 1, 2, 3])
def test_detrend_equals_per_spectrum_polyfit(degree):
    # Arrange: unevenly spaced wavelengths in nm
    rng = np.random.default_rng(3)
    wavelengths = np.sort(rng.uniform(1100.0, 2500.0, size=50))
    X = _spectra()
    expected = np.vstack(
        [x - np.polyval(np.polyfit(wavelengths, x, degree), wavelengths) for x in X]
    )

    # Act
    result = Detrend(degree=degree, wavelengths=wavelengths).fit_transform(X)

    # Assert
    assert_allclose(result, expected, atol=1e-10)


def test_detrend_without_wavelengths_fits_over_the_column_index():
    X = _spectra()
    index = np.arange(X.shape[1], dtype=float)
    expected = np.vstack([x - np.polyval(np.polyfit(index, x, 2), index) for x in X])

    result = Detrend(degree=2).fit_transform(X)

    assert_allclose(result, expected, atol=1e-10)


def test_detrend_uses_numeric_column_names_as_wavelengths():
    import pandas as pd

    # Arrange: column names are uneven wavelengths, so index != wavelength
    wavelengths = np.geomspace(1000.0, 2500.0, 50)
    X = _spectra()
    frame = pd.DataFrame(X, columns=[f"{w:.6f}" for w in wavelengths])
    named = np.array([float(f"{w:.6f}") for w in wavelengths])
    expected = np.vstack([x - np.polyval(np.polyfit(named, x, 2), named) for x in X])

    # Act
    detrend = Detrend(degree=2).fit(frame)

    # Assert
    assert_allclose(detrend.wavelengths_, named)
    assert_allclose(detrend.transform(frame), expected, atol=1e-10)


def test_detrend_of_a_polynomial_of_its_degree_is_zero():
    wavelengths = np.linspace(1100.0, 2500.0, 40)
    X = np.vstack([2.0 - 1e-3 * wavelengths + 4e-7 * wavelengths**2, np.ones(40)])

    result = Detrend(degree=2, wavelengths=wavelengths).fit_transform(X)

    assert_allclose(result, 0.0, atol=1e-10)


def test_detrend_rejects_wavelengths_of_the_wrong_length():
    with pytest.raises(ValueError, match=r"one value per column of X \(50\)"):
        Detrend(wavelengths=np.arange(49.0)).fit(_spectra())


def test_detrend_rejects_too_few_distinct_wavelengths():
    wavelengths = np.repeat([1100.0, 1200.0], 25)

    with pytest.raises(ValueError, match="3 distinct wavelengths; got 2"):
        Detrend(degree=2, wavelengths=wavelengths).fit(_spectra())


def test_detrend_needs_more_wavelengths_than_the_degree():
    with pytest.raises(ValueError, match=r"at least 4 wavelengths.*3 feature\(s\)"):
        Detrend(degree=3).fit(_spectra(n_wavelengths=3))


@pytest.mark.parametrize(
    ("params", "exception"),
    [({"degree": -1}, ValueError), ({"degree": 1.5}, TypeError)],
)
def test_detrend_rejects_bad_degree_at_fit(params, exception):
    with pytest.raises(exception, match="degree"):
        Detrend(**params).fit(_spectra())


# ------------------------------------------------ AsymmetricLeastSquaresBaseline


def _dense_asls(y, lam, p, n_iter):
    """Eilers and Boelens (2005) AsLS, written with dense matrices."""
    n = y.size
    D = np.diff(np.eye(n), 2, axis=0)  # (n - 2, n) second differences
    w = np.ones(n)
    for _ in range(n_iter):
        z = np.linalg.solve(np.diag(w) + lam * D.T @ D, w * y)
        w = np.where(y > z, p, 1.0 - p)
    return z


@pytest.mark.parametrize("max_iter", [1, 2, 3, 10, 30])
@pytest.mark.parametrize(("lam", "p"), [(1e2, 0.05), (1e5, 0.01), (1e7, 0.001)])
def test_asls_equals_dense_implementation(lam, p, max_iter):
    # Arrange
    X = _spectra(n_samples=4, n_wavelengths=40)
    baselines = np.vstack([_dense_asls(x, lam, p, max_iter) for x in X])
    asls = AsymmetricLeastSquaresBaseline(lam=lam, p=p, max_iter=max_iter)

    # Act
    result = asls.fit_transform(X)

    # Assert (stopping once the weights settle must not change the answer);
    # the dense solve loses digits when lam is large (condition ~ lam / p).
    assert_allclose(result, X - baselines, atol=1e-6)
    assert_allclose(asls.baseline(X), baselines, atol=1e-6)


def test_asls_recovers_a_smooth_baseline_under_peaks():
    # Arrange: three positive bands on a curved, sloped baseline
    t = np.linspace(0.0, 1.0, 400)
    true_baseline = 0.4 + 0.3 * t - 0.25 * t**2
    peaks = sum(
        h * np.exp(-0.5 * ((t - c) / 0.015) ** 2)
        for h, c in [(1.0, 0.2), (0.6, 0.5), (0.8, 0.75)]
    )
    X = np.vstack([true_baseline + peaks, true_baseline + 0.5 * peaks])
    asls = AsymmetricLeastSquaresBaseline(lam=1e5, p=0.001, max_iter=20)

    # Act
    corrected = asls.fit_transform(X)
    estimated = asls.baseline(X)

    # Assert: within 1% of the tallest band everywhere
    assert np.abs(estimated - true_baseline).max() < 0.01
    assert np.abs(corrected[0] - peaks).max() < 0.01
    assert np.abs(corrected[1] - 0.5 * peaks).max() < 0.01


def test_asls_transform_plus_baseline_gives_back_the_spectra():
    X = _spectra()
    asls = AsymmetricLeastSquaresBaseline().fit(X)

    assert_allclose(asls.transform(X) + asls.baseline(X), X, atol=1e-12)


def test_asls_fit_transform_equals_fit_then_transform_and_reports_n_iter():
    X = _spectra()

    asls = AsymmetricLeastSquaresBaseline(max_iter=50)
    once = asls.fit_transform(X)

    assert_allclose(
        once, AsymmetricLeastSquaresBaseline(max_iter=50).fit(X).transform(X)
    )
    assert 1 <= asls.n_iter_ < 50  # settled before the cap on these spectra


def test_asls_n_iter_reaches_max_iter_when_weights_keep_changing():
    asls = AsymmetricLeastSquaresBaseline(max_iter=1).fit(_spectra())

    assert asls.n_iter_ == 1


def test_asls_with_two_wavelengths_has_no_penalty_so_baseline_is_the_spectrum():
    X = np.array([[0.2, 0.5], [1.0, -1.0]])

    asls = AsymmetricLeastSquaresBaseline().fit(X)

    assert_allclose(asls.baseline(X), X)
    assert_allclose(asls.transform(X), 0.0)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"lam": 0.0}, "lam"),
        ({"p": 0.0}, "p"),
        ({"p": 1.0}, "p"),
        ({"max_iter": 0}, "max_iter"),
    ],
)
def test_asls_rejects_bad_parameters_at_fit(params, message):
    with pytest.raises(ValueError, match=message):
        AsymmetricLeastSquaresBaseline(**params).fit(_spectra())


def test_asls_baseline_requires_fit():
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        AsymmetricLeastSquaresBaseline().baseline(_spectra())


# ------------------------------------------- behaviour shared by both transformers

ESTIMATORS = [
    pytest.param(lambda: Detrend(degree=2), id="Detrend"),
    pytest.param(lambda: AsymmetricLeastSquaresBaseline(lam=1e3), id="AsLS"),
]


@pytest.mark.parametrize("make", ESTIMATORS)
def test_float32_stays_float32_and_matches_float64(make):
    X = _spectra()

    out32 = make().fit_transform(X.astype(np.float32))
    out64 = make().fit_transform(X.astype(np.float32).astype(np.float64))

    assert out32.dtype == np.float32
    assert_allclose(out32, out64, atol=1e-5)


@pytest.mark.parametrize("make", ESTIMATORS)
def test_pandas_output_keeps_wavelength_names(make):
    import pandas as pd

    X = _spectra()
    columns = [f"w{i}" for i in range(X.shape[1])]

    result = (
        make()
        .set_output(transform="pandas")
        .fit_transform(pd.DataFrame(X, columns=columns))
    )

    assert isinstance(result, pd.DataFrame)
    assert list(result.columns) == columns
    assert_allclose(result.to_numpy(), make().fit_transform(X))
