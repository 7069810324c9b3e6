"""The ``@cost`` and ``@listSize`` directives of a supergraph, read once into plain tables.

A supergraph composed from subgraphs that use them (Federation 2.9+, by ``@apollo/composition``
or ``@theguild/federation-composition``) links the cost spec and keeps the directives on the
elements they were written on::

    schema @link(url: "https://specs.apollo.dev/cost/v0.1", import: ["@listSize"]) { ... }
    type Book @cost(weight: 2) { rating: Rating @cost(weight: 4) }
    type Query { books(first: Int): [Book!]! @listSize(slicingArguments: ["first"]) }

Their names follow the link spec (https://specs.apollo.dev/link/v1.0): the spec's eponymous
directive is ``@<prefix>`` (``@cost``; ``as:`` renames the prefix), ``@listSize`` is
``@<prefix>__listSize`` unless imported, possibly under another name. A schema without the
link may still declare ``@cost``/``@listSize`` themselves (a plain schema, as in the IBM spec's
examples) or carry ``@federation__cost``/``@federation__listSize`` (a subgraph's SDL); those are
understood too.

What is read (the IBM cost spec, https://ibm.github.io/graphql-specs/cost-spec.html, with the
weights Apollo's and Hive's routers give elements without a directive):

- a field's weight: its own ``@cost``, else its output type's ``@cost``, else 1 for an object,
  interface or union and 0 for a scalar or an enum;
- an argument's or input field's weight: its own ``@cost``, else its type's, else none;
- a field's ``@listSize``: ``assumedSize``, ``slicingArguments`` (dotted paths reach into input
  objects: ``"filter.max"``), ``sizedFields``, ``requireOneSlicingArgument`` (default true).

Weights may be integers (cost v0.1) or numeric strings (the IBM spec's ``"2.0"``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    GraphQLInputObjectType,
    GraphQLSchema,
    get_named_type,
    is_composite_type,
    is_list_type,
    is_non_null_type,
)
from graphql.language import DirectiveNode
from graphql.pyutils import Undefined
from graphql.utilities import value_from_ast_untyped

from ..errors import SupergraphError

__all__ = ["CostSchema", "FieldCost", "InputCost", "ListSize"]

_COST_SPEC = re.compile(r"^https?://[^/]+(?:/.*)?/cost/v\d+\.\d+/?$")


@dataclass(frozen=True, slots=True)
class ListSize:
    """A field's ``@listSize``."""

    assumed_size: int | None = None
    slicing_arguments: tuple[str, ...] = ()
    sized_fields: frozenset[str] = frozenset()
    require_one_slicing_argument: bool = True


@dataclass(frozen=True, slots=True)
class InputCost:
    """An argument or input field: its weight (None: no ``@cost``) and input object type."""

    weight: float | None
    input_type: str | None  # the input object type it takes, if any
    default: Any = None  # its default value (slicing arguments read it)


@dataclass(frozen=True, slots=True)
class FieldCost:
    """What costing one output field needs to know of its definition."""

    weight: float  # explicit @cost, the type's @cost, or the default (1 composite, 0 leaf)
    explicit: bool  # whether the weight came from a directive (leaves cost 0 without one)
    type_name: str  # the named output type
    is_list: bool
    list_size: ListSize | None = None
    arguments: Mapping[str, InputCost] = field(default_factory=dict)


@dataclass(frozen=True)
class CostSchema:
    """Per type, per field: the weights and list sizes of a schema (module docstring)."""

    fields: Mapping[str, Mapping[str, FieldCost]]
    input_fields: Mapping[str, Mapping[str, InputCost]]
    query_type: str = "Query"
    mutation_type: str | None = None
    directives_found: int = 0  # how many @cost/@listSize the schema carries (0: defaults only)

    def field(self, type_name: str, field_name: str) -> FieldCost | None:
        return self.fields.get(type_name, {}).get(field_name)

    @classmethod
    def of(cls, schema: GraphQLSchema) -> CostSchema:
        """Read the directives from ``schema``'s SDL nodes (a schema built from SDL)."""
        cost_name, list_size_name = _directive_names(schema)
        reader = _Reader(cost_name, list_size_name)
        type_weights: dict[str, float] = {}
        for name, gql_type in schema.type_map.items():
            weight = reader.type_weight(gql_type)
            if weight is not None:
                type_weights[name] = weight
        fields: dict[str, dict[str, FieldCost]] = {}
        inputs: dict[str, dict[str, InputCost]] = {}
        for name, gql_type in schema.type_map.items():
            if name.startswith("__"):
                continue
            if isinstance(gql_type, GraphQLInputObjectType):
                inputs[name] = {
                    field_name: reader.input(definition, type_weights)
                    for field_name, definition in gql_type.fields.items()
                }
                continue
            definitions = getattr(gql_type, "fields", None)
            if not isinstance(definitions, dict):
                continue
            fields[name] = {
                field_name: reader.output(definition, type_weights, f"{name}.{field_name}")
                for field_name, definition in definitions.items()
            }
        mutation = schema.mutation_type
        return cls(
            fields=fields,
            input_fields=inputs,
            query_type=schema.query_type.name if schema.query_type else "Query",
            mutation_type=mutation.name if mutation else None,
            directives_found=reader.found + len(type_weights),
        )


def _directive_names(schema: GraphQLSchema) -> tuple[str, str]:
    """The names ``@cost`` and ``@listSize`` carry in ``schema`` (module docstring)."""
    nodes = [schema.ast_node, *(schema.extension_ast_nodes or ())]
    for node in nodes:
        for directive in getattr(node, "directives", None) or ():
            if directive.name.value != "link":
                continue
            args = _arguments(directive)
            if not _COST_SPEC.match(str(args.get("url") or "")):
                continue
            prefix = str(args.get("as") or "cost")
            cost, list_size = prefix, f"{prefix}__listSize"
            for item in args.get("import") or ():
                name = item if isinstance(item, str) else item.get("name")
                alias = item.get("as", name) if isinstance(item, dict) else name
                if name == "@cost":
                    cost = str(alias).lstrip("@")
                elif name == "@listSize":
                    list_size = str(alias).lstrip("@")
            return cost, list_size
    if schema.get_directive("cost") is not None:  # a plain schema declaring the IBM directives
        return "cost", "listSize"
    return "federation__cost", "federation__listSize"


def _arguments(directive: DirectiveNode) -> dict[str, Any]:
    return {a.name.value: value_from_ast_untyped(a.value) for a in directive.arguments or ()}


def _weight(value: Any, where: str) -> float:
    try:
        weight = float(value)
    except (TypeError, ValueError):
        raise SupergraphError(f"@cost on {where}: weight {value!r} is not a number") from None
    if weight != weight or weight in (float("inf"), float("-inf")):
        raise SupergraphError(f"@cost on {where}: weight {value!r} is not a finite number")
    return weight


class _Reader:
    """Reads the two directives off SDL nodes, counting what it found."""

    def __init__(self, cost: str, list_size: str) -> None:
        self.cost = cost
        self.list_size = list_size
        self.found = 0

    def _directive(self, element: Any, name: str) -> DirectiveNode | None:
        nodes = [
            getattr(element, "ast_node", None),
            *(getattr(element, "extension_ast_nodes", None) or ()),
        ]
        for node in nodes:
            for directive in getattr(node, "directives", None) or ():
                if directive.name.value == name:
                    found: DirectiveNode = directive
                    return found
        return None

    def _cost_of(self, element: Any, where: str) -> float | None:
        directive = self._directive(element, self.cost)
        if directive is None:
            return None
        return _weight(_arguments(directive).get("weight"), where)

    def type_weight(self, gql_type: Any) -> float | None:
        return self._cost_of(gql_type, getattr(gql_type, "name", "a type"))

    def input(self, definition: Any, type_weights: Mapping[str, float]) -> InputCost:
        named = get_named_type(definition.type)
        weight = self._cost_of(definition, "an argument or input field")
        if weight is not None:
            self.found += 1
        else:
            weight = type_weights.get(named.name)
        default = definition.default_value
        if default is Undefined:  # graphql-core 3.3 keeps an SDL default as its literal
            literal = getattr(definition.ast_node, "default_value", None)
            default = value_from_ast_untyped(literal) if literal is not None else None
        return InputCost(
            weight=weight,
            input_type=named.name if isinstance(named, GraphQLInputObjectType) else None,
            default=default,
        )

    def output(self, definition: Any, type_weights: Mapping[str, float], where: str) -> FieldCost:
        named = get_named_type(definition.type)
        weight = self._cost_of(definition, where)
        explicit = weight is not None
        if weight is not None:
            self.found += 1
        elif named.name in type_weights:
            weight, explicit = type_weights[named.name], True
        else:
            weight = 1.0 if is_composite_type(named) else 0.0
        list_size = None
        directive = self._directive(definition, self.list_size)
        if directive is not None:
            self.found += 1
            args = _arguments(directive)
            assumed = args.get("assumedSize")
            list_size = ListSize(
                assumed_size=int(assumed) if isinstance(assumed, int) else None,
                slicing_arguments=tuple(args.get("slicingArguments") or ()),
                sized_fields=frozenset(args.get("sizedFields") or ()),
                require_one_slicing_argument=args.get("requireOneSlicingArgument", True)
                is not False,
            )
        output_type = definition.type
        if is_non_null_type(output_type):
            output_type = output_type.of_type
        return FieldCost(
            weight=weight,
            explicit=explicit,
            type_name=named.name,
            is_list=is_list_type(output_type),
            list_size=list_size,
            arguments={
                name: self.input(argument, type_weights)
                for name, argument in definition.args.items()
            },
        )
