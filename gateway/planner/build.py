"""Build a Federation 2 query plan for a normalized operation.

The planner walks the client's selections level by level. At each level it knows the subgraph
of the fetch it is filling ("the current group") and the runtime type of the objects there.
A field the current subgraph resolves is added to the group; any other field makes an *entity
jump*: key fields are added here, and the field is planned into an ``_entities`` fetch of a
subgraph that resolves it (several hops if no key leads there directly). ``@requires`` fields
get their own entity fetch that depends on whatever fetches the required fields. When several
subgraphs could serve a field, a small cost model (the number of fetches a choice implies)
picks one. Groups of fetches become the plan: stages in sequence, fetches of a stage in
parallel.

Fields the planner adds itself (keys, required fields) get response keys of their own when
the client uses the same response key for something else, so data never collides.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

from graphql import GraphQLList, GraphQLNonNull, GraphQLSchema, print_ast
from graphql.language import (
    FieldNode,
    InlineFragmentNode,
    SelectionSetNode,
)

from ..errors import TandemError
from ..supergraph import Supergraph
from .capabilities import Capabilities, provided_child
from .operation import FieldSelection, InlineSelection, Selection, collect_fields, merged_selections
from .plan import (
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
from .selection import SelectionBuilder

__all__ = ["PlanningError", "build_query_plan"]

INF = float("inf")
_EPSILON = 0.001  # per field fetched after a jump: among equal fetch counts, move less data
Reserved = Mapping[str, list[FieldSelection]]  # the client's fields at a level, by key


class PlanningError(TandemError):
    """The operation cannot be planned against this supergraph (a composition gap)."""

    code = "QUERY_PLANNING_FAILED"
    status = 500


@dataclass(eq=False)
class _Group:
    """One future fetch: a root fetch, or an ``_entities`` fetch at ``path``."""

    id: int
    graph: str
    type_name: str
    path: tuple[str, ...]
    is_entity: bool
    parent: _Group | None
    step: int
    kind: str = ""
    selection: SelectionBuilder = field(default_factory=SelectionBuilder)
    representation: SelectionBuilder = field(default_factory=SelectionBuilder)
    accepts: set[str] = field(default_factory=set)
    deps: set[_Group] = field(default_factory=set)
    renames: dict[str, str] = field(default_factory=dict)

    def __hash__(self) -> int:
        return self.id


def build_query_plan(
    supergraph: Supergraph,
    operation_kind: str,
    selections: tuple[Selection, ...],
    variable_types: Mapping[str, str],
    *,
    capabilities: Capabilities | None = None,
) -> QueryPlan:
    """Plan ``selections`` (a normalized operation of ``operation_kind``)."""
    builder = _PlanBuilder(supergraph, capabilities or Capabilities(supergraph), variable_types)
    return builder.build(operation_kind, selections)


def internal_key(name: str, arguments: str, reserved: Reserved) -> str:
    """The response key for a field the planner adds itself."""
    if name == "__typename":
        return name
    if arguments:
        digest = hashlib.sha1(arguments.encode()).hexdigest()[:8]
        return f"_tandem_{name}_{digest}"
    client = reserved.get(name)
    if client is None or client[0].signature == (name, ""):
        return name
    return f"_tandem_{name}"


class _PlanBuilder:
    def __init__(
        self, supergraph: Supergraph, caps: Capabilities, variable_types: Mapping[str, str]
    ) -> None:
        self.supergraph = supergraph
        self.caps = caps
        # the whole schema: abstract fragments also cover @inaccessible implementations
        self.schema: GraphQLSchema = supergraph.schema
        self.variable_types = variable_types
        self.groups: list[_Group] = []
        self.index: dict[tuple[object, ...], _Group] = {}
        self.touched: list[set[_Group]] = []
        self.cost_cache: dict[tuple[object, ...], float] = {}
        self.in_progress: set[tuple[object, ...]] = set()
        self.cycle_hits = 0
        self.keep_alive: list[object] = []
        self.step = 0
        self.needed_roots: set[str] = set()

    # -- entry -------------------------------------------------------------------------------

    def build(self, operation_kind: str, selections: tuple[Selection, ...]) -> QueryPlan:
        root_type = {
            "query": self.supergraph.query_type,
            "mutation": self.supergraph.mutation_type,
            "subscription": self.supergraph.subscription_type,
        }.get(operation_kind)
        if root_type is None:
            raise PlanningError(f"the schema has no {operation_kind} type", status=400)
        fields = collect_fields(self.schema, selections, root_type)
        reserved = _reserved(fields)
        self.needed_roots = {
            candidates[0]
            for same_key in fields.values()
            if not same_key[0].name.startswith("__")
            and len(candidates := self.caps.field_graphs(root_type, same_key[0].name)) == 1
        }
        current: _Group | None = None
        roots: dict[str, _Group] = {}
        for key, same_key in fields.items():
            name = same_key[0].name
            if name.startswith("__"):
                continue  # __typename, __schema, __type: answered by the gateway
            graph = self._choose_root_graph(root_type, same_key, roots)
            if (
                operation_kind == "query"
                and same_key[0].selections is not None
                and self._cost_local(root_type, graph, same_key, None) == INF
            ):
                candidates = self.caps.field_graphs(root_type, name)
                parts = self._split(
                    root_type,
                    graph,
                    same_key,
                    None,
                    [(INF, 0, "local", g) for g in candidates],
                )
                if parts is not None:
                    for _, part_graph, part in parts:
                        group = roots.get(part_graph) or roots.setdefault(
                            part_graph, self._new_group(part_graph, root_type, (), False, None)
                        )
                        self._plan_here(group, group.selection, root_type, key, part, (), None)
                    continue
            if operation_kind == "mutation":
                if current is None or current.graph != graph:
                    self.step += 1
                    current = self._new_group(graph, root_type, (), False, None)
                group = current
            else:
                group = roots.get(graph) or roots.setdefault(
                    graph, self._new_group(graph, root_type, (), False, None)
                )
            self._plan_field(group, group.selection, root_type, key, same_key, (), None, reserved)
        return QueryPlan(node=self._emit(operation_kind))

    def _choose_root_graph(
        self, root_type: str, same_key: list[FieldSelection], roots: Mapping[str, _Group]
    ) -> str:
        name = same_key[0].name
        candidates = self.caps.field_graphs(root_type, name)
        if not candidates:
            raise PlanningError(f"no subgraph resolves {root_type}.{name}")
        return min(
            candidates,
            key=lambda g: (
                self._cost_local(root_type, g, same_key, None),
                g not in roots and g not in self.needed_roots,
                self.caps.graph_ids.index(g),
            ),
        )

    # -- groups ------------------------------------------------------------------------------

    def _new_group(
        self,
        graph: str,
        type_name: str,
        path: tuple[str, ...],
        is_entity: bool,
        parent: _Group | None,
        kind: str = "",
    ) -> _Group:
        group = _Group(
            id=len(self.groups),
            graph=graph,
            type_name=type_name,
            path=path,
            is_entity=is_entity,
            parent=parent,
            step=self.step,
            kind=kind,
        )
        if parent is not None:
            group.deps.add(parent)
        self.groups.append(group)
        return group

    def _entity_group(
        self,
        graph: str,
        view: str,
        path: tuple[str, ...],
        parent: _Group,
        accepts: set[str],
        kind: str = "",
    ) -> _Group:
        index_key = (graph, view, path, parent.id, kind)
        group = self.index.get(index_key)
        if group is None:
            group = self._new_group(graph, view, path, True, parent, kind)
            self.index[index_key] = group
        group.accepts |= accepts
        self._touch(group)
        return group

    def _touch(self, group: _Group) -> None:
        for touched in self.touched:
            touched.add(group)

    @contextmanager
    def _tracking(self) -> Iterator[set[_Group]]:
        touched: set[_Group] = set()
        self.touched.append(touched)
        try:
            yield touched
        finally:
            self.touched.pop()

    # -- levels ------------------------------------------------------------------------------

    def _plan_selections(
        self,
        group: _Group,
        builder: SelectionBuilder,
        type_name: str,
        selections: Sequence[Selection],
        path: tuple[str, ...],
        provided: SelectionSetNode | None,
    ) -> None:
        """Plan a selection set on objects of (possibly abstract) ``type_name`` in ``group``."""
        graph = group.graph
        if not self.caps.is_abstract(type_name):
            fields = collect_fields(self.schema, selections, type_name)
            self._plan_fields(group, builder, type_name, fields, path, provided)
            return
        meta = self.caps.meta(type_name)
        if meta is not None and meta.is_interface_object_in(graph):
            self._plan_interface_object(group, builder, type_name, selections, path, provided)
            return
        builder.add_typename()
        possible_types = self.caps.possible_in(type_name, graph)
        if not possible_types:
            self._check_unreachable(type_name, graph, selections)
        for possible in possible_types:
            fields = collect_fields(self.schema, selections, possible)
            if fields:
                self._plan_fields(
                    group, builder.fragment(possible), possible, fields, path, provided
                )

    def _check_unreachable(
        self, type_name: str, graph: str, selections: Sequence[Selection]
    ) -> None:
        """``graph`` returns no known implementation of ``type_name``: a field it does not
        resolve on the interface itself cannot be planned at all."""
        for same_key in collect_fields(self.schema, selections, type_name).values():
            name = same_key[0].name
            if name != "__typename" and not self.caps.local(type_name, name, graph):
                raise PlanningError(
                    f"cannot plan {type_name}.{name}: {self.supergraph.graph_name(graph)} "
                    "returns no implementation that resolves it"
                )

    def _plan_interface_object(
        self,
        group: _Group,
        builder: SelectionBuilder,
        interface: str,
        selections: Sequence[Selection],
        path: tuple[str, ...],
        provided: SelectionSetNode | None,
    ) -> None:
        """A level where ``group``'s subgraph knows the interface only as an object type.

        Fields that subgraph has are fetched here; ``__typename``, fragments on implementations
        and other fields come from a subgraph that has the real interface.
        """
        graph = group.graph
        fields = collect_fields(self.schema, selections, interface)
        reserved = _reserved(fields)
        local: dict[str, list[FieldSelection]] = {}
        for key, same_key in fields.items():
            name = same_key[0].name
            if name != "__typename" and (
                self.caps.local(interface, name, graph, provided)
                or self.caps.field_graphs(interface, name)
            ):
                local[key] = same_key
        if local:
            self._plan_fields(group, builder, interface, local, path, provided, reserved)
        rest = _without_keys(selections, set(local))
        if not _has_fields(rest):
            return
        owner = self._interface_owner(interface, graph)
        if owner is None:
            raise PlanningError(
                f"no subgraph resolves the implementations of interface {interface}"
            )
        accepts = set(self.supergraph.possible_types(interface)) | {interface}
        target = self._jump(group, builder, interface, path, owner, reserved, accepts)
        self._plan_selections(target, target.selection, interface, rest, path, None)

    def _interface_owner(self, interface: str, graph: str) -> str | None:
        meta = self.caps.meta(interface)
        if meta is None:
            return None
        for join in meta.joins:
            if (
                not join.is_interface_object
                and join.key is not None
                and join.resolvable
                and self._cost_jump(interface, graph, join.graph) < INF
            ):
                return join.graph
        return None

    def _plan_fields(
        self,
        group: _Group,
        builder: SelectionBuilder,
        type_name: str,
        fields: Mapping[str, list[FieldSelection]],
        path: tuple[str, ...],
        provided: SelectionSetNode | None,
        reserved: Reserved | None = None,
        *,
        for_key: bool = False,
    ) -> None:
        reserved = reserved if reserved is not None else _reserved(fields)
        for key, same_key in fields.items():
            self._plan_field(
                group, builder, type_name, key, same_key, path, provided, reserved, for_key
            )

    def _plan_field(
        self,
        group: _Group,
        builder: SelectionBuilder,
        type_name: str,
        key: str,
        same_key: list[FieldSelection],
        path: tuple[str, ...],
        provided: SelectionSetNode | None,
        reserved: Reserved,
        for_key: bool = False,
    ) -> None:
        self._touch(group)
        first = same_key[0]
        name = first.name
        if name == "__typename":
            builder.add_typename()
            return
        graph = group.graph
        caps = self.caps
        options: list[tuple[float, int, str, str]] = []
        if caps.local(type_name, name, graph, provided, for_key=for_key):
            requires = caps.requires(type_name, name, graph)
            cost = self._cost_local(type_name, graph, same_key, provided)
            if requires is None:
                options.append((cost, 0, "local", graph))
            else:
                options.append((cost + 1, 1, "requires", graph))
        for other in caps.field_graphs(type_name, name):
            if other == graph:
                continue
            jump_cost = self._cost_jump(type_name, graph, other, provided)
            if jump_cost == INF:
                continue
            cost = jump_cost + self._cost_local(type_name, other, same_key, None)
            cost += _EPSILON * _size(same_key)
            if caps.requires(type_name, name, other) is not None:
                cost += 1
            existing = (other, caps.view(type_name, other), path, group.id, "") in self.index
            options.append((cost, 2 if existing else 3, "jump", other))
        if not options:
            raise PlanningError(
                f"cannot plan {type_name}.{name} at {'.'.join(path) or 'the root'}: no subgraph "
                f"reachable from {self.supergraph.graph_name(graph)} resolves it"
            )
        options.sort(key=lambda option: (option[0], option[1], caps.graph_ids.index(option[3])))
        cost, _, how, target = options[0]
        if cost == INF and first.selections is not None:
            parts = self._split(type_name, graph, same_key, provided, options)
            if parts is not None:
                for part_how, part_target, part in parts:
                    self._plan_option(
                        group,
                        builder,
                        type_name,
                        key,
                        part,
                        path,
                        provided,
                        reserved,
                        part_how,
                        part_target,
                    )
                return
        self._plan_option(
            group, builder, type_name, key, same_key, path, provided, reserved, how, target
        )

    def _split(
        self,
        type_name: str,
        graph: str,
        same_key: list[FieldSelection],
        provided: SelectionSetNode | None,
        options: list[tuple[float, int, str, str]],
    ) -> list[tuple[str, str, list[FieldSelection]]] | None:
        """No one subgraph resolves all of a field's sub-selection: fetch the field from
        several subgraphs, each for the sub-fields it can resolve."""
        first = same_key[0]
        named, _ = _unwrap(self._output_type(type_name, first.name))
        if self.caps.is_abstract(named):
            return None
        remaining = collect_fields(self.schema, merged_selections(same_key), named)
        parts: list[tuple[str, str, list[FieldSelection]]] = []
        for _, _, how, target in sorted(options, key=lambda o: (o[1], o[3])):
            child_provided = (
                self.caps.provides(type_name, first.name, target)
                or provided_child(provided, first.name, type_name, self.caps)
                if how == "local"
                else None
            )
            taken: list[Selection] = []
            for sub_key, sub_same in list(remaining.items()):
                if sub_same[0].name == "__typename":
                    continue
                if self._cost_fields(named, target, tuple(sub_same), child_provided) < INF:
                    taken.extend(sub_same)
                    del remaining[sub_key]
            if taken:
                part = FieldSelection(first.key, first.name, first.arguments, tuple(taken))
                parts.append((how, target, [part]))
        if any(s[0].name != "__typename" for s in remaining.values()):
            return None
        if remaining and parts:
            typename = [s for same in remaining.values() for s in same]
            how, target, part_list = parts[0]
            part = part_list[0]
            part_list[0] = FieldSelection(
                part.key, part.name, part.arguments, (*(part.selections or ()), *typename)
            )
        return parts or None

    def _plan_option(
        self,
        group: _Group,
        builder: SelectionBuilder,
        type_name: str,
        key: str,
        same_key: list[FieldSelection],
        path: tuple[str, ...],
        provided: SelectionSetNode | None,
        reserved: Reserved,
        how: str,
        target: str,
    ) -> None:
        caps = self.caps
        name = same_key[0].name
        if how == "local":
            self._plan_here(group, builder, type_name, key, same_key, path, provided)
        elif how == "requires":
            self._plan_requires(group, builder, type_name, key, same_key, path, provided, reserved)
        else:
            if caps.requires(type_name, name, target) is not None:
                self._plan_requires(
                    group, builder, type_name, key, same_key, path, provided, reserved, target
                )
                return
            accepts = self._accepts(type_name)
            entity = self._jump(
                group, builder, type_name, path, target, reserved, accepts, provided=provided
            )
            self._plan_here(entity, entity.selection, entity.type_name, key, same_key, path, None)

    def _accepts(self, type_name: str) -> set[str]:
        if self.caps.is_abstract(type_name):
            return set(self.supergraph.possible_types(type_name)) | {type_name}
        return {type_name}

    def _plan_here(
        self,
        group: _Group,
        builder: SelectionBuilder,
        type_name: str,
        key: str,
        same_key: list[FieldSelection],
        path: tuple[str, ...],
        provided: SelectionSetNode | None,
    ) -> None:
        """Add a field the group's subgraph resolves, and plan its sub-selection."""
        first = same_key[0]
        field_type = self._output_type(type_name, first.name)
        named, list_depth = _unwrap(field_type)
        sent_key = key
        if builder.in_fragment:
            sent_key = self._alias_for_type_mismatch(group, type_name, first.name, key)
        if first.selections is None:
            builder.add_field(sent_key, first.name, first.arguments)
            return
        child = builder.add_field(sent_key, first.name, first.arguments, composite=True)
        assert child is not None
        graph = group.graph
        child_provided = self.caps.provides(type_name, first.name, graph) or provided_child(
            provided, first.name, type_name, self.caps
        )
        child_path = (*path, key, *("@",) * list_depth)
        in_graph = self._type_in_graph(type_name, first.name, graph, named)
        if in_graph != named:
            child.add_typename()  # the subgraph's type is narrower: say which type it is
        self._plan_selections(
            group, child, in_graph, merged_selections(same_key), child_path, child_provided
        )

    def _type_in_graph(self, type_name: str, field_name: str, graph: str, named: str) -> str:
        """The field's type as ``graph`` declares it (``@join__field(type:)``), if narrower."""
        view = self.caps.view(type_name, graph) or type_name
        meta = self.caps.field_meta(view, field_name)
        join = meta.join_for(graph) if meta is not None else None
        if join is None or join.type is None:
            return named
        declared = join.type.replace("!", "").replace("[", "").replace("]", "").strip()
        return declared if declared in self.schema.type_map else named

    def _alias_for_type_mismatch(
        self, group: _Group, type_name: str, field_name: str, key: str
    ) -> str:
        """Sibling fragments may not select one response key with two different types (in
        the subgraph's schema): such fields are sent under an alias and renamed back."""
        view = self.caps.view(type_name, group.graph) or type_name
        meta = self.caps.field_meta(view, field_name)
        join = meta.join_for(group.graph) if meta is not None else None
        if join is None or join.type is None or join.type == meta.type_text:  # type: ignore[union-attr]
            return key
        alias = f"{key}__tandem_{hashlib.sha1(join.type.encode()).hexdigest()[:6]}"
        group.renames[alias] = key
        return alias

    def _output_type(self, type_name: str, field_name: str):  # type: ignore[no-untyped-def]
        gql_type = self.supergraph.schema.type_map.get(type_name)
        fields = getattr(gql_type, "fields", None)
        if fields and field_name in fields:
            return fields[field_name].type
        raise PlanningError(f"unknown field {type_name}.{field_name}")

    # -- entity jumps ------------------------------------------------------------------------

    def _jump(
        self,
        group: _Group,
        builder: SelectionBuilder,
        type_name: str,
        path: tuple[str, ...],
        target: str,
        reserved: Reserved,
        accepts: set[str],
        *,
        kind: str = "",
        provided: SelectionSetNode | None = None,
    ) -> _Group:
        """Fetch a key of ``target`` here (jumping elsewhere for parts of it if need be) and
        return the entity group in ``target`` that the key leads to."""
        key = self._best_key(type_name, group.graph, target, provided)
        if key is None:
            raise PlanningError(
                f"no key of {type_name} leads from {self.supergraph.graph_name(group.graph)} "
                f"to {self.supergraph.graph_name(target)}"
            )
        view = self.caps.view(type_name, target)
        assert view is not None
        builder.add_typename()
        key_selections = _internal_selections(key, reserved)
        with self._tracking() as touched:
            self._plan_fields(
                group,
                builder,
                type_name,
                collect_fields(self.schema, key_selections, type_name),
                path,
                provided,
                reserved,
                for_key=True,
            )
        entity = self._entity_group(target, view, path, group, accepts, kind)
        entity.deps |= touched - {entity}
        _add_representation(entity.representation, key_selections)
        return entity

    def _best_key(
        self, type_name: str, source: str, target: str, provided: SelectionSetNode | None
    ) -> SelectionSetNode | None:
        best: tuple[float, SelectionSetNode] | None = None
        for key in self.caps.keys(type_name, target):
            cost = self._cost_key(type_name, source, key, provided)
            if cost < INF and (best is None or cost < best[0]):
                best = (cost, key)
        return best[1] if best else None

    def _cost_key(
        self,
        type_name: str,
        source: str,
        key: SelectionSetNode,
        provided: SelectionSetNode | None = None,
    ) -> float:
        if self.caps.selection_local(type_name, key, source, provided):
            return 0
        selections = _internal_selections(key, {})
        self.keep_alive.append(selections)
        return self._cost_fields(type_name, source, selections, provided)

    def _cost_jump(
        self,
        type_name: str,
        source: str,
        target: str,
        provided: SelectionSetNode | None = None,
    ) -> float:
        """Fetches needed to reach ``target``'s entity for objects now in ``source``."""
        cache_key = ("jump", type_name, source, target, id(provided))

        def compute() -> float:
            cost = INF
            if self.caps.view(type_name, target) is not None:
                for key in self.caps.keys(type_name, target):
                    cost = min(cost, 1 + self._cost_key(type_name, source, key, provided))
            return cost

        return self._memo(cache_key, compute)

    def _memo(self, cache_key: tuple[object, ...], compute: Callable[[], float]) -> float:
        """Memoized cost; a computation that met one still in progress (a cycle) is not
        cached, since its result is only valid with that cycle cut where it was met."""
        cached = self.cost_cache.get(cache_key)
        if cached is not None:
            return cached
        if cache_key in self.in_progress:
            self.cycle_hits += 1
            return INF
        self.in_progress.add(cache_key)
        hits = self.cycle_hits
        try:
            cost = compute()
        finally:
            self.in_progress.discard(cache_key)
        if self.cycle_hits == hits:
            self.cost_cache[cache_key] = cost
        return cost

    def _plan_requires(
        self,
        group: _Group,
        builder: SelectionBuilder,
        type_name: str,
        key: str,
        same_key: list[FieldSelection],
        path: tuple[str, ...],
        provided: SelectionSetNode | None,
        reserved: Reserved,
        target: str | None = None,
    ) -> None:
        """A field with ``@requires``: fetch what it requires, then fetch it by entity."""
        caps = self.caps
        target = target or group.graph
        requires = caps.requires(type_name, same_key[0].name, target)
        assert requires is not None
        required = _internal_selections(requires, reserved)
        with self._tracking() as touched:
            self._plan_fields(
                group,
                builder,
                type_name,
                collect_fields(self.schema, required, type_name),
                path,
                provided,
                reserved,
            )
        view = caps.view(type_name, target)
        kind = "requires"
        for attempt in range(len(self.groups) + 1):
            kind = f"requires{attempt}"
            existing = self.index.get((target, view, path, group.id, kind))
            if existing is None or not _conflicts(existing.representation, required):
                break
        entity = self._jump(
            group,
            builder,
            type_name,
            path,
            target,
            reserved,
            self._accepts(type_name),
            kind=kind,
            provided=provided,
        )
        entity.deps |= touched - {entity}
        _add_representation(entity.representation, required)
        self._plan_here(entity, entity.selection, entity.type_name, key, same_key, path, None)

    # -- costs -------------------------------------------------------------------------------

    def _cost_local(
        self,
        type_name: str,
        graph: str,
        same_key: list[FieldSelection],
        provided: SelectionSetNode | None,
    ) -> float:
        """Extra fetches needed below a field resolved by ``graph``."""
        first = same_key[0]
        if first.selections is None:
            return 0
        field_type = self._output_type(type_name, first.name)
        named, _ = _unwrap(field_type)
        named = self._type_in_graph(type_name, first.name, graph, named)
        child_provided = self.caps.provides(type_name, first.name, graph) or provided_child(
            provided, first.name, type_name, self.caps
        )
        return self._cost_selections(named, graph, merged_selections(same_key), child_provided)

    def _cost_selections(
        self,
        type_name: str,
        graph: str,
        selections: tuple[Selection, ...],
        provided: SelectionSetNode | None,
    ) -> float:
        cache_key = (type_name, graph, id(selections), id(provided))
        self.keep_alive.append((selections, provided))  # ids in cache keys stay unique

        def compute() -> float:
            if self.caps.is_abstract(type_name):
                meta = self.caps.meta(type_name)
                if meta is not None and meta.is_interface_object_in(graph):
                    return self._cost_fields(type_name, graph, selections, provided)
                return sum(
                    self._cost_fields(possible, graph, selections, provided)
                    for possible in self.caps.possible_in(type_name, graph)
                )
            return self._cost_fields(type_name, graph, selections, provided)

        return self._memo(cache_key, compute)

    def _cost_fields(
        self,
        type_name: str,
        graph: str,
        selections: tuple[Selection, ...],
        provided: SelectionSetNode | None,
    ) -> float:
        total: float = 0
        for same_key in collect_fields(self.schema, selections, type_name).values():
            name = same_key[0].name
            if name == "__typename":
                continue
            best = INF
            if self.caps.local(type_name, name, graph, provided):
                best = self._cost_local(type_name, graph, same_key, provided)
                if self.caps.requires(type_name, name, graph) is not None:
                    best += 1
            if best > 0:
                for other in self.caps.field_graphs(type_name, name):
                    if other == graph:
                        continue
                    jump = self._cost_jump(type_name, graph, other, provided)
                    if jump < INF:
                        cost = jump + self._cost_local(type_name, other, same_key, None)
                        best = min(best, cost + _EPSILON * _size(same_key))
            if best == INF:
                return INF
            total += best
        return total

    # -- emitting ----------------------------------------------------------------------------

    def _emit(self, operation_kind: str) -> PlanNode | None:
        groups = [g for g in self.groups if not (g.selection.is_empty() and not g.is_entity)]
        if not groups:
            return None
        depth: dict[int, int] = {}

        def depth_of(group: _Group) -> int:
            if group.id not in depth:
                depth[group.id] = -1
                depth[group.id] = 1 + max((depth_of(d) for d in group.deps), default=-1)
            return depth[group.id]

        steps: dict[int, list[_Group]] = {}
        for group in groups:
            steps.setdefault(group.step, []).append(group)
        step_nodes: list[PlanNode] = []
        for step in sorted(steps):
            stages: dict[int, list[_Group]] = {}
            for group in steps[step]:
                stages.setdefault(depth_of(group), []).append(group)
            stage_nodes: list[PlanNode] = []
            for level in sorted(stages):
                nodes = self._stage_nodes(stages[level], operation_kind)
                if nodes:
                    stage_nodes.append(nodes[0] if len(nodes) == 1 else ParallelNode(tuple(nodes)))
            if stage_nodes:
                step_nodes.append(
                    stage_nodes[0] if len(stage_nodes) == 1 else SequenceNode(tuple(stage_nodes))
                )
        if not step_nodes:
            return None
        if len(step_nodes) == 1:
            return step_nodes[0]
        flattened: list[PlanNode] = []
        for node in step_nodes:
            flattened.extend(node.nodes if isinstance(node, SequenceNode) else (node,))
        return SequenceNode(tuple(flattened))

    def _stage_nodes(self, groups: list[_Group], operation_kind: str) -> list[PlanNode]:
        nodes: list[PlanNode] = []
        merged: dict[tuple[str, tuple[str, ...]], list[_Group]] = {}
        for group in groups:
            if not group.is_entity:
                if not group.selection.is_empty():
                    nodes.append(self._root_fetch(group, operation_kind))
                continue
            if group.selection.is_empty():
                continue
            merged.setdefault((group.graph, group.path), []).append(group)
        for (graph, path), same in merged.items():
            batches: list[list[_Group]] = []
            for group in same:  # one fetch, unless two representations of a type would clash
                batch = next(
                    (
                        b
                        for b in batches
                        if all(
                            g.type_name != group.type_name
                            or not _builders_conflict(g.representation, group.representation)
                            for g in b
                        )
                    ),
                    None,
                )
                if batch is None:
                    batches.append([group])
                else:
                    batch.append(group)
            for batch in batches:
                nodes.append(FlattenNode(path=path, node=self._entity_fetch(graph, batch)))
        return nodes

    def _variable_definitions(self, names: set[str]) -> str:
        return ", ".join(f"${name}: {self.variable_types[name]}" for name in sorted(names))

    def _root_fetch(self, group: _Group, operation_kind: str) -> FetchNode:
        selection = group.selection.render()
        names = group.selection.variables()
        definitions = self._variable_definitions(names)
        head = f"{operation_kind}({definitions})" if definitions else operation_kind
        return FetchNode(
            service_name=self.supergraph.graph_name(group.graph),
            operation=f"{head} {selection}",
            operation_kind=operation_kind,
            variable_usages=tuple(sorted(names)),
            selection_text=selection,
            renames=tuple(sorted(group.renames.items())),
            root_keys=tuple(k for k in group.selection.entries if k != "__typename"),
        )

    def _entity_fetch(self, graph: str, groups: list[_Group]) -> FetchNode:
        by_type: dict[str, SelectionBuilder] = {}
        requires: list[RepresentationFragment] = []
        names: set[str] = set()
        renames: dict[str, str] = {}
        representations: dict[str, SelectionBuilder] = {}
        accepts: dict[str, set[str]] = {}
        for group in groups:
            renames.update(group.renames)
            builder = by_type.setdefault(group.type_name, SelectionBuilder())
            _merge_builder(builder, group.selection)
            names |= group.selection.variables()
            representation = representations.setdefault(group.type_name, SelectionBuilder())
            _merge_builder(representation, group.representation)
            accepts.setdefault(group.type_name, set()).update(group.accepts)
        for type_name, representation in representations.items():
            requires.append(
                RepresentationFragment(
                    type_condition=type_name,
                    accepts=frozenset(accepts[type_name]),
                    selections=_representation_items(representation, self.supergraph),
                )
            )
        inner = " ".join(f"... on {t} {b.render()}" for t, b in by_type.items())
        selection = "{ " + inner + " }"
        definitions = self._variable_definitions(names)
        extra = f", {definitions}" if definitions else ""
        operation = (
            f"query($representations: [_Any!]!{extra}) "
            f"{{ _entities(representations: $representations) {selection} }}"
        )
        return FetchNode(
            service_name=self.supergraph.graph_name(graph),
            operation=operation,
            variable_usages=tuple(sorted(names)),
            requires=tuple(requires),
            selection_text=selection,
            renames=tuple(sorted(renames.items())),
        )


# -- helpers ---------------------------------------------------------------------------------


def _size(same_key: Sequence[Selection]) -> int:
    total = 0
    for selection in same_key:
        total += 1
        inner = selection.selections
        if inner:
            total += _size(inner)
    return total


def _reserved(fields: Mapping[str, list[FieldSelection]]) -> Reserved:
    return fields


def _client_fields_below(same_key: Sequence[FieldSelection] | None) -> Reserved:
    """Every client field under a response key, whatever its type condition (conservative)."""
    found: dict[str, list[FieldSelection]] = {}

    def visit(selections: Sequence[Selection]) -> None:
        for selection in selections:
            if isinstance(selection, FieldSelection):
                found.setdefault(selection.key, []).append(selection)
            else:
                visit(selection.selections)

    for field_selection in same_key or ():
        visit(field_selection.selections or ())
    return found


def _unwrap(gql_type: object) -> tuple[str, int]:
    depth = 0
    while True:
        if isinstance(gql_type, GraphQLNonNull):
            gql_type = gql_type.of_type
        elif isinstance(gql_type, GraphQLList):
            depth += 1
            gql_type = gql_type.of_type
        else:
            return gql_type.name, depth  # type: ignore[attr-defined]


def _internal_selections(
    selection_set: SelectionSetNode, reserved: Reserved
) -> tuple[Selection, ...]:
    """A key or ``@requires`` field set as selections with planner-owned response keys."""
    result: list[Selection] = []
    for node in selection_set.selections:
        if isinstance(node, FieldNode):
            arguments = tuple(node.arguments or ())
            text = ",".join(print_ast(a) for a in arguments)
            key = internal_key(node.name.value, text, reserved)
            # below a key the client shares, the client's own fields are there too
            below = _client_fields_below(reserved.get(key)) if key == node.name.value else {}
            result.append(
                FieldSelection(
                    key=key,
                    name=node.name.value,
                    arguments=arguments,
                    selections=_internal_selections(node.selection_set, below)
                    if node.selection_set
                    else None,
                )
            )
        elif isinstance(node, InlineFragmentNode):
            result.append(
                InlineSelection(
                    type_condition=node.type_condition.name.value if node.type_condition else None,
                    selections=_internal_selections(node.selection_set, reserved),
                )
            )
    return tuple(result)


def _add_representation(builder: SelectionBuilder, selections: Sequence[Selection]) -> None:
    """Record which data keys feed a representation (``key`` = data key, ``name`` = field)."""
    for selection in selections:
        if isinstance(selection, FieldSelection):
            child = builder.add_field(
                selection.key, selection.name, composite=selection.selections is not None
            )
            if child is not None and selection.selections is not None:
                _add_representation(child, selection.selections)
        elif selection.type_condition is None:
            _add_representation(builder, selection.selections)
        else:
            _add_representation(builder.fragment(selection.type_condition), selection.selections)


def _conflicts(builder: SelectionBuilder, selections: Sequence[Selection]) -> bool:
    """Whether a representation would need one field name with two different values."""
    for selection in selections:
        if isinstance(selection, InlineSelection):
            inner = (
                builder.fragments.get(selection.type_condition)
                if selection.type_condition
                else builder
            )
            if inner is not None and _conflicts(inner, selection.selections):
                return True
            continue
        for entry in builder.entries.values():
            if entry.name == selection.name and entry.key != selection.key:
                return True
            if (
                entry.key == selection.key
                and entry.child
                and selection.selections
                and _conflicts(entry.child, selection.selections)
            ):
                return True
    return False


def _builders_conflict(left: SelectionBuilder, right: SelectionBuilder) -> bool:
    """Whether two representation builders use one field name for different data keys."""
    names = {entry.name: entry for entry in left.entries.values()}
    for entry in right.entries.values():
        other = names.get(entry.name)
        if other is None:
            continue
        if other.key != entry.key:
            return True
        if (
            other.child is not None
            and entry.child is not None
            and _builders_conflict(other.child, entry.child)
        ):
            return True
    for type_name, fragment in right.fragments.items():
        if type_name in left.fragments and _builders_conflict(left.fragments[type_name], fragment):
            return True
    return False


def _representation_items(
    builder: SelectionBuilder, supergraph: Supergraph
) -> tuple[RepresentationItem, ...]:
    items: list[RepresentationItem] = []
    for entry in builder.entries.values():
        items.append(
            RepresentationField(
                name=entry.name,
                data_key=entry.key,
                selections=_representation_items(entry.child, supergraph)
                if entry.child is not None
                else None,
            )
        )
    for type_name, fragment in builder.fragments.items():
        accepts = supergraph.possible_types(type_name) | {type_name}
        items.append(
            RepresentationFragment(
                type_condition=type_name,
                accepts=frozenset(accepts),
                selections=_representation_items(fragment, supergraph),
            )
        )
    return tuple(items)


def _merge_builder(target: SelectionBuilder, source: SelectionBuilder) -> None:
    for key, entry in source.entries.items():
        child = target.add_field(
            key, entry.name, entry.arguments, composite=entry.child is not None
        )
        if child is not None and entry.child is not None:
            _merge_builder(child, entry.child)
    for type_name, fragment in source.fragments.items():
        _merge_builder(target.fragment(type_name), fragment)


def _without_keys(selections: Sequence[Selection], keys: set[str]) -> tuple[Selection, ...]:
    result: list[Selection] = []
    for selection in selections:
        if isinstance(selection, FieldSelection):
            if selection.key not in keys:
                result.append(selection)
        else:
            inner = _without_keys(selection.selections, keys)
            if inner:
                result.append(InlineSelection(selection.type_condition, inner))
    return tuple(result)


def _has_fields(selections: Sequence[Selection]) -> bool:
    return any(isinstance(s, FieldSelection) or _has_fields(s.selections) for s in selections)
