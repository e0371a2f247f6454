"""The two workloads and every way of running them.

A *workload* is a fixed amount of work on one data set: ``augment`` applies
``N`` preprocessings to the same spectra and concatenates the results (the
design note's "10 augmenters"); ``search`` cross-validates ``N``
preprocessings x PLS ``n_components`` 1..C with 5-fold CV. A *method* is one
way of running that work (a sequential loop, a thread pool, joblib, ...). Every
method of a workload returns the same output, so the harness can check that
the parallel ones compute exactly what the sequential loop computes.

Functions handed to process pools live at module level so that they pickle.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
from sklearn.base import clone
from sklearn.metrics import get_scorer

from sklearn_nirs.benchmark._methods import DATASETS, MAX_AUGMENTERS

SCORING = "neg_mean_squared_error"
N_SPLITS = 5
SEED = 0


# --------------------------------------------------------------------------
# Data and the work itself
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class WorkloadConfig:
    """Everything a worker needs to rebuild the exact same work."""

    workload: str
    data: str = "synthetic"
    samples: int = 2000
    wavelengths: int = 1000
    augmenters: int = 10
    components: int = 20
    n_jobs: int = 2
    seed: int = SEED


def load_data(config: WorkloadConfig) -> tuple[np.ndarray, np.ndarray]:
    """Load or generate the spectra and target, deterministically."""
    from sklearn_nirs.datasets import load_tecator, make_nirs_regression

    if config.data == "tecator":
        X, y = load_tecator(return_X_y=True)
    elif config.data == "synthetic":
        X, y = make_nirs_regression(
            n_samples=config.samples,
            n_wavelengths=config.wavelengths,
            random_state=config.seed,
        )
    else:
        raise ValueError(f"data must be one of {list(DATASETS)}; got {config.data!r}.")
    return np.ascontiguousarray(X, dtype=np.float64), np.asarray(y, dtype=np.float64)


def make_augmenters(n: int, n_wavelengths: int) -> list[tuple[str, object]]:
    """The first ``n`` of the benchmark's preprocessings, as ``(name, transformer)``.

    The ten first are the design note's typical NIRS set; AsLS (a slow,
    per-spectrum sparse solver) and Norris-Williams follow, so ``n=11`` shows
    how a method copes with one task much longer than the others.
    """
    from sklearn_nirs import preprocessing as pp

    # Windows must fit narrow spectra (the --quick run uses few wavelengths).
    window = 11 if n_wavelengths >= 15 else 5
    catalogue = [
        ("snv", pp.StandardNormalVariate()),
        ("msc", pp.MultiplicativeScatterCorrection()),
        ("sg_smooth", pp.SavitzkyGolay(window_length=window, polyorder=2)),
        ("sg_d1", pp.SavitzkyGolay(window_length=window, polyorder=2, deriv=1)),
        ("sg_d2", pp.SavitzkyGolay(window_length=window, polyorder=2, deriv=2)),
        ("detrend", pp.Detrend()),
        ("gaussian", pp.GaussianSmoothing()),
        ("normalize", pp.Normalize()),
        ("rnv", pp.RobustNormalVariate()),
        ("emsc", pp.ExtendedMultiplicativeScatterCorrection()),
        ("asls", pp.AsymmetricLeastSquaresBaseline()),
        ("norris_williams", pp.NorrisWilliams()),
    ]
    assert len(catalogue) == MAX_AUGMENTERS  # keep the CLI's limit in step
    if not 1 <= n <= len(catalogue):
        raise ValueError(
            f"--augmenters must be between 1 and {len(catalogue)}; got {n}."
        )
    return catalogue[:n]


@dataclass
class Work:
    """The prepared inputs of one workload (built before the timer starts)."""

    config: WorkloadConfig
    X: np.ndarray
    y: np.ndarray
    augmenters: list[tuple[str, object]]
    # search only: the pipelines, component counts and CV splits
    pipelines: list[tuple[str, object]] | None = None
    components: list[int] | None = None
    splits: list[tuple[np.ndarray, np.ndarray]] | None = None

    @property
    def tasks(self) -> list[tuple[int, int, int]]:
        """Search tasks ``(pipeline index, n_components, fold)``, in output order."""
        return [
            (p, k, f)
            for p in range(len(self.pipelines))
            for k in self.components
            for f in range(len(self.splits))
        ]


def prepare(config: WorkloadConfig) -> Work:
    """Build the data and the estimators of ``config`` (untimed)."""
    from sklearn.cross_decomposition import PLSRegression
    from sklearn.model_selection import KFold
    from sklearn.pipeline import Pipeline

    X, y = load_data(config)
    augmenters = make_augmenters(config.augmenters, X.shape[1])
    work = Work(config, X, y, augmenters)
    if config.workload == "search":
        cv = KFold(n_splits=N_SPLITS, shuffle=True, random_state=config.seed)
        work.splits = list(cv.split(X, y))
        n_train = min(len(train) for train, _ in work.splits)
        top = min(config.components, X.shape[1], n_train - 1)
        work.components = list(range(1, top + 1))
        work.pipelines = [
            (name, Pipeline([("pre", t), ("pls", PLSRegression(scale=False))]))
            for name, t in augmenters
        ]
    return work


# --------------------------------------------------------------------------
# Task functions (module level: picklable for process pools)
# --------------------------------------------------------------------------


def _fit_transform_one(transformer, X):
    return clone(transformer).fit_transform(X)


def _fit_score_one(pipeline, n_components, X, y, train, test):
    model = clone(pipeline).set_params(pls__n_components=n_components)
    model.fit(X[train], y[train])
    return get_scorer(SCORING)(model, X[test], y[test])


# multiprocessing.Pool workers receive the data once, through the initializer
# (the documented way to share read-only inputs), not once per task.
_POOL_STATE: dict = {}


def _pool_init(state):
    _POOL_STATE.clear()
    _POOL_STATE.update(state)


def _pool_fit_transform(index):
    return _fit_transform_one(_POOL_STATE["augmenters"][index][1], _POOL_STATE["X"])


def _pool_fit_score(task):
    p, k, f = task
    s = _POOL_STATE
    train, test = s["splits"][f]
    return _fit_score_one(s["pipelines"][p][1], k, s["X"], s["y"], train, test)


# --------------------------------------------------------------------------
# Methods. Each returns (output array, info dict).
# augment: the (n_samples, sum of widths) concatenation, in augmenter order.
# search: test scores, shape (n_pipelines, n_components, n_splits).
# --------------------------------------------------------------------------


def _augment_args(work):
    return [(t, work.X) for _, t in work.augmenters]


def _search_args(work):
    return [
        (work.pipelines[p][1], k, work.X, work.y, *work.splits[f])
        for p, k, f in work.tasks
    ]


def _finish(work, results):
    if work.config.workload == "augment":
        return np.hstack(results)
    shape = (len(work.pipelines), len(work.components), len(work.splits))
    return np.asarray(results, dtype=np.float64).reshape(shape)


def _task(work):
    return _fit_transform_one if work.config.workload == "augment" else _fit_score_one


def _args(work):
    return (
        _augment_args(work) if work.config.workload == "augment" else _search_args(work)
    )


def run_sequential(work, setup):
    func = _task(work)
    return _finish(work, [func(*a) for a in _args(work)]), {}


def run_threadpool(work, setup):
    func = _task(work)
    with ThreadPoolExecutor(max_workers=work.config.n_jobs) as pool:
        results = list(pool.map(func, *zip(*_args(work), strict=True)))
    return _finish(work, results), {}


def _run_joblib(work, backend):
    from joblib import Parallel, delayed

    func = delayed(_task(work))
    results = Parallel(n_jobs=work.config.n_jobs, backend=backend)(
        func(*a) for a in _args(work)
    )
    return _finish(work, results), {}


def run_joblib_threading(work, setup):
    return _run_joblib(work, "threading")


def run_joblib_loky(work, setup):
    return _run_joblib(work, "loky")


def run_multiprocessing(work, setup):
    # The platform's default start method: what a user's Pool() gets.
    state = {"X": work.X, "y": work.y, "augmenters": work.augmenters}
    if work.config.workload == "augment":
        func, items = _pool_fit_transform, range(len(work.augmenters))
    else:
        state.update(pipelines=work.pipelines, splits=work.splits)
        func, items = _pool_fit_score, work.tasks
    with multiprocessing.Pool(
        work.config.n_jobs, initializer=_pool_init, initargs=(state,)
    ) as pool:
        results = pool.map(func, items)
    return _finish(work, results), {"start_method": multiprocessing.get_start_method()}


def _search_param_grid(work):
    return {
        "pre": [t for _, t in work.augmenters],
        "pls__n_components": work.components,
    }


def run_sklearn(work, setup):
    n_jobs = work.config.n_jobs
    if work.config.workload == "augment":
        from sklearn.pipeline import FeatureUnion

        union = FeatureUnion(work.augmenters, n_jobs=n_jobs)
        return np.asarray(union.fit_transform(work.X)), {}
    from sklearn.model_selection import GridSearchCV

    search = GridSearchCV(
        work.pipelines[0][1],
        _search_param_grid(work),
        scoring=SCORING,
        cv=work.splits,
        n_jobs=n_jobs,
        refit=False,
    )
    search.fit(work.X, work.y)
    results = search.cv_results_
    # Map each configuration back to (preprocessing index, n_components).
    index = {id(t): i for i, (_, t) in enumerate(work.augmenters)}
    out = _empty_scores(work)
    for row, params in enumerate(results["params"]):
        p = index[id(params["pre"])]
        k = work.components.index(params["pls__n_components"])
        out[p, k] = [results[f"split{f}_test_score"][row] for f in range(out.shape[2])]
    return out, {}


def _empty_scores(work):
    shape = (len(work.pipelines), len(work.components), len(work.splits))
    return np.full(shape, np.nan)


def _run_ours(work, backend):
    n_jobs = work.config.n_jobs
    if work.config.workload == "augment":
        from sklearn_nirs.augmentation import ParallelFeatureAugmentation

        est = ParallelFeatureAugmentation(
            work.augmenters, n_jobs=n_jobs, backend=backend
        )
        out = np.asarray(est.fit_transform(work.X))
        return out, _backend_info(est)
    from sklearn_nirs.search import ParallelModelSearch

    candidates = [
        (name, pipe, {"pls__n_components": work.components})
        for name, pipe in work.pipelines
    ]
    search = ParallelModelSearch(
        candidates,
        scoring=SCORING,
        cv=work.splits,
        refit=False,
        n_jobs=n_jobs,
        backend=backend,
    )
    search.fit(work.X, work.y)
    results = search.cv_results_
    names = [name for name, _ in work.pipelines]
    out = _empty_scores(work)
    for row, params in enumerate(results["params"]):
        p = names.index(str(results["candidate"][row]))
        k_value = next(v for key, v in params.items() if key.endswith("n_components"))
        k = work.components.index(int(k_value))
        out[p, k] = [results[f"split{f}_test_score"][row] for f in range(out.shape[2])]
    return out, _backend_info(search)


def _backend_info(estimator) -> dict:
    """What our estimator chose: backend name, full reason, BLAS per worker."""
    choice = getattr(estimator, "backend_", None)
    return {
        "backend_": getattr(choice, "name", str(choice)),
        "backend_reason": str(choice),
        "worker_blas_threads": getattr(choice, "blas_threads", None),
    }


def run_ours_auto(work, setup):
    return _run_ours(work, "auto")


def run_ours_threading(work, setup):
    return _run_ours(work, "threading")


def run_ours_loky(work, setup):
    return _run_ours(work, "loky")


def setup_dask(work):
    """Start a LocalCluster (untimed: users start a cluster once per session)."""
    import logging

    from distributed import Client, LocalCluster

    # Keep the cluster's INFO chatter out of the benchmark's stderr.
    logging.getLogger("distributed").setLevel(logging.ERROR)
    cluster = LocalCluster(
        n_workers=work.config.n_jobs,
        threads_per_worker=1,
        processes=True,
        dashboard_address=None,
        silence_logs=logging.ERROR,
    )
    client = Client(cluster)
    return {"cluster": cluster, "client": client}


def teardown_dask(state):
    state["client"].close()
    state["cluster"].close()


def run_dask(work, setup):
    client = setup["client"]
    # Ship the spectra to every worker once, as a Dask user would.
    X = client.scatter(work.X, broadcast=True)
    if work.config.workload == "augment":
        futures = [
            client.submit(_fit_transform_one, t, X, pure=False)
            for _, t in work.augmenters
        ]
    else:
        y = client.scatter(work.y, broadcast=True)
        futures = [
            client.submit(
                _fit_score_one,
                work.pipelines[p][1],
                k,
                X,
                y,
                *work.splits[f],
                pure=False,
            )
            for p, k, f in work.tasks
        ]
    return _finish(work, client.gather(futures)), {}


RUNNERS: dict[str, Callable] = {
    "sequential": run_sequential,
    "threadpool": run_threadpool,
    "joblib_threading": run_joblib_threading,
    "joblib_loky": run_joblib_loky,
    "multiprocessing": run_multiprocessing,
    "sklearn": run_sklearn,
    "ours_auto": run_ours_auto,
    "ours_threading": run_ours_threading,
    "ours_loky": run_ours_loky,
    "dask": run_dask,
}
SETUPS: dict[str, tuple[Callable, Callable]] = {"dask": (setup_dask, teardown_dask)}


def cpu_count() -> int:
    """Logical CPUs this process may use (the denominator of CPU utilization)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        return os.cpu_count() or 1
