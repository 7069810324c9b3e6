"""A private ``redis-server`` on a free port, for tests that kill and restart Redis.

Never the machine's shared server: each instance has its own port and data folder. A restart
keeps both, so a server with an append-only file loads it again.
"""

from __future__ import annotations

import shutil
import socket
from pathlib import Path

from tests.support.processes import free_port
from tests.support.spawn import Child, spawn

__all__ = ["RedisServer", "closed_port_url", "redis_server_binary"]


def redis_server_binary() -> str | None:
    """The path of ``redis-server``, or None when it is not installed."""
    return shutil.which("redis-server")


class RedisServer:
    """``redis-server`` in ``folder``. ``durable``: an append-only file, synced on every write
    (``fsync="always"``: nothing acknowledged is lost by a kill) or once a second (Redis's
    default ``everysec``: a kill may lose the last second); else no persistence at all (a
    restart loses everything)."""

    def __init__(
        self,
        folder: Path,
        *,
        durable: bool,
        fsync: str = "always",
        options: tuple[str, ...] = (),
    ) -> None:
        self.folder = folder
        self.durable = durable
        self.fsync = fsync
        self.options = options
        self.port = free_port()
        self.child: Child | None = None
        folder.mkdir(parents=True, exist_ok=True)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, timeout: float = 15.0) -> None:
        """Start the server and wait until it answers PING (after loading its AOF)."""
        binary = redis_server_binary()
        assert binary is not None, "redis-server is not installed"
        persistence = (
            ["--appendonly", "yes", "--appendfsync", self.fsync]
            if self.durable
            else ["--appendonly", "no"]
        )
        command = [
            binary,
            "--port", str(self.port),
            "--bind", "127.0.0.1",
            "--dir", str(self.folder),
            "--save", "",
            *persistence,
            *self.options,
        ]  # fmt: skip
        self.child = spawn("redis-server", command, log_path=self.folder / "redis.log")
        self.child.wait_ready(self._answers, timeout, interval=0.02)

    def kill(self) -> None:
        """SIGKILL the server (no shutdown save, no goodbye) and wait for it to exit."""
        if self.child is not None:
            self.child.kill()
        self.child = None

    def _answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(64).startswith(b"+PONG")
        except OSError:
            return False


def closed_port_url() -> str:
    """A Redis URL where nothing listens (a port that was free a moment ago)."""
    return f"redis://127.0.0.1:{free_port()}/0"
