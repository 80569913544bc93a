"""The current request's id and client address, for logs and audit events.

A ``ContextVar`` rather than a thread-local so that it is correct under both gunicorn threads and
Celery (a task sets the id it was given when it starts).
"""

from __future__ import annotations

import contextvars
import uuid

_request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
_client_ip: contextvars.ContextVar[str | None] = contextvars.ContextVar("client_ip", default=None)


def new_request_id() -> str:
    return uuid.uuid4().hex


def get_request_id() -> str:
    return _request_id.get()


def get_client_ip() -> str | None:
    return _client_ip.get()


def bind(request_id: str, client_ip: str | None = None) -> tuple[contextvars.Token, contextvars.Token]:
    return _request_id.set(request_id), _client_ip.set(client_ip)


def unbind(tokens: tuple[contextvars.Token, contextvars.Token]) -> None:
    _request_id.reset(tokens[0])
    _client_ip.reset(tokens[1])
