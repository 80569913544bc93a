"""Project package: settings, URLs, the Celery app and the shared kernel (accounts, codes, audit)."""

from .celery import app as celery_app

__all__ = ("celery_app",)
