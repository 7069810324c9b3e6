"""End-to-end tests: OA, ERP and ``tandem serve`` as real processes (see ``fixtures.py``)."""

from tests.e2e.fixtures import (  # noqa: F401 (fixtures and a hook, registered by importing)
    databases,
    pytest_runtest_makereport,
    redis_prefix,
    redis_url,
    stack,
)
from tests.e2e.sqlite_stack import any_stack, sqlite_stack  # noqa: F401 (fixtures)
