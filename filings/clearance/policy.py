"""The dated reference data of clearance: which retail-import policy and which return window are
in force on a day, and the back office's one way to change them (audited)."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils.translation import gettext as _

from zone_portal.audit.services import audit_record, diff, snapshot
from zone_portal.core.errors import ApplicationError

from .models import RetailImportPolicy, ReturnWindow
from .tax import Limits


class PolicyMissing(ApplicationError):
    code = "clearance_policy_missing"


def policy_in_force(on: dt.date, policies: list[RetailImportPolicy] | None = None) -> RetailImportPolicy:
    """The retail-import policy in force on ``on``: the latest row valid from that day or before."""
    if policies is None:
        found = RetailImportPolicy.objects.filter(valid_from__lte=on).order_by("-valid_from").first()
    else:
        found = max((p for p in policies if p.valid_from <= on), key=lambda p: p.valid_from, default=None)
    if found is None:
        raise PolicyMissing(_("No retail-import policy is in force on %(day)s.") % {"day": on})
    return found


def policies_all() -> list[RetailImportPolicy]:
    return list(RetailImportPolicy.objects.all())


def limits_of(policy: RetailImportPolicy) -> Limits:
    return Limits(single=policy.single_limit, annual=policy.annual_limit,
                  single_item_full_tax=policy.single_item_rule == RetailImportPolicy.SingleItemRule.FULL_TAX)


def return_window_days(direction: str, on: dt.date) -> int | None:
    """Days after release within which a return of a list released on ``on`` may be declared;
    ``None`` when no window is on file (returns are then refused)."""
    found = (ReturnWindow.objects.filter(direction=direction, valid_from__lte=on)
             .order_by("-valid_from").values_list("days", flat=True).first())
    return found


@transaction.atomic
def policy_row_save(*, instance: RetailImportPolicy | ReturnWindow, actor) -> RetailImportPolicy | ReturnWindow:
    """Save a policy or return-window row edited in the back office, with an audit event of what
    changed (``clearance.<model>.create`` / ``.change``). Rows are dated: a new rule gets a new row
    from its first day, so the lists already judged keep the row they were judged by."""
    model = type(instance)
    created = instance._state.adding
    before = {} if created else snapshot(model.objects.select_for_update().get(pk=instance.pk))
    instance.full_clean()
    instance.save()
    changes = diff(before, snapshot(instance))
    if created or changes:
        audit_record(actor=actor, action=f"clearance.{model._meta.model_name}.{'create' if created else 'change'}",
                     target=instance, changes=changes)
    return instance
