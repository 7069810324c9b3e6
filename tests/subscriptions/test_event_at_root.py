"""``event_at_root``: a subscription event's path-less errors belong to its one root field
when that field has no value; every other event is passed on as the subgraph sent it."""

from __future__ import annotations

from typing import Any

import pytest

from gateway.planner.plan import FetchNode
from gateway.subscriptions.run import event_at_root

ROOT = FetchNode("oa", "subscription { r: approvalRequestUpdated(id: 1) { cursor } }",
                 operation_kind="subscription", root_keys=("r",))  # fmt: skip
REFUSED = {"message": "No approval request 1.", "extensions": {"code": "NOT_FOUND"}}
AT_FIELD = {**REFUSED, "path": ["r", "cursor"]}


@pytest.mark.parametrize(
    ("event", "expected"),
    [
        ({"data": None, "errors": [REFUSED]},
         {"data": None, "errors": [{**REFUSED, "path": ["r"]}]}),
        ({"errors": [REFUSED]}, {"errors": [{**REFUSED, "path": ["r"]}]}),
        ({"data": {"r": None}, "errors": [REFUSED, AT_FIELD]},
         {"data": {"r": None}, "errors": [{**REFUSED, "path": ["r"]}, AT_FIELD]}),
        ({"data": {"r": {"cursor": "7"}}, "errors": [REFUSED]},
         {"data": {"r": {"cursor": "7"}}, "errors": [REFUSED]}),  # a value: not the field's
        ({"data": {"r": {"cursor": "7"}}}, {"data": {"r": {"cursor": "7"}}}),
        ({"data": None, "errors": "garbage"}, {"data": None, "errors": "garbage"}),
    ],
    ids=["null", "no-data", "null-field", "with-value", "no-errors", "malformed"],
)  # fmt: skip
def test_path_less_errors_of_a_null_event_are_the_root_fields(
    event: dict[str, Any], expected: dict[str, Any]
) -> None:
    assert event_at_root(event, ROOT) == expected


def test_a_fetch_of_several_root_fields_is_left_alone() -> None:
    several = FetchNode("oa", "{ a b }", root_keys=("a", "b"))
    event = {"data": None, "errors": [REFUSED]}

    assert event_at_root(event, several) == event
