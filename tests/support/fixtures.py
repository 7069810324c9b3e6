"""Pytest fixtures: the demo subgraphs as running processes, and a supergraph routing to them."""

import re
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest

from subgraphs.demo import SUBGRAPH_NAMES
from tests.support.processes import REPO_ROOT, running_subgraphs

__all__ = ["DEMO_SUPERGRAPH", "demo_subgraphs", "demo_supergraph", "write_supergraph"]

DEMO_SUPERGRAPH = REPO_ROOT / "subgraphs" / "demo" / "supergraph.graphql"
_JOIN_GRAPH = re.compile(r"@join__graph\((?P<args>[^)]*)\)")
_NAME = re.compile(r'\bname:\s*"(?P<name>[^"]*)"')
_URL = re.compile(r'\burl:\s*"(?P<url>[^"]*)"')


def write_supergraph(urls: Mapping[str, str], path: Path, source: Path = DEMO_SUPERGRAPH) -> Path:
    """Copy the supergraph at ``source`` to ``path``, routing each named graph to its URL.

    Every name in ``urls`` must be a ``join__graph`` of the supergraph; graphs not
    named keep their URL.
    """
    unknown = set(urls)

    def reroute(match: re.Match[str]) -> str:
        args = match.group("args")
        name = _NAME.search(args)
        if name is None or name.group("name") not in urls:
            return match.group(0)
        unknown.discard(name.group("name"))
        url = urls[name.group("name")]
        routed = _URL.sub(lambda _: f'url: "{url}"', args)  # a function: no escapes in url
        return f"@join__graph({routed})"

    text = _JOIN_GRAPH.sub(reroute, source.read_text(encoding="utf-8"))
    if unknown:
        raise KeyError(f"not a join__graph of {source}: {sorted(unknown)}")
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def demo_subgraphs() -> Iterator[dict[str, str]]:
    """The three demo subgraphs running for the session: name -> GraphQL URL."""
    with running_subgraphs(SUBGRAPH_NAMES) as urls:
        yield urls


@pytest.fixture(scope="session")
def demo_supergraph(
    demo_subgraphs: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """A copy of the demo supergraph whose join__graph URLs point at the running subgraphs."""
    path = tmp_path_factory.mktemp("supergraph") / "supergraph.graphql"
    return write_supergraph(demo_subgraphs, path)
