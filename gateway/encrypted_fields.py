"""Which coordinates of a supergraph are encrypted, and how: read from its composed directives.

Subgraphs mark fields with ``@encrypted(mask:)`` and arguments or input fields with
``@encryptedInput(field:, search:)`` (``subgraphs/common/crypto_schema.py``), linked from the
encryption spec and kept by composition (``@composeDirective``). The supergraph's ``@link``
says under which names they were imported; the API schema drops them (they are spec
elements), the full schema (``Supergraph.schema``) keeps them on its AST nodes.

Each encrypted field also needs its entity's key: the value's envelope is bound to it, and
rules about the caller's own objects compare it with the caller. It is the first
single-field ``@key`` of the field's type in the subgraph that resolves the field.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLObjectType,
    get_named_type,
    is_leaf_type,
    parse,
)
from graphql.language import DirectiveNode, SchemaDefinitionNode, SchemaExtensionNode
from graphql.utilities import value_from_ast_untyped

from tandem_shared.crypto import SPEC_URL

from .crypto.masks import NO_MASK, MaskError, mask_function
from .errors import SupergraphError
from .supergraph import Supergraph

__all__ = ["EncryptedField", "EncryptedFields", "EncryptedInput"]

_SPEC_BASE = SPEC_URL.rsplit("/", 1)[0] + "/"


@dataclass(frozen=True, slots=True)
class EncryptedField:
    """A field whose subgraph returns envelopes: ``Employee.idCardNumber``."""

    type_name: str
    name: str
    mask: str
    key_field: str
    object_typed: bool

    @property
    def coordinate(self) -> str:
        return f"{self.type_name}.{self.name}"

    @property
    def masker(self) -> Callable[[str], str] | None:
        return mask_function(self.mask)


@dataclass(frozen=True, slots=True)
class EncryptedInput:
    """An argument or input field that carries a plaintext of ``field`` (a coordinate)."""

    where: str
    field: str
    search: bool


@dataclass(frozen=True)
class EncryptedFields:
    fields: Mapping[str, EncryptedField] = field(default_factory=dict)
    arguments: Mapping[str, Mapping[str, EncryptedInput]] = field(default_factory=dict)
    """``Type.field`` -> argument name -> what it carries."""
    input_fields: Mapping[str, Mapping[str, EncryptedInput]] = field(default_factory=dict)
    """Input type name -> input field name -> what it carries."""

    def __bool__(self) -> bool:
        return bool(self.fields or self.arguments or self.input_fields)

    def get(self, type_name: str, name: str) -> EncryptedField | None:
        return self.fields.get(f"{type_name}.{name}")

    @classmethod
    def from_supergraph(cls, supergraph: Supergraph) -> EncryptedFields:
        names = _imported_names(supergraph.sdl)
        output, inputs = names.get("@encrypted"), names.get("@encryptedInput")
        if output is None and inputs is None:
            return cls()
        fields: dict[str, EncryptedField] = {}
        arguments: dict[str, dict[str, EncryptedInput]] = {}
        input_fields: dict[str, dict[str, EncryptedInput]] = {}
        for type_name, gql_type in supergraph.schema.type_map.items():
            if type_name.startswith("__"):
                continue
            if isinstance(gql_type, GraphQLInputObjectType):
                for name, input_field in gql_type.fields.items():
                    spec = _input(input_field.ast_node, inputs, f"{type_name}.{name}")
                    if spec is not None:
                        input_fields.setdefault(type_name, {})[name] = spec
                continue
            if not isinstance(gql_type, GraphQLObjectType | GraphQLInterfaceType):
                continue
            for name, gql_field in gql_type.fields.items():
                coordinate = f"{type_name}.{name}"
                found = _arguments(directive_of(gql_field.ast_node, output), coordinate)
                if found is not None:
                    mask, object_typed = _check_type(gql_field.type, found, coordinate)
                    key = _key_field(supergraph, type_name, name)
                    fields[coordinate] = EncryptedField(type_name, name, mask, key, object_typed)
                for argument_name, argument in gql_field.args.items():
                    where = f"{coordinate}({argument_name}:)"
                    spec = _input(argument.ast_node, inputs, where)
                    if spec is not None:
                        arguments.setdefault(coordinate, {})[argument_name] = spec
        for specs in (*arguments.values(), *input_fields.values()):
            for spec in specs.values():
                if spec.field not in fields:
                    raise SupergraphError(
                        f"{spec.where} carries {spec.field}, which is no @encrypted field"
                    )
        return cls(fields, arguments, input_fields)


def directive_of(node: Any, name: str | None) -> DirectiveNode | None:
    if name is None or node is None:
        return None
    return next((d for d in node.directives or () if d.name.value == name), None)


def _arguments(directive: DirectiveNode | None, where: str) -> dict[str, Any] | None:
    if directive is None:
        return None
    return {a.name.value: value_from_ast_untyped(a.value) for a in directive.arguments or ()}


def _input(node: Any, name: str | None, where: str) -> EncryptedInput | None:
    values = _arguments(directive_of(node, name), where)
    if values is None:
        return None
    target = values.get("field")
    if not isinstance(target, str):
        raise SupergraphError(f"@encryptedInput on {where} names no field")
    return EncryptedInput(where, target, bool(values.get("search", False)))


def _check_type(gql_type: Any, values: Mapping[str, Any], coordinate: str) -> tuple[str, bool]:
    mask = str(values.get("mask") or NO_MASK)
    named = get_named_type(gql_type)
    try:
        mask_function(mask)
    except MaskError as error:
        raise SupergraphError(f"@encrypted on {coordinate}: {error}") from None
    if is_leaf_type(named):
        return mask, False
    if isinstance(named, GraphQLObjectType):
        return mask, True  # sealed as the object's JSON; a mask applies to each string leaf
    raise SupergraphError(f"@encrypted on {coordinate}: a leaf or an object type is needed")


def _key_field(supergraph: Supergraph, type_name: str, field_name: str) -> str:
    meta = supergraph.types.get(type_name)
    graphs: Iterable[str] = ()
    if meta is not None:
        field_meta = meta.fields.get(field_name)
        joined = {j.graph for j in field_meta.joins if j.graph} if field_meta else set()
        graphs = joined or meta.graphs
        for graph in graphs:
            for join in meta.keys(graph, resolvable_only=False):
                text = (join.key_text or "").strip()
                if text and " " not in text and "{" not in text:
                    return text
    raise SupergraphError(
        f"@encrypted on {type_name}.{field_name}: the type needs a single-field @key "
        "(the envelope is bound to it)"
    )


def _imported_names(sdl: str) -> dict[str, str]:
    """``@encrypted`` / ``@encryptedInput`` -> the name the supergraph imported them as."""
    names: dict[str, str] = {}
    for definition in parse(sdl, no_location=True).definitions:
        if not isinstance(definition, SchemaDefinitionNode | SchemaExtensionNode):
            continue
        for directive in definition.directives or ():
            if directive.name.value != "link":
                continue
            values = _arguments(directive, "@link") or {}
            if not str(values.get("url", "")).startswith(_SPEC_BASE):
                continue
            for item in values.get("import") or ():
                original = item if isinstance(item, str) else item.get("name")
                alias = item.get("as", original) if isinstance(item, dict) else original
                if isinstance(original, str) and isinstance(alias, str):
                    names[original] = alias.lstrip("@")
    return names
