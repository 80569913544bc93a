"""Reads of enterprise filing: what each kind of user may see, review queues, status by USCC,
the public look-up and the age of a review in working days."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

from zone_portal.accounts.models import Organization

from .models import Department, DepartmentReview, EnterpriseFiling, EnterpriseFilingVersion

# The review time limit in working days (weekends excluded). A module constant for now; to be
# made configurable by the zone administrator later.


def _visible_filings(user) -> QuerySet[EnterpriseFiling]:
    filings = EnterpriseFiling.objects.select_related("organization", "effective_version")
    if not getattr(user, "is_authenticated", False) or not getattr(user, "organization_id", None):
        return filings.none()
    kind = user.organization.kind
    if kind == Organization.Kind.ENTERPRISE:
        return filings.filter(organization_id=user.organization_id)
    if kind == Organization.Kind.ZONE_OFFICE and user.has_perm("filings.view_enterprisefiling"):
        return filings
    if kind in Department.values and user.has_perm("filings.view_enterprisefiling"):
        return filings.filter(versions__reviews__department=kind).distinct()
    return filings.none()


def enterprise_filing_get_for_user(*, user, pk: int) -> EnterpriseFiling:
    """The filing ``pk`` if ``user`` may see it (its enterprise; an officer of a department that
    reviews or reviewed it; the zone administrator); 404 otherwise, whether or not it exists."""
    try:
        return _visible_filings(user).get(pk=pk)
    except EnterpriseFiling.DoesNotExist:
        raise Http404 from None


def enterprise_filing_list_for_user(*, user, filters: dict[str, Any] | None = None) -> QuerySet[EnterpriseFiling]:
    """The filings ``user`` may see, narrowed by ``filters``: ``status``, ``role``, ``park`` (id)
    and ``q`` (name, USCC or filing number)."""
    filters = filters or {}
    filings = _visible_filings(user)
    if filters.get("status"):
        filings = filings.filter(status=filters["status"])
    if filters.get("role"):
        filings = filings.filter(versions__roles__contains=[filters["role"]]).distinct()
    if filters.get("park"):
        filings = filings.filter(versions__park_id=filters["park"]).distinct()
    if filters.get("q"):
        q = filters["q"].strip()
        filings = filings.filter(Q(organization__name__icontains=q) | Q(organization__uscc=q.upper())
                                 | Q(filing_no=q.upper())).distinct()
    return filings


def review_queue_for_department(*, department: str, status: str = DepartmentReview.Decision.PENDING
                                ) -> QuerySet[DepartmentReview]:
    """A department's reviews with decision ``status``, oldest submission first; pending reviews
    only while their version is under review (a returned version waits for the enterprise)."""
    reviews = (DepartmentReview.objects.filter(department=department, decision=status)
               .select_related("version", "version__filing", "version__filing__organization")
               .order_by("version__submitted_at", "id"))
    if status == DepartmentReview.Decision.PENDING:
        reviews = reviews.filter(version__status=EnterpriseFilingVersion.Status.UNDER_REVIEW)
    return reviews


def enterprise_filing_status_by_uscc(uscc: str) -> dict[str, Any]:
    """Whether the enterprise with ``uscc`` is filed, in which roles, since when, and its filing
    number: what partners and the declaration hub need to authorize a submitter."""
    uscc = (uscc or "").strip().upper()
    filing = (EnterpriseFiling.objects.select_related("effective_version")
              .filter(organization__uscc=uscc).first())
    filed = filing is not None and filing.status == EnterpriseFiling.Status.FILED
    return {
        "uscc": uscc,
        "filed": filed,
        "status": filing.status if filing else None,
        "roles": sorted(filing.effective_version.roles) if filed else [],
        "since": filing.filed_at if filed else None,
        "filing_no": filing.filing_no if filed else None,
    }


def public_lookup(query: str, *, limit: int = 20) -> list[dict[str, Any]]:
    """The public look-up (no login): filings found by exact USCC or filing number, or by name;
    only name, USCC, roles, status and filing date — nothing personal."""
    query = (query or "").strip()
    if not query:
        return []
    filings = (EnterpriseFiling.objects.exclude(status=EnterpriseFiling.Status.DRAFT)
               .filter(Q(organization__uscc=query.upper()) | Q(filing_no=query.upper())
                       | Q(organization__name__icontains=query))
               .select_related("organization", "effective_version").order_by("organization__name")[:limit])
    results = []
    for filing in filings:
        version = filing.effective_version or filing.versions.exclude(submitted_at=None).order_by("-number").first()
        results.append({
            "name": version.name if version else filing.organization.name,
            "uscc": filing.organization.uscc,
            "roles": sorted(version.roles) if version else [],
            "status": filing.status,
            "filed_at": timezone.localdate(filing.filed_at).isoformat() if filing.filed_at else None,
        })
    return results


def working_days_between(start: dt.date, end: dt.date) -> int:
    """Working days (Monday to Friday) after ``start`` up to and including ``end``."""
    days = 0
    day = start
    while day < end:
        day += dt.timedelta(days=1)
        if day.weekday() < 5:
            days += 1
    return days


def review_age_working_days(review: DepartmentReview, *, now: dt.datetime | None = None) -> int | None:
    """How many working days the review has waited since the version was submitted (until its
    decision, if decided); ``None`` before submission."""
    submitted = review.version.submitted_at
    if submitted is None:
        return None
    end = review.decided_at or now or timezone.now()
    return working_days_between(timezone.localdate(submitted), timezone.localdate(end))


def review_limit_working_days() -> int:
    """The review time limit in working days (setting ``FILING_REVIEW_LIMIT_WORKING_DAYS``)."""
    return settings.FILING_REVIEW_LIMIT_WORKING_DAYS


def review_is_overdue(review: DepartmentReview, *, now: dt.datetime | None = None) -> bool:
    """A pending review older than the review time limit (``FILING_REVIEW_LIMIT_WORKING_DAYS``)."""
    age = review_age_working_days(review, now=now)
    return review.decision == DepartmentReview.Decision.PENDING and age is not None \
        and age > review_limit_working_days()
