"""Smoothing filters applied along the wavelength axis."""

from __future__ import annotations

import numpy as np
from scipy.ndimage import gaussian_filter1d

from ._base import SpectralTransformer, check_int, check_option, check_real

_NDIMAGE_MODES = ("reflect", "constant", "nearest", "mirror", "wrap")


class GaussianSmoothing(SpectralTransformer):
    r"""Gaussian smoothing (or Gaussian derivative) of each spectrum.

    Each spectrum is convolved with a sampled, normalised Gaussian kernel of
    standard deviation :math:`\sigma` (in wavelength steps),

    .. math::

        \hat{x}_i = \sum_{k=-r}^{r} g_k\, x_{i-k}, \qquad
        g_k = \frac{e^{-k^2 / 2\sigma^2}}{\sum_{j=-r}^{r} e^{-j^2/2\sigma^2}},
        \qquad r = \lfloor \text{truncate}\cdot\sigma + 0.5 \rfloor,

    or, for ``order > 0``, with the ``order``-th derivative of that Gaussian
    (a smoothed derivative of the spectrum, per column). All spectra are
    filtered at once by :func:`scipy.ndimage.gaussian_filter1d` along axis 1.
    Gaussian smoothing is one of the standard NIR noise filters reviewed by
    Rinnan et al. (2009).

    Parameters
    ----------
    sigma : float, default=2.0
        Standard deviation of the Gaussian, in wavelength steps (columns).
    order : int, default=0
        0 smooths; 1, 2, ... convolve with that derivative of the Gaussian.
    mode : {"nearest", "reflect", "mirror", "constant", "wrap"}, default="nearest"
        How each spectrum is extended past its ends, as in
        :func:`scipy.ndimage.gaussian_filter1d`.
    truncate : float, default=4.0
        The kernel is cut at this many standard deviations.

    Attributes
    ----------
    n_features_in_ : int
        Number of wavelengths seen in ``fit``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of the wavelengths seen in ``fit``, when ``X`` has string
        column names.

    See Also
    --------
    SavitzkyGolay : Least-squares polynomial smoothing or derivative.

    References
    ----------
    .. [1] Å. Rinnan, F. van den Berg and S. B. Engelsen (2009). "Review of the
       most common pre-processing techniques for near-infrared spectra".
       TrAC Trends in Analytical Chemistry 28(10):1201-1222.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_nirs.preprocessing import GaussianSmoothing
    >>> X = np.zeros((1, 9))
    >>> X[0, 4] = 1.0  # a spike spreads into the (normalised) kernel
    >>> X_smooth = GaussianSmoothing(sigma=1.0).fit_transform(X)
    >>> round(float(X_smooth.sum()), 6)
    1.0
    >>> np.round(X_smooth[0, 3:6], 3)
    array([0.242, 0.399, 0.242])
    """

    def __init__(
        self,
        sigma: float = 2.0,
        order: int = 0,
        mode: str = "nearest",
        truncate: float = 4.0,
    ):
        self.sigma = sigma
        self.order = order
        self.mode = mode
        self.truncate = truncate

    def _check_params(self) -> None:
        check_real(self.sigma, "sigma", min_val=0, include_boundaries="neither")
        check_int(self.order, "order", min_val=0)
        check_option(self.mode, "mode", _NDIMAGE_MODES)
        check_real(self.truncate, "truncate", min_val=0, include_boundaries="neither")

    def _transform(self, X: np.ndarray) -> np.ndarray:
        # gaussian_filter1d returns a new array of X's dtype (float32 stays).
        return gaussian_filter1d(
            X,
            float(self.sigma),
            axis=1,
            order=self.order,
            mode=self.mode,
            truncate=float(self.truncate),
        )
