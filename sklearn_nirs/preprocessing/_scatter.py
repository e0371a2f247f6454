"""Scatter correction: SNV, robust SNV, MSC and EMSC.

Light scattering in diffuse reflectance multiplies and offsets each spectrum
(particle size, packing, path length). These transformers remove those
per-spectrum effects; see Rinnan, van den Berg and Engelsen (2009), TrAC
28(10):1201-1222, for an overview.
"""

from __future__ import annotations

import numpy as np
import scipy.linalg
from sklearn.utils import check_array

from ._base import (
    SpectralTransformer,
    check_finite_output,
    check_int,
    check_option,
)

# 1 / Phi^-1(3/4): makes the MAD a consistent estimate of a normal std.
_MAD_TO_STD = 1.4826


def _rows(mask: np.ndarray) -> str:
    """Format the indices of the True entries of ``mask`` for an error."""
    rows = np.flatnonzero(mask)
    shown = ", ".join(str(r) for r in rows[:10])
    more = f" and {rows.size - 10} more" if rows.size > 10 else ""
    return f"{rows.size} spectrum/spectra, at row(s) {shown}{more}"


def _safe_scale(scale: np.ndarray) -> np.ndarray:
    """Replace zero scales by 1, as scikit-learn's ``StandardScaler`` does."""
    return np.where(scale == 0, 1, scale)


class StandardNormalVariate(SpectralTransformer):
    r"""Standard normal variate: centre and scale each spectrum on its own.

    Each spectrum :math:`x` (a row) becomes

    .. math:: x_{snv} = \frac{x - \bar{x}}{s_x},

    with :math:`\bar{x}` its mean and :math:`s_x` its standard deviation over
    the wavelengths (Barnes, Dhanoa and Lister, 1989). Nothing is learned in
    ``fit``.

    A constant spectrum (all values equal, so :math:`s_x = 0`) is returned
    centred, i.e. as zeros, instead of NaN, the way
    :class:`sklearn.preprocessing.StandardScaler` treats a zero variance.

    Parameters
    ----------
    ddof : int, default=1
        Delta degrees of freedom of the standard deviation: the divisor is
        ``n_wavelengths - ddof``. Barnes et al. use the sample standard
        deviation (``ddof=1``). At least ``ddof + 1`` wavelengths are needed.

    Attributes
    ----------
    n_features_in_ : int
        Number of wavelengths seen during ``fit``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of the wavelengths seen during ``fit``; only when ``X`` had
        string column names.

    See Also
    --------
    RobustNormalVariate : The same with the median and a robust spread.
    MultiplicativeScatterCorrection : Scatter correction against a reference.

    References
    ----------
    R. J. Barnes, M. S. Dhanoa and S. J. Lister (1989), "Standard normal
    variate transformation and de-trending of near-infrared diffuse
    reflectance spectra", Applied Spectroscopy 43(5):772-777.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_nirs.preprocessing import StandardNormalVariate
    >>> X = np.array([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [5.0, 5.0, 5.0]])
    >>> StandardNormalVariate().fit_transform(X)
    array([[-1.,  0.,  1.],
           [-1.,  0.,  1.],
           [ 0.,  0.,  0.]])
    """

    def __init__(self, ddof: int = 1):
        self.ddof = ddof

    def _check_params(self) -> None:
        check_int(self.ddof, "ddof", min_val=0)

    def _min_wavelengths(self) -> tuple[int, str]:
        return self.ddof + 1, f"a standard deviation with ddof={self.ddof}"

    def _transform(self, X: np.ndarray) -> np.ndarray:
        centred = X - X.mean(axis=1, keepdims=True)
        # Sum of squares without the temporary that np.std would allocate.
        var = np.einsum("ij,ij->i", centred, centred) / (X.shape[1] - self.ddof)
        std = np.sqrt(var)
        # Squares overflow to inf for huge values (|x| > ~1e154 in float64,
        # ~1e19 in float32) and underflow to 0 for tiny ones, which would
        # silently give zeros or unscaled spectra: those rows are redone
        # scaled by their largest deviation (SNV is scale invariant).
        tiny = np.finfo(X.dtype).tiny / np.finfo(X.dtype).eps
        unsafe = ~((var > tiny) & (var < np.inf))
        if unsafe.any():
            rows = np.flatnonzero(unsafe)
            part = centred[rows]
            peak = np.maximum(part.max(axis=1), -part.min(axis=1))
            part /= _safe_scale(peak)[:, None]
            var_part = np.einsum("ij,ij->i", part, part) / (X.shape[1] - self.ddof)
            centred[rows] = part
            std[rows] = np.sqrt(var_part)
        # A constant row has std 0 in exact arithmetic but may get rounding
        # noise from the mean; the range is exact, so test constancy on it.
        constant = X.max(axis=1) == X.min(axis=1)
        if constant.any():
            centred[constant] = 0
            std[constant] = 1
        centred /= _safe_scale(std)[:, None]
        return centred


class RobustNormalVariate(SpectralTransformer):
    r"""Robust standard normal variate: median and a robust spread per spectrum.

    Each spectrum :math:`x` becomes

    .. math:: x_{rnv} = \frac{x - \operatorname{median}(x)}{s_x},

    where the spread :math:`s_x` is, over the wavelengths of that spectrum,

    - ``method="iqr"``: the interquartile range :math:`Q_3 - Q_1` (quartiles
      by linear interpolation, NumPy's default);
    - ``method="mad"``: :math:`1.4826 \cdot \operatorname{median}(|x -
      \operatorname{median}(x)|)`, the scaled median absolute deviation,
      which estimates the standard deviation of normal data.

    Guo, Wu and Massart (1999) proposed replacing the mean and standard
    deviation of SNV by robust estimates, so that strong absorption bands do
    not dominate the scaling; this transformer uses the median and the IQR or
    MAD. Nothing is learned in ``fit``.

    When the spread is zero (a constant spectrum, or more than half of the
    values equal), the spectrum is only centred (divided by 1), the way
    :class:`sklearn.preprocessing.StandardScaler` treats a zero variance; a
    constant spectrum becomes zeros, never NaN.

    Parameters
    ----------
    method : {"iqr", "mad"}, default="iqr"
        Robust spread: interquartile range or scaled median absolute
        deviation.

    Attributes
    ----------
    n_features_in_ : int
        Number of wavelengths seen during ``fit``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of the wavelengths seen during ``fit``; only when ``X`` had
        string column names.

    See Also
    --------
    StandardNormalVariate : The classical mean / standard deviation version.

    References
    ----------
    Q. Guo, W. Wu and D. L. Massart (1999), "The robust normal variate
    transform for pattern recognition with near-infrared data", Analytica
    Chimica Acta 382(1-2):87-103.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_nirs.preprocessing import RobustNormalVariate
    >>> X = np.array([[1.0, 2.0, 3.0, 4.0, 50.0]])
    >>> RobustNormalVariate().fit_transform(X)
    array([[-1. , -0.5,  0. ,  0.5, 23.5]])
    >>> RobustNormalVariate(method="mad").fit_transform(X).round(3)
    array([[-1.349, -0.674,  0.   ,  0.674, 31.701]])
    """

    def __init__(self, method: str = "iqr"):
        self.method = method

    def _check_params(self) -> None:
        check_option(self.method, "method", ("iqr", "mad"))

    def _min_wavelengths(self) -> tuple[int, str]:
        return 2, "a spread needs two values"

    def _transform(self, X: np.ndarray) -> np.ndarray:
        if self.method == "iqr":
            # One partition gives the three quartiles at once.
            q1, median, q3 = np.percentile(X, [25, 50, 75], axis=1)
            scale = q3 - q1
            centred = X - median.astype(X.dtype, copy=False)[:, None]
        else:
            median = np.median(X, axis=1)
            centred = X - median.astype(X.dtype, copy=False)[:, None]
            scale = _MAD_TO_STD * np.median(np.abs(centred), axis=1)
        centred /= _safe_scale(scale).astype(X.dtype, copy=False)[:, None]
        return centred


def _check_reference(reference, n_wavelengths: int, name: str):
    """Validate the ``reference`` parameter; return an array or the option."""
    if isinstance(reference, str):
        check_option(reference, "reference", ("mean", "median"))
        return reference
    ref = check_array(
        reference,
        ensure_2d=False,
        dtype=np.float64,
        input_name="reference",
    )
    if ref.ndim != 1:
        raise ValueError(
            f"{name}: reference must be 'mean', 'median' or a 1-D array of "
            f"{n_wavelengths} values; got an array of shape {ref.shape}."
        )
    if ref.shape[0] != n_wavelengths:
        raise ValueError(
            f"{name}: reference has {ref.shape[0]} values but X has "
            f"{n_wavelengths} wavelengths; they must be equal."
        )
    return ref


def _learn_reference(reference, X: np.ndarray, name: str) -> np.ndarray:
    """The reference spectrum, as float64, from the option or the array."""
    ref = _check_reference(reference, X.shape[1], name)
    if isinstance(ref, str):
        with np.errstate(over="ignore", invalid="ignore"):
            ref = (np.mean if ref == "mean" else np.median)(X, axis=0)
        if not np.isfinite(ref).all():
            # The sum of huge values overflowed: the sum of the values divided
            # first by the count cannot.
            ref = np.sum(X / X.shape[0], axis=0, dtype=np.float64)
    return np.array(ref, dtype=np.float64)  # own copy, never the caller's


def _norm(v: np.ndarray) -> float:
    """Euclidean norm of a vector, as ``np.linalg.norm`` unless that overflows.

    ``np.linalg.norm`` squares the values, so it returns inf for huge vectors
    (|v| > ~1e154 in float64) and 0 for tiny ones; BLAS ``nrm2`` (through
    :func:`scipy.linalg.norm`) scales as it goes. The plain sum of squares is
    kept when it is safe, so ordinary results do not change by a bit.
    """
    with np.errstate(over="ignore", under="ignore"):
        sq = float(v @ v)
    info = np.finfo(np.float64)
    if info.tiny / info.eps < sq < np.inf:
        return float(np.sqrt(sq))
    return float(scipy.linalg.norm(np.asarray(v, dtype=np.float64)))


def _row_norms(X: np.ndarray) -> np.ndarray:
    """Euclidean norm of each row, without overflow or underflow to zero.

    The sum of squares is exact enough unless it overflows (huge values) or
    underflows (tiny ones); only those rows are recomputed scaled by their
    largest magnitude.
    """
    sq = np.einsum("ij,ij->i", X, X)
    info = np.finfo(X.dtype)
    unsafe = ~((sq > info.tiny / info.eps) & (sq < np.inf))
    norms = np.sqrt(sq)
    if unsafe.any():
        rows = np.flatnonzero(unsafe)
        part = X[rows]
        peak = _safe_scale(np.abs(part).max(axis=1))
        part = part / peak[:, None]
        norms[rows] = peak * np.sqrt(np.einsum("ij,ij->i", part, part))
    return norms


def _zero_slopes(
    b: np.ndarray, X: np.ndarray, b_row_norm: float, name: str
) -> np.ndarray:
    """Find constant spectra; reject others whose slope on the reference is 0.

    The correction divides by ``b``. ``b`` is a linear function of the
    spectrum, ``b = p @ x``, whose rounding error is bounded by about
    ``n * eps * ||p|| * ||x||``; below that bound ``b`` is zero for all we
    know and ``(x - a) / b`` would be infinite or meaningless. A constant
    spectrum (``b = 0`` exactly, ``x - a = 0``) has no shape to correct: it is
    returned centred, as zeros, like ``StandardNormalVariate`` does; the
    mask of those rows is returned. Any other spectrum with a zero slope is
    uncorrelated with the reference and raises a ValueError naming the rows.
    """
    # An overflowed slope is not a zero slope: say so, naming the rows.
    check_finite_output(b[:, None], name)
    eps = np.finfo(X.dtype).eps
    x_norm = _row_norms(X)
    zero = ~(np.abs(b) > X.shape[1] * eps * b_row_norm * x_norm)
    if not zero.any():
        return zero
    constant = zero.copy()
    rows = np.flatnonzero(zero)
    constant[rows] = X[rows].max(axis=1) == X[rows].min(axis=1)
    bad = zero & ~constant
    if bad.any():
        raise ValueError(
            f"{name}: the slope b on the reference spectrum is zero (within "
            f"rounding) for {_rows(bad)}; x_corr = (x - a) / b is undefined. "
            "These spectra are uncorrelated with the reference and carry no "
            "scatter information: drop or fix them."
        )
    return constant


class MultiplicativeScatterCorrection(SpectralTransformer):
    r"""Multiplicative scatter correction against a reference spectrum.

    Each spectrum :math:`x` is regressed on the reference spectrum :math:`r`
    by ordinary least squares over the wavelengths,

    .. math:: x = a + b\,r + e,

    and corrected as

    .. math:: x_{msc} = \frac{x - a}{b}

    (Geladi, MacDougall and Martens, 1985). In closed form
    :math:`b = \sum_j (x_j - \bar x)(r_j - \bar r) / \sum_j (r_j - \bar r)^2`
    and :math:`a = \bar x - b \bar r`, computed for all spectra at once. The
    reference is learned in ``fit``.

    Degenerate cases never produce inf or NaN. A constant reference spectrum
    raises a ``ValueError`` in ``fit`` (nothing to regress on). At
    ``transform``, a constant spectrum (:math:`b = 0` and :math:`x - a = 0`:
    no shape to correct) is returned centred, i.e. as zeros, like
    :class:`StandardNormalVariate` does; any other spectrum whose slope
    :math:`b` is zero within rounding (uncorrelated with the reference)
    raises a ``ValueError`` naming the rows.

    Parameters
    ----------
    reference : {"mean", "median"} or array-like, default="mean"
        Reference spectrum: the mean or median of the training spectra, or a
        given spectrum with as many values as ``X`` has wavelengths.

    Attributes
    ----------
    reference_ : ndarray of shape (`n_features_in_`,)
        The reference spectrum (float64).
    n_features_in_ : int
        Number of wavelengths seen during ``fit``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of the wavelengths seen during ``fit``; only when ``X`` had
        string column names.

    See Also
    --------
    ExtendedMultiplicativeScatterCorrection : MSC with polynomial baseline
        terms.
    StandardNormalVariate : Reference-free scatter correction.

    References
    ----------
    P. Geladi, D. MacDougall and H. Martens (1985), "Linearization and
    scatter-correction for near-infrared reflectance spectra of meat",
    Applied Spectroscopy 39(3):491-500.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_nirs.preprocessing import MultiplicativeScatterCorrection
    >>> reference = np.array([0.2, 0.5, 0.9, 0.4])
    >>> X = np.vstack([0.1 + 2.0 * reference, -0.3 + 0.5 * reference])
    >>> msc = MultiplicativeScatterCorrection(reference=reference).fit(X)
    >>> msc.transform(X)
    array([[0.2, 0.5, 0.9, 0.4],
           [0.2, 0.5, 0.9, 0.4]])
    """

    def __init__(self, reference="mean"):
        self.reference = reference

    def _check_params(self) -> None:
        if isinstance(self.reference, str):
            check_option(self.reference, "reference", ("mean", "median"))

    def _min_wavelengths(self) -> tuple[int, str]:
        return 2, "a straight-line fit on the reference needs two points"

    def _fit(self, X: np.ndarray) -> None:
        name = type(self).__name__
        ref = _learn_reference(self.reference, X, name)
        # Relative test: a reference's scale only rescales b, its shape counts.
        tolerance = X.shape[1] * np.finfo(np.float64).eps * _norm(ref)
        with np.errstate(over="ignore", invalid="ignore"):
            centred = ref - ref.mean()
        check_finite_output(centred[np.newaxis], f"{name} (reference spectrum)")
        if not _norm(centred) > tolerance:
            raise ValueError(
                f"{name}: the reference spectrum is constant, so spectra cannot "
                "be regressed on it; use varying training spectra or pass a "
                "reference array that varies across wavelengths."
            )
        self.reference_ = ref

    def _transform(self, X: np.ndarray) -> np.ndarray:
        ref = self.reference_.astype(X.dtype, copy=False)
        ref_mean = ref.mean()
        ref_centred = ref - ref_mean
        # The reference is scaled by a power of two, which is exact: the sum
        # of squares then neither overflows (huge reference) nor underflows
        # (tiny one), and ordinary results do not change by a bit. Here b is
        # the slope on the scaled reference, b_true / scale.
        scale = np.ldexp(X.dtype.type(1), -np.frexp(np.abs(ref_centred).max())[1])
        ref_centred *= scale
        ss = ref_centred @ ref_centred
        # X @ centred reference equals the centred cross-product, since the
        # centred reference sums to zero: one pass over X for all slopes.
        b = (X @ ref_centred) / ss
        constant = _zero_slopes(b, X, 1.0 / np.sqrt(ss), type(self).__name__)
        a = X.mean(axis=1) - b * (ref_mean * scale)
        out = X - a[:, None]
        if constant.any():
            b[constant] = 1
            out[constant] = 0
        out /= (b * scale)[:, None]
        return out


class ExtendedMultiplicativeScatterCorrection(SpectralTransformer):
    r"""Extended multiplicative scatter correction (EMSC) with a polynomial baseline.

    Each spectrum :math:`x` is modelled by least squares as

    .. math:: x = a + b\,r + \sum_{k=1}^{K} d_k\, w^k + e,

    with :math:`r` the reference spectrum, :math:`K` the ``degree`` and
    :math:`w` the wavelengths (or the column index) scaled linearly to
    :math:`[-1, 1]`, and corrected as

    .. math:: x_{emsc} = \frac{x - a - \sum_{k=1}^{K} d_k\, w^k}{b}

    (Martens and Stark, 1991). All spectra share one design matrix
    :math:`M = [1, r, w, \dots, w^K]`, so the least-squares coefficients of
    every spectrum come from one product with the pseudo-inverse of
    :math:`M`, computed once in ``fit`` by a singular value decomposition.
    ``degree=0`` is plain MSC.

    Degenerate cases never produce inf or NaN. In ``fit``, a reference that
    is constant or itself a polynomial of degree at most ``degree`` in
    :math:`w` raises a ``ValueError`` (then :math:`a, b, d_k` are not
    identifiable). At ``transform``, a constant spectrum is returned as zeros
    and any other spectrum whose slope :math:`b` is zero within rounding
    raises a ``ValueError`` naming the rows, as in
    :class:`MultiplicativeScatterCorrection`.

    Parameters
    ----------
    degree : int, default=2
        Degree :math:`K` of the polynomial baseline in wavelength. At least
        ``degree + 2`` wavelengths are needed (one per coefficient).
    reference : {"mean", "median"} or array-like, default="mean"
        Reference spectrum: the mean or median of the training spectra, or a
        given spectrum with as many values as ``X`` has wavelengths.
    wavelengths : array-like of shape (n_wavelengths,), default=None
        Wavelength of each column, for the baseline polynomial; ``None`` uses
        the column index (evenly spaced wavelengths).

    Attributes
    ----------
    reference_ : ndarray of shape (`n_features_in_`,)
        The reference spectrum (float64).
    n_features_in_ : int
        Number of wavelengths seen during ``fit``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of the wavelengths seen during ``fit``; only when ``X`` had
        string column names.

    See Also
    --------
    MultiplicativeScatterCorrection : The same without baseline terms.

    References
    ----------
    H. Martens and E. Stark (1991), "Extended multiplicative signal
    correction and spectral interference subtraction: new preprocessing
    methods for near infrared spectroscopy", Journal of Pharmaceutical and
    Biomedical Analysis 9(8):625-635.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_nirs.preprocessing import ExtendedMultiplicativeScatterCorrection
    >>> w = np.linspace(-1, 1, 6)
    >>> reference = np.array([0.2, 0.5, 0.9, 0.4, 0.3, 0.6])
    >>> X = np.vstack(
    ...     [
    ...         0.1 + 2.0 * reference + 0.3 * w - 0.2 * w**2,
    ...         0.4 + 0.5 * reference - 0.1 * w,
    ...     ]
    ... )
    >>> emsc = ExtendedMultiplicativeScatterCorrection(reference=reference)
    >>> emsc.fit_transform(X).round(6)
    array([[0.2, 0.5, 0.9, 0.4, 0.3, 0.6],
           [0.2, 0.5, 0.9, 0.4, 0.3, 0.6]])
    """

    def __init__(self, degree: int = 2, reference="mean", wavelengths=None):
        self.degree = degree
        self.reference = reference
        self.wavelengths = wavelengths

    def _check_params(self) -> None:
        check_int(self.degree, "degree", min_val=0)
        if isinstance(self.reference, str):
            check_option(self.reference, "reference", ("mean", "median"))

    def _min_wavelengths(self) -> tuple[int, str]:
        return self.degree + 2, f"one per coefficient with degree={self.degree}"

    def _scaled_wavelengths(self, n_wavelengths: int) -> np.ndarray:
        name = type(self).__name__
        if self.wavelengths is None:
            w = np.arange(n_wavelengths, dtype=np.float64)
        else:
            w = check_array(
                self.wavelengths,
                ensure_2d=False,
                dtype=np.float64,
                input_name="wavelengths",
            )
            if w.ndim != 1 or w.shape[0] != n_wavelengths:
                raise ValueError(
                    f"{name}: wavelengths must be a 1-D array with one value "
                    f"per column of X ({n_wavelengths}); got shape {w.shape}."
                )
        lo, hi = w.min(), w.max()
        if hi == lo:
            return np.zeros_like(w)  # one wavelength; degree >= 1 is refused
        return 2.0 * (w - lo) / (hi - lo) - 1.0

    def _fit(self, X: np.ndarray) -> None:
        name = type(self).__name__
        ref = _learn_reference(self.reference, X, name)
        w = self._scaled_wavelengths(X.shape[1])
        design = np.column_stack(
            [np.ones_like(ref), ref, *(w**k for k in range(1, self.degree + 1))]
        )
        # Columns scaled to unit norm: the rank test then ignores the scale of
        # the reference (scaling r only rescales b), only its shape counts.
        col_norms = np.array([_norm(column) for column in design.T])
        col_norms[col_norms == 0] = 1
        u, s, vt = np.linalg.svd(design / col_norms, full_matrices=False)
        # numpy.linalg.matrix_rank's default tolerance.
        if not s[-1] > s[0] * max(design.shape) * np.finfo(np.float64).eps:
            raise ValueError(
                f"{name}: the reference spectrum is constant or a polynomial "
                f"of degree <= {self.degree} in wavelength, so scatter and "
                "baseline cannot be told apart; use a reference with "
                "absorption features, a lower degree, or check wavelengths."
            )
        self.reference_ = ref
        self._design = design
        # Pseudo-inverse of the unscaled design: (n_coef, n_wavelengths).
        self._pinv = ((vt.T / s) @ u.T) / col_norms[:, None]

    def _transform(self, X: np.ndarray) -> np.ndarray:
        pinv = self._pinv.astype(X.dtype, copy=False)
        coef = X @ pinv.T  # least squares for every spectrum: (n_samples, n_coef)
        b = coef[:, 1]
        name = type(self).__name__
        constant = _zero_slopes(b, X, _norm(self._pinv[1]), name)
        # Baseline a + sum d_k w^k: every column of the design except r.
        keep = np.r_[0, 2 : self._design.shape[1]]
        out = coef[:, keep] @ self._design[:, keep].T.astype(X.dtype, copy=False)
        np.subtract(X, out, out=out)  # x - baseline without another temporary
        if constant.any():
            b[constant] = 1
            out[constant] = 0
        out /= b[:, None]
        return out
