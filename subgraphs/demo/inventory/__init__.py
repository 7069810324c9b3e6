"""The inventory subgraph (ERP side): items and their stock."""

from subgraphs.demo.asgi import make_app
from subgraphs.demo.inventory.schema import schema

__all__ = ["app", "schema"]

app = make_app(schema)
