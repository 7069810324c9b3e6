"""The trace exporter in a process of its own: the SDK's batch span processor and exporter
(OTLP or console), fed the gateway's finished traces over a socket.

Why a process: building the SDK's spans, encoding them as OTLP protobuf and sending them cost
the gateway about 1 ms of CPU per storefront request when done in its own process (the batch
processor's thread holding the GIL against the event loop), against 0.4 ms for the same work
alone: tracing every request took a sixth of the gateway's throughput. The gateway now only
pickles each finished trace's plain values (``spans.py``) and sends a batch of them, without
waiting, over a Unix ``SOCK_SEQPACKET`` socket pair (each send one whole message, or refused
at once when the socket is full); this process turns them into the SDK's spans and hands them
to :class:`BatchSpanProcessor` with the exporter the ``tracing`` setting names, configured by
the standard ``OTEL_*`` variables it inherits.

Nothing is waited for on the request path: a batch the socket cannot take (the exporter far
behind) is dropped and counted, as the SDK's own queue drops spans when full. The process is
started with the first trace (so that a ``--workers`` master starts none), started again when
it died (at most every :data:`RESTART_SECONDS`), and ends when the gateway closes its end of
the socket, after exporting what it holds; it ignores SIGINT and SIGTERM, which a terminal or
a supervisor sends to the whole group, so that the gateway's last spans are not lost.

It runs :data:`NICENESS` steps below the gateway's priority: exporting is background work.
Where a core has time to spare it exports at once; where the gateway and it want the same core,
the scheduler serves requests first and the exporter catches up in the gaps, rather than taking
turns with the gateway (its 0.5 ms per storefront request then costs the gateway's throughput
little: ``benchmarks/telemetry.py``). Beside a worker that keeps a core busy its share is
about a tenth of that core, more than tracing every request asks of it (about 7 %); where it
gets less, the socket fills and spans are dropped, never requests.

Started by the gateway only (``_START``), with the socket's descriptor and the exporter's name.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import pickle
import select
import socket
import subprocess
import sys
import time
from typing import TYPE_CHECKING

from .spans import TraceRecord, readable_spans

if TYPE_CHECKING:
    from opentelemetry.sdk.trace.export import SpanExporter

__all__ = ["ExportProcess"]

logger = logging.getLogger("tandem.telemetry")

BATCH_TRACES = 64  # traces per message
BATCH_SECONDS = 0.2  # the longest a finished trace waits in the gateway
SOCKET_BUFFER = 4 << 20  # what the socket holds while the exporter catches up (the kernel caps it)
MAX_MESSAGE = 8 << 20  # the largest message read
RESTART_SECONDS = 5.0
NICENESS = 10  # the process's priority below the gateway's: serving comes first
CLOSE_SECONDS = 15.0  # the exporter's last export at the end (the SDK's timeout: 10 s)
FLUSHED = b"flushed"
# the process's first statements: its priority lowered and a stop signal to the group (a
# terminal's Ctrl-C, a supervisor's SIGTERM) ignored from the start, not only once the
# imports are done
_START = (
    f"import os, signal, sys; os.nice({NICENESS}); "
    "signal.signal(signal.SIGINT, signal.SIG_IGN); "
    "signal.signal(signal.SIGTERM, signal.SIG_IGN); "
    "from gateway.telemetry.export_process import main; "
    "sys.exit(main(sys.argv))"
)


class ExportProcess:
    """The gateway's end: batches of finished traces sent to the export process."""

    def __init__(self, exporter: str) -> None:
        self.exporter = exporter
        self.pending: list[TraceRecord] = []
        self.dropped = 0  # spans dropped since the last warning
        self.sock: socket.socket | None = None
        self.process: subprocess.Popen[bytes] | None = None
        self.started_at = -RESTART_SECONDS
        self.timer: asyncio.TimerHandle | None = None
        self.warned_at = -60.0

    def ship(self, trace: TraceRecord) -> None:
        """Queue ``trace``; sent with the next batch (at most :data:`BATCH_SECONDS` later)."""
        self.pending.append(trace)
        if len(self.pending) >= BATCH_TRACES:
            self.send()
        elif self.timer is None:
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:  # no event loop (a script, a test): send at once
                self.send()
                return
            self.timer = loop.call_later(BATCH_SECONDS, self.send)

    def send(self) -> None:
        """Send what is queued, in one message (or more when it is too big for one)."""
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        traces, self.pending = self.pending, []
        if traces:
            self._send(traces)

    def flush(self, timeout: float = CLOSE_SECONDS) -> bool:
        """Send what is queued and wait until the exporter has exported everything it was
        sent (benchmarks, tests, shutdown); False when it did not say so in ``timeout``."""
        self.send()
        sock = self.sock
        if sock is None:
            return not self.dropped
        deadline = time.monotonic() + timeout
        try:
            while True:  # the socket may be full: the flush waits its turn (never a request)
                try:
                    sock.send(pickle.dumps(("flush", None)))
                    break
                except BlockingIOError:
                    select.select([], [sock], [], max(0.0, deadline - time.monotonic()))
                    if time.monotonic() >= deadline:
                        return False
            ready, _, _ = select.select([sock], [], [], max(0.0, deadline - time.monotonic()))
            return bool(ready) and sock.recv(len(FLUSHED)) == FLUSHED
        except OSError:
            return False

    def close(self) -> None:
        """Send what is queued, close the socket (the process exports the rest and ends) and
        wait for the process a while."""
        self.send()
        if self.sock is not None:
            self.sock.close()
            self.sock = None
        if self.process is not None:
            try:
                self.process.wait(CLOSE_SECONDS)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            self.process = None
        self._warn_dropped(force=True)

    def _send(self, traces: list[TraceRecord]) -> None:
        sock = self._socket()
        if sock is None:
            self._drop(traces)
            return
        message = pickle.dumps(("spans", traces), pickle.HIGHEST_PROTOCOL)
        try:
            sock.send(message)
        except BlockingIOError:  # the exporter is behind: the socket is full
            self._drop(traces)
        except OSError as error:
            if error.errno == errno.EMSGSIZE and len(traces) > 1:  # in halves
                half = len(traces) // 2
                self._send(traces[:half])
                self._send(traces[half:])
                return
            if error.errno == errno.EMSGSIZE:
                self._drop(traces)
                return
            logger.warning("the trace export process has gone (%s): starting another", error)
            self._stop()
            self._drop(traces)

    def _socket(self) -> socket.socket | None:
        """The socket to a running export process, starting one if there is none (not more
        often than every :data:`RESTART_SECONDS`)."""
        if self.sock is not None and self.process is not None and self.process.poll() is None:
            return self.sock
        if self.sock is not None:
            logger.warning("the trace export process has ended: starting another")
            self._stop()
        if time.monotonic() - self.started_at < RESTART_SECONDS:
            return None
        self.started_at = time.monotonic()
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        with contextlib.suppress(OSError):
            ours.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, SOCKET_BUFFER)
        try:
            self.process = subprocess.Popen(
                [sys.executable, "-c", _START, str(theirs.fileno()), self.exporter],
                pass_fds=[theirs.fileno()],
            )
        except OSError as error:
            logger.error("the trace export process could not start: %s", error)
            ours.close()
            return None
        finally:
            theirs.close()
        ours.setblocking(False)
        self.sock = ours
        return ours

    def _stop(self) -> None:
        if self.sock is not None:
            self.sock.close()
            self.sock = None
        if self.process is not None:
            with contextlib.suppress(OSError):
                self.process.kill()
            self.process.wait()
            self.process = None

    def _drop(self, traces: list[TraceRecord]) -> None:
        self.dropped += sum(len(trace[-1]) for trace in traces)  # a trace's spans come last
        self._warn_dropped()

    def _warn_dropped(self, *, force: bool = False) -> None:
        """At most one warning a minute about spans dropped."""
        now = time.monotonic()
        if self.dropped and (force or now - self.warned_at >= 60):
            logger.warning("trace export behind or unavailable: %d spans dropped", self.dropped)
            self.dropped = 0
            self.warned_at = now


def _exporter(name: str) -> SpanExporter:
    if name == "otlp":
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        return OTLPSpanExporter()
    from opentelemetry.sdk.trace.export import ConsoleSpanExporter

    return ConsoleSpanExporter()


def main(argv: list[str]) -> int:
    """The export process: read batches until the gateway closes the socket."""
    from opentelemetry.sdk.trace.export import BatchSpanProcessor
    from opentelemetry.sdk.util.instrumentation import InstrumentationScope

    from .tracing import SCOPE_NAME, gateway_resource

    logging.basicConfig(level=logging.WARNING, format="%(name)s: %(message)s")
    sock = socket.socket(fileno=int(argv[1]))
    processor = BatchSpanProcessor(_exporter(argv[2]))
    resource = gateway_resource()
    scope = InstrumentationScope(SCOPE_NAME)
    buffer = bytearray(MAX_MESSAGE)  # read into, message after message: not allocated anew
    while True:
        try:
            size = sock.recv_into(buffer)
        except OSError:
            break
        if not size:
            break  # the gateway closed its end
        # from the gateway's end of our socket pair
        kind, traces = pickle.loads(memoryview(buffer)[:size])
        if kind == "flush":
            processor.force_flush()
            with contextlib.suppress(OSError):
                sock.send(FLUSHED)
            continue
        for trace in traces:
            for span in readable_spans(trace, resource, scope):
                processor.on_end(span)
    processor.shutdown()  # type: ignore[no-untyped-call]
    return 0
