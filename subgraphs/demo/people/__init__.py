"""The people subgraph (OA side): employees and departments."""

from subgraphs.demo.asgi import make_app
from subgraphs.demo.people.schema import schema

__all__ = ["app", "schema"]

app = make_app(schema)
