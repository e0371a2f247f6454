"""Property-based tests of every spectral transformer (issue 6).

For random shapes, dtypes, magnitudes (1e-300 to 1e300), constant spectra,
negative values and memory layouts (Fortran, sliced, read-only), a
transformer either returns a finite array of the right shape and dtype, equal
to its result on a C-contiguous writable copy, without touching the input, or
raises a ValueError/TypeError whose message names the problem. Independent
oracle for extreme magnitudes: scaling the spectra by a power of two (exact
in floating point) scales the output by the same factor (linear filters,
MSC/EMSC in reference units), leaves it unchanged (SNV, RNV, Normalize) or
shifts it by a constant (absorbance), so a transformer that silently
overflows or underflows to a wrong finite answer fails.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone

from sklearn_nirs.preprocessing import (
    AsymmetricLeastSquaresBaseline,
    ExtendedMultiplicativeScatterCorrection,
    MultiplicativeScatterCorrection,
    Normalize,
    RobustNormalVariate,
    SavitzkyGolay,
    StandardNormalVariate,
)
from sklearn_nirs.utils import all_estimators

# Parameters that make sense on 1 to 200 wavelengths; the defaults otherwise.
PARAMS = {
    "SavitzkyGolay": {"window_length": 5, "polyorder": 2, "mode": "interp"},
    "NorrisWilliams": {"segment": 3, "gap": 1},
    "GaussianSmoothing": {"sigma": 1.5},
    "WavelengthRange": {"start": 2, "stop": 50},
    "ExtendedMultiplicativeScatterCorrection": {"degree": 1},
    "AsymmetricLeastSquaresBaseline": {"lam": 100.0, "max_iter": 5},
    "Detrend": {"degree": 2},
}
TRANSFORMERS = [
    cls(**PARAMS.get(name, {}))
    for name, cls in all_estimators("transformer")
    if not name.startswith("Parallel")
]
IDS = [type(t).__name__ for t in TRANSFORMERS]

# The messages each class may give on finite input; anything else fails.
TOO_NARROW = r"needs at least \d+ wavelengths .*feature\(s\)"
OVERFLOW = r"too large \(overflow\) or too small \(underflow\)"
ERRORS = {
    "MultiplicativeScatterCorrection": (
        r"reference spectrum is constant|slope b on the reference spectrum is zero"
    ),
    "ExtendedMultiplicativeScatterCorrection": (
        r"reference spectrum is constant or a polynomial"
        r"|slope b on the reference spectrum is zero"
    ),
    "ToAbsorbance": r"R <= 0",
    "WavelengthRange": r"selects no column",
}

# How the output follows X -> c * X (c a power of two): c**1, c**0, or
# "log" for -log10(c * X) = -log10(X) - log10(c).
SCALING = {
    "StandardNormalVariate": 0,
    "RobustNormalVariate": 0,
    "Normalize": 0,
    "ToAbsorbance": "log",
}

SETTINGS = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
MAGNITUDES = {
    "float64": [0, 1e-300, 1e-150, 1e150, 1e300, 1e306],
    "float32": [0, 1e-37, 1e-30, 1e30, 1e37],
}


@st.composite
def spectra(draw):
    """(X as handed to the transformer, description), X in a random layout."""
    n_samples = draw(st.integers(1, 40))
    n_wavelengths = draw(st.integers(1, 200))
    dtype = draw(st.sampled_from(["float64", "float32", "int64", "int32"]))
    positive = draw(st.booleans())
    layout = draw(st.sampled_from(["C", "F", "rows", "cols", "readonly", "readonly-F"]))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    # Sliced layouts are views of a twice larger array.
    shape = (
        n_samples * (2 if layout == "rows" else 1),
        n_wavelengths * (2 if layout == "cols" else 1),
    )
    if dtype.startswith("int"):
        low = 1 if positive else -1000
        big = rng.integers(low, 1000, size=shape, endpoint=True).astype(dtype)
    else:
        # Smooth band + noise, as spectra are; 0 keeps unit magnitude.
        magnitude = draw(st.sampled_from(MAGNITUDES[dtype])) or 1.0
        w = np.linspace(0.0, 1.0, shape[1])
        band = np.exp(-(((w - rng.uniform(0, 1)) / 0.2) ** 2))
        big = 1.0 + rng.uniform(0.2, 2.0, (shape[0], 1)) * band
        big = big + rng.normal(0.0, 0.05, shape)
        if not positive:
            big -= 1.5
        big = (big * magnitude).astype(dtype)
    if draw(st.booleans()):  # some constant spectra
        rows = rng.random(shape[0]) < 0.3
        big[rows] = big[rows, :1]
    if layout == "rows":
        X = big[::2]
    elif layout == "cols":
        X = big[:, ::2]
    elif layout in ("F", "readonly-F"):
        X = np.asfortranarray(big)
    else:
        X = big
    if layout.startswith("readonly"):
        X.flags.writeable = False
    return X, f"{n_samples}x{n_wavelengths} {dtype} {layout}"


def _run(est, X):
    """(fit_transform output, transform output) or the exception raised."""
    try:
        est = clone(est)
        first = est.fit_transform(X)
        return first, est.transform(X)
    except (ValueError, TypeError) as exc:
        return exc
    except Exception as exc:  # any other type is the failure
        raise AssertionError(
            f"{type(est).__name__} raised {type(exc).__name__}: {exc}"
        ) from exc


def _check_error(est, exc):
    name = type(est).__name__
    pattern = "|".join(p for p in (TOO_NARROW, OVERFLOW, ERRORS.get(name)) if p)
    assert re.search(pattern, str(exc)), f"{name}: unclear error: {exc!r}"


def _tolerance(dtype):
    return 1e-4 if dtype == np.float32 else 1e-10


def _atol(est, X, ref):
    """Rounding allowance: relative to the output, plus the input's noise.

    A linear filter of a constant spectrum gives rounding noise of about
    eps * |X| around 0, which a bound relative to the output alone forbids.
    """
    dtype = ref.dtype
    scale = float(np.abs(ref).max()) if ref.size else 0.0
    noise = 1e3 * float(np.finfo(dtype).eps)
    if SCALING.get(type(est).__name__, 1) == 1 and X.size:
        noise *= float(np.abs(X).max())
    return _tolerance(dtype) * scale + noise


@pytest.mark.parametrize("est", TRANSFORMERS, ids=IDS)
@SETTINGS
@given(case=spectra())
def test_result_or_clear_error_in_any_layout(est, case):
    X, _ = case
    before = np.array(X, copy=True)
    writeable = X.flags.writeable
    X_ref = np.ascontiguousarray(X).copy()

    got = _run(est, X)
    expected = _run(est, X_ref)

    assert_array_equal(X, before)  # never modified
    assert X.flags.writeable == writeable
    if isinstance(got, Exception):
        _check_error(est, got)
        assert type(expected) is type(got), f"C copy gave {expected!r}"
        return
    assert not isinstance(expected, Exception), f"only the C copy: {expected!r}"
    out_dtype = np.float32 if X.dtype == np.float32 else np.float64
    width = X.shape[1]
    if hasattr(est, "get_support"):  # WavelengthRange
        width = int(clone(est).fit(X).get_support().sum())
    for out, ref in zip(got, expected, strict=True):
        assert out.shape == (X.shape[0], width)
        assert out.dtype == out_dtype
        assert np.isfinite(out).all(), "finite input gave NaN or inf"
        assert_allclose(out, ref, rtol=0, atol=_atol(est, X, ref))
    # fit_transform and fit().transform() agree.
    assert_allclose(got[0], got[1], rtol=0, atol=_atol(est, X, got[1]))


@st.composite
def scaled_spectra(draw):
    """Spectra X (magnitude about 1, no value near 0) and an exponent k."""
    dtype = draw(st.sampled_from(["float64", "float32"]))
    n_samples = draw(st.integers(1, 30))
    n_wavelengths = draw(st.integers(6, 120))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    w = np.linspace(0.0, 1.0, n_wavelengths)
    band = np.exp(-(((w - rng.uniform(0, 1)) / 0.2) ** 2))
    X = 1.0 + rng.uniform(0.2, 2.0, (n_samples, 1)) * band
    X = X + rng.normal(0.0, 0.05, X.shape)
    if draw(st.booleans()):
        X[rng.random(n_samples) < 0.3] = 1.25
    # Up to 1e+-295 (float64) or 1e+-36 (float32): huge and tiny, not
    # subnormal, and sums over 200 values stay finite.
    limit = 980 if dtype == "float64" else 120
    k = draw(st.integers(-limit, limit))
    return X.astype(dtype), k


@pytest.mark.parametrize("est", TRANSFORMERS, ids=IDS)
@SETTINGS
@given(case=scaled_spectra())
def test_extreme_magnitudes_scale_exactly(est, case):
    X, k = case
    name = type(est).__name__
    factor = np.ldexp(X.dtype.type(1), k)
    unit = _run(est, X)
    scaled = _run(est, X * factor)
    if isinstance(unit, Exception):
        return  # covered by the layout test; scale says nothing more
    if isinstance(scaled, Exception):
        # Only the magnitude changed: the only acceptable reason is it.
        assert re.search(OVERFLOW, str(scaled)), f"{name}: {scaled!r}"
        return
    Xt, got = unit[0], scaled[0]
    rule = SCALING.get(name, 1)
    if rule == "log":
        expected = Xt.astype(np.float64) - k * np.log10(2.0)
        atol = _tolerance(X.dtype) * max(1.0, abs(k) * np.log10(2.0))
        assert_allclose(got, expected, rtol=0, atol=atol)
        return
    expected = Xt.astype(np.float64) * 2.0**k if rule == 1 else Xt
    assert np.isfinite(got).all()
    peak = float(np.abs(expected).max())
    assert_allclose(got, expected, rtol=0, atol=_tolerance(X.dtype) * peak)


# ---------------------------------------------------------------- regressions
# Each bug below was found by the properties above; a plain test pins it.


@pytest.mark.parametrize("magnitude", [1e200, 1e-200])
def test_snv_of_huge_or_tiny_spectra_is_unit_scaled(magnitude):
    # Was zeros at 1e200 (squares overflowed to inf) and unscaled at 1e-200
    # (squares underflowed to a zero standard deviation).
    x = np.array([1.0, 2.0, 4.0, 3.0])
    expected = (x - x.mean()) / x.std(ddof=1)

    Xt = StandardNormalVariate().fit_transform(x[np.newaxis] * magnitude)

    assert_allclose(Xt[0], expected, rtol=1e-12)


def test_snv_of_large_float32_spectra_is_unit_scaled():
    # float32 squares overflow from about 1e19: 1e30 spectra gave zeros.
    x = np.array([1.0, 2.0, 4.0, 3.0])
    expected = (x - x.mean()) / x.std(ddof=1)

    Xt = StandardNormalVariate().fit_transform((x * 1e30)[np.newaxis].astype("f4"))

    assert Xt.dtype == np.float32
    assert_allclose(Xt[0], expected, rtol=1e-5)


@pytest.mark.parametrize(
    "est",
    [MultiplicativeScatterCorrection(), ExtendedMultiplicativeScatterCorrection()],
    ids=["MSC", "EMSC"],
)
@pytest.mark.parametrize("magnitude", [1e300, 1e-300])
def test_msc_of_huge_or_tiny_spectra_scales_with_them(est, magnitude):
    # Raised "the reference spectrum is constant": its norm overflowed to inf
    # (or underflowed to 0) in the constancy test, and so did the slopes.
    rng = np.random.default_rng(0)
    w = np.linspace(0, 1, 30)
    X = (1 + np.exp(-(((w - 0.4) / 0.1) ** 2))) * rng.uniform(0.5, 2, (6, 1))
    X += 0.1 * w**2 * rng.normal(size=(6, 1))

    expected = clone(est).fit_transform(X)
    Xt = clone(est).fit_transform(X * magnitude)

    assert_allclose(Xt / magnitude, expected, rtol=1e-9, atol=1e-12)


def test_msc_of_tiny_float32_spectra_scales_with_them():
    # The float32 sum of squares of the centred reference underflowed to 0,
    # so every slope was inf / NaN (RuntimeWarning, then "slope b is zero").
    rng = np.random.default_rng(0)
    X = rng.uniform(1, 100, (5, 20)).astype(np.float32)

    expected = MultiplicativeScatterCorrection().fit_transform(X)
    Xt = MultiplicativeScatterCorrection().fit_transform(X * np.float32(1e-36))

    assert_allclose(Xt * 1e36, expected, atol=1e-5 * np.abs(expected).max())


def test_msc_float32_reference_mean_does_not_overflow():
    # The float32 mean of spectra near the float32 maximum overflowed to inf
    # and EMSC crashed in the SVD with LinAlgError.
    X = np.array([[1.0, 3.0, 2.0, 2.5], [3.0, 2.0, 2.5, 1.5]], dtype=np.float32)
    X *= np.float32(1e38)

    emsc = ExtendedMultiplicativeScatterCorrection(degree=0).fit(X)

    assert np.isfinite(emsc.reference_).all()
    assert_allclose(emsc.reference_, X.astype(np.float64).mean(axis=0), rtol=1e-6)


@pytest.mark.parametrize(
    "est",
    [
        SavitzkyGolay(window_length=5),
        Normalize(),
        StandardNormalVariate(),
        RobustNormalVariate(),
        AsymmetricLeastSquaresBaseline(lam=100.0),
    ],
    ids=lambda e: type(e).__name__,
)
def test_overflow_is_a_clear_error_not_inf(est):
    # float32 spectra spanning -3e38..3e38: differences and filter sums
    # overflow; these returned inf or NaN without a word.
    X = np.random.default_rng(0).uniform(-3e38, 3e38, (5, 20)).astype(np.float32)

    with pytest.raises(ValueError, match=r"row\(s\) 0.*too large \(overflow\)"):
        est.fit_transform(X)
