"""Read the ``@link`` directives of a supergraph: which specs it uses, under which names.

Per the link spec (https://specs.apollo.dev/link/v1.0), a spec's elements are named
``<prefix>__<element>`` where the prefix is the spec name or the ``as:`` argument, and the
spec's eponymous directive (``@inaccessible``, ``@tag``) is named just ``@<prefix>``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from graphql.language import (
    DocumentNode,
    SchemaDefinitionNode,
    SchemaExtensionNode,
)
from graphql.utilities import value_from_ast_untyped

from ..errors import SupergraphError

__all__ = ["LinkedSpecs", "read_links", "source_line"]

_SPEC_URL = re.compile(
    r"^https?://[^/]+(?:/.*)?/(?P<name>[A-Za-z_][\w-]*)/v(?P<version>\d+\.\d+)/?$"
)
_SUPPORTED_JOIN = {"0.1", "0.2", "0.3", "0.4", "0.5"}
_UNDERSTOOD = {"link", "join", "inaccessible", "tag", "core", "context"}


@dataclass(frozen=True)
class LinkedSpecs:
    """The specs linked by a supergraph and the names their elements carry."""

    prefixes: dict[str, str] = field(default_factory=dict)  # spec name -> prefix
    versions: dict[str, str] = field(default_factory=dict)
    imports: dict[str, str] = field(default_factory=dict)  # imported directive name -> spec

    @property
    def join_prefix(self) -> str:
        return self.prefixes.get("join", "join")

    def join_name(self, element: str) -> str:
        return f"{self.join_prefix}__{element}"

    def directive_name(self, spec: str) -> str | None:
        """The name of a spec's eponymous directive (``inaccessible``), or None if not linked."""
        if spec not in self.prefixes:
            return None
        return self.prefixes[spec]

    def is_spec_element(self, name: str) -> bool:
        """Whether ``name`` (a type or directive name) belongs to a linked spec."""
        for prefix in self.prefixes.values():
            if name == prefix or name.startswith(prefix + "__"):
                return True
        return name in self.imports


def source_line(source_name: str, node: object) -> str:
    """``source:line`` of an AST node, for start-up errors (just ``source`` without a location)."""
    loc = getattr(node, "loc", None)
    if loc is not None and loc.source is not None:
        from graphql.language import get_location

        return f"{source_name}:{get_location(loc.source, loc.start).line}"
    return source_name


def read_links(document: DocumentNode, source_name: str) -> LinkedSpecs:
    prefixes: dict[str, str] = {}
    versions: dict[str, str] = {}
    imports: dict[str, str] = {}
    for definition in document.definitions:
        if not isinstance(definition, SchemaDefinitionNode | SchemaExtensionNode):
            continue
        for directive in definition.directives or ():
            if directive.name.value not in ("link", "core"):
                continue
            args = {
                a.name.value: value_from_ast_untyped(a.value) for a in directive.arguments or ()
            }
            url = args.get("url") or args.get("feature")
            where = source_line(source_name, directive)
            match = _SPEC_URL.match(str(url or ""))
            if match is None:
                raise SupergraphError(f"{where}: @link with unrecognised url {url!r}")
            name, version = match.group("name"), match.group("version")
            purpose = args.get("for")
            if name not in _UNDERSTOOD and purpose in ("EXECUTION", "SECURITY"):
                raise SupergraphError(
                    f"{where}: the supergraph links {url} for {purpose}, "
                    "which this gateway does not implement"
                )
            if name == "join" and version not in _SUPPORTED_JOIN:
                raise SupergraphError(
                    f"{where}: join spec v{version} is not supported "
                    f"(supported: v{', v'.join(sorted(_SUPPORTED_JOIN))})"
                )
            prefixes[name] = str(args.get("as") or name)
            versions[name] = version
            for item in args.get("import") or ():
                imported = item if isinstance(item, str) else item.get("name")
                alias = item.get("as") if isinstance(item, dict) else None
                if isinstance(imported, str):
                    imports[(alias or imported).lstrip("@")] = name
    if "join" not in prefixes:
        raise SupergraphError(
            f"{source_name}: not a Federation 2 supergraph: no @link to the join spec"
        )
    return LinkedSpecs(prefixes=prefixes, versions=versions, imports=imports)
