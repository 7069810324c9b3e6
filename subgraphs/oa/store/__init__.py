"""The OA store: SQLAlchemy models (``models``), one module of rules and queries per area.

Store functions take an ``AsyncSession`` inside the caller's transaction and plain Python
values; they validate, enforce the area's rules and raise the coded errors of
:mod:`subgraphs.common.errors`. Nothing here knows GraphQL.
"""

__all__: list[str] = []
