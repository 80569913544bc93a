"""Which keys a summary groups by: configuration, dated, checked against the CEB603 spec.

customs.md §4.2: lists are merged by the list-head fields consignor (ebcCode), transport mode
(trafMode), owner (ownerCode), destination (country) and port (portCode), and their lines by item
country, 10-digit HS code and currency. The source is marked [MEM] (GACC 公告2018年第194号, text
not found), so the keys are a dated setting, ``SUMMARY_GROUPING``: a list of ``(first day in
force, {"head": [...], "lines": [...]})``, the entry in force on the first day of the month
being summarised wins. CEB701's flags then adjust them: ``summaryFlag`` 1 groups by consignor
only (the owner is not a key), 2 by consignor and owner; ``itemNameFlag`` 1 also groups lines by
the list's original item name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from filings.hub.spec import KINDS, PERSONAL_FIELDS

DEFAULT_GROUPING = [
    ("2019-01-01", {"head": ["ebcCode", "trafMode", "ownerCode", "country", "portCode"],
                    "lines": ["country", "gcode", "currency"]}),
]
DEFAULT_SUMMARY_FLAG = "2"  # the default head keys include the owner
DEFAULT_ITEM_NAME_FLAG = ""
OWNER_KEY = "ownerCode"
CONSIGNOR_KEY = "ebcCode"
ITEM_NAME_KEY = "itemName"
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9]{0,39}$")


def _allowed(entity: str) -> frozenset[str]:
    kind = KINDS["CEB603"]
    fields = kind.head_fields if entity == "head" else kind.line_fields
    return frozenset(f.name for f in fields if f.name not in PERSONAL_FIELDS)


@dataclass(frozen=True)
class Grouping:
    """The keys of one summary run. ``head`` always starts with the consignor (a summary is one
    consignor's); every name is a CEB603 field, so it may be written into SQL as a JSON key."""

    head: tuple[str, ...]
    lines: tuple[str, ...]
    summary_flag: str
    item_name_flag: str


def _configured(month: date) -> dict:
    entries = getattr(settings, "SUMMARY_GROUPING", None) or DEFAULT_GROUPING
    chosen = None
    for since, keys in sorted(entries, key=lambda e: str(e[0])):
        if date.fromisoformat(str(since)) <= month:
            chosen = keys
    if chosen is None:
        raise ImproperlyConfigured(f"SUMMARY_GROUPING has no entry in force on {month.isoformat()}")
    return chosen


def _checked(names, entity: str) -> list[str]:
    allowed = _allowed(entity)
    result = []
    for name in names:
        if not isinstance(name, str) or not _NAME.match(name) or name not in allowed:
            raise ImproperlyConfigured(f"SUMMARY_GROUPING: {name!r} is not a CEB603 {entity} field")
        if name not in result:
            result.append(name)
    return result


def grouping_for(month: date, *, summary_flag: str | None = None, item_name_flag: str | None = None) -> Grouping:
    """The keys in force for ``month``, adjusted by CEB701's ``summaryFlag`` and ``itemNameFlag``
    (the monthly job uses ``SUMMARY_DEFAULT_SUMMARY_FLAG`` / ``SUMMARY_DEFAULT_ITEM_NAME_FLAG``)."""
    configured = _configured(month)
    head = _checked(configured.get("head", ()), "head")
    lines = _checked(configured.get("lines", ()), "lines")
    if summary_flag is None:
        summary_flag = str(getattr(settings, "SUMMARY_DEFAULT_SUMMARY_FLAG", DEFAULT_SUMMARY_FLAG))
    if item_name_flag is None:
        item_name_flag = str(getattr(settings, "SUMMARY_DEFAULT_ITEM_NAME_FLAG", DEFAULT_ITEM_NAME_FLAG) or "")
    if summary_flag not in ("1", "2"):
        raise ValueError(f"summaryFlag must be 1 or 2, not {summary_flag!r}")
    head = [CONSIGNOR_KEY] + [k for k in head if k != CONSIGNOR_KEY]
    if summary_flag == "1":
        head = [k for k in head if k != OWNER_KEY]
    elif OWNER_KEY not in head:
        head.append(OWNER_KEY)
    if item_name_flag == "1" and ITEM_NAME_KEY not in lines:
        lines.append(ITEM_NAME_KEY)
    elif item_name_flag != "1":
        item_name_flag = ""
    if not lines:
        raise ImproperlyConfigured("SUMMARY_GROUPING: a summary needs at least one line key (gcode)")
    return Grouping(tuple(head), tuple(lines), summary_flag, item_name_flag)
