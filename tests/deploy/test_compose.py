"""The compose file, read as YAML (no docker here): every file, secret, build context and
service it names exists; every URL in the env files names a service on the port it listens
on; the long-running services have health checks, PostgreSQL a volume; no secret is inline;
and the compose file and the Kubernetes manifests start the same commands."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from gateway.crypto.provision import FILES
from tests.deploy.shape import DEPLOY, compose, env_file, pod_templates, provisioned_copy

LONG_RUNNING = {"postgres", "redis", "oa", "erp", "gateway"}
SECRET_WORDS = re.compile(r"SECRET|PASSWORD|PRIVATE|MASTER_KEY|BLIND_INDEX_KEY|TOKEN", re.I)


@pytest.fixture(scope="module")
def provisioned(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return provisioned_copy(tmp_path_factory.mktemp("compose") / "deploy")


@pytest.fixture(scope="module")
def services() -> dict[str, Any]:
    found: dict[str, Any] = compose()["services"]
    return found


def test_the_shape_is_whole(services: dict[str, Any]) -> None:
    assert LONG_RUNNING | {"keys"} == set(services)
    assert services["gateway"]["deploy"]["replicas"] == 2
    assert services["keys"]["profiles"] == ["init"]  # run once, by hand, not by `up`


def test_env_files_and_secret_files_exist_once_the_init_step_ran(
    provisioned: Path, services: dict[str, Any]
) -> None:
    document = compose(provisioned)
    for name, service in services.items():
        for entry in service.get("env_file", []):
            assert (provisioned / entry).is_file(), f"{name}: env_file {entry}"
            if not entry.startswith("./secrets/"):
                assert (DEPLOY / entry).is_file(), f"{name}: {entry} is not committed"
        for secret in service.get("secrets", []):
            assert secret in document["secrets"], f"{name}: secret {secret} is not defined"
    written = set(FILES) | {p.name for p in (DEPLOY / "secrets.example").iterdir()}
    for name, secret in document["secrets"].items():
        assert Path(secret["file"]) == Path("secrets") / name, name
        assert name in written, f"secret {name}: neither the init step nor an example writes it"
        assert (provisioned / secret["file"]).is_file()


def test_the_build_context_holds_what_the_dockerfile_copies(services: dict[str, Any]) -> None:
    images = {s.get("image") for s in services.values()}
    assert "tandem:latest" in images
    for name, service in services.items():
        if service.get("image") != "tandem:latest":
            continue
        build = service["build"]
        context = (DEPLOY / build["context"]).resolve()
        dockerfile = context / build["dockerfile"]
        assert dockerfile.is_file(), name
        for line in dockerfile.read_text().splitlines():
            if line.startswith("COPY "):
                for source in line.split()[1:-1]:
                    assert (context / source).exists(), f"Dockerfile: COPY {source}"


def test_the_image_holds_every_package_the_project_installs() -> None:
    """``pip install .`` in the image finds only what was copied: each package pyproject
    includes must be."""
    include = tomllib.loads((DEPLOY.parent / "pyproject.toml").read_text())["tool"][
        "setuptools"
    ]["packages"]["find"]["include"]
    copied = {
        source.rstrip("/")
        for line in (DEPLOY / "Dockerfile").read_text().splitlines()
        if line.startswith("COPY ")
        for source in line.split()[1:-1]
    }
    for pattern in include:
        assert pattern.rstrip("*") in copied, f"deploy/Dockerfile does not COPY {pattern}"


def test_depends_on_and_urls_name_services_on_their_ports(services: dict[str, Any]) -> None:
    listening = {"postgres": 5432, "redis": 6379}
    for name in ("oa", "erp"):
        command = services[name]["command"]
        listening[name] = int(command[command.index("--port") + 1])
    gateway_env = env_file(DEPLOY / "config" / "gateway.env")
    listening["gateway"] = int(gateway_env["TANDEM_PORT"])
    for name, service in services.items():
        for dependency in service.get("depends_on", {}):
            assert dependency in services, f"{name} depends on unknown {dependency}"
    urls = []
    for path in (DEPLOY / "config").glob("*.env"):
        for variable, value in env_file(path).items():
            for url in re.findall(r"[a-z]+://[^,\s]+", value):
                urls.append((path.name, variable, url))
    assert len(urls) >= 8
    for source, variable, url in urls:
        parts = urlsplit(url)
        if parts.hostname and parts.hostname.endswith("example.com"):
            continue  # the identity provider and the public address: the operator's own
        assert parts.hostname in listening, f"{source}: {variable}: {url}"
        assert parts.port == listening[parts.hostname], f"{source}: {variable}: {url}"


def test_health_checks_and_a_database_volume(services: dict[str, Any]) -> None:
    for name in LONG_RUNNING:
        assert services[name].get("healthcheck", {}).get("test"), f"{name}: no health check"
    document = compose()
    volumes = services["postgres"]["volumes"]
    named = [v.split(":")[0] for v in volumes if not v.startswith((".", "/"))]
    assert named and set(named) <= set(document["volumes"]), volumes
    assert any(v.endswith(":/var/lib/postgresql/data") for v in volumes)


def test_no_secret_is_written_inline() -> None:
    document = compose()
    for name, service in document["services"].items():
        for variable in service.get("environment", {}):
            assert not SECRET_WORDS.search(variable), f"{name}: {variable} inline"
    for path in (DEPLOY / "config").glob("*.env"):
        for variable, value in env_file(path).items():
            if SECRET_WORDS.search(variable):
                assert variable.endswith("_FILE") and value.startswith("/run/secrets/"), (
                    f"{path.name}: {variable}"
                )
            parts = urlsplit(value) if "://" in value else None
            assert parts is None or parts.password is None, f"{path.name}: {variable}"
    text = "\n".join(
        p.read_text() for p in (*DEPLOY.rglob("*.yaml"), *(DEPLOY / "config").glob("*"))
    )
    assert "BEGIN" not in text and "PRIVATE KEY" not in text


def test_compose_and_kubernetes_start_the_same_commands(services: dict[str, Any]) -> None:
    from tests.deploy.shape import kustomize

    objects = kustomize(DEPLOY / "kubernetes")
    templates = dict(pod_templates(objects))
    for name in ("gateway", "oa", "erp"):
        container = templates[name]["spec"]["containers"][0]
        assert container["args"] == services[name]["command"], name
        checks = templates[name]["spec"]["initContainers"][0]["args"]
        assert checks[:3] == ["tandem", "keys", "check"], name


def test_env_files_are_read_the_same_way_by_both() -> None:
    root = yaml.safe_load((DEPLOY / "kustomization.yaml").read_text())
    kustomize_envs = {e for g in root["configMapGenerator"] for e in g.get("envs", [])}
    compose_envs = {
        entry.removeprefix("./")
        for service in compose()["services"].values()
        for entry in service.get("env_file", [])
        if entry.startswith("./config/")
    }
    assert kustomize_envs == compose_envs == {"config/gateway.env", "config/oa.env",
                                              "config/erp.env"}  # fmt: skip
