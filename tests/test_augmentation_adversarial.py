"""Adversarial tests of ParallelFeatureAugmentation: what a hostile user tries.

References are computed independently: each transformer fitted alone on the
whole array, outputs joined with ``np.hstack``.
"""

from __future__ import annotations

import hashlib
import pickle
import re

import joblib
import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin, clone
from sklearn.cross_decomposition import PLSRegression
from sklearn.linear_model import Ridge
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler

from sklearn_nirs import ParallelFeatureAugmentation
from sklearn_nirs import augmentation as aug_module
from sklearn_nirs.preprocessing import (
    Detrend,
    ExtendedMultiplicativeScatterCorrection,
    MultiplicativeScatterCorrection,
    SavitzkyGolay,
    StandardNormalVariate,
)

BACKENDS = ["sequential", "threading", "loky", "multiprocessing"]
RNG = np.random.default_rng(42)
WAVES = np.linspace(0, 1, 50)
X = (
    np.exp(-((WAVES - 0.5) ** 2) / 0.03)[None, :] * RNG.uniform(0.5, 1.5, (64, 1))
    + RNG.normal(0, 0.1, (64, 1))
    + RNG.normal(0, 1e-3, (64, 50))
)


def _hstack_reference(transformers, X_fit, X_new):
    blocks = []
    for _, t in transformers:
        if isinstance(t, str):
            if t == "passthrough":
                blocks.append(np.asarray(X_new, dtype=float))
            continue
        blocks.append(np.asarray(clone(t).fit(X_fit).transform(X_new)))
    return np.hstack(blocks)


def _blas_transformers():
    # their last bits change with the row split (BLAS kernels): the hardest
    # case for bit-for-bit determinism
    return [
        ("detrend", Detrend()),
        ("msc", MultiplicativeScatterCorrection()),
        ("emsc", ExtendedMultiplicativeScatterCorrection()),
        ("sg", SavitzkyGolay(window_length=7, polyorder=2, deriv=1)),
        ("snv", StandardNormalVariate()),
    ]


@pytest.fixture
def tiny_blocks(monkeypatch):
    # 10-row blocks on 50 wavelengths: several row blocks per transformer
    monkeypatch.setattr(aug_module, "_MIN_TASK_VALUES", 500)


class _Counting(TransformerMixin, BaseEstimator):
    """Records every call with its number of rows (class-level, thread-safe)."""

    calls: list = []

    def fit(self, X, y=None):
        _Counting.calls.append(("fit", X.shape[0]))
        return self

    def transform(self, X):
        _Counting.calls.append(("transform", X.shape[0]))
        return X * 3.0


class _DropsARow(TransformerMixin, BaseEstimator):
    def fit(self, X, y=None):
        return self

    def transform(self, X):
        return X[:-1] if X.shape[0] > 1 else X


class _Sparse(TransformerMixin, BaseEstimator):
    def fit(self, X, y=None):
        return self

    def transform(self, X):
        return sp.csr_matrix(X * 2.0)


class _Frame(TransformerMixin, BaseEstimator):
    def fit(self, X, y=None):
        return self

    def transform(self, X):
        import pandas as pd

        return pd.DataFrame(np.asarray(X) - 1.0)


class _Strings(TransformerMixin, BaseEstimator):
    def fit(self, X, y=None):
        return self

    def transform(self, X):
        return np.asarray(X).astype(str)


class _To64(TransformerMixin, BaseEstimator):
    def fit(self, X, y=None):
        return self

    def transform(self, X):
        return np.asarray(X, dtype=np.float64) * 2.0


class _NoParams:
    def fit(self, X, y=None):
        return self

    def transform(self, X):
        return X


SENTINEL = 1e6


class _FailsOnSentinel(TransformerMixin, BaseEstimator):
    """Raises only on the row block that holds the sentinel value."""

    def fit(self, X, y=None):
        return self

    def transform(self, X):
        if (X == SENTINEL).any():
            raise LookupError("sentinel row reached")
        return X


# -- bad transformers, bad parameters --------------------------------------


@pytest.mark.parametrize(
    "transformers, error, match",
    [
        ([("a", StandardScaler(), 1)], TypeError, "entry 0.*tuple of length 3"),
        ([(1, StandardScaler())], TypeError, "entry 0.*str name"),
        ([["a", StandardScaler()]], TypeError, "entry 0.*list of length 2"),
        ([("", StandardScaler())], ValueError, "must not be empty"),
        ([("n", _NoParams())], TypeError, r"'n' \(index 0\).*missing: get_params"),
        ([("r", Ridge())], TypeError, r"'r' \(index 0\).*missing: transform"),
        ([3], TypeError, r"'int' \(index 0\).*not a transformer"),
        ([("a", None)], TypeError, r"'a' \(index 0\).*not a transformer"),
        (["drop", ("b", "drop")], ValueError, "every transformer is 'drop'"),
        ([StandardScaler(), ("standardscaler", Detrend())], ValueError, "unique"),
        ([("x__y", Detrend())], ValueError, "__"),
    ],
)
def test_bad_transformers_named_in_fit(transformers, error, match):
    aug = ParallelFeatureAugmentation(transformers)
    with pytest.raises(error, match=match):
        aug.fit(X)


@pytest.mark.parametrize("backend", ["Threading", "", "dask-ish", 3])
def test_invalid_backend_names(backend):
    aug = ParallelFeatureAugmentation(
        [("snv", StandardNormalVariate())], backend=backend
    )  # never validated in __init__
    with pytest.raises((ValueError, TypeError), match="backend"):
        aug.fit(X)


def test_get_params_of_a_string_invents_nothing():
    params = ParallelFeatureAugmentation("snv").get_params(deep=True)
    assert set(params) == {
        "transformers",
        "layout",
        "n_jobs",
        "backend",
        "progress",
        "verbose",
    }


# -- bad input -------------------------------------------------------------


def test_nan_inf_rows_named_at_fit_and_transform():
    aug = ParallelFeatureAugmentation([("snv", StandardNormalVariate())])
    bad = X.copy()
    bad[11, 4] = -np.inf
    with pytest.raises(ValueError, match=r"infinity.*row\(s\) 11"):
        aug.fit(bad)
    aug.fit(X)
    with pytest.raises(ValueError, match=r"row\(s\) 11"):
        aug.transform(bad)
    with pytest.raises(ValueError, match="2D"):
        aug.transform(X[0])
    with pytest.raises(ValueError, match="dim 3"):
        aug.transform(X[None])


@pytest.mark.parametrize("backend", ["sequential", "threading"])
def test_wrong_row_count_is_named(backend, tiny_blocks):
    aug = ParallelFeatureAugmentation(
        [("snv", StandardNormalVariate()), ("short", _DropsARow())],
        backend=backend,
        n_jobs=2,
    )
    pattern = r"'short' \(index 1\) during {}.*returned \d+ row\(s\) for \d+ spectra"
    with pytest.raises(ValueError, match=pattern.format("fit_transform")):
        aug.fit_transform(X)
    aug.fit(X)  # the one-row probe passes
    with pytest.raises(ValueError, match=pattern.format("transform")):
        aug.transform(X)


def test_non_numeric_output_is_named():
    aug = ParallelFeatureAugmentation([("s", _Strings())])
    with pytest.raises(TypeError, match=r"'s' \(index 0\).*dtype <U\d+.*real numbers"):
        aug.fit(X)


def test_dtype_probe_at_transform_names_the_culprit():
    class _Picky(TransformerMixin, BaseEstimator):
        def fit(self, X, y=None):
            return self

        def transform(self, X):
            if X.dtype == np.float32:
                raise OverflowError("no float32 here")
            return X

    aug = ParallelFeatureAugmentation([("p", _Picky())]).fit(X)
    with pytest.raises(OverflowError, match=r"'p' \(index 0\) during transform"):
        aug.transform(X.astype(np.float32))


# -- odd but valid transformer outputs -------------------------------------


@pytest.mark.parametrize("backend", ["sequential", "threading"])
def test_sparse_and_frame_outputs_are_densified(backend, tiny_blocks):
    pytest.importorskip("pandas")
    aug = ParallelFeatureAugmentation(
        [("sp", _Sparse()), ("df", _Frame())], backend=backend, n_jobs=2
    )
    expected = np.hstack([X * 2.0, X - 1.0])
    np.testing.assert_array_equal(aug.fit_transform(X), expected)
    out = aug.transform(X)
    assert isinstance(out, np.ndarray)
    np.testing.assert_array_equal(out, expected)


# -- a worker that fails on one row block ----------------------------------


@pytest.mark.parametrize("backend", ["threading", "loky"])
def test_failure_on_one_row_block_names_rows(backend, tiny_blocks):
    aug = ParallelFeatureAugmentation(
        [("snv", StandardNormalVariate()), ("picky", _FailsOnSentinel())],
        backend=backend,
        n_jobs=2,
    ).fit(X)
    bad = X.copy()
    bad[37, 0] = SENTINEL
    with pytest.raises(LookupError) as info:
        aug.transform(bad)
    message = str(info.value)
    assert "transformer 'picky' (index 1) during transform" in message
    assert "sentinel row reached" in message
    first, last = map(int, re.search(r"rows (\d+) to (\d+)", message).groups())
    assert first <= 37 <= last and last - first + 1 < len(X)  # one block only
    assert type(info.value.__cause__) is LookupError


# -- feature names, pandas -------------------------------------------------


def test_frame_in_frame_out():
    pd = pytest.importorskip("pandas")
    columns = [f"{w}nm" for w in range(1000, 1050)]
    frame = pd.DataFrame(X, columns=columns, index=np.arange(100, 164))
    transformers = [
        ("snv", StandardNormalVariate()),
        ("d", FunctionTransformer(np.diff)),
        ("raw", "passthrough"),
    ]
    aug = ParallelFeatureAugmentation(transformers).set_output(transform="pandas")
    out = aug.fit_transform(frame)
    np.testing.assert_array_equal(aug.feature_names_in_, columns)
    names = aug.get_feature_names_out()
    assert names[0] == "snv__1000nm"
    assert names[50] == "d__d0"  # np.diff has no feature names: numbered
    assert names[-1] == "raw__1049nm"
    assert list(out.columns) == list(names)
    assert list(out.index) == list(frame.index)
    later = aug.transform(frame.iloc[10:20])
    assert list(later.index) == list(range(110, 120))
    np.testing.assert_allclose(
        later.to_numpy(),
        _hstack_reference(transformers, X, X[10:20]),
        rtol=1e-12,
        atol=1e-14,
    )


# -- dtypes ------------------------------------------------------------------


@pytest.mark.parametrize("backend", ["sequential", "threading", "loky"])
def test_float32_with_a_float64_transformer(backend, tiny_blocks):
    X32 = X.astype(np.float32)
    transformers = [
        ("snv", StandardNormalVariate()),
        ("up", _To64()),
        ("raw", "passthrough"),
    ]
    aug = ParallelFeatureAugmentation(transformers, backend=backend, n_jobs=2)
    train = aug.fit_transform(X32)
    assert train.dtype == np.float64  # one output is float64: nothing is lost
    np.testing.assert_array_equal(train, aug.transform(X32))
    np.testing.assert_allclose(
        train, _hstack_reference(transformers, X32, X32), rtol=1e-6
    )
    # the float32 preprocessing stays float32-exact inside the float64 output
    assert (train[:, :50].astype(np.float32) == train[:, :50]).all()
    only32 = clone(aug).set_params(up="drop")
    assert only32.fit_transform(X32).dtype == np.float32


# -- read-only memmaps on every backend --------------------------------------


@pytest.mark.parametrize("backend", BACKENDS)
def test_read_only_memmap_never_modified(backend, tmp_path):
    # 400 x 400 float64 is 1.3 MB: above joblib's 1M memmapping threshold
    big = np.random.default_rng(1).normal(size=(400, 400)) + 5.0
    path = tmp_path / "spectra.npy"
    np.save(path, big)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    mm = np.load(path, mmap_mode="r")
    transformers = [
        ("snv", StandardNormalVariate()),
        ("scale", StandardScaler()),
        ("raw", "passthrough"),
    ]
    aug = ParallelFeatureAugmentation(transformers, backend=backend, n_jobs=2)
    train = aug.fit_transform(mm)
    out = aug.transform(mm)
    assert hashlib.sha256(path.read_bytes()).hexdigest() == digest
    assert not mm.flags.writeable
    expected = _hstack_reference(transformers, big, big)
    np.testing.assert_allclose(train, expected, rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(out, expected, rtol=1e-12, atol=1e-13)


# -- n_jobs, backends, context ---------------------------------------------


def test_more_workers_than_transformers_uses_row_blocks(monkeypatch, tiny_blocks):
    seen = []
    real = aug_module.run_tasks

    def spy(tasks, choice, **kwargs):
        seen.append((len(tasks), choice))
        return real(tasks, choice, **kwargs)

    monkeypatch.setattr(aug_module, "run_tasks", spy)
    snv = [("snv", StandardNormalVariate())]
    aug = ParallelFeatureAugmentation(snv, backend="threading", n_jobs=4).fit(X)
    seen.clear()
    out = aug.transform(X)
    n_tasks, choice = seen[-1]
    assert choice.name == "threading" and choice.n_jobs == 4
    assert n_tasks >= 4  # one transformer, at least one block per worker
    np.testing.assert_allclose(out, _hstack_reference(snv, X, X), rtol=1e-12)


def test_n_jobs_minus_one():
    aug = ParallelFeatureAugmentation(_blas_transformers(), n_jobs=-1, backend="auto")
    out = aug.fit(X).transform(X)
    assert 1 <= aug.backend_.n_jobs <= joblib.cpu_count()
    np.testing.assert_allclose(
        out, _hstack_reference(_blas_transformers(), X, X), rtol=1e-12, atol=1e-14
    )


def test_parallel_config_context_is_honoured():
    aug = ParallelFeatureAugmentation(_blas_transformers())
    with joblib.parallel_config(backend="threading", n_jobs=2):
        aug.fit(X)
    assert aug.backend_.name == "threading"
    assert aug.backend_.n_jobs == 2
    assert aug.backend_.from_context
    aug.fit(X)  # outside the context: back to one job
    assert aug.backend_.name == "sequential"


def test_progress_bar_on_stderr_and_verbose_lines(capsys, tiny_blocks):
    pytest.importorskip("tqdm")
    aug = ParallelFeatureAugmentation(
        _blas_transformers(), backend="threading", n_jobs=2, progress=True, verbose=1
    )
    aug.fit(X).transform(X)
    captured = capsys.readouterr()
    assert "ParallelFeatureAugmentation" in captured.err  # the bar
    assert "it/s" in captured.err or "/" in captured.err
    assert "transformer 'msc' (index 1) during fit, total=" in captured.out
    assert re.search(r"'emsc' \(index 2\) during transform \(rows \d+ to", captured.out)


def _backend_scorer(estimator, X, y):
    choice = estimator.named_steps["augment"].backend_
    return float(choice.name == "sequential" and "nested" in choice.reason)


def test_nested_in_grid_search_runs_inner_sequentially():
    pipe = Pipeline(
        [
            (
                "augment",
                ParallelFeatureAugmentation(
                    _blas_transformers(), backend="threading", n_jobs=2
                ),
            ),
            ("pls", PLSRegression(n_components=2)),
        ]
    )
    search = GridSearchCV(
        pipe,
        {"augment__sg__window_length": [5, 9]},
        cv=2,
        n_jobs=2,
        scoring=_backend_scorer,
        refit=False,
    ).fit(X, X[:, 10])
    # every inner fit, in every outer worker, ran sequentially
    np.testing.assert_array_equal(search.cv_results_["mean_test_score"], [1.0, 1.0])


# -- clone, pickle, params ---------------------------------------------------


@pytest.mark.parametrize("backend", BACKENDS)
def test_clone_and_pickle_of_a_fitted_instance(backend):
    aug = ParallelFeatureAugmentation(_blas_transformers(), backend=backend, n_jobs=2)
    out = aug.fit(X).transform(X)
    restored = pickle.loads(pickle.dumps(aug))
    assert restored.backend_ == aug.backend_
    np.testing.assert_array_equal(restored.transform(X), out)
    fresh = clone(aug)
    assert not hasattr(fresh, "transformers_")
    assert fresh.get_params()["sg__window_length"] == 7
    np.testing.assert_array_equal(fresh.fit(X).transform(X), out)


def test_set_params_replace_drop_and_nested():
    aug = ParallelFeatureAugmentation([StandardNormalVariate(), Detrend()])
    params = aug.get_params(deep=True)
    assert params["detrend__degree"] == 1
    aug.set_params(detrend__degree=2)
    assert aug.get_params()["detrend__degree"] == 2
    aug.set_params(standardnormalvariate=StandardScaler())
    assert isinstance(aug.get_params()["standardnormalvariate"], StandardScaler)
    out = aug.fit_transform(X)
    np.testing.assert_allclose(
        out,
        np.hstack(
            [StandardScaler().fit_transform(X), Detrend(degree=2).fit_transform(X)]
        ),
        rtol=1e-12,
        atol=1e-14,
    )
    aug.set_params(detrend="drop")
    assert aug.fit_transform(X).shape == (64, 50)
    assert [n for n, _ in aug.transformers_] == ["standardnormalvariate"]


# -- single pass, timings, no mutation in transform ------------------------


def test_fit_transform_is_single_pass_and_matches_fit_then_transform():
    _Counting.calls = []
    aug = ParallelFeatureAugmentation(
        [("c", _Counting()), ("snv", StandardNormalVariate())],
        backend="threading",
        n_jobs=2,
    )
    train = aug.fit_transform(X)
    assert _Counting.calls == [("fit", 64), ("transform", 64)]
    _Counting.calls = []
    again = clone(aug).fit(X).transform(X)
    # fit: one fit, one one-row probe of the output width; then one transform
    assert _Counting.calls == [("fit", 64), ("transform", 1), ("transform", 64)]
    np.testing.assert_allclose(train, again, rtol=1e-12, atol=1e-14)


def test_timings_record_the_call_that_fitted():
    aug = ParallelFeatureAugmentation(
        [("snv", StandardNormalVariate()), ("raw", "passthrough")]
    )
    aug.fit(X)
    assert aug.timings_["snv"]["fit"] >= 0.0
    assert aug.timings_["snv"]["fit_transform"] is None
    assert aug.timings_["raw"] == {"fit": 0.0, "fit_transform": None}
    aug.fit_transform(X)
    assert aug.timings_["snv"]["fit"] is None
    assert aug.timings_["snv"]["fit_transform"] >= 0.0
    before = pickle.dumps(aug.__dict__)
    aug.transform(X)
    assert pickle.dumps(aug.__dict__) == before  # transform changes nothing


# -- determinism ---------------------------------------------------------------


def test_bit_identical_between_runs_whatever_the_timings(tiny_blocks):
    """The row-block plan must not follow measured times (noise).

    Detrend, MSC, EMSC and Savitzky-Golay change in the last bit with the row
    split, so a plan drawn from timings gave different bits between two runs
    with the same settings.
    """
    aug = ParallelFeatureAugmentation(
        _blas_transformers(), backend="threading", n_jobs=2
    ).fit(X)
    first = aug.transform(X)
    rng = np.random.default_rng(3)
    for _ in range(5):
        # simulate the timing noise of another run
        for timing in aug.timings_.values():
            timing["fit"] = float(rng.exponential(1e-3))
        np.testing.assert_array_equal(aug.transform(X), first)
    second = clone(aug).fit(X).transform(X)
    np.testing.assert_array_equal(second, first)
    np.testing.assert_allclose(
        first, _hstack_reference(_blas_transformers(), X, X), rtol=1e-12, atol=1e-14
    )
