"""Helpers shared by the tests: subgraph processes and pytest fixtures."""
