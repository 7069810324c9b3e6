"""Leaf values from subgraphs, checked against their schema types (GraphQL spec, "Scalars").

A subgraph answering ``{"evil": 1}`` for a ``String!`` must not reach the client as is
(issue 11). The check is decided once per field when shaping is compiled: each built-in
scalar has a test, as a Python expression for the generated shaping code and as a function
for the interpreted paths (lists, abstract types). A custom scalar is checked when its
``@specifiedBy`` URL names a format we know (:data:`FORMAT_CHECKS`: RFC 3339 date-times and
dates from the GraphQL Scalars project); other custom scalars pass unchecked: their format is
the subgraph's to define.

Result coercion follows graphql-core's ``serialize`` functions where they are lossless: an
integral number for an ``ID`` becomes its string; anything else of the wrong type is an
error, never a converted value.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from ..supergraph import Supergraph

__all__ = [
    "FORMAT_CHECKS",
    "FORMAT_FUNCTIONS",
    "SCALAR_CHECKS",
    "Owners",
    "describe",
    "lenient",
    "subgraph_owners",
]

_INT_MIN = -(2**31)
_INT_MAX = 2**31 - 1


def _is_string(raw: Any) -> bool:
    return type(raw) is str


def _is_int(raw: Any) -> bool:
    return type(raw) is int and _INT_MIN <= raw <= _INT_MAX


def _is_float(raw: Any) -> bool:
    return type(raw) is float or type(raw) is int


def _is_boolean(raw: Any) -> bool:
    return type(raw) is bool


SCALAR_CHECKS: dict[str, tuple[Callable[[Any], bool], str]] = {
    "String": (_is_string, "type(raw) is str"),
    "ID": (_is_string, "type(raw) is str"),
    "Int": (_is_int, f"(type(raw) is int and {_INT_MIN} <= raw <= {_INT_MAX})"),
    "Float": (_is_float, "(type(raw) is float or type(raw) is int)"),
    "Boolean": (_is_boolean, "type(raw) is bool"),
}
"""Built-in scalar -> (test, the same test as an expression over ``raw``)."""

_DATE_TIME = re.compile(r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}:\d{2})")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def is_date_time(raw: Any) -> bool:
    """RFC 3339 ``date-time``: seconds and an offset required, the date and time valid."""
    if type(raw) is not str or _DATE_TIME.fullmatch(raw) is None:
        return False
    try:
        datetime.fromisoformat(raw.upper().replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


def is_date(raw: Any) -> bool:
    """RFC 3339 ``full-date``: ``YYYY-MM-DD``, a day that exists."""
    if type(raw) is not str or _DATE.fullmatch(raw) is None:
        return False
    try:
        date.fromisoformat(raw)
    except ValueError:
        return False
    return True


FORMAT_FUNCTIONS: dict[str, Callable[[Any], bool]] = {
    "is_date_time": is_date_time,
    "is_date": is_date,
}
"""The format tests by the names generated shaping code calls them."""

FORMAT_CHECKS: dict[str, tuple[Callable[[Any], bool], str]] = {
    "https://scalars.graphql.org/andimarek/date-time": (is_date_time, "is_date_time(raw)"),
    "https://scalars.graphql.org/andimarek/local-date": (is_date, "is_date(raw)"),
}
"""``@specifiedBy`` URL -> (test, the same test as an expression over ``raw``)."""


def lenient(type_name: str, raw: Any) -> Any:
    """The value for ``raw`` when it fails its type's test but converts without loss, else
    None: an ``ID`` sent as an integer (GraphQL allows IDs to be integers on input)."""
    if type_name == "ID" and type(raw) is int:
        return str(raw)
    return None


def describe(raw: Any) -> str:
    """What a wrong value is, without the value (it may be anything, secrets included)."""
    if type(raw) is int:
        return "an integer" if _INT_MIN <= raw <= _INT_MAX else "an integer beyond 32 bits"
    return {
        dict: "an object",
        list: "a list",
        str: "a string",
        bool: "a boolean",
        float: "a float",
    }.get(type(raw), type(raw).__name__)


Owners = Callable[[str, str], tuple[str, ...]]
"""``owners(type name, field name)``: the subgraphs that resolve the field, for messages."""


def subgraph_owners(supergraph: Supergraph) -> Owners:
    """The subgraphs each field comes from (``@join__field``, else the type's ``@join__type``),
    named in errors about a wrong value. A value type several subgraphs define (``Money``) is
    named after the subgraph of the field holding it, by the shaper."""
    names = {graph_id: graph.name for graph_id, graph in supergraph.graphs.items()}

    def owners(type_name: str, field_name: str) -> tuple[str, ...]:
        meta = supergraph.types.get(type_name)
        if meta is None:
            return ()
        field = meta.fields.get(field_name)
        graphs = {j.graph for j in field.joins if j.graph is not None} if field else set()
        if not graphs:
            graphs = set(meta.graphs)
        return tuple(sorted(names.get(graph, graph) for graph in graphs))

    return owners
