"""Tests of ParallelFeatureAugmentation.

The reference is always each transformer fitted alone on the whole array and
the outputs concatenated with ``np.hstack``: computed here, independently of
the code under test.
"""

from __future__ import annotations

import os
import pickle
import time

import joblib
import numpy as np
import pytest
from sklearn.base import BaseEstimator, TransformerMixin, clone
from sklearn.cross_decomposition import PLSRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler

from sklearn_nirs import ParallelFeatureAugmentation
from sklearn_nirs import augmentation as aug_module
from sklearn_nirs._parallel import WorkerDiedError
from sklearn_nirs.preprocessing import (
    Detrend,
    MultiplicativeScatterCorrection,
    SavitzkyGolay,
    StandardNormalVariate,
)

RNG = np.random.default_rng(0)
WAVES = np.linspace(0, 1, 60)
# Smooth spectra with scatter (offset, slope, gain): small so loky stays cheap.
X = (
    np.exp(-((WAVES - 0.4) ** 2) / 0.02)[None, :] * RNG.uniform(0.5, 1.5, (80, 1))
    + RNG.normal(0, 0.1, (80, 1))
    + RNG.normal(0, 0.1, (80, 1)) * WAVES
    + RNG.normal(0, 1e-3, (80, 60))
)
Y = X[:, 20] * 3 + RNG.normal(0, 0.01, 80)


def _transformers():
    return [
        ("snv", StandardNormalVariate()),
        ("msc", MultiplicativeScatterCorrection()),
        ("sg1", SavitzkyGolay(window_length=7, polyorder=2, deriv=1)),
        ("detrend", Detrend()),
        ("scale", StandardScaler()),
        ("raw", "passthrough"),
        ("gone", "drop"),
    ]


def _reference(X_fit, X_new=None):
    X_new = X_fit if X_new is None else X_new
    blocks = []
    for _, t in _transformers():
        if t == "drop":
            continue
        if t == "passthrough":
            blocks.append(X_new)
        else:
            blocks.append(clone(t).fit(X_fit).transform(X_new))
    return np.hstack(blocks)


@pytest.fixture
def small_blocks(monkeypatch):
    # Tiny row blocks, so even this small X is split into several per
    # transformer at transform.
    monkeypatch.setattr(aug_module, "_MIN_TASK_VALUES", 600)


@pytest.mark.parametrize("layout", ["concat", "stack"])
@pytest.mark.parametrize("n_jobs", [1, 2, -1])
@pytest.mark.parametrize(
    "backend", ["sequential", "threading", "loky", "multiprocessing"]
)
def test_equivalent_to_each_transformer_alone(backend, n_jobs, layout, small_blocks):
    ref = _reference(X[:50], X)
    ref_train = _reference(X[:50])
    aug = ParallelFeatureAugmentation(
        _transformers(), layout=layout, backend=backend, n_jobs=n_jobs
    )
    train = aug.fit_transform(X[:50])
    out = aug.transform(X)
    out_again = aug.transform(X)
    if layout == "stack":
        assert out.shape == (80, 6, 60)
        out, train, out_again = (
            a.reshape(a.shape[0], -1) for a in (out, train, out_again)
        )
    np.testing.assert_allclose(train, ref_train, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(out, ref, rtol=1e-12, atol=1e-14)
    np.testing.assert_array_equal(out, out_again)  # bit for bit
    refit = aug.fit(X[:50]).transform(X)
    refit = refit.reshape(80, -1)
    np.testing.assert_allclose(refit, ref, rtol=1e-12, atol=1e-14)
    expected = "sequential" if n_jobs == 1 or backend == "sequential" else backend
    assert aug.backend_.name == expected


def test_row_blocks_are_used_and_bit_identical(small_blocks):
    aug = ParallelFeatureAugmentation(_transformers(), backend="threading", n_jobs=2)
    aug.fit(X)
    blocks = aug._plan_blocks(80, 60, 2, sequential=False)
    assert max(blocks.values()) > 1  # the split really happens
    first = aug.transform(X)
    np.testing.assert_array_equal(first, aug.transform(X))
    seq = clone(aug).set_params(backend="sequential").fit(X).transform(X)
    np.testing.assert_allclose(first, seq, rtol=1e-12, atol=1e-14)


def test_fitted_attributes_and_parameter_untouched():
    transformers = _transformers()
    aug = ParallelFeatureAugmentation(transformers).fit(X)
    # the parameter is the same list of the same, unfitted, objects
    assert aug.transformers is transformers
    assert not hasattr(transformers[0][1], "n_features_in_")
    names = [n for n, _ in aug.transformers_]
    assert names == ["snv", "msc", "sg1", "detrend", "scale", "raw"]
    assert aug.transformers_[0][1] is not transformers[0][1]
    assert aug.named_transformers_.snv is aug.transformers_[0][1]
    assert aug.named_transformers_["raw"] == "passthrough"
    assert aug.output_slices_["msc"] == slice(60, 120)
    assert aug.output_slices_["raw"] == slice(300, 360)
    assert set(aug.timings_) == set(names)
    assert aug.n_features_in_ == 60
    assert aug.backend_.name == "sequential"
    assert aug.backend_reason_ == aug.backend_.reason


def test_fit_transform_is_one_pass():
    class Counting(TransformerMixin, BaseEstimator):
        def fit(self, X, y=None):
            raise AssertionError("fit_transform must not call fit then transform")

        def transform(self, X):
            return X * 2

        def fit_transform(self, X, y=None):
            Counting.calls += 1
            return X * 2

    Counting.calls = 0
    aug = ParallelFeatureAugmentation(
        [("c", Counting())], backend="threading", n_jobs=2
    )
    np.testing.assert_array_equal(aug.fit_transform(X), X * 2)
    assert Counting.calls == 1


def test_unnamed_transformers_are_named_like_make_union():
    aug = ParallelFeatureAugmentation(
        [StandardScaler(), StandardScaler(), StandardNormalVariate(), "passthrough"]
    ).fit(X)
    names = [n for n, _ in aug.transformers_]
    assert names == [
        "standardscaler-1",
        "standardscaler-2",
        "standardnormalvariate",
        "passthrough",
    ]
    params = aug.get_params()
    assert params["standardnormalvariate__ddof"] == 1
    aug.set_params(standardnormalvariate__ddof=0)
    assert aug.transformers[2].ddof == 0


def test_get_params_and_set_params_both_ways():
    aug = ParallelFeatureAugmentation(_transformers())
    params = aug.get_params(deep=True)
    assert params["snv__ddof"] == 1
    assert params["sg1__window_length"] == 7
    assert params["raw"] == "passthrough"
    aug.set_params(sg1__window_length=15)
    assert aug.transformers[2][1].window_length == 15
    aug.set_params(snv=Detrend(degree=2), raw="drop")
    assert isinstance(aug.get_params()["snv"], Detrend)
    assert aug.get_params()["snv__degree"] == 2
    out = aug.fit_transform(X)
    assert out.shape == (80, 5 * 60)
    np.testing.assert_allclose(
        out[:, :60], Detrend(degree=2).fit_transform(X), rtol=1e-12
    )


def test_clone_and_pickle():
    aug = ParallelFeatureAugmentation(_transformers(), n_jobs=2).fit(X)
    copy = clone(aug)
    assert not hasattr(copy, "transformers_")
    assert copy.get_params()["sg1__window_length"] == 7
    restored = pickle.loads(pickle.dumps(aug))
    np.testing.assert_array_equal(restored.transform(X), aug.transform(X))


def test_set_output_pandas_and_feature_names():
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame(X, columns=[f"nm{w}" for w in range(1100, 1160)])
    aug = ParallelFeatureAugmentation(_transformers()).set_output(transform="pandas")
    out = aug.fit_transform(frame)
    assert isinstance(out, pd.DataFrame)
    assert list(out.columns[:2]) == ["snv__nm1100", "snv__nm1101"]
    assert list(out.columns[-1:]) == ["raw__nm1159"]
    np.testing.assert_array_equal(aug.feature_names_in_, frame.columns)
    # a frame arrives column-major: sums run in another order (last-bit changes)
    np.testing.assert_allclose(out.to_numpy(), _reference(X), rtol=1e-12, atol=1e-14)
    np.testing.assert_array_equal(out.columns, aug.get_feature_names_out())


def test_stack_layout_rules():
    pd = pytest.importorskip("pandas")
    aug = ParallelFeatureAugmentation(
        [("snv", StandardNormalVariate()), ("d", FunctionTransformer(np.diff))],
        layout="stack",
    )
    with pytest.raises(ValueError, match=r"same number of columns.*snv: 60, d: 59"):
        aug.fit(X)
    aug.set_params(d=StandardScaler())
    assert aug.fit_transform(X).shape == (80, 2, 60)
    assert aug.get_feature_names_out().shape == (120,)
    aug.set_output(transform="pandas")
    with pytest.raises(ValueError, match=r"3-D.*cannot be a pandas DataFrame"):
        aug.transform(X)
    with pytest.raises(ValueError, match="3-D"):
        aug.fit(X)
    assert pd is not None


def test_float32_kept_and_read_only_memmap_input(tmp_path):
    X32 = X.astype(np.float32)
    path = tmp_path / "spectra.npy"
    np.save(path, X32)
    mm = np.load(path, mmap_mode="r")
    aug = ParallelFeatureAugmentation(
        [
            ("snv", StandardNormalVariate()),
            ("sg", SavitzkyGolay(window_length=7)),
            "passthrough",
        ],
        backend="threading",
        n_jobs=2,
    )
    out = aug.fit_transform(mm)
    assert out.dtype == np.float32
    assert aug.transform(mm).dtype == np.float32
    np.testing.assert_array_equal(np.load(path), X32)  # untouched
    # float64 at transform follows the input
    assert aug.transform(X).dtype == np.float64


def test_inside_pipeline_and_grid_search_over_nested_parameter():
    pipe = Pipeline(
        [
            (
                "augment",
                ParallelFeatureAugmentation(
                    [
                        ("snv", StandardNormalVariate()),
                        ("sg", SavitzkyGolay(window_length=5, polyorder=2, deriv=1)),
                    ]
                ),
            ),
            ("pls", PLSRegression(n_components=2)),
        ]
    )
    search = GridSearchCV(
        pipe, {"augment__sg__window_length": [5, 9]}, cv=3, n_jobs=2
    ).fit(X, Y)
    assert search.best_params_["augment__sg__window_length"] in (5, 9)
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()
    best = search.best_estimator_.named_steps["augment"]
    assert (
        best.named_transformers_.sg.window_length
        == search.best_params_["augment__sg__window_length"]
    )


def test_nested_in_joblib_worker_runs_sequentially():
    def fit_one(aug):
        return aug.fit(X).backend_

    augs = [
        ParallelFeatureAugmentation(_transformers(), n_jobs=2, backend="threading")
        for _ in range(2)
    ]
    choices = joblib.Parallel(n_jobs=2, backend="threading")(
        joblib.delayed(fit_one)(a) for a in augs
    )
    assert all(c.name == "sequential" and "nested" in c.reason for c in choices)


# -- errors ---------------------------------------------------------------


@pytest.mark.parametrize(
    "transformers, error, match",
    [
        ([], ValueError, "at least one transformer"),
        ("snv", TypeError, "must be a list"),
        ([("a", StandardScaler()), ("a", Detrend())], ValueError, "not unique"),
        ([("a__b", StandardScaler())], ValueError, "must not contain __"),
        ([("n_jobs", StandardScaler())], ValueError, "conflict"),
        ([("x", object())], TypeError, r"'x' \(index 0\).*not a transformer"),
        ([("x", StandardScaler)], TypeError, "pass an instance"),
        ([("x", "keep")], ValueError, "'passthrough' and 'drop'"),
        ([("x", "drop")], ValueError, "every transformer is 'drop'"),
    ],
)
def test_bad_transformers_fail_in_fit_not_init(transformers, error, match):
    aug = ParallelFeatureAugmentation(transformers)  # __init__ never validates
    with pytest.raises(error, match=match):
        aug.fit(X)


@pytest.mark.parametrize(
    "param, value, match",
    [
        ("layout", "cube", "layout"),
        ("backend", "nope", "backend"),
        ("n_jobs", 0, "n_jobs"),
        ("progress", "yes", "progress"),
    ],
)
def test_bad_parameters(param, value, match):
    aug = ParallelFeatureAugmentation(_transformers(), **{param: value})
    with pytest.raises((ValueError, TypeError), match=match):
        aug.fit(X)


def test_bad_input():
    aug = ParallelFeatureAugmentation(_transformers())
    bad = X.copy()
    bad[3, 5] = np.nan
    bad[7, 1] = np.inf
    with pytest.raises(ValueError, match=r"NaN and infinity.*row\(s\) 3, 7"):
        aug.fit(bad)
    with pytest.raises(ValueError, match="2D array"):
        aug.fit(X[0])
    with pytest.raises(ValueError, match=r"3|dim"):
        aug.fit(X[None])
    aug.fit(X)
    with pytest.raises(ValueError, match="row\\(s\\) 3"):
        aug.transform(bad)
    with pytest.raises(ValueError, match="60 features"):
        aug.transform(X[:, :50])


class _WidthChanging(TransformerMixin, BaseEstimator):
    def fit(self, X, y=None):
        self.n_ = X.shape[0]
        return self

    def transform(self, X):
        # width depends on the rows: breaks the row-wise contract
        return X if X.shape[0] == self.n_ or X.shape[0] == 1 else X[:, :-1]


def test_width_changing_at_transform_is_named():
    aug = ParallelFeatureAugmentation(
        [("ok", StandardScaler()), ("weird", _WidthChanging())]
    ).fit(X)
    with pytest.raises(ValueError, match=r"'weird' \(index 1\).*59 column.*60 at fit"):
        aug.transform(X[:10])


class _FailsIn(TransformerMixin, BaseEstimator):
    def __init__(self, phase="fit"):
        self.phase = phase

    def fit(self, X, y=None):
        if self.phase == "fit":
            raise ArithmeticError("broken on purpose")
        return self

    def transform(self, X):
        if self.phase == "transform" and X.shape[0] > 1:
            raise ArithmeticError("broken on purpose")
        return X


@pytest.mark.parametrize("backend", ["threading", "loky"])
@pytest.mark.parametrize("phase", ["fit", "transform"])
def test_failure_names_transformer_and_phase(backend, phase):
    aug = ParallelFeatureAugmentation(
        [("ok", StandardScaler()), ("bad", _FailsIn(phase))], backend=backend, n_jobs=2
    )
    with pytest.raises(ArithmeticError) as info:
        aug.fit(X).transform(X)
    message = str(info.value)
    assert f"transformer 'bad' (index 1) during {phase}" in message
    assert "broken on purpose" in message
    assert type(info.value.__cause__) is ArithmeticError


class _Dies(TransformerMixin, BaseEstimator):
    def fit(self, X, y=None):
        return self

    def transform(self, X):
        if X.shape[0] > 1:  # not the width probe at fit
            os._exit(1)
        return X


@pytest.mark.parametrize("backend", ["loky", "multiprocessing"])
def test_killed_worker_raises_promptly(backend):
    aug = ParallelFeatureAugmentation(
        [("ok", StandardScaler()), ("dies", _Dies())], backend=backend, n_jobs=2
    ).fit(X)
    start = time.perf_counter()
    with pytest.raises(WorkerDiedError, match=f"{backend}.*died"):
        aug.transform(X)
    assert time.perf_counter() - start < 30  # a guard against a hang, not a timing


def test_progress_and_verbose(capsys):
    aug = ParallelFeatureAugmentation(_transformers(), progress=True, verbose=1)
    aug.fit_transform(X)
    out = capsys.readouterr()
    assert "backend: sequential" in out.out
    assert "transformer 'msc' (index 1) during fit_transform, total=" in out.out
    assert "ParallelFeatureAugmentation" in out.err  # the tqdm bar


def test_dask_local_cluster_matches_sequential():
    distributed = pytest.importorskip("distributed")
    expected = ParallelFeatureAugmentation(_transformers()).fit(X).transform(X)
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster),
        joblib.parallel_config(backend="dask"),
    ):
        aug = ParallelFeatureAugmentation(_transformers(), n_jobs=2)
        out = aug.fit(X).transform(X)
    assert aug.backend_.name == "dask"
    np.testing.assert_allclose(out, expected, rtol=1e-12, atol=1e-14)
