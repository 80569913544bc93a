"""Loading and importing the reference code tables.

One function does the work for the ``load_codes`` command and for the back-office import:
``codes_table_import`` parses a CSV file in the table's format, validates every row (format of each
cell, duplicates inside the file, references to other tables), and — only when no row has an
error — upserts the rows by their natural key in one transaction and records an audit event.
A file with any bad row writes nothing, so an import is never half done.

The formats are the CSV files in ``data/`` (see ``data/README.md``); an official table in the same
columns can be loaded over the bundled sample.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from django.db import connection, models, transaction
from django.utils.translation import gettext as _

from zone_portal.audit.services import audit_record, diff, snapshot

from .models import (
    Country,
    Currency,
    CustomsDistrict,
    Division,
    Hs6,
    HsChapter,
    HsCode,
    HsRate,
    TradeMode,
    TransportMode,
    Unit,
    WrapType,
)

DATA_DIR = Path(__file__).resolve().parent / "data"
MAX_IMPORT_BYTES = 20 * 1024 * 1024
BULK_BATCH_SIZE = 2000


# --- results --------------------------------------------------------------------------------


@dataclass(frozen=True)
class RowError:
    """One problem in an imported file: ``row`` is the line number (the header is row 1)."""

    row: int
    column: str
    message: str

    def __str__(self) -> str:
        where = f"row {self.row}" if self.row else "file"
        if self.column:
            where += f", column {self.column}"
        return f"{where}: {self.message}"


@dataclass
class Counts:
    """How many rows of one model an import created, updated or left unchanged."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0

    @property
    def changed(self) -> int:
        return self.created + self.updated

    def as_dict(self) -> dict[str, int]:
        return {"created": self.created, "updated": self.updated, "unchanged": self.unchanged}


@dataclass
class ImportResult:
    """The outcome of importing one table: counts per model, or the errors that stopped it."""

    table: str
    counts: dict[str, Counts] = field(default_factory=dict)
    errors: list[RowError] = field(default_factory=list)
    rows: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def changed(self) -> int:
        return sum(c.changed for c in self.counts.values())


# --- cell parsers: return the value or raise ValueError with a message for the user ----------


def parse_text(value: str) -> str:
    return value


def code_parser(pattern: str, example: str) -> Callable[[str], str]:
    """A parser that accepts codes matching ``pattern`` (e.g. three digits, like ``example``)."""
    regex = re.compile(pattern)

    def parse(value: str) -> str:
        if not regex.fullmatch(value):
            raise ValueError(_("“%(value)s” is not a valid code (expected a code like %(example)s).")
                             % {"value": value, "example": example})
        return value

    return parse


def choice_parser(choices: Iterable[str]) -> Callable[[str], str]:
    allowed = list(choices)

    def parse(value: str) -> str:
        if value not in allowed:
            raise ValueError(_("“%(value)s” is not one of: %(allowed)s.")
                             % {"value": value, "allowed": ", ".join(allowed)})
        return value

    return parse


_TRUE = {"true", "yes", "y", "1", "是"}
_FALSE = {"false", "no", "n", "0", "否"}


def parse_bool(value: str) -> bool:
    v = value.strip().lower()
    if v in _TRUE:
        return True
    if v in _FALSE:
        return False
    raise ValueError(_("“%(value)s” is not true or false.") % {"value": value})


def parse_verified(value: str) -> bool:
    """``yes`` = two independent sources agree; ``single-source`` (or false) = not verified."""
    if value.strip().lower() in {"single-source", "unverified"}:
        return False
    return parse_bool(value)


def parse_year(value: str) -> int:
    if not re.fullmatch(r"(19|20|21)[0-9]{2}", value):
        raise ValueError(_("“%(value)s” is not a year (YYYY).") % {"value": value})
    return int(value)


def parse_date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ValueError(_("“%(value)s” is not a date (YYYY-MM-DD).") % {"value": value}) from None


def parse_rate(value: str) -> Decimal:
    """A rate as a fraction (``0.13``) or a percentage (``13%``), 0 ≤ rate < 1, 4 decimals at most."""
    text = value.strip()
    percent = text.endswith("%")
    try:
        rate = Decimal(text.rstrip("%").strip())
    except InvalidOperation:
        raise ValueError(_("“%(value)s” is not a rate (e.g. 0.13 or 13%%).") % {"value": value}) from None
    if percent:
        rate = rate / 100
    if not rate.is_finite() or rate < 0 or rate >= 1:
        raise ValueError(_("A rate must be at least 0 and below 1 (e.g. 0.13 or 13%%); got “%(value)s”.")
                         % {"value": value})
    if rate != rate.quantize(Decimal("0.0001")):
        raise ValueError(_("A rate has at most four decimals; got “%(value)s”.") % {"value": value})
    return rate.quantize(Decimal("0.0001"))


def parse_amount(value: str) -> Decimal:
    try:
        amount = Decimal(value)
    except InvalidOperation:
        raise ValueError(_("“%(value)s” is not a number.") % {"value": value}) from None
    if not amount.is_finite() or amount < 0 or amount != amount.quantize(Decimal("0.0001")):
        raise ValueError(_("“%(value)s” must be a positive number with at most four decimals.")
                         % {"value": value})
    return amount


# --- table formats ----------------------------------------------------------------------------

_CARRY = object()  # an empty rate cell of an hs_rates row: keep the rate in force before the row


@dataclass(frozen=True)
class Column:
    """One CSV column: the model attribute it fills and how its cells are read.

    ``required`` columns must be in the header; an optional column that is absent leaves the
    attribute untouched on existing rows (e.g. a code withdrawn in the back office stays withdrawn).
    ``blank`` allows an empty cell, which then takes ``default``.
    """

    name: str
    parse: Callable[[str], Any] = parse_text
    attname: str | None = None
    required: bool = True
    blank: bool = False
    default: Any = ""

    @property
    def target(self) -> str:
        return self.attname or self.name


@dataclass
class Row:
    number: int
    values: dict[str, Any]


Checker = Callable[["Table", list[Row], set[str], list[RowError]], None]
Writer = Callable[["Table", list[Row], list[str]], dict[str, Counts]]


@dataclass(frozen=True)
class Table:
    """A code table's CSV format and how it maps onto its model."""

    name: str
    model: type[models.Model]
    filename: str
    key: tuple[str, ...]
    columns: tuple[Column, ...]
    check: Checker | None = None
    write: Writer | None = None

    @property
    def audit_action(self) -> str:
        return f"codes.{self.model._meta.model_name}.import"

    @property
    def header(self) -> list[str]:
        return [c.name for c in self.columns]


def _notes(name: str = "notes") -> Column:
    return Column(name, required=False, blank=True)


_ACTIVE = Column("is_active", parse_bool, required=False, blank=True, default=True)


def _exists(model: type[models.Model], attname: str, values: set[str]) -> set[str]:
    """The subset of ``values`` present in ``model.<attname>``."""
    if not values:
        return set()
    return set(model.objects.filter(**{f"{attname}__in": values}).values_list(attname, flat=True))


def _check_districts(table: Table, rows: list[Row], present: set[str], errors: list[RowError]) -> None:
    in_file = {r.values["code"] for r in rows}
    wanted = {r.values["parent_id"] for r in rows if r.values.get("parent_id")}
    known = in_file | _exists(CustomsDistrict, "code", wanted - in_file)
    for r in rows:
        parent = r.values.get("parent_id")
        if parent and parent not in known:
            errors.append(RowError(r.number, "parent_code",
                                   _("Parent district %(code)s does not exist.") % {"code": parent}))
        if parent and parent == r.values["code"]:
            errors.append(RowError(r.number, "parent_code", _("A district cannot be its own parent.")))


def _check_divisions(table: Table, rows: list[Row], present: set[str], errors: list[RowError]) -> None:
    in_file = {r.values["code"] for r in rows}
    wanted = {r.values["parent_code"] for r in rows if r.values.get("parent_code")}
    known = in_file | _exists(Division, "code", wanted - in_file)
    for r in rows:
        parent = r.values.get("parent_code")
        if parent and parent not in known:
            errors.append(RowError(r.number, "parent_code",
                                   _("Parent division %(code)s does not exist.") % {"code": parent}))


def _check_hs6(table: Table, rows: list[Row], present: set[str], errors: list[RowError]) -> None:
    for r in rows:
        v = r.values
        if not v["hs6"].startswith(v["chapter"]):
            errors.append(RowError(r.number, "chapter", _("%(hs6)s does not belong to chapter %(chapter)s.")
                                   % {"hs6": v["hs6"], "chapter": v["chapter"]}))
        if not v["hs6"].startswith(v["heading"]):
            errors.append(RowError(r.number, "heading", _("%(hs6)s does not belong to heading %(heading)s.")
                                   % {"hs6": v["hs6"], "heading": v["heading"]}))


_RATE_FIELDS = ("vat_rate", "consumption_tax_rate", "consumption_tax_specific",
                "consumption_tax_specific_unit_id", "export_refund_rate")
_RATE_COLUMN = {"consumption_tax_specific_unit_id": "consumption_tax_specific_unit"}


def _check_units(rows: list[Row], columns: dict[str, str], errors: list[RowError]) -> None:
    """Every unit code named in ``columns`` ({attname: CSV column}) must be a loaded unit."""
    wanted = {r.values[a] for r in rows for a in columns if r.values.get(a) not in (None, "", _CARRY)}
    known = _exists(Unit, "code", wanted)
    for r in rows:
        for attname, column in columns.items():
            code = r.values.get(attname)
            if code not in (None, "", _CARRY) and code not in known:
                errors.append(RowError(r.number, column, _("Unit %(code)s does not exist in the units table.")
                                       % {"code": code}))


def _check_specific_tax(r: Row, errors: list[RowError]) -> None:
    amount, unit = r.values.get("consumption_tax_specific"), r.values.get("consumption_tax_specific_unit_id")
    if amount not in (None, _CARRY) and amount > 0 and not unit:
        errors.append(RowError(r.number, "consumption_tax_specific_unit",
                               _("A specific consumption tax needs the unit it is charged per.")))


def _check_hs_codes(table: Table, rows: list[Row], present: set[str], errors: list[RowError]) -> None:
    """The first six digits must be an HS 2022 subheading; units must exist; units must differ."""
    for r in rows:
        r.values["hs6_id"] = r.values["hs_code"][:6]
    known_hs6 = _exists(Hs6, "hs6", {r.values["hs6_id"] for r in rows})
    chapters = _exists(HsChapter, "chapter", {r.values["hs_code"][:2] for r in rows})
    for r in rows:
        v = r.values
        if v["hs_code"][:2] not in chapters:
            errors.append(RowError(r.number, "hs_code", _("%(chapter)s is not an HS chapter (01–97).")
                                   % {"chapter": v["hs_code"][:2]}))
        elif v["hs6_id"] not in known_hs6:
            errors.append(RowError(r.number, "hs_code",
                                   _("The first six digits %(hs6)s are not an HS 2022 subheading.")
                                   % {"hs6": v["hs6_id"]}))
        if v.get("legal_unit_2_id") and v["legal_unit_2_id"] == v["legal_unit_1_id"]:
            errors.append(RowError(r.number, "legal_unit_2", _("The second legal unit repeats the first.")))
        _check_specific_tax(r, errors)
    _check_units(rows, {"legal_unit_1_id": "legal_unit_1", "legal_unit_2_id": "legal_unit_2",
                        "consumption_tax_specific_unit_id": "consumption_tax_specific_unit"}, errors)


def _check_hs_rates(table: Table, rows: list[Row], present: set[str], errors: list[RowError]) -> None:
    """The code must be loaded; an empty rate cell takes the value in force the day before."""
    known = _exists(HsCode, "hs_code", {r.values["hs_code_id"] for r in rows})
    for r in rows:
        if r.values["hs_code_id"] not in known:
            errors.append(RowError(r.number, "hs_code", _("HS code %(code)s is not loaded; import it in the HS "
                                                          "code table first.") % {"code": r.values["hs_code_id"]}))
        v = r.values
        if v.get("effective_to") and v["effective_to"] < v["effective_from"]:
            errors.append(RowError(r.number, "effective_to", _("The end date is before the start date.")))
    _check_units(rows, {"consumption_tax_specific_unit_id": "consumption_tax_specific_unit"}, errors)
    if errors:
        return
    # Timeline per code: rows already stored, then this file's rows in date order.
    timeline: dict[str, list[tuple[dt.date, dict[str, Any]]]] = {}
    for stored in HsRate.objects.filter(hs_code_id__in=known).values("hs_code_id", "effective_from",
                                                                      *_RATE_FIELDS):
        timeline.setdefault(stored["hs_code_id"], []).append((stored["effective_from"], stored))
    for r in sorted(rows, key=lambda r: (r.values["hs_code_id"], r.values["effective_from"])):
        v = r.values
        earlier = [t for t in timeline.get(v["hs_code_id"], []) if t[0] < v["effective_from"]]
        previous = max(earlier, key=lambda t: t[0])[1] if earlier else None
        if v.get("consumption_tax_specific_unit_id") is _CARRY and v.get("consumption_tax_specific") is not _CARRY:
            v["consumption_tax_specific_unit_id"] = None  # a stated amount with no unit: no specific tax unit
        for name in _RATE_FIELDS:
            if v.get(name) is _CARRY:
                if previous is None and name == "consumption_tax_specific_unit_id":
                    v[name] = None  # reported once, on the amount
                    continue
                if previous is None:
                    errors.append(RowError(r.number, _RATE_COLUMN.get(name, name),
                                           _("Empty, and no earlier rate of this code to carry it from.")))
                    continue
                v[name] = previous[name]
        _check_specific_tax(r, errors)
        others = [t for t in timeline.get(v["hs_code_id"], []) if t[0] != v["effective_from"]]
        timeline[v["hs_code_id"]] = [*others, (v["effective_from"], v)]


_RATE_DEFAULTS = {"consumption_tax_specific": Decimal(0), "consumption_tax_specific_unit_id": None}


def _write_hs_codes(table: Table, rows: list[Row], fields: list[str]) -> dict[str, Counts]:
    """An ``hs_codes`` row is an :class:`HsCode` and its :class:`HsRate` from ``effective_from``."""
    rate_fields = [*_RATE_FIELDS, "effective_from", "source"]
    code_fields = [f for f in fields if f not in rate_fields or f == "source"] + ["hs6_id"]
    codes = [{f: r.values[f] for f in code_fields} for r in rows]
    rates = [
        {"hs_code_id": r.values["hs_code"], **{f: r.values.get(f, _RATE_DEFAULTS.get(f)) for f in rate_fields}}
        for r in rows
    ]
    return {
        "hscode": _upsert(HsCode, ("hs_code",), codes, code_fields),
        "hsrate": _upsert(HsRate, ("hs_code_id", "effective_from"), rates, ["hs_code_id", *rate_fields]),
    }


TABLES: dict[str, Table] = {
    t.name: t
    for t in [
        Table("chapters", HsChapter, "chapters.csv", ("chapter",), (
            Column("chapter", code_parser(r"[0-9]{2}", "33")),
            Column("section", blank=True),
            Column("name_en", blank=True),
            Column("name_zh", required=False, blank=True),
            Column("name_en_wco_2012", required=False, blank=True),
            _notes(),
        )),
        Table("hs6", Hs6, "hs6_2022.csv", ("hs6",), (
            Column("hs6", code_parser(r"[0-9]{6}", "330499")),
            Column("description_en"),
            Column("heading", code_parser(r"[0-9]{4}", "3304")),
            Column("chapter", code_parser(r"[0-9]{2}", "33")),
            Column("section", required=False, blank=True),
        ), check=_check_hs6),
        Table("units", Unit, "units.csv", ("code",), (
            Column("code", code_parser(r"[0-9]{3}", "035")),
            Column("name_zh"),
            Column("sources", required=False, blank=True),
            _notes(), _ACTIVE,
        )),
        Table("countries", Country, "countries.csv", ("customs_code",), (
            Column("customs_code", code_parser(r"[0-9]{3}", "303")),
            Column("name_zh"),
            Column("name_en", blank=True),
            Column("iso_alpha2", code_parser(r"[A-Z]{2}", "GB"), blank=True),
            Column("iso_alpha3", code_parser(r"[A-Z]{3}", "GBR"), blank=True),
            _notes(), _ACTIVE,
        )),
        Table("currencies", Currency, "currencies.csv", ("customs_code",), (
            Column("customs_code", code_parser(r"[0-9]{3}", "303")),
            Column("iso_code", code_parser(r"[A-Z]{3}", "GBP")),
            Column("name_zh"),
            Column("name_en", blank=True),
            Column("iso_status", choice_parser(Currency.IsoStatus.values), required=False, blank=True,
                   default=Currency.IsoStatus.CURRENT),
            Column("sources", required=False, blank=True),
            _notes(), _ACTIVE,
        )),
        Table("trade_modes", TradeMode, "trade_modes.csv", ("code",), (
            Column("code", code_parser(r"[0-9]{4}", "9610")),
            Column("name_zh"),
            Column("name_en", blank=True),
            Column("direction", choice_parser(TradeMode.Direction.values)),
            _notes(), _ACTIVE,
        )),
        Table("transport_modes", TransportMode, "transport_modes.csv", ("code",), (
            Column("code", code_parser(r"[0-9A-Z]", "5")),
            Column("name_zh"),
            Column("name_zh_legacy", required=False, blank=True),
            _notes(), _ACTIVE,
        )),
        Table("wrap_types", WrapType, "wrap_types.csv", ("code",), (
            Column("code", code_parser(r"[0-9]{1,2}", "2")),
            Column("name_zh"),
            _notes(), _ACTIVE,
        )),
        Table("customs_districts", CustomsDistrict, "customs_districts.csv", ("code",), (
            Column("code", code_parser(r"[0-9]{4}", "2900")),
            Column("name_zh"),
            Column("level", choice_parser(CustomsDistrict.Level.values)),
            Column("parent_code", code_parser(r"[0-9]{4}", "2900"), attname="parent_id", blank=True,
                   default=None),
            Column("verified", parse_verified, required=False, blank=True, default=False),
            Column("sources", required=False, blank=True),
            _notes(), _ACTIVE,
        ), check=_check_districts),
        Table("divisions", Division, "divisions.csv", ("code", "valid_from", "valid_to"), (
            Column("code", code_parser(r"[0-9]{6}", "330106")),
            Column("name_zh"),
            Column("level", choice_parser(Division.Level.values)),
            Column("parent_code", code_parser(r"[0-9]{6}", "330100"), blank=True),
            Column("valid_from", parse_year, blank=True, default=None),
            Column("valid_to", parse_year, blank=True, default=None),
            Column("is_current", parse_bool),
            Column("source", required=False, blank=True),
        ), check=_check_divisions),
        Table("hs_codes", HsCode, "hs_codes.csv", ("hs_code",), (
            Column("hs_code", code_parser(r"[0-9]{10}", "3304990099")),
            Column("name_zh"),
            Column("legal_unit_1", code_parser(r"[0-9]{3}", "035"), attname="legal_unit_1_id"),
            Column("legal_unit_2", code_parser(r"[0-9]{3}", "035"), attname="legal_unit_2_id", blank=True,
                   default=None),
            Column("vat_rate", parse_rate),
            Column("consumption_tax_rate", parse_rate, blank=True, default=Decimal(0)),
            Column("consumption_tax_specific", parse_amount, required=False, blank=True, default=Decimal(0)),
            Column("consumption_tax_specific_unit", code_parser(r"[0-9]{3}", "095"),
                   attname="consumption_tax_specific_unit_id", required=False, blank=True, default=None),
            Column("export_refund_rate", parse_rate),
            Column("positive_list", parse_bool),
            Column("effective_from", parse_date),
            Column("source", blank=True),
            _notes(), _ACTIVE,
        ), check=_check_hs_codes, write=_write_hs_codes),
        Table("hs_rates", HsRate, "hs_rates.csv", ("hs_code_id", "effective_from"), (
            Column("hs_code", code_parser(r"[0-9]{10}", "3304990099"), attname="hs_code_id"),
            Column("vat_rate", parse_rate, required=False, blank=True, default=_CARRY),
            Column("consumption_tax_rate", parse_rate, required=False, blank=True, default=_CARRY),
            Column("consumption_tax_specific", parse_amount, required=False, blank=True, default=_CARRY),
            Column("consumption_tax_specific_unit", code_parser(r"[0-9]{3}", "095"),
                   attname="consumption_tax_specific_unit_id", required=False, blank=True, default=_CARRY),
            Column("export_refund_rate", parse_rate, required=False, blank=True, default=_CARRY),
            Column("effective_from", parse_date),
            Column("effective_to", parse_date, required=False, blank=True, default=None),
            Column("source", blank=True),
            _notes(),
        ), check=_check_hs_rates),
    ]
}
"""Every table by name, in the order they must be loaded (later tables refer to earlier ones)."""


# --- parsing ----------------------------------------------------------------------------------


def _decode(content: bytes | str) -> str:
    """CSV text: UTF-8 (with or without BOM) or, for files saved by Chinese Excel, GB18030."""
    if isinstance(content, str):
        return content.lstrip("\ufeff")
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        return content.decode("gb18030")


def _parse_rows(table: Table, text: str, errors: list[RowError]) -> tuple[list[Row], set[str]]:
    """The file's valid rows (attname → value) and the set of columns its header has."""
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [h.strip() for h in (reader.fieldnames or [])]
    reader.fieldnames = header
    present = set(header)
    missing = [c.name for c in table.columns if c.required and c.name not in present]
    if not header:
        errors.append(RowError(0, "", _("The file is empty.")))
        return [], present
    if missing:
        errors.append(RowError(1, ", ".join(missing), _("Missing column(s); the header must have: %(cols)s.")
                               % {"cols": ", ".join(table.header)}))
        return [], present
    columns = [c for c in table.columns if c.name in present or c.default is _CARRY]
    model_fields = {f.attname: f for f in table.model._meta.concrete_fields}
    rows: list[Row] = []
    seen: dict[tuple, int] = {}
    for number, raw in enumerate(reader, start=2):
        if None in raw:
            errors.append(RowError(number, "", _("The row has more cells than the header.")))
            continue
        if not any((v or "").strip() for v in raw.values()):
            continue  # blank line
        values: dict[str, Any] = {}
        row_ok = True
        for col in columns:
            cell = (raw.get(col.name) or "").strip()
            if not cell:
                if not col.blank:
                    errors.append(RowError(number, col.name, _("This cell is required.")))
                    row_ok = False
                values[col.target] = col.default
                continue
            try:
                value = col.parse(cell)
            except ValueError as exc:
                errors.append(RowError(number, col.name, str(exc)))
                row_ok = False
                continue
            model_field = model_fields.get(col.target)
            max_length = getattr(model_field, "max_length", None)
            if isinstance(value, str) and max_length and len(value) > max_length:
                errors.append(RowError(number, col.name, _("Longer than %(n)d characters.") % {"n": max_length}))
                row_ok = False
                continue
            values[col.target] = value
        if not row_ok:
            continue
        key = tuple(values[k] for k in table.key)
        if key in seen:
            errors.append(RowError(number, table.columns[0].name,
                                   _("Duplicate of row %(row)d.") % {"row": seen[key]}))
            continue
        seen[key] = number
        rows.append(Row(number, values))
    return rows, present


# --- writing ----------------------------------------------------------------------------------


def _upsert(model: type[models.Model], key: tuple[str, ...], rows: list[dict[str, Any]],
            fields: list[str]) -> Counts:
    """Insert new rows and update changed ones by natural key; rows that match stay untouched.

    The comparison against the stored rows is what makes a second load a no-op (no UPDATE, no
    audit event); ``bulk_create(update_conflicts=True)`` is one INSERT … ON CONFLICT per batch.
    """
    compare = [f for f in fields if f not in key]
    existing = {
        tuple(values[: len(key)]): tuple(values[len(key):])
        for values in model.objects.values_list(*key, *compare).iterator(chunk_size=5000)
    }
    counts = Counts()
    pending = []
    for row in rows:
        k = tuple(row[f] for f in key)
        stored = existing.get(k)
        if stored is None:
            counts.created += 1
        elif stored != tuple(row[f] for f in compare):
            counts.updated += 1
        else:
            counts.unchanged += 1
            continue
        pending.append(model(**row))
    if pending:
        model.objects.bulk_create(
            pending, batch_size=BULK_BATCH_SIZE, update_conflicts=True,
            unique_fields=_field_names(model, key), update_fields=_field_names(model, compare),
        )
    return counts


def _field_names(model: type[models.Model], attnames: Iterable[str]) -> list[str]:
    return [model._meta.get_field(a).name for a in attnames]


def _write_default(table: Table, rows: list[Row], fields: list[str]) -> dict[str, Counts]:
    data = [{f: r.values[f] for f in fields} for r in rows]
    return {table.model._meta.model_name: _upsert(table.model, table.key, data, fields)}


# --- the services ---------------------------------------------------------------------------


@transaction.atomic
def codes_table_import(*, table: str, content: bytes | str, actor=None, source_name: str = "") -> ImportResult:
    """Validate a CSV file in ``table``'s format and, if every row is valid, upsert it.

    All or nothing: one bad row and nothing is written. Imports of one table are serialised by
    an advisory lock so that two officers' uploads cannot interleave. When rows were created or
    updated, an audit event ``codes.<model>.import`` records the counts; a no-op records nothing.
    """
    spec = TABLES.get(table)
    if spec is None:
        raise ValueError(f"unknown code table {table!r}")
    result = ImportResult(table=table)
    if isinstance(content, bytes) and len(content) > MAX_IMPORT_BYTES:
        result.errors.append(RowError(0, "", _("The file is larger than %(mb)d MB.")
                                      % {"mb": MAX_IMPORT_BYTES // (1024 * 1024)}))
        return result
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"codes.import.{table}"])
    try:
        text = _decode(content)
    except UnicodeDecodeError:
        result.errors.append(RowError(0, "", _("The file is neither UTF-8 nor GB18030 text.")))
        return result
    rows, present = _parse_rows(spec, text, result.errors)
    result.rows = len(rows)
    if rows and spec.check is not None:  # references are checked on the rows that parsed
        spec.check(spec, rows, present, result.errors)
    if result.errors:
        result.errors.sort(key=lambda e: (e.row, e.column))
        return result
    fields = [c.target for c in spec.columns if c.name in present or c.default is _CARRY]
    result.counts = (spec.write or _write_default)(spec, rows, fields)
    if result.changed:
        audit_record(
            actor=actor,
            action=spec.audit_action,
            extra={
                "table": table,
                "file": source_name,
                "rows": result.rows,
                "counts": {name: c.as_dict() for name, c in result.counts.items()},
            },
        )
    return result


def codes_load(*, path: Path | str | None = None, only: Iterable[str] | None = None, actor=None) -> list[ImportResult]:
    """Load the code tables from the CSV files in ``path`` (default: the bundled ``data/``).

    Tables load in dependency order, each in its own transaction. With the bundled data every
    file must exist; with another ``path`` (an official table import) absent files are skipped.
    """
    directory = Path(path) if path else DATA_DIR
    wanted = list(only) if only else list(TABLES)
    unknown = [name for name in wanted if name not in TABLES]
    if unknown:
        raise ValueError(f"unknown code table(s): {', '.join(unknown)}; known: {', '.join(TABLES)}")
    results = []
    for name, spec in TABLES.items():
        if name not in wanted:
            continue
        file = directory / spec.filename
        if not file.exists():
            if path and not only:
                continue
            result = ImportResult(table=name)
            result.errors.append(RowError(0, "", f"{file} does not exist"))
            results.append(result)
            continue
        results.append(codes_table_import(table=name, content=file.read_bytes(), actor=actor,
                                          source_name=str(file.name)))
    return results


@transaction.atomic
def codes_row_save(*, instance: models.Model, actor) -> models.Model:
    """Save one code row edited in the back office, with an audit event of what changed.

    ``codes.<model>.create`` for a new row, ``codes.<model>.change`` with the before → after
    values for an edit; saving an unchanged row records nothing.
    """
    model = type(instance)
    created = instance._state.adding
    before = {} if created else snapshot(model.objects.select_for_update().get(pk=instance.pk))
    instance.save()
    changes = diff(before, snapshot(instance))
    if created or changes:
        verb = "create" if created else "change"
        audit_record(actor=actor, action=f"codes.{model._meta.model_name}.{verb}", target=instance,
                     changes=changes)
    return instance


def table_for_model(model: type[models.Model]) -> Table | None:
    """The import format whose rows are ``model`` rows (for the back-office import view)."""
    for spec in TABLES.values():
        if spec.model is model:
            return spec
    return None
