"""After the demo data and every test of this folder (this module runs last), a ``pg_dump`` of
the OA, ERP and audit databases holds none of the encrypted fields' plaintexts."""

from __future__ import annotations

from subgraphs.erp.seed import SUPPLIERS
from tests.crypto.conftest import WRITTEN
from tests.crypto.stack import Stack, demo_plaintexts, seeded_salary


def test_the_databases_hold_no_plaintext_of_an_encrypted_field(stack: Stack) -> None:
    dump = stack.dump()
    assert SUPPLIERS[0][1] in dump  # the dump has the data: a supplier's (plain) name
    assert dump.count("\tt1.k") > 150  # ... and the envelopes
    plaintexts = [*demo_plaintexts(), *WRITTEN]
    plaintexts += [f"{seeded_salary(f'emp-{n:03d}')} CNY" for n in range(1, 51)]  # old form
    assert len(plaintexts) > 200
    found = [value for value in plaintexts if value in dump]
    assert found == []
    digits = [value.replace(" ", "") for value in plaintexts if value[:1].isdigit()]
    assert [value for value in digits if value in dump.replace(" ", "")] == []
