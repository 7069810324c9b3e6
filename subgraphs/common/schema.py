"""The federation schema factory both subgraphs use: Federation 2.9, offset datetimes, masking."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Final

from graphql import GraphQLError
from strawberry.extensions import SchemaExtension
from strawberry.federation import Schema
from strawberry.schema.config import StrawberryConfig
from strawberry.types import ExecutionContext

from subgraphs.common.audit_graphql import AuditContextExtension
from subgraphs.common.errors import MaskInternalErrors
from subgraphs.common.timestamps import SCALAR_MAP

__all__ = ["FEDERATION_VERSION", "SubgraphSchema", "create_schema"]

FEDERATION_VERSION: Final = "2.9"
"""The Federation spec version the subgraphs link (the newest the composer in tools/ knows)."""


class SubgraphSchema(Schema):
    """A federation schema that leaves error logging to :class:`MaskInternalErrors`.

    Strawberry logs every error with its traceback, expected ones (``NOT_FOUND``) included;
    here only unexpected errors are logged, once, by the masking extension.
    """

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        return None


def create_schema(
    *,
    query: type,
    mutation: type | None = None,
    subscription: type | None = None,
    types: Iterable[type] = (),
    extensions: Iterable[type[SchemaExtension] | Callable[[], SchemaExtension]] = (),
) -> SubgraphSchema:
    """A Federation 2 schema: unexpected errors masked, ``datetime`` always with an offset,
    changes recorded in the audit trail as the operation's principal's."""
    return SubgraphSchema(
        query=query,
        mutation=mutation,
        subscription=subscription,
        types=list(types),
        extensions=[MaskInternalErrors, AuditContextExtension, *extensions],
        config=StrawberryConfig(scalar_map=dict(SCALAR_MAP)),
        federation_version=FEDERATION_VERSION,
    )
