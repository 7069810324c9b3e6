"""The ERP's persistence and business rules: SQLAlchemy models and async store functions.

Every function takes an ``AsyncSession`` inside the caller's transaction and never commits;
rule violations raise the coded errors of :mod:`subgraphs.common.errors`.
"""

__all__: list[str] = []
