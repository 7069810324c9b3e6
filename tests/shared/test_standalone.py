"""What a third-party Python subgraph needs works without the OA and ERP code (issue 12).

Each check runs in a fresh interpreter, so what it imports is all that is loaded: a subgraph
of its own guarded by the gateway-token check (``subgraphs.common.identity``), answering a
request that carries a token the gateway would mint and refusing one without, and sealing a
field value into an envelope (``tandem_shared``). Neither may load a module of OA, ERP, the
demo subgraphs or the gateway; ``tandem_shared`` alone loads no web or GraphQL framework.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.support.processes import REPO_ROOT

THIRD_PARTY_SUBGRAPH = r'''
import asyncio, json, os, sys
from pathlib import Path

import httpx
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route

from subgraphs.common.identity import require_gateway_identity
from tandem_shared.crypto import Sealer, parse_envelope
from tandem_shared.crypto_keys import LocalKEK, PublicKeyring, create_keyring
from tandem_shared.keys import generate_private_key, public_key_of
from tandem_shared.tokens import Principal, mint_subgraph_token

private = generate_private_key()


async def reviews(request):
    await request.body()
    return JSONResponse({"data": {"ok": True}})


app = require_gateway_identity(
    Starlette(routes=[Route("/graphql", reviews, methods=["POST"])]),
    "reviews",
    public_key_of(private),
)


async def ask(token):
    body = b'{"query": "{ ok }"}'
    headers = {"content-type": "application/json"}
    if token:
        headers["authorization"] = "Bearer " + token(body)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://reviews") as client:
        return (await client.post("/graphql", content=body, headers=headers)).status_code


me = Principal("emp-031", "Hui Ma", ("employee",), "dept-06")
statuses = [
    asyncio.run(ask(lambda body: mint_subgraph_token(private, "reviews", me, body=body))),
    asyncio.run(ask(None)),
    asyncio.run(ask(lambda body: mint_subgraph_token(private, "other", me, body=body))),
]
keyring = Path(sys.argv[1]) / "keyring.json"
create_keyring(keyring, LocalKEK(os.urandom(32)))
envelope = Sealer(PublicKeyring(keyring)).seal("Review", "r-1", "body", "a secret review")
print(json.dumps({
    "statuses": statuses,
    "envelope": parse_envelope(envelope) is not None and "a secret review" not in envelope,
    "loaded": sorted(sys.modules),
}))
'''

SHARED_ALONE = r"""
import json, pkgutil, importlib, sys
import tandem_shared
for module in pkgutil.iter_modules(tandem_shared.__path__):
    importlib.import_module(f"tandem_shared.{module.name}")
print(json.dumps(sorted(sys.modules)))
"""


def _run(code: str, *args: str) -> object:
    done = subprocess.run(
        [sys.executable, "-c", code, *args],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def _of(loaded: list[str], *packages: str) -> list[str]:
    return [m for m in loaded if any(m == p or m.startswith(p + ".") for p in packages)]


def test_a_subgraph_of_its_own_verifies_the_token_and_seals_without_oa_or_erp(
    tmp_path: Path,
) -> None:
    found = _run(THIRD_PARTY_SUBGRAPH, str(tmp_path))
    assert isinstance(found, dict)
    assert found["statuses"] == [200, 401, 401]  # the gateway's token; none; another audience
    assert found["envelope"] is True
    loaded = found["loaded"]
    assert "subgraphs.common.identity" in loaded and "tandem_shared.crypto" in loaded
    assert _of(loaded, "subgraphs.oa", "subgraphs.erp", "subgraphs.demo", "gateway") == []


def test_the_shared_package_loads_no_framework_gateway_or_subgraph() -> None:
    loaded = _run(SHARED_ALONE)
    assert isinstance(loaded, list)
    assert "tandem_shared.tokens" in loaded and "tandem_shared.crypto_orm" in loaded
    frameworks = ("strawberry", "starlette", "graphql", "uvicorn", "casbin")
    assert _of(loaded, *frameworks, "gateway", "subgraphs") == []
