"""Root fields of the OA subgraph, one module per area: arguments in, store call, type out."""

__all__: list[str] = []
