"""A private ``redis-server`` on a free port, for tests that kill and restart Redis.

Never the machine's shared server: each instance has its own port and data folder.
"""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

__all__ = ["RedisServer", "closed_port_url", "redis_server_binary"]


def redis_server_binary() -> str | None:
    """The path of ``redis-server``, or None when it is not installed."""
    return shutil.which("redis-server")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class RedisServer:
    """``redis-server`` in ``folder``; ``durable``: AOF with fsync on every write (nothing
    acknowledged is lost by a kill), else no persistence at all (a restart loses everything).
    """

    def __init__(self, folder: Path, *, durable: bool, options: tuple[str, ...] = ()) -> None:
        self.folder = folder
        self.durable = durable
        self.options = options
        self.port = _free_port()
        self._process: subprocess.Popen[bytes] | None = None
        folder.mkdir(parents=True, exist_ok=True)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, timeout: float = 10.0) -> None:
        """Start the server and wait until it accepts commands (after loading its AOF)."""
        binary = redis_server_binary()
        assert binary is not None, "redis-server is not installed"
        persistence = (
            ["--appendonly", "yes", "--appendfsync", "always"]
            if self.durable
            else [
                "--appendonly",
                "no",
            ]
        )
        command = [
            binary,
            "--port", str(self.port),
            "--bind", "127.0.0.1",
            "--dir", str(self.folder),
            "--save", "",
            *persistence,
            "--logfile", str(self.folder / "redis.log"),
            *self.options,
        ]  # fmt: skip
        self._process = subprocess.Popen(command, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout
        while not self._answers():
            if self._process.poll() is not None:
                raise RuntimeError(
                    f"redis-server exited: {(self.folder / 'redis.log').read_text()}"
                )
            if time.monotonic() > deadline:
                raise TimeoutError("redis-server did not start")
            time.sleep(0.02)

    def kill(self) -> None:
        """SIGKILL the server (no shutdown save, no goodbye) and wait for it to exit."""
        if self._process is not None and self._process.poll() is None:
            self._process.send_signal(signal.SIGKILL)
            self._process.wait(timeout=10)
        self._process = None

    def _answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(64).startswith(b"+PONG")
        except OSError:
            return False


def closed_port_url() -> str:
    """A Redis URL where nothing listens (a port that was free a moment ago)."""
    return f"redis://127.0.0.1:{_free_port()}/0"
