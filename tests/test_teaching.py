"""The answer checks of the book's exercises (sparsity_widgets.teaching.checks)."""

from __future__ import annotations

import re
import subprocess
import sys

import numpy as np
import pytest

from sparsity_widgets.teaching import AnswerError, check_range, check_true, check_value


def _fails(call, *args, **kwargs) -> str:
    with pytest.raises(AnswerError) as info:
        call(*args, **kwargs)
    assert isinstance(info.value, AssertionError)
    return str(info.value)


# --- check_value: numbers ----------------------------------------------------------------


def test_exact_number_passes_and_prints_one_line(capsys):
    check_value("n_cells", 16, 16)
    check_value("ratio", np.float64(0.25), 0.25)
    check_value("ratio", np.asarray(0.25), 0.25)
    out = capsys.readouterr().out.splitlines()
    assert out == ["n_cells: correct (matches the seeded computation)."] + [
        "ratio: correct (matches the seeded computation)."
    ] * 2


def test_exact_comparison_is_exact_by_default():
    message = _fails(check_value, "ratio", 0.25 + 1e-15, 0.25)
    assert "ratio" in message and "higher" in message


@pytest.mark.parametrize(
    ("value", "side"), [(17, "higher"), (15, "lower"), (1e6, "higher"), (-3, "lower")]
)
def test_wrong_number_says_direction_without_the_answer(value, side):
    expected = 16.125
    message = _fails(check_value, "n_cells", value, expected)
    assert message.startswith("n_cells")
    assert side in message
    assert "16.125" not in message and "16.12" not in message


def test_tolerances_are_relative_and_absolute():
    check_value("x", 1.04, 1.0, rtol=0.05)
    check_value("x", 0.01, 0.0, atol=0.02)
    _fails(check_value, "x", 1.06, 1.0, rtol=0.05)
    _fails(check_value, "x", 0.03, 0.0, atol=0.02)
    # the two add up, as in numpy.isclose
    check_value("x", 1.06, 1.0, rtol=0.05, atol=0.011)


@pytest.mark.parametrize("placeholder", [..., None])
def test_placeholder_is_named(placeholder):
    message = _fails(check_value, "ratio", placeholder, 0.5)
    assert "ratio" in message and "placeholder" in message


@pytest.mark.parametrize(
    ("value", "got"),
    [("0.5", "str"), (True, "bool"), ([0.5, 0.5], "shape (2,)"), ({"a": 1}, "dict")],
)
def test_number_of_the_wrong_type(value, got):
    message = _fails(check_value, "ratio", value, 0.5)
    assert "wrong type" in message and "single number" in message and got in message


@pytest.mark.parametrize("value", [float("nan"), float("inf"), -np.inf])
def test_number_not_finite(value):
    message = _fails(check_value, "ratio", value, 0.5)
    assert "not finite" in message


def test_long_values_are_not_repeated():
    message = _fails(check_value, "x", 1.0 + 1e-12, 1.0)
    assert "1.000000000001" in message  # the student's own value, short: shown
    message = _fails(check_value, "s", "a" * 200, "b")
    assert "a" * 100 not in message


# --- check_value: arrays, strings, bools -------------------------------------------------


def test_array_exact_and_within_tolerance(capsys):
    check_value("w", [1, 2, 3], np.array([1, 2, 3]))
    check_value("w", np.array([[1.0, 2.0]]), [[1.0, 2.0 + 1e-9]], atol=1e-8)
    assert capsys.readouterr().out.count("correct") == 2


def test_array_of_the_wrong_shape_names_both_shapes():
    message = _fails(check_value, "w", np.zeros(4), np.zeros(3))
    assert "wrong shape" in message and "(3,)" in message and "(4,)" in message


def test_array_that_differs_counts_entries_without_values():
    expected = np.arange(10.0) + 0.123
    value = expected.copy()
    value[[2, 7]] += 1.0
    message = _fails(check_value, "w", value, expected)
    assert "2 of 10" in message and "(2,)" in message
    assert "0.123" not in message and "2.123" not in message


def test_array_not_finite_and_not_numeric():
    assert "non-finite" in _fails(check_value, "w", [1.0, np.nan], [1.0, 2.0])
    assert "wrong type" in _fails(check_value, "w", ["a", "b"], [1.0, 2.0])
    assert "wrong type" in _fails(check_value, "w", "ab", [1.0, 2.0])
    assert "wrong type" in _fails(check_value, "w", [True, False], [1.0, 0.0])
    assert "wrong type" in _fails(check_value, "w", [[1.0], [2.0, 3.0]], [1.0, 2.0])
    assert "placeholder" in _fails(check_value, "w", ..., [1.0, 2.0])


def test_strings_compare_exactly_with_a_case_hint():
    check_value("rule", "paper", "paper")
    assert "upper/lower case" in _fails(check_value, "rule", "Paper ", "paper")
    message = _fails(check_value, "rule", "median", "paper")
    assert "paper" not in message and "median" in message
    assert "wrong type" in _fails(check_value, "rule", 3, "paper")


def test_bools_compare_exactly_and_want_a_bool():
    check_value("separable", np.bool_(True), True)
    check_value("separable", np.asarray(False), False)
    assert "not the right answer" in _fails(check_value, "separable", False, True)
    assert "wrong type" in _fails(check_value, "separable", 1, True)


@pytest.mark.parametrize(
    ("kwargs", "parameter"),
    [
        ({"rtol": -0.1}, "rtol"),
        ({"atol": -1}, "atol"),
        ({"rtol": float("nan")}, "rtol"),
        ({"atol": "0.1"}, "atol"),
    ],
)
def test_bad_tolerance_is_a_value_error(kwargs, parameter):
    with pytest.raises(ValueError, match=parameter) as info:
        check_value("x", 1.0, 1.0, **kwargs)
    assert not isinstance(info.value, AssertionError)


@pytest.mark.parametrize("expected", [float("nan"), [1.0, np.inf], {}, [object()]])
def test_bad_expected_is_a_value_error(expected):
    with pytest.raises(ValueError, match="expected"):
        check_value("x", 1.0, expected)


@pytest.mark.parametrize("name", ["", "  ", None, 3])
def test_bad_name_is_a_value_error(name):
    with pytest.raises(ValueError, match="name"):
        check_value(name, 1.0, 1.0)


# --- check_range -------------------------------------------------------------------------


def test_range_inclusive_and_one_line(capsys):
    check_range("alpha", 0.8, 0.8, 1.1, source="seeds 0-9: 0.85-1.05")
    check_range("alpha", 1.1, 0.8, 1.1, source="seeds 0-9: 0.85-1.05")
    check_range("alpha", [0.9, 1.0], 0.8, 1.1, source="seeds 0-9")
    check_range("alpha", 5.0, 0.8, np.inf, source="one-sided")
    lines = capsys.readouterr().out.splitlines()
    assert lines == ["alpha: within the reference range measured over seeds."] * 4


@pytest.mark.parametrize(("value", "side"), [(0.79, "too low"), (1.2, "too high")])
def test_range_says_too_low_or_high_without_the_range(value, side):
    with pytest.raises(AnswerError) as info:
        check_range("alpha", value, 0.8125, 1.0625, source="seeds 0-9: 0.8125-1.0625")
    message = str(info.value)
    assert message.startswith("alpha") and side in message
    assert "0.8125" not in message and "1.0625" not in message and "seeds 0-9" not in message
    assert info.value.source == "seeds 0-9: 0.8125-1.0625"
    assert info.value.name == "alpha"


def test_range_of_an_array_counts_entries():
    message = _fails(check_range, "a", [0.5, 0.9, 2.0, 3.0], 0.8, 1.1, source="s")
    assert "1 too low" in message and "2 too high" in message and "of 4" in message


def test_range_rejects_wrong_answers():
    assert "placeholder" in _fails(check_range, "a", ..., 0, 1, source="s")
    assert "not finite" in _fails(check_range, "a", np.nan, 0, 1, source="s")
    assert "wrong type" in _fails(check_range, "a", "0.5", 0, 1, source="s")
    assert "wrong type" in _fails(check_range, "a", True, 0, 1, source="s")


@pytest.mark.parametrize(
    ("low", "high", "source", "parameter"),
    [
        (1.0, 0.5, "s", "low must be <= high"),
        (np.nan, 1.0, "s", "low"),
        (0.0, "1", "s", "high"),
        (0.0, 1.0, "", "source"),
        (0.0, 1.0, None, "source"),
    ],
)
def test_bad_range_arguments_are_value_errors(low, high, source, parameter):
    with pytest.raises(ValueError, match=parameter) as info:
        check_range("a", 0.5, low, high, source=source)
    assert not isinstance(info.value, AssertionError)


def test_source_is_keyword_only():
    with pytest.raises(TypeError):
        check_range("a", 0.5, 0.0, 1.0, "seeds")  # type: ignore[misc]


# --- check_true --------------------------------------------------------------------------


def test_true_passes_and_false_gives_the_hint(capsys):
    check_true("errors", np.all(np.diff([3, 2, 1]) <= 0), "the error should not grow with M")
    assert capsys.readouterr().out == "errors: correct (the property holds).\n"
    message = _fails(check_true, "errors", False, "the error should not grow with M")
    assert message == "errors: the error should not grow with M"


def test_true_wants_one_truth_value():
    check_true("x", np.array([True]), "h")
    with pytest.raises(ValueError, match=r"\.all\(\)"):
        check_true("x", np.array([True, False]), "h")
    with pytest.raises(ValueError, match="condition"):
        check_true("x", 1, "h")
    with pytest.raises(ValueError, match="hint"):
        check_true("x", True, "")
    assert "placeholder" in _fails(check_true, "x", ..., "h")


# --- the check cells' environment -----------------------------------------------------------


def test_teaching_imports_numpy_only():
    code = (
        "import sys, sparsity_widgets.teaching\n"
        "bad = [m for m in ('torch', 'ipywidgets', 'matplotlib', 'jupytext', 'nbformat',"
        " 'sklearn', 'numba') if m in sys.modules]\n"
        "print(bad)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"


def test_messages_have_no_placeholder_braces():
    messages = [
        _fails(check_value, "x", 2.0, 1.0),
        _fails(check_value, "x", [2.0], [1.0]),
        _fails(check_range, "x", 2.0, 0.0, 1.0, source="s"),
    ]
    for message in messages:
        assert not re.search(r"[{}]", message), message


def test_the_teachers_page_quotes_the_messages_as_they_are(capsys):
    """book/teachers.md shows what the checks print; the page and the code must not drift."""
    from pathlib import Path

    page = (Path(__file__).parents[1] / "book" / "teachers.md").read_text(encoding="utf-8")
    expected = np.arange(10.0)
    wrong = expected.copy()
    wrong[[2, 7]] += 1
    calls = [
        lambda: check_value("total", ..., 30.0),
        lambda: check_value("n_cells", 15, 16),
        lambda: check_value("w", np.zeros(4), np.zeros(3)),
        lambda: check_value("w", wrong, expected),
        lambda: check_range("spread_mean", 1.5, 0.95, 1.05, source="s"),
        lambda: check_true("errors", False, "the error should not grow with M"),
    ]
    for call in calls:
        assert f"AnswerError: {_fails(call)}" in page
    check_value("ratio", 0.5, 0.5)
    check_range("alpha", 1.0, 0.9, 1.1, source="s")
    for line in capsys.readouterr().out.splitlines():
        assert f"`{line}`" in page, line


def test_dicts_are_compared_key_by_key(capsys):
    expected = {"paper": 0.025, "public-code": 0.00084126}
    check_value("root_shift", {"public-code": 0.00084126, "paper": 0.0250000001}, expected,
                atol=1e-6)
    assert capsys.readouterr().out == "root_shift: correct (matches the seeded computation).\n"
    assert "placeholder" in _fails(check_value, "root_shift", ..., expected)
    assert "wrong type" in _fails(check_value, "root_shift", [0.025], expected)
    message = _fails(check_value, "root_shift", {"paper": 0.025, "x": 1}, expected)
    assert "missing ['public-code']" in message and "unexpected ['x']" in message
    message = _fails(check_value, "root_shift", {"paper": 0.03, "public-code": 0.0}, expected)
    assert message.startswith("root_shift['paper']: 0.03 is higher") and "0.025" not in message
    assert capsys.readouterr().out == ""
    with pytest.raises(ValueError, match="empty mapping"):
        check_value("d", {}, {})
