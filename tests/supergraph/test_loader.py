"""Reading Federation 2 supergraphs: join v0.3 and v0.5, the API schema, and located errors.

Fixtures: ``fixtures/catalog.graphql`` (join v0.3, every join directive, @inaccessible on each
kind of element), ``fixtures/renamed.graphql`` (``@link(as:)`` renames of join and
inaccessible) and the demo supergraph of the repository (join v0.5, composed by rover).
Error cases edit one line of ``catalog.graphql``, so the line each message names is plain.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from graphql import GraphQLSchema, print_ast
from graphql.language import SelectionSetNode

from gateway.errors import SupergraphError
from gateway.supergraph import FieldJoin, Supergraph, load_supergraph, read_supergraph
from tests.support.fixtures import DEMO_SUPERGRAPH

FIXTURES = Path(__file__).parent / "fixtures"
CATALOG = FIXTURES / "catalog.graphql"
RENAMED = FIXTURES / "renamed.graphql"


def field_set(node: SelectionSetNode | None) -> str | None:
    """A field set on one line, as written in a supergraph: ``{ sku vendor { code } }``."""
    return None if node is None else " ".join(print_ast(node).split())


def catalog_with(old: str, new: str) -> str:
    """The catalog fixture with the one occurrence of ``old`` replaced by ``new``."""
    text = CATALOG.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times in the fixture"
    return text.replace(old, new)


def has_path(schema: GraphQLSchema, path: str) -> bool:
    """Whether ``Type``, ``Type.field``, ``Type.field(arg)`` or ``Enum.VALUE`` exists."""
    type_name, _, rest = path.partition(".")
    gql_type = schema.type_map.get(type_name)
    if gql_type is None or not rest:
        return gql_type is not None
    name, _, argument = rest.partition("(")
    if hasattr(gql_type, "values"):
        return name in gql_type.values
    fields = gql_type.fields  # type: ignore[attr-defined]
    if name not in fields:
        return False
    return not argument or argument.rstrip(")") in fields[name].args


@pytest.fixture(scope="module")
def catalog() -> Supergraph:
    return load_supergraph(CATALOG)


# -- join v0.3 -------------------------------------------------------------------------------


def test_graphs_have_their_names_and_urls(catalog: Supergraph) -> None:
    assert {id_: (g.name, g.url) for id_, g in catalog.graphs.items()} == {
        "CATALOG": ("catalog", "http://catalog.test/graphql"),
        "PRICING": ("pricing", "http://pricing.test/graphql"),
        "REVIEWS": ("reviews", "http://reviews.test/graphql"),
    }


def test_roots_and_kinds(catalog: Supergraph) -> None:
    assert (catalog.query_type, catalog.mutation_type, catalog.subscription_type) == (
        "Query",
        None,
        None,
    )
    kinds = {name: meta.kind for name, meta in catalog.types.items()}
    assert kinds == {
        "Query": "object",
        "Product": "object",
        "Vendor": "object",
        "Offer": "object",
        "OfferStatus": "enum",
        "AuditRecord": "object",
    }


def test_keys_compound_nested_several_and_non_resolvable(catalog: Supergraph) -> None:
    joins = [
        (j.graph, j.key_text, field_set(j.key), j.resolvable)
        for j in catalog.types["Product"].joins
    ]
    assert joins == [
        ("CATALOG", "id", "{ id }", True),
        ("CATALOG", "sku vendor { code }", "{ sku vendor { code } }", True),
        ("PRICING", "id", "{ id }", True),
        ("REVIEWS", "sku vendor { code }", "{ sku vendor { code } }", False),
    ]


def test_keys_resolvable_only_by_default(catalog: Supergraph) -> None:
    product = catalog.types["Product"]
    assert [j.key_text for j in product.keys("REVIEWS")] == []
    assert [j.key_text for j in product.keys("REVIEWS", resolvable_only=False)] == [
        "sku vendor { code }"
    ]
    assert [j.key_text for j in product.keys("CATALOG")] == ["id", "sku vendor { code }"]


def test_value_types_have_no_key(catalog: Supergraph) -> None:
    assert [(j.graph, j.key) for j in catalog.types["Vendor"].joins] == [
        ("CATALOG", None),
        ("REVIEWS", None),
    ]


def describe(join: FieldJoin) -> str:
    """A ``@join__field`` in words: ``PRICING requires { weight }``."""
    parts = [str(join.graph)]
    if join.external:
        parts.append("external")
    if join.requires is not None:
        parts.append(f"requires {field_set(join.requires)}")
    if join.provides is not None:
        parts.append(f"provides {field_set(join.provides)}")
    if join.override is not None:
        parts.append(f"override {join.override}")
    return " ".join(parts)


@pytest.mark.parametrize(
    ("field", "joins"),
    [
        ("Product.id", ["CATALOG", "PRICING"]),
        ("Product.name", ["CATALOG", "PRICING external"]),
        ("Product.price", ["PRICING override catalog"]),
        ("Product.shippingEstimate", ["PRICING requires { weight }"]),
        ("Query.offers", ["PRICING provides { product { name } }"]),
        ("Offer.discount", []),  # defined by every graph of the type: no @join__field
    ],
)
def test_field_joins(catalog: Supergraph, field: str, joins: list[str]) -> None:
    type_name, _, field_name = field.partition(".")
    assert [describe(j) for j in catalog.types[type_name].fields[field_name].joins] == joins


def test_field_types_as_declared(catalog: Supergraph) -> None:
    field = catalog.types["Query"].fields["products"]
    assert (field.type_name, field.type_text) == ("Product", "[Product!]!")


@pytest.mark.parametrize(
    ("path", "in_api_schema"),
    [
        ("AuditRecord", False),
        ("Query.audits", False),
        ("Product.costPrice", False),
        ("Query.products(legacy)", False),
        ("ProductFilter.internalOnly", False),
        ("OfferStatus.DRAFT", False),
        # their accessible neighbours stay
        ("Query.products(filter)", True),
        ("ProductFilter.nameContains", True),
        ("OfferStatus.ACTIVE", True),
        ("Product.price", True),
    ],
)
def test_inaccessible_elements_leave_the_api_schema_only(
    catalog: Supergraph, path: str, in_api_schema: bool
) -> None:
    assert has_path(catalog.api_schema, path) is in_api_schema
    assert has_path(catalog.schema, path)


@pytest.mark.parametrize(
    "name",
    [
        "join__Graph",
        "join__FieldSet",
        "link__Purpose",
        "link__Import",
        "join__type",
        "link",
        "inaccessible",
    ],
)
def test_spec_elements_leave_the_api_schema(catalog: Supergraph, name: str) -> None:
    assert name not in catalog.api_schema.type_map
    assert catalog.api_schema.get_directive(name) is None


# -- join v0.5 -------------------------------------------------------------------------------


def test_reads_the_demo_supergraph_join_v05() -> None:
    demo = load_supergraph(DEMO_SUPERGRAPH)
    assert {id_: g.name for id_, g in demo.graphs.items()} == {
        "INVENTORY": "inventory",
        "PEOPLE": "people",
        "PROCUREMENT": "procurement",
    }
    item = demo.types["Item"]
    assert [(j.graph, j.key_text) for j in item.joins] == [
        ("INVENTORY", "sku"),
        ("PROCUREMENT", "sku"),
    ]
    assert [(j.graph, j.external) for j in item.fields["stock"].joins] == [
        ("INVENTORY", False),
        ("PROCUREMENT", True),
    ]
    assert [(j.graph, field_set(j.requires)) for j in item.fields["reorderNeeded"].joins] == [
        ("PROCUREMENT", "{ stock }")
    ]
    assert demo.types["PurchaseOrderStatus"].kind == "enum"
    api_types = {name for name in demo.api_schema.type_map if not name.startswith("__")}
    assert api_types == {
        "Boolean",
        "Department",
        "Employee",
        "ID",
        "Int",
        "Item",
        "Money",
        "OrderLine",
        "PurchaseOrder",
        "PurchaseOrderStatus",
        "Query",
        "String",
        "Supplier",
    }


def test_join_v05_progressive_override_label() -> None:
    text = catalog_with("join/v0.3", "join/v0.5").replace(
        'override: "catalog")', 'override: "catalog", overrideLabel: "percent(25)")'
    )
    supergraph = read_supergraph(text, source_name="v05")
    [join] = supergraph.types["Product"].fields["price"].joins
    assert (join.graph, join.override, join.override_label) == ("PRICING", "catalog", "percent(25)")


def test_used_overridden_is_read() -> None:
    text = catalog_with(
        'price: Float! @join__field(graph: PRICING, override: "catalog")',
        "price: Float! @join__field(graph: CATALOG, usedOverridden: true) "
        '@join__field(graph: PRICING, override: "catalog")',
    )
    joins = read_supergraph(text).types["Product"].fields["price"].joins
    assert [(j.graph, j.used_overridden, j.override) for j in joins] == [
        ("CATALOG", True, None),
        ("PRICING", False, "catalog"),
    ]


# -- @link(as:) ------------------------------------------------------------------------------


def test_link_as_renames_the_join_prefix() -> None:
    renamed = load_supergraph(RENAMED)
    assert {id_: g.name for id_, g in renamed.graphs.items()} == {"LEFT": "left", "RIGHT": "right"}
    thing = renamed.types["Thing"]
    assert [(j.graph, j.key_text) for j in thing.joins] == [("LEFT", "id"), ("RIGHT", "id")]
    assert [(j.graph, field_set(j.requires)) for j in thing.fields["score"].joins] == [
        ("RIGHT", "{ label }")
    ]
    assert "fed__Graph" not in renamed.types


def test_link_as_renames_inaccessible_and_spec_elements_leave_the_api_schema() -> None:
    renamed = load_supergraph(RENAMED)
    assert not has_path(renamed.api_schema, "Thing.score")
    assert has_path(renamed.schema, "Thing.score")
    assert {n for n in renamed.api_schema.type_map if n.startswith(("fed__", "link__"))} == set()
    assert renamed.api_schema.get_directive("hidden") is None


def test_join_directives_under_the_default_name_are_not_read_once_renamed() -> None:
    text = RENAMED.read_text(encoding="utf-8").replace('as: "fed", ', "")
    with pytest.raises(SupergraphError, match=r"the enum join__Graph .* is missing"):
        read_supergraph(text, source_name="renamed")


# -- errors ----------------------------------------------------------------------------------

SYNTAX = ("  discount: Float!\n", "  discount: Float!!\n")
NO_GRAPH_ENUM = (
    '  CATALOG @join__graph(name: "catalog", url: "http://catalog.test/graphql")\n'
    '  PRICING @join__graph(name: "pricing", url: "http://pricing.test/graphql")\n'
    '  REVIEWS @join__graph(name: "reviews", url: "http://reviews.test/graphql")\n',
    "  CATALOG\n  PRICING\n  REVIEWS\n",
)
UNKNOWN_TYPE_GRAPH = (
    '  @join__type(graph: PRICING, key: "id")\n',
    '  @join__type(graph: BILLING, key: "id")\n',
)
UNKNOWN_FIELD_GRAPH = (
    "@join__field(graph: PRICING, requires:",
    "@join__field(graph: BILLING, requires:",
)
EXECUTION_LINK = (
    '  @link(url: "https://specs.apollo.dev/inaccessible/v0.2", for: SECURITY)\n',
    '  @link(url: "https://specs.apollo.dev/inaccessible/v0.2", for: SECURITY)\n'
    '  @link(url: "https://specs.example.com/rateLimit/v1.0", for: EXECUTION)\n',
)
SECURITY_LINK = (
    '  @link(url: "https://specs.apollo.dev/inaccessible/v0.2", for: SECURITY)\n',
    '  @link(url: "https://specs.apollo.dev/inaccessible/v0.2", for: SECURITY)\n'
    '  @link(url: "https://specs.example.com/policy/v0.1", for: SECURITY)\n',
)
BAD_KEY = (
    'key: "sku vendor { code }")\n  @join__type(graph: PRICING',
    'key: "sku vendor { code ")\n  @join__type(graph: PRICING',
)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        pytest.param(SYNTAX, "catalog:81:19: Syntax Error: Expected Name, found '!'.", id="syntax"),
        pytest.param(
            NO_GRAPH_ENUM,
            "catalog: no subgraphs: the enum join__Graph with @join__graph values is missing "
            "(is this a supergraph?)",
            id="no-join-graph-values",
        ),
        pytest.param(
            UNKNOWN_TYPE_GRAPH,
            "catalog:56: @join__type names unknown graph 'BILLING'",
            id="join-type-unknown-graph",
        ),
        pytest.param(
            UNKNOWN_FIELD_GRAPH,
            "catalog:65: @join__field on shippingEstimate names unknown graph 'BILLING'",
            id="join-field-unknown-graph",
        ),
        pytest.param(
            BAD_KEY,
            "invalid key of Product at catalog:55 'sku vendor { code ': "
            "Syntax Error: Expected Name, found <EOF>.",
            id="key-field-set-syntax",
        ),
        pytest.param(
            ('requires: "weight"', 'requires: "weight {"'),
            "invalid requires of shippingEstimate at catalog:65 'weight {': "
            "Syntax Error: Expected Name, found <EOF>.",
            id="requires-field-set-syntax",
        ),
        pytest.param(
            ('provides: "product { name }"', 'provides: "product { name"'),
            "invalid provides of offers at catalog:49 'product { name': "
            "Syntax Error: Expected Name, found <EOF>.",
            id="provides-field-set-syntax",
        ),
        pytest.param(
            ('"catalog", url: "http://catalog.test/graphql"', '"catalog"'),
            "catalog:38: @join__graph on CATALOG needs string arguments name and url",
            id="join-graph-without-url",
        ),
        pytest.param(
            EXECUTION_LINK,
            "catalog:8: the supergraph links https://specs.example.com/rateLimit/v1.0 for "
            "EXECUTION, which this gateway does not implement",
            id="unsupported-execution-link",
        ),
        pytest.param(
            SECURITY_LINK,
            "catalog:8: the supergraph links https://specs.example.com/policy/v0.1 for "
            "SECURITY, which this gateway does not implement",
            id="unsupported-security-link",
        ),
        pytest.param(
            ("join/v0.3", "join/v0.6"),
            "catalog:6: join spec v0.6 is not supported (supported: v0.1, v0.2, v0.3, v0.4, v0.5)",
            id="unsupported-join-version",
        ),
        pytest.param(
            ('  @link(url: "https://specs.apollo.dev/join/v0.3", for: EXECUTION)\n', ""),
            "catalog: not a Federation 2 supergraph: no @link to the join spec",
            id="no-join-link",
        ),
        pytest.param(
            ('@link(url: "https://specs.apollo.dev/link/v1.0")', '@link(url: "link-v1")'),
            "catalog:5: @link with unrecognised url 'link-v1'",
            id="unrecognised-link-url",
        ),
    ],
)
def test_errors_name_the_source_line_and_problem(edit: tuple[str, str], message: str) -> None:
    with pytest.raises(SupergraphError) as caught:
        read_supergraph(catalog_with(*edit), source_name="catalog")
    assert caught.value.message == message
    assert caught.value.code == "INVALID_SUPERGRAPH"


def test_a_missing_join_graph_enum_is_an_error() -> None:
    text = CATALOG.read_text(encoding="utf-8")
    start = text.index("enum join__Graph {")
    text = text[:start] + text[text.index("}", start) + 1 :]
    with pytest.raises(SupergraphError, match=r"^catalog: no subgraphs: the enum join__Graph"):
        read_supergraph(text, source_name="catalog")


def test_context_arguments_are_read() -> None:
    text = catalog_with("join/v0.3", "join/v0.5").replace(
        '@join__field(graph: PRICING, requires: "weight")',
        '@join__field(graph: PRICING, contextArguments: [{context: "c", name: "n", '
        'type: "String", selection: " { name }"}])',
    )
    supergraph = read_supergraph(text, source_name="catalog")
    joins = [j for m in supergraph.types.values() for f in m.fields.values() for j in f.joins]
    [argument] = [a for j in joins for a in j.context_arguments]
    assert (argument.name, argument.type, argument.context) == ("n", "String", "c")
    assert [f.name.value for f in argument.selection.selections] == ["name"]  # type: ignore[attr-defined]


def test_malformed_context_arguments_are_refused_with_the_line() -> None:
    text = catalog_with("join/v0.3", "join/v0.5").replace(
        '@join__field(graph: PRICING, requires: "weight")',
        '@join__field(graph: PRICING, contextArguments: [{context: "c", name: "n"}])',
    )
    with pytest.raises(SupergraphError) as caught:
        read_supergraph(text, source_name="catalog")
    assert caught.value.message.startswith(
        "shippingEstimate at catalog:65: contextArguments entries need"
    )


def test_load_supergraph_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "broken.graphql"
    path.write_text(catalog_with(*SYNTAX), encoding="utf-8")
    with pytest.raises(SupergraphError, match=rf"^{path}:81:19: Syntax Error"):
        load_supergraph(path)


def test_load_supergraph_missing_file(tmp_path: Path) -> None:
    with pytest.raises(SupergraphError, match=r"^cannot read supergraph file .*missing\.graphql"):
        load_supergraph(tmp_path / "missing.graphql")


# -- errors found by checking field sets and links against the document --------------------


def test_unsupported_execution_link_names_its_line() -> None:
    with pytest.raises(SupergraphError, match=r"^catalog:8[:\s]"):
        read_supergraph(catalog_with(*EXECUTION_LINK), source_name="catalog")


def test_key_naming_an_unknown_field_is_an_error() -> None:
    with pytest.raises(SupergraphError, match=r"catalog:55"):
        read_supergraph(
            catalog_with(
                'key: "sku vendor { code }")\n  @join__type(graph: PRICING',
                'key: "sku maker { code }")\n  @join__type(graph: PRICING',
            ),
            source_name="catalog",
        )


def test_empty_key_is_an_error() -> None:
    with pytest.raises(SupergraphError, match=r"catalog:56"):
        read_supergraph(
            catalog_with(
                '@join__type(graph: PRICING, key: "id")', '@join__type(graph: PRICING, key: "")'
            ),
            source_name="catalog",
        )
