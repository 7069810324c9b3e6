"""Relation subjects are policy configuration: ``relations.csv`` read, checked, and refused
at start-up with a code, the file and the line (``gateway/authz/relations.py``)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from gateway.authz.enforcer import PolicyEnforcer
from gateway.authz.relations import CODES, Relation, Relations, RelationsError
from gateway.authz.validation import PolicyRule, RuleValidator
from gateway.http.factory import build_app
from gateway.settings import Settings, SettingsError
from gateway.supergraph import Supergraph, load_supergraph
from tandem_shared.tokens import Principal
from tests.support.processes import REPO_ROOT

POLICIES = REPO_ROOT / "policies"
SUPERGRAPH = REPO_ROOT / "subgraphs" / "supergraph.graphql"
HEADER = "# relation, caller attribute, type, attribute path\n"


@pytest.fixture(scope="module")
def supergraph() -> Supergraph:
    return load_supergraph(SUPERGRAPH)


def _write(tmp_path: Path, rows: str) -> Path:
    path = tmp_path / "relations.csv"
    path.write_text(HEADER + rows, encoding="utf-8")
    return path


def test_the_default_policy_declares_the_relations_the_gateway_always_had(
    supergraph: Supergraph,
) -> None:
    relations = Relations.read(POLICIES / "relations.csv")
    relations.check(supergraph.api_schema)
    assert dict(relations) == {
        "self": Relation("self", "subject", {"Employee": ("id",)}),
        "department": Relation(
            "department",
            "department",
            {
                "Employee": ("department", "id"),
                "Department": ("id",),
                "Budget": ("department", "id"),
                "DepartmentBudgetUse": ("department", "id"),
            },
        ),
        "approver": Relation(
            "approver", "subject", {"ApprovalRequest": ("currentStep", "approver", "id")}
        ),
    }


@pytest.mark.parametrize(
    ("rows", "code", "line", "words"),
    [
        ("self, subject, Employee\n", "RELATION_ROW", 2, "relation, caller attribute"),
        ("Self, subject, Employee, id\n", "RELATION_NAME", 2, "'Self'"),
        ("self, subject, Employee, manager..id\n", "RELATION_NAME", 2, "no field path"),
        ("self, manager, Employee, id\n", "RELATION_CALLER_ATTRIBUTE", 2, "'manager'"),
        (
            "owner, subject, Document, owner.id\nowner, department, Budget, department.id\n",
            "RELATION_DUPLICATE",
            3,
            "compares with subject",
        ),
        (
            "self, subject, Employee, id\n\nself, subject, Employee, email\n",
            "RELATION_DUPLICATE",
            4,
            "line 2 already",
        ),
    ],
)
def test_a_malformed_row_is_refused_with_its_code_and_line(
    tmp_path: Path, rows: str, code: str, line: int, words: str
) -> None:
    with pytest.raises(RelationsError) as raised:
        Relations.read(_write(tmp_path, rows))
    assert raised.value.code == code and raised.value.line == line
    assert str(raised.value).startswith(f"relations.csv, line {line}: ")
    assert words in str(raised.value) and str(raised.value).endswith(f"[{code}]")


@pytest.mark.parametrize(
    ("row", "code", "words"),
    [
        ("reviewer, subject, Review, reviewer.id", "RELATION_UNKNOWN_TYPE", "Review is no"),
        ("reviewer, subject, DateTime, id", "RELATION_UNKNOWN_TYPE", "DateTime is no"),
        ("owner, subject, Document, author.id", "RELATION_UNKNOWN_FIELD", "no field 'author'"),
        ("owner, subject, Document, owner.key", "RELATION_UNKNOWN_FIELD", "Employee has no"),
        ("shared, subject, Document, sharedWith.id", "RELATION_PATH", "is a list"),
        ("owner, subject, Document, owner", "RELATION_PATH", "not a scalar"),
        ("titled, subject, Document, title.id", "RELATION_PATH", "cannot go on"),
    ],
)
def test_a_path_the_schema_lacks_is_refused_naming_the_line(
    tmp_path: Path, supergraph: Supergraph, row: str, code: str, words: str
) -> None:
    relations = Relations.read(_write(tmp_path, f"self, subject, Employee, id\n{row}\n"))
    with pytest.raises(RelationsError) as raised:
        relations.check(supergraph.api_schema)
    assert raised.value.code == code and raised.value.line == 3, raised.value
    assert words in str(raised.value)
    assert code in CODES


def test_no_file_declares_no_relation(tmp_path: Path) -> None:
    assert dict(Relations.read(tmp_path / "relations.csv")) == {}


def test_the_enforcer_grants_only_the_relations_its_policy_declares(tmp_path: Path) -> None:
    folder = tmp_path / "policy"
    folder.mkdir()
    shutil.copy(POLICIES / "model.conf", folder / "model.conf")
    (folder / "policy.csv").write_text(
        "p, employee@owner, *, Document.folder, read, allow\n"
        "p, employee@self, *, Employee.salary, read, allow\n",
        encoding="utf-8",
    )
    _write(folder, "owner, subject, Document, owner.id\n")
    enforcer = PolicyEnforcer(folder / "model.conf", folder / "policy.csv")
    me = Principal("emp-031", "Hui Ma", ("employee",), "dept-06")

    grants = enforcer.conditional_grants(me, "Document.folder", "read")
    assert [(relation.name, relation.paths, rule) for relation, rule in grants] == [
        ("owner", {"Document": ("owner", "id")}, "employee@owner, *, Document.folder, read, allow")
    ]
    assert enforcer.conditional_grants(me, "Employee.salary", "read") == []  # self: undeclared
    validator = RuleValidator(relations=enforcer.relations)
    assert validator.known_subject("employee@owner")
    assert not validator.known_subject("employee@self")
    validator.check(PolicyRule("employee@owner", "*", "Document.tags", "read"))


def _policy_folder(tmp_path: Path, relations: str) -> Path:
    folder = tmp_path / "policies"
    shutil.copytree(POLICIES, folder, ignore=shutil.ignore_patterns("tests", "migrations"))
    (folder / "relations.csv").write_text(relations, encoding="utf-8")
    return folder


def test_a_gateway_with_a_wrong_relation_does_not_start(tmp_path: Path) -> None:
    folder = _policy_folder(
        tmp_path,
        (POLICIES / "relations.csv").read_text(encoding="utf-8")
        + "reviewer, subject, Document, reviewer.id\n",
    )
    settings = Settings(supergraph=str(SUPERGRAPH), policy_dir=folder)
    with pytest.raises(SettingsError) as raised:
        build_app(settings)
    message = str(raised.value)
    line = len((POLICIES / "relations.csv").read_text(encoding="utf-8").splitlines()) + 1
    assert (
        f"relations.csv, line {line}: relation reviewer: Document has no field 'reviewer'"
        in message
    )
    assert "[RELATION_UNKNOWN_FIELD]" in message and "TANDEM_POLICY_DIR" in message


def test_config_check_names_a_wrong_relation_as_start_up_would(tmp_path: Path) -> None:
    folder = _policy_folder(tmp_path, "approver, subject, ApprovalRequest, currentStep.approver\n")
    config = tmp_path / "tandem.toml"
    config.write_text(f'supergraph = "{SUPERGRAPH}"\npolicy_dir = "{folder}"\n')
    env = {k: v for k, v in os.environ.items() if not k.startswith("TANDEM_")}
    result = subprocess.run(
        [sys.executable, "-m", "gateway.cli", "config", "check", "--config", str(config)],
        env=env,
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 2, result.stdout
    assert "relations.csv, line 1: relation approver: ApprovalStep.approver is Employee" in (
        result.stderr
    )
    assert "[RELATION_PATH]" in result.stderr and "Traceback" not in result.stderr
