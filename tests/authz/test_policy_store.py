"""The policy store on SQLite and on the real PostgreSQL: seeding, validated changes, versions,
the audit log, rollback, and writers that race."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from casbin_async_sqlalchemy_adapter import Adapter  # type: ignore[import-untyped]

from gateway.authz.enforcer import PolicyEnforcer, read_policy_file
from gateway.authz.store import (
    CasbinRule,
    PolicyConflict,
    PolicyNotFound,
    PolicyStore,
)
from gateway.authz.validation import InvalidRule, PolicyRule, RuleValidator, known_subjects
from tandem_shared.tokens import Principal
from tests.authz.policy_support import MODEL, POLICY, scratch_postgres

pytestmark = pytest.mark.anyio

SALARY_DENY = PolicyRule("employee", "*", "Employee.salary", "read", "deny")
HR_SALARY = PolicyRule("hr", "dept-02", "Employee.salary", "read")
EMPLOYEE = Principal(subject="emp-001", name="E", roles=("employee",), department="dept-01")


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'policy.sqlite'}"
        return
    with scratch_postgres() as url:
        yield url


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[PolicyStore]:
    opened = PolicyStore(database_url, model_path=MODEL, seed_path=POLICY)
    await opened.open()
    try:
        yield opened
    finally:
        await opened.close()


async def test_an_empty_store_is_seeded_from_the_policy_file_once(
    store: PolicyStore, database_url: str
) -> None:
    snapshot = await store.load()
    assert snapshot.version == 1
    assert snapshot.lines == read_policy_file(MODEL, POLICY)
    [version], more = await store.versions(10)
    assert (version.version, version.author, version.action, more) == (
        1,
        "system:seed",
        "seed",
        False,
    )
    assert version.comment == "seeded from policy.csv"
    [entry], _ = await store.audit(10)
    assert (entry.action, entry.version, entry.base_version, entry.before) == ("seed", 1, None, ())
    assert entry.after == snapshot.lines

    again = PolicyStore(database_url, model_path=MODEL, seed_path=POLICY)
    try:
        assert (await again.open()).version == 1  # not seeded twice
    finally:
        await again.close()


async def test_each_change_is_a_version_with_its_audit_row(store: PolicyStore) -> None:
    seeded = (await store.load()).lines

    added = await store.add(SALARY_DENY, author="alice", comment="no salaries", expected_version=1)
    assert (added.version.version, added.added, added.removed) == (2, (SALARY_DENY.line,), ())
    assert (await store.load()).lines == (*seeded, SALARY_DENY.line)

    removed = await store.remove(SALARY_DENY, author="bob", expected_version=2)
    assert (removed.version.version, removed.removed) == (3, (SALARY_DENY.line,))

    replaced = await store.replace([HR_SALARY, SALARY_DENY], author="carol", comment="minimal")
    assert replaced.version.rule_count == 2
    assert (await store.load()).lines == (HR_SALARY.line, SALARY_DENY.line)

    rolled = await store.rollback(2, author="dave")
    assert (rolled.version.version, rolled.version.action) == (5, "rollback")
    assert rolled.version.comment == "rollback to version 2"
    assert (await store.load()).lines == (*seeded, SALARY_DENY.line)
    assert await store.lines_of(3) == seeded

    entries, more = await store.audit(10)
    assert not more
    assert [(e.version, e.base_version, e.actor, e.action) for e in entries] == [
        (5, 4, "dave", "rollback"),
        (4, 3, "carol", "replace"),
        (3, 2, "bob", "remove"),
        (2, 1, "alice", "add"),
        (1, None, "system:seed", "seed"),
    ]
    by_version = {e.version: e for e in entries}
    assert (by_version[2].before, by_version[2].after) == ((), (SALARY_DENY.line,))
    assert by_version[2].comment == "no salaries"
    assert (by_version[3].before, by_version[3].after) == ((SALARY_DENY.line,), ())
    assert set(by_version[4].before) == set(seeded)  # what the replace removed...
    assert by_version[4].after == (HR_SALARY.line, SALARY_DENY.line)  # ...and what it added
    assert by_version[5].before == (HR_SALARY.line,)
    assert set(by_version[5].after) == set(seeded)
    assert all(e.at.tzinfo is not None for e in entries)


async def test_versions_and_audit_page_newest_first(store: PolicyStore) -> None:
    for number in range(4):
        rule = PolicyRule("manager", f"dept-0{number}", "Budget.*", "read")
        await store.add(rule, author="alice")
    first, more = await store.versions(2)
    assert ([v.version for v in first], more) == ([5, 4], True)
    rest, more = await store.versions(10, after=4)
    assert ([v.version for v in rest], more) == ([3, 2, 1], False)
    page, more = await store.audit(3, after=5)
    assert ([e.version for e in page], more) == ([4, 3, 2], True)
    assert await store.version(99) is None
    assert await store.lines_of(99) is None


async def test_a_change_on_a_stale_version_is_a_conflict(store: PolicyStore) -> None:
    await store.add(SALARY_DENY, author="alice", expected_version=1)
    with pytest.raises(PolicyConflict) as raised:
        await store.remove(SALARY_DENY, author="bob", expected_version=1)
    assert raised.value.code == "CONFLICT"
    assert raised.value.extensions == {"currentVersion": 2, "expectedVersion": 1}
    assert await store.head() == 2


async def test_two_writers_on_the_same_version_one_wins(
    store: PolicyStore, database_url: str
) -> None:
    other = PolicyStore(database_url, model_path=MODEL, seed_path=POLICY)
    try:
        results = await asyncio.gather(
            store.add(SALARY_DENY, author="alice", expected_version=1),
            other.add(HR_SALARY, author="bob", expected_version=1),
            return_exceptions=True,
        )
    finally:
        await other.close()
    conflicts = [r for r in results if isinstance(r, PolicyConflict)]
    assert len(conflicts) == 1, results
    assert await store.head() == 2


async def test_racing_writers_without_a_version_all_land_in_order(
    store: PolicyStore, database_url: str
) -> None:
    other = PolicyStore(database_url, model_path=MODEL, seed_path=POLICY)
    rules = [PolicyRule("sales", f"dept-{n:02}", "Customer.*", "read") for n in range(12)]
    try:
        changes = await asyncio.gather(
            *((store if n % 2 else other).add(rule, author="x") for n, rule in enumerate(rules))
        )
    finally:
        await other.close()
    assert sorted(c.version.version for c in changes) == list(range(2, 14))
    lines = (await store.load()).lines
    assert {rule.line for rule in rules} <= set(lines)
    entries, _ = await store.audit(100)
    assert len(entries) == 13


async def test_refused_changes_change_nothing(store: PolicyStore) -> None:
    with pytest.raises(PolicyConflict, match="already has"):
        await store.add(PolicyRule("auditor", "*", "*", "read"), author="a")
    with pytest.raises(PolicyNotFound):
        await store.remove(SALARY_DENY, author="a")
    with pytest.raises(PolicyNotFound):
        await store.rollback(7, author="a")
    with pytest.raises(InvalidRule) as raised:
        await store.add(PolicyRule("employee", "*", "Employee.salary", "delete"), author="a")
    assert raised.value.column == "action"
    with pytest.raises(InvalidRule) as raised:
        await store.replace(
            [HR_SALARY, SALARY_DENY, PolicyRule("nobody", "*", "A.b", "read")], author="a"
        )
    assert (raised.value.column, raised.value.index) == ("subject", 2)

    def refuse(lines: tuple[tuple[str, ...], ...]) -> None:
        assert SALARY_DENY.line in lines
        raise InvalidRule("no", column="rules")

    with pytest.raises(InvalidRule):
        await store.add(SALARY_DENY, author="a", guard=refuse)
    assert await store.head() == 1
    entries, _ = await store.audit(10)
    assert [entry.action for entry in entries] == ["seed"]


async def test_rows_already_in_casbin_rule_are_adopted(database_url: str) -> None:
    store = PolicyStore(database_url, model_path=MODEL, seed_path=POLICY)
    try:
        await store.open()  # creates the tables; then start over with rows and no versions
        async with store.engine.begin() as connection:
            for table in ("policy_audit", "policy_versions", "casbin_rule"):
                await connection.exec_driver_sql(f"DELETE FROM {table}")
        async with store._sessions() as session, session.begin():
            adapter = Adapter(store.engine, db_class=CasbinRule, db_session=session)
            await adapter.add_policy("p", "p", list(HR_SALARY.values))
        snapshot = await store.open()
        assert (snapshot.version, snapshot.lines) == (1, (HR_SALARY.line,))
        [version], _ = await store.versions(1)
        assert version.action == "adopt"
    finally:
        await store.close()


async def test_role_rows_survive_a_replace_and_come_back_with_a_rollback(
    database_url: str, tmp_path: Path
) -> None:
    seed = tmp_path / "policy.csv"
    seed.write_text(
        "p, auditor, *, *, read, allow\ng, emp-007, auditor, *\np, employee, *, Query.*, read\n",
        encoding="utf-8",
    )
    store = PolicyStore(
        database_url, model_path=MODEL, seed_path=seed, validator=RuleValidator(None)
    )
    try:
        snapshot = await store.open()
        assert snapshot.lines == (
            ("p", "auditor", "*", "*", "read", "allow"),
            ("p", "employee", "*", "Query.*", "read", "allow"),  # the effect filled in
            ("g", "emp-007", "auditor", "*"),
        )
        await store.replace([SALARY_DENY], author="a")
        assert (await store.load()).lines == (SALARY_DENY.line, ("g", "emp-007", "auditor", "*"))
        await store.rollback(1, author="a")
        assert (await store.load()).lines == snapshot.lines
    finally:
        await store.close()


async def test_a_seed_file_with_an_unknown_role_is_refused(
    database_url: str, tmp_path: Path
) -> None:
    seed = tmp_path / "policy.csv"
    seed.write_text("p, employee, *, Query.*, read, allow\np, wizard, *, *, read, allow\n")
    store = PolicyStore(database_url, model_path=MODEL, seed_path=seed)
    try:
        with pytest.raises(Exception, match="rule 1: unknown subject or role 'wizard'"):
            await store.open()
    finally:
        await store.close()


@pytest.mark.parametrize(
    ("values", "column"),
    [
        (("", "*", "Employee.name", "read", "allow"), "subject"),
        (("employee", "", "Employee.name", "read", "allow"), "domain"),
        (("employee", "*", "", "read", "allow"), "object"),
        (("employee", "*", "Employee.name", "", "allow"), "action"),
        (("employee", "*", "Employee.name", "read", ""), "effect"),
        (("stranger", "*", "Employee.name", "read", "allow"), "subject"),
        (("employee", "*", "Employee.name", "delete", "allow"), "action"),
        (("employee", "*", "Employee.name", "read", "maybe"), "effect"),
        (("employee", "dept 1", "Employee.name", "read", "allow"), "domain"),
        (("employee", "*", "Employee", "read", "allow"), "object"),
        (("employee", "*", "Employee.name.first", "read", "allow"), "object"),
        (("employee", "*", "Employee.{name,email}", "read", "allow"), "object"),
        (("employee", "*", "Employee.[ab]", "read", "allow"), "object"),
        (("employee", "*", "Employee.**", "read", "allow"), "object"),
        (("employee", "*", "1Employee.name", "read", "allow"), "object"),
        (("employee", "*", " Employee.name", "read", "allow"), "object"),
        (("employee, auditor", "*", "Employee.name", "read", "allow"), "subject"),
        (("#employee", "*", "Employee.name", "read", "allow"), "subject"),
    ],
)
def test_a_rule_is_refused_naming_the_bad_column(values: tuple[str, ...], column: str) -> None:
    with pytest.raises(InvalidRule) as raised:
        RuleValidator(known_subjects(MODEL.parent)).check(PolicyRule(*values))
    assert raised.value.column == column
    assert raised.value.code == "BAD_USER_INPUT"


@pytest.mark.parametrize(
    "rule",
    [
        PolicyRule("employee", "*", "Employee.*", "read"),
        PolicyRule("employee", "dept-03", "*Connection.*", "read"),
        PolicyRule("security_admin", "*", "Mutation.*Polic*", "write"),
        PolicyRule("auditor", "*", "*", "*", "deny"),
        PolicyRule("finance", "*", "Employee.salary", "read_masked"),
        PolicyRule("finance", "*", "Employee.sal?ry", "read_plain"),
    ],
)
def test_well_formed_rules_pass(rule: PolicyRule) -> None:
    assert RuleValidator(known_subjects(MODEL.parent)).check(rule) is rule


def test_known_subjects_may_be_globs() -> None:
    validator = RuleValidator(["employee", "emp-*"])
    assert validator.check(PolicyRule("emp-042", "*", "Employee.salary", "read"))
    with pytest.raises(InvalidRule):
        validator.check(PolicyRule("auditor", "*", "Employee.salary", "read"))
    assert RuleValidator(None).check(PolicyRule("anyone", "*", "A.b", "read"))


def test_a_repeated_rule_in_a_set_is_refused_with_its_index() -> None:
    with pytest.raises(InvalidRule) as raised:
        RuleValidator(known_subjects(MODEL.parent)).check_all([HR_SALARY, SALARY_DENY, HR_SALARY])
    assert (raised.value.column, raised.value.index) == ("rule", 2)


def test_the_enforcer_takes_lines_as_a_new_version() -> None:
    enforcer = PolicyEnforcer(MODEL, POLICY)
    assert (enforcer.version, enforcer.revision) == (1, None)
    assert enforcer.decide(EMPLOYEE, "Employee.email", "read").allowed
    enforcer.load_lines(
        (*enforcer.lines, ("p", "employee", "*", "Employee.email", "read", "deny")), revision=2
    )
    assert (enforcer.version, enforcer.revision) == (2, 2)
    decision = enforcer.decide(EMPLOYEE, "Employee.email", "read")
    assert not decision.allowed
    assert decision.rule == "employee, *, Employee.email, read, deny"
    with pytest.raises(ValueError, match="no policy type 'x'"):
        enforcer.load_lines([("x", "a")])
    assert enforcer.version == 2  # the malformed policy never applied
    enforcer.reload()  # the file again
    assert (enforcer.version, enforcer.revision) == (3, None)
    assert enforcer.decide(EMPLOYEE, "Employee.email", "read").allowed
    preview = enforcer.preview([SALARY_DENY.line])
    assert preview.version == 2 and enforcer.version == 3
    assert not preview.decide(EMPLOYEE, "Employee.email", "read").allowed
