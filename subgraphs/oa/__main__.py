"""``python -m subgraphs.oa [--host H] [--port N]`` serves the OA subgraph."""

from __future__ import annotations

from subgraphs.common.app import serve
from subgraphs.oa import DEFAULT_PORT, NAME
from subgraphs.oa.app import build_app

if __name__ == "__main__":
    serve(build_app, NAME, default_port=DEFAULT_PORT)
