"""A mutable builder for the selection set of one subgraph request, rendered to GraphQL text.

Fields are keyed by response key; the planner chooses keys so that two different fields never
share one (see ``internal_key`` in ``build.py``), and asks for the same field twice freely.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from graphql import print_ast
from graphql.language import ArgumentNode, ListValueNode, ObjectValueNode, ValueNode, VariableNode

__all__ = ["SelectionBuilder", "arguments_text", "variables_in"]


def arguments_text(arguments: tuple[ArgumentNode, ...]) -> str:
    if not arguments:
        return ""
    return "(" + ", ".join(print_ast(argument) for argument in arguments) + ")"


def variables_in(value: ValueNode) -> Iterator[str]:
    if isinstance(value, VariableNode):
        yield value.name.value
    elif isinstance(value, ListValueNode):
        for item in value.values:
            yield from variables_in(item)
    elif isinstance(value, ObjectValueNode):
        for object_field in value.fields:
            yield from variables_in(object_field.value)


@dataclass(eq=False)
class _Entry:
    key: str
    name: str
    arguments: tuple[ArgumentNode, ...]
    arguments_text: str
    child: SelectionBuilder | None


@dataclass(eq=False)
class SelectionBuilder:
    """The selection set being built for one type in one subgraph request."""

    entries: dict[str, _Entry] = field(default_factory=dict)
    fragments: dict[str, SelectionBuilder] = field(default_factory=dict)
    in_fragment: bool = False

    def add_field(
        self,
        key: str,
        name: str,
        arguments: tuple[ArgumentNode, ...] = (),
        *,
        composite: bool = False,
    ) -> SelectionBuilder | None:
        """Select ``key: name(arguments)``; returns the child builder for a composite field."""
        entry = self.entries.get(key)
        if entry is None:
            entry = _Entry(
                key=key,
                name=name,
                arguments=arguments,
                arguments_text=arguments_text(arguments),
                child=SelectionBuilder() if composite else None,
            )
            self.entries[key] = entry
        return entry.child

    def add_typename(self) -> None:
        self.add_field("__typename", "__typename")

    def fragment(self, type_name: str) -> SelectionBuilder:
        builder = self.fragments.get(type_name)
        if builder is None:
            builder = self.fragments[type_name] = SelectionBuilder(in_fragment=True)
        return builder

    def is_empty(self) -> bool:
        return not self.entries and all(f.is_empty() for f in self.fragments.values())

    def render(self) -> str:
        """GraphQL text of this selection set, braces included."""
        parts: list[str] = []
        for entry in self.entries.values():
            text = entry.name if entry.key == entry.name else f"{entry.key}: {entry.name}"
            text += entry.arguments_text
            if entry.child is not None:
                child = entry.child.render() if not entry.child.is_empty() else "{ __typename }"
                text += " " + child
            parts.append(text)
        for type_name, builder in self.fragments.items():
            if not builder.is_empty():
                parts.append(f"... on {type_name} {builder.render()}")
        return "{ " + " ".join(parts) + " }" if parts else "{ __typename }"

    def variables(self) -> set[str]:
        names: set[str] = set()
        for entry in self.entries.values():
            for argument in entry.arguments:
                names.update(variables_in(argument.value))
            if entry.child is not None:
                names |= entry.child.variables()
        for builder in self.fragments.values():
            names |= builder.variables()
        return names
