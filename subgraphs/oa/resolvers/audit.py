"""``oaAuditTrail``: the OA's audit trail, for auditors (:mod:`subgraphs.common.audit_graphql`)."""

from __future__ import annotations

import strawberry

from subgraphs.common.audit_graphql import AuditRecord, audit_trail_resolver
from subgraphs.common.pagination import Connection
from subgraphs.oa.store.models import audit_log

__all__ = ["AuditQuery"]


@strawberry.type
class AuditQuery:
    oa_audit_trail: Connection[AuditRecord] = strawberry.field(
        resolver=audit_trail_resolver(audit_log),
        description="Every change to OA data, newest first (auditors and security admins).",
    )
