"""Every module of subgraphs/common and tandem_shared: a one-line docstring, a true ``__all__``."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from types import ModuleType

import pytest

import subgraphs.common
import tandem_shared

FOUNDATION = [
    "app", "codes", "errors", "identity", "money", "pagination", "schema", "settings",
    "standards", "timestamps",
]  # fmt: skip
SHARED = ["crypto", "crypto_keys", "crypto_orm", "db", "keys", "timestamps", "tokens"]
MODULES = [f"subgraphs.common.{name}" for name in FOUNDATION] + [
    f"tandem_shared.{name}" for name in SHARED
]


def _module(name: str) -> ModuleType:
    return importlib.import_module(name)


def test_the_foundation_modules_are_all_there() -> None:
    present = {info.name for info in pkgutil.iter_modules(subgraphs.common.__path__)}
    assert set(FOUNDATION) <= present
    shared = {info.name for info in pkgutil.iter_modules(tandem_shared.__path__)}
    assert set(SHARED) <= shared


@pytest.mark.parametrize("name", MODULES)
def test_each_module_opens_with_a_one_line_summary(name: str) -> None:
    doc = _module(name).__doc__
    assert doc is not None
    summary = doc.splitlines()[0]
    assert summary.endswith(".") and len(summary) <= 100


@pytest.mark.parametrize("name", MODULES)
def test_all_lists_exactly_the_public_names_defined_here(name: str) -> None:
    module = _module(name)
    exported = set(module.__all__)
    assert all(hasattr(module, item) for item in exported)
    defined = {
        item
        for item, value in vars(module).items()
        if not item.startswith("_")
        and (inspect.isclass(value) or inspect.isfunction(value))
        and getattr(value, "__module__", None) == name
    }
    assert defined <= exported, f"public but not in __all__: {defined - exported}"
