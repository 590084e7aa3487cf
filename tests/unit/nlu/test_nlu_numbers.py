"""Spoken numbers: the grammar every numeric slot goes through."""

import pytest

from hero365.voice.brain.nlu import parse_number


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("one oh four", 104),
        ("two fifty", 250),
        ("a dozen", 12),
        ("two dozen", 24),
        ("one hundred and five", 105),
        ("two thousand and six", 2006),
        ("1,250", 1250),
        ("$1,250", 1250),
        ("three hundred twenty five", 325),
        ("forty two", 42),
        ("twelve hundred", 1200),
        ("ten fifteen", 1015),
        ("nine oh five", 905),
        ("four thousand eight hundred", 4800),
        ("a hundred", 100),
        ("seventy", 70),
        ("zero", 0),
        ("42", 42),
        ("2.5", 2.5),
        ("Two Thousand Five Hundred", 2500),
    ],
)
def test_spoken_numbers(text, value):
    assert parse_number(text) == value


@pytest.mark.parametrize("text", ["", "and", "hello", "twelve two", "oh", "hundred and"])
def test_non_numbers_are_none(text):
    assert parse_number(text) is None
