"""The three gateways under comparison, each a process of its own on a free loopback port.

Tandem runs as ``tandem serve``; the references are Apollo Gateway (the benchmark's peer in
``benchmarks/peers/apollo``) and Hive Gateway (``tools/difftest/hive``). Node packages are
installed on demand with ``npm install`` (their ``node_modules`` are git-ignored).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

__all__ = ["GATEWAYS", "Gateway", "GatewayError", "start_gateway"]

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
APOLLO_DIR = ROOT / "benchmarks" / "peers" / "apollo"
HIVE_DIR = HERE / "hive"
GATEWAYS = ("tandem", "apollo", "hive")


class GatewayError(Exception):
    """A gateway could not be installed or started."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Gateway:
    """A started gateway: POST operations to ``url``; ``stop()`` ends its process group."""

    name: str
    url: str
    process: subprocess.Popen[bytes]
    log_path: Path
    client: httpx.Client

    def ask(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        """The GraphQL response body (an ``{"transport": ...}`` marker if none came back)."""
        try:
            response = self.client.post(self.url, json={"query": query, "variables": variables})
        except httpx.HTTPError as error:
            return {"transport": type(error).__name__}
        try:
            body = response.json()
        except ValueError:
            return {"transport": f"HTTP {response.status_code}, not JSON"}
        return body if isinstance(body, dict) else {"transport": "not an object"}

    def stop(self) -> None:
        self.client.close()
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


def _npm_install(directory: Path, node: str) -> None:
    if (directory / "node_modules").is_dir():
        return
    npm = shutil.which("npm")
    if npm is None:
        raise GatewayError("npm is not on PATH (needed for the reference gateways)")
    env = {**os.environ, "PATH": f"{Path(node).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    result = subprocess.run(
        [npm, "install", "--no-audit", "--no-fund"], cwd=directory, env=env, capture_output=True
    )
    if result.returncode != 0:
        raise GatewayError(f"npm install in {directory} failed: {result.stderr.decode()[-2000:]}")


def _command(name: str, supergraph: Path, port: int, node: str, python: str) -> Sequence[str]:
    if name == "tandem":
        return (python, "-m", "gateway.cli", "serve", "--supergraph", str(supergraph),
                "--port", str(port))  # fmt: skip
    if name == "apollo":
        _npm_install(APOLLO_DIR, node)
        return (node, str(APOLLO_DIR / "gateway.mjs"))
    if name == "hive":
        _npm_install(HIVE_DIR, node)
        binary = HIVE_DIR / "node_modules" / "@graphql-hive" / "gateway" / "dist" / "bin.js"
        return (node, str(binary), "supergraph", str(supergraph), "--port", str(port),
                "--host", "127.0.0.1")  # fmt: skip
    raise GatewayError(f"unknown gateway {name!r}")


def start_gateway(
    name: str, supergraph: Path, log_dir: Path, *, node: str, python: str, timeout: float = 60
) -> Gateway:
    """Start gateway ``name`` on ``supergraph`` and wait until ``{ __typename }`` answers."""
    port = free_port()
    command = _command(name, supergraph, port, node, python)
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / f"{name}.log"
    env = {
        **os.environ,
        "SUPERGRAPH": str(supergraph),
        "PORT": str(port),
        "HOST": "127.0.0.1",
        "PYTHONPATH": str(ROOT),
        "NODE_ENV": "production",
        # the reference gateways limit no operation cost: Tandem's demand control stays off
        "TANDEM_DEMAND_MODE": "off",
    }
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=ROOT,
            start_new_session=True,
        )  # fmt: skip
    gateway = Gateway(name, f"http://127.0.0.1:{port}/graphql", process, log_path,
                      httpx.Client(timeout=30))  # fmt: skip
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise GatewayError(f"{name} exited with {process.returncode}; see {log_path}")
        if gateway.ask("{ __typename }").get("data") == {"__typename": "Query"}:
            return gateway
        time.sleep(0.2)
    gateway.stop()
    raise GatewayError(f"{name} did not answer within {timeout:.0f} s; see {log_path}")
