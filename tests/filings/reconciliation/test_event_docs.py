"""docs/webhooks.md shows partners the ``reconciliation.result`` and ``inventory.state`` events as
the platform sends them: the examples have the shape of real events of a trade declared through
the API, reconciled and cleared, and every field of the real payload is explained."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from filings.clearance.services import lists_clear
from filings.models import Declaration
from tests.filings.clearance.factories import CREAM, LIPSTICK, ensure_policies, ensure_rate
from tests.filings.reconciliation.conftest import declared_list, import_order, import_payment, import_waybill
from zone_portal.events.delivery import event_envelope
from zone_portal.events.models import Event

pytestmark = pytest.mark.django_db
GUIDE = Path(__file__).resolve().parents[3] / "docs" / "webhooks.md"


def documented(event_type: str) -> tuple[dict, str]:
    """The example event of ``event_type`` and the text of its section."""
    text = GUIDE.read_text()
    example = re.search(rf"<!-- event-example:{re.escape(event_type)} -->\s*```json\n(.*?)```", text, re.S)
    section = re.search(rf"\n## `{re.escape(event_type)}`\n(.*?)(?=\n## )", text, re.S)
    assert example and section, f"docs/webhooks.md has no example or section for {event_type}"
    return json.loads(example.group(1)), section.group(1)


def shape(value):
    """Keys and JSON types, recursively; a list by its first element."""
    if isinstance(value, dict):
        return {key: shape(item) for key, item in value.items()}
    if isinstance(value, list):
        return [shape(value[0])] if value else []
    return "null" if value is None else type(value).__name__


@pytest.fixture
def events(cast, declare, reconcile_now):
    """ORD-0001 mismatched (a payer who is not the buyer, a short payment); ORD-0002 matched, its
    list cleared and released. Returns the events of each type as partners receive them."""
    ensure_policies()
    ensure_rate(CREAM, "0.13")
    ensure_rate(LIPSTICK, "0.13", "0.15")
    declare(import_order(cast))
    declare(import_payment(cast, payerIdNumber="360426199101010098", amountPaid="220.00"))
    declare(import_waybill(cast))
    for doc in (import_order(cast, "ORD-0002"), import_payment(cast, "ORD-0002"), import_waybill(cast, "ORD-0002"),
                declared_list(cast, "ORD-0002", logisticsNo="WB-ORD-0002", copNo="COP-ORD-0002")):
        declare(doc)
    reconcile_now()
    lists_clear(declaration_ids=[Declaration.objects.get(kind="CEB621").pk])
    by_type: dict[str, list[dict]] = {}
    for event in Event.objects.filter(organization=cast.ebc.org).order_by("id"):
        by_type.setdefault(event.event_type, []).append(event_envelope(event))
    return by_type


def test_the_reconciliation_example_is_a_real_event(events):
    example, section = documented("reconciliation.result")
    (real,) = events["reconciliation.result"]
    assert real["data"]["matched"] == ["ORD-0002"] and real["subject"] == "ORD-0002 (+1)"
    assert real["data"]["results"][0]["failures"][0]["code"] == -900501
    assert shape(example) == shape(json.loads(json.dumps(real, default=str)))
    (result,) = real["data"]["results"]
    for key in [*real["data"], *result, *result["failures"][0]]:
        assert f"`{key}`" in section or f"`results[].{key}`" in section, f"{key} is not explained"


def test_the_inventory_state_example_is_a_real_event(events):
    example, section = documented("inventory.state")
    real = events["inventory.state"]
    assert [(e["data"]["previousState"], e["data"]["state"]) for e in real] == [
        ("reconciled", "risk_check"), ("risk_check", "released")]
    released = real[-1]
    assert released["data"]["returnStatus"] == "800" and released["data"]["invtNo"]
    assert shape(example) == shape(json.loads(json.dumps(released, default=str)))
    assert example["subject"] == f"{example['data']['kind']}:{example['data']['guid']}"
    for key in released["data"]:
        assert f"`{key}`" in section, f"{key} is not explained"
    for state in {e["data"]["state"] for e in real}:
        assert f"`{state}`" in section
