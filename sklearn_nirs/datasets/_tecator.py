"""The Tecator meat data set: 215 real NIR transmission spectra, bundled.

The CSV ships inside the package together with its README, which carries the
permission note of the original source; the two must never be separated.
"""

from __future__ import annotations

import functools
import io
from collections.abc import Sequence
from importlib import resources

import numpy as np
from sklearn.utils import Bunch

TARGET_NAMES = ("moisture", "fat", "protein")
_DATA_FILE = "tecator.csv"
_README_FILE = "README.md"
_N_SPECTRUM_START = 1 + len(TARGET_NAMES)  # split, moisture, fat, protein, ...


def _data_path():
    return resources.files("sklearn_nirs.datasets").joinpath("data")


@functools.lru_cache(maxsize=1)
def _read_tecator() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, str]:
    """Parse the bundled CSV once.

    Returns read-only arrays (split, references, spectra, feature names) and
    the README text; callers must copy before handing them out, so that a user
    mutating a returned array cannot corrupt later loads.
    """
    data_dir = _data_path()
    text = data_dir.joinpath(_DATA_FILE).read_text(encoding="utf-8")
    descr = data_dir.joinpath(_README_FILE).read_text(encoding="utf-8")
    header, _, body = text.partition("\n")
    columns = header.strip().split(",")
    feature_names = np.asarray(columns[_N_SPECTRUM_START:], dtype=object)
    # The first column holds the split label; the rest is numeric.
    split = np.loadtxt(io.StringIO(body), delimiter=",", usecols=0, dtype=str)
    values = np.loadtxt(
        io.StringIO(body),
        delimiter=",",
        usecols=range(1, len(columns)),
        dtype=np.float64,
        ndmin=2,
    )
    references = values[:, : len(TARGET_NAMES)]
    spectra = values[:, len(TARGET_NAMES) :]
    for array in (split, references, spectra, feature_names):
        array.setflags(write=False)
    return split, references, spectra, feature_names, descr


def _check_target(target) -> tuple[list[str], bool]:
    """Return the requested reference names and whether a list was given."""
    if isinstance(target, str):
        names, many = [target], False
    elif isinstance(target, Sequence) and not isinstance(target, bytes):
        names, many = list(target), True
        if not names:
            raise ValueError(
                f"target must name at least one of {list(TARGET_NAMES)}; got an "
                "empty list."
            )
    else:
        raise TypeError(
            f"target must be one of {list(TARGET_NAMES)} or a list of them; got "
            f"{type(target).__name__}."
        )
    unknown = [name for name in names if name not in TARGET_NAMES]
    if unknown:
        raise ValueError(
            f"Unknown Tecator target(s) {unknown}; choose from "
            f"{list(TARGET_NAMES)} (a single name or a list of them)."
        )
    if len(set(names)) != len(names):
        raise ValueError(f"target lists a reference more than once: {names}.")
    return names, many


def _first_occurrences(spectra: np.ndarray) -> np.ndarray:
    """Sorted row indices that keep the first occurrence of each spectrum."""
    _, first = np.unique(spectra, axis=0, return_index=True)
    return np.sort(first)


def _import_pandas():
    try:
        import pandas as pd
    except ImportError as exc:
        raise ImportError(
            "load_tecator(as_frame=True) needs pandas; install it with "
            'pip install "sklearn-nirs[pandas]".'
        ) from exc
    return pd


def load_tecator(
    *,
    target: str | Sequence[str] = "fat",
    return_X_y: bool = False,
    as_frame: bool = False,
    deduplicate: bool = False,
):
    """Load the Tecator meat data set (real NIR spectra, regression).

    215 samples of finely chopped meat, each measured on a Tecator Infratec
    Food and Feed Analyzer by near-infrared transmission: 100 absorbance
    channels (absorbance = -log10 transmittance) evenly spaced from 850 to
    1050 nm. Each sample has three reference values from analytic chemistry,
    in percent: ``moisture``, ``fat`` and ``protein``. The original StatLib
    partition is kept in ``split``: the first 129 samples are ``"train"``,
    the next 43 ``"monitor"`` and the last 43 ``"test"``.

    ==============  ==========================
    Samples         215 (193 unique spectra)
    Wavelengths     100 (850-1050 nm)
    Targets         moisture, fat, protein (%)
    Split           129 train / 43 monitor / 43 test
    ==============  ==========================

    22 spectra occur twice with identical reference values. Random
    cross-validation splits can put the two copies in different folds, which
    leaks information; ``deduplicate=True`` keeps only the first occurrence
    of each spectrum.

    The data are in the public domain; the permission note of the original
    source (in ``DESCR``) asks that publications using them mention the
    instrument and company name (Tecator).

    Parameters
    ----------
    target : {"fat", "moisture", "protein"} or list of them, default="fat"
        The reference value(s) to return as ``target``. A single name gives
        a 1-D target; a list gives a 2-D target with one column per name, in
        the order given.
    return_X_y : bool, default=False
        If True, return ``(data, target)`` instead of a Bunch.
    as_frame : bool, default=False
        If True, ``data`` is a pandas DataFrame with the wavelength columns,
        ``target`` a Series (one name) or DataFrame (a list), and ``frame``
        holds both side by side. The index is the sample's row number in the
        original file (kept when ``deduplicate=True``). Needs pandas
        (``pip install "sklearn-nirs[pandas]"``).
    deduplicate : bool, default=False
        If True, drop the 22 repeated spectra, keeping the first occurrence
        of each: 193 samples remain.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        Dictionary-like object with the following attributes.

        data : ndarray of shape (n_samples, 100) or DataFrame
            Absorbance spectra, one per row, float64.
        target : ndarray, Series or DataFrame
            The requested reference value(s), in percent: shape (n_samples,)
            for one target name, (n_samples, n_targets) for a list.
        feature_names : ndarray of str of shape (100,)
            Column names: the wavelengths as written in the file ("850.00").
        wavelengths : ndarray of shape (100,)
            The wavelengths in nm, float64.
        split : ndarray of str of shape (n_samples,)
            ``"train"``, ``"monitor"`` or ``"test"`` for each sample.
        target_names : list of str
            The name(s) of the returned reference value(s).
        frame : DataFrame of shape (n_samples, 100 + n_targets)
            Only when ``as_frame=True``: spectra and targets together.
        DESCR : str
            Description of the data, including the permission note.

    (data, target) : tuple if ``return_X_y`` is True
        Arrays (or pandas objects when ``as_frame=True``) as described above.

    References
    ----------
    .. [1] H. H. Thodberg, "Tecator meat sample dataset", StatLib data sets
       archive, Carnegie Mellon University, http://lib.stat.cmu.edu/datasets/tecator
    .. [2] C. Borggaard and H. H. Thodberg, "Optimal minimal neural
       interpretation of spectra", Analytical Chemistry 64(5):545-551, 1992.

    Examples
    --------
    >>> from sklearn_nirs.datasets import load_tecator
    >>> tecator = load_tecator()
    >>> tecator.data.shape, tecator.target.shape
    ((215, 100), (215,))
    >>> tecator.feature_names[:2].tolist(), float(tecator.wavelengths[-1])
    (['850.00', '852.02'], 1050.0)
    >>> X, y = load_tecator(target=["fat", "protein"], return_X_y=True)
    >>> y.shape
    (215, 2)
    >>> train = load_tecator().split != "test"
    >>> int(train.sum())
    172
    >>> load_tecator(deduplicate=True).data.shape
    (193, 100)
    """
    names, many = _check_target(target)
    split, references, spectra, feature_names, descr = _read_tecator()

    n_samples = spectra.shape[0]
    rows = _first_occurrences(spectra) if deduplicate else np.arange(n_samples)
    columns = [TARGET_NAMES.index(name) for name in names]
    # Fancy indexing returns new arrays, so the cached data stay intact.
    data = spectra[rows]
    y = references[np.ix_(rows, columns)]
    if not many:
        y = y[:, 0].copy()
    split = split[rows]
    feature_names = feature_names.copy()
    wavelengths = feature_names.astype(np.float64)

    frame = None
    if as_frame:
        pd = _import_pandas()
        # The index is the row number in the file, also after deduplication.
        index = rows
        data = pd.DataFrame(data, columns=list(feature_names), index=index)
        if many:
            y = pd.DataFrame(y, columns=names, index=index)
        else:
            y = pd.Series(y, name=names[0], index=index)
        frame = pd.concat([data, y], axis=1)

    if return_X_y:
        return data, y

    return Bunch(
        data=data,
        target=y,
        feature_names=feature_names,
        wavelengths=wavelengths,
        split=split,
        target_names=names,
        frame=frame,
        DESCR=descr,
    )
