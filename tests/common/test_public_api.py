"""Every module of subgraphs/common: a one-line docstring, and an ``__all__`` that is the truth."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from types import ModuleType

import pytest

import subgraphs.common

FOUNDATION = [
    "app", "codes", "db", "errors", "identity", "keys", "money", "pagination", "schema",
    "settings", "standards", "timestamps", "tokens",
]  # fmt: skip
MODULES = [f"subgraphs.common.{name}" for name in FOUNDATION]


def _module(name: str) -> ModuleType:
    return importlib.import_module(name)


def test_the_foundation_modules_are_all_there() -> None:
    present = {info.name for info in pkgutil.iter_modules(subgraphs.common.__path__)}
    assert set(FOUNDATION) <= present


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
