"""Writes of the export summary declaration (清单核放、汇总申报) and the 无票免税 register.

- ``summary_month_run``: the monthly job — the previous month's released statisticsFlag-B export
  lists into summary declarations, by the keys in force (customs.md §4.2: by the 15th);
- ``summary_apply_process``: the same on a CEB701 汇总申请单, for its consignor, with its
  summaryFlag / itemNameFlag and its time window or its list of invtNo;
- ``summary_confirm``: the consignor enterprise confirms a summary (audited);
- ``exemption_register_fill``: the 无票免税 register rows of released lists.

Every run is one transaction, serialised with the others by an advisory lock, and creates
nothing twice: a list line is summarised once (see ``grouping``), a CEB701 version is processed
once (unique run per request version), register rows are written once.
"""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from filings.hub import authority
from filings.models import Declaration
from zone_portal.accounts.models import Organization
from zone_portal.audit.services import audit_record
from zone_portal.core.errors import Conflict, PermissionDenied

from . import grouping as grouping_sql
from .keys import grouping_for
from .models import Summary, SummaryRun
from .register import register_fill

APPLY_KIND = "CEB701"
FAR_PAST = datetime(2000, 1, 1, tzinfo=UTC)


def _zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def month_window(month: date) -> tuple[datetime, datetime]:
    """[first instant of ``month``, first instant of the next month) in the zone's time zone."""
    first = month.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    zone = _zone()
    return (datetime(first.year, first.month, 1, tzinfo=zone),
            datetime(following.year, following.month, 1, tzinfo=zone))


def previous_month(now: datetime | None = None) -> date:
    """The first day of the month before ``now`` (default: the current time), in the zone."""
    local = timezone.localtime(now or timezone.now(), _zone()).date()
    return (local.replace(day=1) - timedelta(days=1)).replace(day=1)


def declare_by_day() -> int:
    """The day of the month by which the previous month's summaries are declared: the 15th
    (customs.md §4.2, a secondary source: ``SUMMARY_DECLARE_BY_DAY``)."""
    return int(getattr(settings, "SUMMARY_DECLARE_BY_DAY", 15))


def _org_of_code() -> dict[str, int]:
    """Enterprise code (USCC or customs code) → organization id, of the filed enterprises."""
    codes, _by_org = authority.table()
    return {code: filed.organization_id for code, filed in codes.items()}


def _finish(run: SummaryRun, counts: grouping_sql.Counts, started: float, *, actor, keep_empty: bool):
    if not counts.summaries and not keep_empty:
        run.delete()
        return None
    run.list_count, run.item_count, run.summary_count = counts.lists, counts.items, counts.summaries
    run.seconds = round(time.monotonic() - started, 3)
    run.save(update_fields=["list_count", "item_count", "summary_count", "seconds"])
    audit_record(actor=actor, action="summary.summaryrun.create", target=run, extra={
        "trigger": run.trigger, "month": run.month.isoformat(), "lists": counts.lists, "list_lines": counts.items,
        "summaries": counts.summaries, "head_keys": run.head_keys, "line_keys": run.line_keys,
        "summaryFlag": run.summary_flag, "itemNameFlag": run.item_name_flag, "seconds": run.seconds})
    return run


@transaction.atomic
def summary_month_run(*, month: date | None = None, actor=None) -> SummaryRun | None:
    """Summarise the export lists released in ``month`` (default: the previous month) with
    statisticsFlag B that are in no summary yet, grouped by the keys in force for that month and
    the default flags; also fill the month's 无票免税 register. Returns the run, or ``None`` when
    there was nothing left to summarise (a second run for a month creates nothing)."""
    started = time.monotonic()
    month = (month or previous_month()).replace(day=1)
    start, end = month_window(month)
    keys = grouping_for(month)
    org_of_code = _org_of_code()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [grouping_sql.LOCK_KEY])
    register_fill(org_of_code=org_of_code, window=(start, end))
    run = SummaryRun.objects.create(
        trigger=SummaryRun.Trigger.MONTHLY, month=month, window_start=start, window_end=end,
        summary_flag=keys.summary_flag, item_name_flag=keys.item_name_flag, head_keys=list(keys.head),
        line_keys=list(keys.lines))
    counts = grouping_sql.summarise(run_id=run.pk, month=month, grouping=keys,
                                    scope=grouping_sql.Scope(start, end), org_of_code=org_of_code, now=timezone.now())
    return _finish(run, counts, started, actor=actor, keep_empty=False)


def _parse_time(value: str | None) -> datetime | None:
    try:
        naive = datetime.strptime(value or "", "%Y%m%d%H%M%S")
    except ValueError:
        return None
    return naive.replace(tzinfo=_zone())


@transaction.atomic
def summary_apply_process(*, declaration_id: int, actor=None) -> SummaryRun | None:
    """Summarise on a CEB701 汇总申请单: the released statisticsFlag-B lists of its consignor
    (ebcCode) not yet summarised — released within its startTime/endTime (both ends included)
    when it gives them, else those whose invtNo it lists — grouped by the keys in force with its
    summaryFlag and itemNameFlag. A request stored but not declared (appStatus 1), deleted, or
    already processed in this version is left alone (the run of that version is returned)."""
    started = time.monotonic()
    apply = Declaration.objects.filter(pk=declaration_id, kind=APPLY_KIND).first()
    if apply is None or apply.deleted or apply.app_status != "2":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [grouping_sql.LOCK_KEY])
    done = SummaryRun.objects.filter(apply=apply, apply_version=apply.version).first()
    if done is not None:
        return done
    version = apply.versions.get(number=apply.version)
    head, lines = version.head, version.lines or []
    start, end = _parse_time(head.get("startTime")), _parse_time(head.get("endTime"))
    invt_nos: list[str] = []
    if start is not None and end is not None and end >= start:
        window = (start, end + timedelta(seconds=1))  # the spec's end time is inclusive, to the second
    else:
        # Without a time window the body's invtNo list says which lists (customs.md §2.2 SummaryApplyList).
        invt_nos = sorted({str(line.get("invtNo", "")).strip() for line in lines if line.get("invtNo")})
        window = (FAR_PAST, timezone.now() + timedelta(days=1))
    month = timezone.localtime(window[0] if not invt_nos else timezone.now(), _zone()).date().replace(day=1)
    keys = grouping_for(month, summary_flag=head.get("summaryFlag") or None,
                        item_name_flag=head.get("itemNameFlag") or "")
    run = SummaryRun.objects.create(
        trigger=SummaryRun.Trigger.APPLY, month=month, window_start=window[0], window_end=window[1],
        ebc_code=head.get("ebcCode", ""), invt_nos=invt_nos, apply=apply, apply_version=apply.version,
        summary_flag=keys.summary_flag, item_name_flag=keys.item_name_flag, head_keys=list(keys.head),
        line_keys=list(keys.lines))
    if start is None and not invt_nos:
        counts = grouping_sql.Counts()  # neither a window nor lists: nothing asked for
    else:
        org_of_code = _org_of_code()
        scope = grouping_sql.Scope(window[0], window[1], ebc_code=head.get("ebcCode", ""), invt_nos=invt_nos)
        counts = grouping_sql.summarise(
            run_id=run.pk, month=month, grouping=keys, scope=scope, org_of_code=org_of_code,
            decl_agent=(head.get("declAgentCode", ""), head.get("declAgentName", "")), now=timezone.now())
        if counts.summaries:
            register_fill(org_of_code=org_of_code, run_id=run.pk)  # lists released before the register existed
    return _finish(run, counts, started, actor=actor, keep_empty=True)


@transaction.atomic
def exemption_register_fill(*, declaration_ids: list[int]) -> int:
    """Record the six 无票免税 fields of every line of the given lists that are released export
    lists and not in the register yet (other ids are ignored); how many rows were written."""
    return register_fill(org_of_code=_org_of_code(), declaration_ids=[int(i) for i in declaration_ids])


def _is_user_of(actor, organization_id: int) -> bool:
    return (getattr(actor, "is_authenticated", False) and actor.organization_id == organization_id
            and actor.organization.kind == Organization.Kind.ENTERPRISE)


@transaction.atomic
def summary_confirm(*, summary_id: int, actor) -> Summary:
    """The consignor enterprise (收发货人) confirms its summary declaration before it is declared
    by the 15th; only a user of that enterprise may, and only once."""
    summary = Summary.objects.select_for_update().get(pk=summary_id)
    if not _is_user_of(actor, summary.organization_id):
        raise PermissionDenied(_("Only the consignor enterprise of a summary declaration may confirm it."),
                               code="summary_not_consignor")
    now = timezone.now()
    changed = (Summary.objects.filter(pk=summary.pk, status=Summary.Status.GENERATED)
               .update(status=Summary.Status.CONFIRMED, confirmed_at=now, confirmed_by=actor))
    if not changed:
        raise Conflict(_("This summary declaration is already confirmed."), code="summary_already_confirmed")
    audit_record(actor=actor, action="summary.summary.confirm", target=summary,
                 organization_id=summary.organization_id,
                 changes={"status": [Summary.Status.GENERATED.value, Summary.Status.CONFIRMED.value]},
                 extra={"sum_no": summary.sum_no, "lists": summary.list_count})
    summary.refresh_from_db()
    return summary
