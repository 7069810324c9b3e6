"""Serve one demo subgraph on 127.0.0.1: ``python -m subgraphs.demo.serve people --port 4101``."""

import argparse
import importlib
from collections.abc import Sequence

import uvicorn

from subgraphs.demo import DEFAULT_PORTS, SUBGRAPH_NAMES

__all__ = ["HOST", "main"]

HOST = "127.0.0.1"


def main(argv: Sequence[str] | None = None) -> None:
    """Parse ``NAME [--port PORT]`` and serve that subgraph until interrupted."""
    parser = argparse.ArgumentParser(prog="python -m subgraphs.demo.serve", description=__doc__)
    parser.add_argument("name", choices=SUBGRAPH_NAMES, help="which subgraph to serve")
    parser.add_argument("--port", type=int, help="default: 4101, 4102, 4103 by name")
    parser.add_argument("--log-level", default="warning", help="uvicorn's log level")
    args = parser.parse_args(argv)
    module = importlib.import_module(f"subgraphs.demo.{args.name}")
    port = DEFAULT_PORTS[args.name] if args.port is None else args.port
    uvicorn.run(module.app, host=HOST, port=port, log_level=args.log_level)


if __name__ == "__main__":
    main()
