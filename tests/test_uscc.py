"""USCC (统一社会信用代码) validation, GB 32100-2015."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fieldapp.firms.uscc import ALPHABET, check_character, is_valid, normalise, problem

PUBLISHED = ["91350100M000100Y43", "91440300708461136T", "91110000802100433B"]


@pytest.mark.parametrize("code", PUBLISHED)
def test_published_codes_are_valid(code):
    assert problem(code) is None


def test_lower_case_and_spaces_are_normalised_before_checking():
    assert is_valid("  91350100m000100y43 ")
    assert normalise(" 91350100m000100y43") == "91350100M000100Y43"


@pytest.mark.parametrize(("code", "reason"), [
    ("91350100M000100Y4", "wrong_length"),
    ("91350100M000100Y433", "wrong_length"),
    ("", "wrong_length"),
    ("91350100M000100I43", "illegal_character"),
    ("91350100O000100Y43", "illegal_character"),
    ("9135010-M000100Y43", "illegal_character"),
    ("91350100M000100Y44", "wrong_check_character"),
])
def test_bad_codes_are_refused_with_the_reason(code, reason):
    assert problem(code).reason == reason


def test_the_check_message_names_the_expected_character():
    assert "'3'" in problem("91350100M000100Y44").message


codes17 = st.text(alphabet=ALPHABET, min_size=17, max_size=17)


@given(codes17)
def test_every_17_character_body_has_exactly_one_valid_check_character(body):
    valid = [ch for ch in ALPHABET if problem(body + ch) is None]
    assert valid == [check_character(body)]


@given(codes17, st.integers(0, 16), st.sampled_from(ALPHABET))
def test_any_single_character_typo_is_caught(body, position, replacement):
    code = body + check_character(body)
    typo = code[:position] + replacement + code[position + 1:]
    if typo != code:
        assert problem(typo).reason == "wrong_check_character"
