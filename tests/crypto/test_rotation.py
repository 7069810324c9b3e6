"""Key rotation without downtime: ``tandem keys rotate`` adds the key new writes use,
``tandem keys rewrap`` re-encrypts old values online in batches (resumable), and a key still
in use cannot be retired. Readers running all the while always get the right value."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from gateway.crypto import keys_cli
from gateway.crypto.keyring import FieldKeyring
from gateway.crypto.rewrap import Rewrapper, count_by_key
from tandem_shared.crypto import BlindIndex
from tandem_shared.crypto_keys import blind_index_key, keyring_path, load_keyring
from tests.crypto.conftest import WRITTEN
from tests.crypto.stack import PEOPLE, Stack

EMPLOYEES = "{ employees(first: 50) { edges { node { id phone idCardNumber } } } }"
SALARIES = "{ employees(first: 50) { edges { node { id salary { amount currency } } } } }"
ACCOUNTS = "{ suppliers { edges { node { id bankAccount } } } }"
CUSTOMERS = "{ customers { edges { node { id phone } } } }"
READERS = (("hr", EMPLOYEES), ("finance", SALARIES), ("finance", ACCOUNTS), ("sales", CUSTOMERS))
WRITER = "emp-012"  # its phone is rewritten while the rewrap runs
PHONES = [f"+86 136 0000 {n:04d}" for n in range(40)]


def active() -> str:
    return load_keyring(keyring_path(create=False)).active


def keys(*arguments: str) -> int:
    return keys_cli.main(list(arguments))


def rewrapper(**options: Any) -> Rewrapper:
    keyring = FieldKeyring.from_environment()
    return Rewrapper(keyring, index=BlindIndex(blind_index_key()), **options)


def read_all(stack: Stack) -> dict[tuple[str, str], Any]:
    responses = [stack.execute(role, query) for role, query in READERS]
    for response in responses:
        assert "errors" not in response, response["errors"]
    return {(role, query): response["data"] for (role, query), response in zip(
        READERS, responses, strict=True)}  # fmt: skip


def _without_writer(data: Any) -> Any:
    if "employees" in data:
        edges = [e for e in data["employees"]["edges"] if e["node"]["id"] != WRITER]
        return {"employees": {"edges": edges}}
    return data


def test_reads_stay_right_through_rotation_writes_and_rewrap(stack: Stack) -> None:
    assert stack.gateway is not None
    expected = {key: _without_writer(data) for key, data in read_all(stack).items()}
    old = active()
    counts = {"reads": 0, "writes": 0}
    done = asyncio.Event()
    wrong: list[Any] = []

    async def reader(role: str, query: str) -> None:
        assert stack.gateway is not None
        while not done.is_set():
            response = await stack.gateway.execute(query, principal=PEOPLE[role])
            if "errors" in response or _without_writer(response["data"]) != expected[role, query]:
                wrong.append(response)
            counts["reads"] += 1
            await asyncio.sleep(0)

    async def writer() -> None:
        assert stack.gateway is not None
        mutation = (
            "mutation ($p: String) { updateEmployeeIdentity(id: "
            f'"{WRITER}", phone: $p) {{ phone }} }}'
        )
        for phone in PHONES:
            response = await stack.gateway.execute(mutation, {"p": phone}, principal=PEOPLE["hr"])
            if response != {"data": {"updateEmployeeIdentity": {"phone": phone}}}:
                wrong.append(response)
            counts["writes"] += 1
            await asyncio.sleep(0.01)

    async def reads_past(count: int) -> None:
        """Until the readers have made more than ``count`` reads (they run meanwhile)."""
        while counts["reads"] <= count:
            await asyncio.sleep(0.01)

    async def scenario(rotate: Callable[[], int]) -> list[Any]:
        tasks = [asyncio.create_task(reader(*r)) for r in READERS for _ in range(2)]
        writing = asyncio.create_task(writer())
        await reads_past(20)  # traffic under way before the rotation
        assert await asyncio.to_thread(rotate) == 0  # `tandem keys rotate`, mid-traffic
        reports = await rewrapper(batch=7, pause=0.01).run(stack.model_databases())
        await writing
        await reads_past(counts["reads"] + 20)  # and reads after the rewrap too
        done.set()
        await asyncio.gather(*tasks)
        return reports

    WRITTEN.extend(PHONES)
    reports = stack.run(scenario(lambda: keys("rotate")), timeout=300)
    new = active()

    assert new != old
    assert wrong == []
    assert counts["reads"] > 50 and counts["writes"] == len(PHONES)
    assert sum(r.rewrapped for r in reports) > 150
    assert sum(r.failed for r in reports) == 0
    # every stored value is under the new key now, the concurrent writer's last value kept
    assert stack.run(count_by_key(stack.model_databases())) == {new: pytest.approx(170, abs=15)}
    last = stack.execute("hr", f'{{ employee(id: "{WRITER}") {{ phone }} }}')
    assert last == {"data": {"employee": {"phone": PHONES[-1]}}}
    # the old key is no longer needed: it can go, and reading goes on
    assert keys("retire", old, *stack.database_arguments()) == 0
    assert {key: _without_writer(data) for key, data in read_all(stack).items()} == expected


def test_new_writes_use_the_rotated_key_at_once(stack: Stack) -> None:
    assert keys("rotate") == 0
    stack.execute(
        "hr",
        'mutation ($p: String) { updateEmployeeIdentity(id: "emp-013", phone: $p) { id } }',
        {"p": "+86 135 0000 0013"},
    )
    WRITTEN.append("+86 135 0000 0013")
    assert stack.stored_kid("Employee.phone", "emp-013") == active()
    assert stack.stored_kid("Employee.phone", "emp-014") != active()  # until rewrapped


class Killed(Exception):
    """The rewrap dies here, as if its process were killed after committing a batch."""


def test_rewrap_resumes_after_a_crash(stack: Stack, tmp_path: Path) -> None:
    state = tmp_path / "rewrap.json"
    batches = []

    def crash_on_the_fourth(column: str, rows: int) -> None:
        batches.append((column, rows))
        if len(batches) == 4:
            raise Killed

    assert keys("rotate") == 0  # values to rewrap, whichever tests ran before this one
    target = active()
    before = stack.run(count_by_key(stack.model_databases()))
    total = sum(before.values())
    with pytest.raises(Killed):
        stack.run(
            rewrapper(batch=5, state_path=state, after_batch=crash_on_the_fourth).run(
                stack.model_databases()
            )
        )
    saved = json.loads(state.read_text())
    assert saved["target"] == target and saved["after"]
    partial = stack.run(count_by_key(stack.model_databases()))
    assert 0 < partial.get(target, 0) - before.get(target, 0) <= 20

    reports = stack.run(rewrapper(batch=50, state_path=state).run(stack.model_databases()))
    assert sum(r.rewrapped for r in reports) == total - partial[target]  # none done twice
    assert stack.run(count_by_key(stack.model_databases())) == {target: total}
    assert keys("rewrap", *stack.database_arguments()) == 0  # running again is harmless


def test_a_key_still_in_use_cannot_be_retired(
    stack: Stack, capsys: pytest.CaptureFixture[str]
) -> None:
    in_use = active()
    assert keys("rotate") == 0
    assert keys("retire", in_use, *stack.database_arguments()) == 1
    assert "still use" in capsys.readouterr().err
    assert keys("retire", active(), *stack.database_arguments()) == 1
    assert "active key" in capsys.readouterr().err
    assert keys("retire", "k19990101-000000", *stack.database_arguments()) == 1
    assert load_keyring(keyring_path(create=False)).record(in_use).status == "decrypt"
    assert keys("list", *stack.database_arguments()) == 0
    listing = capsys.readouterr().out
    assert in_use in listing and "decrypt" in listing and "values" in listing
