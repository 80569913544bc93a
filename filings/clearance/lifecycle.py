"""How a batch of inventory lists moves from one state to the next, whatever moved them.

One function, ``transition``, writes everything a state change means, set-based, inside the
caller's transaction: the lists' new state and receipt status, a ``ListStateChange`` row each
(the list's history), a receipt (回执) each where the state has one — so the pull feed follows
the list — an ``inventory.state`` event each for the list's parties (webhooks and the event feed),
an audit event each when a person decided, and ``filings.signals.list_state_changed`` after the
commit. It refuses a change the ``TRANSITIONS`` table does not allow.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.utils import timezone

from filings import signals as filings_signals
from filings.hub.ingest import format_return_time
from filings.hub.rules import Problem
from filings.hub.spec import KINDS
from filings.models import Declaration, DeclarationReceipt, DeclarationVersion
from zone_portal.accounts.models import User
from zone_portal.audit.services import actor_parts, audit_record
from zone_portal.core.errors import ApplicationError
from zone_portal.events.services import publish_many

from .db import update_rows
from .models import ListStateChange, State, allowed

# returnStatus of the receipt each state answers (customs.md §1.3); "" for none.
STATE_RECEIPT = {
    State.RISK_CHECK: "399",  # 海关审结: quota and tax assessed, the tax bill issued
    State.RELEASED: "800",  # 放行
    State.HELD: "500",  # 查验 (a hold for missing reference data answers 300 人工审核 instead)
    State.REJECTED: "100",  # 海关退单 (a refusal by the limits answers the spec's -621005 / -621018)
    State.CANCELLED: "399",  # the cancellation was concluded (审结)
    State.RETURNED: "399",  # the return was concluded (审结)
    State.CLOSED: "899",  # 结关
}
STATUS_MANUAL_REVIEW = "300"


class TransitionNotAllowed(ApplicationError):
    code = "list_state_conflict"
    http_status = 409


@dataclass
class Change:
    """One list to move: where to, with which receipt (status, Chinese returnInfo, problems), why,
    and the document that caused it."""

    declaration: Declaration
    to_state: str
    return_status: str | None = None  # None: the state's own (STATE_RECEIPT)
    info: str = ""
    reason: str = ""
    problems: list[Problem] = field(default_factory=list)
    document_id: int | None = None
    from_state: str = ""


def actor_label(actor) -> str:
    return actor_parts(actor)["actor_label"]


def current_versions(declarations) -> dict[int, DeclarationVersion]:
    """The version in force of each declaration (one query)."""
    by_guid = {d.guid: d.pk for d in declarations}
    return {by_guid[v.guid]: v for v in DeclarationVersion.objects.filter(guid__in=list(by_guid))}


def receipt_keys(declaration: Declaration, head: dict) -> dict:
    kind = KINDS[declaration.kind]
    keys = {name: head.get(name, "") or "" for name in kind.receipt_keys if name in head or name == "invtNo"}
    if "invtNo" in keys or declaration.invt_no:
        keys["invtNo"] = declaration.invt_no or keys.get("invtNo", "")
    if declaration.order_no and "orderNo" not in keys:
        keys["orderNo"] = declaration.order_no
    return keys


def state_payload(d: Declaration, *, from_state: str, status: str, info: str, problems) -> dict:
    return {
        "id": d.pk, "kind": d.kind, "guid": d.guid, "orderNo": d.order_no, "ebpCode": d.ebp_code,
        "ebcCode": d.ebc_code, "copNo": d.cop_no, "invtNo": d.invt_no, "tradeMode": d.trade_mode,
        "state": d.list_state, "previousState": from_state, "returnStatus": status, "returnInfo": info,
        "releasedAt": d.released_at.isoformat() if d.released_at else None,
        "errors": [{"code": p.code, "field": p.field} for p in problems],
    }


def transition(changes: list[Change], *, actor=None, now=None, versions: dict | None = None,
               audit_action: str = "") -> None:
    """Move the lists of ``changes`` (locked by the caller, ``select_for_update``) to their new
    state, with history, receipts, events, audit (for a person) and the signal after commit."""
    if not changes:
        return
    now = now or timezone.now()
    for change in changes:
        d = change.declaration
        if not allowed(d.list_state, change.to_state):
            raise TransitionNotAllowed(f"list {d.pk}: {d.list_state} → {change.to_state} is not allowed")
    versions = versions if versions is not None else current_versions([c.declaration for c in changes])
    label = actor_label(actor)
    actor_user = actor if isinstance(actor, User) and actor.pk else None
    history, receipts, events = [], [], []
    for change in changes:
        d = change.declaration
        change.from_state = d.list_state
        status = STATE_RECEIPT.get(change.to_state, "") if change.return_status is None else change.return_status
        d.list_state = change.to_state
        d.updated_at = now
        if status:
            d.return_status = status
        history.append(ListStateChange(
            declaration_id=d.pk, from_state=change.from_state, to_state=change.to_state, return_status=status,
            code=change.problems[0].code if change.problems else None, reason=change.reason[:1000],
            document_id=change.document_id, actor_user=actor_user, actor_label=label, created_at=now))
        version = versions.get(d.pk)
        if status:
            receipts.append(DeclarationReceipt(
                declaration_id=d.pk, version_id=version.pk if version else None, organization_id=d.organization_id,
                kind=d.kind, guid=d.guid, keys=receipt_keys(d, version.head if version else {}),
                return_status=status, return_time=now, return_info=change.info[:1000],
                problems=[p.as_dict() for p in change.problems]))
        events.append(("inventory.state", d.parties or [d.organization_id],
                       state_payload(d, from_state=change.from_state, status=status, info=change.info,
                                     problems=change.problems) | {"returnTime": format_return_time(now)},
                       f"{d.kind}:{d.guid}"))
    update_rows(Declaration, [c.declaration for c in changes],
                ["list_state", "return_status", "updated_at", "released_at", "invt_no"])
    ListStateChange.objects.bulk_create(history, batch_size=1000)
    DeclarationReceipt.objects.bulk_create(receipts, batch_size=1000)
    publish_many(events)
    if actor is not None and audit_action:
        for change in changes:
            audit_record(actor=actor, action=audit_action, target=change.declaration,
                         organization_id=change.declaration.organization_id,
                         changes={"list_state": [change.from_state, change.to_state]},
                         extra={"reason": change.reason[:500], "return_status": change.declaration.return_status})
    by_state: dict[str, list[int]] = defaultdict(list)
    for change in changes:
        by_state[change.to_state].append(change.declaration.pk)
    for state, ids in by_state.items():
        transaction.on_commit(lambda state=state, ids=ids: filings_signals.list_state_changed.send(
            sender=Declaration, declaration_ids=ids, state=state))


# --- numbers ----------------------------------------------------------------------------------

INVT_SEQUENCES = {"I": "clearance_invt_no_i_seq", "E": "clearance_invt_no_e_seq"}
TAX_NO_SEQUENCE = "clearance_tax_no_seq"
SERIAL_DIGITS = 9


def next_values(sequence: str, count: int) -> list[int]:
    if count <= 0:
        return []
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval(%s) FROM generate_series(1, %s)", [sequence, count])
        return [row[0] for row in cursor.fetchall()]


def assign_invt_nos(declarations: list[Declaration], versions: dict[int, DeclarationVersion], *, now) -> None:
    """Give each list without one its customs list number: 4-digit customs district (the head's
    customsCode) + 4-digit year + I/E + 9-digit serial from a PostgreSQL sequence (customs.md §1.1;
    C18 for import, within export's C..20)."""
    year = timezone.localtime(now).year
    for direction, sequence in INVT_SEQUENCES.items():
        missing = [d for d in declarations if not d.invt_no and d.direction == direction]
        for d, serial in zip(missing, next_values(sequence, len(missing)), strict=True):
            if serial >= 10 ** SERIAL_DIGITS:
                raise RuntimeError(f"{sequence} has run past {SERIAL_DIGITS} digits")
            head = versions[d.pk].head if d.pk in versions else {}
            customs = (head.get("customsCode") or head.get("portCode") or "0000")[:4].rjust(4, "0")
            d.invt_no = f"{customs}{year:04d}{direction}{serial:0{SERIAL_DIGITS}d}"
