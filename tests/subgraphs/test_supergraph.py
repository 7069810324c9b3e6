"""The committed demo supergraph, and rerouting it to running subgraphs."""

import re
from pathlib import Path

import pytest

from tests.support.fixtures import DEMO_SUPERGRAPH, write_supergraph

JOIN_GRAPH = re.compile(r'@join__graph\(name: "(?P<name>[^"]+)", url: "(?P<url>[^"]+)"\)')


def join_graphs(path: Path) -> dict[str, str]:
    return {m["name"]: m["url"] for m in JOIN_GRAPH.finditer(path.read_text(encoding="utf-8"))}


def test_demo_supergraph_joins_the_three_subgraphs_on_default_ports() -> None:
    assert join_graphs(DEMO_SUPERGRAPH) == {
        "inventory": "http://127.0.0.1:4103/graphql",
        "people": "http://127.0.0.1:4101/graphql",
        "procurement": "http://127.0.0.1:4102/graphql",
    }


def test_write_supergraph_reroutes_named_graphs_only(tmp_path: Path) -> None:
    path = write_supergraph({"people": "http://127.0.0.1:9/graphql"}, tmp_path / "s.graphql")
    assert join_graphs(path) == {
        "inventory": "http://127.0.0.1:4103/graphql",
        "people": "http://127.0.0.1:9/graphql",
        "procurement": "http://127.0.0.1:4102/graphql",
    }
    rest = DEMO_SUPERGRAPH.read_text(encoding="utf-8").replace("4101", "9")
    assert path.read_text(encoding="utf-8") == rest


def test_write_supergraph_rejects_unknown_graphs(tmp_path: Path) -> None:
    with pytest.raises(KeyError, match="billing"):
        write_supergraph({"billing": "http://127.0.0.1:9/graphql"}, tmp_path / "s.graphql")


def test_demo_supergraph_fixture_routes_to_running_subgraphs(
    demo_supergraph: Path, demo_subgraphs: dict[str, str]
) -> None:
    assert join_graphs(demo_supergraph) == demo_subgraphs
