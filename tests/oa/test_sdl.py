"""The OA subgraph's SDL: DOMAIN.md's public names, Federation 2 entity keys, composition,
and the whole SDL as a golden file (``tests/oa/schema.graphql``; after a deliberate change
regenerate it with ``python -m tests.oa.test_sdl`` and review the diff)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from subgraphs.oa.schema import schema
from tests.support.processes import REPO_ROOT

COMPOSER = REPO_ROOT / "tools" / "compose"
GOLDEN = Path(__file__).with_name("schema.graphql")

# DOMAIN.md, "OA subgraph": type -> fields named there
TYPES = {
    "Employee": ["id", "employeeNo", "name", "email", "title", "department", "manager", "phone",
                 "idCardNumber"],
    "Department": ["id", "code", "name", "parent", "manager", "members"],
    "Message": ["sender", "recipients", "subject", "body", "sentAt", "readAt", "folder"],
    "Announcement": ["title", "body", "audience", "publishedAt"],
    "Document": ["title", "owner", "folder", "tags", "versions", "sharedWith"],
    "DocumentVersion": ["number", "author", "size", "sha256", "createdAt"],
    "ApprovalFlow": ["kind", "name", "steps"],
    "ApprovalRequest": ["id", "kind", "title", "applicant", "payload", "status", "currentStep",
                        "steps"],
    "ApprovalStep": ["decision", "comment", "decidedAt", "approver"],
    "MeetingRoom": ["name", "capacity", "equipment"],
    "Meeting": ["title", "organizer", "attendees", "room", "start", "end", "minutes"],
}  # fmt: skip
QUERIES = ["me", "employee", "employees", "departments", "messages", "announcements",
           "documents", "approvalInbox", "myApprovalRequests", "roomAvailability",
           "myMeetings"]  # fmt: skip
MUTATIONS = ["sendMessage", "markRead", "archiveMessage", "publishAnnouncement", "createDocument",
             "addDocumentVersion", "shareDocument", "defineApprovalFlow", "submitPurchaseRequest",
             "submitApprovalRequest", "approve", "reject", "withdraw", "transfer", "bookMeeting",
             "recordMinutes"]  # fmt: skip
ENTITIES = ["Employee", "Department", "ApprovalRequest"]


def service_sdl() -> str:
    result = schema.execute_sync("{ _service { sdl } }")
    assert result.errors is None and result.data is not None
    sdl: str = result.data["_service"]["sdl"]
    return sdl


def fields_of(sdl: str, type_name: str) -> set[str]:
    match = re.search(rf"^type {type_name}\b[^{{]*\{{(?P<body>.*?)^\}}", sdl, re.M | re.S)
    assert match is not None, f"no type {type_name}"
    body = re.sub(r'"""[\s\S]*?"""', "", match["body"])
    return set(re.findall(r"^\s+(\w+)\s*[(:]", body, re.M))


def test_the_sdl_links_federation_2_9() -> None:
    assert '@link(url: "https://specs.apollo.dev/federation/v2.9"' in service_sdl()


@pytest.mark.parametrize("type_name", sorted(TYPES))
def test_every_public_type_has_its_public_fields(type_name: str) -> None:
    missing = set(TYPES[type_name]) - fields_of(service_sdl(), type_name)

    assert not missing


def test_every_public_operation_is_a_root_field() -> None:
    sdl = service_sdl()

    assert not set(QUERIES) - fields_of(sdl, "Query")
    assert not set(MUTATIONS) - fields_of(sdl, "Mutation")


def test_entities_are_keyed_by_id() -> None:
    sdl = service_sdl()

    for entity in ENTITIES:
        assert f'type {entity} @key(fields: "id")' in sdl
    assert re.search(r"^union _Entity = (.*)$", sdl, re.M)[1].split(" | ") == sorted(ENTITIES)  # type: ignore[index]


def test_the_sdl_composes(tmp_path: Path) -> None:
    if shutil.which("node") is None or not (COMPOSER / "node_modules").is_dir():
        pytest.skip("the composer is not installed (npm install --prefix tools/compose)")
    (tmp_path / "oa.graphql").write_text(service_sdl(), encoding="utf-8")

    composed = subprocess.run(
        ["node", str(COMPOSER / "compose.mjs"), "-o", str(tmp_path / "supergraph.graphql"),
         f"oa={tmp_path / 'oa.graphql'}", "--url", "oa=http://127.0.0.1:4201/graphql"],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip

    assert composed.returncode == 0, composed.stderr
    assert 'join__graph(name: "oa"' in (tmp_path / "supergraph.graphql").read_text()


def test_the_sdl_is_the_reviewed_one() -> None:
    assert service_sdl() == GOLDEN.read_text(encoding="utf-8"), "python -m tests.oa.test_sdl"


if __name__ == "__main__":
    GOLDEN.write_text(service_sdl(), encoding="utf-8")
    print(f"wrote {GOLDEN}")
