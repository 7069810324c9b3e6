"""The Kubernetes manifests: valid against the Kubernetes schemas (kubernetes-validate, offline),
every file a kustomization names exists, every reference between objects resolves, every
workload has probes, resources and a disruption budget, and only the gateway reaches the
subgraphs."""

from __future__ import annotations

import base64
import warnings
from typing import Any

import pytest

from gateway.crypto.provision import FILES
from tests.deploy.shape import DEPLOY, env_file, kustomize, pod_templates, provisioned_copy

KUBERNETES_VERSION = "1.31.0"
SERVICES = {"gateway", "oa", "erp", "postgres", "redis"}


@pytest.fixture(scope="module")
def objects(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    return kustomize(provisioned_copy(tmp_path_factory.mktemp("deploy") / "deploy"))


def named(objects: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    return {item["metadata"]["name"]: item for item in objects if item["kind"] == kind}


def test_every_object_validates_against_the_kubernetes_schemas(
    objects: list[dict[str, Any]],
) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # the validator's own imports
        import kubernetes_validate

    failures = []
    for item in objects:
        try:
            kubernetes_validate.validate(item, KUBERNETES_VERSION, strict=True)
        except kubernetes_validate.ValidationError as error:
            path = ".".join(map(str, error.path))
            failures.append(f"{item['kind']}/{item['metadata']['name']}: {path}: {error.message}")
    assert not failures, "\n".join(failures)
    kinds = {item["kind"] for item in objects}
    assert {"Deployment", "StatefulSet", "Service", "HorizontalPodAutoscaler",
            "PodDisruptionBudget", "NetworkPolicy", "ConfigMap", "Secret"} <= kinds  # fmt: skip


def test_the_schema_check_catches_a_wrong_manifest(objects: list[dict[str, Any]]) -> None:
    import kubernetes_validate

    deployment = dict(named(objects, "Deployment")["gateway"])
    wrong = {**deployment, "spec": {**deployment["spec"], "replicas": "two"}}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(wrong, KUBERNETES_VERSION, strict=True)


def test_the_kustomizations_name_only_files_that_exist_or_that_the_init_step_writes() -> None:
    # in the repository: everything but secrets/, which the init step and the operator fill
    import yaml

    root = yaml.safe_load((DEPLOY / "kustomization.yaml").read_text())
    secrets = set()
    for generator in root["configMapGenerator"] + root["secretGenerator"]:
        for entry in generator.get("envs", []) + generator.get("files", []):
            if entry.startswith("secrets/"):
                secrets.add(entry.removeprefix("secrets/"))
            else:
                assert (DEPLOY / entry).is_file(), entry
    examples = {path.name for path in (DEPLOY / "secrets.example").iterdir()}
    # the TLS CA's key stays with the init step: it issues certificates, no workload reads it
    assert secrets == (set(FILES) - {"tls-ca.key"}) | examples
    base = yaml.safe_load((DEPLOY / "kubernetes" / "kustomization.yaml").read_text())
    for entry in base["resources"]:
        assert (DEPLOY / "kubernetes" / entry).is_file(), entry
    listed = set(base["resources"])
    assert listed == {p.name for p in (DEPLOY / "kubernetes").glob("*.yaml")} - {
        "kustomization.yaml"
    }, "a manifest in deploy/kubernetes/ that the kustomization does not deploy"


def test_every_service_runs_with_probes_resources_and_a_disruption_budget(
    objects: list[dict[str, Any]],
) -> None:
    templates = dict(pod_templates(objects))
    assert set(templates) == SERVICES
    budgets = named(objects, "PodDisruptionBudget").values()
    for name, template in templates.items():
        labels = template["metadata"]["labels"]
        for container in template["spec"]["containers"]:
            assert "readinessProbe" in container and "livenessProbe" in container, name
            assert {"requests", "limits"} <= set(container["resources"]), name
        for container in template["spec"].get("initContainers", []):
            assert {"requests", "limits"} <= set(container["resources"]), name
        matching = [b for b in budgets if _selects(b["spec"]["selector"], labels)]
        assert len(matching) == 1, f"{name}: {len(matching)} PodDisruptionBudgets"
        services = [s for s in named(objects, "Service").values() if _matches(s, labels)]
        assert services, f"{name}: no Service"
    gateway = named(objects, "Deployment")["gateway"]
    assert gateway["spec"]["replicas"] >= 2
    hpa = named(objects, "HorizontalPodAutoscaler")["gateway"]
    assert hpa["spec"]["scaleTargetRef"]["name"] == "gateway"
    assert hpa["spec"]["minReplicas"] >= 2


def test_every_reference_to_a_config_map_or_secret_resolves(objects: list[dict[str, Any]]) -> None:
    config_maps, secrets = named(objects, "ConfigMap"), named(objects, "Secret")
    for name, template in pod_templates(objects):
        spec = template["spec"]
        for container in spec["containers"] + spec.get("initContainers", []):
            for source in container.get("envFrom", []):
                if "configMapRef" in source:
                    assert source["configMapRef"]["name"] in config_maps, name
                if "secretRef" in source:
                    assert source["secretRef"]["name"] in secrets, name
            for variable in container.get("env", []):
                reference = variable.get("valueFrom", {}).get("secretKeyRef")
                if reference:
                    assert reference["key"] in secrets[reference["name"]]["data"], name
        for volume in spec.get("volumes", []):
            if "secret" in volume:
                assert volume["secret"]["secretName"] in secrets, name
            if "configMap" in volume:
                assert volume["configMap"]["name"] in config_maps, name


def test_key_files_the_settings_name_are_in_the_secret_mounted_there(
    objects: list[dict[str, Any]],
) -> None:
    config_maps, secrets = named(objects, "ConfigMap"), named(objects, "Secret")
    for name, template in pod_templates(objects):
        spec = template["spec"]
        mounts = {v["name"]: v for v in spec.get("volumes", [])}
        for container in spec["containers"] + spec.get("initContainers", []):
            settings: dict[str, str] = {}
            for source in container.get("envFrom", []):
                if "configMapRef" in source:
                    settings.update(config_maps[source["configMapRef"]["name"]]["data"])
            files = {}
            for mount in container.get("volumeMounts", []):
                volume = mounts.get(mount["name"], {})  # else a volumeClaimTemplate
                if "secret" in volume:
                    for key in secrets[volume["secret"]["secretName"]]["data"]:
                        files[f"{mount['mountPath']}/{key}"] = key
            for variable, value in settings.items():
                if variable.endswith("_FILE"):
                    assert value in files, f"{name}/{container['name']}: {variable}={value}"


def test_the_subgraph_secret_holds_no_private_key_but_its_tls_one(
    objects: list[dict[str, Any]],
) -> None:
    secret = named(objects, "Secret")["tandem-subgraph-keys"]["data"]
    assert "PRIVATE KEY" in base64.b64decode(secret["subgraph-tls.key"]).decode()
    others = [value for key, value in secret.items() if key != "subgraph-tls.key"]
    text = "".join(base64.b64decode(value).decode() for value in others)
    assert "PRIVATE KEY" not in text  # neither the gateway's signing key nor the CA's
    assert '"wrapped": null' in text and '"wrapped": "' not in text


def test_only_the_gateway_reaches_the_subgraphs(objects: list[dict[str, Any]]) -> None:
    templates = {name: t["metadata"]["labels"] for name, t in pod_templates(objects)}
    policies = list(named(objects, "NetworkPolicy").values())

    def reaches(source: str, target: str) -> bool:
        applying = [p for p in policies if _selects(p["spec"]["podSelector"], templates[target])]
        assert applying, f"no NetworkPolicy selects {target}: all traffic allowed"
        for policy in applying:
            for rule in policy["spec"].get("ingress", []):
                peers = rule.get("from")
                if peers is None or any(
                    _selects(peer["podSelector"], templates[source])
                    for peer in peers
                    if "podSelector" in peer
                ):
                    return True
        return False

    allowed = {(s, t) for s in SERVICES for t in SERVICES if s != t and reaches(s, t)}
    assert {s for s, t in allowed if t in ("oa", "erp")} == {"gateway"}
    assert {s for s, t in allowed if t in ("postgres", "redis")} == {"gateway", "oa", "erp"}
    assert {s for s, t in allowed if t == "gateway"} == SERVICES - {"gateway"}  # open ingress


def test_the_generated_config_maps_are_the_env_files(objects: list[dict[str, Any]]) -> None:
    config_maps = named(objects, "ConfigMap")
    for name in ("gateway", "oa", "erp"):
        assert config_maps[f"tandem-{name}"]["data"] == env_file(DEPLOY / "config" / f"{name}.env")


def _selects(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    for key, value in selector.get("matchLabels", {}).items():
        if labels.get(key) != value:
            return False
    for expression in selector.get("matchExpressions", []):
        present = labels.get(expression["key"])
        if expression["operator"] == "In" and present not in expression["values"]:
            return False
        if expression["operator"] not in ("In",):
            raise AssertionError(f"operator {expression['operator']} not understood here")
    return True


def _matches(service: dict[str, Any], labels: dict[str, str]) -> bool:
    return all(labels.get(k) == v for k, v in service["spec"]["selector"].items())
