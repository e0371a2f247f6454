"""The reference figures of the Tecator data README are reproduced.

``sklearn_nirs/datasets/data/README.md`` states, for fat with PLSRegression
(scale=False) under shuffled 5-fold KFold (random_state=0) over all 215
spectra, components chosen by the lowest RMSECV among 1-25:

- raw spectra: RMSECV 2.48 at 17 components;
- SNV then Savitzky-Golay 1st derivative (window 15, polyorder 2): RMSECV
  1.97 at 20 components.

Tolerance: the README rounds to 0.01, so the exact figure lies within 0.005
of it; the computation is deterministic (fixed folds) and numerically stable
(perturbing the spectra by 1e-9 moves RMSECV by about 1e-6), so BLAS or
solver differences cannot use up the rest of the +-0.01 margin. A wider
margin would hide real mistakes: on these folds, Savitzky-Golay edge handling
``mode="nearest"`` instead of ``"interp"`` gives 1.89, window 13 gives 2.26,
and skipping SNV gives 2.44.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.signal import savgol_filter
from sklearn.cross_decomposition import PLSRegression
from sklearn.model_selection import KFold, cross_val_predict
from sklearn.pipeline import Pipeline

from sklearn_nirs.datasets import load_tecator
from sklearn_nirs.preprocessing import SavitzkyGolay, StandardNormalVariate

TOLERANCE = 0.01


@pytest.fixture(scope="module")
def fat():
    return load_tecator(target="fat", return_X_y=True)


def _rmsecv(estimator, X, y) -> float:
    cv = KFold(n_splits=5, shuffle=True, random_state=0)
    y_cv = np.ravel(cross_val_predict(estimator, X, y, cv=cv))
    return float(np.sqrt(np.mean((y - y_cv) ** 2)))


def _snv_sg(n_components: int) -> Pipeline:
    return Pipeline(
        [
            ("snv", StandardNormalVariate()),
            ("sg", SavitzkyGolay(window_length=15, polyorder=2, deriv=1)),
            ("pls", PLSRegression(n_components=n_components, scale=False)),
        ]
    )


def test_snv_savitzky_golay_rmsecv(fat):
    X, y = fat
    assert abs(_rmsecv(_snv_sg(20), X, y) - 1.97) <= TOLERANCE


def test_raw_spectra_rmsecv(fat):
    X, y = fat
    assert (
        abs(_rmsecv(PLSRegression(n_components=17, scale=False), X, y) - 2.48)
        <= TOLERANCE
    )


def test_snv_savitzky_golay_matches_explicit_formulas(fat):
    # Independent preprocessing: SNV written out (Barnes 1989) and scipy's own
    # Savitzky-Golay filter, then the same PLS and folds.
    X, y = fat
    snv = (X - X.mean(axis=1, keepdims=True)) / X.std(axis=1, ddof=1, keepdims=True)
    X_ref = savgol_filter(snv, window_length=15, polyorder=2, deriv=1, axis=1)
    expected = _rmsecv(PLSRegression(n_components=20, scale=False), X_ref, y)
    assert _rmsecv(_snv_sg(20), X, y) == pytest.approx(expected, rel=1e-9)


def test_component_counts_are_the_rmsecv_optima(fat):
    # The README's component counts are the lowest RMSECV among 1-25.
    X, y = fat
    raw = [
        _rmsecv(PLSRegression(n_components=k, scale=False), X, y) for k in range(1, 26)
    ]
    snv_sg = [_rmsecv(_snv_sg(k), X, y) for k in range(1, 26)]
    assert int(np.argmin(raw)) + 1 == 17
    assert int(np.argmin(snv_sg)) + 1 == 20
