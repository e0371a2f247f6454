"""Utilities: estimator discovery."""

from sklearn_nirs.utils.discovery import all_estimators

__all__ = ["all_estimators"]
