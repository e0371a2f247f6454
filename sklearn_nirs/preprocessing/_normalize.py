"""Per-spectrum normalisation and conversion to absorbance."""

from __future__ import annotations

import numpy as np

from ._base import SpectralTransformer, check_option


def _nonzero(denominator: np.ndarray) -> np.ndarray:
    """Replace zero denominators by 1 so those rows pass through unchanged."""
    return np.where(denominator == 0, 1, denominator)


class Normalize(SpectralTransformer):
    r"""Normalise each spectrum on its own.

    For each spectrum :math:`x` (a row, with values :math:`x_j` over the
    wavelengths :math:`j`), ``method`` selects

    - ``"minmax"``: :math:`(x - \min_j x_j) / (\max_j x_j - \min_j x_j)`,
      values in :math:`[0, 1]`;
    - ``"l2"``: :math:`x / \lVert x \rVert_2`, unit Euclidean norm;
    - ``"area"``: :math:`x / \sum_j |x_j|`, unit area under :math:`|x|` with
      unit spacing between wavelengths (the L1 norm; the wavelength spacing
      would only rescale every spectrum by the same constant);
    - ``"max"``: :math:`x / \max_j |x_j|`, largest magnitude 1.

    Nothing is learned in ``fit``. A zero denominator (a constant spectrum
    for ``"minmax"``, an all-zero one otherwise) leaves the row as it is for
    ``"l2"``, ``"area"`` and ``"max"`` (all zeros) and gives zeros for
    ``"minmax"``, like :func:`sklearn.preprocessing.normalize`; never NaN.

    Parameters
    ----------
    method : {"minmax", "l2", "area", "max"}, default="minmax"
        The normalisation applied to each spectrum.

    Attributes
    ----------
    n_features_in_ : int
        Number of wavelengths seen during ``fit``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of the wavelengths seen during ``fit``; only when ``X`` had
        string column names.

    See Also
    --------
    sklearn.preprocessing.Normalizer : Row-wise "l1", "l2" and "max" norms.
    StandardNormalVariate : Centre and scale each spectrum.

    References
    ----------
    Å. Rinnan, F. van den Berg and S. B. Engelsen (2009), "Review of the most
    common pre-processing techniques for near-infrared spectra", TrAC Trends
    in Analytical Chemistry 28(10):1201-1222.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_nirs.preprocessing import Normalize
    >>> X = np.array([[1.0, 3.0, 5.0], [0.0, 0.0, 0.0]])
    >>> Normalize().fit_transform(X)
    array([[0. , 0.5, 1. ],
           [0. , 0. , 0. ]])
    >>> Normalize(method="area").fit_transform(X)
    array([[0.11111111, 0.33333333, 0.55555556],
           [0.        , 0.        , 0.        ]])
    """

    def __init__(self, method: str = "minmax"):
        self.method = method

    def _check_params(self) -> None:
        check_option(self.method, "method", ("minmax", "l2", "area", "max"))

    def _transform(self, X: np.ndarray) -> np.ndarray:
        method = self.method
        if method == "minmax":
            low = X.min(axis=1)
            out = X - low[:, None]
            out /= _nonzero(X.max(axis=1) - low)[:, None]
            return out
        if method == "l2":
            denominator = np.sqrt(np.einsum("ij,ij->i", X, X))
        elif method == "area":
            denominator = np.abs(X).sum(axis=1)
        else:  # "max": two reductions instead of a temporary |X|
            denominator = np.maximum(X.max(axis=1), -X.min(axis=1))
        return X / _nonzero(denominator)[:, None]


def _check_positive(X: np.ndarray) -> np.ndarray:
    """Return ``X``, or raise a ValueError naming the rows holding R <= 0."""
    if X.size and X.min() > 0:  # one reduction on the happy path
        return X
    rows = np.flatnonzero((X <= 0).any(axis=1))
    kinds = []
    if (X[rows] < 0).any():
        # scikit-learn's wording for positive-only estimators.
        kinds.append("Negative values in data")
    if (X[rows] == 0).any():
        kinds.append("zeros")
    shown = ", ".join(str(r) for r in rows[:10])
    more = f" and {rows.size - 10} more" if rows.size > 10 else ""
    raise ValueError(
        f"{' and '.join(kinds)} in {rows.size} spectrum/spectra, at row(s) "
        f"{shown}{more}. ToAbsorbance needs reflectance or transmittance R > 0, "
        "since -log10(R) is undefined for R <= 0."
    )


class ToAbsorbance(SpectralTransformer):
    r"""Convert reflectance or transmittance to absorbance.

    Following the Beer-Lambert law (and its common use with diffuse
    reflectance, the "apparent absorbance"), each value :math:`R` becomes

    .. math:: A = -\log_{10} R = \log_{10}(1 / R).

    With ``percent=True`` the input is in percent:
    :math:`A = -\log_{10}(R / 100) = 2 - \log_{10} R`.

    The logarithm is undefined for :math:`R \le 0`: such input raises a
    ``ValueError`` naming the spectra (rows), in ``fit`` and in
    ``transform``. Nothing is learned in ``fit``.

    Parameters
    ----------
    percent : bool, default=False
        Whether ``R`` is given in percent (0-100) rather than as a fraction.

    Attributes
    ----------
    n_features_in_ : int
        Number of wavelengths seen during ``fit``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of the wavelengths seen during ``fit``; only when ``X`` had
        string column names.

    References
    ----------
    Å. Rinnan, F. van den Berg and S. B. Engelsen (2009), "Review of the most
    common pre-processing techniques for near-infrared spectra", TrAC Trends
    in Analytical Chemistry 28(10):1201-1222.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_nirs.preprocessing import ToAbsorbance
    >>> ToAbsorbance().fit_transform(np.array([[1.0, 0.1, 0.01]]))
    array([[0., 1., 2.]])
    >>> ToAbsorbance(percent=True).fit_transform(np.array([[100.0, 10.0, 1.0]]))
    array([[0., 1., 2.]])
    """

    def __init__(self, percent: bool = False):
        self.percent = percent

    def _check_params(self) -> None:
        if not isinstance(self.percent, (bool, np.bool_)):
            raise TypeError(
                f"percent must be a bool; got {type(self.percent).__name__}."
            )

    def _validate(self, X, *, reset: bool) -> np.ndarray:
        return _check_positive(super()._validate(X, reset=reset))

    def _transform(self, X: np.ndarray) -> np.ndarray:
        out = np.log10(X)
        # -log10(R / 100) = 2 - log10(R): no division pass. Subtracting from
        # a constant (rather than negating) also gives +0, not -0, for R = 1.
        np.subtract(2 if self.percent else 0, out, out=out)
        return out

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.positive_only = True
        return tags
