"""Which subscriptions resume after a cursor, and the operation that asks for it
(``gateway/subscriptions/resume.py``)."""

from __future__ import annotations

import pytest
from graphql import build_schema, print_ast
from graphql import parse as parse_document

from gateway.subscriptions.resume import resumption

SCHEMA = build_schema("""
type Query { ok: Int }
type Event { n: Int cursor: String! }
type Plain { n: Int }
type Subscription {
  events(count: Int!, after: String): Event!
  noAfter: Event!
  noCursor(after: String): Plain!
}
""")


def normal(operation: str) -> str:
    return print_ast(parse_document(operation))


@pytest.mark.parametrize(
    "operation",
    [
        "subscription { events(count: 1) { n } }",  # the cursor not selected
        "subscription { events(count: 1) { n cursor @include(if: true) } }",
        "subscription { noAfter { n cursor } }",
        "subscription { noCursor(after: null) { n } }",
        "query { ok }",
        "subscription {",
    ],
)
def test_a_subscription_without_the_convention_or_its_cursor_does_not_resume(
    operation: str,
) -> None:
    assert resumption(SCHEMA, operation) is None


def test_the_cursor_is_read_at_the_fetchs_own_response_keys() -> None:
    resumes = resumption(SCHEMA, "subscription { e: events(count: 2) { n c: cursor } }")
    assert resumes is not None
    assert resumes.cursor({"data": {"e": {"n": 1, "c": "17"}}}) == "17"
    assert resumes.cursor({"data": None, "errors": [{"message": "no"}]}) is None


def test_resuming_adds_after_as_a_literal_and_leaves_the_rest_as_it_was() -> None:
    resumes = resumption(SCHEMA, "subscription S($c: Int!) { events(count: $c) { n cursor } }")
    assert resumes is not None
    assert resumes.after('17"') == normal(
        'subscription S($c: Int!) { events(count: $c, after: "17\\"") { n cursor } }'
    )


def test_resuming_replaces_the_clients_own_after_and_its_variable_used_nowhere_else() -> None:
    operation = "subscription ($a: String, $c: Int!) { events(count: $c, after: $a) { cursor } }"
    resumes = resumption(SCHEMA, operation)
    assert resumes is not None
    assert resumes.after("9") == normal(
        'subscription ($c: Int!) { events(count: $c, after: "9") { cursor } }'
    )
