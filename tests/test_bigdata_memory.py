"""Memory mechanisms that keep big data sets affordable (issue 6, "Big data").

Small and fast: these tests check the mechanisms that the big-data figures of
``docs/scaling.md`` rely on, not the figures themselves (no timing, no RSS):

* process workers receive the input as a memmap (joblib's auto-memmapping
  above ``max_nbytes``), not as a pickled copy, and a caller's memmap is
  passed on as the very same file;
* thread workers read the caller's array itself (no copy per task);
* float32 spectra stay float32 from the input, through every worker, to the
  output, on every backend;
* the search releases each cached prefix output when its subtree is done:
  the number of live prefix outputs stays bounded by the running tasks and
  the depth of the prefix tree, never by the number of preprocessings x
  folds, and none survives the fit.
"""

from __future__ import annotations

import gc
import threading
import weakref

import numpy as np
import pytest
from sklearn.base import BaseEstimator, RegressorMixin, TransformerMixin
from sklearn.cross_decomposition import PLSRegression
from sklearn.linear_model import Ridge
from sklearn.pipeline import Pipeline

from sklearn_nirs import ParallelFeatureAugmentation, ParallelModelSearch
from sklearn_nirs.benchmark._workloads import make_augmenters
from sklearn_nirs.preprocessing import (
    Detrend,
    SavitzkyGolay,
    StandardNormalVariate,
)

PROCESS_BACKENDS = ["loky", "multiprocessing"]
ALL_BACKENDS = ["sequential", "threading", *PROCESS_BACKENDS]


def _spectra(n_samples, n_wavelengths, dtype=np.float64, seed=0):
    rng = np.random.default_rng(seed)
    waves = np.linspace(0, 1, n_wavelengths)
    X = (
        np.exp(-((waves - 0.4) ** 2) / 0.02)[None, :]
        * rng.uniform(0.5, 1.5, (n_samples, 1))
        + rng.normal(0, 0.1, (n_samples, 1)) * waves
        + rng.normal(0, 1e-3, (n_samples, n_wavelengths))
    )
    return X.astype(dtype)


def _ten_augmenters():
    # The 10 preprocessings of benchmarks/bench_bigdata.py.
    return make_augmenters(10, n_wavelengths=2000)


class InputRecorder(TransformerMixin, BaseEstimator):
    """Identity-shaped transformer reporting what its worker received.

    ``fit`` stores what it saw in fitted attributes (the fitted clones come
    back to the parent from process workers). ``transform`` cannot send
    attributes back, so it encodes what it saw in its output: column 0 is 1
    when ``X`` was a memmap, column 1 is 1 when ``X`` was read-only, column 2
    is the itemsize of ``X``; the other columns are ``X`` itself.
    """

    def fit(self, X, y=None):
        self.saw_memmap_ = isinstance(X, np.memmap)
        self.saw_filename_ = getattr(X, "filename", None)
        self.saw_dtype_ = X.dtype
        self.saw_writeable_ = bool(X.flags.writeable)
        return self

    def transform(self, X):
        out = np.array(X, dtype=X.dtype)
        out[:, 0] = isinstance(X, np.memmap)
        out[:, 1] = not X.flags.writeable
        out[:, 2] = X.dtype.itemsize
        return out

    def fit_transform(self, X, y=None):
        # The single pass of ParallelFeatureAugmentation.fit_transform.
        return self.fit(X, y).transform(X)


# ---------------------------------------------------------------------------
# ParallelFeatureAugmentation: how the input reaches the workers
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("backend", PROCESS_BACKENDS)
def test_process_workers_get_a_memmap_of_a_large_input(backend):
    # 4000 x 100 float64 = 3.2 MB, above the 1 MB max_nbytes of run_tasks.
    X = _spectra(4000, 100)
    aug = ParallelFeatureAugmentation(
        [("a", InputRecorder()), ("b", InputRecorder())], n_jobs=2, backend=backend
    )
    Xt = aug.fit_transform(X)
    for name in ("a", "b"):
        fitted = aug.named_transformers_[name]
        assert fitted.saw_memmap_, "fit_transform shipped a pickled copy"
        assert not fitted.saw_writeable_  # joblib's memmaps are read-only
        assert fitted.saw_filename_ is not None
    # Same for transform, whose row blocks are all cut from the memmap.
    Xt = aug.transform(X)
    assert aug.backend_.uses_processes
    assert np.all(Xt[:, [0, 100]] == 1.0), "a transform task got a pickled copy"
    # Data columns untouched by the trip (the recorder is the identity there).
    np.testing.assert_array_equal(Xt[:, 3:100], X[:, 3:])


@pytest.mark.parametrize("backend", PROCESS_BACKENDS)
def test_small_input_is_pickled_below_max_nbytes(backend):
    # The contrast that shows the threshold is what decides: 40 kB is pickled.
    X = _spectra(100, 50)
    aug = ParallelFeatureAugmentation(
        [("a", InputRecorder()), ("b", InputRecorder())], n_jobs=2, backend=backend
    )
    aug.fit(X)
    assert not aug.named_transformers_["a"].saw_memmap_


def test_callers_memmap_travels_as_the_same_file(tmp_path):
    # A user who memmaps a spectra file gets zero copies: joblib sends the
    # workers the path of the caller's own file, not a dump of its content.
    path = tmp_path / "spectra.npy"
    np.save(path, _spectra(3000, 100, np.float32))
    X = np.load(path, mmap_mode="r")
    aug = ParallelFeatureAugmentation(
        [("a", InputRecorder()), ("b", InputRecorder())], n_jobs=2, backend="loky"
    )
    aug.fit(X)
    for name in ("a", "b"):
        assert str(aug.named_transformers_[name].saw_filename_) == str(path)


# What thread workers saw: module level, since clone deep-copies parameters.
SHARED_LOG: list = []
SHARED_TARGET: dict = {}


class SharesMemoryRecorder(TransformerMixin, BaseEstimator):
    """Logs whether each call read the array in ``SHARED_TARGET["X"]``."""

    def fit(self, X, y=None):
        SHARED_LOG.append(("fit", np.shares_memory(X, SHARED_TARGET["X"])))
        return self

    def transform(self, X):
        SHARED_LOG.append(("transform", np.shares_memory(X, SHARED_TARGET["X"])))
        return np.asarray(X) + 0.0


def test_thread_workers_read_the_callers_array():
    X = _spectra(4000, 100)
    SHARED_LOG.clear()
    SHARED_TARGET["X"] = X
    aug = ParallelFeatureAugmentation(
        [("a", SharesMemoryRecorder()), ("b", SharesMemoryRecorder())],
        n_jobs=2,
        backend="threading",
    )
    try:
        aug.fit_transform(X)
        aug.transform(X)
        log = list(SHARED_LOG)
    finally:
        SHARED_LOG.clear()
        SHARED_TARGET.clear()
    calls = [kind for kind, _ in log]
    # 2 fits, then transform split into row blocks over 2 workers.
    assert calls.count("fit") == 2 and calls.count("transform") >= 4, calls
    assert all(shared for _, shared in log), log


# ---------------------------------------------------------------------------
# ParallelFeatureAugmentation: float32 end to end
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("backend", ALL_BACKENDS)
def test_float32_stays_float32_end_to_end(backend, tmp_path):
    X64 = _spectra(3000, 120)
    path = tmp_path / "spectra32.npy"
    np.save(path, X64.astype(np.float32))
    # The caller's float32 memmap, read-only, as a big data set would come.
    X32 = np.load(path, mmap_mode="r")
    steps = [*_ten_augmenters(), ("rec", InputRecorder())]
    aug = ParallelFeatureAugmentation(steps, n_jobs=2, backend=backend)

    Xt = aug.fit_transform(X32)
    assert Xt.dtype == np.float32
    for name, fitted in aug.transformers_:
        assert fitted.transform(X32[:2]).dtype == np.float32, name
    assert aug.named_transformers_["rec"].saw_dtype_ == np.float32
    rec = aug.output_slices_["rec"]
    assert np.all(Xt[:, rec][:, 2] == 4)  # every worker saw 4-byte floats

    Xt2 = aug.transform(X32)
    assert Xt2.dtype == np.float32
    assert np.all(Xt2[:, rec][:, 2] == 4)

    # float32 only rounds: the float64 result, rounded, is close.
    ref = ParallelFeatureAugmentation(_ten_augmenters()).fit_transform(X64)
    width = ref.shape[1]
    scale = np.abs(ref).max(axis=0)
    np.testing.assert_allclose(Xt2[:, :width] / scale, ref / scale, atol=1e-3)


# ---------------------------------------------------------------------------
# ParallelModelSearch: cached prefix outputs are released
# ---------------------------------------------------------------------------


class _Tracked:
    """Weak references to every prefix output, and the most alive at once."""

    def __init__(self):
        self.refs = []
        self.max_live = 0
        self.lock = threading.Lock()

    def live(self):
        return sum(r() is not None for r in self.refs)

    def add(self, array):
        with self.lock:
            self.refs.append(weakref.ref(array))
            self.max_live = max(self.max_live, self.live())


TRACKED = _Tracked()


class TrackedShift(TransformerMixin, BaseEstimator):
    """A preprocessing whose every output is tracked by weak reference."""

    def __init__(self, shift=0.0):
        self.shift = shift

    def fit(self, X, y=None):
        self.n_features_in_ = np.shape(X)[1]
        return self

    def transform(self, X):
        out = np.asarray(X) + self.shift
        TRACKED.add(out)
        return out


class LiveCounter(RegressorMixin, BaseEstimator):
    """Ridge that samples the number of live prefix outputs while it fits."""

    def __init__(self, alpha=1.0):
        self.alpha = alpha

    def fit(self, X, y):
        with TRACKED.lock:
            TRACKED.max_live = max(TRACKED.max_live, TRACKED.live())
        self.model_ = Ridge(alpha=self.alpha).fit(X, y)
        return self

    def predict(self, X):
        return self.model_.predict(X)


@pytest.fixture
def tracked():
    global TRACKED
    TRACKED = _Tracked()
    yield TRACKED
    TRACKED = _Tracked()


def _flat_candidates(n_pre):
    # n_pre distinct one-step preprocessings, each under 3 models.
    return [
        (
            f"pre{k}",
            Pipeline([("pre", TrackedShift(shift=float(k))), ("m", LiveCounter())]),
            {"m__alpha": [0.1, 1.0, 10.0]},
        )
        for k in range(n_pre)
    ]


@pytest.mark.parametrize(
    ("backend", "n_jobs", "bound"),
    # One task holds its prefix's train + test outputs; n_jobs tasks run at once.
    [("sequential", 1, 2), ("threading", 2, 4)],
)
def test_search_keeps_few_prefix_outputs_alive(tracked, backend, n_jobs, bound):
    X = _spectra(200, 30)
    y = X[:, 10] * 2.0
    n_pre, n_splits = 6, 4
    search = ParallelModelSearch(
        _flat_candidates(n_pre), cv=n_splits, n_jobs=n_jobs, backend=backend
    )
    search.fit(X, y)
    # Each prefix ran once per fold: train and test outputs, plus the refit.
    assert len(tracked.refs) >= 2 * n_pre * n_splits
    # An unbounded cache would have held 2 * n_pre * n_splits = 48 of them.
    assert tracked.max_live <= bound, tracked.max_live
    gc.collect()
    # No prefix output survives the fit (the refitted best pipeline keeps none).
    assert tracked.live() == 0


def test_search_releases_a_branch_before_the_next_one(tracked):
    # A two-level tree: shift(1) shared, then 4 different children. Depth
    # first, at most the shared node's and one child's outputs are alive.
    X = _spectra(150, 20)
    y = X[:, 5]
    candidates = [
        (
            f"branch{k}",
            Pipeline(
                [
                    ("shared", TrackedShift(shift=1.0)),
                    ("own", TrackedShift(shift=float(10 + k))),
                    ("m", LiveCounter()),
                ]
            ),
            {"m__alpha": [0.5, 5.0]},
        )
        for k in range(4)
    ]
    search = ParallelModelSearch(candidates, cv=3, backend="sequential", refit=False)
    search.fit(X, y)
    # 3 folds x (1 shared + 4 children) nodes x train + test = 30 outputs.
    assert len(tracked.refs) == 30
    assert tracked.max_live <= 4, tracked.max_live
    gc.collect()
    assert tracked.live() == 0


def test_search_float32_prefix_outputs_stay_float32():
    # The search hands each model the preprocessed float32 spectra as they
    # are (PLS itself computes in float64; the cache does not upcast).
    seen = []

    class DtypeSpy(LiveCounter):
        def fit(self, X, y):
            seen.append(X.dtype)
            return super().fit(X, y)

    X = _spectra(120, 25, np.float32)
    y = X[:, 5].astype(np.float32)
    candidates = [
        ("snv", Pipeline([("pre", StandardNormalVariate()), ("m", DtypeSpy())])),
        ("sg", Pipeline([("pre", SavitzkyGolay(7, 2, deriv=1)), ("m", DtypeSpy())])),
        ("pls", Pipeline([("pre", Detrend()), ("m", PLSRegression(2))])),
    ]
    ParallelModelSearch(candidates, cv=3, backend="threading", n_jobs=2).fit(X, y)
    assert seen and all(d == np.float32 for d in seen), seen
