"""The actual cost of an operation: the estimate's rules applied to the response it got.

Where the estimate multiplies by the sizes ``@listSize`` promises, this counts the items the
lists really hold: each object in the response costs its field's weight plus its own fields,
each scalar its weight, a null nothing (unless the field has an explicit ``@cost``: its
resolver ran). Arguments cost what they cost in the estimate, once per field per object that
holds it; a mutation adds its base of 10. The figure is for metrics and the response's
``extensions.cost``: what ran cannot be refused any more, so it is never enforced (as with
Apollo's and Hive's routers).

Response keys are counted once per object, whichever fragments selected them, so the
figure is what the response holds, not what the document says.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from graphql.utilities import value_from_ast_untyped

from ..operation import FieldSelection, NormalizedOperation, Selection
from .estimate import argument_cost, operation_base, whole
from .schema import CostSchema, FieldCost

__all__ = ["actual_cost"]


def actual_cost(
    schema: CostSchema,
    operation: NormalizedOperation,
    variables: Mapping[str, Any],
    data: Any,
) -> int:
    """The cost of ``data`` (the response's ``data``) as an answer to ``operation``."""
    walk = _Actual(schema, variables)
    cost = float(operation_base(operation))
    if isinstance(data, dict):
        cost += walk.object(data, operation.selections, operation.root_type)
    return whole(cost)


_Step = tuple[str, FieldCost, tuple[Selection, ...], float]
"""One response key of an object: its field's definition, sub-selections and argument cost."""


class _Actual:
    def __init__(self, schema: CostSchema, variables: Mapping[str, Any]) -> None:
        self.schema = schema
        self.variables = dict(variables)
        # (selections, parent type) -> its steps, worked out once per call, not per object (the
        # selections are the operation's or a step's own tuple, alive while the walk runs)
        self._steps: dict[tuple[int, str], list[_Step]] = {}

    def steps(self, selections: Sequence[Selection], parent: str) -> list[_Step]:
        memo = (id(selections), parent)
        found = self._steps.get(memo)
        if found is not None:
            return found
        steps: list[_Step] = []
        for key, fields in _by_key(selections, parent).items():
            selection, owner = fields[0]
            if selection.name.startswith("__"):
                continue
            definition = self.schema.field(owner, selection.name)
            if definition is None:
                continue
            children: list[Selection] = []
            for each, _ in fields:
                children.extend(each.selections or ())
            arguments = 0.0
            for argument in selection.arguments:
                input_cost = definition.arguments.get(argument.name.value)
                if input_cost is not None:
                    given = value_from_ast_untyped(argument.value, self.variables)
                    arguments += argument_cost(given, input_cost, self.schema)
            if not children and definition.weight == 0 and arguments == 0:
                continue  # a free leaf (most of a response): nothing to count, whatever it holds
            steps.append((key, definition, tuple(children), arguments))
        self._steps[memo] = steps
        return steps

    def object(
        self, value: Mapping[str, Any], selections: Sequence[Selection], parent: str
    ) -> float:
        total = 0.0
        for key, definition, children, arguments in self.steps(selections, parent):
            if key in value:
                total += self.value(value[key], definition, children) + arguments
        return total

    def value(self, value: Any, definition: FieldCost, children: Sequence[Selection]) -> float:
        if value is None:
            return definition.weight if definition.explicit else 0.0
        if isinstance(value, list):
            return sum(self.value(item, definition, children) for item in value)
        if isinstance(value, dict):
            return definition.weight + self.object(value, children, definition.type_name)
        return definition.weight


def _by_key(
    selections: Sequence[Selection], parent: str
) -> dict[str, list[tuple[FieldSelection, str]]]:
    """Response key -> the fields selected under it, each with the type it was selected on."""
    found: dict[str, list[tuple[FieldSelection, str]]] = {}
    pending: list[tuple[Sequence[Selection], str]] = [(selections, parent)]
    while pending:
        items, owner = pending.pop()
        for item in items:
            if isinstance(item, FieldSelection):
                found.setdefault(item.key, []).append((item, owner))
            else:
                pending.append((item.selections, item.type_condition or owner))
    return found
