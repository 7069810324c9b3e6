"""Trusted-document manifests: the formats Apollo's, GraphQL Codegen's and Hive's tools write,
and the integrators' lists, all read into one model (``gateway/persisted/manifest.py``)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from gateway.persisted import Manifest, ManifestError, read_manifest

ME = "query Me { me { id } }"
TEAM = "query Team { team { name } }"


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def written(tmp_path: Path, content: Any, name: str = "web.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(content), encoding="utf-8")
    return path


APOLLO = {
    "format": "apollo-persisted-query-manifest",
    "version": 1,
    "operations": [
        {"id": "me-1", "body": ME, "name": "Me", "type": "query"},
        {"id": sha256(TEAM), "body": TEAM, "name": "Team", "type": "query"},
    ],
}


@pytest.mark.parametrize(
    ("content", "bodies"),
    [
        (APOLLO, {"me-1": ME, sha256(TEAM): TEAM}),
        ({"a1b2": ME, "sha256:c3d4": TEAM}, {"a1b2": ME, "sha256:c3d4": TEAM}),  # codegen, Hive
        ([ME, f"  {TEAM}\n"], {sha256(ME): ME, sha256(TEAM): f"  {TEAM}\n"}),  # integrators
    ],
    ids=["apollo", "id-map", "list"],
)
def test_each_format_gives_bodies_by_id_and_allows_their_texts(
    tmp_path: Path, content: Any, bodies: dict[str, str]
) -> None:
    manifest = read_manifest(written(tmp_path, content))
    assert manifest.name == "web"
    assert dict(manifest.bodies) == bodies
    assert manifest.allows(ME) and manifest.allows(f"\n{TEAM}  ")
    assert not manifest.allows("query Other { me { id } }")
    assert manifest.body("unknown") is None


def test_a_list_of_digests_allows_texts_it_has_no_body_for(tmp_path: Path) -> None:
    manifest = read_manifest(written(tmp_path, [sha256(ME)]))
    assert manifest.allows(ME)
    assert manifest.body(sha256(ME)) is None  # nothing to run by id: the text is not known
    assert not manifest.allows(TEAM)


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ({**APOLLO, "version": 2}, '"version": 1'),
        ({**APOLLO, "format": "relay"}, "apollo-persisted-query-manifest"),
        ({**APOLLO, "operations": {}}, '"operations" must be a list'),
        ({**APOLLO, "operations": [{"id": "x"}]}, "operations[0].body"),
        ({**APOLLO, "operations": [{"id": "", "body": ME}]}, "operations[0].id"),
        (
            {**APOLLO, "operations": [{"id": "x", "body": ME}, {"id": "x", "body": TEAM}]},
            "two different bodies",
        ),
        ({"a1": 7}, "map of ids to operation texts"),
        ({"a1": " "}, "map of ids to operation texts"),
        (["{ me }", 3], "list of operation texts"),
        ("{ me }", "JSON object or list"),
    ],
)
def test_a_malformed_manifest_is_refused_naming_the_file_and_the_problem(
    tmp_path: Path, content: Any, problem: str
) -> None:
    path = written(tmp_path, content)
    with pytest.raises(ManifestError) as caught:
        read_manifest(path)
    assert str(path) in str(caught.value) and problem in str(caught.value)


def test_a_file_that_is_not_json_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text("{ not json", encoding="utf-8")
    with pytest.raises(ManifestError, match="not JSON"):
        read_manifest(path)
    with pytest.raises(ManifestError, match="cannot read"):
        read_manifest(tmp_path / "missing.json")


def test_manifests_combine_by_their_bodies_and_digests() -> None:
    known_by_digest = frozenset({sha256(TEAM)})
    combined = Manifest.of("all", {"me-1": ME}, known_by_digest)
    assert combined.allows(ME) and combined.allows(TEAM) and len(combined) == 2
