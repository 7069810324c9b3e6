"""Turn the planner's fetch groups into a plan: stages in sequence, fetches of a stage in
parallel; ``_entities`` fetches of one subgraph at one path share a request unless two
representations of a type would clash, and those of one subgraph at different paths of a stage
are batched into one request (each ``_entities`` under its own alias)."""

from __future__ import annotations

from collections.abc import Mapping

from ..supergraph import Supergraph
from .groups import FetchGroup
from .internal import builders_conflict, merge_builder, representation_items
from .plan import (
    BatchNode,
    ContextRewrite,
    FetchNode,
    FlattenNode,
    ParallelNode,
    PlanNode,
    RepresentationFragment,
    SequenceNode,
)
from .selection import SelectionBuilder

__all__ = ["PlanEmitter"]


class PlanEmitter:
    def __init__(
        self,
        groups: list[FetchGroup],
        supergraph: Supergraph,
        variable_types: Mapping[str, str],
    ) -> None:
        self.groups = groups
        self.supergraph = supergraph
        self.variable_types = variable_types

    def emit(self, operation_kind: str, subset: list[FetchGroup] | None = None) -> PlanNode | None:
        """The plan of the groups (``subset`` of them: the first response's, or one deferred
        fragment's, whose stages count the groups they depend on outside it)."""
        chosen = self.groups if subset is None else subset
        groups = [g for g in chosen if not (g.selection.is_empty() and not g.is_entity)]
        if not groups:
            return None
        depth: dict[int, int] = {}

        def depth_of(group: FetchGroup) -> int:
            if group.id not in depth:
                depth[group.id] = -1
                depth[group.id] = 1 + max((depth_of(d) for d in group.deps), default=-1)
            return depth[group.id]

        steps: dict[int, list[FetchGroup]] = {}
        for group in groups:
            steps.setdefault(group.step, []).append(group)
        step_nodes: list[PlanNode] = []
        for step in sorted(steps):
            stages: dict[int, list[FetchGroup]] = {}
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

    def _stage_nodes(self, groups: list[FetchGroup], operation_kind: str) -> list[PlanNode]:
        nodes: list[PlanNode] = []
        merged: dict[tuple[str, tuple[str, ...]], list[FetchGroup]] = {}
        for group in groups:
            if not group.is_entity:
                if not group.selection.is_empty():
                    nodes.append(self._root_fetch(group, operation_kind))
                continue
            if group.selection.is_empty():
                continue
            merged.setdefault((group.graph, group.path), []).append(group)
        for (graph, path), same in merged.items():
            batches: list[list[FetchGroup]] = []
            for group in same:  # one fetch, unless two representations of a type would clash
                if group.context_rewrites:  # its variables hold for its own objects only
                    batches.append([group])
                    continue
                batch = next(
                    (
                        b
                        for b in batches
                        if not b[0].context_rewrites
                        and all(
                            g.type_name != group.type_name
                            or not builders_conflict(g.representation, group.representation)
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
        return self._batched(nodes)

    def _batched(self, nodes: list[PlanNode]) -> list[PlanNode]:
        """The stage's nodes with the entity fetches of each subgraph in one request (a fetch
        with ``@fromContext`` variables keeps its own: they hold for its objects only)."""
        by_service: dict[str, list[FlattenNode]] = {}
        for node in nodes:
            if isinstance(node, FlattenNode) and not node.node.context_rewrites:
                by_service.setdefault(node.node.service_name, []).append(node)
        batched: list[PlanNode] = []
        for node in nodes:
            if not isinstance(node, FlattenNode) or node.node.context_rewrites:
                batched.append(node)
                continue
            parts = by_service.pop(node.node.service_name, None)
            if parts is None:
                continue  # in the batch of an earlier part
            batched.append(parts[0] if len(parts) == 1 else self._batch(parts))
        return batched

    def _batch(self, parts: list[FlattenNode]) -> BatchNode:
        names = {name for part in parts for name in part.node.variable_usages}
        definitions = [f"$representations{i}: [_Any!]!" for i in range(len(parts))]
        if names:
            definitions.append(self._variable_definitions(names))
        selections = " ".join(
            f"_e{i}: _entities(representations: $representations{i}) {part.node.selection_text}"
            for i, part in enumerate(parts)
        )
        return BatchNode(
            service_name=parts[0].node.service_name,
            operation=f"query({', '.join(definitions)}) {{ {selections} }}",
            variable_usages=tuple(sorted(names)),
            parts=tuple(parts),
        )

    def _variable_definitions(self, names: set[str]) -> str:
        return ", ".join(f"${name}: {self.variable_types[name]}" for name in sorted(names))

    def _root_fetch(self, group: FetchGroup, operation_kind: str) -> FetchNode:
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

    def _entity_fetch(self, graph: str, groups: list[FetchGroup]) -> FetchNode:
        by_type: dict[str, SelectionBuilder] = {}
        requires: list[RepresentationFragment] = []
        names: set[str] = set()
        renames: dict[str, str] = {}
        representations: dict[str, SelectionBuilder] = {}
        accepts: dict[str, set[str]] = {}
        rewrites: list[ContextRewrite] = []
        for group in groups:
            renames.update(group.renames)
            rewrites.extend(group.context_rewrites)
            builder = by_type.setdefault(group.type_name, SelectionBuilder())
            merge_builder(builder, group.selection)
            names |= group.selection.variables()
            representation = representations.setdefault(group.type_name, SelectionBuilder())
            merge_builder(representation, group.representation)
            accepts.setdefault(group.type_name, set()).update(group.accepts)
        for type_name, representation in representations.items():
            requires.append(
                RepresentationFragment(
                    type_condition=type_name,
                    accepts=frozenset(accepts[type_name]),
                    selections=representation_items(representation, self.supergraph),
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
            context_rewrites=tuple(rewrites),
        )
