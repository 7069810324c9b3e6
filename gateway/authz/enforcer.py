"""Policy decisions with casbin (the only module importing it).

A principal is asked about as its subject and as each of its roles, within its department:
the field is allowed when some rule allows it for one of them and no rule denies it for any
(deny overrides allow, as ``policies/model.conf`` says). Each decision names the rule that made
it, for explanations and audit. Decisions are cached per policy version: each principal's, and
each subject's or role's casbin answer, so a new combination of known roles (a visible schema
per role set asks about every field) costs no casbin evaluation, which takes milliseconds.

The policy comes from a CSV file (:meth:`PolicyEnforcer.reload` reads it again) or from policy
lines given by a store (:meth:`PolicyEnforcer.load_lines`). Either way the new casbin enforcer
is built aside and swapped in at once with a fresh decision cache, and ``version`` goes up, so
a decision is never taken from one policy and cached under another.
"""

from __future__ import annotations

import functools
import re
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import casbin  # type: ignore[import-untyped]
from casbin import persist
from casbin.model import Model  # type: ignore[import-untyped]
from casbin.persist.adapter import _extract_tokens  # type: ignore[import-untyped]
from casbin.util.builtin_operators import glob_match as _glob_match  # type: ignore[import-untyped]
from wcmatch import glob  # casbin's globMatch is wcmatch's, see _matcher

from tandem_shared.tokens import Principal

from ..caching import BoundedCache
from .relations import FILE_NAME as RELATIONS_FILE
from .relations import Relation, Relations
from .validation import PolicyLine

__all__ = [
    "DEFAULT_ALLOW",
    "DEFAULT_DENY",
    "Decision",
    "PolicyEnforcer",
    "PolicySource",
    "glob_match",
    "model_columns",
    "policy_tokens",
    "read_policy_file",
]

DEFAULT_ALLOW = "default: allow unlisted"
DEFAULT_DENY = "default: deny unlisted"
DECISIONS_KEPT = 100_000
"""Decisions kept per policy version (casbin's answers per subject: twice as many)."""
SUBJECTS_KEPT = 1_000
"""Narrowed casbin enforcers kept per policy version (one per subject or role asked about)."""

_CASBIN = threading.RLock()
"""Held around every call into casbin. casbin compiles matchers with ``ast.parse`` on each
evaluation, and CPython 3.11 (before 3.11.8) fails ``ast`` work done in two threads at once
(``SystemError: AST constructor recursion depth mismatch``): visible schemas are built in
worker threads while the event loop decides fields. Reentrant: building a narrowed enforcer
happens inside a held evaluation."""


@dataclass(frozen=True, slots=True)
class Decision:
    """Whether an action on a coordinate is allowed, and the rule (or default) that decided."""

    allowed: bool
    rule: str

    @property
    def by_default(self) -> bool:
        """No rule matched: the configured default decided."""
        return self.rule in (DEFAULT_ALLOW, DEFAULT_DENY)


class PolicySource(Protocol):
    """What the decisions of visibility and encrypted fields read of a policy: a
    :class:`PolicyEnforcer`, or a stand-in (a deny-all policy when there is none)."""

    @property
    def version(self) -> int: ...

    def decide(self, principal: Principal | None, coordinate: str, action: str) -> Decision: ...

    def conditional_grants(
        self, principal: Principal | None, coordinate: str, action: str
    ) -> list[tuple[Relation, str]]: ...


@dataclass(slots=True)
class _State:
    enforcer: Any
    lines: tuple[PolicyLine, ...]
    version: int
    revision: int | None
    build: Callable[[tuple[PolicyLine, ...]], Any] | None = None
    """Makes a casbin enforcer of some lines (:meth:`enforcer_for`); None: always the whole."""
    cache: BoundedCache[tuple[object, ...], Decision] = field(
        default_factory=lambda: BoundedCache(DECISIONS_KEPT)
    )
    answers: BoundedCache[tuple[str, str, str, str], tuple[bool, str, bool]] = field(
        default_factory=lambda: BoundedCache(2 * DECISIONS_KEPT)
    )
    """(subject, domain, object, action) -> casbin's (allowed, rule, denied by a rule)."""
    narrowed: BoundedCache[str, Any] = field(default_factory=lambda: BoundedCache(SUBJECTS_KEPT))
    """subject -> casbin over the rules that can match it (False: none can)."""

    def enforcer_for(self, subject: str) -> Any:
        """casbin holding only the ``p`` rules that can match ``subject``: those naming it or
        a role it reaches through any ``g`` row (all ``g`` rows kept), so it answers exactly as
        the whole policy does while evaluating a few rules instead of every one (the matcher
        is interpreted rule by rule: on the default policy that is the difference between
        seconds and a minute for one role set's visible schema). False when no rule can match.
        """
        if self.build is None:
            return self.enforcer
        found = self.narrowed.get(subject)
        if found is None:
            reach = _reachable(subject, self.lines)
            rules = tuple(
                line for line in self.lines if line[0].startswith("p") and line[1] in reach
            )
            roles = tuple(line for line in self.lines if line[0].startswith("g"))
            found = self.build(rules + roles) if rules else False
            self.narrowed.put(subject, found)
        return found


class PolicyEnforcer:
    """casbin behind a small typed API; thread-safe reloads bump ``version``.

    ``version`` counts the policies this enforcer has held (the authorizer's caches key on
    it); ``revision`` is the store's version number of the current policy, None for a file.
    """

    def __init__(
        self,
        model_path: str | Path,
        policy_path: str | Path | None = None,
        *,
        default_allow: bool = False,
        relations: Relations | None = None,
    ) -> None:
        self.model_path = str(model_path)
        self.policy_path = None if policy_path is None else str(policy_path)
        self.default_allow = default_allow
        self.relations = (
            Relations.read(Path(model_path).parent / RELATIONS_FILE)
            if relations is None
            else relations
        )
        """The relation subjects this policy may use (``relations.csv`` beside the model)."""
        self._lock = threading.Lock()
        lines = () if policy_path is None else read_policy_file(model_path, policy_path)
        self._state = _State(self._build(lines), lines, 1, None, self._build)

    @property
    def version(self) -> int:
        return self._state.version

    @property
    def revision(self) -> int | None:
        return self._state.revision

    @property
    def lines(self) -> tuple[PolicyLine, ...]:
        """The policy lines in force, in their stored order (``("p", sub, dom, obj, act,
        eft)``, ``("g", user, role, dom)``)."""
        return self._state.lines

    def reload(self) -> None:
        """Read the policy file again (a new version: every cached decision is dropped).

        Without a policy file, the lines in force are loaded again.
        """
        if self.policy_path is None:
            self.load_lines(self.lines, revision=self.revision)
        else:
            self.load_lines(read_policy_file(self.model_path, self.policy_path))

    def load_lines(self, lines: Iterable[PolicyLine], *, revision: int | None = None) -> None:
        """Enforce ``lines`` from now on (a new version); ``revision`` is their store version.

        The casbin enforcer is built before the lock is taken: a malformed line raises here
        and the policy in force stays.
        """
        kept = tuple(tuple(line) for line in lines)
        enforcer = self._build(kept)
        with self._lock:
            self._state = _State(enforcer, kept, self._state.version + 1, revision, self._build)

    def preview(self, lines: Iterable[PolicyLine]) -> PolicyEnforcer:
        """A separate enforcer with this model and default, holding ``lines`` (to ask what a
        change would decide before making it)."""
        preview = PolicyEnforcer(
            self.model_path, default_allow=self.default_allow, relations=self.relations
        )
        preview.load_lines(lines)
        return preview

    def decide(self, principal: Principal | None, coordinate: str, action: str) -> Decision:
        state = self._state  # one policy for the whole decision, whatever reloads meanwhile
        subjects = _subjects(principal)
        domain = (principal.department if principal else None) or "*"
        cache_key = (subjects, domain, coordinate, action)
        found = state.cache.get(cache_key)
        if found is not None:
            return found
        allowed_by: str | None = None
        for subject in subjects:
            allowed, explained, denies = _answer(state, subject, domain, coordinate, action)
            if denies:
                decision = Decision(False, explained)
                break
            if allowed and allowed_by is None:
                allowed_by = explained
        else:
            if allowed_by is not None:
                decision = Decision(True, allowed_by)
            else:
                decision = Decision(
                    self.default_allow, DEFAULT_ALLOW if self.default_allow else DEFAULT_DENY
                )
        return state.cache.put(cache_key, decision)

    def conditional_grants(
        self,
        principal: Principal | None,
        coordinate: str,
        action: str,
        relations: Iterable[str] | None = None,
    ) -> list[tuple[Relation, str]]:
        """Rules that allow ``coordinate`` to ``principal`` only for related objects: for each
        of the principal's subject and roles ``s`` and each relation ``r`` (those named, else
        every one :attr:`relations` declares), a rule for the subject ``s@r``
        (``employee@self``). Returns (relation, rule) pairs."""
        if principal is None:
            return []
        state = self._state
        domain = principal.department or "*"
        grants: list[tuple[Relation, str]] = []
        for name in self.relations if relations is None else relations:
            relation = self.relations.get(name)
            if relation is None:
                continue
            for subject in (principal.subject, *principal.roles):
                allowed, rule, denies = _answer(
                    state, f"{subject}@{name}", domain, coordinate, action
                )
                if allowed and rule and not denies:
                    grants.append((relation, rule))
                    break
        return grants

    def _build(self, lines: tuple[PolicyLine, ...]) -> Any:
        with _CASBIN:
            enforcer = casbin.Enforcer(self.model_path, _LinesAdapter(lines))
            enforcer.add_function("globMatch", glob_match)  # the same function, remembered
        return enforcer


def _answer(
    state: _State, subject: str, domain: str, coordinate: str, action: str
) -> tuple[bool, str, bool]:
    """casbin's answer for one subject (cached with the policy it came from)."""
    key = (subject, domain, coordinate, action)
    found = state.answers.get(key)
    if found is None:
        with _CASBIN:
            enforcer = state.enforcer_for(subject)
            if enforcer is False:  # no rule names the subject or a role it has
                found = (False, "", False)
            else:
                allowed, rule = enforcer.enforce_ex(subject, domain, coordinate, action)
                denied = bool(rule) and rule[-1] == "deny"
                found = (bool(allowed), ", ".join(rule) if rule else "", denied)
        state.answers.put(key, found)
    return found


def _reachable(subject: str, lines: tuple[PolicyLine, ...]) -> set[str]:
    """``subject`` and every role it reaches through ``g`` rows, in any domain (a superset of
    what the matcher's ``g(r.sub, p.sub, ...)`` can link: extra rules only cost time)."""
    links: dict[str, set[str]] = {}
    for line in lines:
        if line[0].startswith("g") and len(line) >= 3:
            links.setdefault(line[1], set()).add(line[2])
    reach = {subject}
    frontier = [subject]
    while frontier:
        for role in links.get(frontier.pop(), ()):
            if role not in reach:
                reach.add(role)
                frontier.append(role)
    return reach


def read_policy_file(model_path: str | Path, policy_path: str | Path) -> tuple[PolicyLine, ...]:
    """The lines of a casbin CSV policy file, as casbin's file adapter reads them."""
    with _CASBIN:
        enforcer = casbin.Enforcer(str(model_path), str(policy_path))
    model = enforcer.get_model()
    lines: list[PolicyLine] = []
    for section in ("p", "g"):
        for ptype, assertion in model.model.get(section, {}).items():
            lines.extend((ptype, *rule) for rule in assertion.policy)
    return tuple(lines)


def policy_tokens(row: str) -> list[str]:
    """One row of a CSV policy file split as casbin's file adapter splits it (commas outside
    ``[]``/``()``; the first value is the row's type); [] for a comment or an empty row.

    Raises ValueError for a row casbin cannot read at all (a bracket closed before it opened).
    """
    try:
        tokens: list[str] | None = _extract_tokens(row)
    except IndexError:
        raise ValueError("a bracket is closed before it is opened: casbin cannot read it") from None
    return tokens or []


def model_columns(text: str) -> dict[str, tuple[str, ...]]:
    """The policy and role types of a casbin model as casbin reads it, with their columns:
    ``{"p": ("sub", "dom", "obj", "act", "eft"), "g": ("_", "_", "_")}``."""
    model = Model()
    model.load_model_from_text(text)
    return {
        ptype: tuple(column.strip() for column in assertion.value.split(","))
        for section in ("p", "g")
        for ptype, assertion in model.model.get(section, {}).items()
    }


@functools.lru_cache(maxsize=65_536)
def glob_match(coordinate: str, pattern: str) -> bool:
    """Whether a policy object matches ``coordinate``: casbin's ``globMatch``, the matcher
    ``policies/model.conf`` names (``*``, ``?``, ``[...]``, ``{a,b}``). Remembered, and each
    pattern compiled once (:func:`_matcher`): casbin's expands and compiles the pattern on
    every call, and a new role set's visible schema asks it tens of thousands of times about
    the same few hundred patterns (seconds per role set)."""
    return _matcher(pattern)(coordinate)


@functools.lru_cache(maxsize=4096)
def _matcher(pattern: str) -> Callable[[str], bool]:
    """``pattern`` as casbin's ``globMatch`` reads it, compiled. Casbin hands wcmatch the
    pattern with runs of ``*`` within a ``/``-separated part made one (a part that is exactly
    ``**`` kept) and ``GLOBSTAR | BRACE``; a pattern with a ``/`` (never a schema coordinate)
    is left to casbin's own function. ``tests/authz`` compares both on the shipped policy."""
    if "/" in pattern:
        return lambda coordinate: bool(_glob_match(coordinate, pattern))
    translated = pattern if pattern == "**" else re.sub(r"\*{2,}", "*", pattern)
    return glob.compile(translated, flags=glob.GLOBSTAR | glob.BRACE).match


class _LinesAdapter(persist.Adapter):  # type: ignore[misc]
    """Hands casbin lines already split into values (no CSV parsing on the way in)."""

    def __init__(self, lines: tuple[PolicyLine, ...]) -> None:
        self._lines = lines

    def load_policy(self, model: Any) -> None:
        for ptype, *values in self._lines:
            assertions = model.model.get(ptype[:1], {})
            if ptype not in assertions:
                raise ValueError(f"the model has no policy type {ptype!r}")
            assertions[ptype].policy.append(list(values))


def _subjects(principal: Principal | None) -> tuple[str, ...]:
    if principal is None:
        return ("anonymous",)
    return (principal.subject, *principal.roles)
