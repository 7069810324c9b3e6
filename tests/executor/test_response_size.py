"""A subgraph answer larger than its limit fails its fetch with a coded error, unread (issue 11).

``tandem serve`` runs as a process with ``subgraph_max_response_sizes = {faulty = 1 MiB}``
from a TOML config; the fault proxy (``tests/support/fault_proxy.py``) answers for the faulty
graph with a valid GraphQL response of 64 MiB, streamed only as fast as the gateway reads it.
The client gets the people subgraph's data, null for the faulty field and
``SUBGRAPH_RESPONSE_TOO_LARGE`` naming the subgraph; the proxy reports that its answer was
abandoned long before its end, which is what keeps the gateway's memory bounded by the limit
(a gateway reading the whole answer first would let the proxy finish).
"""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from gateway.executor.transport import (
    AiohttpTransport,
    HttpTransport,
    SubgraphError,
    SubgraphRequest,
)
from gateway.http.factory import check_settings
from gateway.settings import SettingsError, load_settings
from subgraphs.demo.people.data import people_store
from tests.e2e.stack import eventually
from tests.support.fault_proxy import FaultProxy
from tests.support.fixtures import write_supergraph
from tests.support.gateway_process import running_gateway
from tests.support.integration_fixtures import FAULTY_SUPERGRAPH
from tests.support.processes import REPO_ROOT

LIMIT = 1_048_576
HUGE = 64 * LIMIT
EMPLOYEE = people_store().employees[0]
QUERY = f'{{ employee(id: "{EMPLOYEE.id}") {{ name }} announcements }}'
_tags = itertools.count()


@contextlib.contextmanager
def gateway_with_faulty_at(url: str, people_url: str, folder: Path) -> Iterator[str]:
    """``tandem serve`` with the faulty graph at ``url``, limited to :data:`LIMIT` bytes."""
    supergraph = write_supergraph(
        {"people": people_url, "faulty": url}, folder / "supergraph.graphql", FAULTY_SUPERGRAPH
    )
    config = folder / "tandem.toml"
    config.write_text(f"[subgraph_max_response_sizes]\nfaulty = {LIMIT}\n")
    with running_gateway(supergraph, "--config", str(config)) as gateway_url:
        yield gateway_url


def ask(gateway_url: str) -> dict[str, Any]:
    response = httpx.post(gateway_url, json={"query": QUERY}, timeout=60.0)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


@pytest.mark.parametrize("declared", [False, True], ids=["chunked", "content-length"])
def test_oversized_answer_is_a_coded_error_and_is_not_read_to_its_end(
    demo_subgraphs: dict[str, str], proxy: FaultProxy, tmp_path: Path, declared: bool
) -> None:
    tag = f"big{next(_tags)}"
    url = proxy.oversized(HUGE, tag, declared=declared)
    with gateway_with_faulty_at(url, demo_subgraphs["people"], tmp_path) as gateway_url:
        body = ask(gateway_url)
    assert body["data"] == {"employee": {"name": EMPLOYEE.name}, "announcements": None}
    [error] = body["errors"]
    assert error["path"] == ["announcements"]
    assert error["extensions"] == {"code": "SUBGRAPH_RESPONSE_TOO_LARGE", "serviceName": "faulty"}
    assert f"more than {LIMIT} bytes" in error["message"]
    abandoned(proxy, tag)  # the gateway hung up: most of the answer was never sent


def test_answer_under_the_limit_arrives_whole_through_the_streamed_read(
    demo_subgraphs: dict[str, str], proxy: FaultProxy, tmp_path: Path
) -> None:
    """A chunked answer just under the limit is read in pieces and delivered intact."""
    tag = f"fits{next(_tags)}"
    size = LIMIT - 1000
    with gateway_with_faulty_at(
        proxy.oversized(size, tag), demo_subgraphs["people"], tmp_path
    ) as gateway_url:
        body = ask(gateway_url)
    assert "errors" not in body, body["errors"]
    [text] = body["data"]["announcements"]
    assert text == "x" * (size - len('{"data": {"announcements": ["') - len('"]}}'))
    assert proxy.stream(tag) == {"state": "complete", "sent": size}


def abandoned(proxy: FaultProxy, tag: str) -> dict[str, Any]:
    """The proxy's report on ``tag`` once its answer is over: it must have been cut short."""
    stream: dict[str, Any] = eventually(
        lambda: (s := proxy.stream(tag))["state"] != "running" and s
    )
    assert stream["state"] == "stopped", stream
    assert stream["sent"] < HUGE // 4, stream
    return stream


@pytest.mark.anyio
@pytest.mark.parametrize("transport_class", [AiohttpTransport, HttpTransport])
@pytest.mark.parametrize("declared", [False, True], ids=["chunked", "content-length"])
async def test_each_transport_stops_reading_at_the_subgraphs_own_limit(
    proxy: FaultProxy,
    transport_class: type[AiohttpTransport] | type[HttpTransport],
    declared: bool,
) -> None:
    """The per-subgraph limit wins over a default far above the answer's size."""
    tag = f"transport{next(_tags)}"
    transport = transport_class(max_response_bytes=2 * HUGE, max_response_sizes={"faulty": LIMIT})
    request = SubgraphRequest(
        "faulty", proxy.oversized(HUGE, tag, declared=declared), "{ announcements }", None
    )
    try:
        with pytest.raises(SubgraphError) as raised:
            await transport.send(request)
    finally:
        await transport.close()
    assert raised.value.code == "SUBGRAPH_RESPONSE_TOO_LARGE"
    assert raised.value.service_name == "faulty"
    abandoned(proxy, tag)


def test_limits_for_unknown_subgraphs_or_below_a_kibibyte_are_refused_by_name(
    tmp_path: Path,
) -> None:
    supergraph = str(REPO_ROOT / "subgraphs" / "supergraph.graphql")
    with pytest.raises(SettingsError, match=r"subgraph_max_response_sizes .*unknown subgraph"):
        check_settings(
            load_settings(
                None, {"supergraph": supergraph, "subgraph_max_response_sizes": {"crm": 4096}}
            )
        )
    config = tmp_path / "tandem.toml"
    config.write_text("[subgraph_max_response_sizes]\noa = 10\n")
    with pytest.raises(SettingsError, match=r"subgraph_max_response_sizes .*\[oa\].*1024"):
        load_settings(config)
