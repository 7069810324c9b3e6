"""A running stack for subscription tests: the ``clock`` and ``labels`` subgraphs
(``tests/support/ticking_subgraphs.py``) and ``tandem serve`` in front of them, with a small
policy (viewers may not read ``Tick.secret``; auditors may) and development identities."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tandem_shared.keys import load_or_create_dev_key, public_key_of
from tests.support.gateway_process import running_gateway
from tests.support.processes import free_port
from tests.support.spawn import REPO_ROOT, http_answers, running

SUPERGRAPH = REPO_ROOT / "tests/support/ticking_supergraph.graphql"
PER_CONNECTION = 3
POLICY = """\
p, viewer, *, Subscription.ticks, read, allow
p, viewer, *, Query.*, read, allow
p, viewer, *, Tick.*, read, allow
p, viewer, *, Tick.secret, read, deny
p, auditor, *, Subscription.ticks, read, allow
p, auditor, *, Tick.*, read, allow
"""
ROLES = "viewer, sees ticks but not their secret\nauditor, sees everything of a tick\n"


@dataclass(frozen=True)
class Stack:
    gateway: str  # http://127.0.0.1:PORT/graphql
    clock: str
    labels: str
    key_file: Path  # the gateway's signing key, which the clock subgraph trusts

    @property
    def websocket(self) -> str:
        return "ws://" + self.gateway.removeprefix("http://")

    def release(self, name: str) -> None:
        """Let the ``ticks(waitFor: name)`` subscriptions go on past their first tick."""
        answer = httpx.post(
            self.clock, json={"query": f'mutation {{ release(name: "{name}") }}'}, timeout=10
        )
        assert answer.json() == {"data": {"release": True}}


@contextlib.contextmanager
def _subgraph(name: str, key_file: Path | None = None) -> Iterator[str]:
    urls: list[str] = []

    def command() -> tuple[list[str], object]:
        urls.append(f"http://127.0.0.1:{free_port()}/graphql")
        port = urls[-1].split(":")[2].split("/")[0]
        line = [sys.executable, "-m", "tests.support.ticking_subgraphs", name, "--port", port]
        if key_file is not None:
            line += ["--gateway-key-file", str(key_file)]
        return line, http_answers(urls[-1], json={"query": "{ _service { sdl } }"})

    with running(name, command, attempts=3):  # type: ignore[arg-type]
        yield urls[-1]


@pytest.fixture(scope="package")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    folder = tmp_path_factory.mktemp("subscriptions")
    key = folder / "gateway-key.pem"
    public = folder / "gateway-public.pem"
    public.write_text(public_key_of(load_or_create_dev_key(key)))
    policy = folder / "policy"
    policy.mkdir()
    (policy / "model.conf").write_text((REPO_ROOT / "policies/model.conf").read_text())
    (policy / "policy.csv").write_text(POLICY)
    (policy / "roles.csv").write_text(ROLES)
    with contextlib.ExitStack() as stack:
        clock = stack.enter_context(_subgraph("clock", public))
        label = stack.enter_context(_subgraph("labels"))
        env = {
            "TANDEM_SUBGRAPH_URLS": f"clock={clock},labels={label}",
            "TANDEM_GATEWAY_KEY_FILE": str(key),
            "TANDEM_DEV_IDENTITY": "1",
            "TANDEM_POLICY_DIR": str(policy),
            "TANDEM_SUBSCRIPTIONS_PER_CONNECTION": str(PER_CONNECTION),
            "TANDEM_DATA_DIR": str(folder / "data"),
        }
        gateway = stack.enter_context(running_gateway(SUPERGRAPH, env=env))
        yield Stack(gateway, clock, label, key)
