"""Scatter correction: SNV, RNV, MSC and EMSC against independent computations."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from sklearn_nirs.preprocessing import (
    ExtendedMultiplicativeScatterCorrection,
    MultiplicativeScatterCorrection,
    RobustNormalVariate,
    StandardNormalVariate,
)


def tecator_like(n_samples=12, n_wavelengths=40, seed=0):
    """Absorbance-like spectra: two bands, offset, scatter, sloped baseline."""
    rng = np.random.default_rng(seed)
    wavelengths = np.linspace(850.0, 1050.0, n_wavelengths)
    bands = np.vstack(
        [
            np.exp(-(((wavelengths - 930.0) / 25.0) ** 2)),
            np.exp(-(((wavelengths - 1010.0) / 30.0) ** 2)),
        ]
    )
    pure = rng.uniform(0.2, 1.0, (n_samples, 2)) @ bands
    offset = rng.normal(2.5, 0.3, (n_samples, 1))
    scale = rng.uniform(0.8, 1.2, (n_samples, 1))
    slope = rng.normal(0.0, 1e-3, (n_samples, 1)) * (wavelengths - 950.0)
    noise = rng.normal(0.0, 1e-3, (n_samples, n_wavelengths))
    return offset + scale * pure + slope + noise, wavelengths


def scaled_to_unit_interval(w):
    return 2.0 * (w - w.min()) / (w.max() - w.min()) - 1.0


ALL = [
    StandardNormalVariate(),
    RobustNormalVariate(),
    RobustNormalVariate(method="mad"),
    MultiplicativeScatterCorrection(),
    MultiplicativeScatterCorrection(reference="median"),
    ExtendedMultiplicativeScatterCorrection(),
    ExtendedMultiplicativeScatterCorrection(degree=1),
]


# --------------------------------------------------------------------- SNV
@pytest.mark.parametrize("ddof", [0, 1, 2])
def test_snv_matches_row_by_row_mean_and_std(ddof):
    X, _ = tecator_like()
    expected = np.array([(x - x.mean()) / np.std(x, ddof=ddof) for x in X])

    Xt = StandardNormalVariate(ddof=ddof).fit_transform(X)

    assert_allclose(Xt, expected, rtol=1e-12, atol=1e-12)


def test_snv_rows_have_zero_mean_and_unit_std():
    X, _ = tecator_like()

    Xt = StandardNormalVariate().fit_transform(X)

    assert_allclose(Xt.mean(axis=1), 0.0, atol=1e-12)
    assert_allclose(Xt.std(axis=1, ddof=1), 1.0, rtol=1e-12)


def test_snv_constant_spectrum_becomes_zeros_and_others_are_untouched():
    X, _ = tecator_like(n_samples=4)
    X[2] = 0.1  # mean of copies of 0.1 is not exactly 0.1 in floating point

    Xt = StandardNormalVariate().fit_transform(X)

    assert_array_equal(Xt[2], 0.0)
    assert_allclose(Xt[[0, 1, 3]], StandardNormalVariate().fit_transform(X[[0, 1, 3]]))


def test_snv_needs_ddof_plus_one_wavelengths():
    X = np.ones((3, 2))

    with pytest.raises(ValueError, match=r"at least 3 wavelengths.*2 feature"):
        StandardNormalVariate(ddof=2).fit(X)


@pytest.mark.parametrize("ddof", [-1, 1.5, True])
def test_snv_rejects_bad_ddof_in_fit_not_init(ddof):
    snv = StandardNormalVariate(ddof=ddof)  # __init__ only stores

    with pytest.raises((ValueError, TypeError), match="ddof"):
        snv.fit(np.ones((2, 5)))


# --------------------------------------------------------------------- RNV
def test_rnv_iqr_matches_row_by_row_percentiles():
    X, _ = tecator_like()
    expected = np.array(
        [(x - np.median(x)) / (np.percentile(x, 75) - np.percentile(x, 25)) for x in X]
    )

    Xt = RobustNormalVariate(method="iqr").fit_transform(X)

    assert_allclose(Xt, expected, rtol=1e-12)


def test_rnv_mad_matches_row_by_row_scaled_mad():
    X, _ = tecator_like()
    expected = np.array(
        [(x - np.median(x)) / (1.4826 * np.median(np.abs(x - np.median(x)))) for x in X]
    )

    Xt = RobustNormalVariate(method="mad").fit_transform(X)

    assert_allclose(Xt, expected, rtol=1e-12)


def test_rnv_mad_scale_is_scipys_normal_consistent_mad():
    from scipy.stats import median_abs_deviation

    X, _ = tecator_like()
    mad = median_abs_deviation(X, axis=1, scale="normal")
    expected = (X - np.median(X, axis=1, keepdims=True)) / mad[:, None]

    Xt = RobustNormalVariate(method="mad").fit_transform(X)

    # 1.4826 vs scipy's 1 / Phi^-1(3/4) = 1.482602...
    assert_allclose(Xt, expected, rtol=1e-5)


def test_rnv_ignores_an_outlying_band_that_dominates_snv():
    rng = np.random.default_rng(1)
    x = rng.normal(size=200)
    spiked = x.copy()
    spiked[:5] += 100.0

    rnv = RobustNormalVariate().fit_transform(np.vstack([x, spiked]))
    snv = StandardNormalVariate().fit_transform(np.vstack([x, spiked]))

    assert np.abs(rnv[0, 5:] - rnv[1, 5:]).max() < 0.1
    assert np.abs(snv[0, 5:] - snv[1, 5:]).max() > 0.5


@pytest.mark.parametrize("method", ["iqr", "mad"])
def test_rnv_zero_spread_rows_are_only_centred(method):
    X = np.array(
        [
            [3.0, 3.0, 3.0, 3.0, 3.0],  # constant
            [1.0, 1.0, 1.0, 1.0, 9.0],  # IQR and MAD are 0, not constant
        ]
    )

    Xt = RobustNormalVariate(method=method).fit_transform(X)

    assert_array_equal(Xt, [[0.0, 0, 0, 0, 0], [0.0, 0, 0, 0, 8]])


def test_rnv_rejects_unknown_method_in_fit():
    with pytest.raises(ValueError, match="method must be one of"):
        RobustNormalVariate(method="std").fit(np.ones((2, 4)))


# --------------------------------------------------------------------- MSC
def msc_by_polyfit(X, reference):
    out = []
    for x in X:
        b, a = np.polyfit(reference, x, deg=1)
        out.append((x - a) / b)
    return np.array(out)


@pytest.mark.parametrize(
    ("reference", "learn"),
    [("mean", np.mean), ("median", np.median)],
)
def test_msc_matches_polyfit_on_the_learned_reference(reference, learn):
    X_train, _ = tecator_like(seed=0)
    X_test, _ = tecator_like(seed=1)
    ref = learn(X_train, axis=0)

    msc = MultiplicativeScatterCorrection(reference=reference).fit(X_train)
    Xt = msc.transform(X_test)

    assert_allclose(msc.reference_, ref, rtol=1e-14)
    assert_allclose(Xt, msc_by_polyfit(X_test, ref), rtol=1e-10)


def test_msc_with_given_reference_recovers_it_from_scaled_offset_copies():
    _, wl = tecator_like()
    ref = np.exp(-(((wl - 930.0) / 25.0) ** 2))
    X = np.vstack([0.3 + 1.7 * ref, -0.2 + 0.4 * ref, 1.0 - 2.0 * ref])

    Xt = MultiplicativeScatterCorrection(reference=ref).fit_transform(X)

    assert_allclose(Xt, np.tile(ref, (3, 1)), rtol=1e-10, atol=1e-12)


def test_msc_keeps_its_own_copy_of_a_given_reference():
    X, _ = tecator_like()
    ref = X[0].copy()
    msc = MultiplicativeScatterCorrection(reference=ref).fit(X)

    ref[:] = 0.0

    assert_allclose(msc.reference_, X[0])


@pytest.mark.parametrize(
    ("reference", "match"),
    [
        (np.ones(39), "reference has 39 values but X has 40 wavelengths"),
        (np.ones((1, 40)), "1-D array"),
        ("mode", "reference must be one of"),
    ],
)
def test_msc_rejects_a_bad_reference(reference, match):
    X, _ = tecator_like()

    with pytest.raises(ValueError, match=match):
        MultiplicativeScatterCorrection(reference=reference).fit(X)


def test_msc_rejects_a_constant_reference_in_fit():
    X = np.tile(np.array([[1.0], [2.0], [4.0]]), (1, 6))  # constant rows

    with pytest.raises(ValueError, match="reference spectrum is constant"):
        MultiplicativeScatterCorrection().fit(X)


def test_msc_constant_spectrum_becomes_zeros():
    X, _ = tecator_like(n_samples=5)
    msc = MultiplicativeScatterCorrection().fit(X)
    X_new = X.copy()
    X_new[3] = 2.7

    Xt = msc.transform(X_new)

    assert_array_equal(Xt[3], 0.0)
    assert_allclose(Xt[[0, 1, 2, 4]], msc.transform(X[[0, 1, 2, 4]]))


def test_msc_spectrum_uncorrelated_with_reference_raises_naming_the_row():
    reference = np.array([1.0, 2.0, 3.0, 4.0])
    # Orthogonal to the centred reference (-1.5, -0.5, 0.5, 1.5): slope b = 0.
    X = np.array([[1.0, 2.0, 3.0, 5.0], [1.0, -1.0, -1.0, 1.0]])
    msc = MultiplicativeScatterCorrection(reference=reference).fit(X)

    with pytest.raises(ValueError, match=r"slope b .* zero .* row\(s\) 1\b"):
        msc.transform(X)


# -------------------------------------------------------------------- EMSC
def emsc_by_lstsq(X, reference, w, degree):
    w = scaled_to_unit_interval(w)
    design = np.column_stack(
        [np.ones_like(w), reference] + [w**k for k in range(1, degree + 1)]
    )
    out = []
    for x in X:
        coef, *_ = np.linalg.lstsq(design, x, rcond=None)
        baseline = design @ coef - coef[1] * reference
        out.append((x - baseline) / coef[1])
    return np.array(out)


@pytest.mark.parametrize("degree", [0, 1, 2, 3])
def test_emsc_matches_row_by_row_least_squares(degree):
    X_train, _ = tecator_like(seed=0)
    X_test, _ = tecator_like(seed=2)
    ref = X_train.mean(axis=0)

    emsc = ExtendedMultiplicativeScatterCorrection(degree=degree).fit(X_train)
    Xt = emsc.transform(X_test)

    expected = emsc_by_lstsq(X_test, ref, np.arange(X_test.shape[1]), degree)
    assert_allclose(emsc.reference_, ref, rtol=1e-14)
    assert_allclose(Xt, expected, rtol=1e-8, atol=1e-10)


def test_emsc_uses_the_given_uneven_wavelengths_for_the_baseline():
    X, _ = tecator_like(n_wavelengths=30)
    rng = np.random.default_rng(3)
    wavelengths = np.sort(rng.uniform(900.0, 1700.0, 30))

    Xt = ExtendedMultiplicativeScatterCorrection(
        degree=2, reference="median", wavelengths=wavelengths
    ).fit_transform(X)

    expected = emsc_by_lstsq(X, np.median(X, axis=0), wavelengths, 2)
    assert_allclose(Xt, expected, rtol=1e-8, atol=1e-10)


def test_emsc_degree_zero_is_msc():
    X, _ = tecator_like()

    emsc = ExtendedMultiplicativeScatterCorrection(degree=0).fit_transform(X)
    msc = MultiplicativeScatterCorrection().fit_transform(X)

    assert_allclose(emsc, msc, rtol=1e-9)


def test_emsc_removes_scatter_and_quadratic_baseline_exactly():
    _, wl = tecator_like()
    ref = np.exp(-(((wl - 930.0) / 25.0) ** 2))
    w = scaled_to_unit_interval(wl)
    X = np.vstack(
        [
            0.3 + 1.7 * ref + 0.2 * w - 0.1 * w**2,
            -0.2 + 0.4 * ref - 0.3 * w + 0.05 * w**2,
        ]
    )

    Xt = ExtendedMultiplicativeScatterCorrection(
        degree=2, reference=ref, wavelengths=wl
    ).fit_transform(X)

    assert_allclose(Xt, np.tile(ref, (2, 1)), rtol=1e-9, atol=1e-12)


def test_emsc_rejects_a_reference_that_is_a_baseline_polynomial():
    wl = np.linspace(1000.0, 2000.0, 20)
    w = scaled_to_unit_interval(wl)
    X = np.vstack([1.0 + w**2, 2.0 + 3.0 * w**2])  # mean reference = poly in w

    with pytest.raises(ValueError, match="polynomial of degree <= 2"):
        ExtendedMultiplicativeScatterCorrection(degree=2, wavelengths=wl).fit(X)


def test_emsc_rejects_wavelengths_of_the_wrong_length():
    X, _ = tecator_like()

    with pytest.raises(ValueError, match=r"one value per column of X \(40\)"):
        ExtendedMultiplicativeScatterCorrection(wavelengths=np.arange(39)).fit(X)


def test_emsc_needs_one_wavelength_per_coefficient():
    with pytest.raises(ValueError, match=r"at least 4 wavelengths.*3 feature"):
        ExtendedMultiplicativeScatterCorrection(degree=2).fit(np.eye(3) + 1.0)


def test_emsc_constant_spectrum_becomes_zeros():
    X, _ = tecator_like(n_samples=5)
    emsc = ExtendedMultiplicativeScatterCorrection().fit(X)
    X_new = X.copy()
    X_new[1] = -0.4

    Xt = emsc.transform(X_new)

    assert_array_equal(Xt[1], 0.0)
    assert np.isfinite(Xt).all()


def test_emsc_scale_of_the_reference_only_rescales_the_output():
    X, _ = tecator_like()
    ref = X.mean(axis=0)

    small = ExtendedMultiplicativeScatterCorrection(
        reference=1e-12 * ref
    ).fit_transform(X)
    unit = ExtendedMultiplicativeScatterCorrection(reference=ref).fit_transform(X)

    assert_allclose(small, 1e-12 * unit, rtol=1e-8)


# ------------------------------------------------ shared transformer contract
@pytest.mark.parametrize("estimator", ALL, ids=repr)
def test_float32_stays_float32_and_agrees_with_float64(estimator):
    X, _ = tecator_like()

    X32 = estimator.fit_transform(X.astype(np.float32))
    X64 = estimator.fit_transform(X)

    assert X32.dtype == np.float32
    assert_allclose(X32, X64, rtol=2e-3, atol=2e-3)


@pytest.mark.parametrize("estimator", ALL, ids=repr)
def test_pandas_output_keeps_the_wavelength_names(estimator):
    pd = pytest.importorskip("pandas")
    X, wl = tecator_like()
    columns = [f"{w:.2f}" for w in wl]
    frame = pd.DataFrame(X, columns=columns)

    out = estimator.set_output(transform="pandas").fit_transform(frame)

    assert isinstance(out, pd.DataFrame)
    assert list(out.columns) == columns
    assert_allclose(
        out.to_numpy(), estimator.set_output(transform="default").fit_transform(X)
    )
