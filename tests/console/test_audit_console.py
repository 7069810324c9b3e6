"""The auditors' page exports every row its filters match, not only the pages on screen; the
decryption audit is bounded by "Until" on the server, as the trails are; a bad bound is the
server's coded error beside the input it names.

The CSV is compared with the API's whole list for the same filter, read page after page by
the test as the auditor (Tao Zhao, emp-048) through ``/graphql`` and
``/admin/crypto/graphql``.
"""

from __future__ import annotations

import csv
import io
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from tests.console.session import (
    EMPLOYEE,
    FINANCE,
    Console,
    assert_accessible,
    salary_of,
    signed_in,
)

AUDITOR = "emp-048"
PAGE_ROWS = 50  # the page's rows per "load more" (auditData.ts PAGE)
WRITER, READER = "emp-021", "emp-048"  # Na Li of HR writes to the auditor: nobody else's inbox
SEND = """mutation ($input: SendMessageInput!) { sendMessage(input: $input) { id } }"""
TRAIL = """query ($filter: AuditFilter, $after: String) {
  oaAuditTrail(filter: $filter, first: 100, after: $after) {
    edges { node { recordedAt kind entityType entityId subject } }
    pageInfo { hasNextPage endCursor }
  }
}"""
READS = """query ($subject: String, $coordinate: String, $since: String, $until: String,
  $after: String) {
  plaintextReads(subject: $subject, coordinate: $coordinate, since: $since, until: $until,
                 first: 500, after: $after) {
    nodes { at subject coordinate entityId }
    pageInfo { hasNextPage endCursor }
  }
}"""


def trail(console: Console, **filter: Any) -> list[tuple[str, str, str]]:
    """The OA trail's whole list for ``filter``, newest first: (at, entity id, kind)."""
    rows: list[tuple[str, str, str]] = []
    after = None
    while True:
        page = console.api.data(AUDITOR, TRAIL, filter=filter, after=after)["oaAuditTrail"]
        rows += [(e["node"]["recordedAt"], e["node"]["entityId"], e["node"]["kind"])
                 for e in page["edges"]]  # fmt: skip
        if not page["pageInfo"]["hasNextPage"]:
            return rows
        after = page["pageInfo"]["endCursor"]


def reads(console: Console, **variables: Any) -> list[tuple[str, str]]:
    """The decryption audit's whole list for ``variables``, newest first: (at, entity id)."""
    rows: list[tuple[str, str]] = []
    after = None
    headers = console.api.people(AUDITOR).headers
    with httpx.Client(base_url=console.base, headers=headers, timeout=30) as client:
        while True:
            answer = client.post(
                "/admin/crypto/graphql",
                json={"query": READS, "variables": {**variables, "after": after}},
            )
            assert answer.status_code == 200, answer.text
            page = answer.json()["data"]["plaintextReads"]
            rows += [(n["at"], n["entityId"]) for n in page["nodes"]]
            if not page["pageInfo"]["hasNextPage"]:
                return rows
            after = page["pageInfo"]["endCursor"]


def local(page: Any, instant: datetime) -> str:
    """``instant`` as a ``datetime-local`` value to the second, in the browser's time zone."""
    value: str = page.evaluate(
        """(iso) => { const d = new Date(iso);
                      d.setMinutes(d.getMinutes() - d.getTimezoneOffset());
                      return d.toISOString().slice(0, 19); }""",
        instant.isoformat(),
    )
    return value


def export(page: Any) -> list[dict[str, str]]:
    with page.expect_download() as started:
        page.get_by_role("button", name="Export CSV").click()
    text = Path(started.value.path()).read_bytes().decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text, newline="")))


def open_audit(page: Any, console: Console) -> Any:
    page.goto(f"{console.base}/audit")
    loaded = page.locator("#rows-loaded")
    loaded.get_by_text(f"{PAGE_ROWS} rows loaded").wait_for()
    return loaded


def test_the_csv_holds_every_row_the_filters_match_not_only_the_page_shown(
    browser: Any, console: Console
) -> None:
    since = datetime.now().astimezone().replace(microsecond=0) - timedelta(minutes=1)
    batch = uuid.uuid4().hex[:6]
    for number in range(PAGE_ROWS + 5):  # more than a page of rows by WRITER
        message = {"to": [READER], "subject": f"Export {batch} {number}", "body": "x"}
        console.api.data(WRITER, SEND, input=message)
    with signed_in(browser, console, "auditor") as page:
        loaded = open_audit(page, console)
        page.get_by_label("Actor (subject)").fill(WRITER)
        page.get_by_label("Entity type").fill("Message")
        page.get_by_label("From").fill(local(page, since))
        page.get_by_role("button", name="Show").click()
        page.locator("#audit-rows tbody tr").first.wait_for()
        loaded.get_by_text(f"{PAGE_ROWS} rows loaded").wait_for()  # one page on screen
        page.get_by_role("button", name="Load more").wait_for()  # and more behind it

        exported = export(page)
        full = trail(console, subject=WRITER, entityType="Message", **{"from": since.isoformat()})
        assert len(full) > PAGE_ROWS
        assert [(r["at"], r["entity_id"], r["kind"]) for r in exported] == full
        assert {r["actor"] for r in exported} == {WRITER}
        assert {r["actor_name"] for r in exported} == {"Na Li"}
        page.get_by_role("status").get_by_text(
            f"Exported {len(full)} rows: every row these filters match."
        ).wait_for()
        assert loaded.inner_text() == f"{PAGE_ROWS} rows loaded"  # the screen kept its page
        assert_accessible(page, "audit (exported)")


def test_until_bounds_the_decryption_audit_on_the_server(browser: Any, console: Console) -> None:
    salary_of(console, EMPLOYEE)  # Finance reads a salary in plaintext
    first = reads(console, subject=FINANCE, coordinate="Employee.salary")[0]
    earlier = datetime.fromisoformat(first[0])
    while datetime.now().astimezone() < earlier.replace(microsecond=0) + timedelta(seconds=1):
        time.sleep(0.05)  # the next read comes a whole second later than this one
    salary_of(console, EMPLOYEE)
    newest = reads(console, subject=FINANCE, coordinate="Employee.salary")[0]
    until = datetime.fromisoformat(newest[0]).replace(microsecond=0)  # just before the newest
    assert until > earlier
    with signed_in(browser, console, "auditor") as page:
        open_audit(page, console)
        page.get_by_label("Audit trail").select_option("decryption")
        page.get_by_label("Actor (subject)").fill(FINANCE)
        page.get_by_label("Field (Type.field)").fill("Employee.salary")
        page.get_by_label("Until").fill(local(page, until))
        page.get_by_role("button", name="Show").click()
        page.locator("#audit-rows tbody tr").first.wait_for()

        exported = [(r["at"], r["entity_id"]) for r in export(page)]
        expected = reads(
            console, subject=FINANCE, coordinate="Employee.salary", until=until.isoformat()
        )
        assert exported == expected
        assert first in exported and newest not in exported
        assert all(datetime.fromisoformat(at) < until for at, _ in exported)


def test_a_bound_before_the_start_is_a_coded_error_beside_until(
    browser: Any, console: Console
) -> None:
    now = datetime.now().astimezone()
    with signed_in(browser, console, "auditor") as page:
        open_audit(page, console)
        for trail_name, message in (
            ("oa", "BAD_USER_INPUT: `to` must be after `from`."),
            ("decryption", "BAD_USER_INPUT: until must be after since"),
        ):
            page.get_by_label("Audit trail").select_option(trail_name)
            page.get_by_label("From").fill(local(page, now))
            page.get_by_label("Until").fill(local(page, now - timedelta(hours=1)))
            page.get_by_role("button", name="Show").click()
            beside = page.locator("#to-error")
            beside.get_by_text(message).wait_for()
            until = page.get_by_label("Until")
            assert until.get_attribute("aria-invalid") == "true"
            assert until.get_attribute("aria-describedby") == "to-error"
            assert page.locator("#audit-rows").count() == 0
        assert_accessible(page, "audit (bad until)")
        page.get_by_label("Language").select_option("zh-CN")
        page.locator("#to-error").wait_for()
        assert_accessible(page, "audit (bad until, zh-CN)")
        page.get_by_role("button", name="清除筛选").click()
        page.locator("#to-error").wait_for(state="detached")
