"""
========================================
Running a model search on a Dask cluster
========================================

Both parallel estimators dispatch their work through joblib, so any joblib
backend can run it, including Dask: the same code that uses the cores of a
laptop can use the workers of a cluster. Here a
:class:`dask.distributed.LocalCluster` with two worker *processes* stands in
for a real cluster; with a real one, only the line that creates the
:class:`~dask.distributed.Client` changes (``Client("tcp://scheduler:8786")``).

This example needs ``pip install "sklearn-nirs[dask]"``. See :doc:`/scaling`
for more on running at scale.
"""

import time
from collections import Counter

import numpy as np
from dask.distributed import Client, LocalCluster, get_task_stream
from joblib import parallel_config
from sklearn.cross_decomposition import PLSRegression
from sklearn.model_selection import KFold
from sklearn.pipeline import make_pipeline

from sklearn_nirs import ParallelModelSearch
from sklearn_nirs.datasets import load_tecator
from sklearn_nirs.preprocessing import (
    MultiplicativeScatterCorrection,
    SavitzkyGolay,
    StandardNormalVariate,
)

# %%
# The search
# ----------
# Three preprocessings x 1-20 PLS components on Tecator fat, 5-fold
# cross-validated: 60 configurations, evaluated as 15 tasks (one per
# preprocessing and fold; every PLS size comes from a single PLS fit).

X, y = load_tecator(target="fat", return_X_y=True)
pls_sizes = {"plsregression__n_components": list(range(1, 21))}
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
# A two-worker local cluster
# --------------------------
# Two worker processes with one thread each; ``dashboard_address=None`` skips
# the web dashboard (pass ``":8787"`` to watch the tasks run).
#
# Dask starts worker processes with ``spawn``, which re-imports the main script
# in each of them. Code that starts processes must therefore sit under
# ``if __name__ == "__main__":``, as in any multiprocessing script, so that the
# workers do not try to start clusters of their own. (In a notebook the guard
# is harmless.)

if __name__ == "__main__":
    cluster = LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    )
    client = Client(cluster)
    print(client)

# %%
# Run it on the cluster
# ---------------------
# ``joblib.parallel_config(backend="dask")`` sends every joblib task to the
# cluster that the active :class:`~dask.distributed.Client` is connected to.
# With ``backend=None`` (the default) the search follows that context, and
# ``n_jobs=-1`` asks for as many workers as the cluster has.
# :func:`~dask.distributed.get_task_stream` records where each task ran: each
# record names the worker (by its address) that computed it.

if __name__ == "__main__":
    start = time.perf_counter()
    with get_task_stream(client) as stream, parallel_config(backend="dask", n_jobs=-1):
        search.fit(X, y)
    elapsed = time.perf_counter() - start

    print(f"fitted in {elapsed:.1f} s; backend: {search.backend_}")
    print(
        f"best: {search.best_candidate_} {search.best_params_}, "
        f"RMSECV {-search.best_score_:.2f} % fat"
    )

    per_worker = Counter(task["worker"] for task in stream.data)
    for worker, n_tasks in sorted(per_worker.items()):
        print(f"worker {worker} ran {n_tasks} tasks")
    print(
        f"{len(per_worker)} of {len(client.scheduler_info()['workers'])} "
        "workers were used"
    )

# %%
# Same answer as on one core
# --------------------------
# The backend decides where the work runs, never what it computes. Then close
# the client and the cluster (or use both as context managers:
# ``with LocalCluster(...) as cluster, Client(cluster) as client:``).

if __name__ == "__main__":
    local = ParallelModelSearch(**search.get_params(deep=False))
    local.set_params(backend="sequential").fit(X, y)
    same = np.allclose(
        local.cv_results_["mean_test_score"],
        search.cv_results_["mean_test_score"],
        rtol=1e-12,
    )
    print("identical scores sequentially:", same)

    client.close()
    cluster.close()
