"""Reading ``graphql-transport-ws`` messages: what the protocol allows, and a reason for
everything it does not (the connection then closes 4400 with that reason)."""

from __future__ import annotations

import pytest

from gateway.subscriptions.protocol import Frame, ProtocolViolation, encode, parse


@pytest.mark.parametrize(
    ("text", "frame"),
    [
        ('{"type": "connection_init"}', Frame("connection_init")),
        (
            '{"type": "connection_init", "payload": {"a": 1}}',
            Frame("connection_init", None, {"a": 1}),
        ),
        ('{"type": "ping", "id": "ignored"}', Frame("ping")),
        (
            '{"type": "subscribe", "id": "1", "payload": {"query": "{ a }"}}',
            Frame("subscribe", "1", {"query": "{ a }"}),
        ),
        ('{"type": "complete", "id": "7"}', Frame("complete", "7")),
    ],
)
def test_messages_the_protocol_allows(text: str, frame: Frame) -> None:
    assert parse(text) == frame


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("not json", "not JSON"),
        ("[]", "unknown type"),
        ('{"type": "hello"}', "unknown type"),
        ('{"type": "subscribe", "payload": {"query": "{ a }"}}', "subscribe needs an id"),
        ('{"type": "complete", "id": ""}', "complete needs an id"),
        ('{"type": "subscribe", "id": "1", "payload": {}}', "needs a payload with a query"),
        ('{"type": "connection_init", "payload": [1]}', "payload must be an object"),
    ],
)  # fmt: skip
def test_messages_it_does_not_allow_are_refused_with_a_reason(text: str, reason: str) -> None:
    with pytest.raises(ProtocolViolation) as refused:
        parse(text)
    assert refused.value.reason.startswith("invalid message: ")
    assert refused.value.reason.endswith(reason)


def test_encoding_leaves_out_what_a_message_does_not_have() -> None:
    assert encode("connection_ack") == '{"type":"connection_ack"}'
    assert encode("next", "1", {"data": {}}) == '{"type":"next","id":"1","payload":{"data":{}}}'
