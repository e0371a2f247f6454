"""
===========================================
Choosing a backend: small versus large data
===========================================

Parallelism has a price: starting workers, sending them data, collecting their
results. On small data the price is larger than the work, and a plain loop
wins; on large data, workers win, provided they do not copy the data back and
forth. :class:`~sklearn_nirs.ParallelFeatureAugmentation` and
:class:`~sklearn_nirs.ParallelModelSearch` choose their backend from the work
at hand (``backend="auto"``, the default when no
:func:`joblib.parallel_config` is active) and say what they chose, and why, in
``backend_``. This example shows the choice on small real spectra and on
larger synthetic ones, with timings. Read :ref:`backends` for the policy.
"""

import time

import matplotlib.pyplot as plt
import numpy as np
from joblib import parallel_config
from sklearn.cross_decomposition import PLSRegression
from sklearn.pipeline import make_pipeline

from sklearn_nirs import ParallelFeatureAugmentation, ParallelModelSearch
from sklearn_nirs.datasets import load_tecator, make_nirs_regression
from sklearn_nirs.preprocessing import (
    Detrend,
    ExtendedMultiplicativeScatterCorrection,
    GaussianSmoothing,
    MultiplicativeScatterCorrection,
    Normalize,
    RobustNormalVariate,
    SavitzkyGolay,
    StandardNormalVariate,
)

# %%
# Ten preprocessings of the same spectra
# --------------------------------------


def ten_preprocessings():
    return [
        ("snv", StandardNormalVariate()),
        ("rnv", RobustNormalVariate()),
        ("msc", MultiplicativeScatterCorrection()),
        ("emsc", ExtendedMultiplicativeScatterCorrection()),
        ("sg0", SavitzkyGolay(window_length=11, polyorder=2)),
        ("sg1", SavitzkyGolay(window_length=11, polyorder=2, deriv=1)),
        ("sg2", SavitzkyGolay(window_length=11, polyorder=2, deriv=2)),
        ("detrend", Detrend()),
        ("gauss", GaussianSmoothing()),
        ("norm", Normalize()),
    ]


def time_methods(methods, X, repeats):
    """Median wall time of each method's ``fit_transform(X)``.

    One untimed round first (it starts loky's worker processes, which loky
    keeps for later calls, and warms caches), then the methods take turns,
    so that a change in the machine's load affects them all alike.
    """
    for make in methods.values():
        make().fit_transform(X)
    times = {name: [] for name in methods}
    for _ in range(repeats):
        for name, make in methods.items():
            estimator = make()
            start = time.perf_counter()
            estimator.fit_transform(X)
            times[name].append(time.perf_counter() - start)
    return {name: float(np.median(t)) for name, t in times.items()}


methods = {
    "sequential": lambda: ParallelFeatureAugmentation(
        ten_preprocessings(), backend="sequential"
    ),
    "auto, n_jobs=2": lambda: ParallelFeatureAugmentation(
        ten_preprocessings(), n_jobs=2
    ),
    "loky, n_jobs=2": lambda: ParallelFeatureAugmentation(
        ten_preprocessings(), n_jobs=2, backend="loky"
    ),
}

X_small = load_tecator(return_X_y=True)[0]  # 215 x 100
X_large, _ = make_nirs_regression(n_samples=2000, n_wavelengths=1000, random_state=0)

# %%
# What "auto" chooses
# -------------------
# We ask for two workers and let the augmentation decide. On Tecator (215
# spectra x 100 wavelengths x 10 preprocessings, about 2e5 values) the work is
# done in milliseconds, less than the cost of dispatching it, so "auto" runs a
# plain loop. On 2,000 x 1,000 spectra it uses threads, which write their row
# blocks straight into one shared output array.

timings = {}
for label, X, repeats in [
    ("Tecator 215 x 100", X_small, 25),
    ("synthetic 2,000 x 1,000", X_large, 3),
]:
    fitted = ParallelFeatureAugmentation(ten_preprocessings(), n_jobs=2).fit(X)
    print(f"{label}:\n  backend_ = {fitted.backend_}")
    timings[label] = time_methods(methods, X, repeats)
    print("  " + ", ".join(f"{k}: {v * 1e3:.0f} ms" for k, v in timings[label].items()))

# %%
# The same timings as bars, relative to the sequential loop (lower is faster).
# What to expect: on small data "auto" *is* the sequential loop (any
# difference between those two bars is timing noise), while processes (loky)
# pay for sending tasks and results between processes even with their workers
# already started (starting them costs a second or more on top). On large data
# threads should clearly beat the loop on an idle multi-core machine, while
# processes lose time pickling every transformed block back to the parent.
#
# These bars are measured each time this page is built, on whatever machine
# builds it; a busy machine blurs them. Measure yours, side by side and
# with repeats, with ``sklearn-nirs benchmark`` (see :doc:`/performance`).

fig, axes = plt.subplots(1, 2, figsize=(9, 3.6), layout="constrained")
for ax, (label, times) in zip(axes, timings.items(), strict=True):
    names = list(times)
    relative = [times[name] / times["sequential"] for name in names]
    bars = ax.bar(names, relative, color=["0.6", "C0", "C3"])
    ax.bar_label(bars, [f"{times[name] * 1e3:.0f} ms" for name in names], fontsize=8)
    ax.axhline(1, color="k", lw=0.8)
    ax.set_title(label)
    ax.set_ylabel("time / sequential time")
    ax.margins(y=0.15)
fig.suptitle("ParallelFeatureAugmentation, 10 preprocessings")
plt.show()

# %%
# Model search
# ------------
# The search makes the same kind of choice: sequential for a small search,
# threads with one BLAS thread per worker for a larger one (PLS is dominated
# by matrix products, which release the GIL).

pls = {"plsregression__n_components": list(range(1, 11))}
candidates = [
    (
        "snv_pls",
        make_pipeline(StandardNormalVariate(), PLSRegression(scale=False)),
        pls,
    ),
    (
        "sg1_pls",
        make_pipeline(
            SavitzkyGolay(window_length=11, polyorder=2, deriv=1),
            PLSRegression(scale=False),
        ),
        pls,
    ),
]
y_small = load_tecator(return_X_y=True)[1]
X_mid, y_mid = make_nirs_regression(n_samples=1000, n_wavelengths=500, random_state=0)
for label, X, y in [
    ("Tecator", X_small, y_small),
    ("synthetic 1,000 x 500", X_mid, y_mid),
]:
    search = ParallelModelSearch(candidates, cv=3, n_jobs=2).fit(X, y)
    print(f"{label}: {search.backend_}")

# %%
# Overriding the choice
# ---------------------
# Pass ``backend=`` to one estimator, or set it for a whole block of code with
# joblib's context manager; with the default ``backend=None`` the estimators
# follow it.

with parallel_config(backend="threading", n_jobs=2):
    augment = ParallelFeatureAugmentation(ten_preprocessings()).fit(X_small)
print(augment.backend_)
