"""The request pipeline, in the order a request goes through it.

parse -> validate -> identify (the caller's principal, from the HTTP layer) -> cost -> authorize
-> plan -> execute -> protect -> respond.

- *parse*, *validate*: :meth:`Gateway.document` (against the schema the caller may see, within
  their limits), then the operation and its variables;
- *cost*: the operation's estimated cost (``demand/``), refused over its maximum or the
  caller's budget before anything is planned or fetched; its actual cost is measured from the
  response;
- *authorize*: :meth:`Gateway.authorize`, ONE decision value per operation, caller and policy
  version (``authz/decision.py``, one walk in ``authz/authorizer.py``): what is denied,
  decided per object by a relation, plaintext or masked; a mutation whose result that
  decision would hide is refused here, before it runs;
- *plan*: from the decision's filtered selections (cached per operation and decision);
- *execute*: the plan's fetches, merged;
- *protect*, *respond*: the client's selections projected from the merged data
  (``executor/shape.py``), each field the decision guards given its value per object by the
  request's protect phase (``authz/protect.py``: conditional denials, masks, decryption), the
  plaintexts' audit written before the response leaves.

Parsing is cached per document text, validation per document and the schema the caller may
see (``caller_validation.py``), plans per document, operation name and the values of the
variables ``@skip``/``@include`` read; a request with a document seen before costs a few
dictionary look-ups before its fetches go out.
"""

from __future__ import annotations

import asyncio
import copy
from collections import Counter
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from graphql import (
    DocumentNode,
    ExecutionResult,
    GraphQLError,
    OperationDefinitionNode,
    experimental_execute_incrementally,
    print_ast,
    specified_rules,
)
from graphql.execution.values import get_variable_values
from graphql.language import (
    REMOVE,
    DirectiveNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    SelectionSetNode,
    Visitor,
    visit,
)
from graphql.utilities import value_from_ast_untyped

from tandem_shared.tokens import Principal

from .auth.subgraph_tokens import SubgraphTokens
from .authz.authorizer import Authorization, Authorizer
from .authz.decision import OperationDecision
from .authz.protect import Protect
from .authz.protection import DenyAll, Protector
from .authz.side_effects import refuse_hidden_mutation
from .authz.visibility import SchemaVisibility
from .caching import BoundedCache
from .caller_validation import CallerValidation
from .crypto.runtime import FieldCrypto
from .demand import CostSchema, DemandControl, DemandSettings, Estimate
from .encrypted_inputs import plaintext_variables_rule
from .errors import OperationError, TandemError
from .executor.execute import DEFAULT_DEADLINE, HeadersFor, PlanExecutor, Send
from .executor.incremental import (
    DeferredPart,
    entries,
    fragment_keys,
    merge_entries,
    towards,
    without_deferred,
)
from .executor.leaves import subgraph_owners
from .executor.shape import Shaper
from .executor.transport import AiohttpTransport, SubgraphRequest, Transport
from .headers import HeaderRules
from .limits import CallerLimits, DocumentCost, bounded_rules
from .operation import NormalizedOperation, condition_variables, normalize_operation
from .planner.build import build_query_plan
from .planner.capabilities import Capabilities
from .planner.overrides import OverrideLabels
from .planner.plan import QueryPlan
from .subscriptions.batching import EntityBatcher
from .subscriptions.fanout import Fanout
from .subscriptions.run import completed_events, event_at_root, one_result, subscription_fetch
from .subscriptions.sharing import SharedUpstreams
from .subscriptions.upstream import Openings
from .supergraph import Supergraph
from .telemetry.observation import observation
from .uploads.forward import FileTransport
from .uploads.plan import upload_fetch
from .uploads.receive import UploadRequest
from .validation import GATEWAY_RULES

__all__ = ["Gateway", "PreparedOperation"]

# estimated bytes a cached entry holds (measured with tracemalloc; benchmarks/attacks.py)
DOCUMENT_BYTES_PER_CHAR = 40
NORMALIZED_BYTES_PER_FIELD = 1_000
PLAN_BYTES_PER_FIELD = 2_000
USAGE_KEPT = 1000
"""Operations whose use is counted for a reload's planning ahead (twice as many at most)."""


@dataclass(frozen=True)
class _Document:
    document: DocumentNode
    fragments: Mapping[str, FragmentDefinitionNode]
    operations: Mapping[str | None, OperationDefinitionNode]
    # operation name -> the variables its @skip/@include read (found once per document)
    conditions: dict[str | None, tuple[str, ...]] = field(default_factory=dict)
    cost: DocumentCost = field(default_factory=DocumentCost)  # checked on every use


@dataclass(frozen=True)
class PreparedOperation:
    """A validated operation with its plan and shaper, reusable across requests."""

    kind: str
    plan: QueryPlan
    shaper: Shaper
    introspection: DocumentNode | None
    guarded: bool = False  # whether the protect phase has anything to do
    deferred: tuple[DeferredPart, ...] = ()  # @defer fragments the plan delivers later


class Gateway:
    """Plans and executes client operations against one supergraph."""

    def __init__(
        self,
        supergraph: Supergraph,
        *,
        transport: Transport | None = None,
        cache_size: int = 1000,
        subgraph_urls: Mapping[str, str] | None = None,
        tokens: SubgraphTokens | None = None,
        authorizer: Authorizer | None = None,
        visibility: SchemaVisibility | None = None,
        crypto: FieldCrypto | None = None,
        request_deadline: float = DEFAULT_DEADLINE,
        shared_subgraphs: Callable[[str], bool] | None = None,
        header_rules: HeaderRules | None = None,
        suggestions: bool = True,
        limits: CallerLimits | None = None,
        cache_bytes: int = 64 * 2**20,
        demand: DemandControl | None = None,
        fanout: Fanout | None = None,
    ) -> None:
        self.supergraph = supergraph
        # operation costs (gateway/demand/): estimated, refused or charged before execution
        self.demand = demand or DemandControl(
            CostSchema.of(supergraph.schema), DemandSettings(mode="off")
        )
        self.tokens = tokens
        self._usage: Counter[tuple[Any, ...]] = Counter()  # operations served (most_used)
        self.header_rules = header_rules or HeaderRules()  # client headers passed on
        self.authorizer = authorizer
        self.visibility = visibility
        # encrypted fields: decided when authorizing, revealed when protecting; without keys,
        # withheld
        self.crypto = crypto if crypto is not None else FieldCrypto.closed(supergraph)
        self.protector = (
            Protector(
                supergraph.api_schema,
                self.crypto.fields,
                self.crypto.enforcer if self.crypto.enforcer is not None else DenyAll(),
            )
            if self.crypto is not None
            else None
        )
        self.authorization = Authorization(supergraph.api_schema, authorizer, self.protector)
        self.limits = limits if limits is not None else CallerLimits()
        self.rules = [
            *specified_rules,
            *GATEWAY_RULES,
            *(
                (plaintext_variables_rule(self.crypto.fields),)
                if self.crypto is not None and self.crypto.fields
                else ()
            ),
        ]
        # the spec's rules with the field-merging rule's work bounded by the caller's limit
        self.rules_for = {
            signed_in: bounded_rules(self.rules, self.limits.of(signed_in))
            for signed_in in (True, False)
        }
        self.schema = supergraph.api_schema
        self.validation = CallerValidation(self.schema, visibility, suggestions=suggestions)
        self.capabilities = Capabilities(supergraph)
        self.override_labels = OverrideLabels.of(supergraph)
        # one per set of active override labels (the supergraph's labels bound how many)
        self._capabilities = {frozenset[str](): self.capabilities}
        self.hidden_types = supergraph.hidden_names
        self.transport = transport or AiohttpTransport()
        # uploads forwarded to subgraphs, files downloaded from them (gateway/uploads)
        self.files = FileTransport(ssl_context=getattr(self.transport, "ssl_context", None))
        urls = {graph.name: graph.url for graph in supergraph.graphs.values()}
        urls.update(subgraph_urls or {})
        object_types = frozenset(
            name for name, meta in supergraph.types.items() if meta.kind == "object"
        )
        self.executor = PlanExecutor(
            self.transport,
            urls,
            object_types,
            deadline=request_deadline,
            cache_size=cache_size,
            shared_subgraphs=shared_subgraphs,
        )
        self.owners = subgraph_owners(supergraph)  # names a subgraph in INVALID_SUBGRAPH_RESPONSE
        self.upstreams = SharedUpstreams()  # subscriptions to subgraphs (gateway/subscriptions)
        self.openings = Openings()  # ... opened a few at a time per subgraph (upstream.py)
        # their events' entity fetches, joined per caller and signed as sent (batching.py)
        self.entity_batcher = EntityBatcher(
            self.transport.send, lambda principal: self._subgraph_headers(principal, None)
        )
        self.fanout = fanout  # ... shared by replicas through Redis (subscriptions/fanout.py)
        # bounded in entries and in estimated bytes: documents a quarter, plans the rest
        self._documents: BoundedCache[str, _Document] = BoundedCache(cache_size, cache_bytes // 4)
        self._normalized: BoundedCache[tuple[Any, ...], NormalizedOperation] = BoundedCache(
            cache_size, cache_bytes * 3 // 8
        )
        self._prepared: BoundedCache[tuple[Any, ...], PreparedOperation] = BoundedCache(
            cache_size, cache_bytes * 3 // 8
        )

    async def close(self) -> None:
        await self.transport.close()
        await self.files.close()
        await self.demand.close()

    # -- phases ------------------------------------------------------------------------------

    def document(self, query: str, principal: Principal | None = None) -> _Document:
        """Parse and validate ``query`` against the API schema (cached), within the caller's
        limits (:mod:`gateway.limits`): measured before validation, checked on every use."""
        limits = self.limits.of(principal is not None)
        cached = self._documents.get(query)
        observation().document_cached = cached is not None
        if cached is not None:
            limits.check(cached.cost, principal is not None)
            self._validate(query, cached.document, principal)
            return cached
        try:
            document, cost = limits.admit(query, principal is not None)
        except GraphQLError as error:
            raise OperationError(
                error.message, code="GRAPHQL_PARSE_FAILED", extensions=_locations(error)
            ) from None
        self._validate(query, document, principal)
        fragments = {}
        operations: dict[str | None, OperationDefinitionNode] = {}
        for definition in document.definitions:
            if isinstance(definition, FragmentDefinitionNode):
                fragments[definition.name.value] = definition
            elif isinstance(definition, OperationDefinitionNode):
                operations[definition.name.value if definition.name else None] = definition
        return self._documents.put(
            query,
            _Document(document, fragments, operations, cost=cost),
            len(query) * DOCUMENT_BYTES_PER_CHAR,
        )

    def _validate(self, query: str, document: DocumentNode, principal: Principal | None) -> None:
        """Validate against the schema ``principal`` may see (``caller_validation.py``): a
        hidden element fails like a nonexistent one; outcomes cached per visible schema."""
        rules = self.rules_for[principal is not None]
        errors = list(self.validation.errors(query, document, principal, rules))
        self.limits.of(principal is not None).check_validation(errors)
        if errors:
            raise OperationError(
                errors[0].message,
                extensions={
                    **_locations(errors[0]),
                    "errors": [e.message for e in errors[1:10]] or None,
                }
                if len(errors) > 1
                else _locations(errors[0]),
            )

    def operation(self, parsed: _Document, operation_name: str | None) -> OperationDefinitionNode:
        if operation_name is None:
            if len(parsed.operations) != 1:
                raise OperationError(
                    "the document has several operations: say which with operationName",
                    code="OPERATION_NAME_REQUIRED",
                )
            return next(iter(parsed.operations.values()))
        operation = parsed.operations.get(operation_name)
        if operation is None:
            raise OperationError(
                f"unknown operation named {operation_name!r}", code="OPERATION_NOT_FOUND"
            )
        return operation

    def coerce_variables(
        self, operation: OperationDefinitionNode, variables: Mapping[str, Any] | None
    ) -> dict[str, Any]:
        """Validate variables; return the values to send (defaults filled in, raw JSON)."""
        definitions = operation.variable_definitions or ()
        result = get_variable_values(self.schema, definitions, dict(variables or {}))
        if isinstance(result, list):
            raise OperationError(result[0].message, code="BAD_USER_INPUT")
        values = dict(variables or {})
        for definition in definitions:
            name = definition.variable.name.value
            if name not in values and definition.default_value is not None:
                values[name] = value_from_ast_untyped(definition.default_value)
        return values

    def prepare(
        self,
        query: str,
        parsed: _Document,
        operation: OperationDefinitionNode,
        variables: Mapping[str, Any],
        principal: Principal | None = None,
        labels: frozenset[str] = frozenset(),
        defer: bool = False,
    ) -> PreparedOperation:
        """The plan and shaper of ``operation`` for ``principal`` under the active override
        ``labels`` (cached); ``defer``: its ``@defer`` fragments planned as deferred fetches
        (a client that reads incremental responses), else ordinary ones."""
        base_key, base = self.normalized(query, parsed, operation, variables)
        self._count_use((base_key, principal, labels))
        observed = observation()
        with observed.phase("graphql.authorize"):
            decision = self.authorize(base, principal)
            if base.kind == "mutation":  # nothing runs whose result a denial would hide
                refuse_hidden_mutation(self.schema, decision, base.root_type)
        cache_key = (base_key, decision.signature, labels, defer)
        prepared = self._prepared.get(cache_key)
        observed.plan_cached = prepared is not None
        if prepared is not None:
            observed.phase("graphql.plan", {"tandem.plan.cache_hit": True}).end()
            return prepared
        planning = observed.phase("graphql.plan", {"tandem.plan.cache_hit": False})
        plan = build_query_plan(
            self.supergraph,
            base.kind,
            decision.selections,
            base.variable_types,
            capabilities=self._capabilities_for(labels),
            defer=defer,
        )
        guarded = decision.guarded

        def shaper(selections: tuple[Any, ...]) -> Shaper:
            return Shaper(
                self.schema,
                selections,
                base.root_type,
                self.hidden_types,
                guards=decision if guarded else None,
                owners=self.owners,
            )

        # with @defer: the first response without the deferred fragments, each part only its own
        ids = frozenset(node.id for node in plan.deferred)
        prepared = PreparedOperation(
            kind=base.kind,
            plan=plan,
            shaper=shaper(without_deferred(decision.client, ids) if ids else decision.client),
            introspection=base.introspection,
            guarded=guarded,
            deferred=tuple(
                DeferredPart(
                    node,
                    fragment_keys(self.schema, decision.client, node.id, node.type_name),
                    shaper(towards(decision.client, node.id)),
                )
                for node in plan.deferred
            ),
        )
        planning.end()
        return self._prepared.put(
            cache_key, prepared, parsed.cost.fields * PLAN_BYTES_PER_FIELD + len(query)
        )

    def _count_use(self, key: tuple[Any, ...]) -> None:
        """Count one use of an operation (for a caller, under override labels), so a reload
        can plan the most used ones ahead (``reload.py``); the count is bounded."""
        usage = self._usage
        usage[key] += 1
        if len(usage) > USAGE_KEPT * 2:
            self._usage = Counter(dict(usage.most_common(USAGE_KEPT)))

    def most_used(self, count: int) -> list[tuple[Any, ...]]:
        """The ``count`` operations used most (each with its caller and labels)."""
        return [key for key, _ in self._usage.most_common(count)]

    def warm(self, usage: tuple[Any, ...]) -> bool:
        """Plan one of another gateway's :meth:`most_used` operations here, for its caller;
        False when this schema does not admit it."""
        (query, name, conditions), principal, labels = usage
        try:
            parsed = self.document(query, principal)
            operation = self.operation(parsed, name)
            names = parsed.conditions.get(name)
            if names is None:
                names = parsed.conditions[name] = condition_variables(operation, parsed.fragments)
            self.prepare(query, parsed, operation, dict(zip(names, conditions, strict=True)),
                         principal, labels)  # fmt: skip
        except (TandemError, GraphQLError, ValueError):
            return False
        return True

    def normalized(
        self,
        query: str,
        parsed: _Document,
        operation: OperationDefinitionNode,
        variables: Mapping[str, Any],
    ) -> tuple[tuple[Any, ...], NormalizedOperation]:
        """``operation`` normalized with the values of the variables its ``@skip``/``@include``
        read, and the key it is cached under."""
        name = operation.name.value if operation.name else None
        conditions = parsed.conditions.get(name)
        if conditions is None:
            conditions = condition_variables(operation, parsed.fragments)
            parsed.conditions[name] = conditions
        base_key = (query, name, tuple(bool(variables.get(v)) for v in conditions))
        base = self._normalized.get(base_key)
        if base is None:
            base = self._normalized.put(
                base_key,
                self._normalize(parsed, operation, variables),
                parsed.cost.fields * NORMALIZED_BYTES_PER_FIELD + len(query),
            )
        return base_key, base

    def _capabilities_for(self, labels: frozenset[str]) -> Capabilities:
        capabilities = self._capabilities.get(labels)
        if capabilities is None:
            capabilities = self._capabilities[labels] = Capabilities(self.supergraph, labels)
        return capabilities

    def authorize(
        self, operation: NormalizedOperation, principal: Principal | None
    ) -> OperationDecision:
        """The authorize phase: what ``principal`` may have of ``operation`` under the current
        policy, as one value (cached per operation, caller and policy version)."""
        return self.authorization.decide(operation, principal)

    def _normalize(
        self,
        parsed: _Document,
        operation: OperationDefinitionNode,
        variables: Mapping[str, Any],
    ) -> NormalizedOperation:
        kind = operation.operation.value
        return NormalizedOperation(
            kind=kind,
            selections=normalize_operation(operation, parsed.fragments, variables),
            root_type={
                "query": self.supergraph.query_type,
                "mutation": self.supergraph.mutation_type,
                "subscription": self.supergraph.subscription_type,
            }.get(kind)
            or self.supergraph.query_type,
            variable_types={
                d.variable.name.value: print_ast(d.type)
                + (f" = {print_ast(d.default_value)}" if d.default_value is not None else "")
                for d in operation.variable_definitions or ()
            },
            introspection=_introspection_document(parsed, operation),
        )

    # -- the whole request -------------------------------------------------------------------

    async def execute(
        self,
        query: str,
        variables: Mapping[str, Any] | None = None,
        operation_name: str | None = None,
        *,
        principal: Principal | None = None,
        allowed_kinds: tuple[str, ...] = ("query", "mutation"),
        override_labels: Iterable[str] = (),
        client_headers: Mapping[str, str] | None = None,
        uploads: UploadRequest | None = None,
    ) -> dict[str, Any]:
        """Run one GraphQL request; raises :class:`TandemError` for request-level failures.

        ``override_labels``: the progressive-override labels the request names;
        ``client_headers``: the request's headers, for the header propagation rules;
        ``uploads``: the files of a multipart request, forwarded with the one fetch that
        takes them (``gateway/uploads``). ``@defer`` fragments are answered with the rest
        (a client that reads incremental responses: :meth:`execute_incrementally`)."""
        answer = await self._run(
            query, variables, operation_name, principal, allowed_kinds, override_labels,
            client_headers, uploads, defer=False,
        )  # fmt: skip
        assert isinstance(answer, dict)
        return answer

    async def execute_incrementally(
        self,
        query: str,
        variables: Mapping[str, Any] | None = None,
        operation_name: str | None = None,
        *,
        principal: Principal | None = None,
        allowed_kinds: tuple[str, ...] = ("query", "mutation"),
        override_labels: Iterable[str] = (),
        client_headers: Mapping[str, str] | None = None,
    ) -> dict[str, Any] | AsyncIterator[dict[str, Any]]:
        """Run one GraphQL request for a client that reads incremental responses: a query
        whose plan defers fragments (``@defer``) gives its results one by one
        (``executor/incremental.py``: the first, then a part per deferred fragment, the last
        with ``hasNext: false``); any other request its one answer, as :meth:`execute`."""
        return await self._run(
            query, variables, operation_name, principal, allowed_kinds, override_labels,
            client_headers, None, defer=True,
        )  # fmt: skip

    async def _run(
        self,
        query: str,
        variables: Mapping[str, Any] | None,
        operation_name: str | None,
        principal: Principal | None,
        allowed_kinds: tuple[str, ...],
        override_labels: Iterable[str],
        client_headers: Mapping[str, str] | None,
        uploads: UploadRequest | None,
        *,
        defer: bool,
    ) -> dict[str, Any] | AsyncIterator[dict[str, Any]]:
        if self.visibility is not None and not self.visibility.ready(principal):
            # a new role set's schema takes the policy seconds to decide: not on the loop
            await asyncio.to_thread(self.visibility.schema_for, principal)
        # parse, validate (identify was the HTTP layer's: ``principal``)
        observed = observation()  # notes for telemetry (gateway/telemetry/observation.py)
        with observed.phase("graphql.parse"):
            parsed = self.document(query, principal)
            operation = self.operation(parsed, operation_name)
        kind = operation.operation.value
        observed.identify(query, operation.name.value if operation.name else None, kind)
        if kind not in allowed_kinds:
            raise OperationError(
                f"{kind} operations are not allowed here",
                code="OPERATION_NOT_ALLOWED",
                status=405,
            )
        values = self.coerce_variables(operation, variables)
        labels = self.override_labels.decide(override_labels)
        # demand control: over its maximum or the caller's budget, refused before it runs
        cost = None
        if self.demand.active:
            _, base = self.normalized(query, parsed, operation, values)
            cost = await self.demand.admit(self.demand.estimate(base, values), principal)
            observed.cost = cost  # its estimate, and what measure mode would have refused
        # authorize, plan (each cached)
        prepared = self.prepare(
            query, parsed, operation, values, principal, labels, defer=defer and kind == "query"
        )
        # execute
        propagated = (
            self.header_rules.for_request(client_headers)
            if self.header_rules and client_headers is not None
            else None
        )
        if prepared.deferred:
            measured = base if cost is not None else None  # demand control's, when active
            return self._incremental(prepared, values, principal, propagated, cost, measured)
        data, errors = await self.executor.execute(
            prepared.plan,
            values,
            self._subgraph_headers(principal, propagated),
            shared=kind == "query",
            # requests share calls only when all they carry is equal: identity and headers
            caller=(principal, _frozen(propagated)) if propagated else principal,
            send=self._upload_sender(prepared, uploads, principal, _types(operation))
            if uploads
            else None,
        )
        introspection = None
        if prepared.introspection is not None:
            schema = self.visibility.schema_for(principal) if self.visibility else self.schema
            # the schema declares @defer: graphql-core runs it only as its experimental
            # executor (the document has no @defer: one result)
            result = experimental_execute_incrementally(
                schema, prepared.introspection, variable_values=values
            )
            assert isinstance(result, ExecutionResult)  # introspection resolvers are sync
            introspection = result.data or {}
            errors.extend(dict(e.formatted) for e in result.errors or ())
        # protect: the decision's guarded fields get their value per object (conditional
        # denials, masks, decryption) as the client's selections are projected from the data
        protect = self._protect(principal) if prepared.guarded else None
        with observed.phase("graphql.protect"):
            shaped = prepared.shaper.shape(data, errors, introspection, protect)
            if protect is not None:
                if protect.reader is not None and protect.reader.records:
                    observed.decryptions = [read.coordinate for read in protect.reader.records]
                await protect.flush()  # the plaintexts' audit records, before the response leaves
        # respond
        response: dict[str, Any] = {"data": shaped}
        if errors:
            response["errors"] = errors
        if cost is not None:  # the actual cost, for metrics (and the client, if exposed)
            cost = self.demand.measure(cost, base, values, shaped)
            if self.demand.settings.expose:
                response["extensions"] = {"cost": cost.extension()}
        return response

    async def _incremental(
        self,
        prepared: PreparedOperation,
        values: dict[str, Any],
        principal: Principal | None,
        propagated: Mapping[str, Mapping[str, str]] | None,
        cost: Any,
        base: NormalizedOperation | None,
    ) -> AsyncIterator[dict[str, Any]]:
        """The results of a query with deferred fragments: each part projected and protected
        (its own protect phase, its plaintexts' audit written before it leaves) as a whole
        answer is; the measured cost, over everything sent, with the last."""
        runs = self.executor.execute_incrementally(
            prepared.plan,
            values,
            self._subgraph_headers(principal, propagated),
            caller=(principal, _frozen(propagated)) if propagated else principal,
        )
        parts = {part.node.id: part for part in prepared.deferred}
        remaining = len(parts)
        first: dict[str, Any] | None = None
        whole: dict[str, Any] | None = None  # all parts merged, for the measured cost
        sent: list[dict[str, Any]] = []  # errors sent so far (not reported twice)
        introspection = None
        try:
            async for ident, data, errors in runs:
                if ident is None:
                    if prepared.introspection is not None:
                        schema = (
                            self.visibility.schema_for(principal)
                            if self.visibility
                            else self.schema
                        )
                        result = experimental_execute_incrementally(
                            schema, prepared.introspection, variable_values=values
                        )
                        assert isinstance(result, ExecutionResult)
                        introspection = result.data or {}
                        errors.extend(dict(e.formatted) for e in result.errors or ())
                    first = await self._shaped(prepared.shaper, data, errors, introspection,
                                               principal, prepared.guarded)  # fmt: skip
                    sent = list(errors)
                    whole = copy.deepcopy(first) if cost is not None else None
                    response: dict[str, Any] = {"data": first}
                    if errors:
                        response["errors"] = errors
                    response["hasNext"] = True
                    yield response
                    continue
                part = parts[ident]
                known = [*sent, *errors]
                shaped = await self._shaped(part.shaper, data, known, introspection, principal,
                                            prepared.guarded)  # fmt: skip
                own = [*errors, *known[len(sent) + len(errors) :]]
                remaining -= 1
                incremental = entries(part, first, shaped, own)
                merge_entries(whole, incremental)
                response = {"incremental": incremental} if incremental else {}
                response["hasNext"] = remaining > 0
                if remaining == 0 and cost is not None and base is not None:
                    measured = self.demand.measure(cost, base, values, whole)
                    if self.demand.settings.expose:
                        response["extensions"] = {"cost": measured.extension()}
                yield response
        finally:
            await runs.aclose()

    async def _shaped(
        self,
        shaper: Shaper,
        data: Mapping[str, Any],
        errors: list[dict[str, Any]],
        introspection: Mapping[str, Any] | None,
        principal: Principal | None,
        guarded: bool,
    ) -> dict[str, Any] | None:
        """``data`` projected by ``shaper``, guarded fields given their values by a protect
        phase of their own, whose plaintexts' audit is written before this returns."""
        protect = self._protect(principal) if guarded else None
        shaped = shaper.shape(data, errors, introspection, protect)
        if protect is not None:
            await protect.flush()
        return shaped

    async def subscribe(
        self,
        query: str,
        variables: Mapping[str, Any] | None = None,
        operation_name: str | None = None,
        *,
        principal: Principal | None = None,
    ) -> AsyncGenerator[dict[str, Any], None]:
        """The results of one subscription (``gateway/subscriptions``): parsed, validated and
        authorized once here, so that a refusal is raised (:class:`TandemError`) before any
        event; then each event of the owning subgraph completed by the plan. A query or a
        mutation gives its one result."""
        if self.visibility is not None and not self.visibility.ready(principal):
            await asyncio.to_thread(self.visibility.schema_for, principal)
        parsed = self.document(query, principal)
        operation = self.operation(parsed, operation_name)
        if operation.operation.value != "subscription":
            result = await self.execute(query, variables, operation_name, principal=principal)
            return one_result(result)
        values = self.coerce_variables(operation, variables)

        def prepare() -> PreparedOperation:
            return self.prepare(query, parsed, operation, values, principal)

        return completed_events(self, prepare, values, principal)

    async def complete_events(
        self,
        prepared: PreparedOperation,
        values: Mapping[str, Any],
        principal: Principal | None,
        events: Sequence[Mapping[str, Any]],
    ) -> list[dict[str, Any]]:
        """Subscription events completed as a query's answer would be: the plan's
        subscription fetch answered by each event, every other fetch sent (entity fields of
        other subgraphs, joined across the caller's events of a few milliseconds and signed
        once per request sent, ``subscriptions/batching.py``), then shaped
        and protected under ``prepared``'s decision."""
        root = subscription_fetch(prepared.plan)
        send = self.entity_batcher.sender(principal)  # signs what it sends

        async def complete(event: Mapping[str, Any]) -> dict[str, Any]:
            data, errors = await self.executor.execute(
                prepared.plan,
                values,
                shared=True,  # entity fetches of many subscribers' same event share calls
                caller=principal,
                send=send,
                answered=(root, event_at_root(event, root)) if root is not None else None,
            )
            protect = self._protect(principal) if prepared.guarded else None
            shaped = prepared.shaper.shape(data, errors, None, protect)
            if protect is not None:
                await protect.flush()  # the plaintexts' audit records, before the event leaves
            response: dict[str, Any] = {"data": shaped}
            if errors:
                response["errors"] = errors
            return response

        if len(events) == 1:  # the usual case: no task to gather
            return [await complete(events[0])]
        return list(await asyncio.gather(*(complete(event) for event in events)))

    def upstream_authorization(
        self, principal: Principal | None, service_name: str
    ) -> Callable[[bytes], str | None]:
        """The identity token of an upstream subscription's ``subscribe`` payload."""
        tokens = self.tokens

        def authorize(body: bytes) -> str | None:
            if tokens is None or principal is None:
                return None
            return tokens.authorization(principal, service_name, body)

        return authorize

    def _upload_sender(
        self,
        prepared: PreparedOperation,
        uploads: UploadRequest,
        principal: Principal | None,
        variable_types: Mapping[str, str],
    ) -> Send:
        """Sends the fetch that takes the files as a multipart request with them (its token
        bound to the whole body), every other fetch as usual (``gateway/uploads``)."""
        fetch = upload_fetch(prepared.kind, prepared.plan, uploads.variables, variable_types)
        tokens = self.tokens

        def authorization(binding: bytes) -> dict[str, str]:
            if tokens is None or principal is None:
                return {}
            return {"authorization": tokens.authorization(principal, fetch.service_name, binding)}

        async def send(request: SubgraphRequest) -> dict[str, Any]:
            if request.service_name == fetch.service_name and request.query == fetch.operation:
                return await self.files.upload(request, uploads, authorization)
            return await self.transport.send(request)

        return send

    def _protect(self, principal: Principal | None) -> Protect:
        """One request's protect phase, opening encrypted values with the gateway's keys."""
        crypto, authorizer = self.crypto, self.authorizer
        return Protect(
            principal,
            crypto.reader(principal) if crypto is not None else None,
            explain_denials=authorizer.explain if authorizer is not None else False,
            explain_reveals=crypto.explain if crypto is not None else False,
        )

    def _subgraph_headers(
        self, principal: Principal | None, propagated: Mapping[str, Mapping[str, str]] | None
    ) -> HeadersFor | None:
        """Each subgraph request carries a token naming ``principal``, for that subgraph and
        that body, and the client's headers the propagation rules pass on to it."""
        tokens = self.tokens if principal is not None else None
        if tokens is None and not propagated:
            return None

        def headers_for(service_name: str, body: bytes) -> dict[str, str]:
            headers: dict[str, str] = {}
            if propagated:
                headers.update(propagated.get(service_name, propagated["*"]))
            if tokens is not None and principal is not None:
                headers["authorization"] = tokens.authorization(principal, service_name, body)
            return headers

        return headers_for

    def plan(
        self,
        query: str,
        operation_name: str | None = None,
        variables: Mapping[str, Any] | None = None,
        principal: Principal | None = None,
        labels: frozenset[str] = frozenset(),
        defer: bool = False,
    ) -> QueryPlan:
        """The plan ``principal`` would get with these override ``labels`` active (``tandem
        plan``, tests); ``defer``: as for a client that reads incremental responses."""
        parsed = self.document(query, principal)
        operation = self.operation(parsed, operation_name)
        values = self.coerce_variables(operation, variables)
        return self.prepare(query, parsed, operation, values, principal, labels, defer).plan

    def estimate(
        self,
        query: str,
        operation_name: str | None = None,
        variables: Mapping[str, Any] | None = None,
        principal: Principal | None = None,
    ) -> Estimate:
        """The estimated cost of an operation (``tandem plan``, the benchmark, tests)."""
        parsed = self.document(query, principal)
        operation = self.operation(parsed, operation_name)
        values = self.coerce_variables(operation, variables)
        _, base = self.normalized(query, parsed, operation, values)
        return self.demand.estimate(base, values)


def _types(operation: OperationDefinitionNode) -> dict[str, str]:
    """The operation's variables' types, as written (``[Upload!]!``)."""
    return {d.variable.name.value: print_ast(d.type) for d in operation.variable_definitions or ()}


def _frozen(propagated: Mapping[str, Mapping[str, str]]) -> Any:
    """The propagated headers as a hashable value (part of what requests share calls by)."""
    return tuple(sorted((name, tuple(sorted(sent.items()))) for name, sent in propagated.items()))


def _locations(error: GraphQLError) -> dict[str, Any]:
    if not error.locations:
        return {}
    return {"locations": [{"line": loc.line, "column": loc.column} for loc in error.locations]}


def _introspection_document(
    parsed: _Document, operation: OperationDefinitionNode
) -> DocumentNode | None:
    """A document with only the ``__schema``/``__type`` root fields, or None.

    They are looked for through the root's inline fragments and fragment spreads too
    (``{ ...F } fragment F on Query { __type(name: "X") { name } }``): the shaper finds them
    there, so they must be answered there.
    """
    selections: list[FieldNode] = []
    seen: set[str] = set()
    pending = [operation.selection_set]
    while pending:
        for selection in pending.pop().selections:
            if isinstance(selection, FieldNode):
                if selection.name.value in ("__schema", "__type"):
                    selections.append(selection)
            elif isinstance(selection, InlineFragmentNode):
                pending.append(selection.selection_set)
            elif isinstance(selection, FragmentSpreadNode) and selection.name.value not in seen:
                seen.add(selection.name.value)
                fragment = parsed.fragments.get(selection.name.value)
                if fragment is not None:
                    pending.append(fragment.selection_set)
    if not selections:
        return None
    import dataclasses

    reduced = dataclasses.replace(
        operation, selection_set=SelectionSetNode(selections=tuple(selections))
    )
    # answered at once (introspection is the gateway's own): its @defer marks go
    return cast(
        DocumentNode,
        visit(DocumentNode(definitions=(reduced, *parsed.fragments.values())), _NoDefer()),
    )


class _NoDefer(Visitor):
    """Removes ``@defer`` directives from a document."""

    def enter_directive(self, node: DirectiveNode, *_args: Any) -> Any:
        return REMOVE if node.name.value == "defer" else None


_ = TandemError
