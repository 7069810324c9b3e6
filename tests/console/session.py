"""What the console's browser tests share: ``tandem dev`` serving the console (the
:class:`Console`), a browser signed in as a demo person through the sign-in page
(:func:`signed_in`), the accessibility check, the load-time report, and a table's rows and
an amount as pages show them. The fixtures that start them once for all the console's tests
are in ``conftest.py``.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from subgraphs.erp.store.base import current_period
from tests.console.browser import axe_violations, screenshot
from tests.e2e.flows import item, submit_purchase
from tests.e2e.personas import PEOPLE
from tests.e2e.stack import Gateway, Service

__all__ = [
    "EMPLOYEE",
    "FINANCE",
    "GRAPHIQL_KNOWN",
    "LOGIN_LINE",
    "MANAGER",
    "PEOPLE",
    "SALARY",
    "STATUS",
    "TIMES",
    "WAIT_MS",
    "Console",
    "assert_accessible",
    "cny",
    "coded_error_beside",
    "introspection",
    "report_load",
    "salary_of",
    "signed_in",
    "submit",
    "table_rows",
]

EMPLOYEE, MANAGER, FINANCE = "emp-002", "emp-001", "emp-005"
SALARY = "query ($id: ID!) { employee(id: $id) { salary { amount currency } } }"
STATUS = "query ($id: ID!) { approvalRequest(id: $id) { status history { action } } }"
TIMES = "\N{MULTIPLICATION SIGN}"  # between an order line's SKU and quantity
# GraphiQL 4's own markup: a tab (role=tab) holding its close button, and CodeMirror's scroll
# area (tabindex=-1) beside its input; not ours to fix, so not checked inside the IDE only.
GRAPHIQL_KNOWN = {".graphiql-container": ("nested-interactive", "scrollable-region-focusable")}
WAIT_MS = 60_000  # how long a page may take to show something: generous, a loaded CI is slow
LOGIN_LINE = re.compile(r"^\s+(\w+)\s+password\s+(\S+)\s+roles", re.MULTILINE)


@dataclass
class Console:
    """``tandem dev`` serving the console; the demo users' passwords; the API as anyone."""

    service: Service
    passwords: dict[str, str]
    api: Gateway
    shots: Path

    @property
    def base(self) -> str:
        return self.service.base_url


@contextlib.contextmanager
def signed_in(browser: Any, console: Console, login: str, locale: str = "en-US") -> Iterator[Any]:
    """A fresh browser (its own cookies) signed in as the demo user ``login`` through the
    console's sign-in page and the provider's form; its page is on Home. Whatever the test
    does there, the browser must report no Content-Security-Policy violation (the console's
    policy allows no inline script, no eval, no other origin)."""
    context = browser.new_context(locale=locale, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(WAIT_MS)
    refused: list[str] = []
    try:
        page = context.new_page()
        page.on(
            "console",
            lambda message: (
                refused.append(message.text) if "Content Security Policy" in message.text else None
            ),
        )
        page.goto(f"{console.base}/")
        page.wait_for_url(re.compile(r"/signin"))  # no session: the sign-in page
        page.get_by_role("link", name=re.compile("Sign in|登录")).click()
        page.get_by_label("User").fill(login)
        page.get_by_label("Password").fill(console.passwords[login])
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(f"{console.base}/")
        page.locator("#my-requests, #mine-title").first.wait_for()
        try:
            yield page
        except BaseException:  # what the page showed, for the failure's report
            picture = screenshot(page, console.shots, f"failed-{login}")
            print(f"{login}'s page at {page.url} ({picture}):\n{page.inner_text('body')}")
            raise
        assert not refused, refused
    finally:
        context.close()


def submit(console: Console, title: str, price: str = "150.00") -> str:
    """A purchase request of the employee's (2 x ``price`` CNY), waiting for her manager."""
    return submit_purchase(
        console.api, EMPLOYEE, title, [item("SKU-0001", 2, price)], current_period()
    )


def salary_of(console: Console, employee: str) -> str:
    """The salary as Finance reads it in plaintext (the figure that must not leak)."""
    data = console.api.data(FINANCE, SALARY, id=employee)
    amount: str = data["employee"]["salary"]["amount"]
    return amount


def introspection(response: Any) -> bool:
    request = response.request
    return (
        request.method == "POST"
        and response.url.endswith("/graphql")
        and "IntrospectionQuery" in (request.post_data or "")
    )


def assert_accessible(page: Any, name: str) -> None:
    violations = axe_violations(page, known=GRAPHIQL_KNOWN)
    assert not violations, f"{name}: " + "\n".join(violations)


def report_load(name: str, seconds: float) -> None:
    print(f"console page load: {name} {seconds * 1000:.0f} ms")


def cny(amount: str) -> str:
    """A CNY amount as the console shows it in English (CN¥1,234.50, -CN¥5.00)."""
    value = Decimal(amount)
    return f"{'-' if value < 0 else ''}CN¥{abs(value):,.2f}"


def table_rows(page: Any, table: str) -> list[list[str]]:
    """The cells of a table's body as shown, row by row (``table``: a CSS selector)."""
    body = page.locator(f"{table} tbody tr")
    return [
        [cell.strip() for cell in body.nth(n).locator("th, td").all_inner_texts()]
        for n in range(body.count())
    ]


def coded_error_beside(area: Any, field: str, code: str, control: Any) -> Any:
    """The server's error for input ``field`` as ``area`` shows it, once it is there: it
    starts with ``code``, and ``control`` (the input it names) is marked invalid and described
    by it, as a screen reader needs. The error's locator, for further checks."""
    error = area.locator(f'[data-field="{field}"]')
    error.wait_for()
    assert error.inner_text().startswith(f"{code}: "), error.inner_text()
    assert control.get_attribute("aria-invalid") == "true"
    assert control.get_attribute("aria-describedby") == error.get_attribute("id")
    return error
