"""ParallelModelSearch: same results as GridSearchCV, less work, clear failures."""

from __future__ import annotations

import os
import pickle
import signal
import threading
import warnings
from collections import Counter

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import BaseEstimator, RegressorMixin, TransformerMixin, clone
from sklearn.cross_decomposition import PLSRegression
from sklearn.exceptions import FitFailedWarning
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.model_selection import GridSearchCV, KFold, cross_val_score
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_nirs import ParallelModelSearch, _parallel, _paths
from sklearn_nirs.datasets import make_nirs_regression
from sklearn_nirs.preprocessing import (
    Detrend,
    SavitzkyGolay,
    StandardNormalVariate,
)

CV = KFold(5, shuffle=True, random_state=0)


@pytest.fixture(scope="module")
def data():
    return make_nirs_regression(60, 40, random_state=0)


def _pipe():
    return Pipeline([("pre", StandardNormalVariate()), ("pls", PLSRegression())])


GRID = {
    "pre": [
        StandardNormalVariate(),
        SavitzkyGolay(window_length=5, deriv=1),
        Detrend(),
    ],
    "pls__n_components": [1, 2, 3, 5, 8],
    "pls__scale": [True, False],
}


def _assert_same_results(search, grid, rtol=1e-12):
    for key, value in grid.cv_results_.items():
        if key.startswith("split") or key.startswith(("mean_test", "std_test")):
            assert_allclose(search.cv_results_[key], value, rtol=rtol, atol=1e-14)
        if key.startswith("rank"):
            assert_array_equal(search.cv_results_[key], value)
    assert search.best_index_ == grid.best_index_
    assert search.best_params_ == grid.best_params_


# ---------------------------------------------------------------------------
# Same results as GridSearchCV
# ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def reference(data):
    X, y = data
    grid = GridSearchCV(_pipe(), GRID, cv=CV, scoring="neg_root_mean_squared_error")
    return grid.fit(X, y)


@pytest.mark.parametrize("backend", ["sequential", "threading", "loky"])
@pytest.mark.parametrize("cache", [True, False])
def test_scores_equal_gridsearchcv(data, reference, cache, backend):
    X, y = data
    grid = reference

    search = ParallelModelSearch(
        [("snv_pls", _pipe(), GRID)],
        cv=CV,
        scoring="neg_root_mean_squared_error",
        cache=cache,
        backend=backend,
        n_jobs=2,
    ).fit(X, y)

    _assert_same_results(search, grid)
    assert search.best_candidate_ == "snv_pls"
    assert search.best_score_ == pytest.approx(grid.best_score_, rel=1e-12)
    assert_allclose(search.predict(X), grid.predict(X), rtol=1e-12)
    assert list(search.cv_results_["candidate"]) == ["snv_pls"] * 30
    assert search.n_splits_ == 5 and search.n_features_in_ == X.shape[1]
    assert search.refit_time_ >= 0


def test_several_candidates_each_match_their_own_gridsearch(data):
    X, y = data
    candidates = {
        "pls": _pipe(),
        "ridge": make_pipeline(StandardNormalVariate(), Ridge()),
    }
    grids = {
        "pls": {"pls__n_components": [2, 4]},
        "ridge": {"ridge__alpha": [0.01, 1.0]},
    }
    search = ParallelModelSearch(
        [(n, e, grids[n]) for n, e in candidates.items()], cv=CV
    ).fit(X, y)

    rows = search.cv_results_["candidate"]
    for name, est in candidates.items():
        grid = GridSearchCV(est, grids[name], cv=CV).fit(X, y)
        mask = rows == name
        assert_allclose(
            search.cv_results_["mean_test_score"][mask],
            grid.cv_results_["mean_test_score"],
            rtol=1e-12,
        )
    best = np.argmax(search.cv_results_["mean_test_score"])
    assert search.best_index_ == best
    assert search.best_candidate_ == rows[best]
    # param_* columns are masked where a candidate lacks the parameter.
    assert search.cv_results_["param_ridge__alpha"].mask.tolist() == [
        True, True, False, False
    ]  # fmt: skip


def test_multimetric_and_train_scores_equal_gridsearchcv(data):
    X, y = data
    scoring = {"r2": "r2", "rmse": "neg_root_mean_squared_error"}
    kwargs = {"cv": CV, "scoring": scoring, "refit": "rmse", "return_train_score": True}
    grid = GridSearchCV(_pipe(), GRID, **kwargs).fit(X, y)
    search = ParallelModelSearch([("p", _pipe(), GRID)], **kwargs).fit(X, y)

    for key in grid.cv_results_:
        if "test_" in key or "train_" in key:
            assert_allclose(search.cv_results_[key], grid.cv_results_[key], rtol=1e-12)
    assert search.multimetric_
    assert set(search.scorer_) == {"r2", "rmse"}
    assert search.best_index_ == grid.best_index_
    assert search.score(X, y) == pytest.approx(grid.score(X, y), rel=1e-12)


def test_multimetric_refit_rules(data):
    X, y = data
    cands = [("p", _pipe(), {"pls__n_components": [1, 3]})]
    with pytest.raises(ValueError, match="refit must be a metric name"):
        ParallelModelSearch(cands, scoring=["r2", "neg_mean_absolute_error"], cv=3).fit(
            X, y
        )

    no_refit = ParallelModelSearch(
        cands, scoring=["r2", "neg_mean_absolute_error"], refit=False, cv=3
    ).fit(X, y)
    assert not hasattr(no_refit, "best_estimator_")
    assert not hasattr(no_refit, "best_index_")
    assert not hasattr(no_refit, "predict")

    def pick_last(results):
        return len(results["params"]) - 1

    by_callable = ParallelModelSearch(
        cands, scoring=["r2", "neg_mean_absolute_error"], refit=pick_last, cv=3
    ).fit(X, y)
    assert by_callable.best_index_ == 1
    assert by_callable.best_params_ == {"pls__n_components": 3}
    assert not hasattr(by_callable, "best_score_")
    assert by_callable.best_estimator_[-1].n_components == 3


def test_single_metric_refit_false_still_names_the_best(data):
    X, y = data
    search = ParallelModelSearch(
        [("p", _pipe(), {"pls__n_components": [1, 4]})], refit=False, cv=3
    ).fit(X, y)
    assert search.best_params_ == {"pls__n_components": 4}
    assert not hasattr(search, "best_estimator_")


def test_classification_matches_gridsearchcv():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(90, 12))
    y = np.array(["a", "b", "c"])[(X[:, 0] + X[:, 1] > 0).astype(int) + (X[:, 2] > 1)]
    est = make_pipeline(StandardScaler(), LogisticRegression(max_iter=500))
    grid_params = {"logisticregression__C": [0.01, 1.0, 100.0]}
    grid = GridSearchCV(est, grid_params, cv=3, scoring="accuracy").fit(X, y)
    search = ParallelModelSearch(
        [("logreg", est, grid_params)], cv=3, scoring="accuracy"
    ).fit(X, y)

    _assert_same_results(search, grid)
    assert_array_equal(search.classes_, grid.classes_)
    assert_allclose(search.predict_proba(X), grid.predict_proba(X))
    assert_allclose(search.decision_function(X), grid.decision_function(X))
    assert_array_equal(search.predict(X), grid.predict(X))
    assert not hasattr(search, "transform")


# ---------------------------------------------------------------------------
# The cache does the work once
# ---------------------------------------------------------------------------

_FITS: Counter = Counter()
_LOCK = threading.Lock()


class CountingScaler(TransformerMixin, BaseEstimator):
    """Scales by ``factor``; counts its fits per factor (thread-safe)."""

    def __init__(self, factor=1.0):
        self.factor = factor

    def fit(self, X, y=None):
        with _LOCK:
            _FITS[self.factor] += 1
        self.n_features_in_ = X.shape[1]
        return self

    def transform(self, X):
        return np.asarray(X) * self.factor


@pytest.fixture
def count_pls_fits(monkeypatch):
    fits = Counter()
    original = PLSRegression.fit

    def counting_fit(self, X, Y):
        with _LOCK:
            fits[self.n_components] += 1
        return original(self, X, Y)

    monkeypatch.setattr(PLSRegression, "fit", counting_fit)
    _FITS.clear()
    return fits


@pytest.mark.parametrize("backend", ["sequential", "threading"])
def test_cache_fits_each_preprocessing_once_per_fold(data, count_pls_fits, backend):
    # 10 preprocessings x 20 PLS sizes x 5 folds = 1,000 GridSearchCV fits.
    X, y = data
    pipe = Pipeline([("pre", CountingScaler()), ("pls", PLSRegression())])
    grid = {
        "pre": [CountingScaler(factor=f) for f in range(1, 11)],
        "pls__n_components": list(range(1, 21)),
    }
    search = ParallelModelSearch(
        [("p", pipe, grid)], cv=CV, refit=False, backend=backend, n_jobs=2
    ).fit(X, y)

    assert len(search.cv_results_["params"]) == 200
    assert dict.fromkeys(range(1, 11), 5) == _FITS  # not 100 each
    assert count_pls_fits == {20: 50}  # one path fit per preprocessing and fold
    reference = GridSearchCV(pipe, grid, cv=CV, refit=False).fit(X, y)
    assert_allclose(
        search.cv_results_["mean_test_score"],
        reference.cv_results_["mean_test_score"],
        rtol=1e-12,
    )


def test_cache_off_fits_everything_separately(data, count_pls_fits):
    X, y = data
    pipe = Pipeline([("pre", CountingScaler()), ("pls", PLSRegression())])
    grid = {"pre": [CountingScaler(factor=2.0)], "pls__n_components": [1, 2, 3]}
    ParallelModelSearch([("p", pipe, grid)], cv=CV, cache=False, refit=False).fit(X, y)
    assert _FITS == {2.0: 15}
    assert count_pls_fits == {1: 5, 2: 5, 3: 5}


def test_prefix_shared_across_candidates_by_value_not_identity(data, count_pls_fits):
    X, y = data
    candidates = {
        # Equal by value, distinct objects, different step names.
        "a": Pipeline([("s", CountingScaler(3.0)), ("pls", PLSRegression(2))]),
        "b": Pipeline([("t", CountingScaler(3.0)), ("r", Ridge())]),
        "c": Pipeline([("s", CountingScaler(4.0)), ("pls", PLSRegression(2))]),
    }
    search = ParallelModelSearch(candidates, cv=CV, refit=False).fit(X, y)
    assert _FITS == {3.0: 5, 4.0: 5}
    reference = [
        cross_val_score(est, X, y, cv=CV).mean() for est in candidates.values()
    ]
    assert_allclose(search.cv_results_["mean_test_score"], reference, rtol=1e-12)


def test_registered_path_evaluator_is_used(data, monkeypatch, count_pls_fits):
    X, y = data
    monkeypatch.setattr(_paths, "_REGISTRY", dict(_paths._REGISTRY))

    class MyPLS(PLSRegression):
        pass

    grid = {"n_components": [1, 2, 3]}
    ParallelModelSearch([("m", MyPLS(), grid)], cv=CV, refit=False).fit(X, y)
    assert count_pls_fits == {1: 5, 2: 5, 3: 5}  # not registered: separate fits

    count_pls_fits.clear()
    _paths.register_path_evaluator(MyPLS, "n_components", _paths.pls_component_path)
    ParallelModelSearch([("m", MyPLS(), grid)], cv=CV, refit=False).fit(X, y)
    assert count_pls_fits == {3: 5}


@pytest.mark.filterwarnings("ignore:One or more of the test scores:UserWarning")
def test_invalid_path_values_fall_back_to_separate_fits(data):
    # 50 components exceed the 40 wavelengths: only those configurations fail.
    X, y = data
    grid = {"pls__n_components": [2, 50]}
    with pytest.warns(FitFailedWarning) as record:
        search = ParallelModelSearch([("p", _pipe(), grid)], cv=CV).fit(X, y)
    message = str(record[0].message)
    assert "candidate 'p' {'pls__n_components': 50}: 5 of 5 folds" in message
    assert "upper bound" in message
    assert "{'pls__n_components': 2}" not in message
    expected = cross_val_score(
        _pipe().set_params(pls__n_components=2), X, y, cv=CV
    ).mean()
    assert search.cv_results_["mean_test_score"][0] == pytest.approx(expected)
    assert np.isnan(search.cv_results_["mean_test_score"][1])


# ---------------------------------------------------------------------------
# Failures
# ---------------------------------------------------------------------------


class FailingRegressor(RegressorMixin, BaseEstimator):
    def __init__(self, fail=False):
        self.fail = fail

    def fit(self, X, y):
        if self.fail:
            raise ValueError("deliberate failure\nsecond line")
        self.mean_ = float(np.mean(y))
        self.n_features_in_ = X.shape[1]
        return self

    def predict(self, X):
        return np.full(len(X), self.mean_)


class FailingTransformer(TransformerMixin, BaseEstimator):
    def fit(self, X, y=None):
        raise RuntimeError("cannot preprocess")

    def transform(self, X):  # pragma: no cover
        return X


def test_failures_are_named_in_one_warning(data):
    X, y = data
    candidates = [
        ("ok", FailingRegressor(), {"fail": [False, True]}),
        (
            "badprep",
            Pipeline([("bad", FailingTransformer()), ("pls", PLSRegression())]),
            {"pls__n_components": [1, 2]},
        ),
    ]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        search = ParallelModelSearch(candidates, cv=CV, scoring="r2").fit(X, y)
    fit_failed = [w for w in caught if issubclass(w.category, FitFailedWarning)]
    assert len(fit_failed) == 1
    text = str(fit_failed[0].message)
    assert "15 of 20 fits failed" in text
    assert "candidate 'ok' {'fail': True}: 5 of 5 folds failed" in text
    assert "ValueError: deliberate failure" in text and "second line" not in text
    for k in (1, 2):
        assert f"candidate 'badprep' {{'pls__n_components': {k}}}" in text
    assert "shared preprocessing failed: RuntimeError: cannot preprocess" in text
    assert "{'fail': False}" not in text
    scores = search.cv_results_["mean_test_score"]
    assert np.isfinite(scores[0]) and np.isnan(scores[1:]).all()
    assert search.best_params_ == {"fail": False}


def test_numeric_error_score_is_used(data):
    X, y = data
    with pytest.warns(FitFailedWarning):
        search = ParallelModelSearch(
            [("m", FailingRegressor(), {"fail": [False, True]})],
            cv=CV,
            error_score=-99.0,
        ).fit(X, y)
    assert_array_equal(search.cv_results_["split0_test_score"][1], -99.0)


def test_all_failing_raises_value_error_with_first_error(data):
    X, y = data
    with pytest.raises(ValueError, match="All 2 configurations failed") as info:
        ParallelModelSearch(
            {"a": FailingRegressor(fail=True), "b": FailingRegressor(fail=True)}, cv=3
        ).fit(X, y)
    assert "candidate 'a' {}" in str(info.value)
    assert "deliberate failure" in str(info.value)


@pytest.mark.parametrize("backend", ["sequential", "loky"])
def test_error_score_raise_names_the_candidate(data, backend):
    X, y = data
    with pytest.raises(ValueError, match=r"candidate 'm' \{'fail': True\}") as info:
        ParallelModelSearch(
            [("m", FailingRegressor(), {"fail": [False, True]})],
            cv=3,
            error_score="raise",
            backend=backend,
            n_jobs=2,
        ).fit(X, y)
    assert isinstance(info.value.__cause__, ValueError)
    assert "deliberate failure" in str(info.value.__cause__)


class SuicidalRegressor(FailingRegressor):
    """Kills its own process when fitted in a process other than the test's."""

    def __init__(self, parent_pid=0):
        self.parent_pid = parent_pid

    def fit(self, X, y):
        if os.getpid() != self.parent_pid:
            os.kill(os.getpid(), signal.SIGKILL)
        return super().fit(X, y)


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX signals")
def test_killed_loky_worker_raises(data):
    X, y = data
    search = ParallelModelSearch(
        [("k", SuicidalRegressor(os.getpid()))], cv=3, backend="loky", n_jobs=2
    )
    with pytest.raises(_parallel.WorkerDiedError):
        search.fit(X, y)


# ---------------------------------------------------------------------------
# Validation
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "candidates, error, match",
    [
        ([], ValueError, "empty"),
        ({}, ValueError, "empty"),
        ([("a", Ridge()), ("a", Ridge())], ValueError, "unique"),
        ([("a__b", Ridge())], ValueError, "__"),
        ([("cv", Ridge())], ValueError, "conflict"),
        ([("a", "not an estimator")], TypeError, "not a scikit-learn estimator"),
        ([("a", Ridge)], TypeError, "instance"),
        ("ridge", TypeError, "candidates must be"),
        ([("a", Ridge(), {"alpah": [1.0]})], ValueError, "does not have.*alpha"),
        (
            [("r", Ridge()), ("c", LogisticRegression())],
            ValueError,
            "same kind",
        ),
    ],
)
def test_bad_candidates_are_refused_at_fit(data, candidates, error, match):
    X, y = data
    search = ParallelModelSearch(candidates)  # __init__ never validates
    with pytest.raises(error, match=match):
        search.fit(X, y)


@pytest.mark.parametrize(
    "params, match",
    [
        ({"error_score": "ignore"}, "error_score"),
        ({"cache": "yes"}, "cache"),
        ({"backend": "nonsense"}, "backend"),
    ],
)
def test_bad_parameters(data, params, match):
    X, y = data
    with pytest.raises((ValueError, TypeError), match=match):
        ParallelModelSearch([("r", Ridge())], cv=3, **params).fit(X, y)


def test_nan_and_inf_input_give_clear_errors(data):
    X, y = data
    X = X.copy()
    X[3, 2] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        ParallelModelSearch([("r", Ridge())], cv=3).fit(X, y)
    X[3, 2] = np.inf
    with pytest.raises(ValueError, match="infinity"):
        ParallelModelSearch([("r", Ridge())], cv=3).fit(X, y)


# ---------------------------------------------------------------------------
# scikit-learn integration
# ---------------------------------------------------------------------------


def test_candidate_forms_and_nested_params():
    search = ParallelModelSearch([Ridge(), Ridge(), PLSRegression()])
    params = search.get_params()
    assert {"ridge-1", "ridge-2", "plsregression"} <= set(params)
    assert params["plsregression__n_components"] == 2

    pipes = ParallelModelSearch({"snv_pls": _pipe()})
    pipes.set_params(snv_pls__pls__n_components=7)
    assert pipes.candidates["snv_pls"].named_steps["pls"].n_components == 7
    original = pipes.candidates
    pipes.set_params(snv_pls=Ridge())
    assert isinstance(pipes.candidates["snv_pls"], Ridge)
    assert isinstance(original["snv_pls"], Pipeline)  # a new dict, not a mutation

    grids = ParallelModelSearch([("r", Ridge(), {"alpha": [1.0]})])
    grids.set_params(r=Ridge(alpha=3.0))
    assert grids.candidates[0][2] == {"alpha": [1.0]}
    assert grids.get_params()["r__alpha"] == 3.0


def test_clone_and_pickle_of_fitted_search(data):
    X, y = data
    search = ParallelModelSearch(
        [("p", _pipe(), {"pls__n_components": [1, 3]})], cv=3
    ).fit(X, y)
    restored = pickle.loads(pickle.dumps(search))
    assert_allclose(restored.predict(X), search.predict(X))
    assert restored.best_params_ == search.best_params_
    fresh = clone(search)
    assert not hasattr(fresh, "cv_results_")
    assert fresh.get_params()["p__pls__n_components"] == 2


def test_nested_cross_validation(data):
    X, y = data
    search = ParallelModelSearch([("p", _pipe(), {"pls__n_components": [1, 3]})], cv=3)
    scores = cross_val_score(search, X, y, cv=3)
    assert scores.shape == (3,) and np.isfinite(scores).all()


def test_inside_a_pipeline(data):
    X, y = data
    search = ParallelModelSearch({"pls": PLSRegression(3), "ridge": Ridge()}, cv=3)
    pipe = make_pipeline(StandardNormalVariate(), search).fit(X, y)
    assert pipe.predict(X).shape == y.shape
    assert pipe[-1].best_candidate_ in {"pls", "ridge"}


def test_wrapped_by_gridsearchcv(data):
    X, y = data
    inner = ParallelModelSearch([("p", _pipe(), {"pls__n_components": [1, 3]})], cv=3)
    outer = GridSearchCV(
        inner, {"cv": [2, 3], "p__pls__scale": [True, False]}, cv=3
    ).fit(X, y)
    assert set(outer.best_params_) == {"cv", "p__pls__scale"}
    assert len(outer.cv_results_["params"]) == 4


def test_cv_results_to_dataframe_and_groups(data):
    pd = pytest.importorskip("pandas")
    from sklearn.model_selection import GroupKFold

    X, y = data
    groups = np.repeat(np.arange(20), 3)
    search = ParallelModelSearch(
        [("p", _pipe(), {"pls__n_components": [1, 2]})], cv=GroupKFold(4)
    ).fit(X, y, groups=groups)
    frame = pd.DataFrame(search.cv_results_)
    assert {"candidate", "mean_fit_time", "rank_test_score"} <= set(frame.columns)
    assert (frame["mean_fit_time"] > 0).all()
    reference = GridSearchCV(_pipe(), {"pls__n_components": [1, 2]}, cv=GroupKFold(4))
    reference.fit(X, y, groups=groups)
    assert_allclose(frame["mean_test_score"], reference.cv_results_["mean_test_score"])


def test_dataframe_input_keeps_feature_names_and_float32(data):
    pd = pytest.importorskip("pandas")
    X, y = data
    frame = pd.DataFrame(X.astype(np.float32), columns=[f"w{i}" for i in range(40)])
    search = ParallelModelSearch({"pls": PLSRegression(2)}, cv=3).fit(frame, y)
    assert list(search.feature_names_in_) == list(frame.columns)
    assert search.predict(frame).shape == y.shape
    with pytest.raises(ValueError, match="feature names"):
        search.predict(frame.rename(columns={"w0": "other"}))


def test_verbose_and_progress(data, capsys):
    pytest.importorskip("tqdm")
    X, y = data
    ParallelModelSearch(
        [("p", _pipe(), {"pls__n_components": [1, 2]})],
        cv=3,
        verbose=1,
        progress=True,
    ).fit(X, y)
    out = capsys.readouterr().out
    assert "Fitting 3 folds for each of 2 configurations" in out
    assert "1 shared preprocessing" in out


def test_auto_backend_is_sequential_for_tiny_work(data):
    X, y = data
    search = ParallelModelSearch({"r": Ridge()}, cv=3, n_jobs=2).fit(X, y)
    assert search.backend_.name == "sequential"


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.filterwarnings("ignore::UserWarning")
def test_dask_local_cluster_matches_sequential(data):
    distributed = pytest.importorskip("distributed")
    from joblib import parallel_config

    X, y = data
    cands = [("p", _pipe(), {"pls__n_components": [1, 2, 4]}), ("r", Ridge())]
    expected = ParallelModelSearch(cands, cv=CV, backend="sequential").fit(X, y)
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster),
        parallel_config(backend="dask"),
    ):
        search = ParallelModelSearch(cands, cv=CV, n_jobs=2).fit(X, y)
    assert search.backend_.name == "dask"
    assert_allclose(
        search.cv_results_["mean_test_score"],
        expected.cv_results_["mean_test_score"],
        rtol=1e-12,
    )
