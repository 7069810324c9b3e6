"""The People page of the console, in the real headless Chromium against ``tandem dev`` (the
session's fixtures: the default policy, the built-in sign-in), as HR (login ``hr``) keeps the
company's people, the work of ``tests/e2e/test_people.py`` and the personas' HR journey.

HR opens People from the navigation: the employees and departments shown (and those found by
a department's name) are what the API answers HR for the same queries, salaries as the policy
gives them to HR (masked; her own in plain), and a colleague's salary as Finance reads it is
nowhere on the page. She hires someone of the test's own: an e-mail address that is none is
BAD_USER_INPUT beside the e-mail input and hires nobody; then she finds the new person by a
search, changes their title, transfers them and deactivates them, each change as the API then
answers it. The demo people other tests use are left as they are. Axe-core in English and
Chinese; the load time reported; ``people.png`` for the README.
"""

from __future__ import annotations

import re
import uuid
from decimal import Decimal
from typing import Any

from tests.console.browser import screenshot, timed_load
from tests.console.session import (
    Console,
    assert_accessible,
    coded_error_beside,
    report_load,
    salary_of,
    signed_in,
    table_rows,
)

HR = "emp-020"  # the "hr" login: the plainest holder of the role
COLLEAGUE = "emp-002"  # an executive assistant: her salary is not HR's to read
HR_DEPARTMENT, HR_COLLEAGUE_NAME = "dept-04", "Na Li"  # Human Resources; emp-021
PAGE_SIZE = 25
PERSON = """id employeeNo name title email phone active department { id name } manager { name }
  salary { amount currency }"""
EMPLOYEES = f"""query ($filter: EmployeeFilter, $first: Int!) {{
  employees(filter: $filter, first: $first) {{ edges {{ node {{ {PERSON} }} }} }}
}}"""
ONE = f"query ($id: ID!) {{ employee(id: $id) {{ {PERSON} }} }}"
DEPARTMENTS = "{ departments { id code name active parent { name } manager { name } } }"


def shown_salary(salary: dict[str, str] | None) -> str:
    """A salary as the English page shows it: money when a figure, the mask as it came."""
    if salary is None:
        return "—"
    if re.fullmatch(r"-?\d+(\.\d+)?", salary["amount"]):
        return f"CN¥{Decimal(salary['amount']):,.2f}"
    return salary["amount"]


def as_row(person: dict[str, Any]) -> list[str]:
    return [
        person["employeeNo"], person["name"], person["title"], person["department"]["name"],
        (person["manager"] or {}).get("name", "—"), person["email"], person["phone"] or "—",
        shown_salary(person["salary"]),
    ]  # fmt: skip


def employees(console: Console, **filter: str) -> list[dict[str, Any]]:
    answer = console.api.data(HR, EMPLOYEES, filter=filter or None, first=PAGE_SIZE)
    return [edge["node"] for edge in answer["employees"]["edges"]]


def test_hr_sees_people_as_the_policy_allows_and_hires_changes_transfers_and_deactivates(
    browser: Any, console: Console
) -> None:
    tag = uuid.uuid4().hex[:8]
    name = f"Console Hire {tag}"
    with signed_in(browser, console, "hr") as page:
        page.get_by_role("navigation").get_by_role("link", name="People").click()
        page.wait_for_url(f"{console.base}/people")
        page.locator("#employees").wait_for()
        seconds = timed_load(page, f"{console.base}/people", "#employees")
        report_load("people", seconds)
        page.locator("#departments").wait_for()

        listed = employees(console)
        assert table_rows(page, "#employees") == [as_row(p) for p in listed]
        departments = console.api.data(HR, DEPARTMENTS)["departments"]
        assert table_rows(page, "#departments") == [
            [d["code"], d["name"], (d["parent"] or {}).get("name", "—"),
             (d["manager"] or {}).get("name", "—"), "Active" if d["active"] else "Inactive"]
            for d in departments
        ]  # fmt: skip

        page.get_by_label("Find a department (code or name)").fill("quality")
        page.wait_for_function("document.querySelectorAll('#departments tbody tr').length === 1")
        (qa,) = [d for d in departments if "quality" in f"{d['code']} {d['name']}".lower()]
        assert table_rows(page, "#departments")[0][:2] == [qa["code"], qa["name"]]
        page.get_by_label("Find a department (code or name)").fill("")

        # pay as the policy gives it to HR: a colleague's masked, never as Finance reads it
        colleague = console.api.data(HR, ONE, id=COLLEAGUE)["employee"]
        plain = salary_of(console, COLLEAGUE)
        assert colleague["salary"]["amount"] != plain, "HR reads salaries masked"
        row = page.locator(f'#employees tr[data-employee-id="{COLLEAGUE}"]')
        assert row.locator("td").last.inner_text() == colleague["salary"]["amount"]
        body = page.inner_text("body")
        assert plain not in body and f"{Decimal(plain):,.2f}" not in body

        # a department's people, one of them opened: pay and phone as HR reads them
        page.locator("#people-department").select_option(HR_DEPARTMENT)
        page.get_by_role("button", name="Search", exact=True).click()
        in_hr = employees(console, departmentId=HR_DEPARTMENT)
        page.locator(f'#employees tr[data-employee-id="{COLLEAGUE}"]').wait_for(state="detached")
        assert table_rows(page, "#employees") == [as_row(p) for p in in_hr]
        page.get_by_role("button", name=HR_COLLEAGUE_NAME, exact=True).click()
        panel = page.locator("#person")
        panel.get_by_role("heading", name=HR_COLLEAGUE_NAME).wait_for()
        screenshot(page, console.shots, "people")
        page.locator("#people-department").select_option("")

        hire = page.locator("section", has=page.locator("#hire-section"))
        hire.get_by_label("Name").fill(name)
        hire.get_by_label("E-mail").fill("not-an-address")
        hire.get_by_label("Title").fill("Technician")
        hire.get_by_label("Department").select_option("dept-06")
        hire.get_by_role("button", name="Create employee").click()
        email = hire.get_by_label("E-mail")
        coded_error_beside(hire, "input.email", "BAD_USER_INPUT", email)
        assert hire.locator(".field-error").count() == 1
        assert_accessible(page, "people with a coded error")
        assert employees(console, search=tag) == []  # nobody was hired

        email.fill(f"{tag}@people.tandem.example")
        hire.get_by_role("button", name="Create employee").click()
        hire.locator("#hire-saved").get_by_text(name).wait_for()
        (hired,) = employees(console, search=tag)
        assert (hired["name"], hired["department"], hired["active"]) == (
            name, {"id": "dept-06", "name": hired["department"]["name"]}, True)  # fmt: skip
        assert hired["employeeNo"] in hire.locator("#hire-saved").inner_text()
        panel.get_by_role("heading", name=f"{name} ({hired['employeeNo']})").wait_for()

        page.get_by_label("Search (name, e-mail or employee number)").fill(tag)
        page.get_by_role("button", name="Search", exact=True).click()
        page.locator(f'#employees tr[data-employee-id="{hired["id"]}"]').wait_for()
        page.wait_for_function("document.querySelectorAll('#employees tbody tr').length === 1")
        assert table_rows(page, "#employees") == [as_row(hired)]

        panel.get_by_label("Title", exact=True).fill("Senior technician")
        panel.get_by_role("button", name="Save changes").click()
        panel.locator("#edit-saved").wait_for()
        changed = console.api.data(HR, ONE, id=hired["id"])["employee"]
        assert changed["title"] == "Senior technician"
        page.locator("#employees").get_by_text("Senior technician").wait_for()

        panel.get_by_label("New department").select_option("dept-07")
        panel.get_by_role("button", name="Transfer", exact=True).click()
        panel.locator("#transfer-saved").wait_for()
        moved = console.api.data(HR, ONE, id=hired["id"])["employee"]
        assert moved["department"]["id"] == "dept-07"
        assert panel.locator("#person-department").inner_text() == moved["department"]["name"]
        page.locator("#employees").get_by_text(moved["department"]["name"]).wait_for()
        assert table_rows(page, "#employees") == [as_row(moved)]
        assert_accessible(page, "people with a person opened")

        panel.get_by_role("button", name=f"Deactivate {name}").click()
        panel.get_by_role("button", name="Yes, deactivate").click()
        panel.locator("#person-deactivated").wait_for()
        gone = console.api.data(HR, ONE, id=hired["id"])["employee"]
        assert gone["active"] is False
        page.locator("#employees-empty").wait_for()  # only active employees are listed
        assert employees(console, search=tag) == []

        page.get_by_label("Language").select_option("zh-CN")
        page.get_by_role("heading", name="部门", exact=True).wait_for()
        assert panel.locator("#person-active").inner_text() == "停用"
        assert_accessible(page, "people (zh-CN)")
