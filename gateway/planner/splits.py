"""Split a field across subgraphs when no one subgraph resolves all of its sub-selection."""

from __future__ import annotations

from graphql import GraphQLSchema
from graphql.language import SelectionSetNode

from ..operation import (
    FieldSelection,
    InlineSelection,
    Selection,
    collect_fields,
    merged_selections,
)
from ..supergraph import Supergraph
from .capabilities import Capabilities, provided_child
from .costs import INF, CostModel
from .internal import unwrap

__all__ = ["Splitter"]


class Splitter:
    """Splits for one planning run (the run's cost model decides what a subgraph resolves)."""

    def __init__(
        self, supergraph: Supergraph, caps: Capabilities, costs: CostModel, schema: GraphQLSchema
    ) -> None:
        self.supergraph = supergraph
        self.caps = caps
        self.costs = costs
        self.schema = schema

    def split(
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
        named, _ = unwrap(self.costs.output_type(type_name, first.name))
        if self.caps.is_abstract(named):
            return self._by_type(type_name, named, same_key, options)
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
                if self.costs.fields(named, target, tuple(sub_same), child_provided) < INF:
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

    def _by_type(
        self,
        type_name: str,
        named: str,
        same_key: list[FieldSelection],
        options: list[tuple[float, int, str, str]],
    ) -> list[tuple[str, str, list[FieldSelection]]] | None:
        """An abstract field no one subgraph resolves for every implementation: fetch it from
        several subgraphs that resolve it directly, each asked for the implementations whose
        selections it resolves (a shareable ``node`` field whose types live apart)."""
        first = same_key[0]
        selections = merged_selections(same_key)
        shared = collect_fields(self.schema, selections, named)
        if any(same[0].name != "__typename" for same in shared.values()):
            # a field asked of every implementation: the references refuse the operation
            # (the audit's corrupted-supergraph-node-id_0 and _5), so does Tandem
            return None
        remaining = set(self.supergraph.possible_types(named))
        parts: list[tuple[str, str, list[FieldSelection]]] = []
        for _, _, how, target in sorted(options, key=lambda o: (o[1], o[3])):
            if how != "local" and not self.caps.local(type_name, first.name, target):
                continue
            taken = [
                possible
                for possible in self.caps.possible_in(named, target)
                if possible in remaining
                and self.costs.fields(possible, target, selections, None) < INF
            ]
            if taken:
                remaining -= set(taken)
                part = FieldSelection(
                    first.key,
                    first.name,
                    first.arguments,
                    tuple(InlineSelection(possible, selections) for possible in taken),
                )
                parts.append(("local", target, [part]))
        if len(parts) < 2 or any(
            collect_fields(self.schema, selections, possible) for possible in remaining
        ):
            return None
        return parts
