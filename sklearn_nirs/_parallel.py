"""The one module that knows about joblib: backends, dispatch, progress, failures.

Both :class:`~sklearn_nirs.ParallelFeatureAugmentation` and
:class:`~sklearn_nirs.ParallelModelSearch` dispatch their work only through
:func:`resolve_backend` and :func:`run_tasks`. Tasks run through
:class:`sklearn.utils.parallel.Parallel` and :func:`sklearn.utils.parallel.delayed`,
which carry the caller's scikit-learn configuration and warning filters into
the workers.

Backend resolution
------------------
``backend=None`` means the backend of an active :func:`joblib.parallel_config`
when the user set one, else ``"auto"``. ``n_jobs=None`` means 1 unless a
``parallel_config`` gives ``n_jobs``, or the whole cluster for a cluster backend
(dask, ray, spark); negative values count from the number of CPUs (``-1``: all
of them) or of cluster workers. There are never more workers than tasks, and one
worker means a plain sequential loop in the calling thread (no joblib at all,
so the small-input path costs nothing but the loop).

The ``"auto"`` policy
---------------------
``cost`` is a rough count of the values the work touches (for augmentation:
``n_samples * n_wavelengths * n_transformers``; for a search:
``n_candidates * n_folds * n_samples * n_wavelengths``).

* Below ``AUTO_MIN_COST`` (1e6 values, a few milliseconds of numpy work) the
  work runs sequentially: dispatching to workers costs about a millisecond per
  task, more than the work itself (Tecator, 215 x 100 x 10 transformers, is
  2.2e5 values).
* ``workload="augment"``: threads. Preprocessings are numpy/scipy array
  operations that release the GIL, their outputs are large (as large as the
  input, per transformer), and threads can write them straight into one shared
  output array. Processes would have to pickle every output block back to the
  parent, which costs more than the computation itself: measured on 2 cores,
  10,000 x 2,000 spectra and 10 preprocessings, loky was 5-7x *slower* than a
  sequential loop. Processes therefore rarely pay for augmentation; they are
  used only when asked for explicitly.
* ``workload="search"``: threads too, with one BLAS thread each on a 2-core
  machine. PLS fitting is BLAS-bound and numpy releases the GIL in it; threads
  share the training data instead of copying it to worker processes. Measured
  on 2 cores (10 preprocessings x PLS 1..20, 5 folds, 2,000 x 1,000 synthetic
  spectra, medians of 3, alternating): threads 7.8 s, loky 9.4 s, sequential
  with free BLAS threads 32 s on a busy machine; threads 3.74 s and loky 3.76 s
  on a quiet one (``benchmarks/bench_search_backends.py``), threads using a
  third of loky's memory. Pure-Python model code that holds the GIL may
  favour processes: ask for ``backend="loky"`` explicitly.

BLAS threads: with ``k`` local workers each worker may use
``max(1, n_cpus // k)`` BLAS threads (1 on a 2-core machine with 2 workers),
set with :mod:`threadpoolctl` (threads: one process-wide limit around the run;
processes: a limit inside each task). Sequential runs leave BLAS alone.

Nested parallelism
------------------
Inside a joblib worker (``GridSearchCV(n_jobs=2)``, a ``ParallelModelSearch``
worker, or any joblib task), joblib sets a nested backend whose
``nesting_level`` is at least 1. :func:`resolve_backend` detects it and runs
local backends (auto, threading, loky, multiprocessing) sequentially with one
worker, so the outer level owns all the CPUs; the BLAS limit set by the outer
level (loky sets ``cpu_count // n_jobs`` per worker process, our threads set a
process-wide limit) stays in force. Distributed backends (dask, ray, spark)
are left as asked, since their workers live elsewhere.

Failures
--------
Every task runs inside a wrapper that catches its exception and returns it
with its formatted traceback, so the parent knows which task failed (a
:class:`Task` carries a ``label`` in the user's words) and re-raises with
:func:`raise_failure`: same exception type, a message naming the culprit, the
original exception as ``__cause__``. A worker process that dies (killed, out of
memory, ``os._exit``) raises :class:`WorkerDiedError` promptly, naming the
task(s) it was running: on local process backends each task notes its label's
index and its worker's pid in a small file of a temporary directory while it
runs, and the files left behind by a dead worker name its task. joblib's
``"loky"`` backend detects that itself; joblib's ``"multiprocessing"`` backend
would wait forever for the lost task (a ``multiprocessing.Pool`` silently
replaces dead workers), so here a watchdog thread polls the pool's worker
processes every 0.05 s and, when one exits with a non-zero code, makes joblib
abort the run (through ``Parallel``'s own timeout mechanism, set to zero).
"""

from __future__ import annotations

import contextlib
import numbers
import os
import pickle
import shutil
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal, NamedTuple, NoReturn

import joblib
from sklearn.utils.parallel import Parallel, delayed

__all__ = [
    "AUTO_MIN_COST",
    "BackendChoice",
    "Task",
    "TaskFailure",
    "WorkerDiedError",
    "raise_failure",
    "resolve_backend",
    "run_tasks",
]

#: Below this many values processed, "auto" runs sequentially.
AUTO_MIN_COST = 1e6

_LOCAL_BACKENDS = ("sequential", "threading", "loky", "multiprocessing")
_PROCESS_BACKENDS = ("loky", "multiprocessing")
_THREAD_BACKENDS = ("sequential", "threading")
_WATCHDOG_PERIOD = 0.05


class WorkerDiedError(RuntimeError):
    """A worker process died (killed, out of memory, ``os._exit``) during a run."""


@dataclass(frozen=True)
class BackendChoice:
    """The backend a run uses, with the number of workers and why.

    Parameters
    ----------
    name : str
        joblib backend actually used: ``"sequential"``, ``"threading"``,
        ``"loky"``, ``"multiprocessing"``, or a registered one (``"dask"``...).
    n_jobs : int
        Effective number of workers (>= 1).
    reason : str
        Short human-readable reason for the choice.
    blas_threads : int or None
        BLAS threads allowed per worker (None: leave BLAS alone).
    from_context : bool, default=False
        True when the backend comes from an active ``joblib.parallel_config``
        (it is then used as configured there, with its own options).
    """

    name: str
    n_jobs: int
    reason: str
    blas_threads: int | None
    from_context: bool = False

    @property
    def uses_processes(self) -> bool:
        """True when workers do not share memory with the caller."""
        return self.name not in _THREAD_BACKENDS

    def __str__(self) -> str:
        return f"{self.name} (n_jobs={self.n_jobs}): {self.reason}"


class Task(NamedTuple):
    """One unit of work: ``func(*args)``, named in the user's words by ``label``."""

    func: Callable
    args: tuple
    label: str


@dataclass
class TaskFailure:
    """A task that raised: its label, the original exception and its traceback."""

    label: str
    exception: BaseException
    traceback: str


# ---------------------------------------------------------------------------
# Backend resolution
# ---------------------------------------------------------------------------


def _context_backend():
    """Return ``(backend_or_None, n_jobs_or_None, nesting_level)`` from joblib.

    ``backend`` is the backend instance set by an active ``parallel_config``
    at the top level (None when the user set none). Inside a joblib worker,
    joblib installs a nested backend with ``nesting_level >= 1``: reported as
    the nesting level, not as a user choice.
    """
    backend, n_jobs = joblib.parallel.get_active_backend()
    nesting = getattr(backend, "nesting_level", 0) or 0
    # joblib gives no public way to tell "the user set a backend" from "the
    # default loky backend"; the thread-local config tells it (guarded, so a
    # change in joblib only loses the context detection, never breaks a run).
    config = getattr(joblib.parallel._backend, "config", None)
    explicit = False
    if isinstance(config, dict):
        default = joblib.parallel.default_parallel_config.get("backend")
        explicit = config.get("backend", default) is not default
    if nesting >= 1 or not explicit:
        backend = None
    return backend, n_jobs, nesting


def _backend_name(backend) -> str:
    for name, factory in joblib.parallel.BACKENDS.items():
        if type(backend) is factory:
            return name
    return type(backend).__name__


def _valid_backend_names() -> list[str]:
    names = set(joblib.parallel.BACKENDS) | set(joblib.parallel.EXTERNAL_BACKENDS)
    return sorted(names | {"auto", *_LOCAL_BACKENDS})


def _check_n_jobs(n_jobs) -> None:
    if n_jobs is None:
        return
    if isinstance(n_jobs, bool) or not isinstance(n_jobs, numbers.Integral):
        raise TypeError(f"n_jobs must be None or an int; got {n_jobs!r}.")
    if n_jobs == 0:
        raise ValueError("n_jobs == 0 has no meaning; use None, 1, 2, ... or -1.")


def _cpu_count() -> int:
    return max(1, joblib.cpu_count())


def resolve_backend(
    backend: str | None,
    n_jobs: int | None,
    *,
    n_tasks: int,
    workload: Literal["augment", "search"],
    cost: float,
) -> BackendChoice:
    """Choose the backend, the number of workers and the BLAS limit of a run.

    Parameters
    ----------
    backend : str or None
        None (the backend of an active ``joblib.parallel_config``, else
        "auto"), "auto", "sequential", "threading", "loky",
        "multiprocessing" or any backend registered with joblib.
    n_jobs : int or None
        None means 1 unless a ``parallel_config`` says otherwise; negative
        values count from the number of CPUs (-1: all).
    n_tasks : int
        Number of tasks; never more workers than tasks.
    workload : {"augment", "search"}
        Kind of work, used by the "auto" policy (see the module docstring).
    cost : float
        Rough count of values processed, used by the "auto" policy.

    Returns
    -------
    choice : BackendChoice
    """
    _check_n_jobs(n_jobs)
    if workload not in ("augment", "search"):
        raise ValueError(f"workload must be 'augment' or 'search'; got {workload!r}.")
    if backend is not None and not isinstance(backend, str):
        raise TypeError(
            f"backend must be None or a backend name (str); got {backend!r}."
        )
    valid = _valid_backend_names()
    if backend is not None and backend not in valid:
        raise ValueError(f"backend must be None or one of {valid}; got {backend!r}.")

    ctx_backend, ctx_n_jobs, nesting = _context_backend()
    from_context = False
    if backend is None:
        if ctx_backend is not None:
            backend, from_context = _backend_name(ctx_backend), True
        else:
            backend = "auto"
    local = backend == "auto" or backend in _LOCAL_BACKENDS
    if n_jobs is None:
        # Asking for a cluster backend means using the cluster: its size, not
        # one local worker, is what "no n_jobs given" should mean there.
        default = 1 if local else -1
        n_jobs = ctx_n_jobs if ctx_n_jobs is not None else default
        _check_n_jobs(n_jobs)

    if n_jobs < 0:
        cpus = _cpu_count()
        if not local:
            # a cluster backend knows its own size (else: count local CPUs)
            with contextlib.suppress(Exception):
                cpus = joblib.parallel.BACKENDS[backend]().effective_n_jobs(-1)
        n_jobs = max(1, cpus + 1 + n_jobs)
    n_tasks = max(1, int(n_tasks))
    n_workers = min(n_jobs, n_tasks)

    def seq(reason: str) -> BackendChoice:
        return BackendChoice("sequential", 1, reason, None)

    if local and nesting >= 1:
        return seq(
            f"nested inside a joblib worker (nesting level {nesting}): one worker "
            "so the outer level owns the CPUs"
        )
    if backend == "sequential":
        return seq("asked for sequential")
    if n_workers == 1:
        why = "n_jobs=1" if n_jobs == 1 else f"only {n_tasks} task"
        return seq(f"{why}: a plain loop, no dispatch")

    def blas() -> int | None:
        return max(1, _cpu_count() // n_workers) if local else None

    if backend == "auto":
        if cost < AUTO_MIN_COST:
            return seq(
                f"auto: {cost:.1e} values is small (< {AUTO_MIN_COST:.0e}); "
                "sequential avoids dispatch overhead"
            )
        if workload == "augment":
            return BackendChoice(
                "threading",
                n_workers,
                f"auto: {cost:.1e} values; threads release the GIL in numpy and "
                "write into one shared output (processes would pickle every block "
                f"back); {blas()} BLAS thread(s) per worker",
                blas(),
            )
        return BackendChoice(
            "threading",
            n_workers,
            f"auto: {cost:.1e} values; threads with {blas()} BLAS thread(s) each "
            "measure fastest for model fitting and share the data",
            blas(),
        )
    source = "from joblib.parallel_config" if from_context else "asked for"
    return BackendChoice(
        backend,
        n_workers,
        f"{source} {backend}" if not from_context else f"{backend} {source}",
        blas(),
        from_context=from_context,
    )


# ---------------------------------------------------------------------------
# Running tasks
# ---------------------------------------------------------------------------

_controller = None
_controller_lock = threading.Lock()


def _blas_limit(n_threads: int | None):
    """Context manager limiting BLAS threads (a no-op context when None)."""
    if n_threads is None:
        return contextlib.nullcontext()
    global _controller
    with _controller_lock:
        if _controller is None:
            from threadpoolctl import ThreadpoolController

            # One controller per process: building it scans the loaded
            # libraries, too slow to repeat for every task.
            _controller = ThreadpoolController()
    return _controller.limit(limits=n_threads, user_api="blas")


class _Failed:
    """What a worker returns instead of raising (picklable)."""

    __slots__ = ("exception", "traceback")

    def __init__(self, exception, traceback_text):
        self.exception = exception
        self.traceback = traceback_text

    def __getstate__(self):
        return (self.exception, self.traceback)

    def __setstate__(self, state):
        self.exception, self.traceback = state


def _picklable_exception(exc: BaseException) -> BaseException:
    try:
        pickle.loads(pickle.dumps(exc))
    except Exception:
        return RuntimeError(f"{type(exc).__name__}: {exc}")
    return exc


def _run_one(func, args, blas_threads, in_process, journal=None):
    """Run one task in a worker: time it, catch its failure, limit BLAS.

    ``journal``: ``(directory, index)`` on local process backends. A file
    named after the task holds the worker's pid while the task runs, so when
    a worker dies the parent can name the task it was running (the file of a
    killed task is never removed).
    """
    mark = None
    if journal is not None:
        mark = os.path.join(journal[0], str(journal[1]))
        with contextlib.suppress(OSError), open(mark, "w") as handle:
            handle.write(str(os.getpid()))
    start = time.perf_counter()
    try:
        if in_process and blas_threads is not None:
            with _blas_limit(blas_threads):
                result = func(*args)
        else:
            result = func(*args)
    except Exception as exc:
        text = traceback.format_exc()
        if in_process:
            exc = _picklable_exception(exc)
        return _Failed(exc, text), time.perf_counter() - start
    finally:
        if mark is not None:
            with contextlib.suppress(OSError):
                os.remove(mark)
    return result, time.perf_counter() - start


def _run_flat(func, blas_threads, in_process, journal, *args):
    """:func:`_run_one` with the task's arguments at the top level.

    joblib's Dask backend scatters large top-level arguments to the cluster
    once per run and hands every task a reference; arguments nested in a
    tuple would travel again with every task.
    """
    return _run_one(func, args, blas_threads, in_process, journal)


def _running_in_journal(journal, labels, pid=None):
    """Labels of the tasks that started but never finished (their worker died).

    With ``pid`` (known for the "multiprocessing" backend), only the tasks of
    that worker; otherwise every unfinished one (loky stops the other workers
    when one dies, so their tasks are unfinished too).
    """
    if journal is None:
        return []
    found = []
    with contextlib.suppress(OSError):
        for name in os.listdir(journal):
            with contextlib.suppress(OSError, ValueError):
                with open(os.path.join(journal, name)) as handle:
                    owner = int(handle.read() or -1)
                index = int(name)
                if pid is None or owner == pid:
                    found.append(index)
    return [labels[i] for i in sorted(found) if 0 <= i < len(labels)]


def _make_progress(progress, total, desc):
    if not progress:
        return None
    try:
        from tqdm.auto import tqdm
    except ImportError as exc:
        raise ImportError(
            "progress=True needs tqdm, which is not installed; install it with "
            'pip install "sklearn-nirs[progress]" (or pip install tqdm).'
        ) from exc
    return tqdm(total=total, desc=desc or None, leave=False)


def _watched_multiprocessing_backend():
    """joblib's "multiprocessing" backend whose pool records every worker it starts.

    A ``multiprocessing.Pool`` replaces a dead worker and forgets its task, so
    joblib alone would wait forever. ``Pool`` starts every worker through its
    ``Process`` hook, so recording them there sees each worker, even one that
    dies and is reaped between two polls of the watchdog. Returns None if
    joblib's internals moved (the plain backend is then used, unwatched).
    """
    try:
        import gc

        from joblib._parallel_backends import (
            FallbackToBackend,
            MultiprocessingBackend,
            SequentialBackend,
        )
        from joblib.pool import MemmappingPool
    except ImportError:  # pragma: no cover - joblib internals moved
        return None

    created: list = []

    class _TrackedPool(MemmappingPool):
        @staticmethod
        def Process(ctx, *args, **kwds):
            proc = ctx.Process(*args, **kwds)
            created.append(proc)
            return proc

    class _WatchedBackend(MultiprocessingBackend):
        def configure(self, n_jobs=1, parallel=None, prefer=None, require=None, **kw):
            # Same as joblib's MultiprocessingBackend.configure, with our pool.
            n_jobs = self.effective_n_jobs(n_jobs)
            if n_jobs == 1:
                raise FallbackToBackend(
                    SequentialBackend(nesting_level=self.nesting_level)
                )
            gc.collect()
            self._pool = _TrackedPool(n_jobs, **{**self.backend_kwargs, **kw})
            self.parallel = parallel
            return n_jobs

    backend = _WatchedBackend()
    backend.created_workers = created
    return backend


class _Watchdog:
    """Abort a run of the watched "multiprocessing" backend when a worker dies.

    Polls the exit codes of the pool's workers; when one ends with a non-zero
    code it records it and sets the Parallel's timeout to zero, so joblib's own
    timeout check aborts the run (terminating the pool) at its next poll.
    """

    def __init__(self, parallel, workers):
        self.parallel = parallel
        self.workers = workers
        self.dead = None
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._loop, name="sklearn-nirs-watchdog", daemon=True
        )

    def _loop(self):
        while not self._stop.wait(_WATCHDOG_PERIOD):
            for proc in list(self.workers):
                code = proc.exitcode
                if code is not None and code != 0:
                    self.dead = (proc.pid, code)
                    self.parallel.timeout = 0
                    return

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


def _describe_death(choice, labels, done, detail, running=()):
    if running:
        what = f"while running {'; '.join(running)}"
    else:
        pending = labels[done] if done < len(labels) else "the last task"
        what = f"the first missing result being that of {pending}"
    return (
        f"A worker process of the {choice.name!r} backend died ({detail}) {what}; "
        f"results had come back for {done} of {len(labels)} task(s). Killed "
        "workers usually mean the memory ran out (try a smaller n_jobs or the "
        "'threading' backend) or the code called os._exit."
    )


def run_tasks(
    tasks: Sequence[Task],
    choice: BackendChoice,
    *,
    on_error: Literal["raise", "return"] = "raise",
    progress: bool = False,
    verbose: int = 0,
    desc: str = "",
    pre_dispatch: str | int = "2*n_jobs",
    max_nbytes: str | int | None = "1M",
    timings: list | None = None,
    on_result: Callable | None = None,
) -> list:
    """Run tasks with the chosen backend; results come back in task order.

    Parameters
    ----------
    tasks : sequence of Task
        Each runs as ``task.func(*task.args)``; ``func`` must be picklable
        (module level) for process backends.
    choice : BackendChoice
        From :func:`resolve_backend`.
    on_error : {"raise", "return"}, default="raise"
        "raise": the first failure (in task order) is raised by
        :func:`raise_failure`; "return": a :class:`TaskFailure` replaces the
        result of each failed task and the others complete.
    progress : bool, default=False
        Show a tqdm progress bar (needs the ``progress`` extra).
    verbose : int, default=0
        When > 0, print each task's time as it completes.
    desc : str, default=""
        Name used in progress bars and verbose messages.
    pre_dispatch : str or int, default="2*n_jobs"
        Passed to :class:`joblib.Parallel`.
    max_nbytes : str, int or None, default="1M"
        Arrays larger than this travel to process workers as read-only
        memmaps (joblib's auto-memmapping), not as pickles.
    timings : list or None, default=None
        When given, each task's wall time in seconds is appended, in order.
    on_result : callable or None, default=None
        When given, ``on_result(i, result)`` is called in the caller's thread
        as each result arrives (in task order) and its return value is kept
        instead of the result: lets a caller copy a large block into place
        and drop it at once.

    Returns
    -------
    results : list
        One result per task, in task order.
    """
    if on_error not in ("raise", "return"):
        raise ValueError(f"on_error must be 'raise' or 'return'; got {on_error!r}.")
    tasks = list(tasks)
    labels = [t.label for t in tasks]
    bar = _make_progress(progress, len(tasks), desc)
    results = []
    prefix = f"[{desc}] " if desc else ""

    def collect(i, out):
        value, seconds = out
        if timings is not None:
            timings.append(seconds)
        if bar is not None:
            bar.update(1)
        if verbose > 0:
            print(
                f"{prefix}({i + 1} of {len(tasks)}) {labels[i]}, total={seconds:6.3f}s",
                file=sys.stdout,
                flush=True,
            )
        if isinstance(value, _Failed):
            failure = TaskFailure(labels[i], value.exception, value.traceback)
            if on_error == "raise":
                raise_failure(failure)
            value = failure
        elif on_result is not None:
            value = on_result(i, value)
        results.append(value)

    stack = contextlib.ExitStack()
    try:
        if choice.name == "sequential":
            # The plain loop: no joblib, no dispatch cost (the small-input path).
            for i, task in enumerate(tasks):
                collect(i, _run_one(task.func, task.args, None, False))
            return results
        in_process = choice.uses_processes
        kwargs = {"n_jobs": choice.n_jobs, "pre_dispatch": pre_dispatch}
        # Ordered generator: results are handled (progress, first failure) as
        # they arrive; joblib's multiprocessing backend only returns lists.
        kwargs["return_as"] = (
            "list" if choice.name == "multiprocessing" else "generator"
        )
        watched = None
        if choice.name == "multiprocessing" and not choice.from_context:
            watched = _watched_multiprocessing_backend()
        if watched is not None:
            kwargs["backend"] = watched
        elif not choice.from_context and choice.name in _LOCAL_BACKENDS:
            kwargs["backend"] = choice.name
        elif not choice.from_context:
            # joblib registers cluster backends (dask, ray, spark) lazily and
            # builds them correctly only through parallel_config: passing the
            # name to Parallel fails ("Invalid backend: dask", then a
            # nesting_level argument forwarded to client.submit).
            stack.enter_context(joblib.parallel_config(backend=choice.name))
        if in_process:
            kwargs["max_nbytes"] = max_nbytes
        parallel = Parallel(**kwargs)
        journal = None
        if not choice.from_context and choice.name in _PROCESS_BACKENDS:
            # Local workers share the file system: they note which task each
            # runs, so a dead worker's task can be named (see _run_one).
            journal = tempfile.mkdtemp(prefix="sklearn-nirs-tasks-")
            stack.callback(shutil.rmtree, journal, ignore_errors=True)
        calls = (
            delayed(_run_flat)(
                t.func,
                choice.blas_threads,
                in_process,
                None if journal is None else (journal, i),
                *t.args,
            )
            for i, t in enumerate(tasks)
        )
        limit = None if in_process else choice.blas_threads
        watch = None
        if watched is not None:
            watch = _Watchdog(parallel, watched.created_workers)
        done = 0
        try:
            with _blas_limit(limit):
                if watch is not None:
                    watch.__enter__()
                try:
                    for i, out in enumerate(parallel(calls)):
                        collect(i, out)
                        done = i + 1
                finally:
                    if watch is not None:
                        watch.__exit__(None, None, None)
        except Exception as exc:
            if watch is not None and watch.dead is not None:
                pid, code = watch.dead
                raise WorkerDiedError(
                    _describe_death(
                        choice,
                        labels,
                        done,
                        f"pid {pid}, exit code {code}",
                        _running_in_journal(journal, labels, pid),
                    )
                ) from exc
            if _is_worker_death(exc):
                raise WorkerDiedError(
                    _describe_death(
                        choice,
                        labels,
                        done,
                        type(exc).__name__,
                        _running_in_journal(journal, labels),
                    )
                ) from exc
            raise
        return results
    finally:
        stack.close()
        if bar is not None:
            bar.close()


def _is_worker_death(exc: BaseException) -> bool:
    from concurrent.futures.process import BrokenProcessPool

    if isinstance(exc, BrokenProcessPool):  # loky's TerminatedWorkerError too
        return True
    return type(exc).__name__ in {
        "TerminatedWorkerError",
        "KilledWorker",
        "WorkerLostError",
    }


def raise_failure(failure: TaskFailure, context: str = "") -> NoReturn:
    """Re-raise a task's failure, naming the culprit, with the original as cause.

    The new exception has the original type when that type can be built from
    one message (else it is a RuntimeError); its message names
    ``failure.label``, the original type and message; the worker's traceback
    is attached as a note; ``__cause__`` is the original exception.

    Parameters
    ----------
    failure : TaskFailure
        The failed task.
    context : str, default=""
        Prefix for the message (for instance the estimator's name).
    """
    original = failure.exception
    kind = type(original).__name__
    prefix = f"{context}: " if context else ""
    message = f"{prefix}{failure.label} failed with {kind}: {original}"
    try:
        err = type(original)(message)
        if not isinstance(err, type(original)) or str(err).find(failure.label) < 0:
            raise TypeError
    except Exception:
        err = RuntimeError(message)
    if failure.traceback and getattr(original, "__traceback__", None) is None:
        # Process workers lose the traceback object on the way back: keep its text.
        err.add_note("Traceback in the worker:\n" + failure.traceback.rstrip())
    raise err from original
