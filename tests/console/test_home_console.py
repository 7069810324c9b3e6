"""Home's forms and the dashboards of the console, in the real headless Chromium against
``tandem dev`` (the fixtures of ``test_console``: the default policy, the built-in sign-in).

The employee submits a purchase request from Home: the department's budget position appears
beside the form and the request under "My requests", as the API lists it; an unknown SKU is
the server's BAD_USER_INPUT, shown next to the SKU input it names, and nothing is submitted;
so is an expense claim without an amount, and one with an amount is submitted.
She books a room (her meetings list it, as the API does) and booking it again at that time
shows the server's CONFLICT beside the room; a document of hers is listed. The manager of
the Executive Office opens the dashboards: every chart's table holds the figures the API
answers for the same query; the head of Finance, whom the policy gives no production
figures, is told so while the rest shows. Every page passes axe-core in English and
Chinese; screenshots as in ``test_console`` (``dashboards.png`` is the README's).
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from subgraphs.erp.store.base import current_period
from tests.console.browser import screenshot, timed_load
from tests.console.session import (
    EMPLOYEE,
    FINANCE,
    MANAGER,
    Console,
    assert_accessible,
    cny,
    report_load,
    signed_in,
    table_rows,
)

MY_REQUESTS = (
    "{ myApprovalRequests(first: 50) { edges { node { id title status amount { amount } } } } }"
)
MY_MEETINGS = """query ($from: DateTime) {
  myMeetings(start: $from, first: 50) { edges { node { id title start room { id name } } } }
}"""
CREATE_DOCUMENT = "mutation ($input: CreateDocumentInput!) { createDocument(input: $input) { id } }"
SALES = """query ($period: String!) {
  salesAgainstForecast(period: $period) { label quantity forecastQuantity }
}"""
BUDGET_USE = """query ($period: String!) {
  budgetUse(period: $period) { department { name } amount { amount } committed { amount }
    spent { amount } available { amount } }
}"""
STOCK = "{ stockValue { warehouseName units value { amount } } }"
PRODUCTION = "query ($period: String!) { productionSummary(period: $period) { item { name } } }"
PROCESS = "{ approvalAnalytics { flows { kind } slowestSteps(first: 5) { kind number name } } }"


def chart_rows(page: Any, chart: str) -> list[list[str]]:
    """The rows of a chart's text alternative: its name, then the figures as shown."""
    return table_rows(page, f"#{chart} .chart-table")


def test_an_employee_submits_a_purchase_request_and_sees_coded_errors_where_they_belong(
    browser: Any, console: Console
) -> None:
    title = f"Console monitors {uuid.uuid4().hex[:6]}"
    with signed_in(browser, console, "employee") as page:
        form = page.locator("section.new-request")
        form.get_by_label("Title").fill(title)
        form.get_by_label("SKU").fill("SKU-0001")
        form.get_by_label("Quantity").fill("3")
        form.get_by_label("Unit price (CNY)").fill("120.50")
        assert_accessible(page, "home with the request form")
        form.get_by_role("button", name="Submit request").click()
        form.locator("#request-submitted").get_by_text(title).wait_for()
        budget = form.locator("#budget")  # the budget position beside the form
        budget.get_by_text("This request").wait_for()
        assert "CN¥361.50" in budget.inner_text()
        assert current_period() in budget.inner_text()
        mine = console.api.data(EMPLOYEE, MY_REQUESTS)["myApprovalRequests"]["edges"]
        (submitted,) = [e["node"] for e in mine if e["node"]["title"] == title]
        assert submitted["status"] == "PENDING" and submitted["amount"]["amount"] == "361.50"
        row = page.locator(f'#my-requests tr[data-request-id="{submitted["id"]}"]')
        assert row.locator("th").inner_text() == title  # under "My requests" without reload
        assert row.locator("td").nth(2).inner_text() == "Pending"
        screenshot(page, console.shots, "home-request")

        unknown = f"{title} (unknown item)"
        form.get_by_label("Title").fill(unknown)
        form.get_by_label("SKU").fill("SKU-NOPE-1")
        form.get_by_label("Quantity").fill("1")
        form.get_by_label("Unit price (CNY)").fill("10.00")
        form.get_by_role("button", name="Submit request").click()
        error = form.locator('[data-field="input.items.0.sku"]')
        error.wait_for()
        assert error.inner_text().startswith("BAD_USER_INPUT: "), error.inner_text()
        assert "SKU-NOPE-1" in error.inner_text()
        sku = form.get_by_label("SKU")
        assert sku.get_attribute("aria-invalid") == "true"
        assert sku.get_attribute("aria-describedby") == error.get_attribute("id")
        assert form.locator(".field-error").count() == 1  # beside the SKU only
        assert_accessible(page, "home with a coded error")
        mine = console.api.data(EMPLOYEE, MY_REQUESTS)["myApprovalRequests"]["edges"]
        assert not [e for e in mine if e["node"]["title"] == unknown]  # nothing was submitted

        form.get_by_label("Expense claim").check()  # an expense claim: no amount is coded too
        claim = f"{title} (taxi)"
        form.get_by_label("Title").fill(claim)
        form.get_by_role("button", name="Submit request").click()
        missing = form.locator('[data-field="input.amount"]')
        missing.wait_for()
        assert missing.inner_text().startswith("BAD_USER_INPUT: "), missing.inner_text()
        form.get_by_label("Amount (CNY)").fill("88.00")
        form.get_by_role("button", name="Submit request").click()
        form.locator("#request-submitted").get_by_text(claim).wait_for()
        assert "CN¥88.00" in form.locator("#budget").inner_text()
        mine = console.api.data(EMPLOYEE, MY_REQUESTS)["myApprovalRequests"]["edges"]
        (expense,) = [e["node"] for e in mine if e["node"]["title"] == claim]
        page.locator(f'#my-requests tr[data-request-id="{expense["id"]}"]').wait_for()

        page.get_by_label("Language").select_option("zh-CN")
        assert form.get_by_role("button", name="提交申请").is_visible()
        amount = form.get_by_label("金额\uff08CNY\uff09")  # full-width brackets
        assert amount.is_visible()


def test_an_employee_books_a_room_a_clash_is_a_coded_conflict_and_sees_her_documents(
    browser: Any, console: Console
) -> None:
    tag = uuid.uuid4().hex[:6]
    document = f"Console notes {tag}"
    console.api.data(EMPLOYEE, CREATE_DOCUMENT, input={"title": document, "folder": "/console"})
    title = f"Console sync {tag}"
    day = datetime.now(UTC).date() + timedelta(days=20 + int(tag, 16) % 300)  # a year at most
    with signed_in(browser, console, "employee") as page:
        page.locator("#my-documents").get_by_text(document).wait_for()
        booking = page.locator("form.book")
        room = booking.get_by_label("Room")
        room.locator("option").nth(1).wait_for(state="attached")  # the rooms have come
        choices = room.locator("option").all_inner_texts()
        assert choices[0] == "Choose a room" and len(choices) > 1, choices
        room.select_option(index=1)
        room_id = room.input_value()
        booking.get_by_label("Meeting title").fill(title)
        booking.get_by_label("Start").fill(f"{day.isoformat()}T10:00")
        booking.get_by_label("End").fill(f"{day.isoformat()}T11:00")
        booking.get_by_role("button", name="Book").click()
        booking.locator("#book-done").get_by_text(title).wait_for()
        meetings = console.api.data(EMPLOYEE, MY_MEETINGS, **{"from": None})["myMeetings"]
        (booked,) = [e["node"] for e in meetings["edges"] if e["node"]["title"] == title]
        assert booked["room"]["id"] == room_id
        row = page.locator(f'#my-meetings tr[data-meeting-id="{booked["id"]}"]')
        assert row.locator("th").inner_text() == title
        assert row.locator("td").first.inner_text() == booked["room"]["name"]
        assert_accessible(page, "home with meetings")
        screenshot(page, console.shots, "home-meetings")

        booking.get_by_label("Meeting title").fill(f"{title} again")  # the same room and time
        booking.get_by_role("button", name="Book").click()
        clash = booking.locator('[data-field="input.roomId"]')  # the server names the room
        clash.wait_for()
        assert clash.inner_text().startswith("CONFLICT: "), clash.inner_text()
        assert room.get_attribute("aria-invalid") == "true"
        assert room.get_attribute("aria-describedby") == clash.get_attribute("id")
        meetings = console.api.data(EMPLOYEE, MY_MEETINGS, **{"from": None})["myMeetings"]
        assert not [e for e in meetings["edges"] if e["node"]["title"] == f"{title} again"]


def test_a_manager_sees_the_apis_figures_on_the_dashboards(browser: Any, console: Console) -> None:
    period = current_period()
    with signed_in(browser, console, "manager") as page:
        page.get_by_role("navigation").get_by_role("link", name="Dashboards").click()
        page.wait_for_url(f"{console.base}/dashboards")
        for chart in ("sales", "budget-use", "stock", "yield", "cycle", "bottlenecks", "backlog"):
            answered = f'[data-chart="{chart}"] :is(figure, p:not([role="status"]))'
            page.locator(answered).first.wait_for()

        sales = console.api.data(MANAGER, SALES, period=period)["salesAgainstForecast"]
        assert chart_rows(page, "sales-chart") == [
            [row["label"], f"{row['quantity']:,}", _forecast(row["forecastQuantity"])]
            for row in sales
        ]
        budget = console.api.data(MANAGER, BUDGET_USE, period=period)["budgetUse"]
        assert chart_rows(page, "budget-chart") == [
            [row["department"]["name"]]
            + [cny(row[f]["amount"]) for f in ("amount", "committed", "spent", "available")]
            for row in budget
            if row is not None
        ]
        stock = console.api.data(MANAGER, STOCK)["stockValue"]
        assert stock, "the demo company has stock"
        assert chart_rows(page, "stock-chart") == [
            [row["warehouseName"], cny(row["value"]["amount"]), f"{row['units']:,}"]
            for row in stock
        ]
        items = console.api.data(MANAGER, PRODUCTION, period=period)["productionSummary"]
        assert [r[0] for r in chart_rows(page, "yield-chart")] == [i["item"]["name"] for i in items]
        process = console.api.data(MANAGER, PROCESS)["approvalAnalytics"]
        assert [r[0] for r in chart_rows(page, "cycle-chart")] == [
            f["kind"] for f in process["flows"]
        ]
        assert [r[0] for r in chart_rows(page, "bottleneck-chart")] == [
            f"{s['kind']} {s['number']}. {s['name']}" for s in process["slowestSteps"]
        ]
        assert page.locator("svg[aria-hidden='true']").count() >= 3  # drawn, tables beside
        assert_accessible(page, "dashboards")
        screenshot(page, console.shots, "dashboards")
        seconds = timed_load(page, f"{console.base}/dashboards", "#stock-chart table")
        report_load("dashboards", seconds)

        page.get_by_label("Language").select_option("zh-CN")
        page.get_by_role("heading", name="经营概览").wait_for()
        assert_accessible(page, "dashboards (zh-CN)")


def test_finance_sees_the_overview_it_may_and_is_told_what_it_may_not(
    browser: Any, console: Console
) -> None:
    refused = console.api.post(FINANCE, PRODUCTION, period=current_period())
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN", refused
    with signed_in(browser, console, "finance") as page:
        page.goto(f"{console.base}/dashboards")  # a reload or a shared link lands here too
        page.locator("#stock-chart table").wait_for()
        production = page.locator('[data-chart="yield"]')
        production.get_by_text("Not available to you.").wait_for()
        assert production.locator("table").count() == 0
        budget = console.api.data(FINANCE, BUDGET_USE, period=current_period())["budgetUse"]
        names = [r[0] for r in chart_rows(page, "budget-chart")]
        assert names == [row["department"]["name"] for row in budget if row is not None]
    with signed_in(browser, console, "employee") as page:  # no dashboards in her navigation
        nav = page.get_by_role("navigation")
        assert nav.get_by_role("link", name="Home").is_visible()
        assert nav.get_by_role("link", name="Dashboards").count() == 0


def _forecast(value: str | None) -> str:
    """A forecast quantity ("12.50") as the English page shows it (12.5); "—" for none."""
    if value is None:
        return "—"
    shown = f"{Decimal(value):,.3f}".rstrip("0").rstrip(".")
    return shown if not re.fullmatch(r"-?0", shown) else "0"
