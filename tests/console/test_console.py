"""The web console in a real headless Chromium (Debian's, driven by Playwright) against
``tandem dev`` as ``make run`` starts it: the default policy, the built-in OpenID provider.

People sign in through the console's sign-in page and the provider's form, as a person
would. The employee (Ying Xu, emp-002) sees her requests and where each waits, and her own
salary, never another person's; the manager of her department (Hui Yang, emp-001) decides
her request with the budget position and history in view, and her open page shows the
decision as it happens (a subscription: ``test_live_console.py``). Every page passes axe-core
with no serious or critical violation; each page's load time is printed (not asserted);
screenshots go to a temporary folder, or to ``TANDEM_CONSOLE_SCREENSHOTS`` (the README's come
from ``docs/screenshots``).
"""

from __future__ import annotations

import re
import uuid
from decimal import Decimal
from typing import Any
from urllib.parse import quote

import httpx

from tests.console.browser import screenshot, timed_load
from tests.console.session import (
    EMPLOYEE,
    MANAGER,
    STATUS,
    WAIT_MS,
    Console,
    assert_accessible,
    introspection,
    report_load,
    salary_of,
    signed_in,
    submit,
)


def test_the_sign_in_page_speaks_the_browsers_language_and_switches(
    browser: Any, console: Console
) -> None:
    context = browser.new_context(locale="zh-CN")
    context.set_default_timeout(WAIT_MS)
    try:
        page = context.new_page()
        seconds = timed_load(page, f"{console.base}/", "h1")
        report_load("sign-in", seconds)
        page.wait_for_url(re.compile(r"/signin\?return_to=%2F"))
        assert page.locator("h1").inner_text() == "登录 Tandem"
        assert page.locator("html").get_attribute("lang") == "zh-CN"
        assert_accessible(page, "sign-in (zh-CN)")
        page.get_by_label("语言").select_option("en")
        assert page.locator("h1").inner_text() == "Sign in to Tandem"
        assert page.locator("html").get_attribute("lang") == "en"
        screenshot(page, console.shots, "signin")
        page.reload()  # the choice is kept
        assert page.locator("h1").inner_text() == "Sign in to Tandem"
        page.keyboard.press("Tab")  # the keyboard's first stop skips to the content
        assert page.evaluate("() => document.activeElement.textContent") == "Skip to content"
        page.keyboard.press("Enter")
        assert page.evaluate("() => document.activeElement.id") == "main"
    finally:
        context.close()


def test_an_employee_sees_her_requests_where_each_waits_and_her_own_pay(
    browser: Any, console: Console
) -> None:
    title = f"Console chairs {uuid.uuid4().hex[:6]}"
    request_id = submit(console, title)
    own = Decimal(salary_of(console, EMPLOYEE))
    with signed_in(browser, console, "employee") as page:
        assert page.locator("h1").inner_text() == "Welcome, Ying Xu"
        row = page.locator(f'#my-requests tr[data-request-id="{request_id}"]')
        assert row.locator("th").inner_text() == title
        cells = row.locator("td").all_inner_texts()
        assert cells[0] == "CN¥300.00", cells  # money for the locale, from a decimal string
        assert cells[2] == "Pending", cells
        assert "Hui Yang" in cells[3], cells  # the step waits for her department's manager
        assert page.get_by_text("Nothing is waiting for your decision.").is_visible()
        assert page.get_by_test_id("my-salary").inner_text() == f"CN¥{own:,.2f}"
        assert_accessible(page, "home (employee)")
        seconds = timed_load(page, f"{console.base}/", f'tr[data-request-id="{request_id}"]')
        report_load("home", seconds)
        screenshot(page, console.shots, "home")

        page.get_by_label("Language").select_option("zh-CN")  # money and dates follow
        assert page.locator("h1").inner_text() == "欢迎\uff0cYing Xu"  # a full-width comma
        assert row.locator("td").first.inner_text() == "¥300.00"
        assert row.locator("td").nth(2).inner_text() == "审批中"
        page.set_viewport_size({"width": 390, "height": 844})  # a phone: one column, no
        assert page.evaluate(  # sideways scrolling of the page (wide tables scroll alone)
            "() => document.documentElement.scrollWidth <= window.innerWidth"
        )
        screenshot(page, console.shots, "home-phone-zh")

        page.get_by_role("button", name="退出登录").click()  # sign out: session ended
        page.wait_for_url(re.compile(r"/signin"))
        assert page.request.get(f"{console.base}/auth/me").status == 401


def test_an_employee_never_sees_another_persons_salary(browser: Any, console: Console) -> None:
    """Not on Home, not through the Explorer on her own schema: the field is null with
    FORBIDDEN, and the figure Finance reads appears nowhere in the page."""
    secret = Decimal(salary_of(console, MANAGER))
    figures = (f"{secret:.2f}", f"{secret:,.2f}", f"{secret:,.0f}")
    with signed_in(browser, console, "employee") as page:
        home = page.content()
        query = '{ employee(id: "emp-001") { name salary { amount currency } } }'
        url = f"{console.base}/explorer?query={quote(query)}"
        with page.expect_response(introspection):  # GraphiQL reads her schema first
            seconds = timed_load(page, url, ".graphiql-container")
        report_load("explorer", seconds)
        page.locator(".graphiql-query-editor").get_by_text("emp-001").wait_for()
        page.get_by_role("button", name=re.compile("Execute")).click()
        result = page.locator(".graphiql-response")
        result.get_by_text("FORBIDDEN").wait_for()
        shown = result.inner_text()
        assert '"name": "Hui Yang"' in shown and '"salary": null' in shown, shown
        assert_accessible(page, "explorer")
        screenshot(page, console.shots, "explorer-employee")
        for text in (home, page.content(), shown):
            assert not any(figure in text for figure in figures)


def test_a_manager_approves_with_budget_and_history_in_view(browser: Any, console: Console) -> None:
    title = f"Console desks {uuid.uuid4().hex[:6]}"
    request_id = submit(console, title)
    with (
        signed_in(browser, console, "employee") as mine,
        signed_in(browser, console, "manager") as page,
    ):
        waiting = mine.locator(f'#my-requests tr[data-request-id="{request_id}"] td').nth(2)
        assert waiting.inner_text() == "Pending"
        inbox_row = page.locator(f'#inbox tr[data-request-id="{request_id}"]')
        assert inbox_row.locator("td").first.inner_text() == "Ying Xu"
        assert_accessible(page, "home (manager)")
        screenshot(page, console.shots, "inbox")
        inbox_row.get_by_role("link", name=title).click()
        page.wait_for_url(f"{console.base}/approvals/{request_id}")
        budget = page.locator("#budget")
        budget.get_by_text("This request").wait_for()
        assert "CN¥300.00" in budget.inner_text()
        history = page.locator("#history")
        assert "Submitted Ying Xu" in history.inner_text()
        assert_accessible(page, "approval")
        screenshot(page, console.shots, "approval")
        seconds = timed_load(page, f"{console.base}/approvals/{request_id}", "#budget dl")
        report_load("approval", seconds)

        page.get_by_label("Comment (required to reject)").fill("Fine by me")
        page.keyboard.press("Tab")  # by keyboard: the comment's next stop is Approve
        assert page.evaluate("() => document.activeElement.textContent") == "Approve"
        page.keyboard.press("Enter")
        page.get_by_role("status").get_by_text("Your decision was recorded").wait_for()
        history.get_by_text("Approved Hui Yang").wait_for()
        status = console.api.data(EMPLOYEE, STATUS, id=request_id)["approvalRequest"]
        assert status["status"] == "APPROVED", status
        # her open Home shows the decision, no reload (live: test_live_console.py)
        waiting.get_by_text("Approved").wait_for(timeout=60_000)


def test_the_page_and_its_assets_are_served_as_a_console_should(console: Console) -> None:
    with httpx.Client(base_url=console.base) as client:
        page = client.get("/approvals/anything")
        assert page.status_code == 200 and '<div id="root">' in page.text
        assert page.headers["cache-control"] == "no-cache"
        assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
        script = re.search(r'src="(/assets/[^"]+\.js)"', page.text)
        assert script, page.text
        asset = client.get(script.group(1))
        assert asset.status_code == 200
        assert asset.headers["cache-control"] == "public, max-age=31536000, immutable"
        assert client.get("/assets/").status_code == 404  # no listing
        missing = client.get("/assets/..%2Fpackage.json")
        assert missing.status_code == 404
        assert missing.json()["errors"][0]["extensions"]["code"] == "NOT_FOUND"


def test_a_manager_rejects_only_with_a_reason(browser: Any, console: Console) -> None:
    title = f"Console lamps {uuid.uuid4().hex[:6]}"
    request_id = submit(console, title, price="2100.50")
    with signed_in(browser, console, "manager") as page:
        page.goto(f"{console.base}/approvals/{request_id}")
        budget = page.locator("#budget")
        budget.get_by_text("Within budget.").wait_for()
        assert "CN¥4,201.00" in budget.inner_text()
        page.get_by_role("button", name="Reject").click()
        page.get_by_role("alert").get_by_text("Write a comment to reject.").wait_for()
        assert console.api.data(EMPLOYEE, STATUS, id=request_id)["approvalRequest"] == {
            "status": "PENDING",
            "history": [{"action": "SUBMITTED"}],
        }  # nothing was sent
        page.get_by_label("Comment (required to reject)").fill("Not this quarter")
        page.get_by_role("button", name="Reject").click()
        page.get_by_role("status").get_by_text("Your decision was recorded: Rejected.").wait_for()
        history = page.locator("#history")
        history.get_by_text("Rejected Hui Yang").wait_for()
        assert "Not this quarter" in history.inner_text()
        assert page.get_by_text("This request is not waiting for your decision.").count() == 0
    status = console.api.data(EMPLOYEE, STATUS, id=request_id)["approvalRequest"]
    assert status["status"] == "REJECTED", status
