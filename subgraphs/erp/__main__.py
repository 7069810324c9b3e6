"""``python -m subgraphs.erp [--port N]`` serves the ERP subgraph; ``... seed`` loads demo data."""

from __future__ import annotations

import sys

from subgraphs.common.app import serve
from subgraphs.erp import NAME
from subgraphs.erp.app import build_app

DEFAULT_PORT = 4202


def main(argv: list[str]) -> None:
    """Serve, or with ``seed`` as the first argument migrate and load the demo data, then exit."""
    if argv[:1] == ["seed"]:
        from subgraphs.erp.seed import main as seed

        seed(argv[1:])
        return
    serve(build_app, NAME, default_port=DEFAULT_PORT, argv=argv)


if __name__ == "__main__":
    main(sys.argv[1:])
