"""Finance: the chart of accounts, balanced journal entries, trial balance, budgets, assets."""

from __future__ import annotations

from typing import Any

import pytest

from tests.crypto.opener import opened_json
from tests.erp.harness import ErpClient
from tests.erp.util import ENTITIES, fresh, money

pytestmark = pytest.mark.anyio

CREATE_ACCOUNT = """
mutation ($input: CreateAccountInput!) { createAccount(input: $input) { code name type } }
"""
POST = """
mutation ($input: PostJournalEntryInput!) {
  postJournalEntry(input: $input) {
    id entryNo entryDate period memo total { amount currency }
    lines { lineNo account { code } debit { amount } credit { amount } }
  }
}
"""
TRIAL_BALANCE = """
query ($period: String!) {
  trialBalance(period: $period) {
    balanced totalDebit { amount } totalCredit { amount }
    lines { account { code } periodDebit { amount } periodCredit { amount }
            debit { amount } credit { amount } }
  }
}
"""


async def accounts(erp: ErpClient, *types: str) -> list[str]:
    codes = []
    for kind in types:
        code = fresh(kind[:3])
        await erp.data(CREATE_ACCOUNT, {"input": {"code": code, "name": code, "type": kind}})
        codes.append(code)
    return codes


def entry(day: str, *lines: tuple[str, str | None, str | None]) -> dict[str, Any]:
    return {
        "input": {
            "entryDate": day,
            "memo": "test entry",
            "lines": [
                {
                    "accountCode": code,
                    "debit": None if debit is None else money(debit),
                    "credit": None if credit is None else money(credit),
                }
                for code, debit, credit in lines
            ],
        }
    }


async def test_a_balanced_entry_is_posted_with_a_number(erp: ErpClient) -> None:
    cash, revenue = await accounts(erp, "ASSET", "REVENUE")
    data = await erp.data(
        POST, entry("2026-11-25", (cash, "150.50", None), (revenue, None, "150.50"))
    )
    posted = data["postJournalEntry"]
    assert posted["entryNo"].startswith("JE-202611-")
    assert posted["period"] == "2026-11"
    assert posted["total"] == money("150.50")
    lines = [(line["account"]["code"], line["debit"]["amount"], line["credit"]["amount"])
             for line in posted["lines"]]  # fmt: skip
    assert lines == [(cash, "150.50", "0.00"), (revenue, "0.00", "150.50")]


async def test_an_unbalanced_entry_is_rejected(erp: ErpClient) -> None:
    cash, revenue = await accounts(erp, "ASSET", "REVENUE")
    error = await erp.error(
        POST, entry("2026-11-25", (cash, "100.00", None), (revenue, None, "99.99"))
    )
    assert error["code"] == "BAD_USER_INPUT"
    assert error["field"] == "input.lines"
    assert (error["totalDebit"], error["totalCredit"]) == ("100.00", "99.99")


@pytest.mark.parametrize(
    ("lines", "field"),
    [
        ([("A", "1.00", None)], "input.lines"),
        ([("A", "1.00", "1.00"), ("R", None, "1.00")], "input.lines.0.debit"),
        ([("A", None, None), ("R", None, "1.00")], "input.lines.0.debit"),
        ([("A", "1.00", None), ("nope", None, "1.00")], "input.lines.1.accountCode"),
        ([("A", "1.001", None), ("R", None, "1.00")], "input.lines.0.debit.amount"),
        ([("A", "-1.00", None), ("R", None, "1.00")], "input.lines.0.debit.amount"),
    ],
)
async def test_bad_lines_name_their_field(
    erp: ErpClient, lines: list[tuple[str, str | None, str | None]], field: str
) -> None:
    cash, revenue = await accounts(erp, "ASSET", "REVENUE")
    names = {"A": cash, "R": revenue}
    lines = [(names.get(code, code), debit, credit) for code, debit, credit in lines]
    error = await erp.error(POST, entry("2026-11-25", *lines))
    assert (error["code"], error["field"]) == ("BAD_USER_INPUT", field)


async def test_a_taken_account_code_is_a_conflict(erp: ErpClient) -> None:
    (code,) = await accounts(erp, "ASSET")
    variables = {"input": {"code": code, "name": "again", "type": "ASSET"}}
    assert (await erp.error(CREATE_ACCOUNT, variables))["code"] == "CONFLICT"


async def test_trial_balance_shows_period_movement_and_closing_balances(erp: ErpClient) -> None:
    cash, revenue, rent = await accounts(erp, "ASSET", "REVENUE", "EXPENSE")
    await erp.data(POST, entry("2031-01-10", (cash, "1000.00", None), (revenue, None, "1000.00")))
    await erp.data(POST, entry("2031-02-03", (rent, "300.00", None), (cash, None, "300.00")))
    january = await erp.data(TRIAL_BALANCE, {"period": "2031-01"})
    february = await erp.data(TRIAL_BALANCE, {"period": "2031-02"})

    def rows(data: dict[str, Any]) -> dict[str, tuple[str, ...]]:
        return {
            line["account"]["code"]: tuple(line[k]["amount"] for k in
                                           ("periodDebit", "periodCredit", "debit", "credit"))
            for line in data["trialBalance"]["lines"]
            if line["account"]["code"] in (cash, revenue, rent)
        }  # fmt: skip

    assert rows(january) == {
        cash: ("1000.00", "0.00", "1000.00", "0.00"),
        revenue: ("0.00", "1000.00", "0.00", "1000.00"),
    }
    assert rows(february) == {
        cash: ("0.00", "300.00", "700.00", "0.00"),
        revenue: ("0.00", "0.00", "0.00", "1000.00"),
        rent: ("300.00", "0.00", "300.00", "0.00"),
    }
    assert february["trialBalance"]["balanced"] is True
    balance = february["trialBalance"]
    assert balance["totalDebit"] == balance["totalCredit"]


async def test_trial_balance_period_is_validated(erp: ErpClient) -> None:
    error = await erp.error(TRIAL_BALANCE, {"period": "2031-13"})
    assert (error["code"], error["field"]) == ("BAD_USER_INPUT", "period")


SET_BUDGET = """
mutation ($input: SetBudgetInput!) {
  setBudget(input: $input) {
    departmentId period amount { amount } committed { amount } spent { amount }
    available { amount } exceeded department { id }
  }
}
"""


async def test_budgets_per_department_and_period(erp: ErpClient) -> None:
    department = fresh("dept")
    variables = {"input": {"departmentId": department, "period": "2031-03",
                           "amount": money("5000.00")}}  # fmt: skip
    budget = (await erp.data(SET_BUDGET, variables))["setBudget"]
    assert budget == {
        "departmentId": department,
        "period": "2031-03",
        "amount": {"amount": "5000.00"},
        "committed": {"amount": "0.00"},
        "spent": {"amount": "0.00"},
        "available": {"amount": "5000.00"},
        "exceeded": False,
        "department": {"id": department},
    }
    listed = await erp.data(
        'query { budgets(period: "2031-03", first: 100) { edges { node { departmentId } } } }'
    )
    assert department in [e["node"]["departmentId"] for e in listed["budgets"]["edges"]]
    found = await erp.data(
        ENTITIES % '... on Department { id budget(period: "2031-03") { amount { amount } } }',
        {"representations": [{"__typename": "Department", "id": department}]},
    )
    assert found["_entities"] == [
        {"__typename": "Department", "id": department, "budget": {"amount": {"amount": "5000.00"}}}
    ]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"period": "2031/03"}, "input.period"),
        ({"amount": money("-1.00")}, "input.amount.amount"),
        ({"amount": money("1.00", "XXX")}, "input.amount.currency"),
        ({"departmentId": " "}, "input.departmentId"),
    ],
)
async def test_budget_input_is_validated(
    erp: ErpClient, change: dict[str, Any], field: str
) -> None:
    variables = {"input": {"departmentId": fresh("dept"), "period": "2031-03",
                           "amount": money("1.00")} | change}  # fmt: skip
    error = await erp.error(SET_BUDGET, variables)
    assert (error["code"], error["field"]) == ("BAD_USER_INPUT", field)


REGISTER_ASSET = """
mutation ($input: RegisterAssetInput!) {
  registerAsset(input: $input) {
    id cost { amount }
    depreciationSchedule { period amount { amount } bookValue { amount } }
    bookValue(asOf: "2026-06-30") { amount }
  }
}
"""


async def test_assets_depreciate_straight_line_from_the_month_after_acquisition(
    erp: ErpClient,
) -> None:
    variables = {"input": {"name": "Forklift", "category": "vehicles", "cost": money("1000.00"),
                           "acquisitionDate": "2026-02-15", "usefulLifeMonths": 3}}  # fmt: skip
    asset = (await erp.data(REGISTER_ASSET, variables))["registerAsset"]
    assert [
        (line["period"], line["amount"]["amount"], line["bookValue"]["amount"])
        for line in asset["depreciationSchedule"]
    ] == [
        ("2026-03", "333.33", "666.67"),
        ("2026-04", "333.33", "333.34"),
        ("2026-05", "333.34", "0.00"),
    ]
    assert asset["bookValue"] == {"amount": "0.00"}
    variables["input"] |= {"usefulLifeMonths": 60, "salvageValue": money("100.00")}
    asset = (await erp.data(REGISTER_ASSET, variables))["registerAsset"]
    assert asset["depreciationSchedule"][0]["amount"] == {"amount": "15.00"}
    assert asset["bookValue"] == {"amount": "940.00"}  # March to June: 4 months


async def test_asset_input_is_validated(erp: ErpClient) -> None:
    variables = {"input": {"name": "Desk", "category": "furniture", "cost": money("100.00"),
                           "salvageValue": money("200.00"), "acquisitionDate": "2026-02-15",
                           "usefulLifeMonths": 12}}  # fmt: skip
    error = await erp.error(REGISTER_ASSET, variables)
    assert (error["code"], error["field"]) == ("BAD_USER_INPUT", "input.salvageValue")
    variables["input"] |= {"salvageValue": None, "usefulLifeMonths": 0}
    error = await erp.error(REGISTER_ASSET, variables)
    assert (error["code"], error["field"]) == ("BAD_USER_INPUT", "input.usefulLifeMonths")


async def test_salaries_extend_oa_employees(erp: ErpClient) -> None:
    employee = fresh("emp")
    await erp.data(
        "mutation ($id: ID!, $s: MoneyInput!) { setSalary(employeeId: $id, salary: $s) { id } }",
        {"id": employee, "s": money("18000.00")},
    )
    found = await erp.data(
        ENTITIES % "... on Employee { id salary { amount currency } }",
        {"representations": [{"__typename": "Employee", "id": employee},
                             {"__typename": "Employee", "id": fresh("emp")}]},
    )  # fmt: skip
    salary, none = (e["salary"] for e in found["_entities"])  # encrypted: the gateway opens it
    assert (opened_json(salary, "Employee", employee, "salary"), none) == (money("18000.00"), None)
