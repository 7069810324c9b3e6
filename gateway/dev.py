"""``tandem dev``: the whole stack on one machine, for trying Tandem out.

Starts the demo subgraphs as child processes on the ports the committed demo supergraph
routes to, waits until each answers, then serves the gateway in this process. Stopping the
gateway (Ctrl-C) stops the subgraphs too.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from .errors import TandemError

__all__ = ["DEMO_SUPERGRAPH", "run_dev"]

DEMO_SUPERGRAPH = (
    Path(__file__).resolve().parent.parent / "subgraphs" / "demo" / "supergraph.graphql"
)
_EXAMPLE = """{
  purchaseOrders(first: 3) {
    orderNo status total { amount currency }
    requestedBy { name department { name } }
    lines { quantity item { sku name stock } }
  }
}"""


@contextmanager
def _demo_subgraphs(timeout: float = 30.0) -> Iterator[None]:
    from subgraphs.demo import DEFAULT_PORTS, SUBGRAPH_NAMES

    processes: list[subprocess.Popen[bytes]] = []
    try:
        for name in SUBGRAPH_NAMES:
            processes.append(
                subprocess.Popen(
                    [sys.executable, "-m", "subgraphs.demo.serve", name],
                    cwd=DEMO_SUPERGRAPH.parents[2],
                )
            )
        deadline = time.monotonic() + timeout
        for name in SUBGRAPH_NAMES:
            url = f"http://127.0.0.1:{DEFAULT_PORTS[name]}/graphql"
            while True:
                try:
                    response = httpx.post(url, json={"query": "{ _service { sdl } }"}, timeout=2)
                    if response.status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if any(p.poll() is not None for p in processes) or time.monotonic() > deadline:
                    raise TandemError(
                        f"the demo subgraph {name} did not start (is port "
                        f"{DEFAULT_PORTS[name]} free?)"
                    )
                time.sleep(0.2)
        yield
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()


def run_dev(host: str = "127.0.0.1", port: int = 4000) -> int:
    import uvicorn

    from .auth import DevIdentity, SubgraphTokens, load_gateway_key
    from .http import create_app
    from .pipeline import Gateway
    from .supergraph import load_supergraph

    supergraph = load_supergraph(DEMO_SUPERGRAPH)
    tokens = SubgraphTokens(load_gateway_key())
    with _demo_subgraphs():
        app = create_app(Gateway(supergraph, tokens=tokens), dev_identity=DevIdentity())
        print(
            f"\nTandem is running.\n"
            f"  GraphQL endpoint: http://{host}:{port}/graphql\n"
            f"  Subgraphs: {', '.join(g.name + ' ' + g.url for g in supergraph.graphs.values())}\n"
            f"  Try:\n    curl -s http://{host}:{port}/graphql -H 'content-type: application/json' "
            f'\\\n      -d \'{{"query": "{{ departments {{ name members {{ name purchaseOrders '
            f"{{ orderNo }} }} }} }}\"}}'\n"
            f"  Example query:\n{_EXAMPLE}\n",
            flush=True,
        )
        uvicorn.run(app, host=host, port=port, log_level="warning")
    return 0
