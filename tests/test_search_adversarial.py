"""ParallelModelSearch against hostile input: shared data, odd grids, prefix trees."""

from __future__ import annotations

import threading
import warnings
from collections import Counter

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import BaseEstimator, RegressorMixin, TransformerMixin, clone
from sklearn.cross_decomposition import CCA, PLSCanonical, PLSRegression
from sklearn.exceptions import FitFailedWarning
from sklearn.linear_model import Ridge
from sklearn.model_selection import GridSearchCV, KFold, cross_val_score
from sklearn.pipeline import Pipeline

from sklearn_nirs import ParallelModelSearch
from sklearn_nirs.datasets import make_nirs_regression
from sklearn_nirs.preprocessing import (
    Detrend,
    MultiplicativeScatterCorrection,
    SavitzkyGolay,
    StandardNormalVariate,
)

CV = KFold(5, shuffle=True, random_state=0)


@pytest.fixture
def data():
    # Function scope: a test that mutated it would not hide in the others.
    return make_nirs_regression(60, 40, random_state=0)


def _separate_scores(estimator, X, y, *, train=False):
    """Per-fold R2 of fresh fits on fresh copies: the independent reference."""
    out = []
    for tr, te in CV.split(X):
        model = clone(estimator).fit(X[tr].copy(), y[tr].copy())
        rows = tr if train else te
        out.append(model.score(X[rows].copy(), y[rows].copy()))
    return np.array(out)


# ---------------------------------------------------------------------------
# Models that write into their input must not corrupt the shared data
# ---------------------------------------------------------------------------


def test_copy_false_models_see_clean_shared_data(data):
    X, y = data
    X_before, y_before = X.copy(), y.copy()
    snv_pls = Pipeline(
        [("snv", StandardNormalVariate()), ("pls", PLSRegression(copy=False))]
    )
    snv_ridge = Pipeline([("snv", StandardNormalVariate()), ("r", Ridge(copy_X=False))])
    search = ParallelModelSearch(
        [
            ("pls", snv_pls, {"pls__n_components": [1, 2, 4]}),
            ("ridge", snv_ridge),
            ("bare", PLSRegression(copy=False), {"n_components": [1, 3]}),
        ],
        cv=CV,
        return_train_score=True,
    ).fit(X, y)

    expected = [clone(snv_pls).set_params(pls__n_components=k) for k in (1, 2, 4)]
    expected += [snv_ridge]
    expected += [PLSRegression(n_components=k, copy=False) for k in (1, 3)]
    for row, est in enumerate(expected):
        for k, score in enumerate(_separate_scores(est, X_before, y_before)):
            assert search.cv_results_[f"split{k}_test_score"][row] == pytest.approx(
                score, rel=1e-12
            )
        train = _separate_scores(est, X_before, y_before, train=True)
        assert_allclose(search.cv_results_["mean_train_score"][row], train.mean())
    # Neither the refit nor predict wrote into the caller's arrays.
    search.predict(X)
    search.score(X, y)
    assert_array_equal(X, X_before)
    assert_array_equal(y, y_before)


class InPlaceCentring(TransformerMixin, BaseEstimator):
    """Third-party style: writes into its input without any copy logic."""

    def fit(self, X, y=None):
        self.mean_ = X.mean(axis=0)
        return self

    def transform(self, X):
        X = np.asarray(X)
        X -= self.mean_
        return X


class InPlaceRegressor(RegressorMixin, BaseEstimator):
    """Least squares on centred columns, centring X in place."""

    def __init__(self, alpha=1.0):
        self.alpha = alpha

    def fit(self, X, y):
        X = np.asarray(X)
        self.mean_ = X.mean(axis=0)
        X -= self.mean_
        gram = X.T @ X + self.alpha * np.eye(X.shape[1])
        self.coef_ = np.linalg.solve(gram, X.T @ (y - y.mean()))
        self.intercept_ = y.mean()
        return self

    def predict(self, X):
        X = np.asarray(X)
        X -= self.mean_
        return X @ self.coef_ + self.intercept_


def test_in_place_third_party_estimators_are_given_private_copies(data):
    X, y = data
    X_before = X.copy()
    pipe = Pipeline(
        [
            ("snv", StandardNormalVariate()),
            ("centre", InPlaceCentring()),
            ("m", InPlaceRegressor()),
        ]
    )
    candidates = [
        ("a", pipe, {"m__alpha": [0.1, 1.0, 10.0]}),
        ("b", Pipeline([("snv", StandardNormalVariate()), ("m", InPlaceRegressor())])),
    ]
    with warnings.catch_warnings():
        warnings.simplefilter("error", FitFailedWarning)
        search = ParallelModelSearch(candidates, cv=CV).fit(X, y)
    expected = [
        _separate_scores(clone(pipe).set_params(m__alpha=a), X_before, y).mean()
        for a in (0.1, 1.0, 10.0)
    ]
    expected.append(_separate_scores(candidates[1][1], X_before, y).mean())
    assert_allclose(search.cv_results_["mean_test_score"], expected, rtol=1e-12)
    search.predict(X)
    assert_array_equal(X, X_before)


# ---------------------------------------------------------------------------
# Prefix tree: a shared first step is fitted once per fold
# ---------------------------------------------------------------------------

_FITS: Counter = Counter()
_LOCK = threading.Lock()


class Counted(TransformerMixin, BaseEstimator):
    """Adds ``shift``; counts fits per (label, shift)."""

    def __init__(self, label="a", shift=0.0):
        self.label = label
        self.shift = shift

    def fit(self, X, y=None):
        with _LOCK:
            _FITS[(self.label, self.shift)] += 1
        self.n_features_in_ = X.shape[1]
        return self

    def transform(self, X):
        return np.asarray(X) + self.shift


@pytest.fixture
def counts(monkeypatch):
    _FITS.clear()
    pls_fits = Counter()
    original = PLSRegression.fit

    def counting_fit(self, X, Y):
        with _LOCK:
            pls_fits[self.n_components] += 1
        return original(self, X, Y)

    monkeypatch.setattr(PLSRegression, "fit", counting_fit)
    return pls_fits


@pytest.mark.parametrize("backend", ["sequential", "threading"])
def test_partial_prefixes_are_fitted_once_per_fold(data, counts, backend):
    X, y = data
    pipe = Pipeline(
        [("first", Counted()), ("second", Counted("b")), ("pls", PLSRegression())]
    )
    grid = {
        "second__shift": [0.0, 1.0, 2.0],
        "pls__n_components": [1, 2, 3, 4],
    }
    short = Pipeline([("x", Counted()), ("r", Ridge())])  # the first step alone
    other = Pipeline([("x", Counted(shift=5.0)), ("r", Ridge())])
    search = ParallelModelSearch(
        [("deep", pipe, grid), ("short", short), ("other", other)],
        cv=CV,
        refit=False,
        backend=backend,
        n_jobs=2,
    ).fit(X, y)

    # 5 folds: the shared first step once per fold, not 13 times.
    assert _FITS == {
        ("a", 0.0): 5,
        ("b", 0.0): 5,
        ("b", 1.0): 5,
        ("b", 2.0): 5,
        ("a", 5.0): 5,
    }
    assert counts == {4: 15}  # one PLS path per second step and fold
    reference = GridSearchCV(pipe, grid, cv=CV, refit=False).fit(X, y)
    assert_allclose(
        search.cv_results_["mean_test_score"][:12],
        reference.cv_results_["mean_test_score"],
        rtol=1e-12,
    )
    for row, est in ((12, short), (13, other)):
        assert search.cv_results_["mean_test_score"][row] == pytest.approx(
            cross_val_score(est, X, y, cv=CV).mean(), rel=1e-12
        )


def test_partial_prefix_equal_with_cache_off(data):
    X, y = data
    snv = StandardNormalVariate()
    candidates = [
        (
            "snv_sg",
            Pipeline(
                [
                    ("snv", snv),
                    ("sg", SavitzkyGolay(window_length=7)),
                    ("p", PLSRegression()),
                ]
            ),
            {"sg__deriv": [0, 1], "p__n_components": [1, 3, 5]},
        ),
        (
            "snv_detrend",
            Pipeline([("snv", snv), ("d", Detrend()), ("p", PLSRegression())]),
            {"p__n_components": [2, 4]},
        ),
        ("snv", Pipeline([("snv", snv), ("r", Ridge())]), {"r__alpha": [0.1, 1.0]}),
    ]
    kwargs = {
        "cv": CV,
        "scoring": ["r2", "neg_mean_squared_error"],
        "refit": "r2",
        "return_train_score": True,
    }
    on = ParallelModelSearch(candidates, **kwargs).fit(X, y)
    off = ParallelModelSearch(candidates, cache=False, **kwargs).fit(X, y)
    for key, value in off.cv_results_.items():
        if "_test_" in key or "_train_" in key:
            assert_allclose(on.cv_results_[key], value, rtol=1e-12, atol=1e-15)
    assert on.best_index_ == off.best_index_


class FailsWithoutMarker(TransformerMixin, BaseEstimator):
    """Fails to fit when the training targets lack ``marker``."""

    def __init__(self, marker=0.0):
        self.marker = marker

    def fit(self, X, y=None):
        if not np.any(y == self.marker):
            raise RuntimeError("needs the marked sample")
        self.n_features_in_ = X.shape[1]
        return self

    def transform(self, X):
        return np.asarray(X)


@pytest.mark.filterwarnings("ignore:One or more of the test scores:UserWarning")
def test_failing_inner_node_names_only_its_configurations(data):
    X, y = data
    cv = KFold(5)  # sample 0 is in the test part of fold 0 only
    snv = StandardNormalVariate()
    bad = FailsWithoutMarker(marker=y[0])
    candidates = [
        (
            "bad",
            Pipeline([("snv", snv), ("f", bad), ("p", PLSRegression())]),
            {"p__n_components": [1, 2]},
        ),
        ("good", Pipeline([("snv", snv), ("p", PLSRegression())])),
    ]
    with pytest.warns(FitFailedWarning) as record:
        search = ParallelModelSearch(candidates, cv=cv).fit(X, y)
    text = str(record[0].message)
    assert "2 of 15 fits failed" in text
    for k in (1, 2):
        assert (
            f"candidate 'bad' {{'p__n_components': {k}}}: 1 of 5 folds failed "
            "(fold(s) [0]): its shared preprocessing failed: RuntimeError: needs "
            "the marked sample"
        ) in text
    assert "'good'" not in text
    assert np.isnan(search.cv_results_["split0_test_score"][:2]).all()
    assert np.isfinite(search.cv_results_["split1_test_score"]).all()
    assert search.cv_results_["mean_test_score"][2] == pytest.approx(
        cross_val_score(candidates[1][1], X, y, cv=cv).mean(), rel=1e-12
    )


def test_array_parameters_share_by_value(data, counts):
    X, y = data
    reference = X[:10].mean(axis=0)

    def msc_pipe(ref, final):
        return Pipeline(
            [
                ("msc", MultiplicativeScatterCorrection(reference=ref)),
                ("c", Counted()),
                ("m", final),
            ]
        )

    candidates = {
        "a": msc_pipe(reference, PLSRegression(2)),
        "b": msc_pipe(reference.copy(), Ridge()),  # equal by value: shared
        "c": msc_pipe(reference + 1.0, Ridge()),  # not equal
    }
    search = ParallelModelSearch(candidates, cv=CV, refit=False).fit(X, y)
    # The step after MSC is fitted once per fold under each distinct MSC.
    assert _FITS == {("a", 0.0): 10}
    expected = [cross_val_score(e, X, y, cv=CV).mean() for e in candidates.values()]
    assert_allclose(search.cv_results_["mean_test_score"], expected, rtol=1e-12)


# ---------------------------------------------------------------------------
# Component paths: only where provably equal to separate fits
# ---------------------------------------------------------------------------


@pytest.mark.filterwarnings("ignore:One or more of the test scores:UserWarning")
def test_invalid_component_counts_fail_like_separate_fits(data, counts):
    X, y = data
    grid = {"n_components": [0, 2.0, True, 3, 4]}
    with pytest.warns(FitFailedWarning) as record:
        search = ParallelModelSearch([("p", PLSRegression(), grid)], cv=CV).fit(X, y)
    # One path per fold (plus the refit); the invalid values are fitted alone
    # and fail there, with PLSRegression's own error.
    assert counts == {4: 5 + 1, 0: 5, 2: 5, 1: 5}  # 2.0 == 2, True == 1
    assert "15 of 25 fits failed" in str(record[0].message)
    scores = search.cv_results_["mean_test_score"]
    assert np.isnan(scores[:3]).all()
    for row, k in ((3, 3), (4, 4)):
        assert scores[row] == pytest.approx(
            cross_val_score(PLSRegression(k), X, y, cv=CV).mean(), rel=1e-12
        )


@pytest.mark.filterwarnings("ignore:Maximum number of iterations")
@pytest.mark.parametrize(
    "params",
    [
        {"scale": True, "max_iter": 3, "tol": 1e-2},
        {"scale": False, "max_iter": 500, "tol": 1e-10},
    ],
)
def test_path_with_non_default_params_and_multi_target(data, params):
    X, y = data
    rng = np.random.default_rng(0)
    Y = np.column_stack([y, y**2 + rng.normal(size=len(y)), rng.normal(size=len(y))])
    pipe = Pipeline(
        [("snv", StandardNormalVariate()), ("pls", PLSRegression(copy=False, **params))]
    )
    grid = {"pls__n_components": list(range(1, 9))}
    search = ParallelModelSearch(
        [("p", pipe, grid)], cv=CV, return_train_score=True
    ).fit(X, Y)
    reference = GridSearchCV(pipe, grid, cv=CV).fit(X.copy(), Y.copy())
    assert_allclose(
        search.cv_results_["mean_test_score"],
        reference.cv_results_["mean_test_score"],
        rtol=1e-10,
    )
    for k in (1, 5, 8):
        est = clone(pipe).set_params(pls__n_components=k)
        train = _separate_scores(est, X, Y, train=True)
        assert search.cv_results_["mean_train_score"][k - 1] == pytest.approx(
            train.mean(), rel=1e-10
        )


@pytest.mark.parametrize("cls", [PLSCanonical, CCA])
def test_other_cross_decompositions_are_fitted_separately(data, cls, monkeypatch):
    X, y = data
    Y = np.column_stack([y, X[:, 0] + y])
    fits = Counter()
    original = cls.fit

    def counting_fit(self, X, Y):
        fits[self.n_components] += 1
        return original(self, X, Y)

    monkeypatch.setattr(cls, "fit", counting_fit)
    grid = {"n_components": [1, 2]}
    search = ParallelModelSearch([("m", cls(), grid)], cv=CV, refit=False).fit(X, Y)
    assert fits == {1: 5, 2: 5}
    reference = GridSearchCV(cls(), grid, cv=CV, refit=False).fit(X, Y)
    assert_allclose(
        search.cv_results_["mean_test_score"],
        reference.cv_results_["mean_test_score"],
        rtol=1e-12,
    )


def test_subclass_overriding_fit_is_not_a_path(data, counts):
    X, y = data

    class Shrunk(PLSRegression):
        def fit(self, X, Y):
            super().fit(X, Y)
            self.coef_ = self.coef_ * 0.5
            return self

    grid = {"n_components": [1, 2, 3]}
    search = ParallelModelSearch([("s", Shrunk(), grid)], cv=CV, refit=False).fit(X, y)
    assert counts == {1: 5, 2: 5, 3: 5}
    expected = [cross_val_score(Shrunk(k), X, y, cv=CV).mean() for k in (1, 2, 3)]
    assert_allclose(search.cv_results_["mean_test_score"], expected, rtol=1e-12)


# ---------------------------------------------------------------------------
# Candidates and grids
# ---------------------------------------------------------------------------


def test_grid_may_set_a_step_and_its_parameters(data):
    X, y = data
    pipe = Pipeline([("pre", StandardNormalVariate()), ("pls", PLSRegression())])
    grid = [
        {"pre": [StandardNormalVariate()]},
        {"pre": [SavitzkyGolay(window_length=7)], "pre__deriv": [0, 1]},
    ]
    search = ParallelModelSearch([("p", pipe, grid)], cv=CV).fit(X, y)
    reference = GridSearchCV(pipe, grid, cv=CV).fit(X, y)
    assert_allclose(
        search.cv_results_["mean_test_score"],
        reference.cv_results_["mean_test_score"],
        rtol=1e-12,
    )
    with pytest.raises(ValueError, match=r"'p'.*pre__nope"):
        ParallelModelSearch(
            [("p", pipe, {"pre": [Detrend()], "pre__nope": [1]})], cv=3
        ).fit(X, y)


@pytest.mark.parametrize(
    "candidates, error, match",
    [
        ([("p", Ridge(), [])], ValueError, "empty list"),
        ({1: Ridge()}, TypeError, "names must be strings"),
        ([("r", Ridge(), {"alpha": []})], ValueError, "non-empty"),
        ([("r", Ridge(), {"alpha": 1.0})], TypeError, "candidate 'r'"),
    ],
)
def test_more_bad_candidates(data, candidates, error, match):
    X, y = data
    with pytest.raises(error, match=match):
        ParallelModelSearch(candidates, cv=3).fit(X, y)


class UntypedRegressor(BaseEstimator):
    """A regressor without RegressorMixin: no declared estimator type."""

    def fit(self, X, y):
        self.mean_ = float(np.mean(y))
        return self

    def predict(self, X):
        return np.full(len(X), self.mean_)

    def score(self, X, y):
        return -float(np.mean((self.predict(X) - y) ** 2))


def test_estimator_without_declared_kind_mixes_with_regressors(data):
    X, y = data
    search = ParallelModelSearch(
        {"u": UntypedRegressor(), "r": Ridge()}, cv=3, scoring="r2"
    ).fit(X, y)
    assert search.__sklearn_tags__().estimator_type == "regressor"
    assert search.best_candidate_ == "r"


def test_loky_with_a_lambda_scorer_and_a_local_estimator(data):
    X, y = data

    class LocalMean(RegressorMixin, BaseEstimator):  # defined here: by value
        def __init__(self, shift=0.0):
            self.shift = shift

        def fit(self, X, y):
            self.mean_ = float(np.mean(y)) + self.shift
            return self

        def predict(self, X):
            return np.full(len(X), self.mean_)

    def neg_mae(est, X, y):
        return -float(np.mean(np.abs(est.predict(X) - y)))

    search = ParallelModelSearch(
        [("m", LocalMean(), {"shift": [0.0, 0.5]})],
        cv=CV,
        scoring=lambda est, X, y: neg_mae(est, X, y),
        backend="loky",
        n_jobs=2,
    ).fit(X, y)
    expected = [
        cross_val_score(LocalMean(s), X, y, cv=CV, scoring=neg_mae).mean()
        for s in (0.0, 0.5)
    ]
    assert_allclose(search.cv_results_["mean_test_score"], expected, rtol=1e-12)
    assert search.backend_.name == "loky"
