"""Names of workloads, data sets and methods: cheap to import, for the CLI."""

from __future__ import annotations

import importlib.util

WORKLOADS = ("augment", "search")
DATASETS = ("tecator", "synthetic")
MAX_AUGMENTERS = 12  # the length of _workloads.make_augmenters' catalogue

# Method name -> label shown in tables. The order is the order of the table;
# "sequential" stays first: it is the reference of speed-up, memory and output.
METHOD_LABELS = {
    "sequential": "Sequential loop",
    "threadpool": "concurrent.futures.ThreadPoolExecutor",
    "joblib_threading": "joblib (threading)",
    "joblib_loky": "joblib (loky)",
    "multiprocessing": "multiprocessing.Pool",
    "sklearn": "scikit-learn {sklearn_name}(n_jobs)",
    "ours_auto": "sklearn-nirs {ours_name} (auto)",
    "ours_threading": "sklearn-nirs {ours_name} (threading)",
    "ours_loky": "sklearn-nirs {ours_name} (loky)",
    "dask": "Dask (LocalCluster, processes)",
}
METHODS = tuple(METHOD_LABELS)
_NAMES = {
    "augment": {
        "sklearn_name": "FeatureUnion",
        "ours_name": "ParallelFeatureAugmentation",
    },
    "search": {"sklearn_name": "GridSearchCV", "ours_name": "ParallelModelSearch"},
}


def method_label(method: str, workload: str) -> str:
    """Human-readable name of ``method`` for ``workload``."""
    return METHOD_LABELS[method].format(**_NAMES[workload])


def dask_available() -> bool:
    """Whether ``dask.distributed`` is installed (the ``dask`` extra)."""
    return importlib.util.find_spec("distributed") is not None


def available_methods() -> tuple[str, ...]:
    """The methods this installation can run (Dask only with its extra)."""
    return tuple(m for m in METHODS if m != "dask" or dask_available())
