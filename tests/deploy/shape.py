"""What ``deploy/`` describes, read as data: the compose file, the env files, the kustomize tree.

Docker and kustomize are not needed: the compose file is YAML, an env file is ``NAME=VALUE``
lines, and :func:`kustomize` follows a kustomization's ``resources`` and generators the way
``kubectl kustomize`` does for the features ``deploy/`` uses (no patches, no hash suffixes).
:func:`provisioned_copy` makes a copy of ``deploy/`` whose ``secrets/`` the init step has
filled, as an operator's checkout is before ``docker compose up`` or ``kubectl apply -k``.
"""

from __future__ import annotations

import base64
import shutil
import ssl
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import yaml

from tests.e2e.stack import service_env, tandem_command
from tests.support.processes import REPO_ROOT

__all__ = [
    "DEPLOY",
    "IMAGE_ROOT",
    "compose",
    "env_file",
    "init_step",
    "kustomize",
    "pod_templates",
    "provisioned_copy",
    "subgraph_ready",
]

DEPLOY = REPO_ROOT / "deploy"
IMAGE_ROOT = "/app"
"""Where deploy/Dockerfile puts the repository's files in the image."""


def compose(deploy: Path = DEPLOY) -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load((deploy / "compose.yaml").read_text())
    return document


def env_file(path: Path) -> dict[str, str]:
    """``NAME=VALUE`` lines (``#`` comments and blank lines skipped), as compose and kustomize
    read them: split at the first ``=``, nothing unquoted or expanded."""
    values: dict[str, str] = {}
    for number, line in enumerate(path.read_text().splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, separator, value = line.partition("=")
        assert separator and name.strip() == name and name, f"{path}:{number}: not NAME=VALUE"
        assert name not in values, f"{path}:{number}: {name} twice"
        values[name] = value
    return values


def init_step(deploy: Path = DEPLOY) -> list[str]:
    """The ``keys`` service's command: the init step, as the compose file runs it."""
    command: list[str] = compose(deploy)["services"]["keys"]["command"]
    return command


def provisioned_copy(target: Path) -> Path:
    """A copy of deploy/ at ``target`` after the operator's two steps: the init step writes
    ``secrets/`` (run here with the installed ``tandem``, the container's ``/secrets`` being
    the copy's ``secrets/``), and the IdP's client secret is put beside it (the example)."""
    shutil.copytree(DEPLOY, target, ignore=shutil.ignore_patterns("secrets"))
    volume = compose(target)["services"]["keys"]["volumes"][0]
    host, _, container = volume.partition(":")
    command = [target / host if part == container else part for part in init_step(target)]
    assert command[:2] == ["tandem", "keys"], command
    subprocess.run(
        [*tandem_command(), *map(str, command[1:])],
        env=service_env(),
        check=True,
        capture_output=True,
        timeout=60,
    )
    for example in (target / "secrets.example").iterdir():
        shutil.copy(example, target / "secrets" / example.name)
    return target


def subgraph_ready(secrets: Path) -> Callable[[httpx.Client, str], bool]:
    """A subgraph's readiness as the compose health check asks it: ``/health`` over HTTPS,
    its certificate verified with the init step's CA (``base_url`` is given as http://)."""
    context = ssl.create_default_context(cafile=str(secrets / "tls-ca.pem"))

    def ready(_: httpx.Client, base_url: str) -> bool:
        url = base_url.replace("http://", "https://", 1) + "/health"
        return httpx.get(url, verify=context, timeout=2).status_code == 200

    return ready


# -- kustomize -------------------------------------------------------------------------------


def kustomize(root: Path) -> list[dict[str, Any]]:
    """The objects ``kubectl kustomize root`` would print (names without hash suffixes)."""
    kustomization = yaml.safe_load((root / "kustomization.yaml").read_text())
    objects: list[dict[str, Any]] = []
    for entry in kustomization.get("resources", []):
        path = root / entry
        assert path.exists(), f"{root}/kustomization.yaml: resource {entry} does not exist"
        if path.is_dir():
            objects.extend(kustomize(path))
        else:
            objects.extend(doc for doc in yaml.safe_load_all(path.read_text()) if doc)
    for kind, key in (("ConfigMap", "configMapGenerator"), ("Secret", "secretGenerator")):
        for generator in kustomization.get(key, []):
            objects.append(_generated(root, kind, generator))
    namespace = kustomization.get("namespace")
    for item in objects:
        if namespace and item["kind"] != "Namespace":
            item.setdefault("metadata", {})["namespace"] = namespace
        for label in kustomization.get("labels", []):
            item["metadata"].setdefault("labels", {}).update(label["pairs"])
    return objects


def _generated(root: Path, kind: str, generator: dict[str, Any]) -> dict[str, Any]:
    data: dict[str, str] = {}
    for entry in generator.get("envs", []):
        path = root / entry
        assert path.is_file(), f"{root}/kustomization.yaml: {entry} does not exist"
        data.update(env_file(path))
    for entry in generator.get("files", []):
        path = root / entry
        assert path.is_file(), f"{root}/kustomization.yaml: {entry} does not exist"
        data[path.name] = path.read_text()
    body: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": kind,
        "metadata": {"name": generator["name"]},
    }
    if kind == "Secret":
        body["type"] = "Opaque"
        body["data"] = {k: base64.b64encode(v.encode()).decode() for k, v in data.items()}
    else:
        body["data"] = data
    return body


def pod_templates(objects: list[dict[str, Any]]) -> Iterator[tuple[str, dict[str, Any]]]:
    """(workload name, pod template) of every Deployment and StatefulSet."""
    for item in objects:
        if item["kind"] in ("Deployment", "StatefulSet"):
            yield item["metadata"]["name"], item["spec"]["template"]
