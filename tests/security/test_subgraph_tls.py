"""TLS between a real gateway (``tandem serve``) and a real subgraph (``python -m
subgraphs.erp``) with the init step's certificates (issue 10, item 2).

The ERP process serves HTTPS only and demands a client certificate its CA signed (mutual
TLS). A gateway trusting that CA and showing the gateway certificate gets answers; one that
shows no certificate, or that does not trust the subgraph's CA, gets nothing from it
(``SUBGRAPH_UNAVAILABLE``), and plain HTTP to the port gets no answer at all.
"""

from __future__ import annotations

import ssl
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from gateway.crypto.tls_certs import issue_ca, issue_certificate, provision_tls
from gateway.errors import TandemError
from gateway.executor.tls import subgraph_ssl_context
from tests.e2e.stack import Person, Service, service_env, subgraph_command, tandem_command
from tests.support.processes import REPO_ROOT, free_port

SUPERGRAPH = str(REPO_ROOT / "subgraphs" / "supergraph.graphql")
CLERK = Person("emp-040", "Sales Clerk", ("employee", "sales"), "dept-04")
ITEMS = "{ items(first: 2) { edges { node { sku } } } }"


def https_health(secrets: Path) -> object:
    """Readiness over HTTPS, verifying the subgraph's certificate, with the client's."""

    def ready(_: httpx.Client, base_url: str) -> bool:
        context = ssl.create_default_context(cafile=str(secrets / "tls-ca.pem"))
        context.load_cert_chain(secrets / "gateway-tls.pem", secrets / "gateway-tls.key")
        url = base_url.replace("http://", "https://") + "/health"
        return httpx.get(url, verify=context, timeout=2).status_code == 200

    return ready


@pytest.fixture(scope="module")
def erp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Service, Path]]:
    """ERP over mutual TLS, with the demo company, and the init step's TLS files."""
    folder = tmp_path_factory.mktemp("tls")
    secrets = folder / "secrets"
    secrets.mkdir(mode=0o700)
    provision_tls(secrets)
    port = free_port()
    service = Service(
        "erp-tls",
        subgraph_command("erp", port),
        service_env(
            TANDEM_DATA_DIR=str(folder),
            TANDEM_ERP_SEED="1",
            TANDEM_TLS_CERT_FILE=str(secrets / "subgraph-tls.pem"),
            TANDEM_TLS_KEY_FILE=str(secrets / "subgraph-tls.key"),
            TANDEM_TLS_CLIENT_CA_FILE=str(secrets / "tls-ca.pem"),
        ),
        port,
        folder,
        https_health(secrets),  # type: ignore[arg-type]
    )
    service.start()
    try:
        yield service, secrets
    finally:
        service.stop()


def gateway(erp: tuple[Service, Path], **tls: str) -> Service:
    """``tandem serve`` routing ERP to its https:// URL with ``tls`` settings (OA nowhere)."""
    service, secrets = erp
    folder = secrets.parent
    port = free_port()
    urls = f"erp=https://127.0.0.1:{service.port}/graphql,oa=http://127.0.0.1:9/graphql"
    return Service(
        f"gateway-{port}",
        [*tandem_command(), "serve", "--supergraph", SUPERGRAPH, "--port", str(port)],
        service_env(
            TANDEM_DATA_DIR=str(folder),  # the development key pair the subgraph trusts
            TANDEM_DEV_IDENTITY="1",
            TANDEM_SUBGRAPH_URLS=urls,
            **tls,
        ),
        port,
        folder,
        lambda client, url: client.get(f"{url}/health").status_code == 200,
    )  # fmt: skip


def items(service: Service) -> dict[str, object]:
    response = httpx.post(service.url, json={"query": ITEMS}, headers=CLERK.headers, timeout=30)
    body: dict[str, object] = response.json()
    return body


def secrets_of(erp: tuple[Service, Path]) -> dict[str, Path]:
    _, secrets = erp
    return {
        "ca": secrets / "tls-ca.pem",
        "cert": secrets / "gateway-tls.pem",
        "key": secrets / "gateway-tls.key",
    }


def test_a_gateway_trusting_the_ca_with_its_client_certificate_gets_answers(
    erp: tuple[Service, Path],
) -> None:
    files = secrets_of(erp)
    service = gateway(
        erp,
        TANDEM_SUBGRAPH_CA_FILE=str(files["ca"]),
        TANDEM_SUBGRAPH_CLIENT_CERT_FILE=str(files["cert"]),
        TANDEM_SUBGRAPH_CLIENT_KEY_FILE=str(files["key"]),
    ).start()
    try:
        body = items(service)
    finally:
        service.stop()

    assert "errors" not in body, body
    assert body["data"] == {
        "items": {"edges": [{"node": {"sku": "SKU-0001"}}, {"node": {"sku": "SKU-0002"}}]}
    }


@pytest.mark.parametrize("missing", ["client certificate", "trust in the subgraph's CA"])
def test_without_either_half_of_mutual_tls_the_subgraph_gives_nothing(
    erp: tuple[Service, Path], missing: str
) -> None:
    files = secrets_of(erp)
    settings = (
        {"TANDEM_SUBGRAPH_CA_FILE": str(files["ca"])}
        if missing == "client certificate"
        else {
            "TANDEM_SUBGRAPH_CLIENT_CERT_FILE": str(files["cert"]),
            "TANDEM_SUBGRAPH_CLIENT_KEY_FILE": str(files["key"]),
        }
    )
    service = gateway(erp, **settings).start()
    try:
        body = items(service)
    finally:
        service.stop()

    assert body["data"] is None
    errors = body["errors"]
    assert isinstance(errors, list)
    assert [e["extensions"]["code"] for e in errors] == ["SUBGRAPH_UNAVAILABLE"]
    assert "erp" in errors[0]["message"]


def test_plain_http_to_the_subgraph_gets_no_answer(erp: tuple[Service, Path]) -> None:
    service, _ = erp
    with pytest.raises(httpx.TransportError):
        httpx.post(service.url, json={"query": ITEMS}, timeout=5)


def test_a_client_certificate_of_another_ca_is_refused_by_the_handshake(
    erp: tuple[Service, Path], tmp_path: Path
) -> None:
    service, secrets = erp
    stranger = issue_certificate(*issue_ca("someone else"), "intruder", client=True)
    (tmp_path / "c.pem").write_text(stranger[0])
    (tmp_path / "c.key").write_text(stranger[1])
    context = ssl.create_default_context(cafile=str(secrets / "tls-ca.pem"))
    context.load_cert_chain(tmp_path / "c.pem", tmp_path / "c.key")

    with pytest.raises(httpx.TransportError):
        url = f"https://127.0.0.1:{service.port}/health"
        httpx.get(url, verify=context, timeout=5).raise_for_status()


# -- settings ------------------------------------------------------------------------------------


def test_a_client_certificate_needs_its_key_and_files_must_load(tmp_path: Path) -> None:
    provision_tls(tmp_path)
    ca, cert, key = (
        tmp_path / name for name in ("tls-ca.pem", "gateway-tls.pem", "gateway-tls.key")
    )

    assert subgraph_ssl_context(None, None, None) is None
    context = subgraph_ssl_context(ca, cert, key)
    assert context is not None and context.minimum_version is ssl.TLSVersion.TLSv1_2
    with pytest.raises(TandemError, match="go together"):
        subgraph_ssl_context(ca, cert, None)
    with pytest.raises(TandemError, match=r"subgraph_ca_file: cannot use .*nowhere"):
        subgraph_ssl_context(tmp_path / "nowhere", None, None)
    with pytest.raises(TandemError, match="subgraph_client_cert_file: cannot use") as caught:
        subgraph_ssl_context(None, cert, tmp_path / "subgraph-tls.key")  # another key
    assert "PRIVATE KEY" not in str(caught.value)


def test_tandem_serve_stops_with_one_line_on_a_half_client_certificate(tmp_path: Path) -> None:
    provision_tls(tmp_path)
    done = subprocess.run(
        [*tandem_command(), "serve", "--supergraph", SUPERGRAPH, "--port", str(free_port())],
        env=service_env(TANDEM_SUBGRAPH_CLIENT_CERT_FILE=str(tmp_path / "gateway-tls.pem")),
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip

    assert done.returncode == 2, done.stderr
    assert "subgraph_client_cert_file and subgraph_client_key_file go together" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_subgraph_stops_with_one_line_on_a_key_that_does_not_fit(tmp_path: Path) -> None:
    provision_tls(tmp_path)
    done = subprocess.run(
        subgraph_command("erp", free_port()),
        cwd=REPO_ROOT,
        env=service_env(
            TANDEM_DATA_DIR=str(tmp_path),
            TANDEM_TLS_CERT_FILE=str(tmp_path / "subgraph-tls.pem"),
            TANDEM_TLS_KEY_FILE=str(tmp_path / "gateway-tls.key"),
        ),
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip

    assert done.returncode == 2, done.stderr
    assert "TANDEM_TLS_CERT_FILE/TANDEM_TLS_KEY_FILE" in done.stderr
    assert "Traceback" not in done.stderr
