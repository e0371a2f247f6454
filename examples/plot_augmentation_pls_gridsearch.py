"""
===================================================
Feature augmentation + PLS, tuned with GridSearchCV
===================================================

Instead of choosing one preprocessing, give PLS several at once:
:class:`~sklearn_nirs.ParallelFeatureAugmentation` applies SNV, MSC, detrending
and Savitzky-Golay derivatives to the same Tecator spectra and puts the results
side by side; PLS then weighs whichever variables predict fat best.

The augmentation is an ordinary scikit-learn transformer, so it goes in a
:class:`~sklearn.pipeline.Pipeline` and
:class:`~sklearn.model_selection.GridSearchCV` tunes its nested parameters (the
Savitzky-Golay window, whether to keep the 2nd derivative) together with the
number of PLS components.
"""

# sphinx_gallery_thumbnail_number = 2

import matplotlib.pyplot as plt
import numpy as np
from sklearn.cross_decomposition import PLSRegression
from sklearn.metrics import root_mean_squared_error
from sklearn.model_selection import GridSearchCV, KFold
from sklearn.pipeline import Pipeline

from sklearn_nirs import ParallelFeatureAugmentation
from sklearn_nirs.datasets import load_tecator
from sklearn_nirs.preprocessing import (
    Detrend,
    MultiplicativeScatterCorrection,
    SavitzkyGolay,
    StandardNormalVariate,
)

# %%
# Data: Tecator fat, with the original test split held out
# ---------------------------------------------------------
# Model choice happens on the 172 training (train + monitor) samples only; the
# 43 test samples give the final error of prediction (RMSEP).

tecator = load_tecator(target="fat")
X, y, wavelengths = tecator.data, tecator.target, tecator.wavelengths
train = tecator.split != "test"
X_train, y_train, X_test, y_test = X[train], y[train], X[~train], y[~train]
print(f"train {X_train.shape}, test {X_test.shape}")

# %%
# The pipeline
# ------------
# Five preprocessings of the same spectra, computed in parallel
# (``n_jobs=2``), feeding PLS.
#
# The blocks live on very different scales: SNV values span about +/-2, a
# Savitzky-Golay 1st derivative about +/-0.03 and a 2nd derivative about
# +/-0.002 per channel. PLS maximises covariance, so with ``scale=False`` it
# would all but ignore the derivative blocks. ``scale=True`` gives every
# column unit variance, so that each preprocessing can contribute.

augment = ParallelFeatureAugmentation(
    [
        ("snv", StandardNormalVariate()),
        ("msc", MultiplicativeScatterCorrection()),
        ("detrend", Detrend(degree=2)),
        ("sg1", SavitzkyGolay(window_length=15, polyorder=2, deriv=1)),
        ("sg2", SavitzkyGolay(window_length=15, polyorder=2, deriv=2)),
    ],
    n_jobs=2,
)
model = Pipeline([("augment", augment), ("pls", PLSRegression(scale=True))])

# %%
# Nested parameters are named ``<step>__<transformer>__<parameter>``, just as
# in a pipeline; a whole transformer can be swapped too (``"drop"`` removes
# it).

print([name for name in model.get_params() if name.startswith("augment__sg1__")])

# %%
# Tune with GridSearchCV
# ----------------------
# 2 windows x 2 choices for the 2nd derivative x 8 PLS sizes = 32
# configurations, 5-fold cross-validated. ``GridSearchCV(n_jobs=2)`` runs folds
# in two processes; the augmentation inside each worker notices that it is
# nested and runs sequentially, so the two cores are not oversubscribed.

param_grid = {
    "augment__sg1__window_length": [11, 21],
    "augment__sg2": ["drop", SavitzkyGolay(window_length=15, polyorder=2, deriv=2)],
    "pls__n_components": [4, 6, 8, 10, 12, 14, 17, 20],
}
cv = KFold(n_splits=5, shuffle=True, random_state=0)
grid = GridSearchCV(
    model, param_grid, cv=cv, scoring="neg_root_mean_squared_error", n_jobs=2
)
grid.fit(X_train, y_train)

best = grid.best_params_
print(f"best RMSECV: {-grid.best_score_:.2f} % fat")
print(
    f"best window: {best['augment__sg1__window_length']}, "
    f"2nd derivative: {'kept' if best['augment__sg2'] != 'drop' else 'dropped'}, "
    f"components: {best['pls__n_components']}"
)

# %%
# RMSECV against the number of components for each configuration of the
# augmentation: too few components underfit, too many start fitting noise.
# Each choice of the augmentation shifts the curve; the search picks the
# lowest point over all of them.

results = grid.cv_results_
fig, ax = plt.subplots(figsize=(6.5, 4), layout="constrained")
keeps_sg2 = np.array([p["augment__sg2"] != "drop" for p in results["params"]])
windows = np.asarray(results["param_augment__sg1__window_length"], dtype=int)
n_components = np.asarray(results["param_pls__n_components"], dtype=int)
for color, window in zip(
    ["C0", "C1"], param_grid["augment__sg1__window_length"], strict=True
):
    for kept, style in [(True, "-"), (False, "--")]:
        rows = (keeps_sg2 == kept) & (windows == window)
        ax.plot(
            n_components[rows],
            -results["mean_test_score"][rows],
            ls=style,
            color=color,
            marker="o",
            label=f"SG1 window {window}, SG2 {'kept' if kept else 'dropped'}",
        )
ax.set_xlabel("PLS components")
ax.set_ylabel("RMSECV (% fat)")
ax.set_title("Augmented spectra, then PLS: cross-validated error")
ax.legend()

# %%
# What the model uses
# -------------------
# The refitted best model is ``grid.best_estimator_``. Its augmentation knows
# which columns each preprocessing produced (``output_slices_``), so the PLS
# regression coefficients can be drawn per preprocessing, against wavelength.

best_augment = grid.best_estimator_.named_steps["augment"]
coef = grid.best_estimator_.named_steps["pls"].coef_.ravel()
blocks = list(best_augment.output_slices_.items())
fig, axes = plt.subplots(
    1,
    len(blocks),
    figsize=(2.4 * len(blocks), 3.2),
    sharey=False,
    layout="constrained",
)
for ax, (name, columns) in zip(np.atleast_1d(axes), blocks, strict=True):
    ax.plot(wavelengths, coef[columns], color="C3", lw=1)
    ax.axhline(0, color="0.7", lw=0.8)
    ax.set_title(name)
    ax.set_xlabel("Wavelength (nm)")
np.atleast_1d(axes)[0].set_ylabel("PLS coefficient")
fig.suptitle("Regression coefficients of the tuned model, per preprocessing")

print("backend used when refitting:", best_augment.backend_)

# %%
# Test-set error, and a single preprocessing for comparison
# ---------------------------------------------------------
# The same search with only SNV followed by a Savitzky-Golay 1st derivative,
# then both models predict the held-out test samples.

single = GridSearchCV(
    Pipeline(
        [
            ("snv", StandardNormalVariate()),
            ("sg1", SavitzkyGolay(window_length=15, polyorder=2, deriv=1)),
            ("pls", PLSRegression(scale=False)),
        ]
    ),
    {
        "sg1__window_length": [11, 15, 21],
        "pls__n_components": param_grid["pls__n_components"],
    },
    cv=cv,
    scoring="neg_root_mean_squared_error",
).fit(X_train, y_train)

for label, search in [("augmented", grid), ("SNV + SG1 only", single)]:
    rmsep = root_mean_squared_error(y_test, search.predict(X_test).ravel())
    print(f"{label:>15}: RMSECV {-search.best_score_:.2f}, RMSEP {rmsep:.2f} % fat")

plt.show()

# %%
# Augmentation does not always win, but it removes one decision (which
# preprocessing?) from the modeller and lets cross-validation make it. To
# compare whole pipelines instead (each preprocessing with its own PLS size,
# plus other regressors), see
# :ref:`sphx_glr_auto_examples_plot_model_search.py`.
