"""Derivative filters: Savitzky-Golay and Norris-Williams (gap-segment).

Both are linear filters along the wavelength axis, so each is applied to the
whole ``(n_samples, n_wavelengths)`` array in one call to a compiled
convolution, never spectrum by spectrum.
"""

from __future__ import annotations

import numpy as np
from scipy.ndimage import correlate1d
from scipy.signal import savgol_filter

from ._base import SpectralTransformer, check_int, check_option, check_real

_SAVGOL_MODES = ("mirror", "constant", "nearest", "wrap", "interp")
_NDIMAGE_MODES = ("reflect", "constant", "nearest", "mirror", "wrap")


class SavitzkyGolay(SpectralTransformer):
    r"""Savitzky-Golay smoothing or derivative of each spectrum.

    Within a window of ``window_length`` (odd, :math:`2m + 1`) consecutive
    wavelengths centred on wavelength :math:`i`, a polynomial of degree
    ``polyorder`` is fitted by least squares,

    .. math::

        \min_{a} \sum_{k=-m}^{m}
        \Big(x_{i+k} - \sum_{j=0}^{\text{polyorder}} a_j k^j\Big)^2,

    and the output is its ``deriv``-th derivative at the centre,
    :math:`\hat{x}^{(d)}_i = d!\, a_d / \Delta^d` with :math:`\Delta` =
    ``delta``. Because the fit is linear in :math:`x`, this is a fixed
    convolution (Savitzky and Golay, 1964, with the corrections of Steinier,
    Termonia and Deltour, 1972). The result is exactly
    ``scipy.signal.savgol_filter(X, window_length, polyorder, deriv, delta,
    axis=1, mode=mode)``.

    Parameters
    ----------
    window_length : int, default=11
        Number of wavelengths in the moving window; odd and positive. An even
        window has no centre wavelength: the fitted value would belong half a
        wavelength step away, shifting every band.
    polyorder : int, default=2
        Degree of the local polynomial; less than ``window_length``.
    deriv : int, default=0
        Order of the derivative (0 smooths). At most ``polyorder``: a
        higher derivative of a polynomial of degree ``polyorder`` is
        identically zero, so the output would carry no information.
    delta : float, default=1.0
        Spacing between wavelengths, used to scale derivatives to units of
        absorbance per wavelength unit (per column when 1.0).
    mode : {"interp", "mirror", "constant", "nearest", "wrap"}, default="interp"
        Edge handling, as in :func:`scipy.signal.savgol_filter`. ``"interp"``
        fits one polynomial to the first (last) ``window_length`` wavelengths
        and evaluates it at the edge positions, so it needs at least
        ``window_length`` wavelengths; the others extend the spectrum as in
        :func:`scipy.ndimage.convolve1d` (``"constant"`` pads with zeros).

    Attributes
    ----------
    n_features_in_ : int
        Number of wavelengths seen in ``fit``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of the wavelengths seen in ``fit``, when ``X`` has string
        column names.

    See Also
    --------
    NorrisWilliams : Gap-segment derivative.
    GaussianSmoothing : Gaussian smoothing or derivative.

    References
    ----------
    .. [1] A. Savitzky and M. J. E. Golay (1964). "Smoothing and
       differentiation of data by simplified least squares procedures".
       Analytical Chemistry 36(8):1627-1639.
    .. [2] J. Steinier, Y. Termonia and J. Deltour (1972). "Comments on
       smoothing and differentiation of data by simplified least square
       procedure". Analytical Chemistry 44(11):1906-1909.
    .. [3] Å. Rinnan, F. van den Berg and S. B. Engelsen (2009). "Review of the
       most common pre-processing techniques for near-infrared spectra".
       TrAC Trends in Analytical Chemistry 28(10):1201-1222.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_nirs.preprocessing import SavitzkyGolay
    >>> wavelengths = np.arange(20.0)
    >>> X = np.vstack([2.0 * wavelengths, wavelengths**2])
    >>> sg = SavitzkyGolay(window_length=5, polyorder=2, deriv=1)
    >>> X_d1 = sg.fit_transform(X)
    >>> np.round(X_d1[:, 8:11], 6)  # slopes 2 and 2 * wavelength
    array([[ 2.,  2.,  2.],
           [16., 18., 20.]])
    """

    def __init__(
        self,
        window_length: int = 11,
        polyorder: int = 2,
        deriv: int = 0,
        delta: float = 1.0,
        mode: str = "interp",
    ):
        self.window_length = window_length
        self.polyorder = polyorder
        self.deriv = deriv
        self.delta = delta
        self.mode = mode

    def _check_params(self) -> None:
        window_length = check_int(self.window_length, "window_length", min_val=1)
        if window_length % 2 == 0:
            raise ValueError(
                f"window_length must be odd so that the window is centred on a "
                f"wavelength; got {window_length}."
            )
        polyorder = check_int(self.polyorder, "polyorder", min_val=0)
        if polyorder >= window_length:
            raise ValueError(
                f"polyorder must be less than window_length (a degree-"
                f"{polyorder} polynomial needs at least {polyorder + 1} points "
                f"to be fitted by least squares, and would interpolate, not "
                f"smooth, with exactly that many); got polyorder={polyorder}, "
                f"window_length={window_length}."
            )
        deriv = check_int(self.deriv, "deriv", min_val=0)
        if deriv > polyorder:
            raise ValueError(
                f"deriv must be at most polyorder: the derivative of order "
                f"{deriv} of a polynomial of degree {polyorder} is identically "
                f"zero, so every output value would be 0; got deriv={deriv}, "
                f"polyorder={polyorder}."
            )
        check_real(self.delta, "delta", min_val=0, include_boundaries="neither")
        check_option(self.mode, "mode", _SAVGOL_MODES)

    def _min_wavelengths(self) -> tuple[int, str]:
        if self.mode == "interp":
            return (
                self.window_length,
                f'mode="interp" fits the edges over a full window of '
                f"window_length={self.window_length}",
            )
        return 1, "one wavelength at least"

    def _transform(self, X: np.ndarray) -> np.ndarray:
        Xt = savgol_filter(
            X,
            self.window_length,
            self.polyorder,
            deriv=self.deriv,
            delta=float(self.delta),
            axis=1,
            mode=self.mode,
        )
        return Xt.astype(X.dtype, copy=False)


def _gap_segment_filter(segment: int, gap: int, deriv: int) -> np.ndarray:
    """Correlation weights of the Norris-Williams derivative (Hopkins 2001).

    ``deriv + 1`` segments of ``segment`` ones, separated by ``gap`` zeros,
    weighted by the finite-difference coefficients (-1, 1) or (1, -2, 1), and
    scaled so that the filter returns the exact derivative (per column) of a
    polynomial of degree ``deriv``: the segment means are differenced and
    divided by ``spacing**deriv``, where ``spacing = segment + gap`` is the
    distance between the centres of neighbouring segments.
    """
    coefficients = {1: (-1.0, 1.0), 2: (1.0, -2.0, 1.0)}[deriv]
    spacing = segment + gap
    weights = np.zeros(deriv * spacing + segment)
    for k, c in enumerate(coefficients):
        weights[k * spacing : k * spacing + segment] = c
    return weights / (segment * spacing**deriv)


class NorrisWilliams(SpectralTransformer):
    r"""Norris-Williams gap-segment derivative of each spectrum.

    The spectrum is first averaged over segments of ``segment`` consecutive
    wavelengths (a moving average, :math:`\bar{x}_i`), then differenced
    between segments whose centres lie :math:`s = \text{segment} +
    \text{gap}` wavelengths apart (``gap`` wavelengths separate neighbouring
    segments):

    .. math::

        x'_i = \frac{\bar{x}_{i + s/2} - \bar{x}_{i - s/2}}{s\,\Delta},
        \qquad
        x''_i = \frac{\bar{x}_{i + s} - 2\bar{x}_i + \bar{x}_{i - s}}
        {(s\,\Delta)^2}.

    This is the filter of Hopkins (2001), ``[-1]*segment + [0]*gap +
    [1]*segment`` (and ``[1, 0, -2, 0, 1]`` in segments for the second
    derivative), scaled so that the output is the derivative per column
    (per ``delta``): exact for a straight line (first derivative) or a
    parabola (second). It is applied to all spectra at once as one
    correlation (:func:`scipy.ndimage.correlate1d`); the output has the
    width of the input, the first and last positions reaching past the edge
    being computed on the spectrum extended according to ``mode``.

    Parameters
    ----------
    segment : int, default=5
        Number of wavelengths averaged in each segment; odd, so that a
        segment is centred on a wavelength.
    gap : int, default=5
        Number of wavelengths between neighbouring segments; odd, so that
        the first-derivative filter is centred on a wavelength.
    deriv : {1, 2}, default=1
        Order of the derivative.
    delta : float, default=1.0
        Spacing between wavelengths; derivatives are divided by
        ``delta**deriv``.
    mode : {"nearest", "reflect", "mirror", "constant", "wrap"}, default="nearest"
        How the spectrum is extended past its ends, as in
        :func:`scipy.ndimage.correlate1d`. ``"nearest"`` repeats the end
        value, so the derivative fades towards zero at the edges instead of
        jumping; ``"constant"`` pads with zeros.

    Attributes
    ----------
    n_features_in_ : int
        Number of wavelengths seen in ``fit``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of the wavelengths seen in ``fit``, when ``X`` has string
        column names.

    See Also
    --------
    SavitzkyGolay : Least-squares polynomial derivative.

    Notes
    -----
    The filter spans ``deriv * (segment + gap) + segment`` wavelengths, so
    the first and last ``(span - 1) // 2`` outputs of each spectrum depend on
    ``mode``; a spectrum narrower than the filter is all edge. Two
    wavelengths are the minimum.

    References
    ----------
    .. [1] K. H. Norris and P. C. Williams (1984). "Optimization of
       mathematical treatments of raw near-infrared signal in the measurement
       of protein in hard red spring wheat. I. Influence of particle size".
       Cereal Chemistry 61(2):158-165.
    .. [2] D. W. Hopkins (2001). "What is a Norris derivative?". NIR news
       12(3):3-5.
    .. [3] Å. Rinnan, F. van den Berg and S. B. Engelsen (2009). "Review of the
       most common pre-processing techniques for near-infrared spectra".
       TrAC Trends in Analytical Chemistry 28(10):1201-1222.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_nirs.preprocessing import NorrisWilliams
    >>> wavelengths = np.arange(30.0)
    >>> X = np.vstack([3.0 * wavelengths, wavelengths**2])
    >>> nw = NorrisWilliams(segment=3, gap=3, deriv=1)
    >>> X_d1 = nw.fit_transform(X)
    >>> np.round(X_d1[:, 14:17], 6)  # slopes 3 and 2 * wavelength
    array([[ 3.,  3.,  3.],
           [28., 30., 32.]])
    """

    def __init__(
        self,
        segment: int = 5,
        gap: int = 5,
        deriv: int = 1,
        delta: float = 1.0,
        mode: str = "nearest",
    ):
        self.segment = segment
        self.gap = gap
        self.deriv = deriv
        self.delta = delta
        self.mode = mode

    def _check_params(self) -> None:
        segment = check_int(self.segment, "segment", min_val=1)
        gap = check_int(self.gap, "gap", min_val=1)
        for name, value in (("segment", segment), ("gap", gap)):
            if value % 2 == 0:
                raise ValueError(
                    f"{name} must be odd so that the gap-segment filter is "
                    f"centred on a wavelength; got {name}={value}."
                )
        check_int(self.deriv, "deriv", min_val=1, max_val=2)
        check_real(self.delta, "delta", min_val=0, include_boundaries="neither")
        check_option(self.mode, "mode", _NDIMAGE_MODES)

    def _min_wavelengths(self) -> tuple[int, str]:
        return 2, "a derivative compares at least two wavelengths"

    def _transform(self, X: np.ndarray) -> np.ndarray:
        weights = _gap_segment_filter(self.segment, self.gap, self.deriv)
        weights /= float(self.delta) ** self.deriv
        # Correlation (not convolution) keeps the weights in wavelength order,
        # so a rising spectrum has a positive first derivative.
        return correlate1d(X, weights.astype(X.dtype), axis=1, mode=self.mode)
