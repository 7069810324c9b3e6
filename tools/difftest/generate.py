"""Random valid queries from an API schema, with hypothesis-graphql, reproducible by seed.

Custom scalars get short strings (the references and Tandem must agree on what a subgraph
answers for them, not on how to coerce random input); strings are ASCII.
"""

from __future__ import annotations

import random

import hypothesis
import hypothesis.strategies as st
from graphql import GraphQLScalarType, GraphQLSchema, parse, validate
from hypothesis_graphql import nodes, queries

__all__ = ["generate_queries"]

_BUILT_IN = {"String", "Int", "Float", "Boolean", "ID"}


def generate_queries(schema: GraphQLSchema, count: int, seed: int) -> list[str]:
    """``count`` distinct valid queries (fewer if the schema is too small to have them)."""
    custom = {
        name: st.sampled_from(["1", "a", "2020-01-01T00:00:00Z"]).map(nodes.String)
        for name, gql_type in schema.type_map.items()
        if isinstance(gql_type, GraphQLScalarType)
        and name not in _BUILT_IN
        and not name.startswith("__")
    }
    strategy = queries(schema, custom_scalars=custom, allow_x00=False, codec="ascii")
    found: list[str] = []
    seen: set[str] = set()

    @hypothesis.settings(
        max_examples=count * 3,
        database=None,
        deadline=None,
        derandomize=False,
        suppress_health_check=list(hypothesis.HealthCheck),
        phases=[hypothesis.Phase.generate],
    )
    @hypothesis.seed(seed)
    @hypothesis.given(strategy)
    def collect(query: str) -> None:
        if len(found) < count and query not in seen:
            seen.add(query)
            if not validate(schema, parse(query)):
                found.append(query)

    collect()
    random.Random(seed).shuffle(found)
    return found
