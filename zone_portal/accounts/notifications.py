"""In-app notifications with the email that goes beside them."""

from __future__ import annotations

from django.db import transaction

from zone_portal.accounts import roles
from zone_portal.core.tasks import core_send_email

from .models import Notification, Organization, User


def notification_recipients(organization: Organization, user: User | None = None) -> list[str]:
    """Email addresses for a notification: the organization's contact email and its active
    administrators (or only ``user`` when the notification is for one user)."""
    if user is not None:
        emails = [user.email]
    else:
        admins = User.objects.filter(organization=organization, is_active=True,
                                     groups__name=roles.ENTERPRISE_ADMIN).exclude(email="")
        emails = [organization.contact_email, *admins.values_list("email", flat=True)]
    seen: list[str] = []
    for email in emails:
        if email and email.lower() not in {s.lower() for s in seen}:
            seen.append(email)
    return seen


def notify(*, organization: Organization, user: User | None = None, verb: str, title: str, body: str,
           url: str = "") -> Notification:
    """Create an in-app notification for ``organization`` (or one of its users) and email it.

    The email is queued only when the surrounding transaction commits, so a rolled-back change
    never mails anyone. ``title`` and ``body`` must already be translated text.
    """
    notification = Notification.objects.create(organization=organization, user=user, verb=verb,
                                               title=str(title)[:200], body=str(body), url=url)
    recipients = notification_recipients(organization, user)
    if recipients:
        subject, text = str(title), str(body) + (f"\n\n{url}" if url else "")
        transaction.on_commit(lambda: core_send_email.delay(subject=subject, body=text, to=recipients))
    return notification
