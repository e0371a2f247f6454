"""
====================================================================
Model search: preprocessings x PLS sizes x ridge, with a leaderboard
====================================================================

Which preprocessing, which model, how many PLS components? A NIR calibration
is usually chosen by cross-validating all the combinations.
:class:`~sklearn_nirs.ParallelModelSearch` takes several candidate pipelines,
each with its own parameter grid, and cross-validates them together, in
parallel. It fits each shared preprocessing once per fold (not once per
configuration) and derives every PLS component count from a single PLS fit,
so the whole search below takes seconds. Its results have the layout of
:class:`~sklearn.model_selection.GridSearchCV`'s, plus the candidate's name.
"""

# sphinx_gallery_thumbnail_number = 2

import time

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn.cross_decomposition import PLSRegression
from sklearn.linear_model import Ridge
from sklearn.metrics import r2_score, root_mean_squared_error
from sklearn.model_selection import KFold
from sklearn.pipeline import make_pipeline

from sklearn_nirs import ParallelModelSearch
from sklearn_nirs.datasets import load_tecator
from sklearn_nirs.preprocessing import (
    Detrend,
    ExtendedMultiplicativeScatterCorrection,
    MultiplicativeScatterCorrection,
    SavitzkyGolay,
    StandardNormalVariate,
)

# %%
# Data
# ----
# Tecator fat content; the search sees the 172 training samples only, the 43
# test samples are kept for the final check.

tecator = load_tecator(target="fat")
X, y = tecator.data, tecator.target
train = tecator.split != "test"
X_train, y_train, X_test, y_test = X[train], y[train], X[~train], y[~train]

# %%
# Candidates
# ----------
# Six preprocessing pipelines ending in PLS, each tried with 1 to 20
# components, and two ending in ridge regression with five penalties: 130
# configurations, 650 fits for ``GridSearchCV`` with 5 folds.


def sg(deriv):
    return SavitzkyGolay(window_length=15, polyorder=2, deriv=deriv)


def pls():
    return PLSRegression(scale=False)


pls_sizes = {"plsregression__n_components": list(range(1, 21))}
alphas = {"ridge__alpha": [1e-5, 1e-4, 1e-3, 1e-2, 1e-1]}
candidates = [
    ("raw", make_pipeline(pls()), pls_sizes),
    ("snv", make_pipeline(StandardNormalVariate(), pls()), pls_sizes),
    ("msc", make_pipeline(MultiplicativeScatterCorrection(), pls()), pls_sizes),
    (
        "emsc",
        make_pipeline(ExtendedMultiplicativeScatterCorrection(), pls()),
        pls_sizes,
    ),
    (
        "snv_detrend",
        make_pipeline(StandardNormalVariate(), Detrend(), pls()),
        pls_sizes,
    ),
    ("snv_sg1", make_pipeline(StandardNormalVariate(), sg(1), pls()), pls_sizes),
    ("snv_ridge", make_pipeline(StandardNormalVariate(), Ridge()), alphas),
    ("snv_sg1_ridge", make_pipeline(StandardNormalVariate(), sg(1), Ridge()), alphas),
]

search = ParallelModelSearch(
    candidates,
    cv=KFold(n_splits=5, shuffle=True, random_state=0),
    scoring="neg_root_mean_squared_error",
    n_jobs=2,
)
start = time.perf_counter()
search.fit(X_train, y_train)
print(
    f"{len(search.cv_results_['params'])} configurations x {search.n_splits_} "
    f"folds in {time.perf_counter() - start:.1f} s"
)
print("backend:", search.backend_)

# %%
# The leaderboard
# ---------------
# ``cv_results_`` turns into a DataFrame in one call. Scores are negated RMSE
# (scikit-learn maximises scores), so we flip the sign to read RMSECV in % fat.

results = pd.DataFrame(search.cv_results_)
results["RMSECV"] = -results["mean_test_score"]
results["std"] = results["std_test_score"]
results["parameters"] = results["params"].map(
    lambda p: ", ".join(f"{k.split('__')[-1]}={v}" for k, v in p.items())
)
leaderboard = results.sort_values("rank_test_score")[
    ["rank_test_score", "candidate", "parameters", "RMSECV", "std"]
].set_index("rank_test_score")
leaderboard.head(10).round(3)

# %%
# The best configuration of each candidate, so that every pipeline appears:

best_per_candidate = (
    results.sort_values("RMSECV").groupby("candidate", sort=False).head(1)
)[["candidate", "parameters", "RMSECV"]].reset_index(drop=True)
best_per_candidate.round(3)

# %%
# RMSECV against the number of PLS components, one curve per preprocessing:
# the error falls as components capture the fat signal, then rises slowly as
# they start fitting noise. Scatter correction (SNV, MSC) reaches a low error
# with far fewer components than the raw spectra; EMSC's quadratic baseline
# terms remove part of the fat signal along with the baseline on these data.

fig, ax = plt.subplots(figsize=(7, 4.2), layout="constrained")
for name, rows in results.groupby("candidate", sort=False):
    if (
        "param_plsregression__n_components" not in rows
        or rows["param_plsregression__n_components"].isna().all()
    ):
        continue
    ax.plot(
        rows["param_plsregression__n_components"].astype(int),
        rows["RMSECV"],
        marker=".",
        label=name,
    )
ax.set_xlabel("PLS components")
ax.set_ylabel("RMSECV (% fat)")
ax.set_ylim(top=min(ax.get_ylim()[1], 6))
ax.set_xticks(range(0, 21, 2))
ax.legend(title="preprocessing + PLS", ncols=2)
ax.set_title("Cross-validated error on Tecator fat")

# %%
# Predicted versus measured on the test split
# -------------------------------------------
# The search refitted the winner on all training samples; it predicts the 43
# test samples it has never seen.

print(
    f"best: {search.best_candidate_} {search.best_params_}, "
    f"RMSECV {-search.best_score_:.2f}"
)
y_pred = search.predict(X_test).ravel()
rmsep = root_mean_squared_error(y_test, y_pred)
r2 = r2_score(y_test, y_pred)

fig, ax = plt.subplots(figsize=(5, 5), layout="constrained")
ax.scatter(y_test, y_pred, s=22, edgecolor="k", linewidth=0.4)
lims = [min(y_test.min(), y_pred.min()) - 2, max(y_test.max(), y_pred.max()) + 2]
ax.plot(lims, lims, color="0.5", lw=1, ls="--", label="y = x")
ax.set_xlim(lims)
ax.set_ylim(lims)
ax.set_aspect("equal")
ax.set_xlabel("Measured fat (%)")
ax.set_ylabel("Predicted fat (%)")
ax.set_title(f"{search.best_candidate_}: RMSEP {rmsep:.2f} %, R² {r2:.3f}")
ax.legend(loc="upper left")
plt.show()

# %%
# The shared work
# ---------------
# Scores do not depend on the shortcuts: with ``cache=False`` every
# configuration is fitted from scratch on every fold, as ``GridSearchCV``
# would, and the scores agree.

slow = ParallelModelSearch(
    candidates[:3],
    cv=KFold(n_splits=5, shuffle=True, random_state=0),
    scoring="neg_root_mean_squared_error",
    cache=False,
).fit(X_train, y_train)
fast_scores = search.cv_results_["mean_test_score"][: len(slow.cv_results_["params"])]
print(
    "same scores with cache=False:",
    np.allclose(slow.cv_results_["mean_test_score"], fast_scores, rtol=1e-10),
)

# %%
# ``best_score_`` is the best of 130 cross-validated scores computed on the
# same folds, so it is slightly optimistic; to estimate the error of the whole
# procedure, cross-validate the search itself:
# :ref:`sphx_glr_auto_examples_plot_nested_cv.py`.
