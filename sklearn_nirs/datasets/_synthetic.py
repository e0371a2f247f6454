"""Synthetic NIR spectra from a Beer-Lambert mixture model."""

from __future__ import annotations

import numbers

import numpy as np
from sklearn.utils import check_random_state, check_scalar

# Band shape ranges, as fractions of the wavelength span: NIR overtone and
# combination bands are broad, tens of nm at 1000-2500 nm (Workman & Weyer).
_FWHM_FRACTION = (0.02, 0.08)
_BANDS_PER_CONSTITUENT = (3, 6)  # inclusive
_BAND_HEIGHT = (0.1, 1.0)  # peak absorbance of one band at unit concentration
_LORENTZ_FRACTION = (0.0, 0.5)  # pseudo-Voigt mixing: up to half Lorentzian


def _check_int(value, name: str, min_val: int) -> int:
    if isinstance(value, bool):
        raise TypeError(f"{name} must be an int, not bool.")
    return int(check_scalar(value, name, numbers.Integral, min_val=min_val))


def _check_nonnegative(value, name: str) -> float:
    if isinstance(value, bool):
        raise TypeError(f"{name} must be a real number, not bool.")
    value = float(check_scalar(value, name, numbers.Real, min_val=0.0))
    if not np.isfinite(value):
        raise ValueError(f"{name} must be finite; got {value}.")
    return value


def _check_range(wavelength_range) -> tuple[float, float]:
    try:
        start, stop = (float(v) for v in wavelength_range)
    except (TypeError, ValueError):
        raise ValueError(
            "wavelength_range must be a pair of numbers (start, stop) in nm; got "
            f"{wavelength_range!r}."
        ) from None
    if not (np.isfinite(start) and np.isfinite(stop) and 0 < start < stop):
        raise ValueError(
            "wavelength_range must satisfy 0 < start < stop (finite, in nm); got "
            f"{wavelength_range!r}."
        )
    return start, stop


def _pure_spectra(
    wavelengths: np.ndarray, n_constituents: int, rng: np.random.RandomState
) -> np.ndarray:
    """Absorptivity spectra K, shape (n_constituents, n_wavelengths).

    Each row is a sum of a few pseudo-Voigt bands; all bands of all
    constituents are evaluated in one vectorized pass.
    """
    start, stop = wavelengths[0], wavelengths[-1]
    span = stop - start
    n_bands = rng.randint(
        _BANDS_PER_CONSTITUENT[0], _BANDS_PER_CONSTITUENT[1] + 1, size=n_constituents
    )
    owner = np.repeat(np.arange(n_constituents), n_bands)
    total = owner.size
    centers = rng.uniform(start, stop, size=total)
    fwhm = span * rng.uniform(*_FWHM_FRACTION, size=total)
    heights = rng.uniform(*_BAND_HEIGHT, size=total)
    eta = rng.uniform(*_LORENTZ_FRACTION, size=total)

    # u = 4 (x - c)^2 / fwhm^2, so both profiles have unit peak and that FWHM.
    u = 4.0 * ((wavelengths[None, :] - centers[:, None]) / fwhm[:, None]) ** 2
    profiles = (1.0 - eta[:, None]) * np.exp(-np.log(2.0) * u)
    profiles += eta[:, None] / (1.0 + u)
    profiles *= heights[:, None]

    membership = np.zeros((n_constituents, total))
    membership[owner, np.arange(total)] = 1.0
    return membership @ profiles


def make_nirs_regression(
    n_samples: int = 500,
    n_wavelengths: int = 700,
    *,
    wavelength_range: tuple[float, float] = (1000, 2500),
    n_constituents: int = 4,
    noise: float = 0.005,
    scatter: float = 0.1,
    baseline: float = 0.05,
    random_state=None,
    return_wavelengths: bool = False,
):
    r"""Generate synthetic NIR absorbance spectra and a concentration target.

    The spectra follow the physics of a near-infrared measurement of a
    mixture, in four steps:

    1. **Pure-component spectra.** Each of the ``n_constituents``
       constituents has an absorptivity spectrum :math:`k_j(\lambda)` made of
       3 to 6 absorption bands. Each band is a pseudo-Voigt profile (a mix of
       a Gaussian and, with weight :math:`\eta \in [0, 0.5]`, a Lorentzian of
       the same full width at half maximum) with a random centre inside the
       range, a FWHM between 2 % and 8 % of the range (30-120 nm for the
       default 1000-2500 nm: NIR overtone and combination bands are broad)
       and a peak height between 0.1 and 1.
    2. **Concentrations.** Each sample's composition :math:`c_i` is drawn
       from a flat Dirichlet distribution: the concentrations are mass
       fractions in [0, 1] that sum to 1, uniformly spread over all possible
       compositions (closure, as for moisture + fat + protein in meat).
    3. **Beer-Lambert mixing.** The absorbance is linear in concentration:
       :math:`A = C K`.
    4. **Measurement effects.** Per spectrum, a multiplicative scatter factor
       :math:`m_i = \exp(s\, z_i)` (log-normal around 1, spread ``scatter``
       :math:`= s`), an additive sloped baseline :math:`a_i + b_i t(\lambda)`
       with :math:`a_i, b_i \sim \mathcal{N}(0, \beta^2)` (``baseline``
       :math:`= \beta`) and :math:`t` running linearly from -1 to 1 across the
       range, and white Gaussian noise of standard deviation ``noise``
       :math:`= \sigma`:

       .. math::

          x_i(\lambda) = m_i \sum_j c_{ij} k_j(\lambda) + a_i + b_i t(\lambda)
          + \sigma \varepsilon_i(\lambda).

       This is the model that multiplicative scatter correction and its
       extended form assume (Geladi 1985; Martens & Stark 1991).

    The target is the concentration of the first constituent, :math:`y_i =
    c_{i1}`. With ``noise=scatter=baseline=0`` the spectra are exactly
    Beer-Lambert mixtures: they span an ``n_constituents``-dimensional
    subspace and ``y`` is an exact linear function of them.

    The random draws are made in a fixed order (pure spectra, compositions,
    scatter, baseline, noise) and do not depend on ``noise``, ``scatter`` and
    ``baseline``: the same ``random_state`` with other amplitudes gives the
    same underlying mixtures.

    Parameters
    ----------
    n_samples : int, default=500
        Number of spectra.
    n_wavelengths : int, default=700
        Number of wavelengths, evenly spaced over ``wavelength_range``; at
        least 2.
    wavelength_range : tuple of (float, float), default=(1000, 2500)
        First and last wavelength in nm, with ``0 < start < stop``.
    n_constituents : int, default=4
        Number of chemical constituents in the mixture; at least 2 (the
        concentrations sum to 1, so a single constituent would give a
        constant target).
    noise : float, default=0.005
        Standard deviation of the additive white noise, in absorbance units.
    scatter : float, default=0.1
        Spread of the multiplicative scatter factor (standard deviation of its
        logarithm); 0 disables scatter.
    baseline : float, default=0.05
        Standard deviation of the baseline offset and slope, in absorbance
        units; 0 disables the baseline.
    random_state : int, RandomState instance or None, default=None
        Seed or generator for reproducible output (see
        :term:`Glossary <random_state>`).
    return_wavelengths : bool, default=False
        If True, also return the wavelengths.

    Returns
    -------
    X : ndarray of shape (n_samples, n_wavelengths)
        Absorbance spectra, float64.
    y : ndarray of shape (n_samples,)
        Concentration (mass fraction) of the first constituent.
    wavelengths : ndarray of shape (n_wavelengths,)
        Wavelengths in nm; only when ``return_wavelengths=True``.

    References
    ----------
    .. [1] P. Geladi, D. MacDougall and H. Martens, "Linearization and
       scatter-correction for near-infrared reflectance spectra of meat",
       Applied Spectroscopy 39(3):491-500, 1985.
    .. [2] H. Martens and E. Stark, "Extended multiplicative signal correction
       and spectral interference subtraction: new preprocessing methods for
       near infrared spectroscopy", Journal of Pharmaceutical and Biomedical
       Analysis 9(8):625-635, 1991.
    .. [3] J. Workman and L. Weyer, "Practical Guide to Interpretive
       Near-Infrared Spectroscopy", CRC Press, 2007.

    Examples
    --------
    >>> from sklearn_nirs.datasets import make_nirs_regression
    >>> X, y, wavelengths = make_nirs_regression(
    ...     n_samples=100, n_wavelengths=300, random_state=0, return_wavelengths=True
    ... )
    >>> X.shape, y.shape, wavelengths[[0, -1]].tolist()
    ((100, 300), (100,), [1000.0, 2500.0])
    >>> bool(((y >= 0) & (y <= 1)).all())
    True
    """
    n_samples = _check_int(n_samples, "n_samples", 1)
    n_wavelengths = _check_int(n_wavelengths, "n_wavelengths", 2)
    n_constituents = _check_int(n_constituents, "n_constituents", 2)
    start, stop = _check_range(wavelength_range)
    noise = _check_nonnegative(noise, "noise")
    scatter = _check_nonnegative(scatter, "scatter")
    baseline = _check_nonnegative(baseline, "baseline")
    rng = check_random_state(random_state)

    wavelengths = np.linspace(start, stop, n_wavelengths)
    pure = _pure_spectra(wavelengths, n_constituents, rng)
    concentrations = rng.dirichlet(np.ones(n_constituents), size=n_samples)
    factor = np.exp(scatter * rng.standard_normal(n_samples))
    offset = baseline * rng.standard_normal(n_samples)
    slope = baseline * rng.standard_normal(n_samples)
    # The big noise matrix comes from a Generator seeded by ``rng``: its
    # ziggurat sampler is several times faster than RandomState's.
    noise_seed = rng.randint(np.iinfo(np.int32).max)

    # One matrix product builds scatter * mixture + baseline for all samples:
    # [m c, a, b] @ [K; 1; t].
    t = np.linspace(-1.0, 1.0, n_wavelengths)
    design = np.column_stack([factor[:, None] * concentrations, offset, slope])
    basis = np.vstack([pure, np.ones(n_wavelengths), t])
    X = design @ basis
    if noise > 0:
        eps = np.random.default_rng(noise_seed).standard_normal(X.shape)
        eps *= noise
        X += eps

    y = concentrations[:, 0].copy()
    if return_wavelengths:
        return X, y, wavelengths
    return X, y
