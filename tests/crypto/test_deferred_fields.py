"""Encrypted fields in ``@defer`` fragments: every demo role gets in the deferred parts what it
gets in one answer (plaintext, mask, or null with ``FORBIDDEN``), each refusal reported and each
plaintext audited once (a part does not read again what the first one carried). The crypto
stack's gateway, answering incrementally (``Gateway.execute_incrementally``) over the real OA
and ERP subgraphs."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from gateway.crypto.audit import ReadFilter
from tests.crypto.stack import PEOPLE, Stack
from tests.crypto.test_policy_matrix import COLUMNS, ENTITIES, MATRIX, PLAIN, cells, expected, newer

DEFERRED = """
query Sensitive($id: ID!, $supplier: ID!, $customer: ID!) {
  employee(id: $id) {
    id
    name
    phone
    ... @defer(label: "contact") { idCardNumber salary { amount currency } }
  }
  ... @defer(label: "partners") {
    supplier(id: $supplier) { bankAccount }
    customer(id: $customer) { phone }
  }
}
"""
VARIABLES = {
    "id": ENTITIES["Employee"],
    "supplier": ENTITIES["Supplier"],
    "customer": ENTITIES["Customer"],
}


async def _parts(stack: Stack, role: str) -> list[dict[str, Any]]:
    assert stack.gateway is not None
    results = await stack.gateway.execute_incrementally(DEFERRED, VARIABLES, principal=PEOPLE[role])
    assert isinstance(results, AsyncIterator)
    return [part async for part in results]


def _merged(parts: list[dict[str, Any]]) -> dict[str, Any]:
    """The parts as one answer: each entry's data at its path, every error."""
    first, *rest = parts
    data = first["data"]
    errors = list(first.get("errors", []))
    for part in rest:
        for entry in part.get("incremental", []):
            target = data
            for step in entry["path"]:
                target = target[step]
            target.update(entry["data"])
            errors.extend(entry.get("errors", []))
    return {"data": data, "errors": errors}


@pytest.mark.parametrize("role", sorted(MATRIX))
def test_deferred_encrypted_fields_follow_the_policy_and_are_audited(
    stack: Stack, role: str
) -> None:
    audit = stack.crypto.audit if stack.crypto else None
    assert audit is not None
    before = stack.run(audit.query(ReadFilter(subject=PEOPLE[role].subject), 1000))

    parts = stack.run(_parts(stack, role))

    first = parts[0]
    assert first["hasNext"] is True and "errors" not in first
    employee = first["data"]["employee"]
    assert set(employee) == {"id", "name", "phone"} and employee["id"] == ENTITIES["Employee"]
    assert [p["hasNext"] for p in parts[1:]] == [True, False]
    labels = sorted(e["label"] for p in parts[1:] for e in p["incremental"])
    assert labels == ["contact", "partners"]
    merged = _merged(parts)
    assert cells(merged) == expected(role)
    for error in merged["errors"]:
        assert error["extensions"]["code"] == "FORBIDDEN", error
    # each refusal reported once, in the part of its fragment
    forbidden = [c for c, kind in zip(COLUMNS, MATRIX[role], strict=True) if kind == "FORBIDDEN"]
    assert len(merged["errors"]) == len(forbidden)
    after = stack.run(audit.query(ReadFilter(subject=PEOPLE[role].subject), 1000))
    plain = [c for c, kind in zip(COLUMNS, MATRIX[role], strict=True) if kind == PLAIN]
    # each plaintext sent read (and audited) once
    assert sorted(r.coordinate for r in newer(after, before)) == sorted(plain)
