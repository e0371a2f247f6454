"""The ``sklearn-nirs`` command line (also ``python -m sklearn_nirs``).

Each subcommand is one small function that adds its parser and sets
``handler``, a function of the parsed arguments returning the exit status.
A new subcommand is one more entry in :data:`SUBCOMMANDS`. Handlers import
their module lazily so that ``sklearn-nirs --version`` stays fast.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence

from sklearn_nirs import __version__
from sklearn_nirs.benchmark._main import add_parser as add_benchmark_parser


def _n_jobs(value: str) -> int:
    n = int(value)
    if n == 0:
        raise argparse.ArgumentTypeError(
            "n_jobs must be a non-zero integer (-1 uses all cores)."
        )
    return n


def _run_demo(args: argparse.Namespace) -> int:
    from sklearn_nirs._demo import run_demo

    return run_demo(target=args.target, quick=args.quick, n_jobs=args.n_jobs)


def add_demo_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "demo",
        help="calibrate PLS models on the bundled Tecator data",
        description=(
            "Compare NIR preprocessings for PLS calibration on the bundled Tecator "
            "meat spectra: cross-validation on the 172 train + monitor spectra, "
            "then the best model's RMSEP on the 43 test spectra."
        ),
    )
    parser.add_argument(
        "--target",
        choices=("fat", "moisture", "protein"),
        default="fat",
        help="reference value to predict (default: fat)",
    )
    parser.add_argument(
        "--n-jobs",
        type=_n_jobs,
        default=None,
        help=(
            "parallel jobs for cross-validation (default: 1; -1: all cores); the "
            "Tecator fits take milliseconds, so extra processes mostly add "
            "start-up time"
        ),
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="fewer preprocessings and components: a few-second smoke test",
    )
    parser.set_defaults(handler=_run_demo)


# Functions that each add one subcommand to the parser.
SUBCOMMANDS: list[Callable] = [add_demo_parser, add_benchmark_parser]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sklearn-nirs",
        description="Scikit-learn compatible near-infrared spectroscopy.",
    )
    parser.add_argument(
        "--version", action="version", version=f"sklearn-nirs {__version__}"
    )
    subparsers = parser.add_subparsers(title="commands", metavar="COMMAND")
    for add_parser in SUBCOMMANDS:
        add_parser(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the process exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return 1
    return handler(args)
