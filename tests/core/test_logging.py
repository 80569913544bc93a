"""Logs are JSON lines that carry the request id and never a full ID number or mobile number.

The lines are captured from the console handler the settings configure (its filters are the
ones production runs); the tests only point its stream at a buffer and, because the test
environment sets ``LOG_FORMAT=plain``, give it the JSON formatter production uses.
"""

from __future__ import annotations

import io
import json
import logging
import re

import pytest
from django.conf import settings

from zone_portal.core.logging import JsonFormatter, MaskPersonalDataFilter, RequestIdFilter

ID_NUMBER, ID_MASKED = "110105194912310020", "110105********0020"
MOBILE, MOBILE_MASKED = "13812345678", "138****5678"
# 20 digits that begin with the ID number above and contain the mobile number: neither may be
# taken for personal data and mangled, or order numbers in logs become useless.
ORDER_NO = "11010519491231002012"
ORDER_NO_2 = "20260101381234567800"

logger = logging.getLogger("zone_portal.tests.logging")


def unmasked(value: str, text: str) -> bool:
    """``value`` appears in ``text`` as a number of its own (not inside a longer order number)."""
    return re.search(rf"(?<![0-9A-Za-z]){re.escape(value)}(?![0-9A-Za-z])", text) is not None


def _console_handler() -> logging.Handler:
    for handler in logging.getLogger().handlers:
        kinds = {type(f) for f in handler.filters}
        if {RequestIdFilter, MaskPersonalDataFilter} <= kinds:
            return handler
    raise AssertionError("no root handler carries the request-id and masking filters")


class Lines:
    def __init__(self, buffer: io.StringIO) -> None:
        self.buffer = buffer

    @property
    def raw(self) -> str:
        return self.buffer.getvalue()

    def records(self) -> list[dict]:
        return [json.loads(line) for line in self.raw.splitlines() if line.strip()]

    def of(self, logger_name: str) -> list[dict]:
        return [r for r in self.records() if r["logger"] == logger_name]


@pytest.fixture
def json_log():
    handler = _console_handler()
    buffer = io.StringIO()
    old_stream = handler.setStream(buffer)
    old_formatter = handler.formatter
    handler.setFormatter(JsonFormatter())
    try:
        yield Lines(buffer)
    finally:
        handler.setFormatter(old_formatter)
        handler.setStream(old_stream)


def test_settings_wire_json_lines_with_request_id_and_masking():
    console = settings.LOGGING["handlers"]["console"]
    assert set(console["filters"]) == {"request_id", "mask_personal_data"}
    formatter = settings.LOGGING["formatters"]["json"]["()"]
    assert formatter == "zone_portal.core.logging.JsonFormatter"
    assert settings.LOGGING["root"]["handlers"] == ["console"]
    _console_handler()  # and the configured root handler really has both filters


# --- request id --------------------------------------------------------------------------------

def test_a_log_line_written_during_a_request_carries_the_response_request_id(client, json_log, settings):
    # /healthz logs a warning from inside the view when Redis does not answer.
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    response = client.get("/healthz")

    request_id = response["X-Request-Id"]
    assert len(request_id) >= 8
    lines = json_log.of("zone_portal.core.health")
    assert lines, json_log.raw
    redis_line = next(r for r in lines if "Redis" in r["message"])
    assert redis_line["request_id"] == request_id
    assert redis_line["level"] == "WARNING"
    assert redis_line["ts"].endswith("+00:00")


def test_a_sane_incoming_request_id_is_kept_and_a_bad_one_replaced(client, json_log, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    response = client.get("/healthz", headers={"X-Request-Id": "proxy-req-0001"})
    assert response["X-Request-Id"] == "proxy-req-0001"
    assert {r["request_id"] for r in json_log.of("zone_portal.core.health")} == {"proxy-req-0001"}

    response = client.get("/healthz", headers={"X-Request-Id": "x\n{evil}"})
    assert response["X-Request-Id"] != "x\n{evil}"
    assert "{evil}" not in json_log.raw


def test_the_not_found_line_carries_the_request_id(client, json_log):
    """Django logs 4xx/5xx responses ("Not Found: /…") after the middleware has returned, when
    the request id is no longer bound: the filter has to take it from the request itself."""
    response = client.get("/no-such-page/")
    assert response.status_code == 404

    [line] = json_log.of("django.request")
    assert line["message"] == "Not Found: /no-such-page/"
    assert line["request_id"] == response["X-Request-Id"]


def test_a_line_outside_any_request_has_a_placeholder_request_id(json_log):
    logger.warning("background job started")
    [line] = json_log.of(logger.name)
    assert line["request_id"] == "-"


# --- masking --------------------------------------------------------------------------------

def test_id_number_and_mobile_in_the_message_are_masked(json_log):
    logger.warning(f"buyer {ID_NUMBER} mobile {MOBILE} order {ORDER_NO}")

    [line] = json_log.of(logger.name)
    assert line["message"] == f"buyer {ID_MASKED} mobile {MOBILE_MASKED} order {ORDER_NO}"
    assert not unmasked(ID_NUMBER, json_log.raw)
    assert not unmasked(MOBILE, json_log.raw)


def test_id_number_and_mobile_passed_as_arguments_are_masked(json_log):
    logger.warning("buyer %s mobile %s order %s / %s", ID_NUMBER, MOBILE, ORDER_NO, ORDER_NO_2)
    logger.warning("payer %(id)s", {"id": ID_NUMBER})

    first, second = json_log.of(logger.name)
    assert first["message"] == f"buyer {ID_MASKED} mobile {MOBILE_MASKED} order {ORDER_NO} / {ORDER_NO_2}"
    assert second["message"] == f"payer {ID_MASKED}"
    assert not unmasked(ID_NUMBER, json_log.raw)
    assert not unmasked(MOBILE, json_log.raw)


def test_id_number_and_mobile_in_a_traceback_are_masked(json_log):
    try:
        raise ValueError(f"payer {ID_NUMBER} does not match buyer, call {MOBILE}")
    except ValueError:
        logger.exception("reconciliation of %s failed", ORDER_NO)

    [line] = json_log.of(logger.name)
    assert line["message"] == f"reconciliation of {ORDER_NO} failed"
    assert "Traceback (most recent call last)" in line["exc"]
    assert f"ValueError: payer {ID_MASKED} does not match buyer, call {MOBILE_MASKED}" in line["exc"]
    assert not unmasked(ID_NUMBER, json_log.raw)
    assert not unmasked(MOBILE, json_log.raw)


def test_id_number_with_check_letter_and_mobile_with_country_code_are_masked(json_log):
    logger.warning("ids 11010519491231002X and 11010519491231002x, phone +8613812345678")

    [line] = json_log.of(logger.name)
    assert line["message"] == "ids 110105********002X and 110105********002x, phone +86138****5678"


def test_extra_fields_are_masked(json_log):
    logger.warning("filing submitted", extra={"contact_mobile": MOBILE, "order_no": ORDER_NO, "lines": 3})

    [line] = json_log.of(logger.name)
    assert line["contact_mobile"] == MOBILE_MASKED
    assert line["order_no"] == ORDER_NO
    assert line["lines"] == 3


def test_personal_data_in_a_logged_request_url_is_masked(client, json_log):
    """django.request hands the request object to the log record; its repr carries the query
    string, which must be masked like everything else."""
    response = client.get(f"/no-such-page/?mobile={MOBILE}&id={ID_NUMBER}")
    assert response.status_code == 404

    assert json_log.of("django.request"), json_log.raw
    assert not unmasked(MOBILE, json_log.raw)
    assert not unmasked(ID_NUMBER, json_log.raw)


def test_the_plain_format_is_masked_too():
    """LOG_FORMAT=plain (development) goes through the same filters."""
    handler = _console_handler()
    buffer = io.StringIO()
    old_stream = handler.setStream(buffer)
    old_formatter = handler.formatter
    handler.setFormatter(logging.Formatter(settings.LOGGING["formatters"]["plain"]["format"]))
    try:
        logger.warning("buyer %s mobile %s", ID_NUMBER, MOBILE)
    finally:
        handler.setFormatter(old_formatter)
        handler.setStream(old_stream)
    line = buffer.getvalue()
    assert f"[-] buyer {ID_MASKED} mobile {MOBILE_MASKED}" in line
    assert not unmasked(ID_NUMBER, line)


def test_a_malformed_log_call_does_not_crash_the_caller_and_is_still_masked(json_log):
    """Plain logging reports a wrong number of %s arguments and carries on; the masking filter
    must not turn a logging slip into a 500 for the user."""
    logger.warning("buyer %s mobile %s", ID_NUMBER)  # one argument short

    [line] = json_log.of(logger.name)
    assert ID_MASKED in line["message"]
    assert not unmasked(ID_NUMBER, json_log.raw)
