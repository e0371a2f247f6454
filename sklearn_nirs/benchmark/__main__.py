"""``python -m sklearn_nirs.benchmark``: the benchmark without the main CLI."""

from sklearn_nirs.benchmark._main import main

if __name__ == "__main__":
    raise SystemExit(main())
