"""An OTLP/HTTP endpoint for benchmarks: takes every export (counted, not decoded), answers 200.

    python benchmarks/otlp_sink.py [PORT]   # serves on PORT (default: a free one, printed)

It stands for a collector on another host, so it should cost the benchmark's machine as
little as possible: a separate process at the lowest CPU priority (``nice`` 19: it runs when
the gateway, the subgraphs and the load generator leave a core idle), one asyncio protocol
that counts the bytes of each request body without keeping or parsing them. ``GET /stats``
answers ``{"exports": n, "bytes": m}`` (the POSTs so far).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sys

__all__ = ["Sink"]

OK = b"HTTP/1.1 200 OK\r\ncontent-type: application/x-protobuf\r\ncontent-length: 0\r\n\r\n"


class Sink(asyncio.Protocol):
    """One connection: HTTP/1.1 requests with a content-length, kept alive."""

    exports = 0
    bytes = 0

    def __init__(self) -> None:
        self.head = bytearray()
        self.remaining = -1  # body bytes still to come; -1: reading a request's head
        self.method = b""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        view = memoryview(data)
        while True:
            if self.remaining < 0:
                self.head += view
                end = self.head.find(b"\r\n\r\n")
                if end < 0:
                    return
                view = memoryview(bytes(self.head[end + 4 :]))
                self.begin(bytes(self.head[:end]))
                self.head.clear()
            taken = min(self.remaining, len(view))
            self.remaining -= taken
            if self.method == b"POST":
                Sink.bytes += taken
            view = view[taken:]
            if self.remaining == 0:
                self.answer()
            if not view:
                return

    def begin(self, head: bytes) -> None:
        line, *fields = head.split(b"\r\n")
        self.method = line.split(b" ", 1)[0]
        self.remaining = 0
        for field in fields:
            name, _, value = field.partition(b":")
            if name.strip().lower() == b"content-length":
                self.remaining = int(value)

    def answer(self) -> None:
        self.remaining = -1
        if self.method == b"GET":
            body = json.dumps({"exports": Sink.exports, "bytes": Sink.bytes}).encode()
            self.transport.write(
                b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
                + f"content-length: {len(body)}\r\n\r\n".encode()
                + body
            )
            return
        Sink.exports += 1
        self.transport.write(OK)


async def serve(port: int) -> None:
    server = await asyncio.get_running_loop().create_server(Sink, "127.0.0.1", port)
    print(server.sockets[0].getsockname()[1], flush=True)
    await server.serve_forever()


if __name__ == "__main__":
    os.nice(19)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(int(sys.argv[1]) if len(sys.argv) > 1 else 0))
