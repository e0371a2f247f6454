"""Normalize and ToAbsorbance against explicit per-row formulas."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.preprocessing import normalize as sklearn_normalize
from sklearn.utils.estimator_checks import check_estimator

from sklearn_nirs.preprocessing import Normalize, ToAbsorbance
from sklearn_nirs.preprocessing._base import SpectralTransformer
from sklearn_nirs.preprocessing._normalize import _check_positive


def reflectance_like(n_samples=12, n_wavelengths=40, seed=0):
    """Reflectance in (0, 1]: 10 ** -absorbance of smooth band spectra."""
    rng = np.random.default_rng(seed)
    wl = np.linspace(1100.0, 2500.0, n_wavelengths)
    band = np.exp(-(((wl - 1900.0) / 80.0) ** 2))
    absorbance = (
        rng.uniform(0.1, 0.5, (n_samples, 1))
        + rng.uniform(0.2, 1.0, (n_samples, 1)) * band
    )
    return 10.0**-absorbance, wl


def signed_spectra(n_samples=12, n_wavelengths=40, seed=0):
    """Derivative-like spectra with both signs."""
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n_samples, n_wavelengths))


ALL = [
    Normalize(),
    Normalize(method="l2"),
    Normalize(method="area"),
    Normalize(method="max"),
    ToAbsorbance(),
    ToAbsorbance(percent=True),
]


# --------------------------------------------------------------- Normalize
EXPLICIT = {
    "minmax": lambda x: (x - x.min()) / (x.max() - x.min()),
    "l2": lambda x: x / np.sqrt(np.sum(x**2)),
    "area": lambda x: x / np.sum(np.abs(x)),
    "max": lambda x: x / np.max(np.abs(x)),
}


@pytest.mark.parametrize("method", sorted(EXPLICIT))
def test_normalize_matches_the_explicit_per_row_formula(method):
    X = signed_spectra()
    expected = np.array([EXPLICIT[method](x) for x in X])

    Xt = Normalize(method=method).fit_transform(X)

    assert_allclose(Xt, expected, rtol=1e-12)


@pytest.mark.parametrize(
    ("method", "norm"), [("l2", "l2"), ("area", "l1"), ("max", "max")]
)
def test_normalize_agrees_with_sklearn_row_normalize(method, norm):
    X = signed_spectra()

    Xt = Normalize(method=method).fit_transform(X)

    assert_allclose(Xt, sklearn_normalize(X, norm=norm), rtol=1e-12)


def test_minmax_maps_each_spectrum_onto_the_unit_interval():
    X, _ = reflectance_like()

    Xt = Normalize(method="minmax").fit_transform(X)

    assert_array_equal(Xt.min(axis=1), 0.0)
    assert_allclose(Xt.max(axis=1), 1.0, rtol=1e-15)


@pytest.mark.parametrize("method", sorted(EXPLICIT))
def test_normalize_zero_denominator_gives_zeros_or_the_row_unchanged(method):
    X = signed_spectra(n_samples=4, n_wavelengths=6)
    X[1] = 0.0
    X[2] = 0.25  # constant: zero range for minmax, nonzero norms otherwise

    Xt = Normalize(method=method).fit_transform(X)

    assert np.isfinite(Xt).all()
    assert_array_equal(Xt[1], 0.0)
    if method == "minmax":
        assert_array_equal(Xt[2], 0.0)
    else:
        assert_allclose(Xt[2], EXPLICIT[method](X[2]))


def test_normalize_rejects_unknown_method_in_fit():
    normalizer = Normalize(method="snv")

    with pytest.raises(ValueError, match="method must be one of"):
        normalizer.fit(signed_spectra())


# ------------------------------------------------------------ ToAbsorbance
def test_to_absorbance_is_minus_log10_of_reflectance():
    R, _ = reflectance_like()
    expected = np.array([[-np.log10(r) for r in row] for row in R])

    A = ToAbsorbance().fit_transform(R)

    assert_allclose(A, expected, rtol=1e-14)


def test_to_absorbance_percent_divides_by_100_first():
    R, _ = reflectance_like()

    A = ToAbsorbance(percent=True).fit_transform(100.0 * R)

    assert_allclose(A, -np.log10(R), rtol=1e-12)


def test_to_absorbance_of_full_reflectance_is_positive_zero():
    A = ToAbsorbance().fit_transform(np.ones((1, 3)))

    assert_array_equal(A, 0.0)
    assert not np.signbit(A).any()


@pytest.mark.parametrize("method", ["fit", "transform"])
@pytest.mark.parametrize(
    ("value", "match"),
    [
        (0.0, r"^zeros in 2 spectrum/spectra, at row\(s\) 2, 5\b"),
        (-0.1, r"^Negative values in data in 2 spectrum/spectra, at row\(s\) 2, 5\b"),
    ],
)
def test_to_absorbance_rejects_non_positive_values_naming_the_rows(
    method, value, match
):
    R, _ = reflectance_like()
    bad = R.copy()
    bad[[2, 5], 7] = value
    transformer = ToAbsorbance().fit(R)

    with pytest.raises(ValueError, match=match):
        getattr(transformer, method)(bad)


def test_to_absorbance_is_tagged_positive_only():
    assert ToAbsorbance().__sklearn_tags__().input_tags.positive_only


def test_to_absorbance_rejects_a_non_bool_percent_in_fit():
    with pytest.raises(TypeError, match="percent must be a bool"):
        ToAbsorbance(percent="yes").fit(np.ones((2, 3)))


class _ToAbsorbanceOfExp(ToAbsorbance):
    """ToAbsorbance of exp(X), validated X: strictly positive whatever X is.

    scikit-learn's checks feed positive-only estimators data with an exact 0,
    so most of them cannot reach ToAbsorbance's code; this subclass lets them
    run everything else (dtypes, pickling, memmaps, pandas, invariances). It
    changes one line of ``ToAbsorbance._validate``: exp between the two steps.
    """

    def _validate(self, X, *, reset):
        X = SpectralTransformer._validate(self, X, reset=reset)
        return _check_positive(np.exp(X))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.positive_only = False
        return tags


def test_to_absorbance_passes_checks_on_positive_input():
    results = check_estimator(_ToAbsorbanceOfExp(), on_fail=None)

    failed = {
        r["check_name"]: r["exception"] for r in results if r["status"] == "failed"
    }
    assert not failed, failed


# ------------------------------------------------ shared transformer contract
def data_for(estimator):
    return (
        reflectance_like()[0]
        if isinstance(estimator, ToAbsorbance)
        else signed_spectra()
    )


@pytest.mark.parametrize("estimator", ALL, ids=repr)
def test_float32_stays_float32_and_agrees_with_float64(estimator):
    X = data_for(estimator)

    X32 = estimator.fit_transform(X.astype(np.float32))
    X64 = estimator.fit_transform(X)

    assert X32.dtype == np.float32
    assert_allclose(X32, X64, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("estimator", ALL, ids=repr)
def test_pandas_output_keeps_the_wavelength_names(estimator):
    pd = pytest.importorskip("pandas")
    X = data_for(estimator)
    _, wl = reflectance_like()
    columns = [f"{w:.2f}" for w in wl]

    out = estimator.set_output(transform="pandas").fit_transform(
        pd.DataFrame(X, columns=columns)
    )

    assert isinstance(out, pd.DataFrame)
    assert list(out.columns) == columns
    assert_allclose(
        out.to_numpy(), estimator.set_output(transform="default").fit_transform(X)
    )
