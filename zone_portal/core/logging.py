"""Structured logs: one JSON object a line, with the request id, and no personal data.

``MaskPersonalDataFilter`` is the last line of defence: code should log masked values already
(``zone_portal.core.masking``), but a resident ID number or a mobile number that slips into a
message or an argument is masked here before any handler writes it.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

from . import masking, request_context


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            # django.request logs 4xx/5xx after the middleware returned and unbound the id.
            request = getattr(record, "request", None)
            record.request_id = getattr(request, "request_id", None) or request_context.get_request_id()
        return True


class MaskPersonalDataFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):  # a malformed call must not crash the request
            message = f"{record.msg} {record.args!r}"
        masked = masking.mask_text(str(message))
        if masked != message or record.args:
            record.msg, record.args = masked, None
        if record.exc_info and not record.exc_text:
            record.exc_text = masking.mask_text(logging.Formatter().formatException(record.exc_info))
        elif record.exc_text:
            record.exc_text = masking.mask_text(record.exc_text)
        return True


_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "request_id"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        payload = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "request_id": getattr(record, "request_id", "-"),
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                if not isinstance(value, (bool, int, float, type(None))):
                    value = masking.mask_text(value if isinstance(value, str) else str(value))
                payload[key] = value
        if record.exc_info:
            payload["exc"] = record.exc_text or masking.mask_text(self.formatException(record.exc_info))
        return json.dumps(payload, ensure_ascii=False, default=str)
