"""The name tests/auth still imports: :class:`PrivateRedis` is the one private Redis of
``tests/support/redis_server.py`` with an append-only file synced once a second. Import that
module instead; this one goes when nothing names it."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.support.redis_server import RedisServer, redis_server_binary

__all__ = ["PrivateRedis", "redis_server_binary"]


class PrivateRedis(RedisServer):
    """``RedisServer(folder, durable=True, fsync="everysec")``."""

    def __init__(self, folder: Path) -> None:
        super().__init__(folder, durable=True, fsync="everysec")

    @property
    def process(self) -> subprocess.Popen[bytes] | None:
        return None if self.child is None else self.child.process
