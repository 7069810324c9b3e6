"""Read a Federation 2 supergraph SDL into a :class:`Supergraph` (the only module doing I/O here).

Supports the supergraphs produced by ``rover supergraph compose``, ``@apollo/composition`` and
``@theguild/federation-composition``: link v1.0, join v0.1-v0.5, inaccessible and tag; other
linked specs are kept as plain directives unless they are ``for: EXECUTION`` or
``for: SECURITY``, which a gateway must understand and so are refused.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from graphql import GraphQLError, build_ast_schema, parse, print_ast
from graphql.language import (
    DirectiveNode,
    DocumentNode,
    EnumTypeDefinitionNode,
    EnumTypeExtensionNode,
    InterfaceTypeDefinitionNode,
    InterfaceTypeExtensionNode,
    ObjectTypeDefinitionNode,
    ObjectTypeExtensionNode,
    SchemaDefinitionNode,
    SchemaExtensionNode,
    SelectionSetNode,
    TypeDefinitionNode,
    UnionTypeDefinitionNode,
    UnionTypeExtensionNode,
)
from graphql.utilities import value_from_ast_untyped

from ..errors import SupergraphError
from .api_schema import build_api_schema
from .links import LinkedSpecs, read_links
from .links import source_line as _line
from .model import ContextArgument, FieldJoin, FieldMeta, Graph, Supergraph, TypeJoin, TypeMeta

__all__ = ["load_supergraph", "parse_field_set", "read_supergraph"]

_KINDS: dict[type, str] = {
    ObjectTypeDefinitionNode: "object",
    ObjectTypeExtensionNode: "object",
    InterfaceTypeDefinitionNode: "interface",
    InterfaceTypeExtensionNode: "interface",
    UnionTypeDefinitionNode: "union",
    UnionTypeExtensionNode: "union",
    EnumTypeDefinitionNode: "enum",
    EnumTypeExtensionNode: "enum",
}


def load_supergraph(path: str | Path) -> Supergraph:
    """Read the supergraph SDL file at ``path``."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as error:
        raise SupergraphError(f"cannot read supergraph file {path}: {error.strerror}") from None
    return read_supergraph(text, source_name=str(path))


def parse_field_set(text: str, *, where: str = "field set") -> SelectionSetNode:
    """Parse a ``join__FieldSet`` string such as ``"id organization { id }"``."""
    try:
        document = parse("{" + text + "}", no_location=True)
    except GraphQLError as error:
        raise SupergraphError(f"invalid {where} {text!r}: {error.message}") from None
    operation = document.definitions[0]
    return operation.selection_set  # type: ignore[attr-defined,no-any-return]


def read_supergraph(sdl: str, *, source_name: str = "supergraph") -> Supergraph:
    """Read supergraph SDL text; errors name the line and the problem."""
    try:
        document = parse(sdl)
    except GraphQLError as error:
        raise SupergraphError(_located(source_name, error)) from None
    links = read_links(document, source_name)
    reader = _JoinReader(links, source_name)
    graphs = reader.graphs(document)
    types = reader.types(document, graphs)
    try:
        full_schema = build_ast_schema(document, assume_valid_sdl=True)
    except (GraphQLError, TypeError) as error:
        raise SupergraphError(f"{source_name}: {error}") from None
    _check_field_sets(document, full_schema, reader, source_name)
    api_schema = build_api_schema(document, links, source_name)
    roots = _root_type_names(document)
    query_type = roots.get("query", "Query")
    if full_schema.get_type(query_type) is None:
        raise SupergraphError(f"{source_name}: the supergraph has no query root type")
    return Supergraph(
        graphs=graphs,
        types=types,
        api_schema=api_schema,
        schema=full_schema,
        query_type=query_type,
        mutation_type=roots.get("mutation") if full_schema.mutation_type else None,
        subscription_type=roots.get("subscription") if full_schema.subscription_type else None,
        sdl=sdl,
        contexts=reader.contexts(document),
    )


def _located(source_name: str, error: GraphQLError) -> str:
    if error.locations:
        location = error.locations[0]
        return f"{source_name}:{location.line}:{location.column}: {error.message}"
    return f"{source_name}: {error.message}"


def _root_type_names(document: DocumentNode) -> dict[str, str]:
    roots: dict[str, str] = {}
    for definition in document.definitions:
        if isinstance(definition, SchemaDefinitionNode | SchemaExtensionNode):
            for operation_type in definition.operation_types or ():
                roots[operation_type.operation.value] = operation_type.type.name.value
    if not roots:
        names = {d.name.value for d in document.definitions if isinstance(d, TypeDefinitionNode)}
        for operation, name in (
            ("query", "Query"),
            ("mutation", "Mutation"),
            ("subscription", "Subscription"),
        ):
            if name in names:
                roots[operation] = name
    return roots


class _JoinReader:
    """Reads the ``join__*`` directives (one small method per directive)."""

    def __init__(self, links: LinkedSpecs, source_name: str) -> None:
        self.links = links
        self.source_name = source_name
        self.name_type = links.join_name("type")
        self.name_field = links.join_name("field")
        self.name_graph = links.join_name("graph")
        self.name_implements = links.join_name("implements")
        self.name_union_member = links.join_name("unionMember")
        self.name_owner = links.join_name("owner")
        self.graph_enum = links.join_name("Graph")

    def _args(self, directive: DirectiveNode) -> dict[str, Any]:
        return {
            argument.name.value: value_from_ast_untyped(argument.value)
            for argument in directive.arguments or ()
        }

    def _directives(self, node: Any, name: str) -> list[DirectiveNode]:
        return [d for d in node.directives or () if d.name.value == name]

    def graphs(self, document: DocumentNode) -> dict[str, Graph]:
        graphs: dict[str, Graph] = {}
        for definition in document.definitions:
            if isinstance(definition, EnumTypeDefinitionNode) and (
                definition.name.value == self.graph_enum
            ):
                for value in definition.values or ():
                    for directive in self._directives(value, self.name_graph):
                        args = self._args(directive)
                        if not isinstance(args.get("name"), str) or not isinstance(
                            args.get("url"), str
                        ):
                            raise SupergraphError(
                                f"{_line(self.source_name, value)}: @{self.name_graph} on "
                                f"{value.name.value} needs string arguments name and url"
                            )
                        graphs[value.name.value] = Graph(
                            id=value.name.value, name=args["name"], url=args["url"]
                        )
        if not graphs:
            raise SupergraphError(
                f"{self.source_name}: no subgraphs: the enum {self.graph_enum} with "
                f"@{self.name_graph} values is missing (is this a supergraph?)"
            )
        return graphs

    def types(self, document: DocumentNode, graphs: dict[str, Graph]) -> dict[str, TypeMeta]:
        collected: dict[str, dict[str, Any]] = {}
        for definition in document.definitions:
            kind = _KINDS.get(type(definition))
            if kind is None:
                continue
            name = definition.name.value  # type: ignore[attr-defined]
            if name.startswith((f"{self.links.join_prefix}__", "link__")):
                continue
            entry = collected.setdefault(
                name,
                {"kind": kind, "joins": [], "fields": {}, "implements": {}, "members": {}},
            )
            entry["joins"].extend(self._type_joins(definition, graphs))
            for directive in self._directives(definition, self.name_implements):
                args = self._args(directive)
                graph = self._graph_arg(args, directive, graphs)
                entry["implements"].setdefault(graph, set()).add(args.get("interface"))
            for directive in self._directives(definition, self.name_union_member):
                args = self._args(directive)
                graph = self._graph_arg(args, directive, graphs)
                entry["members"].setdefault(graph, set()).add(args.get("member"))
            for field_node in getattr(definition, "fields", None) or ():
                entry["fields"][field_node.name.value] = FieldMeta(
                    name=field_node.name.value,
                    type_name=_named_type_name(field_node.type),
                    joins=tuple(self._field_joins(field_node, graphs)),
                    type_text=print_ast(field_node.type),
                )
        return {
            name: TypeMeta(
                name=name,
                kind=entry["kind"],
                joins=tuple(entry["joins"]),
                fields=entry["fields"],
                implements={g: frozenset(v) for g, v in entry["implements"].items()},
                members={g: frozenset(v) for g, v in entry["members"].items()},
            )
            for name, entry in collected.items()
        }

    def _graph_arg(
        self, args: dict[str, Any], directive: DirectiveNode, graphs: dict[str, Graph]
    ) -> str:
        graph = args.get("graph")
        if graph not in graphs:
            raise SupergraphError(
                f"{_line(self.source_name, directive)}: @{directive.name.value} names unknown "
                f"graph {graph!r}"
            )
        return str(graph)

    def _type_joins(self, definition: Any, graphs: dict[str, Graph]) -> list[TypeJoin]:
        joins = []
        for directive in self._directives(definition, self.name_type):
            args = self._args(directive)
            graph = self._graph_arg(args, directive, graphs)
            key_text = args.get("key")
            key = None
            if key_text is not None:
                key = parse_field_set(
                    key_text,
                    where=f"key of {definition.name.value} at {_line(self.source_name, directive)}",
                )
            joins.append(
                TypeJoin(
                    graph=graph,
                    key=key,
                    key_text=key_text,
                    extension=bool(args.get("extension", False)),
                    resolvable=bool(args.get("resolvable", True)),
                    is_interface_object=bool(args.get("isInterfaceObject", False)),
                )
            )
        return joins

    def _context_arguments(self, args: dict[str, Any], where: str) -> tuple[ContextArgument, ...]:
        result = []
        for item in args.get("contextArguments") or ():
            if not isinstance(item, dict) or not all(
                isinstance(item.get(k), str) for k in ("name", "type", "context", "selection")
            ):
                raise SupergraphError(f"{where}: contextArguments entries need name, type, "
                                      "context and selection strings")  # fmt: skip
            result.append(
                ContextArgument(
                    name=item["name"],
                    type=item["type"],
                    context=item["context"],
                    selection=_context_selection(
                        item["selection"], f"context selection of {where}"
                    ),
                )
            )
        return tuple(result)

    def contexts(self, document: DocumentNode) -> dict[str, frozenset[str]]:
        """Type name -> the names of the ``@context`` directives on it."""
        name = self.links.directive_name("context")
        if name is None:
            return {}
        found: dict[str, set[str]] = {}
        for definition in document.definitions:
            if _KINDS.get(type(definition)) not in ("object", "interface", "union"):
                continue
            for directive in self._directives(definition, name):
                value = self._args(directive).get("name")
                if isinstance(value, str):
                    found.setdefault(definition.name.value, set()).add(value)  # type: ignore[attr-defined]
        return {type_name: frozenset(names) for type_name, names in found.items()}

    def _field_joins(self, field_node: Any, graphs: dict[str, Graph]) -> list[FieldJoin]:
        joins = []
        for directive in self._directives(field_node, self.name_field):
            args = self._args(directive)
            graph = args.get("graph")
            if graph is not None and graph not in graphs:
                raise SupergraphError(
                    f"{_line(self.source_name, directive)}: @{self.name_field} on "
                    f"{field_node.name.value} names unknown graph {graph!r}"
                )
            where = f"{field_node.name.value} at {_line(self.source_name, directive)}"
            requires = args.get("requires")
            provides = args.get("provides")
            joins.append(
                FieldJoin(
                    graph=graph,
                    requires=parse_field_set(requires, where=f"requires of {where}")
                    if requires
                    else None,
                    provides=parse_field_set(provides, where=f"provides of {where}")
                    if provides
                    else None,
                    type=args.get("type"),
                    external=bool(args.get("external", False)),
                    override=args.get("override"),
                    override_label=args.get("overrideLabel"),
                    used_overridden=bool(args.get("usedOverridden", False)),
                    context_arguments=self._context_arguments(args, where),
                )
            )
        return joins


def _context_selection(text: str, where: str) -> SelectionSetNode:
    """A context argument's selection, written with its braces (``" { prop }"``)."""
    text = text.strip()
    if text.startswith("{") and text.endswith("}"):
        text = text[1:-1]
    return parse_field_set(text, where=where)


def _check_field_sets(
    document: DocumentNode, schema: Any, reader: _JoinReader, source_name: str
) -> None:
    """Every key, requires and provides must name fields that exist, and not be empty."""
    from graphql import get_named_type

    def check(text: str, type_name: str, where: str) -> None:
        selection_set = parse_field_set(text, where=where)
        if not selection_set.selections:
            raise SupergraphError(f"{where}: an empty field set")
        problem = _unknown_field(selection_set, schema.get_type(type_name), schema)
        if problem:
            raise SupergraphError(f"{where}: {problem}")

    for definition in document.definitions:
        kind = _KINDS.get(type(definition))
        if kind not in ("object", "interface"):
            continue
        type_name = definition.name.value  # type: ignore[attr-defined]
        for directive in reader._directives(definition, reader.name_type):
            key = reader._args(directive).get("key")
            if key is not None:
                check(key, type_name, f"{_line(source_name, directive)}: key of {type_name}")
        for field_node in getattr(definition, "fields", None) or ():
            for directive in reader._directives(field_node, reader.name_field):
                args = reader._args(directive)
                where = f"{_line(source_name, directive)}: {type_name}.{field_node.name.value}"
                if args.get("requires"):
                    check(args["requires"], type_name, f"{where} requires")
                if args.get("provides"):
                    field_type = get_named_type(
                        schema.get_type(type_name).fields[field_node.name.value].type
                    )
                    check(args["provides"], field_type.name, f"{where} provides")


def _unknown_field(selection_set: Any, gql_type: Any, schema: Any) -> str | None:
    from graphql import get_named_type
    from graphql.language import FieldNode as _Field
    from graphql.language import InlineFragmentNode as _Inline

    for selection in selection_set.selections:
        if isinstance(selection, _Inline):
            target = (
                schema.get_type(selection.type_condition.name.value)
                if selection.type_condition
                else gql_type
            )
            if target is None:
                return f"unknown type in {print_ast(selection)}"
            problem = _unknown_field(selection.selection_set, target, schema)
            if problem:
                return problem
        elif isinstance(selection, _Field):
            name = selection.name.value
            if name == "__typename":
                continue
            fields = getattr(gql_type, "fields", None) or {}
            if name not in fields:
                return f"{gql_type.name} has no field {name!r}"
            if selection.selection_set is not None:
                problem = _unknown_field(
                    selection.selection_set, get_named_type(fields[name].type), schema
                )
                if problem:
                    return problem
    return None


def _named_type_name(type_node: Any) -> str:
    while hasattr(type_node, "type"):
        type_node = type_node.type
    return str(type_node.name.value)
