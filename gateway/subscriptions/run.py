"""A federated subscription's events, each completed by the query plan.

The plan of a subscription starts with one fetch of kind ``subscription`` to the subgraph
that owns the root field; the rest of the plan (entity fetches to other subgraphs) is a
query's. That first fetch becomes an upstream subscription (``upstream.py``; shared by the same
caller's identical subscriptions, ``sharing.py``, and those of other replicas through Redis,
``fanout.py``, resumed after its last event by a replica taking it over, ``resume.py``), and
each of its events is completed by the rest of the plan exactly as a query's answer is
(:meth:`gateway.pipeline.Gateway.complete_events`: fetch, merge, shape, protect); events that
arrive together are completed together, their entity fetches joined (``batching.py``).

Authorization applies to every event, not once at the start: before each event the operation
is authorized again (a cached look-up while the policy stands), so a policy change reaches a
running subscription at its next event, planned under the new decision. When the change
alters what must be asked of the owning subgraph itself (the root field, or its own fields,
now denied or newly granted), the running upstream subscription asks for something else, so
the subscription ends with ``SUBSCRIPTION_POLICY_CHANGED`` and the client subscribes again.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Callable, Mapping
from typing import TYPE_CHECKING, Any

import orjson

from tandem_shared.tokens import Principal

from ..executor.transport import SubgraphError
from ..planner.plan import FetchNode, QueryPlan, SequenceNode
from .fanout import channel_name
from .resume import resumption
from .upstream import subscribe_upstream

if TYPE_CHECKING:
    from ..pipeline import Gateway, PreparedOperation

__all__ = ["completed_events", "event_at_root", "one_result", "subscription_fetch"]

POLICY_CHANGED = "SUBSCRIPTION_POLICY_CHANGED"


def subscription_fetch(plan: QueryPlan) -> FetchNode | None:
    """The plan's fetch of kind ``subscription`` (its first), or None (the root denied)."""
    node = plan.node
    if isinstance(node, SequenceNode) and node.nodes:
        node = node.nodes[0]
    if isinstance(node, FetchNode) and node.operation_kind == "subscription":
        return node
    return None


def event_at_root(event: Mapping[str, Any], root: FetchNode) -> dict[str, Any]:
    """``event`` with its path-less errors at the root field, when the field has no value.

    A subscription has one root field (GraphQL spec, 5.2.3.1 Single root field), so an event
    with no value for it and errors without a path is that field's failure: what a subgraph
    sends when its resolver refuses before the first event (OA's ``NOT_FOUND`` for a request
    the subscriber may not see). Placed at the field, the error explains its null, which
    propagates as GraphQL says, and the shaper adds no ``INVALID_SUBGRAPH_RESPONSE``. A
    query's root fetch is left as it is: it may answer several root fields, and a path-less
    error names none of them."""
    errors = event.get("errors")
    if len(root.root_keys) != 1 or not isinstance(errors, list) or not errors:
        return dict(event)
    (key,) = root.root_keys
    data = event.get("data")
    if isinstance(data, dict) and data.get(key) is not None:
        return dict(event)
    placed = [
        {**error, "path": [key]}
        if isinstance(error, dict) and not isinstance(error.get("path"), list)
        else error
        for error in errors
    ]
    return {**event, "errors": placed}


async def one_result(result: dict[str, Any]) -> AsyncGenerator[dict[str, Any], None]:
    """A query's or mutation's result as a stream of one."""
    yield result


async def completed_events(
    gateway: Gateway,
    prepare: Callable[[], PreparedOperation],
    values: Mapping[str, Any],
    principal: Principal | None,
) -> AsyncGenerator[dict[str, Any], None]:
    """The subscription's results: one per upstream event, then a last one with a coded error
    if the upstream subscription failed."""
    prepared = prepare()
    root = subscription_fetch(prepared.plan)
    if root is None:  # nothing may be subscribed to: the decision's errors, once
        (result,) = await gateway.complete_events(prepared, values, principal, [{}])
        yield result
        return
    variables = {name: values[name] for name in root.variable_usages if name in values}
    url = gateway.executor.urls[root.service_name]

    # a replica taking the shared subscription over asks for it after the last event published
    # (resume.py); its name and sharing key stay the plan's operation and variables
    resumes = resumption(gateway.supergraph.schema, root.operation) if gateway.fanout else None

    def open_upstream(after: str | None = None) -> AsyncGenerator[dict[str, Any], None]:
        operation = resumes.after(after) if resumes is not None and after else root.operation
        return subscribe_upstream(
            root.service_name,
            url,
            operation,
            variables or None,
            gateway.upstream_authorization(principal, root.service_name),
            ssl_context=getattr(gateway.transport, "ssl_context", None),
            turns=gateway.openings.of(root.service_name),
        )

    # the same caller's identical subscriptions share one (sharing.py), across replicas
    # through Redis when several run (fanout.py)
    key = (url, root.operation, orjson.dumps(variables, option=orjson.OPT_SORT_KEYS), principal)
    fanout = gateway.fanout
    name = channel_name(url, root.operation, variables, principal) if fanout else ""

    def opener() -> AsyncGenerator[dict[str, Any], None]:
        if fanout is None:
            return open_upstream()
        return fanout.events(name, open_upstream, resumes.cursor if resumes else None)

    events = gateway.upstreams.events(key, opener)
    try:
        async for arrived in events:
            current = prepare()  # the policy in force now decides these events
            if subscription_fetch(current.plan) != root:
                yield _ended(
                    "the access policy changed what this subscription may receive: subscribe again",
                    POLICY_CHANGED,
                )
                return
            for result in await gateway.complete_events(current, values, principal, arrived):
                yield result
    except SubgraphError as error:
        yield _ended(error.message, error.code, error.service_name)
    finally:
        await events.aclose()


def _ended(message: str, code: str, service_name: str | None = None) -> dict[str, Any]:
    extensions: dict[str, Any] = {"code": code}
    if service_name is not None:
        extensions["serviceName"] = service_name
    return {"data": None, "errors": [{"message": message, "extensions": extensions}]}
