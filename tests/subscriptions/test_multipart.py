"""Subscriptions over multipart HTTP, as Apollo clients subscribe (``Accept:
multipart/mixed;subscriptionSpec="1.0"``), with a streaming Python client."""

from __future__ import annotations

import json
from typing import Any

import httpx

from tests.subscriptions.conftest import Stack
from tests.subscriptions.test_websocket import AUDITOR, TICKS, VIEWER

ACCEPT = 'multipart/mixed;boundary="graphql";subscriptionSpec="1.0",application/json'


def parts(stack: Stack, headers: dict[str, str], body: dict[str, Any]) -> list[Any]:
    """Each part's JSON (heartbeats ``{}`` left out), and ``"end"`` for the closing boundary."""
    with httpx.stream(
        "POST", stack.gateway, json=body, headers={**headers, "accept": ACCEPT}, timeout=30
    ) as response:
        assert response.status_code == 200, response.read()
        assert response.headers["content-type"].startswith('multipart/mixed;boundary="graphql"')
        text = response.read().decode()
    found: list[Any] = []
    for chunk in text.split("\r\n--graphql")[1:]:
        if chunk.startswith("--"):
            found.append("end")
            continue
        headers_text, _, content = chunk.partition("\r\n\r\n")
        assert "content-type: application/json" in headers_text.lower()
        if json.loads(content) != {}:
            found.append(json.loads(content))
    return found


def test_each_event_is_a_part_with_its_payload_then_the_closing_boundary(stack: Stack) -> None:
    assert parts(stack, VIEWER, {"query": TICKS, "variables": {"count": 2}}) == [
        {"payload": {"data": {"ticks": {"n": 1, "label": "label of tick-1"}}}},
        {"payload": {"data": {"ticks": {"n": 2, "label": "label of tick-2"}}}},
        "end",
    ]


def test_field_authorization_applies_to_every_part(stack: Stack) -> None:
    query = {"query": "subscription { ticks(count: 1) { n secret } }"}
    (viewer, end) = parts(stack, VIEWER, query)
    assert viewer["payload"]["data"] == {"ticks": {"n": 1, "secret": None}}
    assert viewer["payload"]["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    (auditor, end) = parts(stack, AUDITOR, query)
    assert auditor == {"payload": {"data": {"ticks": {"n": 1, "secret": "secret of tick-1"}}}}
    assert end == "end"
