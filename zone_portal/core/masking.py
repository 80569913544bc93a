"""Masking of personal data for screens and logs (DESIGN.md: masked everywhere it is shown).

    >>> mask_id_number("11010519491231002X")
    '110105********002X'
    >>> mask_phone("13812345678")
    '138****5678'
"""

from __future__ import annotations

import re

# An 18-character resident ID (17 digits + digit or X) or a 15-digit first-generation one,
# standing alone (not part of a longer number such as a 20-digit order number).
_ID_RE = re.compile(r"(?<![0-9A-Za-z])(\d{6})(\d{8})(\d{3}[0-9Xx])(?![0-9A-Za-z])|(?<!\d)(\d{6})(\d{6})(\d{3})(?!\d)")
# A mainland mobile number, optionally with +86 / 86 in front.
_PHONE_RE = re.compile(r"(?<!\d)((?:\+?86[- ]?)?1[3-9]\d)(\d{4})(\d{4})(?!\d)")


def mask_id_number(value: str | None) -> str:
    """Keep the area code and the last four characters: ``110105********002X``."""
    if not value:
        return ""
    value = str(value)
    if len(value) <= 8:
        return "*" * len(value)
    return value[:6] + "*" * (len(value) - 10) + value[-4:]


def mask_phone(value: str | None) -> str:
    """Keep the first three and last four digits: ``138****5678``."""
    if not value:
        return ""
    digits = str(value)
    if len(digits) < 8:
        return "*" * len(digits)
    return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]


def mask_name(value: str | None) -> str:
    """Keep the first character of a Chinese name (``张**``), the first letter of a Latin one."""
    if not value:
        return ""
    value = str(value).strip()
    if len(value) == 1:
        return "*"
    return value[0] + "*" * (len(value) - 1)


def mask_address(value: str | None) -> str:
    """Keep the first six characters (province and city), hide the street and number."""
    if not value:
        return ""
    value = str(value)
    keep = min(6, max(1, len(value) // 3))
    return value[:keep] + "*" * min(8, len(value) - keep)


def mask_email(value: str | None) -> str:
    if not value or "@" not in value:
        return mask_name(value)
    local, _, domain = str(value).partition("@")
    return (local[0] + "***" if local else "***") + "@" + domain


def mask_text(text: str) -> str:
    """Mask every resident ID number and mobile number found in free text (log lines)."""
    if not text:
        return text

    def _id(m: re.Match) -> str:
        return mask_id_number(m.group(0))

    def _phone(m: re.Match) -> str:
        return m.group(1) + "****" + m.group(3)

    return _PHONE_RE.sub(_phone, _ID_RE.sub(_id, text))
