"""``python -m sklearn_nirs``: the same command line as ``sklearn-nirs``."""

from sklearn_nirs._cli import main

if __name__ == "__main__":
    raise SystemExit(main())
