"""Three small in-memory Federation 2 demo subgraphs: people, procurement, inventory.

Each subpackage exposes ``schema`` (a ``strawberry.federation.Schema``) and ``app``
(an ASGI app answering GraphQL over HTTP at ``POST /graphql``); run one with
``python -m subgraphs.demo.serve NAME --port PORT``.
"""

__all__ = ["DEFAULT_PORTS", "SUBGRAPH_NAMES"]

SUBGRAPH_NAMES: tuple[str, ...] = ("people", "procurement", "inventory")
"""The demo subgraphs, by the name each has in the supergraph."""

DEFAULT_PORTS: dict[str, int] = {"people": 4101, "procurement": 4102, "inventory": 4103}
"""The port each subgraph listens on when none is given (and in supergraph.graphql)."""
