"""Identifier and password validation with messages in the user's language."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

# GB 32100-2015: 31 characters, no I, O, S, V, Z.
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_USCC_SHAPE = re.compile(rf"^[{USCC_ALPHABET}]{{18}}$")


def uscc_check_char(first17: str) -> str:
    total = sum(USCC_ALPHABET.index(c) * w for c, w in zip(first17, USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def is_valid_uscc(value: str) -> bool:
    """GB 32100 as the standard states it: 18 characters of the alphabet, mod-31 check character.

    ``stdnum.cn.uscc`` is stricter (it wants the first eight characters to be digits) and would
    refuse codes the standard allows, so it is not used here (customs.md §4.7).
    """
    return bool(_USCC_SHAPE.match(value or "")) and uscc_check_char(value[:17]) == value[17]


def validate_uscc(value: str) -> None:
    value = (value or "").strip().upper()
    if len(value) != 18:
        raise ValidationError(
            _("A unified social credit code has 18 characters; this one has %(n)d.") % {"n": len(value)},
            code="uscc_length",
        )
    if not _USCC_SHAPE.match(value):
        raise ValidationError(
            _("A unified social credit code uses digits and capital letters other than I, O, S, V and Z."),
            code="uscc_characters",
        )
    if uscc_check_char(value[:17]) != value[17]:
        raise ValidationError(
            _("The check character of this unified social credit code is wrong; please check it "
              "against the business licence."),
            code="uscc_check_digit",
        )


def validate_customs_code(value: str) -> None:
    if value and not re.fullmatch(r"[0-9A-Z]{10}", value):
        raise ValidationError(
            _("A customs registration code has 10 digits or capital letters."), code="customs_code_format"
        )


_MOBILE = re.compile(r"^1[3-9]\d{9}$")


def validate_mobile(value: str) -> None:
    if not _MOBILE.match(value or ""):
        raise ValidationError(
            _("Enter an 11-digit mainland mobile number starting with 13–19."), code="mobile_format"
        )


class CharacterClassesValidator:
    """At least ``min_classes`` of: lower-case letters, upper-case letters, digits, symbols."""

    def __init__(self, min_classes: int = 3):
        self.min_classes = min_classes

    @staticmethod
    def classes(password: str) -> int:
        return sum(
            bool(re.search(p, password)) for p in (r"[a-z]", r"[A-Z]", r"\d", r"[^A-Za-z0-9]")
        )

    def validate(self, password, user=None):
        if self.classes(password) < self.min_classes:
            raise ValidationError(
                ngettext(
                    "The password must mix at least %(n)d kind of character: lower-case letters, "
                    "upper-case letters, digits, symbols.",
                    "The password must mix at least %(n)d kinds of characters: lower-case letters, "
                    "upper-case letters, digits, symbols.",
                    self.min_classes,
                ) % {"n": self.min_classes},
                code="password_classes",
            )

    def get_help_text(self):
        return _("Use at least three of: lower-case letters, upper-case letters, digits, symbols.")
