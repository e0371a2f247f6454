"""Faults and bad input: dead workers, Ctrl-C, partial failures, untouched input.

Runs that could hang (a killed worker, an interrupted search) run in a child
Python process with a timeout, so a regression fails the test instead of
freezing the suite; the child reports what it saw as JSON lines. Worker
processes are counted with psutil.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
import signal
import subprocess
import sys
import textwrap
import threading
import time
import warnings

import joblib
import numpy as np
import psutil
import pytest
from sklearn.base import BaseEstimator, TransformerMixin, clone
from sklearn.cross_decomposition import PLSRegression
from sklearn.exceptions import FitFailedWarning
from sklearn.linear_model import Ridge
from sklearn.model_selection import GridSearchCV, KFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler

from sklearn_nirs import ParallelFeatureAugmentation, ParallelModelSearch
from sklearn_nirs import augmentation as aug_module
from sklearn_nirs.preprocessing import (
    Detrend,
    MultiplicativeScatterCorrection,
    SavitzkyGolay,
    StandardNormalVariate,
)

pytestmark = pytest.mark.skipif(
    not hasattr(signal, "SIGKILL"), reason="needs POSIX signals and fork"
)

BACKENDS = ["sequential", "threading", "loky", "multiprocessing"]
PROCESS_BACKENDS = ["loky", "multiprocessing"]
CV = KFold(4, shuffle=True, random_state=0)
RNG = np.random.default_rng(7)
WAVES = np.linspace(0, 1, 40)
# Smooth spectra with scatter (offset, gain) and a little noise.
X = (
    np.exp(-((WAVES - 0.45) ** 2) / 0.02)[None, :] * RNG.uniform(0.5, 1.5, (48, 1))
    + RNG.normal(0, 0.1, (48, 1))
    + RNG.normal(0, 1e-3, (48, 40))
)
Y = X[:, 12] * 3.0 + RNG.normal(0, 0.01, 48)

# A child process must finish well within this; a hang is what it guards.
CHILD_TIMEOUT = 90


def _start_child(code: str, *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(code), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _digest(*arrays) -> str:
    h = hashlib.sha256()
    for a in arrays:
        a = np.asarray(a)
        h.update(str((a.dtype, a.shape, a.strides)).encode())
        h.update(a.tobytes())
    return h.hexdigest()


# ---------------------------------------------------------------------------
# 1. A worker process killed mid-run
# ---------------------------------------------------------------------------

# The child runs every case for one backend and, after each, lists its own
# descendants. Workers die only when they are not the child itself, so a
# sequential path could never kill the run.
_DEATH_CHILD = """
import json, os, signal, sys, time
import numpy as np, psutil
from sklearn.base import BaseEstimator, RegressorMixin, TransformerMixin
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn_nirs import ParallelFeatureAugmentation, ParallelModelSearch

PARENT = os.getpid()


def die(how):
    if os.getpid() == PARENT or how == "never":
        return
    if how == "exit":
        os._exit(1)
    os.kill(os.getpid(), signal.SIGKILL)


class DyingTransformer(TransformerMixin, BaseEstimator):
    def __init__(self, how="exit", phase="fit"):
        self.how = how
        self.phase = phase

    def fit(self, X, y=None):
        if self.phase == "fit":
            die(self.how)
        return self

    def transform(self, X):
        if self.phase == "transform" and len(X) > 1:  # not the width probe
            die(self.how)
        return X


class DyingRegressor(RegressorMixin, BaseEstimator):
    def __init__(self, how="exit"):
        self.how = how

    def fit(self, X, y):
        die(self.how)
        self.mean_ = float(np.mean(y))
        return self

    def predict(self, X):
        return np.full(len(X), self.mean_)


def workers():
    # What is left after the error: loky's reusable executor keeps its idle
    # workers alive on purpose (reused by the next call); a process of a
    # terminated pool must be gone.
    out = []
    for p in psutil.Process().children(recursive=True):
        try:
            cmd = " ".join(p.cmdline())
            out.append(
                {"pid": p.pid, "status": p.status(), "ppid": p.ppid(), "cmd": cmd}
            )
        except psutil.NoSuchProcess:
            pass
    return out


backend = sys.argv[1]
rng = np.random.default_rng(0)
X = rng.normal(size=(40, 30))
y = X[:, 0] + 0.1 * rng.normal(size=40)
cases = json.loads(sys.argv[2])
for estimator, how, where in cases:
    if estimator == "augmentation":
        aug = ParallelFeatureAugmentation(
            [("ok", StandardScaler()), ("dying", DyingTransformer(how, where))],
            backend=backend,
            n_jobs=2,
        )
        if where == "transform":
            aug.fit(X)
            call = lambda: aug.transform(X)
        else:
            call = lambda: aug.fit(X)
    else:
        if where == "model":
            dying = DyingRegressor(how)
        else:
            steps = [("pre", DyingTransformer(how)), ("m", DyingRegressor("never"))]
            dying = Pipeline(steps)
        search = ParallelModelSearch(
            [("ok", DyingRegressor("never")), ("dying", dying)],
            cv=3,
            backend=backend,
            n_jobs=2,
            refit=False,
            # one task per (candidate, fold), so the label names the candidate
            cache=False,
        )
        call = lambda: search.fit(X, y)
    start = time.perf_counter()
    try:
        call()
        kind, message = "no error", ""
    except BaseException as exc:
        kind, message = type(exc).__name__, str(exc)
    seconds = time.perf_counter() - start
    left = workers()
    # loky keeps an idle reusable executor: shutting it down is the user's
    # way to release it; it must then leave nothing behind.
    from joblib.externals.loky import get_reusable_executor
    get_reusable_executor().shutdown(wait=True)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        after = [w for w in workers() if "resource_tracker" not in w["cmd"]]
        if not after:
            break
        time.sleep(0.1)
    print(json.dumps({
        "case": [estimator, how, where], "kind": kind, "message": message,
        "seconds": seconds, "left": left, "after_shutdown": after,
    }), flush=True)
"""

# (estimator, how the worker dies, where). Every loky case costs a respawn
# of its workers (a fresh interpreter importing scikit-learn, seconds on a
# busy machine), so loky gets a covering pair: both estimators, both ways
# of dying, a transformer's transform and a model's fit.
_DEATH_CASES = {
    "loky": [
        ("augmentation", "exit", "transform"),
        ("search", "kill", "model"),
    ],
    "multiprocessing": [
        ("augmentation", "exit", "fit"),
        ("augmentation", "kill", "transform"),
        ("augmentation", "exit", "transform"),
        ("search", "exit", "model"),
        ("search", "kill", "model"),
        ("search", "kill", "preprocessing"),
    ],
}
_DEATH_PARAMS = [(b, c) for b, cases in _DEATH_CASES.items() for c in cases]


@pytest.fixture(scope="module")
def _death_children():
    # Both backends' children at once: most of their time is spent starting
    # worker processes (importing scikit-learn), which overlaps well.
    children = {
        b: _start_child(_DEATH_CHILD, b, json.dumps(_DEATH_CASES[b]))
        for b in PROCESS_BACKENDS
    }
    reports = {}
    for backend, child in children.items():
        try:
            out, err = child.communicate(timeout=CHILD_TIMEOUT)
        except subprocess.TimeoutExpired:
            child.kill()
            child.communicate()
            pytest.fail(f"{backend}: a killed worker made the run hang")
        assert child.returncode == 0, err[-3000:]
        reports[backend] = {
            tuple(r["case"]): r for r in map(json.loads, out.splitlines())
        }
    return reports


@pytest.mark.parametrize(("backend", "case"), _DEATH_PARAMS)
def test_killed_worker_raises_worker_died_error_naming_the_task(
    _death_children, backend, case
):
    report = _death_children[backend][tuple(case)]
    estimator, _how, where = case
    # No hang: the child's own timeout guard did not fire, and the error came
    # back (a generous bound, far above the ~1 s it takes; not a timing test).
    assert report["kind"] == "WorkerDiedError", report
    assert report["seconds"] < 30
    message = report["message"]
    assert f"worker process of the {backend!r} backend died" in message
    # names the task that was running when the worker died
    if estimator == "augmentation":
        assert f"transformer 'dying' (index 1) during {where}" in message
    else:
        assert "candidate 'dying'" in message
        assert "candidate 'ok'" not in message.split("while running")[1].split(";")[0]
    if backend == "multiprocessing":
        assert re.search(r"pid \d+, exit code (1|-9)\b", message)


@pytest.mark.parametrize(("backend", "case"), _DEATH_PARAMS)
def test_killed_worker_leaves_no_zombie_or_stray_worker(_death_children, backend, case):
    report = _death_children[backend][tuple(case)]
    # Right after the error no child is a zombie (every dead worker was
    # reaped) ...
    assert all(w["status"] != psutil.STATUS_ZOMBIE for w in report["left"]), report
    if backend == "multiprocessing":
        # ... the terminated pool left no worker at all (its resource
        # tracker, a helper shared by the whole process, may stay) ...
        pool = [w for w in report["left"] if "resource_tracker" not in w["cmd"]]
        assert pool == [], report
    # ... and once loky's reusable executor is shut down (it keeps idle
    # workers for the next call by design), nothing but resource trackers.
    assert report["after_shutdown"] == [], report


# ---------------------------------------------------------------------------
# 2. Ctrl-C during a search
# ---------------------------------------------------------------------------

_INTERRUPT_CHILD = """
import os, sys, time
import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn_nirs import ParallelModelSearch

MARKER = sys.argv[2]


class SlowRegressor(RegressorMixin, BaseEstimator):
    # Announces that a worker is busy, then works (sleeps) for a minute.
    def __init__(self, alpha=0):
        self.alpha = alpha

    def fit(self, X, y):
        with open(MARKER + "." + str(os.getpid()), "w"):
            pass
        end = time.monotonic() + 60
        while time.monotonic() < end:
            time.sleep(0.02)
        self.mean_ = float(np.mean(y))
        return self

    def predict(self, X):
        return np.full(len(X), self.mean_)


rng = np.random.default_rng(0)
X = rng.normal(size=(30, 10))
y = X[:, 0]
search = ParallelModelSearch(
    [("slow", SlowRegressor(), {"alpha": [0, 1, 2, 3]})],
    cv=3, backend=sys.argv[1], n_jobs=2, refit=False,
)
try:
    search.fit(X, y)
except KeyboardInterrupt:
    print("interrupted", flush=True)
    raise
"""


def _descendants(pid):
    try:
        return psutil.Process(pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []


def _gone(proc):
    try:
        return proc.status() == psutil.STATUS_ZOMBIE and proc.ppid() in (0, 1)
    except psutil.NoSuchProcess:
        return True


def _kill_tree(child):
    """Kill a child started here and its descendants (by pid, on failure only)."""
    for proc in [*_descendants(child.pid), psutil.Process(child.pid)]:
        with contextlib.suppress(psutil.NoSuchProcess):
            proc.kill()
    child.wait()


@pytest.mark.parametrize("backend", PROCESS_BACKENDS)
def test_keyboard_interrupt_stops_the_search_and_its_workers(backend, tmp_path):
    marker = tmp_path / "busy"
    # Output to files, not pipes: a surviving worker would hold a pipe open.
    out_path, err_path = tmp_path / "out.txt", tmp_path / "err.txt"
    with open(out_path, "w") as out, open(err_path, "w") as err:
        child = subprocess.Popen(
            [
                sys.executable,
                "-c",
                textwrap.dedent(_INTERRUPT_CHILD),
                backend,
                str(marker),
            ],
            stdout=out,
            stderr=err,
        )
    try:
        deadline = time.monotonic() + CHILD_TIMEOUT
        while not list(tmp_path.glob("busy.*")):
            assert child.poll() is None, err_path.read_text()[-3000:]
            assert time.monotonic() < deadline, "the search never started"
            time.sleep(0.05)
        busy = {int(p.suffix[1:]) for p in tmp_path.glob("busy.*")}
        workers = [p for p in _descendants(child.pid) if p.pid in busy]
        assert workers, "the busy worker is not a child of the search"
        child.send_signal(signal.SIGINT)
        # The fits would run for a minute: ending well before proves the
        # interrupt stopped them (a hang guard, not a timing measurement).
        child.wait(timeout=30)
    finally:
        if child.poll() is None:
            _kill_tree(child)
    assert "interrupted" in out_path.read_text()
    assert "KeyboardInterrupt" in err_path.read_text()
    assert child.returncode != 0
    # No worker survives its parent (orphans would keep sleeping for a minute).
    deadline = time.monotonic() + 10
    while not all(_gone(p) for p in workers) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert all(_gone(p) for p in workers), [p.pid for p in workers]


# ---------------------------------------------------------------------------
# 3. Failures on some folds or some row blocks only
# ---------------------------------------------------------------------------

# Row 5 is the marker: a model or transformer below fails when it is fitted
# without it (seen through y, which no preprocessing changes), that is on
# exactly the fold whose test set holds row 5.
MARKER_ROW = 5
MARKER_FOLD = next(k for k, (_, te) in enumerate(CV.split(X)) if MARKER_ROW in te)


class PickyRidge(Ridge):
    """Ridge that refuses to fit without the marker spectrum."""

    def fit(self, X, y, sample_weight=None):
        if not np.any(np.asarray(y) == _MARK):
            raise ArithmeticError("marker spectrum missing")
        return super().fit(X, y, sample_weight)


class PickyScaler(StandardScaler):
    """StandardScaler that refuses to fit without the marker spectrum."""

    def fit(self, X, y=None, sample_weight=None):
        if not np.any(np.asarray(y) == _MARK):
            raise ArithmeticError("marker spectrum missing")
        return super().fit(X, y, sample_weight)


_MARK = Y[MARKER_ROW]


def _fold_scores(estimator):
    scores = []
    for train, test in CV.split(X):
        model = clone(estimator).fit(X[train].copy(), Y[train].copy())
        scores.append(model.score(X[test].copy(), Y[test].copy()))
    return np.array(scores)


def _picky_candidates():
    return [
        (
            "picky_model",
            Pipeline([("snv", StandardNormalVariate()), ("m", PickyRidge())]),
            {"m__alpha": [0.1, 1.0]},
        ),
        (
            "picky_prep",
            Pipeline([("scale", PickyScaler()), ("pls", PLSRegression())]),
            {"pls__n_components": [1, 2]},
        ),
        (
            "picky_aug",
            Pipeline(
                [
                    (
                        "aug",
                        ParallelFeatureAugmentation(
                            [("snv", StandardNormalVariate()), ("p", PickyScaler())]
                        ),
                    ),
                    ("pls", PLSRegression(n_components=2)),
                ]
            ),
        ),
        ("pls", PLSRegression(), {"n_components": [2, 3]}),
    ]


@pytest.mark.parametrize("cache", [True, False])
@pytest.mark.parametrize("backend", ["threading", "loky"])
def test_failures_on_some_folds_are_named_and_the_rest_kept(backend, cache):
    search = ParallelModelSearch(
        _picky_candidates(),
        cv=CV,
        error_score=-1.0,
        backend=backend,
        n_jobs=2,
        cache=cache,
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        search.fit(X, Y)
    failed = [w for w in caught if issubclass(w.category, FitFailedWarning)]
    assert len(failed) == 1
    text = str(failed[0].message)
    assert "5 of 28 fits failed" in text
    fold = f"1 of 4 folds failed (fold(s) [{MARKER_FOLD}])"
    for alpha in (0.1, 1.0):
        assert f"candidate 'picky_model' {{'m__alpha': {alpha}}}: {fold}" in text
    for k in (1, 2):
        assert f"candidate 'picky_prep' {{'pls__n_components': {k}}}: {fold}" in text
    assert f"candidate 'picky_aug' {{}}: {fold}" in text
    assert "ArithmeticError: marker spectrum missing" in text
    assert "candidate 'pls'" not in text

    # Every other (configuration, fold) kept its own score, equal to a
    # separate fit; the failed one got error_score.
    estimators = [
        clone(_picky_candidates()[0][1]).set_params(m__alpha=0.1),
        clone(_picky_candidates()[0][1]).set_params(m__alpha=1.0),
        clone(_picky_candidates()[1][1]).set_params(pls__n_components=1),
        clone(_picky_candidates()[1][1]).set_params(pls__n_components=2),
        _picky_candidates()[2][1],
        PLSRegression(n_components=2),
        PLSRegression(n_components=3),
    ]
    for row, est in enumerate(estimators):
        got = np.array(
            [search.cv_results_[f"split{k}_test_score"][row] for k in range(4)]
        )
        if row < 5:
            assert got[MARKER_FOLD] == -1.0
            est = clone(est)
            # the reference without the failing fold: the marker is never
            # missing from the training rows of the other folds
            expected = np.delete(
                [_fold_score_or_nan(est, train, test) for train, test in CV.split(X)],
                MARKER_FOLD,
            )
            np.testing.assert_allclose(
                np.delete(got, MARKER_FOLD), expected, rtol=1e-10, atol=1e-12
            )
        else:
            np.testing.assert_allclose(got, _fold_scores(est), rtol=1e-10, atol=1e-12)
    assert search.best_candidate_ in {"picky_model", "picky_prep", "picky_aug", "pls"}


def _fold_score_or_nan(estimator, train, test):
    try:
        model = clone(estimator).fit(X[train].copy(), Y[train].copy())
    except ArithmeticError:
        return np.nan
    return model.score(X[test].copy(), Y[test].copy())


@pytest.mark.parametrize("backend", ["sequential", "loky"])
def test_error_score_raise_names_candidate_parameters_and_fold(backend):
    search = ParallelModelSearch(
        _picky_candidates()[:1], cv=CV, error_score="raise", backend=backend, n_jobs=2
    )
    with pytest.raises(ArithmeticError) as info:
        search.fit(X, Y)
    message = str(info.value)
    assert f"candidate 'picky_model' {{'m__alpha': 0.1}}, fold {MARKER_FOLD}" in message
    assert "marker spectrum missing" in message
    assert type(info.value.__cause__) is ArithmeticError


SENTINEL = 1e6


class _FailsOnSentinel(TransformerMixin, BaseEstimator):
    def fit(self, X, y=None):
        return self

    def transform(self, X):
        if (np.asarray(X) == SENTINEL).any():
            raise LookupError("sentinel row reached")
        return X


@pytest.mark.parametrize("backend", ["threading", "loky", "multiprocessing"])
def test_augmentation_failure_on_one_row_block_names_the_rows(backend, monkeypatch):
    # 8-row blocks on 40 wavelengths: several blocks per transformer
    monkeypatch.setattr(aug_module, "_MIN_TASK_VALUES", 320)
    aug = ParallelFeatureAugmentation(
        [("snv", StandardNormalVariate()), ("picky", _FailsOnSentinel())],
        backend=backend,
        n_jobs=2,
    ).fit(X)
    bad = X.copy()
    bad[29, 3] = SENTINEL
    with pytest.raises(LookupError) as info:
        aug.transform(bad)
    message = str(info.value)
    assert "transformer 'picky' (index 1) during transform" in message
    first, last = map(int, re.search(r"rows (\d+) to (\d+)", message).groups())
    assert first <= 29 <= last and last - first + 1 < len(X)
    assert "sentinel row reached" in message


# ---------------------------------------------------------------------------
# 4. The caller's arrays are never modified, on any backend
# ---------------------------------------------------------------------------


def _scale_in_place(X):
    # A careless user function: writes into whatever it is given.
    X = np.asarray(X)
    X *= 2.0
    return X


class InPlaceCentring(TransformerMixin, BaseEstimator):
    """Third-party style: centres its input in place, no copy logic."""

    def fit(self, X, y=None):
        self.mean_ = np.asarray(X).mean(axis=0)
        return self

    def transform(self, X):
        X = np.asarray(X)
        X -= self.mean_
        return X


@pytest.mark.parametrize(
    ("backend", "writeable"),
    [(b, w) for b in BACKENDS for w in (True, False)],
)
def test_augmentation_never_modifies_its_input(backend, writeable, monkeypatch):
    monkeypatch.setattr(aug_module, "_MIN_TASK_VALUES", 320)  # row blocks too
    data = X.copy()
    data.flags.writeable = writeable
    before = _digest(data)
    transformers = [
        ("snv", StandardNormalVariate()),
        ("double", FunctionTransformer(_scale_in_place)),
        ("centre", InPlaceCentring()),
        ("raw", "passthrough"),
    ]
    aug = ParallelFeatureAugmentation(transformers, backend=backend, n_jobs=2)
    # The transformers write into what they get: either they were given
    # private copies (the result is then right) or they fail loudly on
    # read-only data; the caller's array is never changed either way.
    try:
        out = aug.fit_transform(data)
        again = aug.transform(data)
    except ValueError as exc:
        assert "read-only" in str(exc)
        out = again = None
    assert _digest(data) == before
    if out is not None:
        expected = np.hstack(
            [StandardNormalVariate().fit_transform(X), 2 * X, X - X.mean(axis=0), X]
        )
        np.testing.assert_allclose(out, expected, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(again, expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("writeable", [True, False])
@pytest.mark.parametrize("backend", BACKENDS)
def test_search_never_modifies_its_input(backend, writeable):
    data, target = X.copy(), Y.copy()
    data.flags.writeable = target.flags.writeable = writeable
    before = _digest(data, target)
    candidates = [
        ("pls", PLSRegression(copy=False), {"n_components": [1, 3]}),
        (
            "centred",
            Pipeline(
                [("centre", InPlaceCentring()), ("pls", PLSRegression(copy=False))]
            ),
            {"pls__n_components": [2]},
        ),
        (
            "doubled",
            Pipeline(
                [
                    ("double", FunctionTransformer(_scale_in_place)),
                    ("ridge", Ridge(copy_X=False)),
                ]
            ),
        ),
    ]
    search = ParallelModelSearch(
        candidates, cv=CV, backend=backend, n_jobs=2, return_train_score=True
    ).fit(data, target)
    search.predict(data)
    search.score(data, target)
    assert _digest(data, target) == before
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()


# ---------------------------------------------------------------------------
# 5. Nested parallelism stays bounded
# ---------------------------------------------------------------------------


def _blas_threads():
    from threadpoolctl import threadpool_info

    return max(
        (i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"),
        default=1,
    )


def _inner_scorer(pipeline, X, y):
    # With cache=False the scorer gets the whole fitted pipeline: it reports
    # whether the augmentation inside ran sequentially because nested.
    choice = pipeline.named_steps["aug"].backend_
    return float(choice.name == "sequential" and "nested" in choice.reason)


def _outer_scorer(search, X, y):
    # 1.0 when every level below GridSearchCV's worker ran sequentially and
    # the worker's BLAS was held to cores // n_jobs threads.
    inner = search.cv_results_["mean_test_score"]
    nested = search.backend_.name == "sequential" and "nested" in search.backend_.reason
    blas_ok = _blas_threads() <= max(1, joblib.cpu_count() // 2)
    return float(nested and blas_ok and np.all(inner == 1.0))


class _ProcessSampler:
    """Counts this process's descendants in a background thread (psutil)."""

    def __init__(self, ignore):
        self.ignore = ignore
        self.max_workers = 0
        self.max_depth = 0
        self.samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        me = psutil.Process()
        while not self._stop.wait(0.02):
            workers, depth = 0, 0
            for proc in me.children(recursive=True):
                try:
                    if proc.pid in self.ignore or "resource_tracker" in " ".join(
                        proc.cmdline()
                    ):
                        continue
                    workers += 1
                    # a worker's own worker would have a worker as parent
                    depth = max(depth, 2 if proc.ppid() != me.pid else 1)
                except psutil.NoSuchProcess:
                    continue
            self.max_workers = max(self.max_workers, workers)
            self.max_depth = max(self.max_depth, depth)
            self.samples += 1

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


def test_nested_search_of_augmentations_inside_grid_search_is_bounded():
    from joblib.externals.loky import get_reusable_executor

    # Start from no worker at all: idle workers of earlier tests are not
    # this test's.
    get_reusable_executor().shutdown(wait=True)
    before = {p.pid for p in psutil.Process().children(recursive=True)}
    pipe = Pipeline(
        [
            (
                "aug",
                ParallelFeatureAugmentation(
                    [
                        ("snv", StandardNormalVariate()),
                        ("msc", MultiplicativeScatterCorrection()),
                        ("sg", SavitzkyGolay(window_length=7, deriv=1)),
                    ],
                    backend="loky",
                    n_jobs=2,
                ),
            ),
            ("pls", PLSRegression()),
        ]
    )
    search = ParallelModelSearch(
        [("augpls", pipe, {"pls__n_components": [1, 2]})],
        cv=3,
        backend="loky",
        n_jobs=2,
        cache=False,
        scoring=_inner_scorer,
    )
    outer = GridSearchCV(
        search, {"cv": [2, 3]}, cv=2, n_jobs=2, scoring=_outer_scorer, refit=False
    )
    with _ProcessSampler(before) as sampler:
        outer.fit(X, Y)
    # completed, and every inner level ran sequentially ("nested")
    np.testing.assert_array_equal(outer.cv_results_["mean_test_score"], [1.0, 1.0])
    assert sampler.samples > 0
    # Processes, not CPU%: never more worker processes than the outer n_jobs,
    # and no worker ever started workers of its own.
    assert 1 <= sampler.max_workers <= 2
    assert sampler.max_depth == 1


# ---------------------------------------------------------------------------
# 6. Determinism: same inputs and random_state, same bits
# ---------------------------------------------------------------------------


def _random_transformers():
    from sklearn.random_projection import GaussianRandomProjection

    return [
        ("detrend", Detrend()),
        ("msc", MultiplicativeScatterCorrection()),
        ("proj", GaussianRandomProjection(n_components=7, random_state=0)),
        ("sg", SavitzkyGolay(window_length=7, deriv=1)),
    ]


@pytest.mark.parametrize("backend", BACKENDS)
def test_augmentation_is_deterministic(backend, monkeypatch):
    monkeypatch.setattr(aug_module, "_MIN_TASK_VALUES", 320)  # row blocks too
    runs = []
    for _ in range(2):
        aug = ParallelFeatureAugmentation(
            _random_transformers(), backend=backend, n_jobs=2
        )
        runs.append((aug.fit_transform(X), aug.transform(X[::-1])))
    np.testing.assert_array_equal(runs[0][0], runs[1][0])
    np.testing.assert_array_equal(runs[0][1], runs[1][1])
    # and the same values as each transformer alone (BLAS may differ in the
    # last bit with the row split, hence a tight tolerance across backends)
    expected = np.hstack([clone(t).fit_transform(X) for _, t in _random_transformers()])
    np.testing.assert_allclose(runs[0][0], expected, rtol=1e-12, atol=1e-12)


def _random_candidates():
    from sklearn.linear_model import SGDRegressor

    return [
        (
            "pls",
            Pipeline([("snv", StandardNormalVariate()), ("pls", PLSRegression())]),
            {"pls__n_components": [1, 2, 4]},
        ),
        (
            "sgd",
            Pipeline(
                [("scale", StandardScaler()), ("sgd", SGDRegressor(random_state=0))]
            ),
            {"sgd__alpha": [1e-4, 1e-2]},
        ),
        (
            "aug",
            Pipeline(
                [
                    (
                        "aug",
                        ParallelFeatureAugmentation(_random_transformers(), n_jobs=2),
                    ),
                    ("pls", PLSRegression(n_components=2)),
                ]
            ),
        ),
    ]


@pytest.mark.parametrize("backend", BACKENDS)
def test_search_is_deterministic(backend):
    cv = KFold(4, shuffle=True, random_state=0)
    keys = None
    runs = []
    for _ in range(2):
        search = ParallelModelSearch(
            _random_candidates(), cv=cv, backend=backend, n_jobs=2
        ).fit(X, Y)
        keys = [k for k in search.cv_results_ if k.startswith("split")]
        runs.append(
            (
                np.array([search.cv_results_[k] for k in keys]),
                search.best_index_,
                search.predict(X),
            )
        )
    np.testing.assert_array_equal(runs[0][0], runs[1][0])
    assert runs[0][1] == runs[1][1]
    np.testing.assert_array_equal(runs[0][2], runs[1][2])
