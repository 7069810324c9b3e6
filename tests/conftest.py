"""Registers the shared fixtures for every test under tests/."""

pytest_plugins = [
    "tests.support.fixtures",
    "tests.support.integration_fixtures",
    "tests.support.oidc.fixture",
    "tests.support.dot_provider.fixture",
]
