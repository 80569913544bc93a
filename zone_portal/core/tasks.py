"""Celery tasks of the shared kernel. Thin: arguments in, one call out."""

from __future__ import annotations

from smtplib import SMTPException

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail


@shared_task(
    acks_late=True,
    autoretry_for=(SMTPException, OSError),
    retry_backoff=True,
    retry_backoff_max=600,
    retry_jitter=True,
    max_retries=6,
    soft_time_limit=50,
    time_limit=60,
)
def core_send_email(*, subject: str, body: str, to: list[str], html_body: str | None = None) -> int:
    """Send one email through Django's mail backend, off the request path.

    Retried with backoff while the mail server is unreachable; returns how many messages the
    backend accepted (1). Callers pass already-rendered, already-translated text.
    """
    return send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, list(to), html_message=html_body)
