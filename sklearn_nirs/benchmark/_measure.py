"""Run one method in a fresh subprocess and measure it from outside.

The worker (:mod:`sklearn_nirs.benchmark._worker`) times its own work and
counts its CPU time; this side samples the resident memory (RSS) of the worker
and of all its descendants (pool processes, Dask's nanny and workers) every few
milliseconds between the worker's ``START`` and ``END`` lines, and keeps the
largest sum. A fresh process per run keeps one method's memory from bleeding
into the next one's figures.
"""

from __future__ import annotations

import contextlib
import json
import queue
import subprocess
import sys
import tempfile
import threading
import time

SAMPLE_INTERVAL = 0.005  # seconds between two RSS samples of the process tree


class WorkerError(RuntimeError):
    """A benchmark worker process failed."""


def _tree_rss(psutil, proc) -> int:
    """Sum of the RSS of ``proc`` and all its live descendants, in bytes.

    Pages shared between processes (fork's copy-on-write, memmaps) count
    once per process, as the operating system's RSS figures do.
    """
    total = 0
    try:
        procs = [proc, *proc.children(recursive=True)]
    except psutil.Error:
        return 0
    for p in procs:
        # A process may exit between listing and reading: skip it.
        with contextlib.suppress(psutil.Error):
            total += p.memory_info().rss
    return total


def _read_lines(stream, lines: queue.Queue) -> None:
    for line in stream:
        lines.put(line.rstrip("\n"))
    lines.put(None)


def _kill_tree(psutil, ps) -> None:
    """Kill the worker and every process it started (all by pid)."""
    with contextlib.suppress(psutil.Error):
        for child in ps.children(recursive=True):
            with contextlib.suppress(psutil.Error):
                child.kill()
    with contextlib.suppress(psutil.Error):
        ps.kill()


def run_worker(spec: dict, *, timeout: float | None = None) -> list[dict]:
    """Run ``spec`` in a fresh Python process; return one result per item.

    Each result gains ``peak_rss`` (bytes: the sampled peak of the process
    tree between ``START`` and ``END``; for the first item at least the
    worker's own kernel-reported peak, which catches spikes between samples),
    ``baseline_rss`` (tree RSS when the work started) and ``n_samples`` (how
    many RSS samples were taken). A failure raises :class:`WorkerError` with
    the tail of the worker's stderr.
    """
    import psutil

    cmd = [sys.executable, "-m", "sklearn_nirs.benchmark._worker", json.dumps(spec)]
    results: list[dict] = []
    with tempfile.TemporaryFile(mode="w+") as err:
        proc = subprocess.Popen(
            cmd, stdout=subprocess.PIPE, stderr=err, text=True, bufsize=1
        )
        ps = psutil.Process(proc.pid)
        lines: queue.Queue = queue.Queue()
        reader = threading.Thread(
            target=_read_lines, args=(proc.stdout, lines), daemon=True
        )
        reader.start()
        sampling = False
        peak = baseline = n_samples = 0
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            if sampling:
                peak = max(peak, _tree_rss(psutil, ps))
                n_samples += 1
            try:
                line = lines.get(timeout=SAMPLE_INTERVAL)
            except queue.Empty:
                if deadline is not None and time.monotonic() > deadline:
                    _kill_tree(psutil, ps)
                    proc.wait()
                    raise WorkerError(
                        f"{spec['method']} did not finish within {timeout:g} s."
                    ) from None
                continue
            if line is None:  # stdout closed: the worker is exiting
                break
            if line == "START":
                baseline = peak = _tree_rss(psutil, ps)
                n_samples, sampling = 1, True
            elif line == "END":
                sampling = False
            elif line.startswith("RESULT "):
                result = json.loads(line[len("RESULT ") :])
                if not results:
                    peak = max(peak, result["self_peak_rss"])
                result.update(peak_rss=peak, baseline_rss=baseline)
                result["n_samples"] = n_samples
                results.append(result)
        returncode = proc.wait()
        reader.join()
        if returncode != 0 or len(results) != len(spec["items"]):
            err.seek(0)
            tail = err.read()[-3000:]
            raise WorkerError(
                f"{spec['method']} failed (exit code {returncode}) after "
                f"{len(results)} of {len(spec['items'])} workload(s):\n{tail}"
            )
    return results
