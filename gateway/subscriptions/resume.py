"""Resuming an upstream subscription after the last event published, where its subgraph
offers the convention OA's and ERP's follow (``subgraphs/common/live.py``): the root field
takes an ``after`` argument (a cursor) and each event carries its ``cursor``.

A replica that takes over an upstream subscription (``fanout.py``) asks it again with
``after`` set to the cursor of the last event the previous owner published, so the events
produced in between are not lost and none comes twice. The operation is the plan's fetch as
it stands (its text and variables name the shared subscription); only the upstream request
of the taking replica changes: ``after`` becomes the recorded cursor, as a string literal
(valid for ``String`` and ``ID``), replacing a client's own ``after``, which is earlier.

The cursor is read from the events as the subgraph sends them, so a subscription resumes
only when its selection includes the event's ``cursor`` (unaliased, without directives):
adding the field would change what the client asked for.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from graphql import (
    ArgumentNode,
    DocumentNode,
    FieldNode,
    GraphQLObjectType,
    GraphQLSchema,
    NameNode,
    Node,
    OperationDefinitionNode,
    SelectionSetNode,
    StringValueNode,
    VariableNode,
    Visitor,
    get_named_type,
    parse,
    print_ast,
    visit,
)
from graphql.error import GraphQLSyntaxError

__all__ = ["Resumption", "resumption"]

N = TypeVar("N", bound=Node)
AFTER = "after"
CURSOR = "cursor"


@dataclass(frozen=True)
class Resumption:
    """How to find an event's cursor and to ask the subscription again after one."""

    operation: str
    root_key: str
    cursor_key: str

    def cursor(self, event: Mapping[str, Any]) -> str | None:
        """The cursor ``event`` carries, or None."""
        data = event.get("data")
        value = data.get(self.root_key) if isinstance(data, dict) else None
        cursor = value.get(self.cursor_key) if isinstance(value, dict) else None
        return cursor if isinstance(cursor, str) else None

    def after(self, cursor: str) -> str:
        """The operation asking for the events after ``cursor``."""
        definition = parse(self.operation, no_location=True).definitions[0]
        assert isinstance(definition, OperationDefinitionNode)
        root = _root_field(definition)  # checked by resumption()
        assert root is not None
        kept = tuple(arg for arg in root.arguments or () if arg.name.value != AFTER)
        after = ArgumentNode(name=NameNode(value=AFTER), value=StringValueNode(value=cursor))
        resumed = _with(root, arguments=(*kept, after))
        selection = SelectionSetNode(selections=(resumed,))
        used = _variables_used(selection)
        # a client's own ``$after`` is used no more: an unused variable is invalid
        variables = tuple(
            variable
            for variable in definition.variable_definitions or ()
            if variable.variable.name.value in used
        )
        operation = _with(definition, variable_definitions=variables, selection_set=selection)
        return print_ast(DocumentNode(definitions=(operation,)))


def resumption(schema: GraphQLSchema, operation: str) -> Resumption | None:
    """How subscription ``operation`` (a plan's fetch) resumes, or None when it cannot:
    its root field takes no ``after``, or it does not select the event's ``cursor``."""
    subscription = schema.subscription_type
    try:
        document = parse(operation, no_location=True)
    except GraphQLSyntaxError:
        return None
    if subscription is None or len(document.definitions) != 1:
        return None
    root = _root_field(document.definitions[0])
    if root is None or root.name.value not in subscription.fields:
        return None
    definition = subscription.fields[root.name.value]
    event_type = get_named_type(definition.type)
    if AFTER not in definition.args or not isinstance(event_type, GraphQLObjectType):
        return None
    if CURSOR not in event_type.fields or root.selection_set is None:
        return None
    for selection in root.selection_set.selections:
        if (
            isinstance(selection, FieldNode)
            and selection.name.value == CURSOR
            and not selection.directives
        ):
            key = selection.alias.value if selection.alias else CURSOR
            root_key = root.alias.value if root.alias else root.name.value
            return Resumption(operation, root_key, key)
    return None


def _with(node: N, **changes: Any) -> N:
    """A copy of ``node`` with ``changes`` (graphql-core's nodes are frozen)."""
    kept = {key: getattr(node, key) for key in node.keys if key != "loc"}
    return type(node)(**{**kept, **changes})


def _variables_used(node: Node) -> set[str]:
    used: set[str] = set()

    class Collect(Visitor):
        def enter_variable(self, variable: VariableNode, *_: Any) -> None:
            used.add(variable.name.value)

    visit(node, Collect())
    return used


def _root_field(definition: Any) -> FieldNode | None:
    if not isinstance(definition, OperationDefinitionNode) or definition.operation.value != (
        "subscription"
    ):
        return None
    selections = definition.selection_set.selections
    if len(selections) != 1 or not isinstance(selections[0], FieldNode):
        return None
    field = selections[0]
    return None if field.directives else field
