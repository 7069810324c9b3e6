"""The roles a policy may name are the policy folder's ``roles.csv`` (not the gateway's code)."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.authz.validation import (
    InvalidRule,
    PolicyRule,
    RuleValidator,
    known_subjects,
    read_roles,
)
from gateway.demo import DEMO_ROLES
from tests.support.processes import REPO_ROOT


def test_the_default_policy_declares_the_demo_companys_roles() -> None:
    assert read_roles(REPO_ROOT / "policies" / "roles.csv") == DEMO_ROLES
    assert DEMO_ROLES[:2] == ("employee", "manager") and "security_admin" in DEMO_ROLES


def test_a_folder_names_its_own_roles(tmp_path: Path) -> None:
    (tmp_path / "roles.csv").write_text("# reviewers of our own subgraph\nreviewer, reads\n")
    validator = RuleValidator(known_subjects(tmp_path))
    assert validator.check(PolicyRule("reviewer", "*", "Review.*", "read")).subject == "reviewer"
    assert validator.check(PolicyRule("anonymous", "*", "Query.reviews", "read"))
    with pytest.raises(InvalidRule, match="unknown subject or role 'employee'"):
        validator.check(PolicyRule("employee", "*", "Review.*", "read"))


def test_no_roles_file_names_no_roles(tmp_path: Path) -> None:
    assert read_roles(tmp_path / "roles.csv") == ()
    assert known_subjects(tmp_path) is None  # any subject: nothing to check against


@pytest.mark.parametrize("row", ["reviewer@self, no", "two words, no", "reviewer\nreviewer"])
def test_a_malformed_roles_file_is_refused_naming_the_line(tmp_path: Path, row: str) -> None:
    (tmp_path / "roles.csv").write_text(f"# roles\n{row}\n")
    with pytest.raises(ValueError, match=r"roles\.csv, line [23]: "):
        read_roles(tmp_path / "roles.csv")
