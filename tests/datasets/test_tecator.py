"""Tests of the bundled Tecator data loader."""

from __future__ import annotations

import csv
import sys
from importlib import resources

import numpy as np
import pytest

from sklearn_nirs.datasets import load_tecator


@pytest.fixture(scope="module")
def raw_rows():
    """The CSV read independently, with the standard library's csv module."""
    path = resources.files("sklearn_nirs.datasets").joinpath("data", "tecator.csv")
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    return rows[0], rows[1:]


def test_shapes_and_dtypes():
    tecator = load_tecator()
    assert tecator.data.shape == (215, 100)
    assert tecator.data.dtype == np.float64
    assert tecator.target.shape == (215,)
    assert tecator.split.shape == (215,)
    assert tecator.frame is None
    assert tecator.target_names == ["fat"]


def test_values_match_the_csv(raw_rows):
    header, rows = raw_rows
    tecator = load_tecator(target=["moisture", "fat", "protein"])
    expected_X = np.array([[float(v) for v in row[4:]] for row in rows])
    expected_y = np.array([[float(v) for v in row[1:4]] for row in rows])
    np.testing.assert_array_equal(tecator.data, expected_X)
    np.testing.assert_array_equal(tecator.target, expected_y)
    assert tecator.feature_names.tolist() == header[4:]
    assert tecator.split.tolist() == [row[0] for row in rows]


def test_splits_follow_the_statlib_partition():
    split = load_tecator().split
    assert (split == "train").sum() == 129
    assert (split == "monitor").sum() == 43
    assert (split == "test").sum() == 43
    # Contiguous blocks: first 129 train, next 43 monitor, last 43 test.
    assert split.tolist() == ["train"] * 129 + ["monitor"] * 43 + ["test"] * 43


def test_feature_names_and_wavelengths():
    tecator = load_tecator()
    names = tecator.feature_names
    assert names[0] == "850.00"
    assert names[-1] == "1050.00"
    assert all(isinstance(name, str) for name in names)
    wl = tecator.wavelengths
    assert wl.dtype == np.float64
    assert wl.shape == (100,)
    np.testing.assert_allclose(wl, np.linspace(850, 1050, 100), atol=0.006)
    np.testing.assert_array_equal(wl, [float(name) for name in names])


@pytest.mark.parametrize("name, column", [("moisture", 1), ("fat", 2), ("protein", 3)])
def test_single_target(raw_rows, name, column):
    _, rows = raw_rows
    tecator = load_tecator(target=name)
    assert tecator.target.ndim == 1
    assert tecator.target_names == [name]
    np.testing.assert_array_equal(tecator.target, [float(row[column]) for row in rows])


def test_list_target_keeps_the_given_order(raw_rows):
    _, rows = raw_rows
    y = load_tecator(target=["protein", "fat"]).target
    assert y.shape == (215, 2)
    np.testing.assert_array_equal(y[:, 0], [float(row[3]) for row in rows])
    np.testing.assert_array_equal(y[:, 1], [float(row[2]) for row in rows])
    assert load_tecator(target=["fat"]).target.shape == (215, 1)


@pytest.mark.parametrize(
    "target, error, match",
    [
        ("oil", ValueError, "Unknown Tecator target"),
        (["fat", "water"], ValueError, "water"),
        ([], ValueError, "empty"),
        (["fat", "fat"], ValueError, "more than once"),
        (3, TypeError, "target must be"),
    ],
)
def test_bad_target(target, error, match):
    with pytest.raises(error, match=match):
        load_tecator(target=target)


def test_return_X_y():
    X, y = load_tecator(return_X_y=True, target="protein")
    tecator = load_tecator(target="protein")
    np.testing.assert_array_equal(X, tecator.data)
    np.testing.assert_array_equal(y, tecator.target)


def test_deduplicate_keeps_first_occurrences():
    full = load_tecator(target=["moisture", "fat", "protein"])
    dedup = load_tecator(target=["moisture", "fat", "protein"], deduplicate=True)
    assert dedup.data.shape == (193, 100)
    assert dedup.target.shape == (193, 3)
    assert dedup.split.shape == (193,)
    # Independent check: walk the rows, keep a spectrum the first time seen.
    seen, keep = set(), []
    for i, row in enumerate(full.data):
        key = row.tobytes()
        if key not in seen:
            seen.add(key)
            keep.append(i)
    assert len(keep) == 193
    np.testing.assert_array_equal(dedup.data, full.data[keep])
    np.testing.assert_array_equal(dedup.target, full.target[keep])
    np.testing.assert_array_equal(dedup.split, full.split[keep])
    # The data README says the repeats carry the same reference values.
    _, inverse = np.unique(full.data, axis=0, return_inverse=True)
    for group in np.unique(inverse):
        np.testing.assert_array_equal(np.ptp(full.target[inverse == group], axis=0), 0)


def test_as_frame():
    import pandas as pd

    tecator = load_tecator(as_frame=True)
    assert isinstance(tecator.data, pd.DataFrame)
    assert isinstance(tecator.target, pd.Series)
    assert tecator.target.name == "fat"
    assert list(tecator.data.columns) == tecator.feature_names.tolist()
    assert tecator.frame.shape == (215, 101)
    assert list(tecator.frame.columns) == [*tecator.feature_names.tolist(), "fat"]
    np.testing.assert_array_equal(tecator.data.to_numpy(), load_tecator().data)


def test_as_frame_list_target_dedup_keeps_original_index():
    import pandas as pd

    X, y = load_tecator(
        as_frame=True, return_X_y=True, target=["fat", "moisture"], deduplicate=True
    )
    assert isinstance(y, pd.DataFrame)
    assert list(y.columns) == ["fat", "moisture"]
    assert X.shape == (193, 100)
    assert X.index.equals(y.index)
    full = load_tecator().data
    np.testing.assert_array_equal(X.to_numpy(), full[X.index.to_numpy()])


def test_as_frame_without_pandas_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "pandas", None)  # makes "import pandas" fail
    with pytest.raises(ImportError, match=r"sklearn-nirs\[pandas\]"):
        load_tecator(as_frame=True)
    assert load_tecator().data.shape == (215, 100)  # numpy path needs no pandas


def test_descr_carries_the_permission_note():
    descr = load_tecator().DESCR
    assert "Tecator" in descr
    assert "permission note" in descr
    assert "can be redistributed as long as this permission note is attached" in descr
    assert "Karin Thente" in descr


def test_returned_arrays_are_copies():
    first = load_tecator(target=["fat", "protein"])
    for key in ("data", "target", "split", "feature_names", "wavelengths"):
        assert first[key].flags.writeable, key
    first.data[:] = -1.0
    first.target[:] = -1.0
    first.split[:] = "x"
    first.feature_names[:] = "x"
    first.wavelengths[:] = -1.0
    second = load_tecator(target=["fat", "protein"])
    assert second.data.min() > 0
    assert second.target.min() >= 0
    assert set(second.split) == {"train", "monitor", "test"}
    assert second.feature_names[0] == "850.00"
    assert second.wavelengths[0] == 850.0
    # Also through return_X_y, single target and deduplication.
    X, y = load_tecator(return_X_y=True)
    X[:] = 0
    y[:] = 0
    X2, y2 = load_tecator(return_X_y=True, deduplicate=True)
    assert X2.min() > 0 and y2.max() > 0
