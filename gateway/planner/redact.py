"""A query plan as one caller may see it: fetches that name schema elements hidden from them
withheld.

A plan is built from what the caller may read, but the fetches the planner adds for them may
name more: the fields an ``@requires`` needs, the keys of an entity, the types of an abstract
type the caller is not shown, ``@inaccessible`` elements. The plan API (``gateway/http/plan.py``)
shows plans to developers, who must learn no more of the schema from a plan than
introspection tells them. So every fetch is checked against the schema the caller sees: its
operation (types, fields and arguments, resolved by name in the whole supergraph schema), its
``requires`` and its ``@fromContext`` rewrites; a fetch that names anything else is replaced
by a :data:`WITHHELD` fetch to the same subgraph (that a fetch happens is not a schema
element), and so is a ``Flatten`` path step the client's operation does not name.
"""

from __future__ import annotations

import dataclasses

from graphql import (
    ArgumentNode,
    FieldNode,
    GraphQLError,
    GraphQLField,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    TypeInfo,
    TypeInfoVisitor,
    Visitor,
    get_named_type,
    parse,
    visit,
)

from .plan import (
    BatchNode,
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

__all__ = ["WITHHELD", "WITHHELD_STEP", "VisiblePlan", "redact_plan"]

WITHHELD = "# withheld: this fetch names schema elements you cannot see"
WITHHELD_STEP = "(withheld)"
"""A ``Flatten`` path step that is not one of the client's response keys."""


@dataclasses.dataclass(frozen=True, slots=True)
class VisiblePlan:
    """The plan a caller may see, and how many fetches were withheld from it."""

    plan: QueryPlan
    withheld: int


def redact_plan(
    plan: QueryPlan, whole: GraphQLSchema, visible: GraphQLSchema, keys: frozenset[str]
) -> VisiblePlan:
    """``plan`` with what ``visible`` does not show withheld; ``whole``: the supergraph's
    schema (every name a fetch may use), ``keys``: the response keys of the client's
    operation (the only steps a path may show)."""
    redactor = _Redactor(whole, visible, keys)
    node = redactor.node(plan.node) if plan.node is not None else None
    deferred = tuple(
        dataclasses.replace(part, node=redactor.node(part.node) if part.node else None)
        for part in plan.deferred
    )
    return VisiblePlan(QueryPlan(node, deferred), redactor.withheld)


class _Redactor:
    def __init__(self, whole: GraphQLSchema, visible: GraphQLSchema, keys: frozenset[str]) -> None:
        self.whole = whole
        self.visible = visible
        self.keys = keys
        self.withheld = 0

    def node(self, node: PlanNode) -> PlanNode:
        match node:
            case SequenceNode(nodes=nodes):
                return SequenceNode(tuple(self.node(child) for child in nodes))
            case ParallelNode(nodes=nodes):
                return ParallelNode(tuple(self.node(child) for child in nodes))
            case FlattenNode():
                return self.flatten(node)
            case BatchNode(parts=parts):
                kept = tuple(self.flatten(part) for part in parts)
                operation = node.operation if kept == parts else WITHHELD
                return dataclasses.replace(node, operation=operation, parts=kept)
            case FetchNode():
                return self.fetch(node)
        raise AssertionError(f"unknown plan node {node!r}")  # pragma: no cover

    def flatten(self, node: FlattenNode) -> FlattenNode:
        path = tuple(
            step if step == "@" or step in self.keys else WITHHELD_STEP for step in node.path
        )
        return FlattenNode(path, self.fetch(node.node))

    def fetch(self, node: FetchNode) -> FetchNode:
        if self.shows(node):
            return node
        self.withheld += 1
        return FetchNode(node.service_name, WITHHELD, node.operation_kind, selection_text=WITHHELD)

    def shows(self, node: FetchNode) -> bool:
        """Whether everything ``node`` names is in the visible schema."""
        if node.context_rewrites:  # their keys are data keys of ancestors: not checked, kept out
            return False
        if node.requires is not None and not all(
            self.item_shown(item, None) for item in node.requires
        ):
            return False
        try:
            document = parse(node.operation, no_location=True)
        except GraphQLError:
            return False
        names = _Names(self.whole, self.visible)
        type_info = TypeInfo(self.whole)
        visit(document, TypeInfoVisitor(type_info, names.visitor(type_info)))
        return names.shown

    def item_shown(self, item: RepresentationItem, parent: str | None) -> bool:
        if isinstance(item, RepresentationFragment):
            if not self.type_shown(item.type_condition):
                return False
            return all(self.item_shown(child, item.type_condition) for child in item.selections)
        assert isinstance(item, RepresentationField)
        if item.name == "__typename":
            return True
        if parent is None or not _has_field(self.visible, parent, item.name):
            return False
        if not item.selections:
            return True
        field_type = _field_type(self.whole, parent, item.name)
        return field_type is not None and all(
            self.item_shown(child, field_type) for child in item.selections
        )

    def type_shown(self, name: str) -> bool:
        return self.visible.get_type(name) is not None


class _Names:
    """Collects whether an operation names only what the visible schema has."""

    def __init__(self, whole: GraphQLSchema, visible: GraphQLSchema) -> None:
        self.whole = whole
        self.visible = visible
        self.shown = True

    def visitor(self, type_info: TypeInfo) -> Visitor:
        names = self

        class _Visitor(Visitor):
            def enter_field(self, node: FieldNode, *_: object) -> None:
                name = node.name.value
                if name.startswith("__") or name in _FEDERATION_FIELDS:
                    return
                parent = type_info.get_parent_type()
                if parent is None or not _has_field(names.visible, parent.name, name):
                    names.shown = False
                    return
                for argument in node.arguments or ():
                    if not _has_argument(names.visible, parent.name, name, argument):
                        names.shown = False

            def enter_inline_fragment(self, node: InlineFragmentNode, *_: object) -> None:
                condition = node.type_condition
                if condition is not None and names.visible.get_type(condition.name.value) is None:
                    names.shown = False

        return _Visitor()


_FEDERATION_FIELDS = frozenset({"_entities", "_service"})


def _definition(schema: GraphQLSchema, type_name: str, name: str) -> GraphQLField | None:
    named = schema.get_type(type_name)
    if isinstance(named, GraphQLObjectType | GraphQLInterfaceType):
        found: GraphQLField | None = named.fields.get(name)
        return found
    return None


def _has_field(schema: GraphQLSchema, type_name: str, name: str) -> bool:
    return _definition(schema, type_name, name) is not None


def _has_argument(schema: GraphQLSchema, type_name: str, name: str, argument: ArgumentNode) -> bool:
    definition = _definition(schema, type_name, name)
    return definition is not None and argument.name.value in definition.args


def _field_type(schema: GraphQLSchema, type_name: str, name: str) -> str | None:
    definition = _definition(schema, type_name, name)
    return get_named_type(definition.type).name if definition is not None else None
