"""Build the app from the environment: the entry point uvicorn workers import."""

from __future__ import annotations

import os

from starlette.applications import Starlette

from ..pipeline import Gateway
from ..supergraph import load_supergraph
from .app import create_app

__all__ = ["app_from_environment"]


def app_from_environment() -> Starlette:
    supergraph = load_supergraph(os.environ["TANDEM_SUPERGRAPH"])
    return create_app(Gateway(supergraph))
