"""Which of a client's headers reach which subgraph (issue 15, item 5: header propagation).

Nothing a client sends reaches a subgraph unless a rule says so. Rules (the
``subgraph_headers`` setting) are ``SUBGRAPH:ACTION:ARGUMENT``, ``SUBGRAPH`` a subgraph's
name or ``*`` for every subgraph, applied in order:

``forward:NAME`` / ``forward:PREFIX*`` / ``forward:*``
    the client's header (or every header starting with the prefix, or every one) goes on;
``rename:FROM=TO``
    the client's ``FROM`` goes on as ``TO``;
``insert:NAME=VALUE``
    ``NAME: VALUE`` is sent whatever the client sent;
``remove:NAME`` / ``remove:PREFIX*``
    what earlier rules passed on under that name is dropped again.

Credentials and connection headers (``authorization``, ``cookie``, ``proxy-authorization``,
``host``, ``content-length``...) never match a prefix: a client's credentials go on only where
a rule names them (e.g. ``rename:authorization=x-client-authorization``). No rule may send
``authorization``, ``content-type`` or the other headers the gateway sets itself: each
subgraph request's ``authorization`` is the gateway's identity token for it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

__all__ = ["HeaderRule", "HeaderRules", "HeaderRulesError"]

_NEVER_BY_PREFIX = frozenset(
    {
        "authorization",
        "proxy-authorization",
        "cookie",
        "host",
        "content-length",
        "content-type",
        "content-encoding",
        "transfer-encoding",
        "connection",
        "keep-alive",
        "te",
        "trailer",
        "upgrade",
        "accept",
        "accept-encoding",
        "expect",
    }
)
"""Client headers a prefix never matches: credentials, and what belongs to one connection."""
_GATEWAYS_OWN = frozenset(
    {
        "authorization",
        "content-type",
        "content-length",
        "content-encoding",
        "transfer-encoding",
        "accept",
        "host",
        "connection",
    }
)
"""Headers of a subgraph request the gateway sets itself: no rule may send them."""
_ACTIONS = ("forward", "rename", "insert", "remove")


class HeaderRulesError(ValueError):
    """A rule that cannot be followed; the message names it."""


@dataclass(frozen=True, slots=True)
class HeaderRule:
    subgraph: str  # a name, or "*"
    action: str
    name: str  # lower case; a prefix when ``prefix``
    prefix: bool = False
    value: str = ""  # rename: the new name; insert: the value

    def matches(self, header: str) -> bool:
        if self.prefix:
            return header.startswith(self.name) and header not in _NEVER_BY_PREFIX
        return header == self.name


def _token(text: str, rule: str) -> str:
    name = text.strip().lower()
    if not name or any(ch in name for ch in " \t:\r\n") or not name.isascii():
        raise HeaderRulesError(f"{rule!r}: {text!r} is not a header name")
    return name


def parse_rule(text: str) -> HeaderRule:
    """One ``SUBGRAPH:ACTION:ARGUMENT`` rule, or :class:`HeaderRulesError` naming it."""
    parts = text.split(":", 2)
    if len(parts) != 3:
        raise HeaderRulesError(f"{text!r}: expected SUBGRAPH:ACTION:ARGUMENT")
    subgraph, action, argument = (part.strip() for part in parts)
    if not subgraph:
        raise HeaderRulesError(f"{text!r}: no subgraph (a name, or * for all)")
    if action not in _ACTIONS:
        raise HeaderRulesError(f"{text!r}: the action must be one of {', '.join(_ACTIONS)}")
    if action in ("forward", "remove"):
        prefix = argument.endswith("*")
        name = "" if argument == "*" else _token(argument.removesuffix("*"), text)
        rule = HeaderRule(subgraph, action, name, prefix=prefix)
    else:
        left, separator, right = argument.partition("=")
        if not separator:
            raise HeaderRulesError(f"{text!r}: expected {action}:NAME=" + (
                "NEW_NAME" if action == "rename" else "VALUE"))  # fmt: skip
        name = _token(left, text)
        value = _token(right, text) if action == "rename" else right.strip()
        if action == "insert" and any(ch in value for ch in "\r\n"):
            raise HeaderRulesError(f"{text!r}: a header value cannot hold a line break")
        rule = HeaderRule(subgraph, action, name, value=value)
    sent = rule.value if rule.action == "rename" else rule.name
    if rule.action != "remove" and not rule.prefix and sent in _GATEWAYS_OWN:
        raise HeaderRulesError(
            f"{text!r}: the gateway sets {sent!r} on subgraph requests itself"
            + (" (its identity token); rename the client's" if sent == "authorization" else "")
        )
    return rule


class HeaderRules:
    """The rules, and what they make of one client request's headers."""

    def __init__(self, rules: Iterable[str | HeaderRule] = ()) -> None:
        self.rules = tuple(r if isinstance(r, HeaderRule) else parse_rule(r) for r in rules)

    def __bool__(self) -> bool:
        return bool(self.rules)

    def for_request(self, client: Mapping[str, str]) -> dict[str, dict[str, str]]:
        """Per subgraph (``"*"``: those with no rule of their own), the headers to send."""
        headers = {name.lower(): value for name, value in client.items()}
        names = {rule.subgraph for rule in self.rules}
        return {name: self._apply(name, headers) for name in names | {"*"}}

    def _apply(self, subgraph: str, client: Mapping[str, str]) -> dict[str, str]:
        sent: dict[str, str] = {}
        for rule in self.rules:
            if rule.subgraph not in ("*", subgraph):
                continue
            if rule.action == "forward":
                sent.update((name, value) for name, value in client.items() if rule.matches(name))
            elif rule.action == "rename":
                if rule.name in client:
                    sent[rule.value] = client[rule.name]
            elif rule.action == "insert":
                sent[rule.name] = rule.value
            else:  # remove: by name or prefix, credentials included
                for name in [n for n in sent if _removes(rule, n)]:
                    del sent[name]
        return sent


def _removes(rule: HeaderRule, header: str) -> bool:
    return header == rule.name or (rule.prefix and header.startswith(rule.name))
