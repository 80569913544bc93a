"""Identifier and password rules, including property tests for the GB 32100 check character."""

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from zone_portal.accounts.validators import (
    USCC_ALPHABET,
    CharacterClassesValidator,
    is_valid_uscc,
    uscc_check_char,
    validate_mobile,
    validate_uscc,
)


def test_published_example_is_valid():
    assert is_valid_uscc("91110000600037341L")


def test_letter_in_first_position_is_accepted_as_the_standard_allows():
    # stdnum.cn.uscc insists on digits in positions 1-8; GB 32100 does not (customs.md §4.7).
    body = "Y1110105MA0000001"
    code = body + uscc_check_char(body)
    assert is_valid_uscc(code)
    validate_uscc(code)


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("91110000600037341", "uscc_length"),
        ("91110000600037341I", "uscc_characters"),  # I is not in the alphabet
        ("91110000600037341K", "uscc_check_digit"),
    ],
)
def test_bad_codes_name_what_is_wrong(value, code):
    with pytest.raises(ValidationError) as info:
        validate_uscc(value)
    assert info.value.code == code


@given(st.text(alphabet=USCC_ALPHABET, min_size=17, max_size=17))
def test_every_body_has_exactly_one_check_character(body):
    valid = [c for c in USCC_ALPHABET if is_valid_uscc(body + c)]
    assert valid == [uscc_check_char(body)]


@given(st.text(alphabet=USCC_ALPHABET, min_size=17, max_size=17), st.integers(0, 16),
       st.sampled_from(USCC_ALPHABET))
def test_a_single_changed_character_is_detected(body, pos, new):
    code = body + uscc_check_char(body)
    if code[pos] == new:
        return
    changed = code[:pos] + new + code[pos + 1:]
    assert not is_valid_uscc(changed)


@pytest.mark.parametrize("mobile", ["1381234567", "23812345678", "12812345678", "1381234567a"])
def test_bad_mobiles_are_refused(mobile):
    with pytest.raises(ValidationError):
        validate_mobile(mobile)


def test_password_needs_three_character_classes():
    v = CharacterClassesValidator(3)
    with pytest.raises(ValidationError):
        v.validate("alllowercase123")
    v.validate("Mixed-case1x")
