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

``@defer`` (``defer=True``, queries): a deferred fragment at the root is planned as root
fetches of its own; one on an entity as an ``_entities`` fetch from the objects the first
response fetched (their keys added there), with whatever that fragment needs further; each
becomes a :class:`DeferredNode` run after the primary plan (as Apollo's ``DeferNode``). A
fragment nested in a deferred one goes with it, and one on a value type the first response
already carries (no key to fetch it by) is delivered with the first response: the incremental
delivery RFC lets a server deliver deferred fields early.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager

from graphql import GraphQLSchema
from graphql.language import ArgumentNode, NameNode, SelectionSetNode, VariableNode

from ..errors import TandemError
from ..operation import (
    DeferMark,
    FieldSelection,
    InlineSelection,
    Selection,
    collect_fields,
    fragment_applies,
    merged_selections,
)
from ..supergraph import Supergraph
from ..supergraph.model import ContextArgument
from .capabilities import Capabilities, provided_child
from .contexts import ContextLevel, context_names, data_keys
from .costs import EPSILON, INF, CostModel
from .emit import PlanEmitter
from .groups import FetchGroup
from .internal import (
    Reserved,
    add_representation,
    has_fields,
    internal_selections,
    representation_conflicts,
    reserved_keys,
    selection_size,
    unwrap,
    without_keys,
)
from .plan import ContextRewrite, DeferredNode, QueryPlan
from .selection import SelectionBuilder
from .shareable import PathGraphs
from .splits import Splitter

__all__ = ["PlanningError", "build_query_plan"]


class PlanningError(TandemError):
    """The operation cannot be planned against this supergraph (a composition gap)."""

    code = "QUERY_PLANNING_FAILED"
    status = 500


def build_query_plan(
    supergraph: Supergraph,
    operation_kind: str,
    selections: tuple[Selection, ...],
    variable_types: Mapping[str, str],
    *,
    capabilities: Capabilities | None = None,
    defer: bool = False,
) -> QueryPlan:
    """Plan ``selections`` (a normalized operation of ``operation_kind``); ``defer``: plan the
    fragments marked ``@defer`` as deferred fetches (a query's; otherwise they are ordinary)."""
    builder = _PlanBuilder(supergraph, capabilities or Capabilities(supergraph), variable_types)
    builder.deferring = defer and operation_kind == "query"
    return builder.build(operation_kind, selections)


class _PlanBuilder:
    def __init__(
        self, supergraph: Supergraph, caps: Capabilities, variable_types: Mapping[str, str]
    ) -> None:
        self.supergraph = supergraph
        self.caps = caps
        # the whole schema: abstract fragments also cover @inaccessible implementations
        self.schema: GraphQLSchema = supergraph.schema
        self.variable_types = dict(variable_types)  # @fromContext adds its variables
        self.groups: list[FetchGroup] = []
        self.index: dict[tuple[object, ...], FetchGroup] = {}
        self.touched: list[set[FetchGroup]] = []
        self.costs = CostModel(supergraph, caps, self.schema)
        self.step = 0
        self.needed_roots: set[str] = set()
        self.path_graphs = PathGraphs(caps, self.costs)
        self.splitter = Splitter(supergraph, caps, self.costs, self.schema)
        # the levels being planned whose type carries @context names, innermost last
        self.context_levels: list[ContextLevel] = []
        self.deferring = False  # whether @defer fragments become deferred fetches
        self.defer_mark: DeferMark | None = None  # the deferred fragment being planned
        self.deferred: dict[int, tuple[DeferMark, tuple[str, ...], str]] = {}

    # -- entry -------------------------------------------------------------------------------

    def build(self, operation_kind: str, selections: tuple[Selection, ...]) -> QueryPlan:
        root_type = {
            "query": self.supergraph.query_type,
            "mutation": self.supergraph.mutation_type,
            "subscription": self.supergraph.subscription_type,
        }.get(operation_kind)
        if root_type is None:
            raise PlanningError(f"the schema has no {operation_kind} type", status=400)
        reserved = reserved_keys(collect_fields(self.schema, selections, root_type))
        later: list[InlineSelection] = []
        if self.deferring:
            selections, later = self._deferred_fragments(selections, root_type)
        fields = collect_fields(self.schema, selections, root_type)
        self.needed_roots = {
            candidates[0]
            for same_key in fields.values()
            if not same_key[0].name.startswith("__")
            and len(candidates := self.caps.field_graphs(root_type, same_key[0].name)) == 1
        }
        self._plan_roots(operation_kind, root_type, fields, reserved)
        for fragment in later:  # root fetches of their own
            assert fragment.defer is not None
            with self._deferred(fragment.defer, (), root_type):
                fields = collect_fields(self.schema, fragment.selections, root_type)
                self._plan_roots(operation_kind, root_type, fields, reserved)
        emitter = PlanEmitter(self.groups, self.supergraph, self.variable_types)
        primary = [group for group in self.groups if group.defer is None]
        deferred = tuple(
            DeferredNode(
                mark.id,
                mark.label,
                path,
                type_name,
                emitter.emit("query", [g for g in self.groups if g.defer == mark.id]),
            )
            for mark, path, type_name in self.deferred.values()
        )
        return QueryPlan(node=emitter.emit(operation_kind, primary), deferred=deferred)

    def _plan_roots(
        self,
        operation_kind: str,
        root_type: str,
        fields: Mapping[str, list[FieldSelection]],
        reserved: Reserved,
    ) -> None:
        """Plan the root ``fields``: one root fetch per subgraph (a mutation's in order)."""
        current: FetchGroup | None = None
        roots: dict[str, FetchGroup] = {}
        for key, same_key in fields.items():
            name = same_key[0].name
            if name.startswith("__"):
                continue  # __typename, __schema, __type: answered by the gateway
            graph = self._choose_root_graph(root_type, same_key, roots)
            if (
                operation_kind == "query"
                and same_key[0].selections is not None
                and self.costs.local(root_type, graph, same_key, None) == INF
            ):
                candidates = self.caps.field_graphs(root_type, name)
                parts = self.splitter.split(
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

    # -- @defer ------------------------------------------------------------------------------

    def _deferred_fragments(
        self, selections: Sequence[Selection], type_name: str
    ) -> tuple[tuple[Selection, ...], list[InlineSelection]]:
        """``selections`` without the ``@defer`` fragments that apply to ``type_name`` here
        (outside any deferred fragment), and those fragments."""
        if self.defer_mark is not None:
            return tuple(selections), []  # a nested @defer goes with its enclosing fragment
        kept: list[Selection] = []
        later: list[InlineSelection] = []
        for item in selections:
            if (
                isinstance(item, InlineSelection)
                and item.defer is not None
                and fragment_applies(self.schema, item.type_condition, type_name)
            ):
                later.append(item)
            else:
                kept.append(item)
        return tuple(kept), later

    @contextmanager
    def _deferred(self, mark: DeferMark, path: tuple[str, ...], type_name: str) -> Iterator[None]:
        """Groups made meanwhile are ``mark``'s deferred fetches."""
        self.defer_mark = mark
        self.deferred[mark.id] = (mark, path, type_name)
        try:
            yield
        finally:
            self.defer_mark = None

    def _plan_deferred(
        self,
        group: FetchGroup,
        builder: SelectionBuilder,
        type_name: str,
        selections: Sequence[Selection],
        path: tuple[str, ...],
        provided: SelectionSetNode | None,
        reserved: Reserved,
    ) -> Sequence[Selection]:
        """Plan the ``@defer`` fragments on objects of entity type ``type_name`` as entity
        fetches from ``group``'s objects; returns the selections left to plan here (with the
        fragments no key can fetch later: they come with the first response)."""
        selections, later = self._deferred_fragments(selections, type_name)
        for fragment in later:
            assert fragment.defer is not None
            target = self._defer_target(group.graph, type_name, fragment.selections, provided)
            if target is None:
                selections = (
                    *selections,
                    InlineSelection(fragment.type_condition, fragment.selections),
                )
                continue
            with self._deferred(fragment.defer, path, type_name):
                entity = self._jump(
                    group, builder, type_name, path, target, reserved, {type_name},
                    kind=f"defer{fragment.defer.id}", provided=provided,
                )  # fmt: skip
                self._plan_selections(
                    entity, entity.selection, entity.type_name, fragment.selections, path, None
                )
        return selections

    def _defer_target(
        self,
        graph: str,
        type_name: str,
        selections: Sequence[Selection],
        provided: SelectionSetNode | None,
    ) -> str | None:
        """The subgraph a deferred fragment's entity fetch goes to: one a key of the objects
        in ``graph`` reaches that resolves most of its fields (``graph`` itself on a tie). A
        field with ``@requires`` there does not count: it always takes an entity fetch of its
        own after its requirements, so choosing its subgraph would only add a fetch of keys.
        A subgraph from which some field of the fragment cannot be planned is never chosen
        (difftest: ``category { name }`` went to a subgraph whose categories have no key); with
        none left, ``None``: the fragment comes with the first response, planned from there."""
        names = [
            same_key[0].name
            for same_key in collect_fields(self.schema, selections, type_name).values()
        ]
        fragment = tuple(selections)
        reachable = [
            g
            for g in self.caps.graph_ids
            if self.costs.jump(type_name, graph, g, provided) < INF
            and self.costs.selections(type_name, g, fragment, None) < INF
        ]
        if not reachable:
            return None
        return min(
            reachable,
            key=lambda g: (
                -sum(
                    self.caps.local(type_name, name, g)
                    and self.caps.requires(type_name, name, g) is None
                    for name in names
                ),
                g != graph,
                self.caps.graph_ids.index(g),
            ),
        )

    def _choose_root_graph(
        self, root_type: str, same_key: list[FieldSelection], roots: Mapping[str, FetchGroup]
    ) -> str:
        name = same_key[0].name
        candidates = self.caps.field_graphs(root_type, name)
        if not candidates:
            raise PlanningError(f"no subgraph resolves {root_type}.{name}")
        return min(
            candidates,
            key=lambda g: (
                self.costs.local(root_type, g, same_key, None),
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
        parent: FetchGroup | None,
        kind: str = "",
    ) -> FetchGroup:
        group = FetchGroup(
            id=len(self.groups),
            graph=graph,
            type_name=type_name,
            path=path,
            is_entity=is_entity,
            parent=parent,
            step=self.step,
            kind=kind,
            defer=self.defer_mark.id if self.defer_mark is not None else None,
        )
        if parent is not None:
            group.deps.add(parent)
        self.groups.append(group)
        return group

    def _group_key(
        self,
        graph: str,
        view: str | None,
        path: tuple[str, ...],
        parent: FetchGroup,
        kind: str,
    ) -> tuple[object, ...]:
        """The key of ``self.index`` an entity group is filed under: every lookup builds it
        here, so a lookup never misses a group for want of a part (``@requires`` keeps fetches
        whose representations would clash apart by looking here)."""
        # a deferred fragment's fetches are its own: the first response never waits for them
        defer = self.defer_mark.id if self.defer_mark is not None else None
        return (graph, view, path, parent.id, kind, defer)

    def _entity_group(
        self,
        graph: str,
        view: str,
        path: tuple[str, ...],
        parent: FetchGroup,
        accepts: set[str],
        kind: str = "",
    ) -> FetchGroup:
        index_key = self._group_key(graph, view, path, parent, kind)
        group = self.index.get(index_key)
        if group is None:
            group = self._new_group(graph, view, path, True, parent, kind)
            self.index[index_key] = group
        group.accepts |= accepts
        self._touch(group)
        return group

    def _touch(self, group: FetchGroup) -> None:
        for touched in self.touched:
            touched.add(group)

    @contextmanager
    def _tracking(self) -> Iterator[set[FetchGroup]]:
        touched: set[FetchGroup] = set()
        self.touched.append(touched)
        try:
            yield touched
        finally:
            self.touched.pop()

    # -- levels ------------------------------------------------------------------------------

    def _plan_selections(
        self,
        group: FetchGroup,
        builder: SelectionBuilder,
        type_name: str,
        selections: Sequence[Selection],
        path: tuple[str, ...],
        provided: SelectionSetNode | None,
    ) -> None:
        """Plan a selection set on objects of (possibly abstract) ``type_name`` in ``group``."""
        graph = group.graph
        if not self.caps.is_abstract(type_name):
            reserved = None
            if self.deferring and self.defer_mark is None:
                # keys the planner adds avoid the client's keys, deferred ones included
                reserved = reserved_keys(collect_fields(self.schema, selections, type_name))
                selections = self._plan_deferred(
                    group, builder, type_name, selections, path, provided, reserved
                )
            fields = collect_fields(self.schema, selections, type_name)
            self._plan_fields(group, builder, type_name, fields, path, provided, reserved)
            return
        meta = self.caps.meta(type_name)
        if meta is not None and meta.is_interface_object_in(graph):
            self._plan_interface_object(group, builder, type_name, selections, path, provided)
            return
        builder.add_typename()
        possible_types = self.caps.possible_in(type_name, graph)
        if not possible_types:
            self._plan_without_implementations(group, builder, type_name, selections, path)
            return
        if meta is not None and meta.kind == "interface":
            selections = self._plan_through_interface_object(
                group, builder, type_name, selections, path, possible_types
            )
        safe = self.path_graphs.safe_members(type_name, path, possible_types)
        for possible in possible_types:
            if possible not in safe:
                continue  # another subgraph may have produced the value: fields stay null
            fields = collect_fields(self.schema, selections, possible)
            if fields:
                self._plan_fields(
                    group, builder.fragment(possible), possible, fields, path, provided
                )

    def _plan_through_interface_object(
        self,
        group: FetchGroup,
        builder: SelectionBuilder,
        interface: str,
        selections: Sequence[Selection],
        path: tuple[str, ...],
        possible_types: tuple[str, ...],
    ) -> Sequence[Selection]:
        """Plan the interface's own fields that some implementation has only through an
        ``@interfaceObject`` subgraph (which knows that implementation under its own name,
        without the field) by one jump as the interface; returns the selections left to plan
        per implementation."""
        meta = self.caps.meta(interface)
        assert meta is not None
        holders = [g for g in self.caps.graph_ids if meta.is_interface_object_in(g)]
        if not holders:
            return selections
        fields = collect_fields(self.schema, selections, interface)
        planned: set[str] = set()
        for key, same_key in fields.items():
            name = same_key[0].name
            if name == "__typename" or all(
                self.caps.field_graphs(possible, name) for possible in possible_types
            ):
                continue  # each implementation has a subgraph of its own for it
            target = next((g for g in holders if self.caps.local(interface, name, g)), None)
            if target is None or self.costs.jump(interface, group.graph, target) == INF:
                continue
            entity = self._jump(
                group, builder, interface, path, target, reserved_keys(fields),
                self._accepts(interface),
            )  # fmt: skip
            self._plan_here(entity, entity.selection, entity.type_name, key, same_key, path, None)
            planned.add(key)
        return without_keys(selections, planned) if planned else selections

    def _plan_without_implementations(
        self,
        group: FetchGroup,
        builder: SelectionBuilder,
        type_name: str,
        selections: Sequence[Selection],
        path: tuple[str, ...],
    ) -> None:
        """``group``'s subgraph returns no known implementation of ``type_name``: no object
        it returns can have other fields, so only what it resolves on the interface itself
        is asked for (as Apollo Gateway and Hive Gateway do; whatever it returns is then
        checked like any answer)."""
        fields = collect_fields(self.schema, selections, type_name)
        local = {
            key: same_key
            for key, same_key in fields.items()
            if self.caps.local(type_name, same_key[0].name, group.graph)
        }
        asked = [k for k, same_key in fields.items() if same_key[0].name != "__typename"]
        if asked and all(key not in local for key in asked):
            # nothing of the selection could ever be answered: refused, as both references
            # refuse it (the audit's non-resolvable-interface-object_1)
            name = fields[asked[0]][0].name
            raise PlanningError(
                f"cannot plan {type_name}.{name}: {self.supergraph.graph_name(group.graph)} "
                "returns no implementation that resolves it"
            )
        self._plan_fields(group, builder, type_name, local, path, None, reserved_keys(fields))

    def _plan_interface_object(
        self,
        group: FetchGroup,
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
        reserved = reserved_keys(fields)
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
        rest = without_keys(selections, set(local))
        if not has_fields(rest):
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
                and self.costs.jump(interface, graph, join.graph) < INF
            ):
                return join.graph
        return None

    def _plan_fields(
        self,
        group: FetchGroup,
        builder: SelectionBuilder,
        type_name: str,
        fields: Mapping[str, list[FieldSelection]],
        path: tuple[str, ...],
        provided: SelectionSetNode | None,
        reserved: Reserved | None = None,
        *,
        for_key: bool = False,
    ) -> None:
        reserved = reserved if reserved is not None else reserved_keys(fields)
        names = context_names(self.supergraph, type_name)
        if names:
            self.context_levels.append(
                ContextLevel(names, group, builder, type_name, path, provided, reserved)
            )
        try:
            for key, same_key in fields.items():
                self._plan_field(
                    group, builder, type_name, key, same_key, path, provided, reserved, for_key
                )
        finally:
            if names:
                self.context_levels.pop()

    def _plan_field(
        self,
        group: FetchGroup,
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
        for candidate in caps.field_graphs(type_name, name):
            arguments = caps.context_arguments(type_name, name, candidate)
            if arguments:
                self._plan_context_field(
                    group, builder, type_name, same_key, path, provided, reserved, candidate,
                    arguments,
                )  # fmt: skip
                return
        options: list[tuple[float, int, str, str]] = []
        if caps.local(type_name, name, graph, provided, for_key=for_key):
            requires = caps.requires(type_name, name, graph)
            cost = self.costs.local(type_name, graph, same_key, provided)
            if requires is None:
                options.append((cost, 0, "local", graph))
            else:
                options.append((cost + 1, 1, "requires", graph))
        for other in caps.field_graphs(type_name, name):
            if other == graph:
                continue
            jump_cost = self.costs.jump(type_name, graph, other, provided)
            if jump_cost == INF:
                continue
            cost = jump_cost + self.costs.local(type_name, other, same_key, None)
            cost += EPSILON * selection_size(same_key)
            if caps.requires(type_name, name, other) is not None:
                cost += 1
            view = caps.view(type_name, other)
            existing = self._group_key(other, view, path, group, "") in self.index
            options.append((cost, 2 if existing else 3, "jump", other))
        if not options:
            raise PlanningError(
                f"cannot plan {type_name}.{name} at {'.'.join(path) or 'the root'}: no subgraph "
                f"reachable from {self.supergraph.graph_name(graph)} resolves it"
            )
        options.sort(key=lambda option: (option[0], option[1], caps.graph_ids.index(option[3])))
        cost, _, how, target = options[0]
        if cost == INF and first.selections is not None:
            parts = self.splitter.split(type_name, graph, same_key, provided, options)
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

    def _plan_option(
        self,
        group: FetchGroup,
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
        group: FetchGroup,
        builder: SelectionBuilder,
        type_name: str,
        key: str,
        same_key: list[FieldSelection],
        path: tuple[str, ...],
        provided: SelectionSetNode | None,
    ) -> None:
        """Add a field the group's subgraph resolves, and plan its sub-selection."""
        first = same_key[0]
        field_type = self.costs.output_type(type_name, first.name)
        named, list_depth = unwrap(field_type)
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
        self.path_graphs.record(graph, type_name, first.name, path, child_path)
        in_graph = self.costs.type_in_graph(type_name, first.name, graph, named)
        if in_graph != named:
            child.add_typename()  # the subgraph's type is narrower: say which type it is
        self._plan_selections(
            group, child, in_graph, merged_selections(same_key), child_path, child_provided
        )

    def _alias_for_type_mismatch(
        self, group: FetchGroup, type_name: str, field_name: str, key: str
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

    # -- @fromContext -------------------------------------------------------------------------

    def _plan_context_field(
        self,
        group: FetchGroup,
        builder: SelectionBuilder,
        type_name: str,
        same_key: list[FieldSelection],
        path: tuple[str, ...],
        provided: SelectionSetNode | None,
        reserved: Reserved,
        target: str,
        arguments: tuple[ContextArgument, ...],
    ) -> None:
        """A field with ``@fromContext`` arguments: each argument's selection is fetched on the
        nearest ancestor carrying its context, and the field by an entity fetch of its own
        that passes the values as variables, one request per distinct value."""
        rewrites: list[ContextRewrite] = []
        extra: list[ArgumentNode] = []
        with self._tracking() as touched:
            for argument in arguments:
                level = next(
                    (lv for lv in reversed(self.context_levels) if argument.context in lv.names),
                    None,
                )
                if level is None:
                    raise PlanningError(
                        f"cannot plan {type_name}.{same_key[0].name}: no enclosing field "
                        f"provides the context {argument.context!r} of its argument "
                        f"{argument.name!r}"
                    )
                selections = internal_selections(argument.selection, level.reserved)
                self._plan_fields(
                    level.group,
                    level.builder,
                    level.type_name,
                    collect_fields(self.schema, selections, level.type_name),
                    level.path,
                    level.provided,
                    level.reserved,
                )
                variable = f"contextualArgument_{len(self.variable_types)}_{len(rewrites)}"
                self.variable_types[variable] = argument.type
                rewrites.append(
                    ContextRewrite(
                        variable=variable,
                        ancestor_path=level.path,
                        keys=data_keys(selections, level.type_name),
                        accepts=frozenset({level.type_name}),
                    )
                )
                extra.append(
                    ArgumentNode(
                        name=NameNode(value=argument.name),
                        value=VariableNode(name=NameNode(value=variable)),
                    )
                )
        kind = f"context{len(self.groups)}"
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
        entity.context_rewrites.extend(rewrites)
        fields = [
            FieldSelection(s.key, s.name, (*s.arguments, *extra), s.selections) for s in same_key
        ]
        first = fields[0]
        self._plan_here(entity, entity.selection, entity.type_name, first.key, fields, path, None)

    # -- entity jumps ------------------------------------------------------------------------

    def _jump(
        self,
        group: FetchGroup,
        builder: SelectionBuilder,
        type_name: str,
        path: tuple[str, ...],
        target: str,
        reserved: Reserved,
        accepts: set[str],
        *,
        kind: str = "",
        provided: SelectionSetNode | None = None,
    ) -> FetchGroup:
        """Fetch a key of ``target`` here (jumping elsewhere for parts of it if need be) and
        return the entity group in ``target`` that the key leads to."""
        key = self.costs.best_key(type_name, group.graph, target, provided)
        if key is None:
            raise PlanningError(
                f"no key of {type_name} leads from {self.supergraph.graph_name(group.graph)} "
                f"to {self.supergraph.graph_name(target)}"
            )
        view = self.caps.view(type_name, target)
        assert view is not None
        builder.add_typename()
        key_selections = internal_selections(key, reserved)
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
        add_representation(entity.representation, key_selections)
        return entity

    def _plan_requires(
        self,
        group: FetchGroup,
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
        required = internal_selections(requires, reserved)
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
            existing = self.index.get(self._group_key(target, view, path, group, kind))
            if existing is None or not representation_conflicts(existing.representation, required):
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
        add_representation(entity.representation, required)
        self._plan_here(entity, entity.selection, entity.type_name, key, same_key, path, None)
