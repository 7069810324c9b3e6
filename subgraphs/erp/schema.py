"""The ERP subgraph's Federation 2 schema: every area's queries and mutations merged."""

from __future__ import annotations

from strawberry.tools import merge_types

from subgraphs.common.schema import SubgraphSchema, create_schema
from subgraphs.common.standing import refuse_deactivated
from subgraphs.erp.api import (
    audit,
    dashboards,
    entities,
    events_admin,
    finance,
    inventory,
    live,
    procurement,
    production,
    sales,
    standing,
)

__all__ = ["schema"]

Query = merge_types(
    "Query",
    (
        finance.Query,
        procurement.Query,
        inventory.Query,
        sales.Query,
        production.Query,
        audit.Query,
        dashboards.Query,
        events_admin.Query,
    ),
)
Mutation = merge_types(
    "Mutation",
    (
        finance.Mutation,
        procurement.Mutation,
        inventory.Mutation,
        sales.Mutation,
        production.Mutation,
        entities.Mutation,
        events_admin.Mutation,
    ),
)

schema: SubgraphSchema = create_schema(
    query=Query,
    mutation=Mutation,
    subscription=live.Subscription,
    types=[entities.Employee, entities.Department, entities.ApprovalRequest],
    extensions=[refuse_deactivated(standing.is_deactivated)],
)
