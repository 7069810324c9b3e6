"""A real headless Chromium for the console's tests: Debian's ``chromium``, driven by Playwright
for Python through ``executable_path`` (Playwright's own browser downloads are never used).

:func:`chromium_executable` finds the browser, installing Debian's package with ``apt-get``
when it is missing and this process may (root); :func:`axe_violations` runs axe-core (the
console's npm dev dependency) in a page; :func:`timed_load` measures how long a page takes
until it shows what it is for.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from tests.support.spawn import REPO_ROOT

__all__ = ["AXE_SCRIPT", "axe_violations", "chromium_executable", "screenshot", "timed_load"]

AXE_SCRIPT = REPO_ROOT / "console" / "node_modules" / "axe-core" / "axe.min.js"
_CANDIDATES = ("chromium", "chromium-browser")


def chromium_executable() -> str | None:
    """Debian's Chromium, installed first when missing and possible; None: it cannot be had
    here (not root, no apt-get, or the install failed), and the reason is in the skip."""
    for name in _CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    if not shutil.which("apt-get") or os.geteuid() != 0:
        return None
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = ["apt-get", "install", "-y", "-q", "--no-install-recommends", "chromium"]
    done = subprocess.run(install, env=env, capture_output=True, check=False, timeout=900)
    if done.returncode != 0:  # an old package list: update it once and try again
        subprocess.run(["apt-get", "update", "-q"], env=env, capture_output=True, timeout=600)
        subprocess.run(install, env=env, capture_output=True, check=False, timeout=900)
    return shutil.which("chromium")


def axe_violations(
    page: Any,
    impacts: tuple[str, ...] = ("serious", "critical"),
    known: Mapping[str, tuple[str, ...]] | None = None,
) -> list[str]:
    """axe-core's violations of ``impacts`` on the page as it is now: one line each, naming
    the rule and the first elements it found (empty: none).

    ``known``: a widget's CSS selector -> rules not checked inside it (an upstream component's
    known issues, named by the caller); everything else on the page, and every other rule
    inside the widget, is checked."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        # evaluated by the driver, not as a <script>: the page's CSP allows no inline script
        page.evaluate(AXE_SCRIPT.read_text(encoding="utf-8") + "\n;undefined")
    runs: list[tuple[Any, dict[str, Any]]] = [
        ({"exclude": [[selector] for selector in known or {}]}, {})
    ]
    for selector, rules in (known or {}).items():
        if page.locator(selector).count():
            runs.append(({"include": [[selector]]}, {r: {"enabled": False} for r in rules}))
    found = []
    for context, disabled in runs:
        results = page.evaluate(
            """async ([context, rules]) => (await window.axe.run(context,
                {resultTypes: ['violations'], rules})).violations""",
            [context, disabled],
        )
        found += [
            f"{v['id']} ({v['impact']}): {v['help']} at "
            + ", ".join(str(node["target"]) for node in v["nodes"][:3])
            for v in results
            if v.get("impact") in impacts
        ]
    return found


def timed_load(page: Any, url: str, ready: str, timeout_ms: float | None = None) -> float:
    """Navigate to ``url`` and wait until the ``ready`` selector is visible (at most
    ``timeout_ms``, default: the page's); the seconds it took (navigation, scripts, the API's
    answers and rendering together)."""
    started = time.perf_counter()
    page.goto(url)
    page.locator(ready).first.wait_for(state="visible", timeout=timeout_ms)
    return time.perf_counter() - started


def screenshot(page: Any, folder: Path, name: str) -> Path:
    """A PNG of the whole page in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
