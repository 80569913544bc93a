"""Reconciliation of a bounded set of order numbers, inside the caller's transaction: run the
set-based statements of ``sql.py``, fill in the masked values of the few personal-field failures,
then write every result, its history, the lists that are now reconciled and the events — a
handful of statements whatever the number of orders.

``reconcile(scope, batch_id=…)`` is the one entry point; the work queue (``services``) and the
back-fill by ranges call it the same way. The caller owns the transaction and sends the signals
after the commit (``Outcome.send_signals``).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from filings import signals
from filings.models import Declaration, DeclarationVersion
from zone_portal.core import crypto
from zone_portal.core.masking import mask_address, mask_id_number, mask_name, mask_phone

from . import sql
from .models import ReconciliationResult, ReconciliationResultChange

RESULT_TABLE = ReconciliationResult._meta.db_table
CHANGE_TABLE = ReconciliationResultChange._meta.db_table
PERSONAL_CODES = (-900502, -900503, -900504)
# The consignee's three fields (one blind index covers them; the failure names the one that differs).
CONSIGNEE_FIELDS = (("consignee", -900504, mask_name), ("consigneeTelephone", -900505, mask_phone),
                    ("consigneeAddress", -900506, mask_address))


def incomplete_after() -> timedelta:
    """How long a set may wait for its documents before it is reported incomplete (default 24 h)."""
    return timedelta(seconds=float(getattr(settings, "RECONCILIATION_INCOMPLETE_AFTER", 24 * 3600)))


def receipt_optional_order_types() -> list[str]:
    """Export orderTypes whose set needs no receipt (customs.md §4.3: 9710/9810 declare order + waybill)."""
    return list(getattr(settings, "RECONCILIATION_EXPORT_RECEIPT_OPTIONAL_ORDER_TYPES", ("B", "W")))


@dataclass(frozen=True)
class Scope:
    """Which order numbers to reconcile: ``keys`` (direction -> order numbers, a claimed batch) or
    the half-open range ``[lo, hi)`` of order numbers in both directions (a back-fill)."""

    keys: dict[str, list[str]] | None = None
    lo: str = ""
    hi: str | None = None  # None: no upper bound

    @classmethod
    def of_keys(cls, pairs) -> Scope:
        keys: dict[str, list[str]] = {}
        for direction, order_no in pairs:
            keys.setdefault(direction, []).append(order_no)
        return cls(keys=keys)


@dataclass
class Outcome:
    """What one reconciliation wrote: how many results, which changed, the lists now reconciled."""

    results: int = 0
    changed_ids: list[int] = field(default_factory=list)
    reconciled_list_ids: list[int] = field(default_factory=list)
    events: int = 0
    removed: int = 0

    def send_signals(self) -> None:
        """After the commit: lists_reconciled (for quota/tax/release) and reconciliation_results."""
        if self.reconciled_list_ids:
            signals.lists_reconciled.send(sender=ReconciliationResult, declaration_ids=self.reconciled_list_ids)
        if self.changed_ids:
            signals.reconciliation_results.send(sender=ReconciliationResult, results=self.changed_ids)


def reconcile(scope: Scope, *, batch_id: int | None, publish: bool = True) -> Outcome:
    """Reconcile every set of ``scope`` and write the results; must run inside a transaction.
    Results that no longer match a set (a waybill's provisional set once its order arrived, the
    documents deleted) are removed."""
    if not connection.in_atomic_block:
        raise RuntimeError("reconcile() must run inside a transaction")
    now = timezone.now()
    with connection.cursor() as cursor:
        work_mem = getattr(settings, "RECONCILIATION_WORK_MEM", "64MB")
        if work_mem:
            cursor.execute("SELECT set_config('work_mem', %s, true)", [str(work_mem)])
        cursor.execute("SELECT set_config('jit', 'off', true)")
        cursor.execute(sql.CREATE_OUT)
        cursor.execute(sql.CREATE_G)
        # empty at the start of a transaction (ON COMMIT DELETE ROWS); not so for a second call
        # inside one transaction (tests, the back-fill command in a shell)
        cursor.execute("DELETE FROM recon_out")
        params = {"incomplete_before": now - incomplete_after(), "receipt_optional": receipt_optional_order_types()}
        if scope.keys is not None:
            for direction, order_nos in scope.keys.items():
                if not order_nos:
                    continue
                if direction == "I":
                    _import(cursor, sql.SCOPE_KEYS, sql.KEYS_WHERE, {**params, "order_nos": order_nos})
                else:
                    cursor.execute(sql.export_statement(sql.SCOPE_KEYS, sql.KEYS_WHERE),
                                   {**params, "order_nos": order_nos})
        else:
            where = sql.RANGE_WHERE if scope.hi is not None else sql.RANGE_WHERE_OPEN
            bounds = {**params, "lo": scope.lo, "hi": scope.hi}
            _import(cursor, sql.SCOPE_RANGE, where, bounds)
            cursor.execute(sql.export_statement(sql.SCOPE_RANGE, where), bounds)
        _fill_personal_failures(cursor)
        outcome = _write(cursor, scope, batch_id=batch_id, publish=publish, now=now)
    delay = float(getattr(settings, "RECONCILIATION_TEST_BATCH_DELAY", 0) or 0)
    if delay:  # test-only: hold the batch open so a test can kill the worker in the middle of it
        time.sleep(delay)
    return outcome


def _import(cursor, scope: str, where: str, params: dict) -> None:
    """Import sets: the simple ones in one pass (``sql.import_fast_group``), the others by the
    general statement over their order numbers."""
    cursor.execute("DELETE FROM recon_g")
    cursor.execute(sql.import_fast_group(scope, where), params)
    cursor.execute(sql.import_fast_statement(), params)
    cursor.execute(sql.IMPORT_COMPLEX_KEYS)
    complex_keys = [row[0] for row in cursor.fetchall()]
    if complex_keys:
        cursor.execute(sql.import_statement(sql.SCOPE_KEYS, sql.KEYS_WHERE), {**params, "order_nos": complex_keys})


# --- personal-field failures -----------------------------------------------------------------

PERSONAL_OF_VERSIONS_IN_FORCE = f"""
SELECT v.declaration_id, v.personal FROM unnest(%s::bigint[]) AS i(id)
JOIN {Declaration._meta.db_table} d ON d.id = i.id
JOIN {DeclarationVersion._meta.db_table} v ON v.declaration_id = d.id AND v.number = d.version
"""  # noqa: S608 (constant table names)


def _fill_personal_failures(cursor) -> None:
    """The statements know only that two blind indexes differ; for those few sets, decrypt the two
    versions in force and name the field that differs, with both values masked."""
    cursor.execute("SELECT direction, order_no, ebp_code, order_id, payment_id, waybill_id, codes, failures "
                   "FROM recon_out WHERE codes && %s::int[]", [list(PERSONAL_CODES)])
    rows = cursor.fetchall()
    if not rows:
        return
    ids = {i for row in rows for i in row[3:6] if i}
    personal = {}
    # driven from the ids (index probes whatever the planner thinks of a freshly loaded table: an
    # IN list on the versions was planned as a hash join over all of them, ~1 s a batch at 1.2 M)
    cursor.execute(PERSONAL_OF_VERSIONS_IN_FORCE, [sorted(ids)])
    personal_field = DeclarationVersion._meta.get_field("personal")
    for declaration_id, stored in cursor.fetchall():
        blob = personal_field.from_db_value(stored, None, connection)
        personal[declaration_id] = json.loads(blob) if blob else {}
    updates = []
    for direction, order_no, ebp_code, order_id, payment_id, waybill_id, _codes, failures in rows:
        failures = _json(failures)
        order, payment, waybill = (personal.get(order_id, {}), personal.get(payment_id, {}),
                                   personal.get(waybill_id, {}))
        new = []
        for failure in failures:
            code = failure["code"]
            if code == -900502:
                failure.update(value=mask_id_number(payment.get("payerIdNumber")),
                               expected=mask_id_number(order.get("buyerIdNumber")))
            elif code == -900503:
                failure.update(value=mask_name(payment.get("payerName")), expected=mask_name(order.get("buyerName")))
            elif code == -900504:
                new.extend(_consignee_failures(order, waybill) or [failure])
                continue
            new.append(failure)
        updates.append((direction, order_no, ebp_code, json.dumps(new, ensure_ascii=False),
                        "{" + ",".join(str(f["code"]) for f in new) + "}"))
    columns = [list(column) for column in zip(*updates, strict=True)]
    cursor.execute("""UPDATE recon_out o SET failures = u.failures::jsonb, codes = u.codes::int[]
                      FROM unnest(%s::text[], %s::text[], %s::text[], %s::text[], %s::text[])
                           AS u(direction, order_no, ebp_code, failures, codes)
                      WHERE o.direction = u.direction AND o.order_no = u.order_no AND o.ebp_code = u.ebp_code""",
                   columns)


def _json(value):
    """jsonb from a raw cursor: Django's PostgreSQL backend hands it over as text."""
    return json.loads(value) if isinstance(value, str) else value


def _consignee_failures(order: dict, waybill: dict) -> list[dict]:
    failures = []
    for name, code, mask in CONSIGNEE_FIELDS:
        ours, theirs = order.get(name) or "", waybill.get(name) or ""
        if crypto.normalize_text(ours) != crypto.normalize_text(theirs):
            failures.append({"code": code, "doc": "waybill", "field": name, "value": mask(theirs),
                             "against": "order", "against_field": name, "expected": mask(ours)})
    return failures


# --- writing ---------------------------------------------------------------------------------

UPSERT = f"""
WITH up AS (
    INSERT INTO {RESULT_TABLE} AS r (direction, order_no, ebp_code, order_id, payment_id, waybill_id, inventory_id,
        status, codes, failures, missing, since, parties, evaluations, batch_id, created_at, reconciled_at, changed_at)
    SELECT direction, order_no, ebp_code, order_id, payment_id, waybill_id, inventory_id, status, codes, failures,
           missing, since, parties, 1, %(batch)s, %(now)s, %(now)s, %(now)s
    FROM recon_out
    ON CONFLICT (order_no, direction, ebp_code) DO UPDATE SET
        order_id = EXCLUDED.order_id, payment_id = EXCLUDED.payment_id, waybill_id = EXCLUDED.waybill_id,
        inventory_id = EXCLUDED.inventory_id, status = EXCLUDED.status, codes = EXCLUDED.codes,
        failures = EXCLUDED.failures, missing = EXCLUDED.missing, since = EXCLUDED.since, parties = EXCLUDED.parties,
        evaluations = r.evaluations + 1, batch_id = EXCLUDED.batch_id, reconciled_at = %(now)s,
        changed_at = CASE WHEN (r.status, r.failures, r.missing, r.order_id, r.payment_id, r.waybill_id,
                                r.inventory_id)
                          IS DISTINCT FROM (EXCLUDED.status, EXCLUDED.failures, EXCLUDED.missing, EXCLUDED.order_id,
                                EXCLUDED.payment_id, EXCLUDED.waybill_id, EXCLUDED.inventory_id)
                          THEN %(now)s ELSE r.changed_at END
    -- a reconciliation that started after this one already wrote a fresher result: keep it
    WHERE r.reconciled_at <= %(now)s
    RETURNING r.id, r.direction, r.order_no, r.ebp_code, r.status, r.codes, r.failures, r.missing, r.since,
              r.parties, r.changed_at = %(now)s AS changed
),
history AS (
    INSERT INTO {CHANGE_TABLE} (result_id, batch_id, status, codes, missing, at)
    SELECT id, %(batch)s, status, codes, missing, %(now)s FROM up WHERE changed
)
-- what the events need, narrow: the failures etc. only of results that are neither matched nor waiting
SELECT id, direction, order_no, ebp_code, status, parties,
       CASE WHEN status <> 'matched' THEN json_build_object('failures', failures, 'missing', missing,
                                                           'since', since)::text END AS detail
FROM up WHERE changed
"""  # noqa: S608 (constant table names and SQL parts only)

REMOVE_KEYS = f"""
WITH gone AS (
    DELETE FROM {RESULT_TABLE} r
    WHERE r.direction = %(direction)s AND r.order_no = ANY(%(order_nos)s::text[])
      AND NOT EXISTS (SELECT 1 FROM recon_out o WHERE o.order_no = r.order_no AND o.direction = r.direction
                      AND o.ebp_code = r.ebp_code)
    RETURNING r.id
)
DELETE FROM {CHANGE_TABLE} c USING gone WHERE c.result_id = gone.id
"""  # noqa: S608 (constant table names and SQL parts only)

REMOVE_RANGE = f"""
WITH gone AS (
    DELETE FROM {RESULT_TABLE} r
    WHERE r.order_no >= %(lo)s AND {{upper}}
      AND NOT EXISTS (SELECT 1 FROM recon_out o WHERE o.order_no = r.order_no AND o.direction = r.direction
                      AND o.ebp_code = r.ebp_code)
    RETURNING r.id
)
DELETE FROM {CHANGE_TABLE} c USING gone WHERE c.result_id = gone.id
"""  # noqa: S608 (constant table names and SQL parts only)

# A list whose set is matched is reconciled — only from ``declared`` (a conditional update: a list
# some other step already moved on is left alone).
RECONCILE_LISTS = """
UPDATE filings_declaration d SET list_state = 'reconciled', updated_at = %(now)s
FROM recon_out o
WHERE o.status = 'matched' AND d.id = o.inventory_id AND d.list_state = 'declared'
RETURNING d.id
"""


def _write(cursor, scope: Scope, *, batch_id: int | None, publish: bool, now) -> Outcome:
    outcome = Outcome()
    if scope.keys is not None:
        for direction, order_nos in scope.keys.items():
            if order_nos:
                cursor.execute(REMOVE_KEYS, {"direction": direction, "order_nos": order_nos})
                outcome.removed += cursor.rowcount
    else:
        upper = "r.order_no < %(hi)s" if scope.hi is not None else "true"
        cursor.execute(REMOVE_RANGE.format(upper=upper), {"lo": scope.lo, "hi": scope.hi})
        outcome.removed += cursor.rowcount
    cursor.execute(UPSERT, {"batch": batch_id, "now": now})
    changed = cursor.fetchall()
    outcome.changed_ids = [row[0] for row in changed]
    cursor.execute("SELECT count(*) FROM recon_out")
    outcome.results = cursor.fetchone()[0]
    cursor.execute(RECONCILE_LISTS, {"now": now})
    outcome.reconciled_list_ids = [row[0] for row in cursor.fetchall()]
    if publish and changed:
        outcome.events = _publish(changed)
    return outcome


def event_group_size() -> int:
    """How many results one ``reconciliation.result`` event carries (per organization)."""
    return max(1, int(getattr(settings, "RECONCILIATION_EVENT_GROUP", 100)))


def _publish(changed: list[tuple]) -> int:
    """``reconciliation.result`` events for the changed results that are not merely waiting, in one
    ``publish_many``.

    One event carries, for one organization, one direction and one ebpCode, up to
    ``RECONCILIATION_EVENT_GROUP`` results: ``{"direction", "ebpCode", "matched": [orderNo, …],
    "results": [{"orderNo", "status", "failures", "missing", "since"}, …]}`` (the matched ones by
    their order number alone, the others in full). A batch changes thousands of results at once
    and each has three or four parties: one outbox row per result and party would cost more than
    the reconciliation itself. With the setting at 1 every result is an event of its own."""
    import orjson

    from zone_portal.events.services import publish_many

    size = event_group_size()
    groups: dict[tuple, list] = {}
    for _id, direction, order_no, ebp_code, status, parties, detail in changed:
        if status == ReconciliationResult.Status.PENDING:
            continue
        item = order_no if detail is None else {"orderNo": order_no, "status": status, **orjson.loads(detail)}
        for org in set(parties):
            groups.setdefault((org, direction, ebp_code), []).append(item)
    events = []
    for (org, direction, ebp_code), items in groups.items():
        for start in range(0, len(items), size):
            chunk = items[start:start + size]
            matched = [i for i in chunk if isinstance(i, str)]
            others = [i for i in chunk if not isinstance(i, str)]
            first = matched[0] if matched else others[0]["orderNo"]
            subject = first if len(chunk) == 1 else f"{first} (+{len(chunk) - 1})"
            events.append(("reconciliation.result", [org], {"direction": direction, "ebpCode": ebp_code,
                                                            "matched": matched, "results": others}, subject))
    return publish_many(events) if events else 0


def run_in_transaction(scope: Scope, *, batch_id: int | None) -> Outcome:
    """``reconcile`` in its own transaction, signals after the commit (the back-fill's way)."""
    with transaction.atomic():
        outcome = reconcile(scope, batch_id=batch_id)
        transaction.on_commit(outcome.send_signals)
    return outcome
