"""``tandem serve``'s gateway with one route that fails as a bug would, for the catch-all tests.

Built exactly as ``tandem serve`` builds it (:func:`gateway.http.factory.build_app` from the
settings, served by uvicorn with :func:`gateway.http.server.server_options`), plus
``GET /_fail``, whose handler raises an exception holding :data:`SECRET` (what a client must
never see) and ``GET /_fail-late``, which raises after its response has started. Run with
``python -m tests.support.failing_gateway --config FILE --port P``.
"""

from __future__ import annotations

import argparse
import logging
from collections.abc import AsyncIterator, Sequence

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

__all__ = ["SECRET", "main"]

SECRET = "db password is hunter2"
"""The failing handler's exception text: in the log's stack, never in a response."""


async def _fail(request: Request) -> Response:
    raise RuntimeError(f"an unexpected bug ({SECRET})")


async def _fail_late(request: Request) -> Response:
    async def body() -> AsyncIterator[bytes]:
        yield b'{"data": '
        raise RuntimeError(f"a bug mid-response ({SECRET})")

    return StreamingResponse(body(), media_type="application/json")


def main(argv: Sequence[str] | None = None) -> None:
    import uvicorn

    from gateway.http.factory import build_app
    from gateway.http.server import server_options
    from gateway.settings import load_settings

    parser = argparse.ArgumentParser(prog="python -m tests.support.failing_gateway")
    parser.add_argument("--config", required=True)
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args(argv)
    settings = load_settings(args.config, {"port": args.port})
    logging.basicConfig(level=settings.log_level.upper())
    routes = [
        Route("/_fail", _fail, methods=["GET"]),
        Route("/_fail-late", _fail_late, methods=["GET"]),
    ]
    app = build_app(settings, extra_routes=routes)
    uvicorn.run(
        app,
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level,
        access_log=False,
        **server_options(settings),
    )


if __name__ == "__main__":
    main()
