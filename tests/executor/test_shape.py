"""Response shaping: the client's keys in the client's order, and null propagation.

``Shaper`` completes merged subgraph data as GraphQL's CompleteValue does (GraphQL spec,
"Value Completion" and "Handling Field Errors"): a null in a non-null position nulls the
nearest nullable parent and adds one error at the field's path; abstract types are shaped by
their ``__typename``; enum values the API schema does not have are field errors.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import pytest
from graphql import FragmentDefinitionNode, OperationDefinitionNode, build_schema, parse

from gateway.executor.shape import Shaper
from gateway.operation import normalize_operation

SCHEMA = build_schema(
    """
    type Query {
      user: User
      strictUser: User!
      users: [User!]!
      maybeUsers: [User]
      node: Node
      nodes: [Node!]
      search: [SearchResult]
      status: Status
      statuses: [Status!]
      tags: [String!]
      matrix: [[Int!]]
    }

    "The API schema's statuses: a subgraph may know more (an @inaccessible value, say)."
    enum Status { ACTIVE SUSPENDED }

    interface Node { id: ID! }

    type User implements Node {
      id: ID!
      name: String!
      nickname: String
      best: User!
      friends: [User!]
      address: Address
      status: Status!
    }

    type Address { city: String! street: String }

    type Group implements Node { id: ID! title: String }

    union SearchResult = User | Group
    """
)

INVALID = "INVALID_SUBGRAPH_RESPONSE"


def shape(
    query: str, data: Mapping[str, Any], errors: list[dict[str, Any]] | None = None
) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    """Shape ``data`` for ``query``; the shaped data and the errors after shaping."""
    document = parse(query)
    [operation] = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    selections = normalize_operation(operation, fragments, {})
    errors = list(errors or [])
    return Shaper(SCHEMA, selections, "Query").shape(data, errors), errors


def paths_and_codes(errors: list[dict[str, Any]]) -> list[tuple[Any, Any]]:
    return [(e.get("path"), e.get("extensions", {}).get("code")) for e in errors]


def assert_ordered(actual: Any, expected: Any) -> None:
    """Equal, with every object's keys in the same order."""
    assert actual == expected
    assert json.dumps(actual) == json.dumps(expected), "same content, different key order"


# -- null propagation ----------------------------------------------------------------------


def test_nullable_null_stays_null_without_an_error() -> None:
    data, errors = shape(
        "{ user { id nickname address { street } } }",
        {"user": {"id": "u1", "nickname": None, "address": None}},
    )
    assert data == {"user": {"id": "u1", "nickname": None, "address": None}}
    assert errors == []


def test_non_null_field_nulls_its_nullable_parent_with_one_error() -> None:
    data, errors = shape("{ user { id name } }", {"user": {"id": "u1", "name": None}})
    assert data == {"user": None}
    assert errors == [
        {
            "message": "Cannot return null for non-nullable field User.name.",
            "path": ["user", "name"],
            "extensions": {"code": INVALID},
        }
    ]


def test_missing_non_null_field_counts_as_null() -> None:
    data, errors = shape("{ user { id name } }", {"user": {"id": "u1"}})
    assert data == {"user": None}
    assert paths_and_codes(errors) == [(["user", "name"], INVALID)]


def test_missing_nullable_field_is_null_and_what_came_before_it_is_reported_once() -> None:
    """A missing field sends the object down the reading that tolerates it: the errors of the
    fields shaped before it (here a wrong leaf of ``best``) are not recorded twice."""
    data, errors = shape(
        "{ user { best { id street: nickname } nickname } }",
        {"user": {"best": {"id": "u2", "street": 5}}},
    )
    assert data == {"user": {"best": {"id": "u2", "street": None}, "nickname": None}}
    assert paths_and_codes(errors) == [(["user", "best", "street"], INVALID)]


def test_introspection_fields_come_from_the_introspection_answer_beside_subgraph_data() -> None:
    document = parse('{ __typename __type(name: "User") { name } user { id } }')
    [operation] = document.definitions
    assert isinstance(operation, OperationDefinitionNode)
    shaper = Shaper(SCHEMA, normalize_operation(operation, {}, {}), "Query")
    introspection = {"__type": {"name": "User"}}
    for data in ({"user": {"id": "u1"}}, {}):  # every field there, and one missing
        shaped = shaper.shape(data, [], introspection)
        user = data.get("user")
        assert_ordered(shaped, {"__typename": "Query", "__type": {"name": "User"}, "user": user})


def test_propagation_stops_at_the_nearest_nullable_parent() -> None:
    data, errors = shape(
        "{ user { id address { street city } } }",
        {"user": {"id": "u1", "address": {"street": "Nanjing Rd", "city": None}}},
    )
    assert data == {"user": {"id": "u1", "address": None}}
    assert paths_and_codes(errors) == [(["user", "address", "city"], INVALID)]


def test_propagation_climbs_a_chain_of_non_null_fields() -> None:
    data, errors = shape(
        "{ user { id best { best { name } } } }",
        {"user": {"id": "u1", "best": {"best": {"name": None}}}},
    )
    assert data == {"user": None}
    assert paths_and_codes(errors) == [(["user", "best", "best", "name"], INVALID)]


def test_propagation_to_the_root_nulls_data_and_siblings_go_with_it() -> None:
    data, errors = shape(
        "{ user { id } strictUser { name } }",
        {"user": {"id": "u1"}, "strictUser": {"name": None}},
    )
    assert data is None
    assert paths_and_codes(errors) == [(["strictUser", "name"], INVALID)]


def test_an_error_a_subgraph_reported_at_the_path_is_not_repeated() -> None:
    reported = {
        "message": "name is withheld",
        "path": ["user", "name"],
        "extensions": {"code": "FORBIDDEN", "serviceName": "people"},
    }
    data, errors = shape("{ user { id name } }", {"user": {"id": "u1", "name": None}}, [reported])
    assert data == {"user": None}
    assert errors == [reported]


# -- lists ---------------------------------------------------------------------------------


def test_null_non_null_item_nulls_the_nullable_list() -> None:
    data, errors = shape(
        "{ user { friends { id } } }",
        {"user": {"friends": [{"id": "u2"}, None, {"id": "u4"}]}},
    )
    assert data == {"user": {"friends": None}}
    assert paths_and_codes(errors) == [(["user", "friends", 1], INVALID)]


def test_non_null_field_inside_a_non_null_item_nulls_the_nullable_list() -> None:
    data, errors = shape(
        "{ user { id friends { id name } } }",
        {"user": {"id": "u1", "friends": [{"id": "u2", "name": "Li"}, {"id": "u3", "name": None}]}},
    )
    assert data == {"user": {"id": "u1", "friends": None}}
    assert paths_and_codes(errors) == [(["user", "friends", 1, "name"], INVALID)]


def test_nullable_items_absorb_their_own_nulls() -> None:
    data, errors = shape(
        "{ maybeUsers { id name } }",
        {"maybeUsers": [{"id": "u1", "name": "Wang"}, {"id": "u2", "name": None}, None]},
    )
    assert data == {"maybeUsers": [{"id": "u1", "name": "Wang"}, None, None]}
    assert paths_and_codes(errors) == [(["maybeUsers", 1, "name"], INVALID)]


def test_non_null_leaf_items() -> None:
    data, errors = shape("{ tags }", {"tags": ["a", None, "c"]})
    assert data == {"tags": None}
    assert paths_and_codes(errors) == [(["tags", 1], INVALID)]


def test_nested_lists_null_the_inner_list_only() -> None:
    data, errors = shape("{ matrix }", {"matrix": [[1, 2], [3, None], []]})
    assert data == {"matrix": [[1, 2], None, []]}
    assert paths_and_codes(errors) == [(["matrix", 1, 1], INVALID)]


def test_non_null_list_of_non_null_items_nulls_data() -> None:
    data, errors = shape("{ users { id } }", {"users": [{"id": "u1"}, None]})
    assert data is None
    assert paths_and_codes(errors) == [(["users", 1], INVALID)]


# -- abstract types --------------------------------------------------------------------------


def test_interface_is_shaped_by_the_runtime_type() -> None:
    data, errors = shape(
        "{ node { __typename id ... on User { name } ... on Group { title } } }",
        {"node": {"__typename": "Group", "id": "g1", "title": "Buyers", "name": "leaked"}},
    )
    assert_ordered(data, {"node": {"__typename": "Group", "id": "g1", "title": "Buyers"}})
    assert errors == []


def test_union_list_mixes_runtime_types() -> None:
    data, errors = shape(
        """
        {
          search {
            kind: __typename
            ... on Node { id }
            ... on User { name }
            ... on Group { title }
          }
        }
        """,
        {
            "search": [
                {"__typename": "User", "id": "u1", "name": "Wang", "title": "not a group"},
                {"__typename": "Group", "id": "g1", "title": "Buyers"},
                None,
            ]
        },
    )
    assert_ordered(
        data,
        {
            "search": [
                {"kind": "User", "id": "u1", "name": "Wang"},
                {"kind": "Group", "id": "g1", "title": "Buyers"},
                None,
            ]
        },
    )
    assert errors == []


def test_non_null_field_of_a_runtime_type_propagates() -> None:
    data, errors = shape(
        "{ nodes { id ... on User { name } } }",
        {"nodes": [{"__typename": "User", "id": "u1", "name": None}]},
    )
    assert data == {"nodes": None}
    assert paths_and_codes(errors) == [(["nodes", 0, "name"], INVALID)]


def test_object_typename_is_the_schema_type() -> None:
    data, errors = shape(
        "{ user { __typename t: __typename best { __typename } } }",
        {"user": {"best": {}}},
    )
    assert_ordered(
        data, {"user": {"__typename": "User", "t": "User", "best": {"__typename": "User"}}}
    )
    assert errors == []


@pytest.mark.parametrize(
    ("query", "data", "expected"),
    [
        (
            "{ search { ... on User { id } } }",
            {"search": [{"__typename": "User", "id": "u1"}, {"__typename": "Robot", "id": "r1"}]},
            {"search": [{"id": "u1"}, None]},
        ),
        ("{ node { id } }", {"node": {"__typename": "Robot", "id": "r2"}}, {"node": None}),
        ("{ search { __typename } }", {"search": [{"id": "u1"}]}, {"search": [None]}),
        ("{ user { id } }", {"user": "u1"}, {"user": None}),
        ("{ maybeUsers { id } }", {"maybeUsers": {"id": "u1"}}, {"maybeUsers": None}),
        ("{ tags }", {"tags": "a"}, {"tags": None}),
    ],
    ids=[
        "unknown_union_member",
        "unknown_interface_implementation",
        "union_member_without_typename",
        "object_not_an_object",
        "list_not_a_list",
        "leaf_list_not_a_list",
    ],
)
def test_values_that_cannot_be_completed_are_field_errors(
    query: str, data: dict[str, Any], expected: dict[str, Any]
) -> None:
    shaped, errors = shape(query, data)
    assert shaped == expected
    assert len(errors) == 1
    assert errors[0]["extensions"]["code"] == INVALID


def test_unknown_runtime_type_in_a_non_null_position_is_reported() -> None:
    data, errors = shape(
        "{ nodes { id } }", {"nodes": [{"__typename": "User", "id": "u1"}, {"__typename": "Robot"}]}
    )
    assert data == {"nodes": None}
    assert [e.get("path") for e in errors] == [["nodes", 1]]


def test_non_null_object_that_is_not_an_object_nulls_its_parent_with_one_error() -> None:
    data, errors = shape("{ user { id best { id } } }", {"user": {"id": "u1", "best": "u2"}})
    assert data == {"user": None}
    assert paths_and_codes(errors) == [(["user", "best"], INVALID)]


def test_a_non_object_among_the_objects_of_a_non_null_list_is_reported_at_its_index() -> None:
    users = [{"id": "u1", "name": "Ann"}, 7, {"id": "u3", "name": "Cy"}]
    data, errors = shape("{ users { id name } }", {"users": users})
    assert data is None  # users is [User!]!: the bad item nulls the list, and the root
    assert paths_and_codes(errors) == [(["users", 1], INVALID)]


# -- enums ---------------------------------------------------------------------------------


def test_enum_value_outside_the_api_schema_is_null_and_an_error() -> None:
    data, errors = shape("{ status user { id } }", {"status": "ARCHIVED", "user": {"id": "u1"}})
    assert data == {"status": None, "user": {"id": "u1"}}
    assert errors == [
        {
            "message": "Enum Status cannot represent value 'ARCHIVED'.",
            "path": ["status"],
            "extensions": {"code": INVALID},
        }
    ]


def test_enum_values_of_the_api_schema_pass() -> None:
    data, errors = shape(
        "{ status statuses }", {"status": "ACTIVE", "statuses": ["SUSPENDED", "ACTIVE"]}
    )
    assert data == {"status": "ACTIVE", "statuses": ["SUSPENDED", "ACTIVE"]}
    assert errors == []


def test_unknown_enum_value_in_a_non_null_item_nulls_the_list_with_one_error() -> None:
    data, errors = shape("{ statuses }", {"statuses": ["ACTIVE", "ARCHIVED"]})
    assert data == {"statuses": None}
    assert paths_and_codes(errors) == [(["statuses", 1], INVALID)]
    assert "ARCHIVED" in errors[0]["message"]


def test_unknown_enum_value_in_a_non_null_field_propagates_with_one_error() -> None:
    data, errors = shape("{ user { id status } }", {"user": {"id": "u1", "status": "GONE"}})
    assert data == {"user": None}
    assert paths_and_codes(errors) == [(["user", "status"], INVALID)]
    assert "GONE" in errors[0]["message"]


# -- keys and order ------------------------------------------------------------------------


def test_aliases_and_field_order_follow_the_query_not_the_data() -> None:
    data, errors = shape(
        "{ second: user { who: name id again: name } first: user { id } kind: __typename }",
        {"first": {"id": "u2"}, "second": {"id": "u1", "again": "Wang", "who": "Wang"}},
    )
    assert_ordered(
        data,
        {
            "second": {"who": "Wang", "id": "u1", "again": "Wang"},
            "first": {"id": "u2"},
            "kind": "Query",
        },
    )
    assert errors == []


def test_fragment_fields_are_collected_where_the_fragment_is_spread() -> None:
    data, errors = shape(
        """
        { user { nickname ...Names id ... on User { address { city } nickname } } }
        fragment Names on User { name id }
        """,
        {"user": {"address": {"city": "Suzhou"}, "id": "u1", "name": "Wang", "nickname": "W"}},
    )
    assert_ordered(
        data,
        {"user": {"nickname": "W", "name": "Wang", "id": "u1", "address": {"city": "Suzhou"}}},
    )
    assert errors == []


def test_fields_the_client_did_not_select_are_dropped() -> None:
    data, errors = shape(
        "{ user { name } }",
        {"user": {"name": "Wang", "id": "u1", "__typename": "User", "_key0": "x"}, "extra": 1},
    )
    assert_ordered(data, {"user": {"name": "Wang"}})
    assert errors == []
