"""The procurement subgraph (ERP side): suppliers and purchase orders."""

from subgraphs.demo.asgi import make_app
from subgraphs.demo.procurement.schema import schema

__all__ = ["app", "schema"]

app = make_app(schema)
