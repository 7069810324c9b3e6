"""Measuring documents and checking them against the caller's limits (``gateway/limits.py``),
and the caches bounded in bytes (``gateway/pipeline.py``).

The figures are exact (a table of documents and what they measure), fragments are measured
without being expanded (the issue's 2^18 fragment explosion measures 262,145 fields in a
single pass, its long fragment chains and deep nesting without recursion), and every limit
is refused with its own name and maximum, one over the maximum, and admitted at it.
"""

from __future__ import annotations

from typing import Any

import pytest
from graphql import parse
from graphql.language import DocumentNode

from gateway.limits import CallerLimits, DocumentCost, LimitExceeded, OperationLimits, measure


def doubling(levels: int) -> str:
    """The issue's fragment explosion: each fragment spreads the previous one twice."""
    fragments = ["fragment F0 on Query { __typename }"]
    fragments += [
        f"fragment F{i} on Query {{ ...F{i - 1} ...F{i - 1} }}" for i in range(1, levels + 1)
    ]
    return f"query {{ ...F{levels} }} " + " ".join(fragments)


def parsed(text: str) -> DocumentNode:
    return parse(text)


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        ("{ me { id name } }", {"fields": 3, "aliases": 0, "root_fields": 1, "depth": 2}),
        ("{ a: me { id } b: me { x: id } }", {"fields": 4, "aliases": 3, "root_fields": 2}),
        (  # a fragment counts once per spread, with its aliases and depth
            "{ me { ...P manager { ...P } } } fragment P on Employee { id n: name }",
            {"fields": 6, "aliases": 2, "depth": 3, "root_fields": 1},
        ),
        (  # spreads at the root add their fragment's root fields
            "{ ...Q ... on Query { me { id } } } fragment Q on Query { a: me { id } __typename }",
            {"fields": 5, "root_fields": 3, "aliases": 1},
        ),
        (  # several operations: fields add up, root fields and depth are per operation
            "query A { me { id } } query B { me { manager { id } } }",
            {"operations": 2, "fields": 5, "root_fields": 1, "depth": 3},
        ),
        (  # directives: the most on one location (field, spread, operation, variable)
            "query ($x: Boolean = true @a @b @c) @d { me @skip(if: false) @include(if: true) "
            "{ ...P @e } } fragment P on Employee @f { id }",
            {"directives": 3},
        ),
        (doubling(18), {"fields": 2**18, "root_fields": 2**18, "depth": 1}),
        (  # a fragment cycle (validation reports it) is measured without hanging
            "{ ...A } fragment A on Query { ...B __typename } fragment B on Query { ...A }",
            {"fields": 1},
        ),
        ("{ ...Unknown }", {"fields": 0}),
    ],
)
def test_figures(document: str, expected: dict[str, int]) -> None:
    cost = measure(parsed(document))
    assert {name: getattr(cost, name) for name in expected} == expected


def test_tokens_are_the_parsers_count() -> None:
    assert measure(parsed("{ me { id } }")).tokens == parsed("{ me { id } }").token_count == 6


def test_long_fragment_chains_and_deep_nesting_need_no_recursion() -> None:
    chain = " ".join(f"fragment F{i} on Employee {{ ...F{i + 1} }}" for i in range(3000))
    cost = measure(parsed(f"{{ me {{ ...F0 }} }} {chain} fragment F3000 on Employee {{ id }}"))
    assert (cost.fields, cost.depth) == (2, 2)
    nested = "{ me " + "{ manager " * 100 + "{ id }" + " }" * 101
    assert measure(parsed(nested)).depth == 102


LIMITS = OperationLimits(
    tokens=100, operations=2, directives=2, fields=10, aliases=3, root_fields=3, depth=4
)
OVER: list[tuple[str, dict[str, Any]]] = [
    ("operations", {"operations": 3}),
    ("directives", {"directives": 3}),
    ("fields", {"fields": 11}),
    ("aliases", {"aliases": 4}),
    ("root_fields", {"root_fields": 4}),
    ("depth", {"depth": 5}),
]


@pytest.mark.parametrize(("limit", "figures"), OVER, ids=[name for name, _ in OVER])
def test_each_limit_is_named_with_its_maximum(limit: str, figures: dict[str, int]) -> None:
    with pytest.raises(LimitExceeded) as raised:
        LIMITS.check(DocumentCost(**figures), signed_in=True)
    error = raised.value.to_graphql()
    assert error["extensions"] == {
        "code": "OPERATION_LIMIT_EXCEEDED",
        "limit": limit,
        "maximum": getattr(LIMITS, limit),
    }
    at_most = {name: value - 1 for name, value in figures.items()}
    LIMITS.check(DocumentCost(**at_most), signed_in=True)  # at the maximum: admitted


def test_the_token_limit_stops_the_parser() -> None:
    """graphql-core's wording is how the token limit is told from a syntax error."""
    with pytest.raises(LimitExceeded) as raised:
        LIMITS.admit("{ " + "id " * 200 + "}", signed_in=False)
    assert (raised.value.limit, raised.value.maximum) == ("tokens", 100)
    assert "not signed in" in raised.value.message
    document, cost = LIMITS.admit("{ me { id } }", signed_in=False)
    assert cost.tokens == 6 and document.definitions


def test_callers_who_are_not_signed_in_get_stricter_limits() -> None:
    limits = CallerLimits()
    for name in ("tokens", "operations", "directives", "fields", "aliases", "root_fields"):
        assert getattr(limits.anonymous, name) < getattr(limits.signed_in, name), name
    assert limits.of(False) is limits.anonymous and limits.of(True) is limits.signed_in
