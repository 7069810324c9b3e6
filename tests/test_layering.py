"""The gateway's layers, read from its imports (issue 12's bar).

Each rule reads every module of ``gateway/`` (and ``subgraphs/`` where the rule says so) with
:mod:`ast`, relative imports resolved, imports inside functions included:

- ``gateway.crypto`` (keys, envelopes, masks, the decryption audit) imports no GraphQL
  planning, execution or HTTP: nothing from ``gateway.planner``, ``gateway.executor`` or
  ``gateway.http``; nor, once its last GraphQL-reading modules have moved, ``graphql``;
- ``gateway.executor`` runs plans and knows no policy or keys: nothing from ``gateway.authz``
  or ``gateway.crypto`` (the protect phase reaches it through ``executor/shape.py``'s
  protocols);
- the normalized operation is its own module, read by authz, planner and executor alike;
- the generic gateway names no OA/ERP type outside the development wiring, and imports
  ``subgraphs`` only there (what it shares with subgraphs is ``tandem_shared``);
- one JOSE library in ``gateway/``, ``subgraphs/`` and ``tandem_shared/`` (Authlib's OAuth and
  OpenID Connect modules are not JOSE; its ``authlib.jose`` is).

A rule other work is still bringing about is marked ``xfail(strict=True)`` with the reason:
the day it holds the test fails, saying the mark can go.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest
from graphql import build_ast_schema, parse

ROOT = Path(__file__).resolve().parent.parent
GATEWAY = ROOT / "gateway"
SUBGRAPHS = ROOT / "subgraphs"
SHARED = ROOT / "tandem_shared"

# python-jose, joserfc, Authlib's JOSE package, PyJWT, jwcrypto
JOSE_LIBRARIES = ("jose", "joserfc", "authlib.jose", "jwt", "jwcrypto")
DEV_WIRING = frozenset({"gateway/dev.py", "gateway/demo.py"})


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path) -> Iterator[tuple[int, str]]:
    """(line, absolute module name) of every import in ``path``; ``from m import n`` yields
    ``m`` and ``m.n`` (``n`` may be a submodule)."""
    tree = ast.parse(path.read_text(), str(path))
    package = _module_name(path).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                module = ".".join([*base, *([node.module] if node.module else [])])
            else:
                module = node.module or ""
            yield node.lineno, module
            for alias in node.names:
                yield node.lineno, f"{module}.{alias.name}"


def _sources(*roots: Path) -> Iterator[Path]:
    for root in roots:
        yield from sorted(p for p in root.rglob("*.py") if "migrations" not in p.parts)


def _violations(package: Path, forbidden: tuple[str, ...]) -> list[str]:
    found = set()
    for path in _sources(package):
        for line, module in _imports(path):
            if any(module == f or module.startswith(f + ".") for f in forbidden):
                found.add(f"{path.relative_to(ROOT)}:{line} imports {module.rsplit('.', 1)[0]}")
    return sorted(found)


def test_resolves_relative_imports() -> None:
    """The rules below would pass vacuously if relative imports were misread."""
    modules = {module for _, module in _imports(GATEWAY / "pipeline.py")}
    assert "gateway.operation" in modules
    assert "gateway.executor.shape.Shaper" in modules


def test_crypto_imports_no_planner_executor_or_http() -> None:
    forbidden = ("gateway.planner", "gateway.executor", "gateway.http")
    assert _violations(GATEWAY / "crypto", forbidden) == []


@pytest.mark.xfail(
    strict=True,
    reason="crypto/audit_api.py (the auditors' GraphQL API over the decryption audit) still "
    "imports graphql: it belongs with the other admin GraphQL endpoints",
)
def test_crypto_imports_no_graphql() -> None:
    assert _violations(GATEWAY / "crypto", ("graphql",)) == []


def test_executor_imports_no_authz_or_crypto() -> None:
    assert _violations(GATEWAY / "executor", ("gateway.authz", "gateway.crypto")) == []


def test_the_normalized_operation_is_its_own_module() -> None:
    """authz, crypto and the executor read the operation model from ``gateway.operation``,
    not from inside the planner or the authorizer."""
    readers = (GATEWAY / "authz", GATEWAY / "crypto", GATEWAY / "executor")
    assert [v for r in readers for v in _violations(r, ("gateway.planner.operation",))] == []
    assert not (GATEWAY / "planner" / "operation.py").exists()
    tree = ast.parse((GATEWAY / "authz" / "authorizer.py").read_text())
    defined = {node.name for node in ast.walk(tree) if isinstance(node, ast.ClassDef)}
    assert "NormalizedOperation" not in defined


SPEC_TYPES = ("Upload",)
"""Types a protocol names, not the demo: the GraphQL multipart request specification's scalar
(the gateway forwards files only into variables of that type, ``gateway/uploads/plan.py``)."""


def _demo_type_names() -> frozenset[str]:
    """The types the OA and ERP subgraphs define (``@join__type`` in their supergraph)."""
    schema = build_ast_schema(
        parse((SUBGRAPHS / "supergraph.graphql").read_text()), assume_valid_sdl=True
    )
    names = set()
    for name, gql_type in schema.type_map.items():
        node = gql_type.ast_node
        roots = ("Query", "Mutation", "Subscription")
        if node is None or name.startswith("_") or name in (*roots, *SPEC_TYPES):
            continue
        if any(d.name.value == "join__type" for d in node.directives or ()):
            names.add(name)
    return frozenset(names)


def _string_literals(path: Path) -> Iterator[tuple[int, str]]:
    """String constants that are not docstrings (what code compares and looks up)."""
    tree = ast.parse(path.read_text(), str(path))
    docstrings = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                docstrings.add(id(body[0].value))
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and id(node) not in docstrings
        ):
            yield node.lineno, node.value


def test_demo_type_names_are_found() -> None:
    names = _demo_type_names()
    assert {"Employee", "Department", "ApprovalRequest"} <= names


def test_gateway_names_no_demo_type_outside_dev_wiring() -> None:
    names = _demo_type_names()
    found = []
    for path in _sources(GATEWAY):
        where = str(path.relative_to(ROOT))
        if where in DEV_WIRING:
            continue
        for line, value in _string_literals(path):
            if value in names or ("." in value and value.split(".", 1)[0] in names):
                found.append(f"{where}:{line} {value!r}")
    assert found == []


def test_gateway_imports_subgraphs_only_in_dev_wiring() -> None:
    found = [
        violation
        for violation in _violations(GATEWAY, ("subgraphs",))
        if violation.split(":", 1)[0] not in DEV_WIRING
    ]
    assert found == []


def test_one_jose_library() -> None:
    used: dict[str, list[str]] = {}
    for path in _sources(GATEWAY, SUBGRAPHS, SHARED):
        for line, module in _imports(path):
            for library in JOSE_LIBRARIES:
                if module == library or module.startswith(library + "."):
                    used.setdefault(library, []).append(f"{path.relative_to(ROOT)}:{line}")
    assert len(used) <= 1, {library: where[:3] for library, where in used.items()}
    assert used, "no JOSE library found: the rule reads imports wrongly"
