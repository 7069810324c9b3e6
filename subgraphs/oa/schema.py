"""The OA subgraph's schema: the areas' root fields merged, built by the common factory."""

from __future__ import annotations

from strawberry.tools import merge_types

from subgraphs.common.schema import SubgraphSchema, create_schema
from subgraphs.common.standing import refuse_deactivated
from subgraphs.oa.resolvers.analytics import AnalyticsQuery
from subgraphs.oa.resolvers.approvals import ApprovalsMutation, ApprovalsQuery
from subgraphs.oa.resolvers.audit import AuditQuery
from subgraphs.oa.resolvers.documents import DocumentsMutation, DocumentsQuery
from subgraphs.oa.resolvers.identity import IdentityMutation, IdentityQuery
from subgraphs.oa.resolvers.live import LiveSubscription
from subgraphs.oa.resolvers.meetings import MeetingsMutation, MeetingsQuery
from subgraphs.oa.resolvers.messages import MessagesMutation, MessagesQuery
from subgraphs.oa.resolvers.people import PeopleQuery
from subgraphs.oa.resolvers.people_upkeep import PeopleMutation
from subgraphs.oa.standing import is_deactivated
from subgraphs.oa.types.approvals import ApprovalRequest
from subgraphs.oa.types.people import Department, Employee

__all__ = ["Mutation", "Query", "Subscription", "schema"]

Query = merge_types(
    "Query",
    (
        PeopleQuery,
        MessagesQuery,
        DocumentsQuery,
        ApprovalsQuery,
        AnalyticsQuery,
        MeetingsQuery,
        IdentityQuery,
        AuditQuery,
    ),
)
Mutation = merge_types(
    "Mutation",
    (
        MessagesMutation,
        DocumentsMutation,
        ApprovalsMutation,
        MeetingsMutation,
        IdentityMutation,
        PeopleMutation,
    ),
)

Subscription = merge_types("Subscription", (LiveSubscription,))

schema: SubgraphSchema = create_schema(
    query=Query,
    mutation=Mutation,
    subscription=Subscription,
    types=[Employee, Department, ApprovalRequest],
    extensions=[refuse_deactivated(is_deactivated)],
)
