"""The ASGI app every demo subgraph serves: GraphQL over HTTP at ``POST /graphql``."""

from starlette.applications import Starlette
from starlette.routing import Route
from strawberry.asgi import GraphQL
from strawberry.federation import Schema

__all__ = ["GRAPHQL_PATH", "make_app"]

GRAPHQL_PATH = "/graphql"


def make_app(schema: Schema) -> Starlette:
    """Wrap ``schema`` in a Starlette app that answers ``POST /graphql`` with JSON."""
    graphql = GraphQL(schema, graphql_ide=None, allow_queries_via_get=False)
    return Starlette(routes=[Route(GRAPHQL_PATH, graphql, methods=["POST"])])
