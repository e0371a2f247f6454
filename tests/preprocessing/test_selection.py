"""WavelengthRange: which columns are kept, and under which names."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_array_equal

from sklearn_nirs.preprocessing import WavelengthRange

pd = pytest.importorskip("pandas")


def tecator_grid():
    """Tecator's 100 channels, 850 to 1050 nm, named like its CSV header."""
    wavelengths = np.linspace(850.0, 1050.0, 100)
    names = [f"{w:.2f}" for w in wavelengths]
    X = np.random.default_rng(0).uniform(2.0, 5.0, (6, 100))
    return X, wavelengths, names


def test_keeps_columns_within_the_inclusive_range_of_given_wavelengths():
    X, wavelengths, _ = tecator_grid()
    expected = [
        j for j in range(X.shape[1]) if 900.0 <= wavelengths[j] <= wavelengths[60]
    ]

    selector = WavelengthRange(900.0, wavelengths[60], wavelengths=wavelengths)
    Xt = selector.fit_transform(X)

    assert_array_equal(selector.get_support(indices=True), expected)
    assert expected[-1] == 60  # stop itself is kept
    assert_array_equal(Xt, X[:, expected])


def test_wavelengths_come_from_numeric_feature_names():
    X, wavelengths, names = tecator_grid()
    frame = pd.DataFrame(X, columns=names)

    selector = WavelengthRange(start=1000.0).fit(frame)

    assert_array_equal(selector.wavelengths_, [float(n) for n in names])
    assert_array_equal(selector.support_, wavelengths >= 1000.0)
    assert_array_equal(
        selector.get_feature_names_out(), [n for n in names if float(n) >= 1000.0]
    )


def test_non_numeric_feature_names_fall_back_to_the_column_index():
    X, _, _ = tecator_grid()
    frame = pd.DataFrame(X, columns=[f"ch{j}" for j in range(100)])

    selector = WavelengthRange(start=2, stop=4).fit(frame)

    assert_array_equal(selector.wavelengths_, np.arange(100))
    assert_array_equal(selector.get_feature_names_out(), ["ch2", "ch3", "ch4"])


def test_without_names_the_column_index_is_the_wavelength():
    X, _, _ = tecator_grid()

    selector = WavelengthRange(stop=2).fit(X)

    assert_array_equal(selector.wavelengths_, np.arange(100))
    assert_array_equal(selector.get_feature_names_out(), ["x0", "x1", "x2"])
    assert_array_equal(selector.transform(X), X[:, :3])


def test_given_wavelengths_take_precedence_over_feature_names():
    X, wavelengths, names = tecator_grid()
    frame = pd.DataFrame(X, columns=names)
    in_micrometres = wavelengths / 1000.0

    selector = WavelengthRange(0.9, 0.95, wavelengths=in_micrometres).fit(frame)

    expected = (in_micrometres >= 0.9) & (in_micrometres <= 0.95)
    assert_array_equal(selector.support_, expected)


def test_open_ends_keep_everything():
    X, _, _ = tecator_grid()

    Xt = WavelengthRange().fit_transform(X)

    assert_array_equal(Xt, X)
    assert not np.shares_memory(Xt, X)


def test_unsorted_wavelengths_keep_the_input_column_order():
    X = np.arange(10.0).reshape(2, 5)
    wavelengths = [1500, 900, 1200, 2000, 1000]

    selector = WavelengthRange(950, 1600, wavelengths=wavelengths).fit(X)

    assert_array_equal(selector.get_support(indices=True), [0, 2, 4])
    assert_array_equal(selector.transform(X), X[:, [0, 2, 4]])


def test_get_support_returns_a_copy_of_the_mask():
    X, _, _ = tecator_grid()
    selector = WavelengthRange(stop=4).fit(X)

    mask = selector.get_support()
    mask[:] = False

    assert selector.support_[:5].all()


def test_pandas_output_has_the_kept_column_names():
    X, _, names = tecator_grid()
    frame = pd.DataFrame(X, columns=names)

    out = (
        WavelengthRange(950.0, 1000.0)
        .set_output(transform="pandas")
        .fit_transform(frame)
    )

    kept = [n for n in names if 950.0 <= float(n) <= 1000.0]
    assert isinstance(out, pd.DataFrame)
    assert list(out.columns) == kept
    assert_array_equal(out.to_numpy(), frame[kept].to_numpy())


def test_get_feature_names_out_checks_input_features():
    X, _, names = tecator_grid()
    plain = WavelengthRange(stop=1).fit(X)
    named = WavelengthRange(start=1049.0).fit(pd.DataFrame(X, columns=names))

    assert_array_equal(
        plain.get_feature_names_out([f"f{j}" for j in range(100)]), ["f0", "f1"]
    )
    with pytest.raises(ValueError, match="input_features should have length equal"):
        plain.get_feature_names_out(["f0", "f1"])
    with pytest.raises(
        ValueError, match="input_features is not equal to feature_names_in_"
    ):
        named.get_feature_names_out([f"f{j}" for j in range(100)])


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"start": 2000.0}, "selects no column"),
        (
            {"start": 960.0, "stop": 950.0},
            r"start \(960.0\) must not be greater than stop",
        ),
        ({"wavelengths": np.arange(99)}, r"one value per column of X \(100\)"),
        ({"start": "900"}, "start must be an instance of"),
    ],
)
def test_clear_errors_in_fit(params, match):
    X, _, names = tecator_grid()
    frame = pd.DataFrame(X, columns=names)

    with pytest.raises((ValueError, TypeError), match=match):
        WavelengthRange(**params).fit(frame)


def test_float32_stays_float32():
    X, _, _ = tecator_grid()

    Xt = WavelengthRange(stop=9).fit_transform(X.astype(np.float32))

    assert Xt.dtype == np.float32
    assert_array_equal(Xt, X[:, :10].astype(np.float32))
