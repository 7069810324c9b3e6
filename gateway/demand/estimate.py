"""The estimated cost of an operation: computed from its selections and variables, before it runs.

The rules are the IBM cost spec's as Apollo's and Hive's routers apply them (so a schema's
``@cost``/``@listSize`` mean here what they mean there):

- an operation costs the sum of its root fields, plus 10 for a mutation;
- a field costs ``count x (weight + the cost of its selections) + the cost of its arguments``,
  where the weight is the field's (``schema.py``: its ``@cost``, its type's, else 1 for an
  object, interface or union and 0 for a scalar or enum) and ``count`` is 1 for a field that
  is not a list, otherwise the size its parent's ``@listSize(sizedFields:)`` gives it, else
  its own ``@listSize`` (the largest slicing argument given, else ``assumedSize``), else the
  default list size;
- an argument costs its ``@cost`` weight; an input object 1 (or its weight) plus its fields;
  a list its weight plus its items; null nothing;
- fields of fragments are all counted (an upper bound, as the routers do); ``__typename`` and
  introspection fields cost nothing.

A field whose ``@listSize`` requires exactly one slicing argument and gets none or several is
noted in :attr:`Estimate.problems` (the enforcing mode refuses the operation, as the spec's
validation would).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from graphql.language import (
    ArgumentNode,
    ListValueNode,
    ObjectValueNode,
    ValueNode,
    VariableNode,
)
from graphql.pyutils import Undefined
from graphql.utilities import value_from_ast_untyped

from ..operation import FieldSelection, NormalizedOperation, Selection
from .schema import CostSchema, FieldCost, InputCost

__all__ = ["MUTATION_COST", "Estimate", "argument_cost", "estimate", "operation_base", "whole"]

MUTATION_COST = 10
"""What a mutation costs before its fields (Apollo's and Hive's figure)."""

COST_CAP = 10**15
"""Costs stop growing here: nested default-sized lists multiply quickly."""


@dataclass(frozen=True, slots=True)
class Estimate:
    """An operation's estimated cost; ``reads_variables`` says whether another request with
    the same document but other variables may cost differently (else it may be reused)."""

    cost: int
    reads_variables: bool = False
    problems: tuple[str, ...] = field(default=())


def operation_base(operation: NormalizedOperation) -> int:
    return MUTATION_COST if operation.kind == "mutation" else 0


def estimate(
    schema: CostSchema,
    operation: NormalizedOperation,
    variables: Mapping[str, Any],
    default_list_size: int,
) -> Estimate:
    """The estimated cost of ``operation`` with ``variables`` (module docstring)."""
    walk = _Estimator(schema, variables, default_list_size)
    cost = operation_base(operation) + walk.selections(
        operation.selections, operation.root_type, None
    )
    return Estimate(whole(cost), walk.reads_variables, tuple(walk.problems))


def whole(cost: float) -> int:
    """A cost as reported and compared: rounded up, capped at :data:`COST_CAP`."""
    if cost >= COST_CAP or cost != cost:
        return COST_CAP
    return max(0, math.ceil(cost))


class _Estimator:
    def __init__(
        self, schema: CostSchema, variables: Mapping[str, Any], default_list_size: int
    ) -> None:
        self.schema = schema
        self.variables = dict(variables)
        self.default_list_size = default_list_size
        self.reads_variables = False
        self.problems: list[str] = []

    def selections(
        self,
        items: Sequence[Selection],
        parent: str,
        sized: tuple[frozenset[str], int] | None,
    ) -> float:
        total = 0.0
        for item in items:
            if isinstance(item, FieldSelection):
                upstream = sized[1] if sized is not None and item.name in sized[0] else None
                total += self.field(item, parent, upstream)
            else:
                total += self.selections(item.selections, item.type_condition or parent, sized)
        return min(total, COST_CAP)

    def field(self, selection: FieldSelection, parent: str, upstream: int | None) -> float:
        if selection.name.startswith("__"):
            return 0.0
        definition = self.schema.field(parent, selection.name)
        if definition is None:
            return 0.0
        expected = self.expected_size(definition, selection, parent)
        if not definition.is_list:
            count = 1
        elif upstream is not None:
            count = upstream
        elif expected is not None:
            count = expected
        else:
            count = self.default_list_size
        list_size = definition.list_size
        sized = (
            (list_size.sized_fields, expected)
            if list_size is not None and list_size.sized_fields and expected is not None
            else None
        )
        inner = definition.weight
        if selection.selections:
            inner += self.selections(selection.selections, definition.type_name, sized)
        return count * inner + self.arguments(selection.arguments, definition)

    def arguments(self, arguments: Sequence[ArgumentNode], definition: FieldCost) -> float:
        total = 0.0
        for argument in arguments:
            input_cost = definition.arguments.get(argument.name.value)
            if input_cost is None or (input_cost.weight is None and input_cost.input_type is None):
                continue  # a scalar or enum without a weight costs nothing, whatever its value
            total += argument_cost(self.value(argument.value), input_cost, self.schema)
        return total

    def value(self, node: ValueNode) -> Any:
        if _has_variable(node):
            self.reads_variables = True
        return value_from_ast_untyped(node, self.variables)

    def expected_size(
        self, definition: FieldCost, selection: FieldSelection, parent: str
    ) -> int | None:
        """The size a field's ``@listSize`` promises: its largest slicing argument, else its
        ``assumedSize`` (None without ``@listSize``)."""
        list_size = definition.list_size
        if list_size is None:
            return None
        given = {argument.name.value: argument for argument in selection.arguments}
        sizes: list[int] = []
        for path in list_size.slicing_arguments:
            head, *rest = path.split(".")
            node = given.get(head)
            value: Any = Undefined
            if node is not None:
                value = self.value(node.value)
            elif head in definition.arguments:
                value = definition.arguments[head].default
            for key in rest:
                value = value.get(key) if isinstance(value, dict) else None
            if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
                sizes.append(value)
        if (
            list_size.slicing_arguments
            and list_size.require_one_slicing_argument
            and len(sizes) != 1
        ):
            self.problems.append(
                f"{parent}.{selection.name} needs exactly one of its slicing arguments "
                f"({', '.join(list_size.slicing_arguments)}), got {len(sizes)}"
            )
        return max(sizes) if sizes else list_size.assumed_size


def argument_cost(value: Any, input_cost: InputCost, schema: CostSchema) -> float:
    """What one argument (or input field) value costs (module docstring)."""
    if value is None or value is Undefined:
        return 0.0
    if isinstance(value, list):
        return (input_cost.weight or 0.0) + sum(
            argument_cost(item, input_cost, schema) for item in value
        )
    if isinstance(value, dict) and input_cost.input_type is not None:
        fields = schema.input_fields.get(input_cost.input_type, {})
        total = input_cost.weight if input_cost.weight is not None else 1.0
        for name, item in value.items():
            nested = fields.get(name)
            if nested is not None:
                total += argument_cost(item, nested, schema)
        return total
    return input_cost.weight or 0.0


def _has_variable(node: ValueNode) -> bool:
    if isinstance(node, VariableNode):
        return True
    if isinstance(node, ListValueNode):
        return any(_has_variable(item) for item in node.values)
    if isinstance(node, ObjectValueNode):
        return any(_has_variable(item.value) for item in node.fields)
    return False
