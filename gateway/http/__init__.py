"""The HTTP face of the gateway: GraphQL over HTTP, health and readiness."""

from .app import create_app

__all__ = ["create_app"]
