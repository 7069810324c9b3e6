"""Run a query plan: send fetches, build ``representations``, merge results, collect errors.

The result is the raw merged data (response keys as the subgraph queries used them) and the
errors with paths rewritten to the client's response; ``shape.py`` then projects the data onto
the client's selection.

Each client request has one deadline (``deadline`` seconds, for the whole plan); each fetch
waits for at most what is left of it, and the transport's per-subgraph timeout caps it
further. A fetch the deadline cuts gives ``GATEWAY_TIMEOUT`` at its paths. A subgraph that
timed out or was unreachable is not asked again within the same request: its later fetches
fail at once with its first error's code, so a hung subgraph costs one timeout per request,
not one per sequential fetch (issue 11).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Awaitable, Callable, Hashable, Mapping
from typing import Any

import orjson

from ..caching import BoundedCache
from ..planner.plan import (
    BatchNode,
    ContextRewrite,
    FetchNode,
    FlattenNode,
    ParallelNode,
    PlanNode,
    QueryPlan,
    RepresentationField,
    RepresentationFragment,
    RepresentationItem,
    SequenceNode,
)
from ..telemetry.observation import observation
from .response import INVALID, entity_list, entity_problem, root_data, subgraph_errors
from .transport import SubgraphError, SubgraphRequest, Transport, encode_payload

__all__ = ["PlanExecutor"]

Path = list[str | int]
HeadersFor = Callable[[str, bytes], Mapping[str, str] | None]
Send = Callable[[SubgraphRequest], Awaitable[dict[str, Any]]]
"""What sends one subgraph request: the transport's ``send``, unless the request says."""
"""Extra headers for a request to a subgraph (its name) with a body (the identity token)."""

DEFAULT_DEADLINE = 30.0
"""Seconds a client request may spend in its plan, all fetches together."""
Builder = Callable[[list[dict[str, Any]]], tuple[list[dict[str, Any]], list[list[dict[str, Any]]]]]
"""One fetch's ``representations`` of some objects (one per entity, in order of first
appearance) and the objects each one stands for."""
_NOT_ASKED_AGAIN = frozenset({"SUBGRAPH_TIMEOUT", "SUBGRAPH_UNAVAILABLE"})
"""Failures that say a subgraph will not answer now: it is not asked again in the request."""


class PlanExecutor:
    """Executes plans against subgraphs through a :class:`Transport`."""

    def __init__(
        self,
        transport: Transport,
        urls: Mapping[str, str],
        object_types: frozenset[str],
        *,
        deadline: float = DEFAULT_DEADLINE,
        cache_size: int = 1000,
        shared_subgraphs: Callable[[str], bool] | None = None,
    ) -> None:
        if not deadline > 0:
            raise ValueError(f"the request deadline must be positive seconds, not {deadline!r}")
        self.transport = transport
        self.urls = urls
        self.object_types = object_types
        self.deadline = deadline
        # whether a subgraph's identical queries in flight at once share one call (in_flight.py)
        self.shared_subgraphs = shared_subgraphs or (lambda name: True)
        # representation builders per fetch, kept as long as a plan cache of this size would
        self.builders: BoundedCache[int, tuple[Any, Builder]] = BoundedCache(cache_size)

    def representation_builder(self, fragments: tuple[RepresentationFragment, ...]) -> Builder:
        """The builder of ``fragments`` (one fetch's ``requires``), made once per plan kept."""
        cached = self.builders.get(id(fragments))
        if cached is not None and cached[0] is fragments:
            return cached[1]
        build = _representation_builder(fragments)
        self.builders.put(id(fragments), (fragments, build))
        return build

    async def execute(
        self,
        plan: QueryPlan,
        variables: Mapping[str, Any],
        headers_for: HeadersFor | None = None,
        *,
        shared: bool = False,
        caller: Hashable = None,
        send: Send | None = None,
        answered: tuple[FetchNode, Mapping[str, Any]] | None = None,
    ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """Run ``plan``; ``headers_for(service_name, body)`` gives extra headers per request.

        ``shared``: the plan only reads (a query operation), so its requests may share calls
        with identical ones in flight; ``caller``: everything of the caller its subgraph
        requests carry (the principal its identity tokens name): only equal callers share;
        ``send``: sends the requests instead of the transport (an upload's multipart
        forwarding, ``gateway/uploads``); ``answered``: a root fetch of the plan whose
        answer is already here (a subscription's event), read as if its subgraph had just
        sent it, with nothing encoded, signed or sent for it."""
        run = _Run(self, variables, headers_for, (caller,) if shared else None)
        run.send = send if send is not None else self.transport.send
        run.answered = answered
        run.deadline_at = asyncio.get_running_loop().time() + self.deadline
        if plan.node is not None:
            await run.node(plan.node)
        return run.data, run.errors

    async def execute_incrementally(
        self,
        plan: QueryPlan,
        variables: Mapping[str, Any],
        headers_for: HeadersFor | None = None,
        *,
        caller: Hashable = None,
    ) -> AsyncGenerator[tuple[int | None, dict[str, Any], list[dict[str, Any]]], None]:
        """Run a plan with deferred nodes (``@defer``, a query's): ``(None, data, errors)``
        once the primary node has run, then ``(id, data, errors)`` as each deferred node
        completes (they run at once, each on the objects the primary fetched), ``errors``
        that node's own; ``data`` is the one merged result throughout. One deadline for all;
        a subgraph that failed is not asked again by a later part. Closing the iterator
        cancels the nodes still running."""
        run = _Run(self, variables, headers_for, (caller,))
        run.send = self.transport.send
        run.deadline_at = asyncio.get_running_loop().time() + self.deadline
        if plan.node is not None:
            await run.node(plan.node)
        yield None, run.data, run.errors
        pending: dict[asyncio.Future[None], tuple[int, _Run]] = {}
        for deferred in plan.deferred:
            part = run.part()
            pending[asyncio.ensure_future(part.nodes(deferred.node))] = (deferred.id, part)
        try:
            while pending:
                done, _ = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
                for task in sorted(done, key=lambda t: pending[t][0]):
                    ident, part = pending.pop(task)
                    task.result()
                    yield ident, run.data, part.errors
        finally:
            for task in pending:
                task.cancel()


class _Run:
    send: Send
    answered: tuple[FetchNode, Mapping[str, Any]] | None = None
    _walks: dict[Any, Any] | None = None
    """What was read of ``data`` since an answer last changed it: the objects at a path and
    their grouping into a fetch's representations. Fetches of one stage at the same path (on
    the benchmark, ``products`` and ``inventory`` for 700 products) then walk it once."""

    def __init__(
        self,
        executor: PlanExecutor,
        variables: Mapping[str, Any],
        headers_for: HeadersFor | None,
        share_as: tuple[Hashable] | None,
    ) -> None:
        self.executor = executor
        self.variables = variables
        self.headers_for = headers_for
        self.share_as = share_as  # (caller,) when the plan only reads: share calls, retry
        self.data: dict[str, Any] = {}
        self.errors: list[dict[str, Any]] = []
        self.deadline_at = 0.0
        self.failed: dict[str, SubgraphError] = {}  # service name -> why it is not asked again
        self.observed = observation()  # the request's telemetry notes

    def part(self) -> _Run:
        """A run of a deferred node: this run's data, deadline and failed subgraphs, its own
        errors (they go with its part of the response)."""
        part = _Run(self.executor, self.variables, self.headers_for, self.share_as)
        part.send = self.send
        part.deadline_at = self.deadline_at
        part.data = self.data
        part.failed = self.failed
        return part

    async def nodes(self, node: PlanNode | None) -> None:
        if node is not None:
            await self.node(node)

    async def node(self, node: PlanNode) -> None:
        match node:
            case SequenceNode(nodes=nodes):
                for child in nodes:
                    await self.node(child)
            case ParallelNode(nodes=nodes):
                await asyncio.gather(*(self.node(child) for child in nodes))
            case FlattenNode(path=path, node=fetch):
                await self.entity_fetch(path, fetch)
            case BatchNode():
                await self.batch_fetch(node)
            case FetchNode():
                await self.root_fetch(node)

    def _variables(self, fetch: FetchNode | BatchNode) -> dict[str, Any]:
        return {
            name: self.variables[name] for name in fetch.variable_usages if name in self.variables
        }

    async def _send(
        self,
        fetch: FetchNode | BatchNode,
        variables: dict[str, Any],
        error_paths: Callable[[], list[Path]] | None = None,
    ) -> dict[str, Any] | None:
        """The subgraph's response, or None after recording a coded error (at the path of
        every object an entity fetch was for, so that no null it leaves looks real)."""
        name = fetch.service_name
        failed = self.failed.get(name)
        if failed is not None:
            self._fail(
                SubgraphError(
                    name, f"{failed.message}; not asked again in this request", failed.code
                ),
                error_paths,
            )
            return None
        remaining = self.deadline_at - asyncio.get_running_loop().time()
        if remaining <= 0:
            self._fail(self._deadline_error(name, "before it was asked"), error_paths)
            return None
        body = encode_payload(fetch.operation, variables or None)
        observed = self.observed.fetch(name)  # its duration, outcome, span (gateway/telemetry)
        request = SubgraphRequest(
            service_name=name,
            url=self.executor.urls[name],
            query=fetch.operation,
            variables=variables or None,
            headers=observed.headers(self.headers_for(name, body) if self.headers_for else None),
            body=body,
            share_key=(
                (self.executor.urls[name], body, self.share_as)
                if self.share_as is not None and self.executor.shared_subgraphs(name)
                else None
            ),
            idempotent=self.share_as is not None,
        )
        deadline = asyncio.timeout(remaining)
        try:
            async with deadline:
                answer = await self.send(request)
        except SubgraphError as error:
            observed.end(error.code)
            if error.code in _NOT_ASKED_AGAIN:
                self.failed.setdefault(name, error)
            self._fail(error, error_paths)
            return None
        except TimeoutError:
            if not deadline.expired():
                raise
            observed.end("GATEWAY_TIMEOUT")
            self._fail(self._deadline_error(name, "while waiting for it"), error_paths)
            return None
        observed.end()
        return answer

    def _deadline_error(self, name: str, when: str) -> SubgraphError:
        return SubgraphError(
            name,
            f"the request's deadline ({self.executor.deadline:g}s) passed {when}: subgraph {name}",
            "GATEWAY_TIMEOUT",
        )

    def _fail(
        self,
        error: SubgraphError,
        error_paths: Callable[[], list[Path]] | None,
        code: str | None = None,
    ) -> None:
        """Record ``error`` at the path of every object the fetch was for, so that no null
        it leaves looks real (path-less when the fetch had none)."""
        extensions = {"code": code or error.code, "serviceName": error.service_name}
        paths = error_paths() if error_paths is not None else []
        if not paths:
            self.errors.append({"message": error.message, "extensions": extensions})
        for path in paths:
            self.errors.append(
                {"message": error.message, "path": path, "extensions": dict(extensions)}
            )

    async def root_fetch(self, fetch: FetchNode) -> None:
        def root_paths() -> list[Path]:
            return [[key] for key in fetch.root_keys]

        answered = self.answered
        if answered is not None and answered[0] is fetch:
            body: dict[str, Any] | None = dict(answered[1])
        else:
            body = await self._send(fetch, self._variables(fetch), root_paths)
        if body is None:
            return
        name = fetch.service_name
        errors, problem = subgraph_errors(body, name)
        if problem is not None:
            self._fail(SubgraphError(name, problem), root_paths, INVALID)
        for error in errors:
            self.errors.append(_subgraph_error(error, name, None))
        # a malformed ``errors`` still says the subgraph failed: one error for it is enough
        failed = bool(errors) or problem is not None
        data, missing, problem = root_data(body, name, fetch.root_keys, failed)
        if problem is not None:
            self._fail(SubgraphError(name, problem), lambda: [[key] for key in missing], INVALID)
        if data:
            if fetch.renames:
                _rename(data, dict(fetch.renames))
            self._walks = None
            _merge(self.data, data, self.executor.object_types)

    async def entity_fetch(self, path: tuple[str, ...], fetch: FetchNode) -> None:
        if not fetch.context_rewrites:
            await self._entity_fetch(path, fetch, self._walk(path), {})
            return
        # @fromContext: the values are variables, so objects that see different ones are
        # sent in requests of their own
        groups: dict[bytes, tuple[dict[str, Any], list[dict[str, Any]]]] = {}
        for obj, values in _objects_in_context(self.data, path, fetch.context_rewrites):
            key = orjson.dumps(values, option=orjson.OPT_SORT_KEYS)
            groups.setdefault(key, (values, []))[1].append(obj)
        await asyncio.gather(
            *(
                self._entity_fetch(path, fetch, objects, values)
                for values, objects in groups.values()
            )
        )

    async def _entity_fetch(
        self,
        path: tuple[str, ...],
        fetch: FetchNode,
        objects: list[dict[str, Any]],
        context: dict[str, Any],
    ) -> None:
        representations, targets = self._representations(fetch, objects)
        if not representations:
            return
        variables = self._variables(fetch)
        variables.update(context)
        variables["representations"] = representations
        target_paths = self._target_paths(path, targets)
        body = await self._send(fetch, variables, target_paths)
        if body is not None:
            self._entities_answer(path, fetch, body, len(representations), targets)

    async def batch_fetch(self, batch: BatchNode) -> None:
        """One request for several entity fetches; each part's answer is then read as if it
        had come alone (its errors by their ``_e<i>`` path, path-less ones for every part)."""
        variables = self._variables(batch)
        parts: list[tuple[FlattenNode, int, list[list[dict[str, Any]]]]] = []
        for index, part in enumerate(batch.parts):
            representations, targets = self._representations(
                part.node, _objects_at(self.data, part.path)
            )
            variables[f"representations{index}"] = representations
            parts.append((part, len(representations), targets))
        if not any(count for _, count, _ in parts):
            return
        each_paths = [self._target_paths(part.path, targets) for part, _, targets in parts]

        def target_paths() -> list[Path]:
            return [path for paths in each_paths for path in paths()]

        body = await self._send(batch, variables, target_paths)
        if body is None:
            return
        errors, problem = subgraph_errors(body, batch.service_name)
        if problem is not None:
            self._fail(SubgraphError(batch.service_name, problem), target_paths, INVALID)
        data = body.get("data")
        for index, (part, count, targets) in enumerate(parts):
            if not count:
                continue
            alias = f"_e{index}"
            part_data = data
            if type(data) is dict:
                part_data = {"_entities": data[alias]} if alias in data else {}
            part_errors = [_for_part(error, alias) for error in errors]
            part_body = {"data": part_data, "errors": [e for e in part_errors if e is not None]}
            self._entities_answer(part.path, part.node, part_body, count, targets)

    def _representations(
        self, fetch: FetchNode, objects: list[dict[str, Any]]
    ) -> tuple[list[dict[str, Any]], list[list[dict[str, Any]]]]:
        """The ``representations`` of ``objects`` (one per entity), and the objects each one
        stands for."""
        assert fetch.requires is not None
        walks = self._walks
        if walks is None:
            walks = self._walks = {}
        key = (id(objects), fetch.requires)
        known = walks.get(key)
        if known is not None and known[0] is objects:
            return known[1]  # type: ignore[no-any-return]
        grouped = self.executor.representation_builder(fetch.requires)(objects)
        walks[key] = (objects, grouped)  # holds ``objects``: its id is not reused meanwhile
        return grouped

    def _walk(self, path: tuple[str, ...]) -> list[dict[str, Any]]:
        """The objects at ``path`` now, read once while no answer changes ``data``."""
        walks = self._walks
        if walks is None:
            walks = self._walks = {}
        objects = walks.get(path)
        if objects is None:
            objects = walks[path] = _objects_at(self.data, path)
        return objects

    def _target_paths(
        self, path: tuple[str, ...], targets: list[list[dict[str, Any]]]
    ) -> Callable[[], list[Path]]:
        def target_paths() -> list[Path]:
            paths = _paths_of(self.data, path)
            return [paths[id(obj)] for objects in targets for obj in objects if id(obj) in paths]

        return target_paths

    def _entities_answer(
        self,
        path: tuple[str, ...],
        fetch: FetchNode,
        body: dict[str, Any],
        count: int,
        targets: list[list[dict[str, Any]]],
    ) -> None:
        """Merge an ``_entities`` answer into the objects it was for; record its errors."""
        target_paths = self._target_paths(path, targets)
        name = fetch.service_name
        errors, problem = subgraph_errors(body, name)
        if problem is not None:
            self._fail(SubgraphError(name, problem), target_paths, INVALID)
        if errors:
            paths = _paths_of(self.data, path)
            self.errors.extend(
                entry for error in errors for entry in _entity_errors(error, name, targets, paths)
            )
        failed = bool(errors) or problem is not None
        entities, problem = entity_list(body, name, count, failed)
        if entities is None:
            if problem is not None:
                self._fail(SubgraphError(name, problem), target_paths, INVALID)
            return
        if fetch.renames:
            _rename(entities, dict(fetch.renames))
        object_types = self.executor.object_types
        wrong: list[list[dict[str, Any]]] = []
        self._walks = None
        for entity, objects in zip(entities, targets, strict=True):
            if type(entity) is dict:
                # what _merge does first, inline: fields the objects lack are set. One field
                # (the usual answer) without building a keys view per object: on the
                # benchmark, 1,400 objects per request, this loop was the executor's largest
                if len(entity) == 1:
                    [(key, value)] = entity.items()
                    for obj in objects:
                        if key not in obj:
                            obj[key] = value
                        else:
                            _merge(obj, entity, object_types)
                    continue
                for obj in objects:
                    if obj.keys().isdisjoint(entity):
                        obj.update(entity)
                    else:
                        _merge(obj, entity, object_types)
            elif entity is not None:
                wrong.append(objects)
        if wrong:

            def wrong_paths() -> list[Path]:
                paths = _paths_of(self.data, path)
                return [paths[id(obj)] for objects in wrong for obj in objects if id(obj) in paths]

            kinds = next(e for e in entities if e is not None and type(e) is not dict)
            self._fail(SubgraphError(name, entity_problem(name, kinds)), wrong_paths, INVALID)


def _representation_builder(fragments: tuple[RepresentationFragment, ...]) -> Builder:
    """The grouping of objects into representations, specialised per fetch: objects that need
    no fetch are left out, objects of the same entity share one representation, built only for
    the first of them. On the benchmark's storefront query this runs for some 1,500 objects per
    request, so the common shapes get code of their own (about a third of the generic cost)."""
    flat = len(fragments) == 1 and all(
        isinstance(item, RepresentationField) and item.selections is None
        for item in fragments[0].selections
    )
    if not flat:

        def identity(obj: dict[str, Any]) -> Any:
            representation = _representation(fragments, obj)
            if representation is None:
                return None
            return orjson.dumps(representation, option=orjson.OPT_SORT_KEYS)

        def make(obj: dict[str, Any]) -> dict[str, Any]:
            representation = _representation(fragments, obj)
            assert representation is not None
            return representation

        return _grouping(identity, make)
    fragment = fragments[0]
    typename = fragment.type_condition
    accepts = fragment.accepts
    pairs = tuple((item.name, item.data_key) for item in fragment.selections)  # type: ignore[union-attr]
    if len(pairs) == 1:
        return _single_key_grouping(typename, accepts, *pairs[0])
    keys = tuple(data_key for _, data_key in pairs)

    def flat_identity(obj: dict[str, Any]) -> Any:
        runtime = obj.get("__typename")
        if runtime is not None and runtime not in accepts:
            return None
        values = tuple(obj.get(key) for key in keys)
        if None in values:
            return None
        return _hashable(values)

    def flat_make(obj: dict[str, Any]) -> dict[str, Any]:
        representation = {"__typename": typename}
        for name, data_key in pairs:
            representation[name] = obj[data_key]
        return representation

    return _grouping(flat_identity, flat_make)


def _hashable(values: tuple[Any, ...]) -> Any:
    """``values`` as a dictionary key: itself, or its JSON when it holds lists or objects."""
    try:
        hash(values)
    except TypeError:
        return orjson.dumps(values)
    return values


def _grouping(
    identity: Callable[[dict[str, Any]], Any], make: Callable[[dict[str, Any]], dict[str, Any]]
) -> Builder:
    """Group by ``identity(obj)`` (None: no fetch for it); ``make(obj)`` for each group's first."""

    def group(
        objects: list[dict[str, Any]],
    ) -> tuple[list[dict[str, Any]], list[list[dict[str, Any]]]]:
        representations: list[dict[str, Any]] = []
        targets: list[list[dict[str, Any]]] = []
        seen: dict[Any, list[dict[str, Any]]] = {}
        for obj in objects:
            key = identity(obj)
            if key is None:
                continue
            same = seen.get(key)
            if same is None:
                seen[key] = same = [obj]
                representations.append(make(obj))
                targets.append(same)
            else:
                same.append(obj)
        return representations, targets

    return group


def _single_key_grouping(
    typename: str, accepts: frozenset[str], name: str, data_key: str
) -> Builder:
    """The grouping for one key field (``id``, ``upc``), in one loop: a string key is its own
    identity; other values are identified as the general case does, by a one-element tuple."""

    def group(
        objects: list[dict[str, Any]],
    ) -> tuple[list[dict[str, Any]], list[list[dict[str, Any]]]]:
        representations: list[dict[str, Any]] = []
        targets: list[list[dict[str, Any]]] = []
        seen: dict[Any, list[dict[str, Any]]] = {}
        for obj in objects:
            runtime = obj.get("__typename")
            if runtime is not None and runtime not in accepts:
                continue
            value = obj.get(data_key)
            if value is None:
                continue
            key = value if type(value) is str else _hashable((value,))
            same = seen.get(key)
            if same is None:
                seen[key] = same = [obj]
                representations.append({"__typename": typename, name: value})
                targets.append(same)
            else:
                same.append(obj)
        return representations, targets

    return group


def _objects_at(data: Any, path: tuple[str, ...]) -> list[dict[str, Any]]:
    """The objects at ``path`` (``@`` steps into lists), in response order."""
    current: list[Any] = [data]
    for segment in path:
        following: list[Any] = []
        if segment == "@":
            for value in current:
                if type(value) is list:
                    following.extend(value)
        else:
            for value in current:
                if type(value) is dict:
                    item = value.get(segment)
                    if item is not None:
                        following.append(item)
        current = following
    result: list[dict[str, Any]] = []
    for value in current:
        if type(value) is dict:
            result.append(value)
        elif type(value) is list:  # a list the path did not step into
            result.extend(_objects_at(value, ("@",)))
    return result


def _objects_in_context(
    data: Any, path: tuple[str, ...], rewrites: tuple[ContextRewrite, ...]
) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """The objects at ``path`` below an ancestor each rewrite accepts, with the variables
    their ancestors give them (the nearest ancestor wins)."""
    found: dict[int, tuple[dict[str, Any], dict[str, Any]]] = {}
    for obj in _objects_at(data, path):
        found[id(obj)] = (obj, {})
    admitted: set[int] = set(found)
    for rewrite in rewrites:
        reached: set[int] = set()
        rest = path[len(rewrite.ancestor_path) :]
        for ancestor in _objects_at(data, rewrite.ancestor_path):
            if ancestor.get("__typename", next(iter(rewrite.accepts))) not in rewrite.accepts:
                continue
            value: Any = ancestor
            for key in rewrite.keys:
                value = value.get(key) if type(value) is dict else None
            for obj in _objects_at(ancestor, rest) if rest else [ancestor]:
                entry = found.get(id(obj))
                if entry is not None:
                    entry[1][rewrite.variable] = value
                    reached.add(id(obj))
        admitted &= reached
    return [found[ident] for ident in found if ident in admitted]


def _paths_of(data: Any, path: tuple[str, ...]) -> dict[int, Path]:
    """Response paths of the objects at ``path``, by object identity (for error paths only)."""
    current: list[tuple[Any, Path]] = [(data, [])]
    for segment in path:
        following: list[tuple[Any, Path]] = []
        for value, value_path in current:
            if segment == "@":
                if type(value) is list:
                    following.extend((item, [*value_path, i]) for i, item in enumerate(value))
            elif type(value) is dict and value.get(segment) is not None:
                following.append((value[segment], [*value_path, segment]))
        current = following
    paths: dict[int, Path] = {}
    stack = list(current)
    while stack:
        value, value_path = stack.pop()
        if type(value) is dict:
            paths[id(value)] = value_path
        elif type(value) is list:
            stack.extend((item, [*value_path, i]) for i, item in enumerate(value))
    return paths


_MISSING = object()


def _representation(
    fragments: tuple[RepresentationFragment, ...], obj: dict[str, Any]
) -> dict[str, Any] | None:
    typename = obj.get("__typename")
    for fragment in fragments:
        if typename is not None and typename not in fragment.accepts:
            continue
        if typename is None and len(fragments) > 1:
            continue
        body = _select(fragment.selections, obj)
        if body is _MISSING or any(value is None for value in body.values()):
            return None
        return {"__typename": fragment.type_condition, **body}
    return None


def _select(items: tuple[RepresentationItem, ...], obj: dict[str, Any]) -> Any:
    result: dict[str, Any] = {}
    for item in items:
        if isinstance(item, RepresentationField):
            if item.data_key not in obj:
                return _MISSING
            value = obj[item.data_key]
            if item.selections is not None and value is not None:
                value = _select_value(item.selections, value)
                if value is _MISSING:
                    return _MISSING
            result[item.name] = value
        elif obj.get("__typename") in item.accepts:
            inner = _select(item.selections, obj)
            if inner is _MISSING:
                return _MISSING
            result.update(inner)
    return result


def _select_value(items: tuple[RepresentationItem, ...], value: Any) -> Any:
    if isinstance(value, list):
        selected: list[Any] = []
        for element in value:
            if element is None:
                selected.append(None)
                continue
            inner = _select_value(items, element)
            if inner is _MISSING:
                return _MISSING
            selected.append(inner)
        return selected
    if isinstance(value, dict):
        inner = _select(items, value)
        if inner is not _MISSING and "__typename" in value and "__typename" not in inner:
            inner = {"__typename": value["__typename"], **inner}
        return inner
    return value


def _merge(target: dict[str, Any], source: dict[str, Any], object_types: frozenset[str]) -> None:
    if target.keys().isdisjoint(source):  # the usual entity answer: fields the object lacks
        target.update(source)
        return
    for key, value in source.items():
        existing = target.get(key, _MISSING)
        if existing is _MISSING or existing is None:
            target[key] = value
        elif isinstance(existing, dict) and isinstance(value, dict):
            _merge(existing, value, object_types)
        elif isinstance(existing, list) and isinstance(value, list) and len(existing) == len(value):
            _merge_lists(existing, value, object_types)
        elif key == "__typename" and existing in object_types:
            continue
        else:
            target[key] = value


def _merge_lists(target: list[Any], source: list[Any], object_types: frozenset[str]) -> None:
    for i, value in enumerate(source):
        existing = target[i]
        if isinstance(existing, dict) and isinstance(value, dict):
            _merge(existing, value, object_types)
        elif isinstance(existing, list) and isinstance(value, list) and len(existing) == len(value):
            _merge_lists(existing, value, object_types)
        elif existing is None:
            target[i] = value


def _rename(value: Any, renames: Mapping[str, str]) -> None:
    """Give aliased fields back their response keys (see ``_alias_for_type_mismatch``)."""
    if isinstance(value, list):
        for item in value:
            _rename(item, renames)
    elif isinstance(value, dict):
        for key in [k for k in value if k in renames]:
            value[renames[key]] = value.pop(key)
        for item in value.values():
            if isinstance(item, dict | list):
                _rename(item, renames)


def _for_part(error: dict[str, Any], alias: str) -> dict[str, Any] | None:
    """A batch's error as its part ``alias`` would have had it alone: ``[alias, ...]`` paths
    become ``["_entities", ...]``, path-less errors belong to every part, others to none."""
    path = error.get("path")
    if not isinstance(path, list) or not path:
        return error
    if path[0] != alias:
        return None
    return {**error, "path": ["_entities", *path[1:]]}


def _subgraph_error(error: Any, service_name: str, path: Path | None) -> dict[str, Any]:
    if not isinstance(error, dict):
        return {"message": str(error), "extensions": {"serviceName": service_name}}
    result: dict[str, Any] = {"message": str(error.get("message", "subgraph error"))}
    if path is not None:
        result["path"] = path
    elif isinstance(error.get("path"), list):
        result["path"] = error["path"]
    extensions = error.get("extensions")
    extensions = dict(extensions) if isinstance(extensions, dict) else {}
    extensions.setdefault("serviceName", service_name)
    result["extensions"] = extensions
    return result


def _entity_errors(
    error: Any,
    service_name: str,
    targets: list[list[dict[str, Any]]],
    paths: Mapping[int, Path],
) -> list[dict[str, Any]]:
    path = error.get("path") if isinstance(error, dict) else None
    if (
        isinstance(path, list)
        and len(path) >= 2
        and path[0] == "_entities"
        and isinstance(path[1], int)
        and 0 <= path[1] < len(targets)
    ):
        return [
            _subgraph_error(error, service_name, [*paths.get(id(obj), []), *path[2:]])
            for obj in targets[path[1]]
        ]
    first = paths.get(id(targets[0][0])) if targets and targets[0] else None
    return [_subgraph_error(error, service_name, first or None)]
