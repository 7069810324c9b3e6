"""The ERP's GraphQL API: strawberry types and thin resolvers, one module per area."""

__all__: list[str] = []
