"""Policy decisions with casbin (the only module importing it).

A principal is asked about as its subject and as each of its roles, within its department:
the field is allowed when some rule allows it for one of them and no rule denies it for any
(deny overrides allow, as ``policies/model.conf`` says). Each decision names the rule that made
it, for explanations and audit. Decisions are cached per policy version.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

import casbin  # type: ignore[import-untyped]

from subgraphs.common.tokens import Principal

__all__ = ["Decision", "PolicyEnforcer"]


@dataclass(frozen=True, slots=True)
class Decision:
    """Whether an action on a coordinate is allowed, and the rule (or default) that decided."""

    allowed: bool
    rule: str


class PolicyEnforcer:
    """casbin behind a small typed API; thread-safe reloads bump ``version``."""

    def __init__(
        self, model_path: str | Path, policy_path: str | Path, *, default_allow: bool = False
    ) -> None:
        self.model_path = str(model_path)
        self.policy_path = str(policy_path)
        self.default_allow = default_allow
        self._lock = threading.Lock()
        self._enforcer = casbin.Enforcer(self.model_path, self.policy_path)
        self.version = 1
        self._cache: dict[tuple[object, ...], Decision] = {}

    def reload(self) -> None:
        """Read the policy file again (a new version: every cached decision is dropped)."""
        enforcer = casbin.Enforcer(self.model_path, self.policy_path)
        with self._lock:
            self._enforcer = enforcer
            self.version += 1
            self._cache = {}

    def decide(self, principal: Principal | None, coordinate: str, action: str) -> Decision:
        subjects = _subjects(principal)
        domain = (principal.department if principal else None) or "*"
        cache_key = (subjects, domain, coordinate, action)
        found = self._cache.get(cache_key)
        if found is not None:
            return found
        allowed_by: str | None = None
        for subject in subjects:
            allowed, rule = self._enforcer.enforce_ex(subject, domain, coordinate, action)
            explained = ", ".join(rule) if rule else ""
            if rule and rule[-1] == "deny":
                decision = Decision(False, explained)
                break
            if allowed and allowed_by is None:
                allowed_by = explained
        else:
            if allowed_by is not None:
                decision = Decision(True, allowed_by)
            else:
                decision = Decision(
                    self.default_allow,
                    "default: allow unlisted" if self.default_allow else "default: deny unlisted",
                )
        if len(self._cache) > 100_000:
            self._cache = {}
        self._cache[cache_key] = decision
        return decision


def _subjects(principal: Principal | None) -> tuple[str, ...]:
    if principal is None:
        return ("anonymous",)
    return (principal.subject, *principal.roles)
