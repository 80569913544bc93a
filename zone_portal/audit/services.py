"""Writing audit events. Call ``audit_record`` inside the service's transaction."""

from __future__ import annotations

from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction

from zone_portal.core import request_context
from zone_portal.core.fields import EncryptedTextField

from .models import AuditEvent


def actor_parts(actor) -> dict[str, Any]:
    """Split an actor (a user, an API client, or ``None`` for the system) into event columns."""
    from zone_portal.accounts.models import ApiClient

    if actor is None:
        return {"actor_label": "system", "organization_id": None}
    if isinstance(actor, ApiClient):
        return {"actor_api_client": actor, "actor_label": f"api:{actor.key_id}",
                "organization_id": actor.organization_id}
    return {"actor_user": actor if actor.pk else None, "actor_label": actor.get_username() or "anonymous",
            "organization_id": getattr(actor, "organization_id", None)}


def snapshot(instance: models.Model, fields: list[str] | None = None) -> dict[str, Any]:
    """The audit-safe values of ``instance``'s concrete fields: personal data is masked."""
    data: dict[str, Any] = {}
    for field in instance._meta.concrete_fields:
        if fields is not None and field.name not in fields:
            continue
        if field.name in ("password",) or field.name.endswith("_bidx") or field.name == "signing_key":
            continue
        value = getattr(instance, field.attname)
        if isinstance(field, EncryptedTextField):
            value = field.masked(value)
        elif isinstance(value, (list, dict, str, int, float, bool)) or value is None:
            pass
        else:
            value = str(value)
        data[field.name] = value
    return data


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """``{field: [before, after]}`` for the fields whose value changed."""
    keys = set(before) | set(after)
    return {k: [before.get(k), after.get(k)] for k in sorted(keys) if before.get(k) != after.get(k)}


def audit_record(
    *,
    actor,
    action: str,
    target: models.Model | None = None,
    organization_id: int | None = None,
    changes: dict[str, list[Any]] | None = None,
    extra: dict[str, Any] | None = None,
) -> AuditEvent:
    """Record one state change. Must run inside the transaction that makes the change, so that a
    change without its event (or an event without its change) can never be committed."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit_record must be called inside the service's transaction")
    parts = actor_parts(actor)
    if organization_id is not None:
        parts["organization_id"] = organization_id
    event = AuditEvent(
        action=action,
        changes=changes or {},
        extra=extra or {},
        request_id=request_context.get_request_id() if request_context.get_request_id() != "-" else "",
        ip_address=request_context.get_client_ip(),
        **parts,
    )
    if target is not None:
        event.target_type = ContentType.objects.get_for_model(target, for_concrete_model=False)
        event.target_id = str(target.pk)
        event.target_repr = str(target)[:200]
    event.save()
    return event
