"""Home kept current by the gateway's subscriptions (graphql-ws over the page's WebSocket at
``/graphql``, the session cookie), and polling only when they are unavailable.

The employee's open Home shows her manager's decision without a reload and without any
GraphQL request over HTTP: the event comes over the WebSocket and patches the row (a poll is
a POST to ``/graphql``, and the page sends none between the decision and its showing). The
time from the decision to the screen is printed, not asserted. Another person's decision
never reaches her page. A WebSocket the page cannot use (closed by the test with the
gateway's "internal error" code) leaves the page polling, which it says politely; the
decision then arrives with a poll.

Events are not replayed from before a subscription starts (no ``after``), so each test first
sees a message sent to the employee arrive live: her subscriptions, sent together over one
WebSocket, are then running at OA before the decision is made.
"""

from __future__ import annotations

import re
import time
import uuid
from typing import Any

from subgraphs.erp.store.base import current_period
from tests.console.session import (
    EMPLOYEE,
    MANAGER,
    Console,
    assert_accessible,
    signed_in,
    submit,
)
from tests.e2e.flows import approve_fully, item, submit_purchase

SEND = """mutation ($input: SendMessageInput!) { sendMessage(input: $input) { id } }"""
OTHER = "emp-006"  # Na Chen, Finance: a request of someone else's
POLL_SECONDS = 10  # Home's INBOX_POLL_SECONDS


def graphql_posts(page: Any) -> list[str]:
    """Every GraphQL request the page sends over HTTP from now on (a poll would be one)."""
    sent: list[str] = []
    page.on(
        "request",
        lambda request: (
            sent.append(request.post_data or "")
            if request.method == "POST" and request.url.endswith("/graphql")
            else None
        ),
    )
    return sent


def message_arrives(console: Console, page: Any) -> None:
    """The manager writes to the employee; the message shows on her Home without a reload."""
    subject = f"Live check {uuid.uuid4().hex[:6]}"
    console.api.data(
        MANAGER, SEND, input={"to": [EMPLOYEE], "subject": subject, "body": "Are you there?"}
    )
    page.locator("ul.messages").get_by_text(subject).wait_for()


def test_the_managers_decision_reaches_her_open_home_over_the_websocket_not_a_poll(
    browser: Any, console: Console
) -> None:
    title = f"Live desks {uuid.uuid4().hex[:6]}"
    request_id = submit(console, title)
    theirs = submit_purchase(
        console.api, OTHER, f"Not hers {uuid.uuid4().hex[:6]}", [item("SKU-0001", 1, "80.00")],
        current_period(),
    )  # fmt: skip
    with signed_in(browser, console, "employee") as page:
        # the first load's socket opens before the listener, never racing it: counted are
        # the sockets of the reloaded page alone
        page.locator('#live-status[data-live="on"]').wait_for()
        sockets: list[str] = []
        frames: list[str] = []

        def opened(socket: Any) -> None:
            sockets.append(socket.url)
            socket.on("framereceived", lambda payload: frames.append(str(payload)))

        page.on("websocket", opened)
        page.reload()  # with the listener in place from the page's start
        status = page.locator(f'#my-requests tr[data-request-id="{request_id}"] td').nth(2)
        assert status.inner_text() == "Pending"
        live = page.locator('#live-status[data-live="on"]')
        live.get_by_text("Live: changes appear as they happen.").wait_for()
        assert sockets == [re.sub(r"^http", "ws", console.base) + "/graphql"], sockets
        message_arrives(console, page)

        posts = graphql_posts(page)
        approve_fully(console.api, theirs, OTHER)  # someone else's decision first
        decided = time.perf_counter()
        approve_fully(console.api, request_id, EMPLOYEE)
        status.get_by_text("Approved").wait_for()
        seconds = time.perf_counter() - decided
        print(f"console live update: decision to screen {seconds * 1000:.0f} ms")

        assert posts == [], posts  # no poll, no query: the event alone changed the row
        assert live.count() == 1  # and the page was live (not polling) throughout
        events = [f for f in frames if request_id in f and '"APPROVED"' in f]
        assert events, frames
        assert not any(theirs in f for f in frames), "another person's request reached her"
        assert page.locator(f'tr[data-request-id="{theirs}"]').count() == 0
        assert_accessible(page, "home (live)")


def test_without_a_websocket_home_polls_and_says_so(browser: Any, console: Console) -> None:
    title = f"Polled desks {uuid.uuid4().hex[:6]}"
    request_id = submit(console, title)
    with signed_in(browser, console, "employee", locale="zh-CN") as page:
        # the gateway's socket refused: closed at once with 4500, which graphql-ws never retries
        page.route_web_socket(re.compile(r"/graphql$"), lambda ws: ws.close(code=4500))
        page.reload()
        said = page.locator('#live-status[role="status"][data-live="off"]')
        zh = f"实时更新暂不可用，本页每 {POLL_SECONDS} 秒检查一次变化。"  # noqa: RUF001
        said.get_by_text(zh).wait_for()
        assert_accessible(page, "home (polling, zh-CN)")

        posts = graphql_posts(page)
        approve_fully(console.api, request_id, EMPLOYEE)
        status = page.locator(f'#my-requests tr[data-request-id="{request_id}"] td').nth(2)
        status.get_by_text("已批准").wait_for()
        assert any("ConsoleHome" in body for body in posts), posts  # it came with a poll


def test_the_live_status_reads_well_in_english_too(browser: Any, console: Console) -> None:
    with signed_in(browser, console, "employee") as page:
        page.route_web_socket(re.compile(r"/graphql$"), lambda ws: ws.close(code=4500))
        page.reload()
        page.get_by_role("status").get_by_text(
            f"Live updates are not available just now, so this page checks for changes every "
            f"{POLL_SECONDS} seconds."
        ).wait_for()
        assert_accessible(page, "home (polling)")
