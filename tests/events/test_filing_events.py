"""Enterprise-filing transitions become ``filing.*`` events of the enterprise (filings/events.py).

The filing services send their signals after the commit; the test runs those callbacks
(``django_capture_on_commit_callbacks``) the way the commit would.
"""

from __future__ import annotations

import logging

import pytest

from filings import services as filing_services
from filings.models import DepartmentReview, EnterpriseFiling
from tests.filings.test_enterprise_services import decide, make_officers, submit_new
from zone_portal.events.models import Event

pytestmark = pytest.mark.django_db
D = DepartmentReview.Decision


@pytest.fixture
def officers(db):
    return make_officers()


def events_of(org) -> list[Event]:
    return list(Event.objects.filter(organization=org).order_by("id"))


def test_filing_submitted_decided_and_filed_are_published_to_the_enterprise(
        user_a, org_a, org_b, officers, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        version = submit_new(user_a, org_a, roles=["ebc"])
    departments = [r.department for r in version.reviews.order_by("department")]
    for department in departments:
        with django_capture_on_commit_callbacks(execute=True):
            decide(officers, version, department)

    events = events_of(org_a)
    assert [e.event_type for e in events] == (["filing.submitted"] + ["filing.decided"] * len(departments)
                                              + ["filing.filed"])
    filing = EnterpriseFiling.objects.get(organization=org_a)
    filed = events[-1]
    assert filed.subject == org_a.uscc
    assert filed.payload == {"uscc": org_a.uscc, "filing_no": filing.filing_no, "status": "filed", "version": 1,
                             "version_status": "approved"}
    decided = events[1].payload
    assert decided["decision"] == "approved" and decided["department"] in departments
    assert decided["fields_to_fix"] == [] and decided["reason"] == ""
    assert not Event.objects.filter(organization=org_b).exists()  # nobody else's
    assert all("13812345678" not in str(e.payload) for e in events)  # nothing personal


def test_returned_rejected_changed_and_revoked_are_published(user_a, org_a, officers,
                                                             django_capture_on_commit_callbacks):
    version = submit_new(user_a, org_a, roles=["ebc"])
    with django_capture_on_commit_callbacks(execute=True):
        decide(officers, version, "customs", D.RETURNED, reason="地址不全", fields_to_fix=["registered_address"])
    returned = events_of(org_a)[-1]
    assert returned.event_type == "filing.returned"
    decided = events_of(org_a)[-2].payload
    assert (decided["decision"], decided["reason"], decided["fields_to_fix"]) == (
        "returned", "地址不全", ["registered_address"])

    filing_services.enterprise_filing_submit(actor=user_a, version=version)
    for review in version.reviews.all():
        decide(officers, version, review.department)
    filing = EnterpriseFiling.objects.get(organization=org_a)

    change = filing_services.enterprise_filing_start_change(actor=user_a, filing=filing)
    filing_services.enterprise_filing_save_draft(actor=user_a, organization=org_a, data={"name_en": "A Ltd."})
    filing_services.enterprise_filing_submit(actor=user_a, version=change)
    with django_capture_on_commit_callbacks(execute=True):
        for review in change.reviews.all():
            decide(officers, change, review.department)
    assert events_of(org_a)[-1].event_type == "filing.changed"
    assert events_of(org_a)[-1].payload["version"] == 2

    with django_capture_on_commit_callbacks(execute=True):
        filing_services.enterprise_filing_revoke(actor=user_a, filing=filing, reason="停止经营")
    revoked = events_of(org_a)[-1]
    assert revoked.event_type == "filing.revoked"
    assert (revoked.payload["status"], revoked.payload["revoke_reason"]) == ("revoked", "停止经营")


def test_a_rejection_is_published(user_a, org_a, officers, django_capture_on_commit_callbacks):
    version = submit_new(user_a, org_a, roles=["ebc"])
    with django_capture_on_commit_callbacks(execute=True):
        decide(officers, version, "customs", D.REJECTED, reason="不符合条件")
    assert [e.event_type for e in events_of(org_a)][-2:] == ["filing.decided", "filing.rejected"]


def test_a_failure_to_publish_never_fails_the_filing(user_a, org_a, monkeypatch, caplog,
                                                     django_capture_on_commit_callbacks):
    from filings import events as filing_events

    def broken(*args, **kwargs):
        raise RuntimeError("event store unavailable")

    monkeypatch.setattr(filing_events, "publish", broken)
    with caplog.at_level(logging.ERROR, logger="filings.events"), django_capture_on_commit_callbacks(execute=True):
        version = submit_new(user_a, org_a, roles=["ebc"])
    assert version.status == "under_review"
    assert "could not publish filing.submitted" in caplog.text
    assert not Event.objects.exists()
