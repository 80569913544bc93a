"""Side-by-side comparison of two versions of a filing (a change, 变更, against the version in
force), for the back office. Personal data is shown masked on both sides."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils.translation import gettext as _

from zone_portal.core.fields import EncryptedTextField

from .models import EnterpriseFilingVersion, GoodsVersion
from .services import EDITABLE_FIELDS

# The fields compared, in display order.
ENTERPRISE_DIFF_FIELDS = tuple(EDITABLE_FIELDS)
GOODS_DIFF_FIELDS = (
    "name", "name_en", "hs_code", "declaration_elements", "brand", "model_spec", "ingredients", "usage",
    "origin_country", "legal_unit_1", "legal_unit_2", "declared_unit", "unit_price", "currency", "barcode",
    "manufacturer", "modes", "direction", "positive_list",
)
DIFF_FIELDS = {EnterpriseFilingVersion: ENTERPRISE_DIFF_FIELDS, GoodsVersion: GOODS_DIFF_FIELDS}


@dataclass(frozen=True)
class DiffRow:
    """One compared field: its label, both display values, and whether it changed."""

    label: str
    old: str
    new: str
    changed: bool


def _display(instance: models.Model, field: models.Field) -> tuple[object, str]:
    """``(comparable raw value, display text)`` of ``field`` on ``instance``; encrypted personal
    data is compared in the clear but only ever displayed masked."""
    raw = getattr(instance, field.attname)
    if isinstance(field, EncryptedTextField):
        return raw or "", field.masked(raw) if raw else ""
    if isinstance(field, ArrayField):
        values = list(raw or [])
        choices = dict(field.base_field.flatchoices)
        return values, ", ".join(str(choices.get(v, v)) for v in values)
    if isinstance(field, models.ForeignKey):
        if raw in (None, ""):
            return None, ""
        return raw, str(getattr(instance, field.name))
    if isinstance(raw, bool):
        return raw, _("yes") if raw else _("no")
    if raw is None or raw == "":
        return raw or "", ""
    if field.choices:
        return raw, str(dict(field.flatchoices).get(raw, raw))
    if isinstance(raw, Decimal):
        return raw, format(raw, "f")
    return raw, str(raw)


def version_diff(old: models.Model, new: models.Model, fields: tuple[str, ...] | None = None) -> list[DiffRow]:
    """Compare two versions of the same kind field by field, in display order.

    ``fields`` defaults to the business fields of the model (``DIFF_FIELDS``). A field counts as
    changed when its stored value differs (encrypted fields compare their plaintext); display
    values of personal data are masked.
    """
    if type(old) is not type(new):
        raise TypeError("version_diff compares two versions of the same model")
    names = fields if fields is not None else DIFF_FIELDS[type(new)]
    rows = []
    for name in names:
        field = new._meta.get_field(name)
        old_raw, old_text = _display(old, field)
        new_raw, new_text = _display(new, field)
        rows.append(DiffRow(label=str(field.verbose_name), old=old_text, new=new_text, changed=old_raw != new_raw))
    return rows


def version_in_force_for(version: models.Model) -> models.Model | None:
    """The version in force that ``version`` changes, or ``None`` when ``version`` is not a change
    (a first application, or the version in force itself)."""
    if isinstance(version, EnterpriseFilingVersion):
        effective_id = version.filing.effective_version_id
    elif isinstance(version, GoodsVersion):
        effective_id = version.item.effective_version_id
    else:
        raise TypeError(f"not a filing version: {type(version).__name__}")
    if version.number <= 1 or effective_id is None or effective_id == version.pk:
        return None
    return type(version)._default_manager.get(pk=effective_id)


def change_diff(version: models.Model) -> list[DiffRow] | None:
    """The diff of a change against the version in force, or ``None`` when it is not a change."""
    in_force = version_in_force_for(version)
    return None if in_force is None else version_diff(in_force, version)
