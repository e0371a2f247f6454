"""Tests of the dispatch layer: backend resolution, task running, failures."""

from __future__ import annotations

import sys
import time

import joblib
import pytest

from sklearn_nirs._parallel import (
    AUTO_MIN_COST,
    BackendChoice,
    Task,
    TaskFailure,
    raise_failure,
    resolve_backend,
    run_tasks,
)

BIG = AUTO_MIN_COST * 100
SMALL = AUTO_MIN_COST / 100


def _square(x):
    return x * x


def _sleep_then(x, seconds):
    time.sleep(seconds)
    return x


def _fail_on(x, bad):
    if x == bad:
        raise KeyError(f"bad value {x}")
    return x


class _TwoArgError(Exception):
    def __init__(self, code, detail):
        super().__init__(code, detail)


def _raise_two_arg(_):
    raise _TwoArgError(3, "detail")


def _resolve(backend=None, n_jobs=None, n_tasks=10, workload="augment", cost=BIG):
    return resolve_backend(
        backend, n_jobs, n_tasks=n_tasks, workload=workload, cost=cost
    )


# -- resolve_backend -------------------------------------------------------


def test_none_without_config_means_one_job():
    choice = _resolve()
    assert choice.name == "sequential"
    assert choice.n_jobs == 1
    assert "n_jobs=1" in choice.reason


def test_none_takes_backend_and_n_jobs_from_parallel_config():
    with joblib.parallel_config(backend="threading", n_jobs=2):
        choice = _resolve()
    assert (choice.name, choice.n_jobs, choice.from_context) == ("threading", 2, True)
    assert "parallel_config" in choice.reason


def test_n_jobs_from_parallel_config_with_auto_policy():
    with joblib.parallel_config(n_jobs=2):
        choice = _resolve()
    assert (choice.name, choice.n_jobs) == ("threading", 2)
    assert choice.reason.startswith("auto")


def test_minus_one_means_all_cpus_capped_by_tasks():
    cpus = joblib.cpu_count()
    assert _resolve("threading", -1, n_tasks=1000).n_jobs == cpus
    assert _resolve("threading", 64, n_tasks=3).n_jobs == min(64, 3)
    # one task: one worker, run as a plain loop
    assert _resolve("loky", 4, n_tasks=1).name == "sequential"


def test_unknown_backend_lists_valid_names():
    with pytest.raises(ValueError, match=r"got 'nope'") as info:
        _resolve("nope", 2)
    for name in ("auto", "sequential", "threading", "loky", "multiprocessing"):
        assert name in str(info.value)


@pytest.mark.parametrize("n_jobs", [0, 1.5, True, "2"])
def test_bad_n_jobs(n_jobs):
    with pytest.raises((ValueError, TypeError), match="n_jobs"):
        _resolve("threading", n_jobs)


def test_auto_small_work_is_sequential():
    choice = _resolve("auto", 2, cost=SMALL)
    assert choice.name == "sequential"
    assert "small" in choice.reason
    assert choice.blas_threads is None


def test_auto_large_augmentation_uses_threads_with_blas_limit():
    choice = _resolve("auto", 2, cost=BIG)
    assert choice.name == "threading"
    assert not choice.uses_processes
    assert choice.blas_threads == max(1, joblib.cpu_count() // 2)


def test_auto_large_search_uses_threads_with_limited_blas():
    choice = _resolve("auto", 2, cost=BIG, workload="search")
    assert choice.name == "threading"
    assert not choice.uses_processes
    assert choice.blas_threads == max(1, joblib.cpu_count() // 2)


def test_nested_inside_a_joblib_worker_runs_sequentially():
    calls = [joblib.delayed(_resolve)("auto", 2) for _ in range(2)]
    calls += [joblib.delayed(_resolve)("threading", 2) for _ in range(2)]
    choices = joblib.Parallel(n_jobs=2, backend="threading")(calls)
    for choice in choices:
        assert choice.name == "sequential"
        assert "nested" in choice.reason


# -- run_tasks -------------------------------------------------------------


@pytest.mark.parametrize("backend", ["sequential", "threading"])
def test_results_in_task_order(backend):
    choice = BackendChoice(backend, 2 if backend != "sequential" else 1, "", None)
    # later tasks finish first
    tasks = [Task(_sleep_then, (i, 0.02 * (4 - i)), f"t{i}") for i in range(5)]
    timings = []
    assert run_tasks(tasks, choice, timings=timings) == list(range(5))
    assert len(timings) == 5 and all(t >= 0 for t in timings)


def test_on_error_return_keeps_the_other_results():
    choice = BackendChoice("threading", 2, "", None)
    tasks = [Task(_fail_on, (i, 2), f"task {i}") for i in range(5)]
    out = run_tasks(tasks, choice, on_error="return")
    assert out[:2] == [0, 1] and out[3:] == [3, 4]
    assert isinstance(out[2], TaskFailure)
    assert out[2].label == "task 2"
    assert isinstance(out[2].exception, KeyError)
    assert "_fail_on" in out[2].traceback


def test_on_error_raise_names_the_task():
    choice = BackendChoice("threading", 2, "", None)
    tasks = [Task(_fail_on, (i, 3), f"candidate {i}") for i in range(5)]
    with pytest.raises(KeyError, match="candidate 3") as info:
        run_tasks(tasks, choice)
    assert isinstance(info.value.__cause__, KeyError)


def test_bad_on_error():
    with pytest.raises(ValueError, match="on_error"):
        run_tasks([], BackendChoice("sequential", 1, "", None), on_error="ignore")


def test_on_result_replaces_results():
    choice = BackendChoice("threading", 2, "", None)
    tasks = [Task(_square, (i,), f"t{i}") for i in range(4)]
    seen = []
    out = run_tasks(tasks, choice, on_result=lambda i, r: seen.append(i) or -r)
    assert out == [0, -1, -4, -9]
    assert seen == [0, 1, 2, 3]


# -- raise_failure -----------------------------------------------------------


def test_raise_failure_type_cause_message():
    original = ValueError("window too long")
    failure = TaskFailure("transformer 'sg' (index 2) during fit", original, "tb")
    with pytest.raises(ValueError) as info:
        raise_failure(failure, context="Aug")
    message = str(info.value)
    assert "Aug" in message
    assert "transformer 'sg' (index 2) during fit" in message
    assert "ValueError" in message and "window too long" in message
    assert info.value.__cause__ is original


def test_raise_failure_falls_back_to_runtime_error():
    choice = BackendChoice("sequential", 1, "", None)
    with pytest.raises(RuntimeError, match="task x failed with _TwoArgError") as info:
        run_tasks([Task(_raise_two_arg, (0,), "task x")], choice)
    assert isinstance(info.value.__cause__, _TwoArgError)


# -- progress and verbose ----------------------------------------------------


def test_progress_without_tqdm_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "tqdm", None)
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)
    choice = BackendChoice("sequential", 1, "", None)
    with pytest.raises(ImportError, match=r"sklearn-nirs\[progress\]"):
        run_tasks([Task(_square, (2,), "t")], choice, progress=True)


def test_progress_bar_and_verbose(capsys):
    choice = BackendChoice("threading", 2, "", None)
    tasks = [Task(_square, (i,), f"task {i}") for i in range(3)]
    assert run_tasks(tasks, choice, progress=True, verbose=1, desc="demo") == [0, 1, 4]
    out = capsys.readouterr()
    assert "[demo] (3 of 3) task 2" in out.out
    assert "demo" in out.err and "/3" in out.err  # the tqdm bar, on stderr
