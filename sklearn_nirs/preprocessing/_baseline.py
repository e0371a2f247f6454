"""Baseline removal: polynomial detrending and asymmetric least squares."""

from __future__ import annotations

import numpy as np
from scipy.linalg import solveh_banded
from sklearn.utils.validation import check_is_fitted

from ._base import SpectralTransformer, check_int, check_real


def _numeric_feature_names(names) -> np.ndarray | None:
    """Return the feature names as floats when every one parses, else None."""
    if names is None:
        return None
    try:
        return np.asarray([float(name) for name in names], dtype=np.float64)
    except (TypeError, ValueError):
        return None


class Detrend(SpectralTransformer):
    r"""Subtract a least-squares polynomial in wavelength from each spectrum.

    For each spectrum :math:`x` measured at wavelengths :math:`\lambda_j`,
    the polynomial :math:`p(\lambda) = \sum_{k=0}^{d} b_k \lambda^k` of
    degree :math:`d` = ``degree`` minimising
    :math:`\sum_j (x_j - p(\lambda_j))^2` is removed:
    :math:`x^{\text{corr}}_j = x_j - p(\lambda_j)`. Barnes, Dhanoa and Lister
    (1989) introduced it (with ``degree=2``, after SNV) to remove the
    curvilinear baseline of diffuse reflectance spectra.

    The fit is done for all spectra at once: the wavelengths, scaled to
    [-1, 1] so the Vandermonde matrix is well conditioned, give an
    orthonormal basis :math:`Q` of the polynomials (QR decomposition, in
    ``fit``), and the residuals are :math:`X - X Q Q^\top`.

    Parameters
    ----------
    degree : int, default=1
        Degree of the polynomial (0 removes the mean, 1 a straight line).
    wavelengths : array-like of shape (n_wavelengths,), default=None
        Wavelength of each column. ``None`` uses the column names of a
        DataFrame when they are all numeric, else the column index
        (equally spaced wavelengths).

    Attributes
    ----------
    wavelengths_ : ndarray of shape (`n_features_in_`,)
        Wavelengths the polynomial is fitted over.
    n_features_in_ : int
        Number of wavelengths seen in ``fit``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of the wavelengths seen in ``fit``, when ``X`` has string
        column names.

    See Also
    --------
    AsymmetricLeastSquaresBaseline : Baseline that follows the spectrum
        below its peaks.

    References
    ----------
    .. [1] R. J. Barnes, M. S. Dhanoa and S. J. Lister (1989). "Standard
       normal variate transformation and de-trending of near-infrared diffuse
       reflectance spectra". Applied Spectroscopy 43(5):772-777.
    .. [2] Å. Rinnan, F. van den Berg and S. B. Engelsen (2009). "Review of the
       most common pre-processing techniques for near-infrared spectra".
       TrAC Trends in Analytical Chemistry 28(10):1201-1222.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_nirs.preprocessing import Detrend
    >>> wavelengths = np.linspace(1100, 2500, 8)
    >>> peak = np.exp(-0.5 * ((wavelengths - 1800) / 100) ** 2)
    >>> X = np.vstack([0.3 + 1e-4 * wavelengths, 0.1 + peak])
    >>> X_corr = Detrend(degree=1, wavelengths=wavelengths).fit_transform(X)
    >>> bool(np.allclose(X_corr[0], 0.0))  # a straight line is removed
    True
    """

    def __init__(self, degree: int = 1, wavelengths=None):
        self.degree = degree
        self.wavelengths = wavelengths

    def _check_params(self) -> None:
        check_int(self.degree, "degree", min_val=0)

    def _min_wavelengths(self) -> tuple[int, str]:
        return (
            self.degree + 1,
            f"a polynomial of degree {self.degree} has {self.degree + 1} coefficients",
        )

    def _fit(self, X: np.ndarray) -> None:
        n_wavelengths = X.shape[1]
        if self.wavelengths is not None:
            wavelengths = np.asarray(self.wavelengths, dtype=np.float64)
            if wavelengths.ndim != 1 or wavelengths.shape[0] != n_wavelengths:
                raise ValueError(
                    f"wavelengths must be a 1-D array with one value per column "
                    f"of X ({n_wavelengths}); got shape {wavelengths.shape}."
                )
            if not np.isfinite(wavelengths).all():
                raise ValueError("wavelengths must be finite (no NaN or inf).")
        else:
            wavelengths = _numeric_feature_names(
                getattr(self, "feature_names_in_", None)
            )
            if wavelengths is None:
                wavelengths = np.arange(n_wavelengths, dtype=np.float64)
        n_distinct = np.unique(wavelengths).size
        if n_distinct < self.degree + 1:
            raise ValueError(
                f"a polynomial of degree {self.degree} needs at least "
                f"{self.degree + 1} distinct wavelengths; got {n_distinct}."
            )
        self.wavelengths_ = wavelengths

    def _transform(self, X: np.ndarray) -> np.ndarray:
        # Scaling to [-1, 1] keeps the Vandermonde matrix well conditioned
        # (raw wavelengths ~2000 nm to the 3rd power would not be). The QR of
        # this (n_wavelengths, degree + 1) matrix is negligible next to the
        # products below, so it is not stored as fitted state.
        wavelengths = self.wavelengths_
        low, high = wavelengths.min(), wavelengths.max()
        half_range = (high - low) / 2.0 if high > low else 1.0  # one column
        scaled = (wavelengths - (low + high) / 2.0) / half_range
        basis, _ = np.linalg.qr(np.vander(scaled, self.degree + 1, increasing=True))
        basis = basis.astype(X.dtype, copy=False)
        # Least squares with every spectrum as a right-hand side: the fitted
        # polynomials are the projections X Q Q^T onto the polynomial space.
        return X - (X @ basis) @ basis.T


def _second_difference_bands(n: int) -> np.ndarray:
    """Upper bands of D'D, D the (n-2, n) second-difference matrix.

    Returned in the layout of :func:`scipy.linalg.solveh_banded` (``u=2``):
    row 2 is the diagonal, row 1 the first and row 0 the second
    superdiagonal, right-aligned. Each band of D'D is the convolution of the
    row indicator (ones of length n-2) with products of the stencil (1, -2, 1).
    """
    ones = np.ones(n - 2)
    bands = np.zeros((3, n))
    bands[2] = np.convolve(ones, [1.0, 4.0, 1.0])  # squares of the stencil
    bands[1, 1:] = np.convolve(ones, [-2.0, -2.0])  # neighbour products
    bands[0, 2:] = ones  # product of the outer coefficients
    return bands


class AsymmetricLeastSquaresBaseline(SpectralTransformer):
    r"""Subtract the asymmetric least squares (AsLS) baseline of each spectrum.

    The baseline :math:`z` of a spectrum :math:`y` (Eilers and Boelens, 2005)
    minimises a weighted fit plus a roughness penalty,

    .. math::

        S(z) = \sum_i w_i (y_i - z_i)^2 + \lambda \sum_i (\Delta^2 z_i)^2,

    i.e. solves :math:`(W + \lambda D^\top D)\, z = W y` with :math:`D` the
    second-difference matrix. The weights are asymmetric,
    :math:`w_i = p` where :math:`y_i > z_i` (peaks, above the baseline) and
    :math:`1 - p` elsewhere, so with a small ``p`` the baseline hugs the
    spectrum from below. Starting from :math:`w = 1`, weights and baseline
    are updated alternately for at most ``max_iter`` solves; the iteration
    stops as soon as the weights no longer change, at which point further
    solves would return the same baseline (so stopping early changes
    nothing). The output is :math:`y - z`.

    The weights differ between spectra, so each spectrum is solved on its
    own; :math:`W + \lambda D^\top D` is symmetric positive definite and
    pentadiagonal, so each solve is a banded Cholesky factorisation
    (:func:`scipy.linalg.solveh_banded`, linear in the number of
    wavelengths), with the bands of :math:`D^\top D` computed once.

    Parameters
    ----------
    lam : float, default=1e5
        Smoothness :math:`\lambda` of the baseline; larger is stiffer.
        Eilers and Boelens suggest :math:`10^2` to :math:`10^9`.
    p : float, default=0.01
        Asymmetry: weight of points above the baseline, in (0, 1). Eilers and
        Boelens suggest 0.001 to 0.1 for spectra with positive peaks.
    max_iter : int, default=10
        Maximum number of weighted smoothing solves per spectrum.

    Attributes
    ----------
    n_iter_ : int
        Largest number of solves any training spectrum needed (a convergence
        diagnostic: equal to ``max_iter`` when the weights of at least one
        spectrum were still changing, or only settled at the last solve).
    n_features_in_ : int
        Number of wavelengths seen in ``fit``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of the wavelengths seen in ``fit``, when ``X`` has string
        column names.

    See Also
    --------
    Detrend : Subtract a least-squares polynomial.

    Notes
    -----
    :meth:`baseline` returns the baselines themselves. The transformation
    learns nothing: ``fit`` only validates and runs the algorithm on the
    training spectra to report ``n_iter_`` (``fit_transform`` reuses that
    work). With fewer than three wavelengths the penalty vanishes (no second
    difference exists), so the baseline is the spectrum itself.

    References
    ----------
    .. [1] P. H. C. Eilers and H. F. M. Boelens (2005). "Baseline correction
       with asymmetric least squares smoothing". Leiden University Medical
       Centre report.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_nirs.preprocessing import AsymmetricLeastSquaresBaseline
    >>> t = np.linspace(0.0, 1.0, 200)
    >>> peak = np.exp(-0.5 * ((t - 0.5) / 0.02) ** 2)
    >>> X = (0.5 + 0.4 * t + peak)[np.newaxis, :]  # peak on a sloped baseline
    >>> asls = AsymmetricLeastSquaresBaseline(lam=1e6, p=0.001)
    >>> X_corr = asls.fit_transform(X)
    >>> bool(np.abs(X_corr - peak).max() < 0.05)
    True
    """

    def __init__(self, lam: float = 1e5, p: float = 0.01, max_iter: int = 10):
        self.lam = lam
        self.p = p
        self.max_iter = max_iter

    def _check_params(self) -> None:
        check_real(self.lam, "lam", min_val=0, include_boundaries="neither")
        check_real(self.p, "p", min_val=0, max_val=1, include_boundaries="neither")
        check_int(self.max_iter, "max_iter", min_val=1)

    def _baselines(self, X: np.ndarray) -> tuple[np.ndarray, int]:
        """Return the baselines (float64) and the largest number of solves."""
        n_samples, n_wavelengths = X.shape
        if n_wavelengths < 3:
            # No second difference exists: S(z) is minimised by z = y.
            return X.astype(np.float64), 1
        penalty = float(self.lam) * _second_difference_bands(n_wavelengths)
        p = float(self.p)
        baselines = np.empty((n_samples, n_wavelengths), dtype=np.float64)
        n_iter = 0
        for row in range(n_samples):
            y = X[row].astype(np.float64)
            weights = np.ones(n_wavelengths)
            n_solves = 0
            while n_solves < self.max_iter:
                n_solves += 1
                system = penalty.copy()
                system[2] += weights
                z = solveh_banded(
                    system,
                    weights * y,
                    overwrite_ab=True,
                    overwrite_b=True,
                    check_finite=False,
                )
                new_weights = np.where(y > z, p, 1.0 - p)
                if np.array_equal(new_weights, weights):
                    break  # fixed point: another solve gives the same z
                weights = new_weights
            baselines[row] = z
            n_iter = max(n_iter, n_solves)
        return baselines, n_iter

    def _fit(self, X: np.ndarray) -> None:
        _, self.n_iter_ = self._baselines(X)

    def _transform(self, X: np.ndarray) -> np.ndarray:
        baselines, _ = self._baselines(X)
        return (X - baselines).astype(X.dtype, copy=False)

    def _fit_transform(self, X: np.ndarray) -> np.ndarray:
        # One pass of the algorithm instead of two (fit, then transform).
        baselines, self.n_iter_ = self._baselines(X)
        return (X - baselines).astype(X.dtype, copy=False)

    def baseline(self, X) -> np.ndarray:
        """Return the AsLS baseline of each spectrum (what ``transform`` removes).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_wavelengths)
            Spectra, one per row, with as many wavelengths as in ``fit``.

        Returns
        -------
        baselines : ndarray of shape (n_samples, n_wavelengths)
            The baselines, float32 when ``X`` is float32, else float64.
        """
        check_is_fitted(self)
        X = self._validate(X, reset=False)
        return self._checked(
            lambda X: self._baselines(X)[0].astype(X.dtype, copy=False), X
        )
