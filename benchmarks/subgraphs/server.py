"""One benchmark subgraph as a minimal ASGI app under uvicorn.

    python benchmarks/subgraphs/server.py accounts --port 4101

POST /graphql (any path) with a JSON body {query, variables, operationName}.  The data is
static, so responses are memoized by the exact request body bytes: once warmed up, a subgraph
answers from a dict and the gateway in front of it dominates the cost of the benchmark.
The first request with a given body is executed for real by graphql-core, so whatever query
text a gateway sends is what gets answered.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import orjson
from graphql import graphql_sync
from services import BUILDERS

MAX_MEMO = 20_000
JSON_HEADERS = [(b"content-type", b"application/json")]


def make_app(name: str) -> Any:
    schema = BUILDERS[name]()
    memo: dict[bytes, tuple[int, bytes]] = {}
    stats = {"hits": 0, "misses": 0}

    def execute(body: bytes) -> tuple[int, bytes]:
        try:
            req = orjson.loads(body)
            query = req["query"]
        except Exception as exc:  # malformed request: not memoized
            return 400, orjson.dumps({"errors": [{"message": f"bad request: {exc}"}]})
        result = graphql_sync(
            schema,
            query,
            variable_values=req.get("variables"),
            operation_name=req.get("operationName"),
        )
        if result.errors:
            for err in result.errors:
                print(f"[{name}] error: {err.message} path={err.path}", file=sys.stderr)
        return 200, orjson.dumps(result.formatted)

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            if scope["type"] == "lifespan":
                while True:
                    msg = await receive()
                    if msg["type"] == "lifespan.startup":
                        await send({"type": "lifespan.startup.complete"})
                    elif msg["type"] == "lifespan.shutdown":
                        await send({"type": "lifespan.shutdown.complete"})
                        return
            return
        if scope["method"] != "POST":
            if scope["path"] == "/stats":
                payload = orjson.dumps({**stats, "memo_entries": len(memo)})
                status = 200
            else:
                payload, status = b'{"errors":[{"message":"POST only"}]}', 405
            await send({"type": "http.response.start", "status": status, "headers": JSON_HEADERS})
            await send({"type": "http.response.body", "body": payload})
            return
        body = b""
        while True:
            msg = await receive()
            body += msg.get("body", b"")
            if not msg.get("more_body"):
                break
        hit = memo.get(body)
        if hit is None:
            stats["misses"] += 1
            hit = execute(body)
            if hit[0] == 200 and len(memo) < MAX_MEMO:
                memo[body] = hit
        else:
            stats["hits"] += 1
        status, payload = hit
        await send({"type": "http.response.start", "status": status, "headers": JSON_HEADERS})
        await send({"type": "http.response.body", "body": payload})

    return app


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("name", choices=sorted(BUILDERS))
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    args = ap.parse_args()
    import uvicorn

    uvicorn.run(
        make_app(args.name),
        host=args.host,
        port=args.port,
        loop="uvloop",
        http="httptools",
        lifespan="off",
        access_log=False,
        log_level="warning",
        backlog=4096,
    )


if __name__ == "__main__":
    main()
