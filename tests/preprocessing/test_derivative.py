"""SavitzkyGolay and NorrisWilliams against independent computations."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy.signal import savgol_filter

from sklearn_nirs.preprocessing import NorrisWilliams, SavitzkyGolay


def _spectra(n_samples=4, n_wavelengths=40, seed=0, dtype=np.float64):
    """Smooth absorbance-like curves plus noise, different for every row."""
    rng = np.random.default_rng(seed)
    t = np.linspace(0.0, 1.0, n_wavelengths)
    centres = rng.uniform(0.2, 0.8, size=(n_samples, 1))
    X = 0.5 + 0.3 * t + np.exp(-0.5 * ((t - centres) / 0.1) ** 2)
    X += 0.01 * rng.standard_normal(X.shape)
    return X.astype(dtype)


def _polyfit_savgol(x, window_length, polyorder, deriv, delta, edges):
    """Savitzky-Golay by an explicit least-squares fit in every window.

    Interior points: fit on the centred window, evaluate the derivative at
    the centre. With ``edges=True`` (scipy's mode="interp"), the first and
    last half-windows are evaluated on the polynomial fitted to the first
    and last full windows.
    """
    n = x.size
    half = window_length // 2
    out = np.full(n, np.nan)
    offsets = np.arange(-half, half + 1) * delta
    for i in range(half, n - half):
        coef = np.polyfit(offsets, x[i - half : i + half + 1], polyorder)
        out[i] = np.polyval(np.polyder(coef, deriv), 0.0)
    if edges:
        positions = np.arange(window_length) * delta
        first = np.polyder(np.polyfit(positions, x[:window_length], polyorder), deriv)
        last = np.polyder(np.polyfit(positions, x[-window_length:], polyorder), deriv)
        out[:half] = np.polyval(first, positions[:half])
        out[n - half :] = np.polyval(last, positions[window_length - half :])
    return out


# ----------------------------------------------------------------- SavitzkyGolay


@pytest.mark.parametrize("deriv", [0, 1, 2])
@pytest.mark.parametrize(("window_length", "polyorder"), [(5, 2), (7, 3), (11, 2)])
def test_savgol_interior_equals_windowed_least_squares(window_length, polyorder, deriv):
    # Arrange
    X = _spectra()
    delta = 0.5
    half = window_length // 2
    expected = np.vstack(
        [_polyfit_savgol(x, window_length, polyorder, deriv, delta, False) for x in X]
    )
    sg = SavitzkyGolay(
        window_length=window_length, polyorder=polyorder, deriv=deriv, delta=delta
    )

    # Act
    result = sg.fit_transform(X)

    # Assert
    assert_allclose(result[:, half:-half], expected[:, half:-half], atol=1e-9)


@pytest.mark.parametrize("deriv", [0, 1, 2])
def test_savgol_interp_edges_use_the_polynomial_of_the_end_windows(deriv):
    # Arrange
    X = _spectra(n_wavelengths=15)
    expected = np.vstack([_polyfit_savgol(x, 7, 3, deriv, 1.0, True) for x in X])

    # Act
    result = SavitzkyGolay(window_length=7, polyorder=3, deriv=deriv).fit_transform(X)

    # Assert: every position, edges included
    assert_allclose(result, expected, atol=1e-9)


@pytest.mark.parametrize("mode", ["interp", "mirror", "constant", "nearest", "wrap"])
def test_savgol_equals_scipy_savgol_filter_in_every_mode(mode):
    # Arrange
    X = _spectra(n_samples=6, n_wavelengths=50)
    params = {"window_length": 9, "polyorder": 3, "deriv": 1, "delta": 2.0}

    # Act
    result = SavitzkyGolay(mode=mode, **params).fit_transform(X)

    # Assert
    expected = savgol_filter(
        X,
        params["window_length"],
        params["polyorder"],
        deriv=1,
        delta=2.0,
        axis=1,
        mode=mode,
    )
    assert_allclose(result, expected, rtol=1e-12, atol=1e-12)


def test_savgol_smoothing_keeps_a_polynomial_of_its_degree():
    # A local fit of degree 2 reproduces a parabola exactly, edges included.
    t = np.arange(30.0)
    X = np.vstack([1.0 + 0.2 * t - 0.01 * t**2, 3.0 - 0.5 * t])

    result = SavitzkyGolay(window_length=9, polyorder=2).fit_transform(X)

    assert_allclose(result, X, atol=1e-10)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"window_length": 5, "polyorder": 5}, "polyorder must be less than"),
        ({"window_length": 6}, "window_length must be odd"),
        ({"window_length": 0}, "window_length"),
        ({"polyorder": -1}, "polyorder"),
        ({"polyorder": 2, "deriv": 3}, "identically zero"),
        ({"deriv": -1}, "deriv"),
        ({"delta": 0.0}, "delta"),
        ({"mode": "edge"}, "mode must be one of"),
    ],
)
def test_savgol_rejects_bad_parameters_at_fit(params, message):
    sg = SavitzkyGolay(**params)  # __init__ validates nothing

    with pytest.raises(ValueError, match=message):
        sg.fit(_spectra())


def test_savgol_interp_needs_a_full_window_of_wavelengths():
    X = _spectra(n_wavelengths=8)

    with pytest.raises(ValueError, match=r"at least 11 wavelengths.*8 feature\(s\)"):
        SavitzkyGolay(window_length=11).fit(X)


def test_savgol_other_modes_accept_spectra_narrower_than_the_window():
    X = _spectra(n_wavelengths=4)

    result = SavitzkyGolay(window_length=7, polyorder=2, mode="nearest").fit_transform(
        X
    )

    assert_allclose(result, savgol_filter(X, 7, 2, axis=1, mode="nearest"), rtol=1e-12)


# ---------------------------------------------------------------- NorrisWilliams


def _loop_norris_williams(x, segment, gap, deriv, delta):
    """The published gap-segment derivative, one point at a time.

    Segment means are taken over ``segment`` points around a centre; the
    centres of neighbouring segments lie ``segment + gap`` points apart.
    Points past the ends repeat the end value (mode="nearest").
    """
    n = x.size
    half = segment // 2
    spacing = segment + gap

    def segment_mean(centre):
        idx = np.clip(np.arange(centre - half, centre + half + 1), 0, n - 1)
        return x[idx].mean()

    out = np.empty(n)
    for i in range(n):
        if deriv == 1:
            step = spacing // 2
            out[i] = (segment_mean(i + step) - segment_mean(i - step)) / (
                spacing * delta
            )
        else:
            out[i] = (
                segment_mean(i + spacing)
                - 2 * segment_mean(i)
                + segment_mean(i - spacing)
            ) / (spacing * delta) ** 2
    return out


@pytest.mark.parametrize("deriv", [1, 2])
@pytest.mark.parametrize(("segment", "gap"), [(1, 1), (3, 1), (5, 5), (3, 7)])
def test_norris_williams_equals_loop_over_published_formula(segment, gap, deriv):
    # Arrange
    X = _spectra(n_samples=3, n_wavelengths=45)
    delta = 2.0
    expected = np.vstack(
        [_loop_norris_williams(x, segment, gap, deriv, delta) for x in X]
    )
    nw = NorrisWilliams(segment=segment, gap=gap, deriv=deriv, delta=delta)

    # Act
    result = nw.fit_transform(X)

    # Assert: every position, edges included (mode="nearest")
    assert_allclose(result, expected, atol=1e-12)


def test_norris_williams_is_exact_for_lines_and_parabolas_away_from_edges():
    # Arrange: slope 0.3 and second derivative 2 * 0.05 per column
    t = np.arange(60.0)
    X = np.vstack([0.3 * t, 1.0 + 0.05 * t**2])
    span = 2 * (5 + 5) + 5
    inner = slice(span, -span)

    # Act
    first = NorrisWilliams(segment=5, gap=5, deriv=1).fit_transform(X)
    second = NorrisWilliams(segment=5, gap=5, deriv=2).fit_transform(X)

    # Assert
    assert_allclose(first[0, inner], 0.3)
    assert_allclose(first[1, inner], 0.1 * t[inner])
    assert_allclose(second[1, inner], 0.1)


def test_norris_williams_mode_changes_only_the_edges():
    X = _spectra(n_samples=2, n_wavelengths=40)

    nearest = NorrisWilliams(mode="nearest").fit_transform(X)
    mirror = NorrisWilliams(mode="mirror").fit_transform(X)

    half_span = (2 * 5 + 5) // 2
    assert_allclose(nearest[:, half_span:-half_span], mirror[:, half_span:-half_span])
    assert not np.allclose(nearest[:, :half_span], mirror[:, :half_span])


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"segment": 4}, "segment must be odd"),
        ({"gap": 2}, "gap must be odd"),
        ({"segment": 0}, "segment"),
        ({"gap": 0}, "gap"),
        ({"deriv": 3}, "deriv"),
        ({"deriv": 0}, "deriv"),
        ({"delta": -1.0}, "delta"),
        ({"mode": "interp"}, "mode must be one of"),
    ],
)
def test_norris_williams_rejects_bad_parameters_at_fit(params, message):
    nw = NorrisWilliams(**params)

    with pytest.raises(ValueError, match=message):
        nw.fit(_spectra())


# ------------------------------------------- behaviour shared by both transformers

ESTIMATORS = [
    pytest.param(lambda: SavitzkyGolay(window_length=7, polyorder=2), id="SG"),
    pytest.param(lambda: SavitzkyGolay(deriv=2, mode="mirror"), id="SG-mirror"),
    pytest.param(lambda: NorrisWilliams(segment=3, gap=3), id="NW"),
    pytest.param(lambda: NorrisWilliams(deriv=2), id="NW-d2"),
]


@pytest.mark.parametrize("make", ESTIMATORS)
def test_float32_stays_float32_and_matches_float64(make):
    X64 = _spectra()

    out32 = make().fit_transform(X64.astype(np.float32))
    out64 = make().fit_transform(X64)

    assert out32.dtype == np.float32
    assert_allclose(out32, out64, rtol=1e-4, atol=1e-4 * np.abs(out64).max())


def test_too_few_wavelengths_for_a_derivative_is_rejected():
    with pytest.raises(ValueError, match=r"at least 2 wavelengths.*1 feature\(s\)"):
        NorrisWilliams().fit(np.ones((3, 1)))


@pytest.mark.parametrize("make", ESTIMATORS)
def test_pandas_output_keeps_wavelength_names(make):
    import pandas as pd

    X = _spectra()
    columns = [f"{w:.0f}" for w in np.linspace(1100, 2500, X.shape[1])]
    frame = pd.DataFrame(X, columns=columns)

    result = make().set_output(transform="pandas").fit_transform(frame)

    assert isinstance(result, pd.DataFrame)
    assert list(result.columns) == columns
    assert_allclose(result.to_numpy(), make().fit_transform(X))
