"""Assertion helpers of the API tests."""

import json


def error_of(response) -> dict:
    """The JSON error body, after checking it is JSON with the three keys every error has."""
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    body = json.loads(response.content)
    assert {"code", "message", "field"} <= set(body), body
    return body
