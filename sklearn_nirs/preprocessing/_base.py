"""What every spectral transformer shares: validation, fitted-state checks, tags.

A spectral transformer works along the wavelength axis (axis 1) of a 2-D array
``(n_samples, n_wavelengths)``. Subclasses implement ``_transform(X)`` (and
``_fit(X)`` when they learn something) on an already validated, finite,
floating-point array; they must return a new array and never write into ``X``
(joblib hands workers read-only memmaps, and the caller's data is theirs).
"""

from __future__ import annotations

import numbers

import numpy as np
from sklearn.base import BaseEstimator, OneToOneFeatureMixin, TransformerMixin
from sklearn.utils import check_scalar
from sklearn.utils.validation import check_is_fitted, validate_data

FLOAT_DTYPES = (np.float64, np.float32)


def check_finite_spectra(X: np.ndarray, estimator_name: str) -> None:
    """Raise a ValueError naming the rows of ``X`` that hold NaN or infinity.

    The fast path is one reduction over the array; the row scan only runs when
    something is wrong (or a sum of huge finite values overflowed).
    """
    with np.errstate(over="ignore", invalid="ignore"):
        if np.isfinite(np.sum(X)):
            return
    bad = ~np.isfinite(X)
    if not bad.any():
        return
    rows = np.flatnonzero(bad.any(axis=1))
    kinds = []
    if np.isnan(X[rows]).any():
        kinds.append("NaN")
    if np.isinf(X[rows]).any():
        kinds.append("infinity")
    shown = ", ".join(str(r) for r in rows[:10])
    more = f" and {rows.size - 10} more" if rows.size > 10 else ""
    raise ValueError(
        f"Input X contains {' and '.join(kinds)} (NaN, inf are not allowed) in "
        f"{rows.size} spectrum/spectra, at row(s) {shown}{more}. "
        f"{estimator_name} needs finite absorbance values; impute or drop these "
        "spectra first."
    )


def check_finite_output(out: np.ndarray, estimator_name: str) -> np.ndarray:
    """Return ``out``, or raise a ValueError if finite input gave NaN or inf.

    The input was checked finite, so a non-finite output means the arithmetic
    overflowed (values near the largest float of the dtype) or divided by an
    underflowed zero (values near the smallest). Returning it would be a
    silent NaN; the error names the rows and the cause instead. One reduction
    on the happy path, as in :func:`check_finite_spectra`.
    """
    with np.errstate(over="ignore", invalid="ignore"):
        if np.isfinite(np.sum(out)):
            return out
    bad = ~np.isfinite(out)
    if not bad.any():
        return out
    rows = np.flatnonzero(bad.any(axis=tuple(range(1, out.ndim))))
    shown = ", ".join(str(r) for r in rows[:10])
    more = f" and {rows.size - 10} more" if rows.size > 10 else ""
    raise ValueError(
        f"{estimator_name} produced NaN or infinity from finite input in "
        f"{rows.size} spectrum/spectra, at row(s) {shown}{more}: the values are "
        f"too large (overflow) or too small (underflow) for {out.dtype} "
        "arithmetic. Rescale the spectra (e.g. divide them by a constant) or "
        "use float64."
    )


def check_min_wavelengths(
    X: np.ndarray, minimum: int, estimator_name: str, why: str
) -> None:
    """Raise a ValueError when ``X`` has fewer than ``minimum`` wavelengths.

    The message mentions "N feature(s)", the wording scikit-learn's estimator
    checks look for when an estimator refuses too narrow an input.
    """
    n = X.shape[1]
    if n < minimum:
        raise ValueError(
            f"{estimator_name} needs at least {minimum} wavelengths ({why}); "
            f"X has {n} feature(s)."
        )


def check_option(value, name: str, options) -> None:
    """Raise a ValueError when ``value`` is not one of ``options``."""
    if not isinstance(value, str) or value not in options:
        raise ValueError(f"{name} must be one of {sorted(options)}; got {value!r}.")


def check_int(value, name: str, *, min_val=None, max_val=None) -> int:
    """Validate an integer parameter with :func:`sklearn.utils.check_scalar`."""
    if isinstance(value, bool):
        raise TypeError(f"{name} must be an int, not bool.")
    return check_scalar(value, name, numbers.Integral, min_val=min_val, max_val=max_val)


def check_real(
    value, name: str, *, min_val=None, max_val=None, include_boundaries="both"
) -> float:
    """Validate a real parameter with :func:`sklearn.utils.check_scalar`."""
    if isinstance(value, bool):
        raise TypeError(f"{name} must be a real number, not bool.")
    return check_scalar(
        value,
        name,
        numbers.Real,
        min_val=min_val,
        max_val=max_val,
        include_boundaries=include_boundaries,
    )


class SpectralTransformer(OneToOneFeatureMixin, TransformerMixin, BaseEstimator):
    """Base class of the NIRS transformers; not for direct use.

    Subclasses set ``_transform`` (required), and optionally ``_fit``,
    ``_fit_transform`` (when fitting and transforming share one pass),
    ``_check_params`` (validate hyper-parameters; called in ``fit``) and
    ``_min_wavelengths`` (a ``(minimum, reason)`` pair). Transformers that
    change the number of columns override ``get_feature_names_out``.
    """

    def _check_params(self) -> None:
        """Validate hyper-parameters; called at the start of ``fit``."""

    def _min_wavelengths(self) -> tuple[int, str]:
        return 1, "one wavelength at least"

    def _fit(self, X: np.ndarray) -> None:
        """Learn from validated training spectra (stateless by default)."""

    def _transform(self, X: np.ndarray) -> np.ndarray:  # pragma: no cover
        raise NotImplementedError

    def _validate(self, X, *, reset: bool) -> np.ndarray:
        X = validate_data(
            self,
            X,
            reset=reset,
            dtype=FLOAT_DTYPES,
            ensure_all_finite=False,
            ensure_2d=True,
            ensure_min_features=1,
        )
        check_finite_spectra(X, type(self).__name__)
        minimum, why = self._min_wavelengths()
        check_min_wavelengths(X, minimum, type(self).__name__, why)
        return X

    def fit(self, X, y=None):
        """Validate the spectra and learn what the transformer needs.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_wavelengths)
            Training spectra, one per row.
        y : None
            Ignored; present for API consistency.

        Returns
        -------
        self : object
            The fitted transformer.
        """
        self._check_params()
        X = self._validate(X, reset=True)
        self._fit(X)
        return self

    def fit_transform(self, X, y=None, **fit_params):
        """Fit to the spectra, then transform them, validating them once.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_wavelengths)
            Training spectra, one per row.
        y : None
            Ignored; present for API consistency.
        **fit_params : dict
            Not used; accepted for API consistency.

        Returns
        -------
        X_new : ndarray of shape (n_samples, n_features_out)
            The transformed training spectra, as ``fit(X).transform(X)``.
        """
        # One validation pass instead of two: on small spectra (Tecator,
        # 215 x 100) validation costs as much as the transformation itself.
        self._check_params()
        X = self._validate(X, reset=True)
        return self._checked(self._fit_transform, X)

    def _fit_transform(self, X: np.ndarray) -> np.ndarray:
        """Learn from and transform validated spectra; one pass if a subclass can."""
        self._fit(X)
        return self._transform(X)

    def _checked(self, method, X: np.ndarray) -> np.ndarray:
        """``method(X)``, with an overflow to NaN or inf raised, not returned."""
        # Overflow warnings would only precede the clearer error below.
        with np.errstate(over="ignore", invalid="ignore"):
            out = method(X)
        return check_finite_output(out, type(self).__name__)

    def transform(self, X):
        """Apply the transformation to each spectrum.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_wavelengths)
            Spectra, one per row, with as many wavelengths as in ``fit``.

        Returns
        -------
        X_new : ndarray of shape (n_samples, n_features_out)
            Transformed spectra, float32 when ``X`` is float32, else float64.
            A new array: ``X`` is never modified.
        """
        check_is_fitted(self)
        X = self._validate(X, reset=False)
        return self._checked(self._transform, X)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        tags.input_tags.allow_nan = False
        return tags
