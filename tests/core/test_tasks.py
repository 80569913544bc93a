"""The kernel's Celery task, run by the real test worker (tests/fixtures/celery.py)."""

from __future__ import annotations

from tests.fixtures.celery import SESSION_TAG
from zone_portal.core.tasks import core_send_email


def test_core_send_email_is_sent_by_the_worker(celery_worker, mailoutbox, settings):
    settings.DEFAULT_FROM_EMAIL = "no-reply@portal.example.gov.cn"

    result = core_send_email.delay(
        subject="备案审核结果 / Filing reviewed", body="您的企业备案已通过。", to=["ops@yunfan.example.com"]
    )

    assert result.get(timeout=20) == 1
    # It went through the session's queue to the session's worker, not to anybody else's.
    assert result.queue == SESSION_TAG
    [message] = mailoutbox
    assert message.subject == "备案审核结果 / Filing reviewed"
    assert message.body == "您的企业备案已通过。"
    assert message.to == ["ops@yunfan.example.com"]
    assert message.from_email == "no-reply@portal.example.gov.cn"


def test_core_send_email_sends_the_html_alternative(celery_worker, mailoutbox):
    result = core_send_email.delay(subject="Notice", body="plain", to=["a@example.com", "b@example.com"],
                                   html_body="<p>html</p>")

    assert result.get(timeout=20) == 1
    [message] = mailoutbox
    assert message.to == ["a@example.com", "b@example.com"]
    assert message.alternatives[0][0] == "<p>html</p>"
