"""``tandem policy``: the security team's tools on the command line (``policies/README.md``).

::

    tandem policy check   [DIR] [--supergraph FILE] [--roles R1,R2]
                          [--extra-sdl FILE] [--no-admin-api]
    tandem policy test    [--supergraph FILE] [--policy DIR] [--default deny|allow] CASES...
    tandem policy explain [--supergraph FILE] [--policy DIR] [--default deny|allow]
                          --as SUBJECT [--roles R1,R2] [--department D]
                          [--variables JSON] [--operation-name NAME] QUERY|@FILE

The policy folder (``check DIR`` or ``--policy DIR``) holds ``model.conf`` and ``policy.csv``
(default ``policies``). ``--supergraph`` defaults to ``subgraphs/supergraph.graphql`` when
that file exists in the working directory (a checkout of Tandem); elsewhere it is required.
Exit status: 0 when all is well, 1 when ``check`` finds problems or a case fails, 2 when an
input cannot be read (a missing file, an invalid supergraph, operation or case file).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path

import yaml  # type: ignore[import-untyped]  # the one module reading YAML
from graphql import GraphQLError, GraphQLSchema, build_schema

from tandem_shared.tokens import Principal

from .authz.enforcer import PolicyEnforcer
from .authz.field_access import Grants
from .authz.relations import FILE_NAME as RELATIONS_FILE
from .authz.relations import Relations
from .authz.tools import (
    Decide,
    GrantsFor,
    PolicyCase,
    Trace,
    Traced,
    TracedFragment,
    check_policy,
    parse_model,
    parse_operation,
    parse_policy,
    run_case,
    schema_coordinates,
    trace_operation,
)
from .authz.validation import ROLES_FILE, read_roles
from .errors import TandemError

__all__ = [
    "DEFAULT_SUPERGRAPH",
    "PolicyCaseError",
    "add_policy_parser",
    "load_cases",
    "main",
    "parse_cases",
    "render_trace",
    "run_policy",
]


DEFAULT_SUPERGRAPH = "subgraphs/supergraph.graphql"
"""The composed supergraph of a Tandem checkout: ``--supergraph``'s default when it exists."""


class PolicyCaseError(TandemError):
    """A policy test file does not have the shape ``policies/README.md`` documents."""

    code = "INVALID_POLICY_CASE"


def add_policy_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``policy check|test|explain`` to the ``tandem`` command's subcommands."""
    policy = commands.add_parser("policy", help="check, test and explain casbin field policies")
    tools = policy.add_subparsers(dest="policy_command", required=True)

    def common(parser: argparse.ArgumentParser) -> None:
        parser.add_argument(
            "--supergraph",
            metavar="FILE",
            help=f"supergraph SDL file (default: {DEFAULT_SUPERGRAPH} when it exists in the "
            "working directory; required elsewhere)",
        )
        parser.add_argument(
            "--policy",
            metavar="DIR",
            default="policies",
            help="folder holding model.conf + policy.csv (default: policies)",
        )

    def default(parser: argparse.ArgumentParser) -> None:
        parser.add_argument(
            "--default", choices=("deny", "allow"), default="deny", help="unlisted coordinates"
        )

    check = tools.add_parser("check", help="lint the policy against the supergraph")
    common(check)
    check.add_argument(
        "policy_dir",
        nargs="?",
        metavar="DIR",
        help="folder holding model.conf + policy.csv (default: --policy, itself policies)",
    )
    check.add_argument(
        "--roles", help="comma-separated configured roles (default: the folder's roles.csv)"
    )
    check.add_argument(
        "--extra-sdl",
        action="append",
        default=[],
        metavar="FILE",
        help="SDL of another API the gateway serves itself: its coordinates count too",
    )
    check.add_argument(
        "--no-admin-api",
        dest="admin_api",
        action="store_false",
        help="leave out the coordinates of the gateway's policy admin API (counted by default)",
    )

    test = tools.add_parser("test", help="run YAML policy test cases")
    common(test)
    default(test)
    test.add_argument("cases", nargs="+", metavar="CASES", help="YAML files or directories")

    explain = tools.add_parser("explain", help="what a caller would see of an operation")
    common(explain)
    default(explain)
    explain.add_argument("--as", dest="subject", required=True, help="the caller's subject")
    explain.add_argument("--roles", default="", help="comma-separated roles")
    explain.add_argument("--department", help="the caller's department id")
    explain.add_argument("--variables", help="variables as a JSON object")
    explain.add_argument("--operation-name")
    explain.add_argument("query", help="the GraphQL operation text, or @FILE")


def run_policy(args: argparse.Namespace) -> int:
    """Run a parsed ``tandem policy ...`` command; returns the exit status."""
    try:
        from .supergraph import load_supergraph

        schema = load_supergraph(_supergraph_path(args.supergraph)).api_schema
        policy_dir = Path(getattr(args, "policy_dir", None) or args.policy)
        model, policy = policy_dir / "model.conf", policy_dir / "policy.csv"
        for path in (model, policy):
            if not path.is_file():
                raise TandemError(f"{path}: no such file")
        if args.policy_command == "check":
            return _check(args, schema, model, policy)
        enforcer = PolicyEnforcer(model, policy, default_allow=args.default == "allow")

        def decide_for(principal: Principal | None) -> Decide:
            return lambda coordinate, action: enforcer.decide(principal, coordinate, action)

        def grants_for(principal: Principal | None) -> Grants:
            """Rules on related objects (``employee@self``), asked as the gateway asks them."""
            return lambda coordinate, action: enforcer.conditional_grants(
                principal, coordinate, action
            )

        if args.policy_command == "test":
            return _test(args, schema, decide_for, grants_for)
        return _explain(args, schema, decide_for, grants_for)
    except TandemError as error:
        print(f"tandem policy: {error.message}", file=sys.stderr)
        return 2
    except ValueError as error:  # RelationsError, or a malformed roles.csv
        print(f"tandem policy: {error}", file=sys.stderr)
        return 2


def _supergraph_path(given: str | None) -> str:
    if given:
        return given
    if Path(DEFAULT_SUPERGRAPH).is_file():
        return DEFAULT_SUPERGRAPH
    raise TandemError(
        f"--supergraph is required here: no {DEFAULT_SUPERGRAPH} in the working directory"
    )


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m gateway.policy_cli check ...``: the same as ``tandem policy check ...``."""
    parser = argparse.ArgumentParser(prog="tandem")
    add_policy_parser(parser.add_subparsers(dest="command", required=True))
    return run_policy(parser.parse_args(["policy", *(sys.argv[1:] if argv is None else argv)]))


# -- the three tools -------------------------------------------------------------------------


def _check(args: argparse.Namespace, schema: GraphQLSchema, model: Path, policy: Path) -> int:
    columns = parse_model(model.read_text(encoding="utf-8"))
    if not {"sub", "obj", "act"} <= set(columns.get("p", ())):
        raise TandemError(f"{model}: check needs 'p = sub, dom, obj, act, eft' (or a subset)")
    coordinates = schema_coordinates(schema)
    if args.admin_api:
        from .authz.admin import SDL
        from .authz.plan_permission import GATEWAY_COORDINATES

        coordinates.update(schema_coordinates(build_schema(SDL)))
        coordinates.update(GATEWAY_COORDINATES)  # POST /plan's (authz/plan_permission.py)
    for extra in args.extra_sdl:
        try:
            coordinates.update(schema_coordinates(build_schema(_read(Path(extra)))))
        except (GraphQLError, TypeError) as error:
            raise TandemError(f"{extra}: not a valid SDL schema: {error}") from None
    given = [r.strip() for r in args.roles.split(",") if r.strip()] if args.roles else None
    roles = given if given is not None else read_roles(model.parent / ROLES_FILE)
    lines = parse_policy(policy.read_text(encoding="utf-8"))
    relations = Relations.read(model.parent / RELATIONS_FILE)
    relations.check(schema)
    problems = check_policy(lines, columns, coordinates, roles=roles, relations=relations)
    for problem in problems:
        print(f"{policy}:{problem.line}: {problem.kind}: {problem.message}")
    rules = sum(1 for line in lines if line.ptype == "p")
    summary = f"{len(problems)} problem{'s' * (len(problems) != 1)}" if problems else "no problems"
    print(f"{policy}: {summary} ({rules} rules, {len(coordinates)} coordinates)")
    return 1 if problems else 0


def _test(
    args: argparse.Namespace,
    schema: GraphQLSchema,
    decide_for: Callable[[Principal | None], Decide],
    grants_for: GrantsFor,
) -> int:
    passed = failed = 0
    for path in _case_files(args.cases):
        for case in load_cases(path):
            result = run_case(schema, case, decide_for, grants_for)
            print(f"{'PASS' if result.passed else 'FAIL'}  {path}: {case.name}")
            for failure in result.failures:
                print(f"        {failure}")
            passed += result.passed
            failed += not result.passed
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


def _explain(
    args: argparse.Namespace,
    schema: GraphQLSchema,
    decide_for: Callable[[Principal | None], Decide],
    grants_for: GrantsFor,
) -> int:
    query = args.query
    if query.startswith("@"):
        query = _read(Path(query[1:]))
    try:
        variables = json.loads(args.variables) if args.variables else None
    except json.JSONDecodeError as error:
        raise TandemError(f"--variables is not JSON: {error}") from None
    if variables is not None and not isinstance(variables, dict):
        raise TandemError("--variables must be a JSON object")
    roles = tuple(r.strip() for r in args.roles.split(",") if r.strip())
    principal = Principal(args.subject, args.subject, roles, args.department)
    operation = parse_operation(schema, query, args.operation_name, variables)
    trace = trace_operation(schema, operation, decide_for(principal), grants_for(principal))
    print(
        f"as {principal.subject} (roles: {', '.join(roles) or 'none'}; "
        f"department: {principal.department or 'none'})"
    )
    print(render_trace(trace))
    return 0


def render_trace(trace: Trace) -> str:
    """The trace as an indented tree: field, coordinate, action, verdict and deciding rule."""
    rows: list[tuple[str, ...]] = [(trace.operation.kind,)]

    def visit(nodes: Iterable[Traced | TracedFragment], depth: int) -> None:
        indent = "  " * depth
        for node in nodes:
            if isinstance(node, TracedFragment):
                condition = f" on {node.type_condition}" if node.type_condition else ""
                rows.append((f"{indent}...{condition}",))
                visit(node.children, depth + 1)
                continue
            label = node.name if node.key == node.name else f"{node.key}: {node.name}"
            label += f"({node.arguments})" if node.arguments else ""
            if node.verdict == "denied" and node.selects:
                label += " { ... }"  # nothing under a denied field is fetched
            verdict = "DENIED" if node.verdict == "denied" else node.verdict
            rows.append(
                (indent + label, node.coordinate or "", node.action or "", verdict, node.rule)
            )
            visit(node.children, depth + 1)

    visit(trace.nodes, 1)
    widths = [max((len(r[i]) for r in rows if len(r) > 1), default=0) for i in range(4)]
    lines = [
        "  ".join([*(v.ljust(w) for v, w in zip(row, widths, strict=False)), row[4]])
        if len(row) > 1
        else row[0]
        for row in rows
    ]
    denied = sorted(trace.coordinates("denied"))
    conditional = sorted(trace.coordinates("conditional"))
    allowed = sum(1 for f in trace.fields if f.verdict == "allowed")
    summary = f"{allowed} allowed, {len(denied)} denied" + (
        f": {', '.join(denied)}" if denied else ""
    )
    if conditional:  # shown only on objects related to the caller
        summary += f"; {len(conditional)} conditional: {', '.join(conditional)}"
    lines.append(summary)
    return "\n".join(line.rstrip() for line in lines)


# -- policy test files -----------------------------------------------------------------------

_CASE_KEYS = ("name", "principal", "operation", "operation_name", "variables", "visible",
              "denied", "denied_paths", "conditional")  # fmt: skip
_PRINCIPAL_KEYS = ("subject", "name", "roles", "department", "client_id")


def _case_files(names: Iterable[str]) -> list[Path]:
    files: list[Path] = []
    for name in names:
        path = Path(name)
        if path.is_dir():
            files.extend(sorted(p for p in path.iterdir() if p.suffix in (".yaml", ".yml")))
        else:
            files.append(path)
    return files


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as error:
        raise TandemError(f"{path}: {error.strerror or error}") from None


def load_cases(path: Path) -> list[PolicyCase]:
    """The cases of a YAML policy test file (see :func:`parse_cases`)."""
    try:
        data = yaml.safe_load(_read(path))
    except yaml.YAMLError as error:
        raise PolicyCaseError(f"{path}: not YAML: {error}") from None
    return parse_cases(data, str(path))


def parse_cases(data: object, source: str) -> list[PolicyCase]:
    """Cases from a loaded YAML document: ``{cases: [...]}`` or a bare list of cases."""
    if isinstance(data, dict) and set(data) <= {"cases"}:
        data = data.get("cases")
    if not isinstance(data, list) or not data:
        raise PolicyCaseError(f"{source}: expected a list of cases (or 'cases: [...]')")
    return [_case(item, source, index) for index, item in enumerate(data, 1)]


def _case(item: object, source: str, index: int) -> PolicyCase:
    where = f"{source}: case {index}"
    if not isinstance(item, dict):
        raise PolicyCaseError(f"{where}: a case is a mapping")
    if isinstance(item.get("name"), str):
        where = f"{source}: {item['name']}"
    _known_keys(item, _CASE_KEYS, where)
    operation = item.get("operation")
    if not isinstance(operation, str) or not operation.strip():
        raise PolicyCaseError(f"{where}: 'operation' must be GraphQL text")
    if "principal" not in item:
        raise PolicyCaseError(f"{where}: no 'principal' (null means an anonymous caller)")
    keys = ("visible", "denied", "denied_paths", "conditional")
    expected = [_strings(item, key, where) for key in keys]
    if all(e is None for e in expected):
        raise PolicyCaseError(
            f"{where}: expects nothing: give visible, denied, denied_paths or conditional"
        )
    variables = item.get("variables") or {}
    operation_name = item.get("operation_name")
    if not isinstance(variables, dict) or not isinstance(operation_name, str | None):
        raise PolicyCaseError(f"{where}: 'variables' is a mapping, 'operation_name' a string")
    principal = _principal(item["principal"], where)
    name = str(item.get("name") or f"case {index}")
    return PolicyCase(name, principal, operation, operation_name, variables, *expected)


def _principal(value: object, where: str) -> Principal | None:
    if value is None:
        return None
    if not isinstance(value, dict) or not isinstance(value.get("subject"), str):
        raise PolicyCaseError(f"{where}: 'principal' needs a 'subject' (or is null)")
    _known_keys(value, _PRINCIPAL_KEYS, f"{where}: principal")
    roles = value.get("roles") or []
    if isinstance(roles, str):
        roles = [r.strip() for r in roles.split(",") if r.strip()]
    if not isinstance(roles, list) or not all(isinstance(r, str) for r in roles):
        raise PolicyCaseError(f"{where}: 'roles' is a list of role names")
    extra = {key: value.get(key) for key in ("name", "department", "client_id")}
    if not all(v is None or isinstance(v, str) for v in extra.values()):
        raise PolicyCaseError(f"{where}: 'name', 'department' and 'client_id' are strings")
    subject: str = value["subject"]
    return Principal(
        subject, extra["name"] or subject, tuple(roles), extra["department"], extra["client_id"]
    )


def _known_keys(item: Mapping[str, object], keys: Sequence[str], where: str) -> None:
    unknown = sorted(set(item) - set(keys))
    if unknown:
        raise PolicyCaseError(f"{where}: unknown keys {unknown} (known: {', '.join(keys)})")


def _strings(item: Mapping[str, object], key: str, where: str) -> frozenset[str] | None:
    value = item.get(key)
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise PolicyCaseError(f"{where}: {key!r} is a list of strings")
    return frozenset(value)


if __name__ == "__main__":
    sys.exit(main())
