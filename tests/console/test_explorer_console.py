"""The Explorer's plan panel in the browser (issue 18, item 3): the integrator, a developer
against the API, runs an operation and sees its answer and its query plan (``POST /plan``)
naming the subgraph and the estimated cost; an employee, whose role may not see plans, is told
so and shown none; the plan API keeps the CSRF rule for the session cookie. Axe passes on the
page in English and Chinese (GraphiQL's own markup excepted: ``GRAPHIQL_KNOWN``)."""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import quote

from tests.console.browser import screenshot, timed_load
from tests.console.session import (
    Console,
    assert_accessible,
    introspection,
    report_load,
    signed_in,
)

ITEMS = "{ items(first: 3) { edges { node { sku name } } } }"


def _plan_answer(response: Any) -> bool:
    return bool(response.request.method == "POST" and response.url.endswith("/plan"))


def _open(page: Any, console: Console, query: str, word: str = "items") -> float:
    """The Explorer opened on ``query`` (its ``word`` in the editor); the load's seconds."""
    url = f"{console.base}/explorer?query={quote(query)}"
    with page.expect_response(introspection):  # GraphiQL reads the caller's schema first
        seconds = timed_load(page, url, ".graphiql-container")
    page.locator(".graphiql-query-editor").get_by_text(word).first.wait_for()
    return seconds


def test_the_integrator_sees_the_answer_and_the_plan_naming_the_subgraph(
    browser: Any, console: Console
) -> None:
    with signed_in(browser, console, "integrator") as page:
        report_load("explorer (integrator)", _open(page, console, ITEMS))
        with page.expect_response(_plan_answer) as planned:
            page.get_by_role("button", name=re.compile("Execute")).click()
        assert planned.value.status == 200
        result = page.locator(".graphiql-response")
        result.get_by_text("SKU-0001").wait_for()
        assert '"sku": "SKU-0001"' in result.inner_text()
        panel = page.get_by_role("region", name="Query plan")
        plan = panel.get_by_label("Query plan of the current operation")
        plan.get_by_text('Fetch(service: "erp")').wait_for()
        assert plan.inner_text().startswith("QueryPlan {")
        assert panel.get_by_test_id("plan-subgraphs").inner_text() == "erp"
        assert re.match(r"^\d[\d,]* \(maximum ", panel.get_by_test_id("plan-cost").inner_text())
        assert_accessible(page, "explorer (integrator)")
        screenshot(page, console.shots, "explorer")
        # an edit is planned once typing pauses, without running it
        page.locator(".graphiql-query-editor .CodeMirror").click()
        page.keyboard.press("Control+A")
        page.keyboard.insert_text("{ warehouses(first: 2) { edges { node { code } } } }")
        plan.get_by_text("warehouses(first: 2)").wait_for()
        assert "SKU-0001" in result.inner_text()  # the answer is still the last run's


def test_the_plan_panel_in_chinese_passes_axe(browser: Any, console: Console) -> None:
    with signed_in(browser, console, "integrator", locale="zh-CN") as page:
        _open(page, console, ITEMS)
        panel = page.get_by_role("region", name="查询计划")
        panel.get_by_label("当前操作的查询计划").get_by_text('Fetch(service: "erp")').wait_for()
        assert panel.get_by_test_id("plan-subgraphs").inner_text() == "erp"
        assert_accessible(page, "explorer (integrator, zh-CN)")


def test_an_employee_is_told_plans_are_not_for_her_role(browser: Any, console: Console) -> None:
    with signed_in(browser, console, "employee") as page:
        with page.expect_response(_plan_answer) as refused:
            _open(page, console, "{ me { name } }", "me")
        assert refused.value.status == 403
        assert refused.value.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
        panel = page.get_by_role("region", name="Query plan")
        panel.get_by_role("status").get_by_text("Your role may not see query plans").wait_for()
        page.get_by_role("button", name=re.compile("Execute")).click()
        page.locator(".graphiql-response").get_by_text('"name": "Ying Xu"').wait_for()
        assert panel.get_by_test_id("plan-text").count() == 0
        assert "QueryPlan" not in page.content()
        assert_accessible(page, "explorer (employee)")


def test_the_plan_api_keeps_the_csrf_rule_for_the_session_cookie(
    browser: Any, console: Console
) -> None:
    """A request a cross-site page could send (a simple content type, no CSRF header) is
    refused before anything is planned; the console's own request is answered."""
    with signed_in(browser, console, "integrator") as page:
        body = json.dumps({"query": ITEMS})
        cross_site = page.request.post(
            f"{console.base}/plan", data=body, headers={"content-type": "text/plain"}
        )
        assert cross_site.status == 403
        assert cross_site.json()["errors"][0]["extensions"]["code"] == "CSRF_REJECTED"
        own = page.request.post(
            f"{console.base}/plan",
            data=body,
            headers={"content-type": "application/json", "x-tandem-csrf": "1"},
        )
        assert own.status == 200
        assert own.json()["subgraphs"] == ["erp"]
