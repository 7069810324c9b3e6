"""The security team's policy editor and the auditors' page of the console, in the real
headless Chromium against ``tandem dev`` (the fixtures of ``test_console``: the default
policy, its run-time store, the built-in provider's sign-in).

The security admin removes the employee's read of her messages in the editor: the dry run
shows that ``employee`` loses ``Query.messages`` (lint clean), she applies it, and the
employee's Home, open since before the change, is refused (FORBIDDEN) on its next poll (no
reload, no new sign-in); the change audit names the admin; a rollback gives the page back,
again on the employee's next poll. The auditor filters the OA trail and the
decryption audit, pages through with the cursor and exports CSV, whose rows are checked.
Both pages pass axe-core in English and Chinese; screenshots as in ``test_console``.
"""

from __future__ import annotations

import csv
import io
import re
import uuid
from pathlib import Path
from typing import Any

from tests.console.browser import screenshot, timed_load
from tests.console.session import (
    EMPLOYEE,
    FINANCE,
    MANAGER,
    WAIT_MS,
    Console,
    assert_accessible,
    report_load,
    salary_of,
    signed_in,
)

MESSAGES_RULE = "p, employee, *, Query.messages, read, allow"
SEND = """mutation ($input: SendMessageInput!) { sendMessage(input: $input) { id } }"""


def whoami(page: Any, console: Console) -> dict[str, Any]:
    found: dict[str, Any] = page.request.get(f"{console.base}/auth/me").json()
    return found


def test_a_security_admin_removes_a_read_the_employees_open_page_follows_and_rolls_back(
    browser: Any, console: Console
) -> None:
    subject = f"Policy console {uuid.uuid4().hex[:6]}"
    with (
        signed_in(browser, console, "employee") as mine,
        signed_in(browser, console, "security_admin") as page,
    ):
        employee = whoami(mine, console)["subject"]
        admin = whoami(page, console)
        console.api.data(MANAGER, SEND, input={"to": [employee], "subject": subject, "body": "Hi"})
        mine.reload()  # her Home lists the new message: it is open from here on
        messages = mine.locator("section", has=mine.locator("#messages-title"))
        messages.get_by_text(subject).wait_for()

        page.get_by_role("navigation").get_by_role("link", name="Policy").click()
        page.wait_for_url(f"{console.base}/policy")
        page.locator("#rules").wait_for()
        assert_accessible(page, "policy editor")
        seconds = timed_load(page, f"{console.base}/policy", "#rules tbody tr")
        report_load("policy editor", seconds)
        version = int(re.findall(r"\d+", page.locator("#policy-version").inner_text())[0])

        page.get_by_label("Search rules").fill("employee Query.messages")
        row = page.locator(f'#rules tr[data-rule="{MESSAGES_RULE}"]')
        assert page.locator("#rules tbody tr").count() == 1  # the search narrows to the rule
        row.get_by_role("button", name=f"Remove {MESSAGES_RULE}").focus()
        page.keyboard.press("Enter")  # by keyboard
        preview = page.locator("#preview")
        effects = preview.locator("#effects")
        effects.wait_for()
        assert effects.locator("tbody tr").count() == 1, effects.inner_text()
        cells = effects.locator("tbody tr th, tbody tr td").all_inner_texts()
        assert [cell.strip() for cell in cells] == ["employee", "loses", "Query.messages", "read"]
        assert preview.locator("#lint").inner_text() == "The change brings no lint problem."
        assert "test cases" in preview.locator("#tests").inner_text()
        assert_accessible(page, "policy editor, a change previewed")
        screenshot(page, console.shots, "policy")

        page.get_by_label("Dry run only: check the change, do not apply it").check()
        assert page.get_by_role("button", name="Apply").is_disabled()  # a dry run applies nothing
        page.get_by_label("Dry run only: check the change, do not apply it").uncheck()
        page.get_by_label("Comment for the change audit").fill("employees lose the inbox")
        page.get_by_role("button", name="Apply").click()
        page.locator("#policy-outcome").get_by_text(
            f"Applied: the policy is now version {version + 1}."
        ).wait_for()

        # her open page, on its next request (she goes to the Explorer and back to Home, in
        # the app: no reload, no new sign-in; Home is live and asks nothing until then): the
        # gateway refuses her Home's query now that it asks for what she may no longer read
        _next_request_from_home(mine)
        refused = mine.get_by_role("alert").get_by_text("Could not load: FORBIDDEN")
        refused.wait_for(timeout=WAIT_MS)

        entry = page.locator("#policy-audit tbody tr").first
        entry.get_by_text("employees lose the inbox").wait_for()
        assert entry.locator(".actor").inner_text() == f"{admin['name']} ({admin['subject']})"
        assert f"\N{MINUS SIGN} {MESSAGES_RULE}" in entry.inner_text()

        page.get_by_label("Person (employee id)").fill(employee)
        page.get_by_label("Field (Type.field)").fill("Query.messages")
        page.get_by_role("button", name="Explain", exact=True).click()
        page.locator("#explanation").get_by_text(
            "Denied by default: deny unlisted (no rule matches: the gateway's default)"
        ).wait_for()

        page.get_by_role("button", name=f"Roll back to version {version}").click()
        page.locator("#policy-outcome").get_by_text(
            f"Rolled back: the policy is now version {version + 2}."
        ).wait_for()
        _next_request_from_home(mine)
        refused.wait_for(state="detached", timeout=WAIT_MS)  # her next request reads them again
        messages.get_by_text(subject).wait_for()  # her inbox is back
        audit = page.locator("#policy-audit tbody tr").first
        audit.get_by_text("change · rollback", exact=True).wait_for()
        assert f"+ {MESSAGES_RULE}" in audit.inner_text()

        # an edit is a removal and an addition, previewed together; discarded here
        announcements = "p, employee, *, Query.announcements, read, allow"
        page.get_by_label("Search rules").fill("employee Query.announcements")
        page.get_by_role("button", name=f"Edit {announcements}").click()
        assert page.get_by_label("Object", exact=True).input_value() == "Query.announcements"
        page.get_by_role("combobox", name=re.compile("^Effect")).select_option("deny")
        page.get_by_role("button", name="Add to the change").click()
        lines = page.locator("#change-lines").inner_text()
        assert f"Remove: {announcements}" in lines
        assert "Add: p, employee, *, Query.announcements, read, deny" in lines
        effects.get_by_text("Query.announcements").wait_for()
        assert effects.locator("tbody tr").count() == 1, effects.inner_text()
        page.get_by_role("button", name="Discard the change").click()
        page.get_by_text("No change yet").wait_for()

        page.get_by_label("Language").select_option("zh-CN")
        assert page.locator("h1").inner_text() == "权限策略编辑"
        assert_accessible(page, "policy editor (zh-CN)")
        page.get_by_label("语言").select_option("en")


def _next_request_from_home(page: Any) -> None:
    """The employee leaves Home for the Explorer and comes back through the navigation: Home
    asks the API for its lists again (the app's own navigation, no reload)."""
    navigation = page.get_by_role("navigation")
    navigation.get_by_role("link", name="Explorer").click()
    page.wait_for_url(re.compile(r"/explorer$"))
    navigation.get_by_role("link", name="Home").click()
    page.wait_for_url(re.compile(r"/$"))


def _local(page: Any, offset_minutes: int) -> str:
    """A ``datetime-local`` value ``offset_minutes`` from now, in the browser's time zone."""
    value: str = page.evaluate(
        """(m) => { const d = new Date(Date.now() + m * 60000);
                    d.setMinutes(d.getMinutes() - d.getTimezoneOffset());
                    return d.toISOString().slice(0, 16); }""",
        offset_minutes,
    )
    return value


def _export(page: Any) -> list[dict[str, str]]:
    with page.expect_download() as started:
        page.get_by_role("button", name="Export CSV").click()
    raw = Path(started.value.path()).read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 with a byte order mark, for spreadsheets
    text = raw.decode("utf-8-sig")
    assert text.endswith("\r\n")  # RFC 4180 line ends
    return list(csv.DictReader(io.StringIO(text, newline="")))


def test_an_auditor_filters_the_trails_pages_and_exports_csv(
    browser: Any, console: Console
) -> None:
    subject = f"Audit console {uuid.uuid4().hex[:6]}"
    console.api.data(MANAGER, SEND, input={"to": [EMPLOYEE], "subject": subject, "body": "x"})
    salary_of(console, EMPLOYEE)  # Finance reads a salary in plaintext: a decryption audited
    with signed_in(browser, console, "auditor") as page:
        page.get_by_role("navigation").get_by_role("link", name="Audit").click()
        page.wait_for_url(f"{console.base}/audit")
        loaded = page.locator("#rows-loaded")
        loaded.get_by_text("50 rows loaded").wait_for()  # the OA trail, newest first
        assert_accessible(page, "audit")
        seconds = timed_load(page, f"{console.base}/audit", "#audit-rows tbody tr")
        report_load("audit", seconds)
        page.get_by_role("button", name="Load more").click()  # the next page by its cursor
        loaded.get_by_text("100 rows loaded").wait_for()
        seq = page.locator("#audit-rows tbody tr").evaluate_all("rows => rows.length")
        assert seq == 100

        page.get_by_label("Actor (subject)").fill(MANAGER)
        page.get_by_label("Entity type").fill("Message")
        page.get_by_label("Kind").select_option("CREATE")
        page.get_by_label("From").fill(_local(page, -60))
        page.get_by_label("Until").fill(_local(page, 60))
        page.get_by_role("button", name="Show").click()
        rows = page.locator("#audit-rows tbody tr")
        loaded.filter(has_not_text="100 rows loaded").wait_for()  # the filtered first page
        rows.filter(has_text=subject).wait_for()
        shown = rows.all_inner_texts()
        assert all(MANAGER in row and "Message" in row for row in shown), shown
        screenshot(page, console.shots, "audit")
        exported = _export(page)
        assert len(exported) == len(shown)
        assert {row["actor"] for row in exported} == {MANAGER}
        assert {row["entity_type"] for row in exported} == {"Message"}
        assert {row["kind"] for row in exported} == {"CREATE"}
        assert any(subject in row["detail"] for row in exported)
        assert {row["actor_name"] for row in exported} == {"Hui Yang"}

        page.get_by_label("Audit trail").select_option("decryption")
        page.get_by_label("Actor (subject)").fill(FINANCE)
        page.get_by_label("Field (Type.field)").fill("Employee.salary")
        page.get_by_role("button", name="Show").click()
        rows.filter(has_text="Employee.salary").first.wait_for()
        assert_accessible(page, "audit, decryptions")
        reads = _export(page)
        assert reads and {row["actor"] for row in reads} == {FINANCE}
        assert {row["entity_type"] for row in reads} == {"Employee.salary"}
        assert EMPLOYEE in {row["entity_id"] for row in reads}
        assert all(row["kind"] == "DECRYPT" for row in reads)

        page.get_by_label("Language").select_option("zh-CN")
        assert page.locator("h1").inner_text() == "审计"
        assert_accessible(page, "audit (zh-CN)")
