"""Subscriptions over Server-Sent Events (the ``graphql-sse`` protocol, distinct connections)
with a Python client (``httpx`` streaming) against ``tandem serve``."""

from __future__ import annotations

import json
from typing import Any

import httpx

from tests.subscriptions.conftest import Stack
from tests.subscriptions.test_websocket import AUDITOR, TICKS, VIEWER


def events(stack: Stack, headers: dict[str, str], body: dict[str, Any]) -> list[tuple[str, Any]]:
    """The stream's events as (event, data) pairs, read until the server ends it."""
    received: list[tuple[str, Any]] = []
    with httpx.stream(
        "POST",
        stack.gateway,
        json=body,
        headers={**headers, "accept": "text/event-stream"},
        timeout=30,
    ) as response:
        assert response.status_code == 200, response.read()
        assert response.headers["content-type"].startswith("text/event-stream")
        for block in _blocks(response.iter_lines()):
            fields = dict(line.split(": ", 1) if ": " in line else (line.rstrip(":"), "")
                          for line in block)  # fmt: skip
            data = fields.get("data", "")
            received.append((fields["event"], json.loads(data) if data.strip() else None))
    return received


def _blocks(lines: Any) -> Any:
    block: list[str] = []
    for line in lines:
        if line == "":
            if block and not block[0].startswith(":"):
                yield block
            block = []
        else:
            block.append(line)


def test_a_subscription_streams_completed_events_then_complete(stack: Stack) -> None:
    received = events(stack, VIEWER, {"query": TICKS, "variables": {"count": 2}})
    assert received == [
        ("next", {"data": {"ticks": {"n": 1, "label": "label of tick-1"}}}),
        ("next", {"data": {"ticks": {"n": 2, "label": "label of tick-2"}}}),
        ("complete", None),
    ]


def test_field_authorization_applies_to_every_streamed_event(stack: Stack) -> None:
    query = {"query": "subscription { ticks(count: 2) { n secret } }"}
    viewer = events(stack, VIEWER, query)
    assert [data["data"] for kind, data in viewer if kind == "next"] == [
        {"ticks": {"n": 1, "secret": None}},
        {"ticks": {"n": 2, "secret": None}},
    ]
    assert all(
        data["errors"][0]["extensions"]["code"] == "FORBIDDEN"
        for kind, data in viewer
        if kind == "next"
    )
    auditor = events(stack, AUDITOR, query)
    assert auditor[0] == ("next", {"data": {"ticks": {"n": 1, "secret": "secret of tick-1"}}})


def test_a_refused_operation_is_answered_with_its_status_and_code_not_a_stream(
    stack: Stack,
) -> None:
    response = httpx.post(
        stack.gateway,
        json={"query": "subscription { ticks(count: 1) { nope } }"},
        headers={**VIEWER, "accept": "text/event-stream"},
        timeout=30,
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"


def test_a_subscription_without_a_stream_asked_for_is_refused_405(stack: Stack) -> None:
    response = httpx.post(
        stack.gateway,
        json={"query": TICKS, "variables": {"count": 1}},
        headers={**VIEWER, "accept": "application/graphql-response+json"},
        timeout=30,
    )
    assert response.status_code == 405
    assert response.json()["errors"][0]["extensions"]["code"] == "OPERATION_NOT_ALLOWED"
