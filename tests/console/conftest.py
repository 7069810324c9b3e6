"""The console's browser tests: one ``tandem dev`` per test module (as ``make run`` starts
it: the default policy, the built-in OpenID provider, the console built first) and one
headless Chromium per module. Tests leave the policy as they found it (a rule change is rolled
back in the test that makes it).

Why per module: Playwright's synchronous API keeps an event loop running in the main thread
while its browser is open, and every other test that starts one of its own (``asyncio.run``,
pytest-asyncio) would fail beside it; and one ``tandem dev`` for the whole session once
refused a sign-in with "database is locked" from OA's SQLite file (a writer held it longer
than the 30 s busy timeout while many modules' work had gone through that one stack).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.console.browser import chromium_executable
from tests.console.session import LOGIN_LINE, PEOPLE, Console
from tests.e2e.stack import Gateway, Service, eventually, service_env
from tests.support.gateway_process import tandem_command
from tests.support.processes import free_port
from tests.support.spawn import REPO_ROOT

playwright_api = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed")


@pytest.fixture(scope="module")
def console(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Console]:
    if shutil.which("npm") is None:
        pytest.skip("the console's tests need npm to build it (make console)")
    built = subprocess.run(["make", "--no-print-directory", "console"], cwd=REPO_ROOT,
                           capture_output=True, text=True, timeout=900)  # fmt: skip
    assert built.returncode == 0, built.stdout + built.stderr
    folder = tmp_path_factory.mktemp("console")
    port = free_port()
    env = service_env(TANDEM_DATA_DIR=str(folder), TANDEM_DEV_OA_PORT="0", TANDEM_DEV_ERP_PORT="0")
    service = Service(
        "tandem-dev",
        [*tandem_command(), "dev", "--port", str(port)],
        env,
        port,
        folder,
        lambda client, base: client.get(f"{base}/health").status_code == 200,
    )
    api = Gateway(f"http://127.0.0.1:{port}/graphql", PEOPLE.__getitem__)
    try:
        service.start(timeout=180)

        def banner() -> str | None:
            printed = service.output()
            return printed if "Development sign-in" in printed else None

        printed = eventually(banner)
        assert f"The console: {service.base_url}/" in printed
        passwords = dict(LOGIN_LINE.findall(printed))
        assert {"employee", "manager"} <= passwords.keys(), service.output()
        wanted = os.environ.get("TANDEM_CONSOLE_SCREENSHOTS")
        shots = Path(wanted) if wanted else folder / "screenshots"
        yield Console(service, passwords, api, shots)
    finally:
        api.close()
        service.stop()


@pytest.fixture(scope="module")
def browser(console: Console) -> Iterator[Any]:
    executable = chromium_executable()
    if executable is None:
        pytest.skip("no Chromium here: install Debian's chromium (apt-get install, as root)")
    with playwright_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=executable, headless=True, args=["--no-sandbox"]
        )
        try:
            yield chromium
        finally:
            chromium.close()
