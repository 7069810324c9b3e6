"""GraphQL types of the OA subgraph, one module per area; built from store rows."""

__all__: list[str] = []
