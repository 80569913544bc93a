"""Reads of the export summary declarations and the 无票免税 register, scoped to the caller.

An enterprise (its users and API clients) sees the summaries of which it is the consignor or
whose lists it declared (a customs broker declaring for the consignor); another enterprise sees
none of them (404). Customs and tax officers holding ``summary.view_summary`` see all of them;
the register is read through the back office (``summary.view_exemptionrecord``).
"""

from __future__ import annotations

from datetime import date

from django.contrib.postgres.aggregates import ArrayAgg
from django.db import connection
from django.db.models import Count, Q, QuerySet

from filings.models import Declaration
from zone_portal.accounts.models import ApiClient, Organization
from zone_portal.api.scoping import caller_organization_id
from zone_portal.core.errors import NotFound

from .models import ExemptionRecord, Summary, SummaryItem, SummaryLine

VIEW_ALL_PERMISSION = "summary.view_summary"


def _sees_all(actor) -> bool:
    return (not isinstance(actor, ApiClient) and getattr(actor, "is_authenticated", False)
            and not getattr(actor, "is_enterprise_user", False) and actor.has_perm(VIEW_ALL_PERMISSION))


def summaries_for(actor) -> QuerySet[Summary]:
    if _sees_all(actor):
        return Summary.objects.all()
    org_id = caller_organization_id(actor)
    if org_id is None:
        return Summary.objects.none()
    return Summary.objects.filter(Q(organization_id=org_id) | Q(parties__contains=[org_id]))


def parse_month(value: str) -> date | None:
    """``YYYY-MM`` → its first day, or ``None``."""
    try:
        return date.fromisoformat(f"{(value or '').strip()}-01")
    except ValueError:
        return None


def summary_search(actor, filters: dict) -> QuerySet[Summary]:
    qs = summaries_for(actor)
    month = parse_month(filters.get("month", ""))
    if month is not None:
        qs = qs.filter(month=month)
    status = (filters.get("status") or "").strip()
    if status in Summary.Status.values:
        qs = qs.filter(status=status)
    q = (filters.get("q") or "").strip()
    if q:
        # a list number goes through the hub's invtNo index, then the mapping's (declaration, gnum) index
        lists = Declaration.objects.filter(kind="CEB603", invt_no=q).values("pk")
        qs = qs.filter(Q(sum_no=q) | Q(ebc_code__iexact=q) | Q(owner_code__iexact=q)
                       | Q(pk__in=SummaryItem.objects.filter(declaration_id__in=lists).values("summary_id")))
    return qs.order_by("-month", "ebc_code", "id")


def summary_get_for_user(actor, pk: int) -> Summary:
    """The summary ``pk`` if the caller may see it; ``NotFound`` (404) otherwise."""
    found = summaries_for(actor).select_related("run", "confirmed_by").filter(pk=pk).first()
    if found is None:
        raise NotFound("summary not found")
    return found


def summary_lines(summary: Summary) -> QuerySet[SummaryLine]:
    return summary.lines.order_by("gseqno")


def summary_lists(summary: Summary):
    """The lists summarised into ``summary``, one row each: declaration id, invtNo, logisticsNo,
    how many of its lines, and which summary lines (gseqno) they went into."""
    return (SummaryItem.objects.filter(summary=summary)
            .values("declaration_id", "invt_no", "logistics_no")
            .annotate(lines=Count("id"), gseqnos=ArrayAgg("gseqno", distinct=True, order_by="gseqno"))
            .order_by("invt_no", "declaration_id"))


def summary_items(summary: Summary) -> QuerySet[SummaryItem]:
    """Every list line of ``summary`` with its gseqno (CEB792 SummaryResultList), in list order."""
    return (SummaryItem.objects.filter(summary=summary).order_by("invt_no", "declaration_id", "gnum")
            .only("invt_no", "logistics_no", "gseqno", "gnum", "gcode"))


def summary_result_head(summary: Summary, *, dec_states: dict[str, str]) -> dict[str, str]:
    """The CEB792 SummaryResultHead of ``summary`` (customs.md §2.2), as strings."""
    created = summary.created_at
    return {
        "guid": summary.guid, "customsCode": summary.customs_code, "sumNo": summary.sum_no,
        "opDate": created.strftime("%Y%m%d%H%M%S") + f"{created.microsecond // 1000:03d}",
        "declSeqNo": summary.decl_seq_no, "decTmpNo": "", "decPreNo": "", "entryId": summary.entry_id,
        "decState": dec_states.get(summary.status, ""), "agentCode": summary.agent_code,
        "agentName": summary.agent_name, "ebcCode": summary.ebc_code, "ebcName": summary.ebc_name,
        "declAgentCode": summary.decl_agent_code, "declAgentName": summary.decl_agent_name,
        "grossWeight": f"{summary.gross_weight:.5f}", "netWeight": f"{summary.net_weight:.5f}",
        "msgCount": "1", "msgSeqNo": "1", "note": "",
    }


def exemption_records(*, organization_id: int | None = None, month: date | None = None) -> QuerySet[ExemptionRecord]:
    """The register, optionally one exporter's and one month's (by export date), in date order."""
    qs = ExemptionRecord.objects.all()
    if organization_id is not None:
        qs = qs.filter(organization_id=organization_id)
    if month is not None:
        following = date(month.year + (month.month == 12), month.month % 12 + 1, 1)
        qs = qs.filter(export_date__gte=month, export_date__lt=following)
    return qs.order_by("export_date", "invt_no", "gnum")


def register_exporters() -> list[tuple[str, str]]:
    """(organization id, name) of every exporter in the register, for the back-office filter.

    The distinct organization ids are read by skipping along the (organization, export_date)
    index, one probe per exporter, rather than by scanning millions of register rows."""
    table = ExemptionRecord._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"""
            WITH RECURSIVE orgs AS (
                (SELECT organization_id FROM {table} ORDER BY organization_id LIMIT 1)
                UNION ALL
                SELECT (SELECT r.organization_id FROM {table} r WHERE r.organization_id > o.organization_id
                        ORDER BY r.organization_id LIMIT 1)
                FROM orgs o WHERE o.organization_id IS NOT NULL
            )
            SELECT organization_id FROM orgs WHERE organization_id IS NOT NULL
        """)  # noqa: S608 - the model's table name
        ids = [row[0] for row in cursor.fetchall()]
    return [(str(pk), name) for pk, name in Organization.objects.filter(pk__in=ids).order_by("name")
            .values_list("pk", "name")]
