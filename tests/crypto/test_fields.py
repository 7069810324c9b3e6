"""The gateway reads which coordinates are encrypted from the composed supergraph."""

from __future__ import annotations

import pytest

from gateway.encrypted_fields import EncryptedFields
from gateway.errors import SupergraphError
from gateway.supergraph import load_supergraph, read_supergraph
from tests.crypto.stack import SUPERGRAPH


def test_the_oa_erp_supergraph_marks_the_sensitive_fields_of_domain_md() -> None:
    fields = EncryptedFields.from_supergraph(load_supergraph(SUPERGRAPH))
    assert {c: (f.mask, f.key_field, f.object_typed) for c, f in fields.fields.items()} == {
        "Employee.idCardNumber": ("LAST4", "id", False),
        "Employee.phone": ("LAST4", "id", False),
        "Employee.salary": ("ALL", "id", True),
        "Supplier.bankAccount": ("LAST4", "id", False),
        "Customer.phone": ("LAST4", "id", False),
    }
    assert {
        (coordinate, name, spec.field, spec.search)
        for coordinate, specs in fields.arguments.items()
        for name, spec in specs.items()
    } == {
        ("Query.employeeByIdCardNumber", "idCardNumber", "Employee.idCardNumber", True),
        ("Mutation.updateEmployeeIdentity", "idCardNumber", "Employee.idCardNumber", False),
        ("Mutation.updateEmployeeIdentity", "phone", "Employee.phone", False),
        ("Mutation.setSalary", "salary", "Employee.salary", False),
    }
    assert {t: set(s) for t, s in fields.input_fields.items()} == {
        "CreateSupplierInput": {"bankAccount"},
        "CreateCustomerInput": {"phone"},
    }


def test_the_api_schema_does_not_show_the_directives() -> None:
    supergraph = load_supergraph(SUPERGRAPH)
    assert supergraph.api_schema.get_directive("encrypted") is None
    assert supergraph.schema.get_directive("encrypted") is not None


def _supergraph(field: str, extra: str = "") -> str:
    return f"""
schema @link(url: "https://specs.apollo.dev/link/v1.0")
  @link(url: "https://specs.apollo.dev/join/v0.5", for: EXECUTION)
  @link(url: "https://specs.tandem.dev/encryption/v0.1",
        import: [{{name: "@encrypted", as: "@sealed"}}])
{{ query: Query }}
directive @join__graph(name: String!, url: String!) on ENUM_VALUE
directive @join__type(graph: join__Graph!, key: join__FieldSet, extension: Boolean! = false,
  resolvable: Boolean! = true, isInterfaceObject: Boolean! = false) repeatable on OBJECT | INTERFACE
directive @join__field(graph: join__Graph, requires: join__FieldSet, provides: join__FieldSet,
  type: String, external: Boolean, override: String, usedOverridden: Boolean)
  repeatable on FIELD_DEFINITION
directive @link(url: String, as: String, for: link__Purpose, import: [link__Import])
  repeatable on SCHEMA
directive @sealed(mask: String! = "NONE") on FIELD_DEFINITION
scalar join__FieldSet
scalar link__Import
enum link__Purpose {{ SECURITY EXECUTION }}
enum join__Graph {{ A @join__graph(name: "a", url: "http://a") }}
type Query @join__type(graph: A) {{ people: [Person] }}
type Person @join__type(graph: A{extra}) {{ id: ID! {field} }}
"""


def test_an_imported_alias_is_followed() -> None:
    supergraph = read_supergraph(
        _supergraph('secret: String @sealed(mask: "FIRST1")', ', key: "id"')
    )
    fields = EncryptedFields.from_supergraph(supergraph)
    assert fields.get("Person", "secret") is not None
    assert fields.fields["Person.secret"].mask == "FIRST1"


@pytest.mark.parametrize(
    ("field", "extra", "message"),
    [
        ('secret: String @sealed(mask: "HALF")', ', key: "id"', "unknown mask"),
        ("secret: String @sealed", "", "single-field @key"),
    ],
)
def test_a_bad_marking_is_refused_at_start_up(field: str, extra: str, message: str) -> None:
    with pytest.raises(SupergraphError, match=message):
        EncryptedFields.from_supergraph(read_supergraph(_supergraph(field, extra)))
