"""Tandem: a GraphQL Federation 2 gateway."""

__all__ = ["__version__"]

__version__ = "0.1.0"
