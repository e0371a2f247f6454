"""Keep the caller's arrays (and shared task data) safe from in-place writes.

Several consumers read the same array: the transformers of an augmentation
read the caller's spectra, the configurations of a search read one fold's
cached data. One that writes into its input (``copy=False``, a hand-written
transformer) would silently change what the others see, or the caller's own
data. So consumers get read-only views: scikit-learn estimators copy
read-only input before writing into it (``check_array(force_writeable=True)``),
and :func:`protected` retries any other on a private copy.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np


def read_only(a):
    """A read-only view of ``a`` (the array itself is untouched)."""
    if isinstance(a, np.ndarray):
        a = a.view()
        a.flags.writeable = False
    return a


def writes_read_only(exc: BaseException | None) -> bool:
    """True when ``exc`` (or its cause) comes from writing a read-only array."""
    while exc is not None:
        if "read-only" in str(exc):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def protected(func: Callable, *arrays):
    """``func(*arrays)``; again on private copies if it writes into them.

    ``func`` must not depend on state left by a failed first attempt (an
    estimator refitted from scratch is fine: ``fit`` starts over).
    """
    try:
        return func(*arrays)
    except Exception as exc:
        if not writes_read_only(exc):
            raise
    return func(*[np.array(a) if isinstance(a, np.ndarray) else a for a in arrays])
