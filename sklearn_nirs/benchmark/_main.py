"""The ``sklearn-nirs benchmark`` subcommand: options, checks, and the run."""

from __future__ import annotations

import argparse
import sys

from sklearn_nirs.benchmark._methods import (
    DATASETS,
    MAX_AUGMENTERS,
    METHODS,
    available_methods,
)

DESCRIPTION = """\
Measure, on this machine, how fast each way of parallelising a NIRS job runs:
a sequential loop, concurrent.futures threads, joblib threading and loky,
multiprocessing.Pool, scikit-learn's own n_jobs, sklearn-nirs (auto and
explicit backends) and Dask. Prints a Markdown table per workload on stdout
(progress on stderr): time, speed-up, peak memory, CPU utilization, and whether
each method's output equals the sequential loop's.
"""

QUICK = {  # a smoke-test run: seconds, not minutes
    "data": "synthetic",
    "samples": 100,
    "wavelengths": 40,
    "augmenters": 4,
    "components": 3,
    "repeats": 1,
}


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer; got {text}")
    return value


def _n_jobs(text: str) -> int:
    value = int(text)
    if value == 0 or value < -1:
        raise argparse.ArgumentTypeError(
            f"must be a positive integer or -1 (all cores); got {text}"
        )
    return value


def add_parser(subparsers) -> argparse.ArgumentParser:
    """Register ``benchmark`` on the CLI's ``subparsers`` and return its parser."""
    parser = subparsers.add_parser(
        "benchmark",
        help="compare parallel backends on this machine (Markdown table)",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    configure_parser(parser)
    parser.set_defaults(handler=run)
    return parser


def configure_parser(parser: argparse.ArgumentParser) -> None:
    """Add the benchmark's options to ``parser``."""
    parser.add_argument(
        "--workload",
        choices=("augment", "search", "both"),
        default="both",
        help="augment: N preprocessings of one data set, concatenated; search: N "
        "preprocessings x PLS n_components, 5-fold CV (default: both)",
    )
    parser.add_argument(
        "--data",
        choices=DATASETS,
        default=None,
        help="the bundled Tecator spectra (215 x 100) or synthetic spectra "
        "(default: tecator; synthetic with --quick)",
    )
    parser.add_argument(
        "--samples",
        type=_positive_int,
        default=None,
        help="synthetic spectra: number of samples (default 2000)",
    )
    parser.add_argument(
        "--wavelengths",
        type=_positive_int,
        default=None,
        help="synthetic spectra: number of wavelengths (default 1000)",
    )
    parser.add_argument(
        "--augmenters",
        type=_positive_int,
        default=None,
        help=f"number of preprocessings, 1..{MAX_AUGMENTERS} (default 10; the "
        "11th is the slow AsLS baseline)",
    )
    parser.add_argument(
        "--components",
        type=_positive_int,
        default=None,
        help="search: largest PLS n_components (default 20)",
    )
    parser.add_argument(
        "--n-jobs",
        type=_n_jobs,
        default=-1,
        help="workers for every parallel method (default -1: all cores)",
    )
    parser.add_argument(
        "--repeats",
        type=_positive_int,
        default=None,
        help="runs of each method, round robin; the median is reported (default 3)",
    )
    parser.add_argument(
        "--methods",
        default=None,
        help="comma-separated subset of: "
        + ", ".join(METHODS)
        + " (default: all available; sequential is always run, as the reference)",
    )
    parser.add_argument("--json", metavar="PATH", help="write the results as JSON")
    parser.add_argument(
        "--plot",
        metavar="PATH",
        help="write a PNG bar chart of time and memory (needs the plot extra)",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="tiny synthetic data, one repeat, one worker process per method for "
        "both workloads: a smoke test of the set-up (figures not comparable)",
    )
    parser.add_argument(
        "--warmup",
        action="store_true",
        help="make one untimed call first in each worker, so that persistent "
        "pools (loky, Dask) are measured warm rather than from a cold start",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=None,
        metavar="SECONDS",
        help="give up on a method run after this long (default: no limit)",
    )


def parse_methods(text: str | None) -> list[str]:
    """The methods to run, sequential first; a ValueError names unknown ones."""
    available = available_methods()
    if text is None:
        return list(available)
    wanted = [m.strip() for m in text.split(",") if m.strip()]
    if not wanted:
        raise ValueError("--methods is empty; name at least one method.")
    unknown = [m for m in wanted if m not in METHODS]
    if unknown:
        raise ValueError(
            f"unknown method(s) {', '.join(map(repr, unknown))} in --methods; "
            f"choose from: {', '.join(METHODS)}."
        )
    missing = [m for m in wanted if m not in available]
    if missing:
        raise ValueError(
            f"method(s) {', '.join(missing)} need dask.distributed; install it with "
            '`pip install "sklearn-nirs[dask]"`.'
        )
    # Table order, sequential always included: it is the reference.
    return [m for m in METHODS if m == "sequential" or m in wanted]


def build_config(args: argparse.Namespace):
    """The workload settings and repeat count from ``args`` (a ValueError if bad)."""
    import joblib

    from sklearn_nirs.benchmark._workloads import WorkloadConfig

    quick = QUICK if args.quick else {}
    data = args.data or quick.get("data", "tecator")
    if data == "tecator" and (args.samples or args.wavelengths):
        raise ValueError(
            "--samples and --wavelengths apply to --data synthetic only; Tecator "
            "has 215 spectra of 100 wavelengths."
        )
    augmenters = args.augmenters or quick.get("augmenters", 10)
    if augmenters > MAX_AUGMENTERS:
        raise ValueError(
            f"--augmenters must be at most {MAX_AUGMENTERS}; got {augmenters}."
        )
    n_jobs = joblib.cpu_count() if args.n_jobs == -1 else args.n_jobs
    config = WorkloadConfig(
        workload="augment",
        data=data,
        samples=args.samples or quick.get("samples", 2000),
        wavelengths=args.wavelengths or quick.get("wavelengths", 1000),
        augmenters=augmenters,
        components=args.components or quick.get("components", 20),
        n_jobs=n_jobs,
    )
    return config, args.repeats or quick.get("repeats", 3)


def run(args: argparse.Namespace) -> int:
    """Run the benchmark described by ``args``; print the tables; return a status."""
    from sklearn_nirs.benchmark._report import markdown_report, write_json, write_plot
    from sklearn_nirs.benchmark._run import run_benchmark

    try:
        methods = parse_methods(args.methods)
        config, repeats = build_config(args)
        if args.plot:  # fail before a long run, not after it
            try:
                import matplotlib  # noqa: F401
            except ImportError as exc:
                raise ValueError(
                    '--plot needs matplotlib: pip install "sklearn-nirs[plot]"'
                ) from exc
    except ValueError as exc:
        print(f"sklearn-nirs benchmark: error: {exc}", file=sys.stderr)
        return 2
    workloads = ["augment", "search"] if args.workload == "both" else [args.workload]
    results = run_benchmark(
        workloads,
        methods,
        config,
        repeats=repeats,
        timeout=args.timeout,
        warmup=args.warmup,
        shared_worker=args.quick,
    )
    print(markdown_report(results))
    if args.json:
        write_json(results, args.json)
        print(f"results written to {args.json}", file=sys.stderr)
    if args.plot:
        write_plot(results, args.plot)
        print(f"plot written to {args.plot}", file=sys.stderr)
    failed = [
        f"{w}/{row['method']}"
        for w, block in results["workloads"].items()
        for row in block["methods"]
        if row["error"]
    ]
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    """``python -m sklearn_nirs.benchmark``: the subcommand without the main CLI."""
    parser = argparse.ArgumentParser(
        prog="python -m sklearn_nirs.benchmark",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    configure_parser(parser)
    return run(parser.parse_args(argv))
