"""Schema visibility: each caller's introspection and SDL show only what they may read."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from graphql import (
    ExecutionResult,
    GraphQLDeferDirective,
    GraphQLObjectType,
    GraphQLSchema,
    build_schema,
    experimental_execute_incrementally,
    get_introspection_query,
    parse,
    print_directive,
    print_schema,
    validate_schema,
)

from gateway.authz.enforcer import Decision, PolicyEnforcer
from gateway.authz.tools import glob_matches
from gateway.authz.visibility import VISIBILITY_SUBJECT, SchemaVisibility, visible_schema
from gateway.supergraph import load_supergraph
from tandem_shared.tokens import Principal

ROOT = Path(__file__).resolve().parents[2]
POLICIES = ROOT / "policies"
SCHEMA = load_supergraph(Path(__file__).parent / "fixtures" / "oa_erp.graphql").api_schema


def allowing(*patterns: str, write: tuple[str, ...] = ()) -> Callable[[str, str], Decision]:
    def decide(coordinate: str, action: str) -> Decision:
        granted = write if action == "write" else patterns
        return Decision(any(glob_matches(coordinate, p) for p in granted), "test")

    return decide


def fields(schema: GraphQLSchema) -> dict[str, list[str]]:
    return {
        name: sorted(t.fields)
        for name, t in schema.type_map.items()
        if isinstance(t, GraphQLObjectType) and not name.startswith("__")
    }


def test_only_allowed_fields_remain_and_empty_types_disappear() -> None:
    schema = visible_schema(
        SCHEMA, allowing("Query.me", "Query.suppliers", "Employee.name", "Employee.salary")
    )
    assert validate_schema(schema) == []
    # Money has no allowed field: it disappears, and so does Employee.salary that returned it;
    # Supplier has none either: Query.suppliers goes with it
    assert fields(schema) == {"Query": ["me"], "Employee": ["name"]}
    assert sorted(n for n in schema.type_map if not n.startswith("__")) == [
        "Boolean",
        "Employee",
        "Query",
        "String",
    ]
    assert schema.mutation_type is None


def test_input_types_enums_and_arguments_follow_the_fields_that_use_them() -> None:
    schema = visible_schema(
        SCHEMA, allowing("Query.customers", "Customer.name", "Query.approvalInbox", "Approval*.*")
    )
    assert "CustomerFilter" in schema.type_map and "ApprovalStatus" in schema.type_map
    assert (
        "ApprovalStatus"
        not in visible_schema(SCHEMA, allowing("Query.customers", "Customer.*")).type_map
    )
    assert (
        "CustomerFilter"
        not in visible_schema(
            SCHEMA, allowing("Query.approvalInbox", "ApprovalRequest.*", "Employee.id")
        ).type_map
    )


def test_types_reached_by_no_visible_field_are_left_out() -> None:
    schema = visible_schema(SCHEMA, allowing("Query.me", "Employee.name", "Supplier.*"))
    assert "Supplier" not in schema.type_map  # its fields are allowed, but nothing leads there


def test_unions_keep_their_visible_members_and_vanish_without_any() -> None:
    schema = visible_schema(SCHEMA, allowing("Query.search", "Department.name"))
    assert print_schema(schema).count("union SearchResult = Department") == 1
    schema = visible_schema(SCHEMA, allowing("Query.search", "Query.suppliers", "Supplier.name"))
    assert "SearchResult" not in schema.type_map
    assert fields(schema)["Query"] == ["suppliers"]


def test_an_object_keeps_an_interface_only_while_it_has_all_of_its_visible_fields() -> None:
    both = visible_schema(SCHEMA, allowing("Query.node", "Node.id", "Employee.id", "Department.*"))
    assert validate_schema(both) == []
    assert sorted(t.name for t in both.get_possible_types(both.type_map["Node"])) == [  # type: ignore[arg-type]
        "Department",
        "Employee",
    ]
    one = visible_schema(
        SCHEMA, allowing("Query.node", "Query.me", "Node.id", "Employee.name", "Department.*")
    )
    assert validate_schema(one) == []
    assert [t.name for t in one.get_possible_types(one.type_map["Node"])] == ["Department"]  # type: ignore[arg-type]
    assert "Employee" in one.type_map


def test_mutation_fields_are_decided_with_write() -> None:
    schema = visible_schema(
        SCHEMA,
        allowing("Query.me", "Employee.id", "ApprovalRequest.id", write=("Mutation.approve",)),
    )
    assert schema.mutation_type is not None
    assert sorted(schema.mutation_type.fields) == ["approve"]
    read_only = visible_schema(SCHEMA, allowing("*"))
    assert read_only.mutation_type is None


def test_the_query_root_stays_when_nothing_is_visible_and_introspection_still_answers() -> None:
    schema = visible_schema(SCHEMA, allowing())
    # @defer stays declared: the gateway serves it whatever the caller may see
    assert print_schema(schema).strip() == print_directive(GraphQLDeferDirective) + "\n\ntype Query"
    result = experimental_execute_incrementally(schema, parse(get_introspection_query()))
    assert isinstance(result, ExecutionResult) and result.errors is None
    assert result.data is not None
    names = [t["name"] for t in result.data["__schema"]["types"] if not t["name"].startswith("__")]
    assert sorted(names) == ["Boolean", "Query", "String"]


def test_everything_allowed_is_the_api_schema() -> None:
    schema = visible_schema(SCHEMA, allowing("*", write=("*",)))
    assert print_schema(schema) == print_schema(SCHEMA)


def test_custom_directives_and_non_default_root_names_are_kept() -> None:
    source = build_schema(
        """
        directive @audit(level: Level) on FIELD
        enum Level { LOW HIGH }
        schema { query: Root mutation: Change }
        type Root { a: Int b: Int }
        type Change { c: Int }
        """
    )
    schema = visible_schema(source, allowing("Root.a"))
    assert validate_schema(schema) == []
    assert print_schema(schema).strip() == (
        "schema {\n  query: Root\n}\n\n"
        "directive @audit(level: Level) on FIELD\n\n"
        "enum Level {\n  LOW\n  HIGH\n}\n\n"
        "type Root {\n  a: Int\n}"
    )


# -- per caller, cached -----------------------------------------------------------------------


class Counting(PolicyEnforcer):
    asked: list[Principal | None]

    def decide(self, principal: Principal | None, coordinate: str, action: str) -> Decision:
        self.asked.append(principal)
        return super().decide(principal, coordinate, action)


@pytest.fixture
def enforcer(tmp_path: Path) -> Counting:
    policy = tmp_path / "policy.csv"
    policy.write_text((POLICIES / "policy.csv").read_text(encoding="utf-8"), encoding="utf-8")
    enforcer = Counting(POLICIES / "model.conf", policy)
    enforcer.asked = []
    return enforcer


def p(subject: str, *roles: str, department: str | None = "dept-01") -> Principal:
    return Principal(subject, subject, roles, department)


def test_each_role_sees_its_own_schema(enforcer: Counting) -> None:
    visibility = SchemaVisibility(SCHEMA, enforcer)
    employee = fields(visibility.schema_for(p("e", "employee")))
    finance = fields(visibility.schema_for(p("f", "employee", "finance")))
    hr = fields(visibility.schema_for(p("h", "employee", "hr")))
    # their own salary and ID card number (employee@self): visible, decided per object
    assert {"salary", "idCardNumber", "phone"} <= set(employee["Employee"])
    assert "bankAccount" not in employee.get("Supplier", [])
    assert "salary" in finance["Employee"] and "bankAccount" in finance["Supplier"]
    assert {"salary", "idCardNumber"} <= set(hr["Employee"]) and "Supplier" in hr
    assert "bankAccount" not in hr["Supplier"]
    assert "Customer" not in employee  # no visible field: the type and Query.customers go
    assert "customers" not in employee["Query"]
    integrator = fields(visibility.schema_for(p("i", "auditor", "integrator")))
    assert "bankAccount" not in integrator["Supplier"]  # deny overrides
    assert fields(visibility.schema_for(None)) == {"Query": []}


def test_schemas_are_cached_per_policy_version_roles_and_department(enforcer: Counting) -> None:
    visibility = SchemaVisibility(SCHEMA, enforcer)
    first = visibility.schema_for(p("alice", "employee", "finance"))
    asked = len(enforcer.asked)
    assert visibility.schema_for(p("bob", "finance", "employee")) is first  # same roles
    assert len(enforcer.asked) == asked
    assert visibility.schema_for(p("bob", "finance", "employee", department="d2")) is not first
    enforcer.reload()
    assert visibility.schema_for(p("alice", "employee", "finance")) is not first
    assert {a.subject for a in enforcer.asked if a is not None} == {VISIBILITY_SUBJECT}


def test_warming_builds_the_callers_schemas_in_the_background(enforcer: Counting) -> None:
    visibility = SchemaVisibility(SCHEMA, enforcer)
    callers = [p("f", "employee", "finance"), p("h", "employee", "hr", department="dept-04")]
    assert not any(visibility.ready(c) for c in callers)
    visibility.warm(callers).join(timeout=120)
    assert all(visibility.ready(c) for c in callers)
    asked = len(enforcer.asked)
    assert "salary" in fields(visibility.schema_for(p("x", "finance", "employee")))["Employee"]
    assert len(enforcer.asked) == asked  # built already: the policy is not asked again


def test_a_policy_change_rebuilds_the_role_sets_seen_lately(enforcer: Counting) -> None:
    visibility = SchemaVisibility(SCHEMA, enforcer)
    finance, hr = p("f", "employee", "finance"), p("h", "employee", "hr")
    visibility.schema_for(finance)
    visibility.schema_for(hr)
    assert visibility.warming is None  # nothing to rebuild before any change
    enforcer.reload()
    assert not visibility.ready(finance) and not visibility.ready(hr)
    visibility.schema_for(p("e", "employee"))  # the first build under the new version
    assert visibility.warming is not None
    visibility.warming.join(timeout=120)
    assert visibility.ready(finance) and visibility.ready(hr)


def test_the_sdl_is_the_visible_schema_printed_once(enforcer: Counting) -> None:
    visibility = SchemaVisibility(SCHEMA, enforcer)
    sdl = visibility.sdl_for(p("e", "employee"))
    assert sdl == print_schema(visibility.schema_for(p("e", "employee")))
    assert "bankAccount" not in sdl and "creditLimit" not in sdl
    assert visibility.sdl_for(p("x", "employee")) is sdl


def test_rules_for_one_subject_show_only_per_subject(enforcer: Counting, tmp_path: Path) -> None:
    policy = Path(enforcer.policy_path or "")
    policy.write_text(
        policy.read_text(encoding="utf-8") + "p, emp-007, *, Customer.name, read, allow\n",
        encoding="utf-8",
    )
    enforcer.reload()
    shared = SchemaVisibility(SCHEMA, enforcer)
    assert "Customer" not in fields(shared.schema_for(p("emp-007", "employee")))
    own = SchemaVisibility(SCHEMA, enforcer, per_subject=True)
    assert fields(own.schema_for(p("emp-007", "employee")))["Customer"] == ["name"]
    assert "Customer" not in fields(own.schema_for(p("emp-008", "employee")))


def test_the_cache_is_bounded(enforcer: Counting) -> None:
    visibility = SchemaVisibility(SCHEMA, enforcer, cache_size=2)
    first = visibility.schema_for(p("a", "employee"))
    visibility.schema_for(p("b", "hr"))
    visibility.schema_for(p("c", "finance"))
    assert visibility.schema_for(p("a", "employee")) is not first


def test_introspection_over_the_visible_schema_answers_the_callers_view(
    enforcer: Counting,
) -> None:
    """What the gateway's introspection hook does: execute over ``schema_for(principal)``."""
    schema = SchemaVisibility(SCHEMA, enforcer).schema_for(p("e", "employee"))
    result = experimental_execute_incrementally(
        schema,
        parse(
            '{ __type(name: "Employee") { fields { name } } '
            'customer: __type(name: "Customer") { name } }'
        ),
    )
    assert isinstance(result, ExecutionResult) and result.errors is None
    assert result.data is not None
    names = {f["name"] for f in result.data["__type"]["fields"]}
    assert "phone" in names and "salary" in names and "idCardNumber" in names  # own record
    assert result.data["customer"] is None
