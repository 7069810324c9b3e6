"""Fault tests of the processes across OA and ERP: real processes, PostgreSQL and Redis
(fixtures shared with the end-to-end tests, see ``tests/e2e/fixtures.py``)."""

from tests.e2e.fixtures import (  # noqa: F401 (fixtures and a hook, registered by importing)
    databases,
    pytest_runtest_makereport,
    redis_prefix,
    redis_url,
)
