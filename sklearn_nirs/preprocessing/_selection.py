"""Select a range of wavelengths."""

from __future__ import annotations

import numpy as np
from sklearn.utils import check_array
from sklearn.utils.validation import check_is_fitted

from ._base import SpectralTransformer, check_real


def _numeric_names(names) -> np.ndarray | None:
    """Feature names as float wavelengths, or None if any is not a number."""
    try:
        values = np.array([float(name) for name in names], dtype=np.float64)
    except (TypeError, ValueError):
        return None
    return values if np.isfinite(values).all() else None


class WavelengthRange(SpectralTransformer):
    """Keep the wavelengths (columns) that lie in ``[start, stop]``.

    The wavelength of each column comes from, in order of precedence:

    1. the ``wavelengths`` parameter, when given;
    2. the column names seen in ``fit`` (``feature_names_in_``), when every
       one of them parses as a number, such as Tecator's ``"850.00"``;
    3. otherwise the column index ``0, 1, ..., n_wavelengths - 1``.

    A column is kept when ``start <= wavelength <= stop`` (both ends
    inclusive). The columns keep their order; they need not be sorted.

    Parameters
    ----------
    start : float, default=None
        Smallest wavelength kept; ``None`` means no lower bound.
    stop : float, default=None
        Largest wavelength kept; ``None`` means no upper bound.
    wavelengths : array-like of shape (n_wavelengths,), default=None
        Wavelength of each column of ``X``.

    Attributes
    ----------
    wavelengths_ : ndarray of shape (`n_features_in_`,)
        Wavelength of every input column (float64).
    support_ : ndarray of shape (`n_features_in_`,), dtype=bool
        Mask of the kept columns.
    n_features_in_ : int
        Number of wavelengths seen during ``fit``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of the wavelengths seen during ``fit``; only when ``X`` had
        string column names.

    See Also
    --------
    sklearn.feature_selection.SelectorMixin : scikit-learn's column selectors.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_nirs.preprocessing import WavelengthRange
    >>> X = np.arange(12.0).reshape(2, 6)
    >>> wavelengths = [900, 1000, 1100, 1200, 1300, 1400]
    >>> selector = WavelengthRange(1000, 1200, wavelengths=wavelengths).fit(X)
    >>> selector.transform(X)
    array([[1., 2., 3.],
           [7., 8., 9.]])
    >>> selector.get_support(indices=True)
    array([1, 2, 3])
    """

    def __init__(self, start=None, stop=None, wavelengths=None):
        self.start = start
        self.stop = stop
        self.wavelengths = wavelengths

    def _check_params(self) -> None:
        for name in ("start", "stop"):
            value = getattr(self, name)
            if value is not None:
                check_real(value, name)
        if self.start is not None and self.stop is not None and self.start > self.stop:
            raise ValueError(
                f"start ({self.start}) must not be greater than stop ({self.stop})."
            )

    def _column_wavelengths(self, n_features: int) -> np.ndarray:
        if self.wavelengths is not None:
            w = check_array(
                self.wavelengths,
                ensure_2d=False,
                dtype=np.float64,
                input_name="wavelengths",
            )
            if w.ndim != 1 or w.shape[0] != n_features:
                raise ValueError(
                    "wavelengths must be a 1-D array with one value per column "
                    f"of X ({n_features}); got shape {w.shape}."
                )
            return w
        names = getattr(self, "feature_names_in_", None)
        if names is not None:
            w = _numeric_names(names)
            if w is not None:
                return w
        return np.arange(n_features, dtype=np.float64)

    def _fit(self, X: np.ndarray) -> None:
        w = self._column_wavelengths(X.shape[1])
        support = np.ones(w.shape, dtype=bool)
        if self.start is not None:
            support &= w >= self.start
        if self.stop is not None:
            support &= w <= self.stop
        if not support.any():
            raise ValueError(
                f"WavelengthRange selects no column: no wavelength lies in "
                f"[{self.start}, {self.stop}]; the wavelengths span "
                f"[{w.min()}, {w.max()}]."
            )
        self.wavelengths_ = w
        self.support_ = support

    def _transform(self, X: np.ndarray) -> np.ndarray:
        return X[:, self.support_]  # boolean indexing copies: X stays the caller's

    def get_support(self, indices: bool = False) -> np.ndarray:
        """Mask or integer indices of the kept columns.

        Parameters
        ----------
        indices : bool, default=False
            Return the integer indices of the kept columns instead of a
            boolean mask.

        Returns
        -------
        support : ndarray
            Boolean mask of shape ``(`n_features_in_`,)``, or the indices of
            its True entries.
        """
        check_is_fitted(self)
        return np.flatnonzero(self.support_) if indices else self.support_.copy()

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        """Names of the kept columns.

        Parameters
        ----------
        input_features : array-like of str, default=None
            Input column names. ``None`` uses ``feature_names_in_`` when
            defined, else ``["x0", "x1", ...]``. When given, it must have
            ``n_features_in_`` names and equal ``feature_names_in_`` if that
            is defined.

        Returns
        -------
        feature_names_out : ndarray of str objects
            The names of the kept columns, in input order.
        """
        check_is_fitted(self)
        names_in = getattr(self, "feature_names_in_", None)
        if input_features is None:
            if names_in is not None:
                names = names_in
            else:
                names = np.array(
                    [f"x{i}" for i in range(self.n_features_in_)], dtype=object
                )
        else:
            names = np.asarray(input_features, dtype=object)
            # Same rules and wording as scikit-learn's own transformers.
            if names_in is not None and not np.array_equal(names_in, names):
                raise ValueError("input_features is not equal to feature_names_in_")
            if names.ndim != 1 or len(names) != self.n_features_in_:
                raise ValueError(
                    "input_features should have length equal to number of "
                    f"features ({self.n_features_in_}), got {len(names)}"
                )
        return np.asarray(names[self.support_], dtype=object)
