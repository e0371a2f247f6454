"""
===========================================================
Nested cross-validation: an honest error for a model search
===========================================================

A model search reports ``best_score_``: the best of many cross-validated
scores, all computed on the same folds. Picking the best of many noisy
estimates makes it optimistic. To estimate how well the *whole procedure*
(search, then refit the winner) predicts new samples, cross-validate the
search itself: an outer loop holds out samples that the inner search never
sees. :class:`~sklearn_nirs.ParallelModelSearch` is an ordinary scikit-learn
estimator, so :func:`~sklearn.model_selection.cross_val_score` does this in one
line.
"""

import matplotlib.pyplot as plt
import numpy as np
from sklearn.cross_decomposition import PLSRegression
from sklearn.model_selection import KFold, cross_val_score, cross_validate
from sklearn.pipeline import make_pipeline

from sklearn_nirs import ParallelModelSearch
from sklearn_nirs.datasets import load_tecator
from sklearn_nirs.preprocessing import (
    MultiplicativeScatterCorrection,
    SavitzkyGolay,
    StandardNormalVariate,
)

# %%
# Data without duplicates
# -----------------------
# 22 Tecator spectra occur twice. In random folds the two copies can land on
# both sides of a split, which flatters every score; ``deduplicate=True``
# keeps one of each (193 samples).

X, y = load_tecator(target="fat", deduplicate=True, return_X_y=True)
print(X.shape)

# %%
# The inner search
# ----------------
# Three preprocessings x 1-15 PLS components, chosen by 5-fold
# cross-validation.

pls_sizes = {"plsregression__n_components": list(range(1, 16))}
search = ParallelModelSearch(
    [
        (
            "snv",
            make_pipeline(StandardNormalVariate(), PLSRegression(scale=False)),
            pls_sizes,
        ),
        (
            "msc",
            make_pipeline(
                MultiplicativeScatterCorrection(), PLSRegression(scale=False)
            ),
            pls_sizes,
        ),
        (
            "snv_sg1",
            make_pipeline(
                StandardNormalVariate(),
                SavitzkyGolay(window_length=15, polyorder=2, deriv=1),
                PLSRegression(scale=False),
            ),
            pls_sizes,
        ),
    ],
    cv=KFold(n_splits=5, shuffle=True, random_state=0),
    scoring="neg_root_mean_squared_error",
)

# %%
# The outer loop
# --------------
# Five outer folds: each fits the whole search on 4/5 of the samples and
# measures the refitted winner on the remaining 1/5. The outer loop runs its
# folds in two processes (``n_jobs=2``); the search inside each worker sees
# that it is nested and runs sequentially, so the two cores are not
# oversubscribed.

outer = KFold(n_splits=5, shuffle=True, random_state=1)
scores = cross_val_score(
    search, X, y, cv=outer, scoring="neg_root_mean_squared_error", n_jobs=2
)
print(f"nested CV RMSE: {-scores.mean():.2f} +/- {scores.std():.2f} % fat")

# %%
# What each outer fold chose
# --------------------------
# :func:`~sklearn.model_selection.cross_validate` with ``return_estimator=True``
# keeps the fitted searches, so we can compare, fold by fold, the inner
# ``best_score_`` (what the search believed) with the error on the held-out
# outer fold (what it achieved).

cv_out = cross_validate(
    search,
    X,
    y,
    cv=outer,
    scoring="neg_root_mean_squared_error",
    return_estimator=True,
    n_jobs=2,
)
inner = np.array([-est.best_score_ for est in cv_out["estimator"]])
outer_rmse = -cv_out["test_score"]
for k, est in enumerate(cv_out["estimator"]):
    n = est.best_params_["plsregression__n_components"]
    print(
        f"fold {k}: {est.best_candidate_:>8}, {n:2d} components, "
        f"inner RMSECV {inner[k]:.2f}, outer RMSE {outer_rmse[k]:.2f}"
    )
print("backend inside the outer workers:", cv_out["estimator"][0].backend_)

fig, ax = plt.subplots(figsize=(6.5, 4), layout="constrained")
folds = np.arange(len(inner))
ax.bar(folds - 0.2, inner, width=0.4, label="inner best RMSECV (optimistic)")
ax.bar(folds + 0.2, outer_rmse, width=0.4, label="outer-fold RMSE (honest)")
ax.axhline(
    inner.mean(),
    color="C0",
    ls=":",
    lw=1,
    label=f"mean inner RMSECV {inner.mean():.2f}",
)
ax.axhline(
    outer_rmse.mean(),
    color="C1",
    ls="--",
    lw=1,
    label=f"nested CV estimate {outer_rmse.mean():.2f}",
)
ax.set_xticks(folds, [f"fold {k}" for k in folds])
ax.set_ylabel("RMSE (% fat)")
ax.set_title("Model search on Tecator: inner versus outer error")
ax.legend(loc="lower right", fontsize=8)
plt.show()

# %%
# The inner scores are on average lower than the outer ones: that gap is
# the optimism of choosing the best of 45 configurations. Report the nested
# estimate as the expected error of the modelling procedure; then fit the
# search on all the data to get the model you deploy. The winner can differ
# between outer folds: when several preprocessings score alike, the choice
# among them matters less than the error estimate suggests.
