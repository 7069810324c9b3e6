"""A browserless user agent for OpenID Connect logins: redirects followed by hand, forms submitted.

One ``httpx.Client`` (one cookie jar) carries the whole login, as a browser would: start
at an authorization URL (or at the gateway's ``/auth/login``, which redirects to one),
follow each redirect, fill in the provider's login form, allow the consent form, and stop
at the redirect to the relying party's callback, returning that URL unvisited. The caller
then calls its callback with it, with the same client when the relying party set cookies
(state, nonce) at the start.

The pages are parsed with the standard library's HTML parser; the forms looked for are
those of ``tests/support/oidc/provider/server.mjs``: a form with a password field (login),
``form#consent``, and the library's ``form#op.logoutForm`` (RP-initiated logout).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import parse_qs, urljoin, urlsplit

import httpx

__all__ = [
    "Form",
    "LoginFailed",
    "UnexpectedPage",
    "login",
    "login_refused",
    "logout",
    "parse_forms",
    "user_agent",
]

_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_MAX_STEPS = 20


class UnexpectedPage(AssertionError):
    """The provider answered with something a login (or logout) does not expect."""

    def __init__(self, message: str, response: httpx.Response) -> None:
        super().__init__(f"{message}: {response.status_code} at {response.url}\n{response.text}")
        self.response = response


class LoginFailed(UnexpectedPage):
    """The provider refused the credentials and showed its login page again."""


@dataclass
class Form:
    """One HTML form: where it goes and the fields a browser would send."""

    action: str
    method: str
    id: str | None
    fields: dict[str, str] = field(default_factory=dict)
    field_types: dict[str, str] = field(default_factory=dict)
    buttons: list[tuple[str, str]] = field(default_factory=list)

    @property
    def is_login(self) -> bool:
        return "password" in self.field_types.values()

    def data(self, button: str | None = None, **values: str) -> dict[str, str]:
        """The fields to submit: the form's own, ``values`` over them, and one named button."""
        data = dict(self.fields)
        data.update(values)
        for name, value in self.buttons:
            if button is not None and name == button:
                data[name] = value
                break
        return data


class _FormParser(HTMLParser):
    """Collects forms, their inputs, and buttons (also those outside with ``form="id"``)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self._open: Form | None = None
        self._orphans: list[tuple[str, str, str]] = []  # (form id, name, value)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {name: value or "" for name, value in attrs}
        if tag == "form":
            self._open = Form(
                action=a.get("action", ""),
                method=a.get("method", "get").lower(),
                id=a.get("id"),
            )
            self.forms.append(self._open)
        elif tag in ("input", "button") and a.get("name"):
            kind = a.get("type", "text" if tag == "input" else "submit").lower()
            owner = self._owner(a.get("form"))
            if tag == "button" or kind == "submit":
                if owner is None and a.get("form"):
                    self._orphans.append((a["form"], a["name"], a.get("value", "")))
                elif owner is not None:
                    owner.buttons.append((a["name"], a.get("value", "")))
            elif owner is not None and (kind not in ("checkbox", "radio") or "checked" in a):
                owner.fields[a["name"]] = a.get("value", "")
                owner.field_types[a["name"]] = kind

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._open = None

    def _owner(self, form_id: str | None) -> Form | None:
        if form_id:
            return next((f for f in self.forms if f.id == form_id), None)
        return self._open

    def close(self) -> None:
        super().close()
        for form_id, name, value in self._orphans:
            owner = next((f for f in self.forms if f.id == form_id), None)
            if owner is not None:
                owner.buttons.append((name, value))


def parse_forms(html: str) -> list[Form]:
    """Every form of an HTML page, in document order."""
    parser = _FormParser()
    parser.feed(html)
    parser.close()
    return parser.forms


@contextmanager
def user_agent(timeout: float = 10.0) -> Iterator[httpx.Client]:
    """A fresh client that behaves as one browser: its own cookie jar, no automatic redirects."""
    with httpx.Client(follow_redirects=False, timeout=timeout) as client:
        yield client


def _same_endpoint(url: str, endpoint: str) -> bool:
    a, b = urlsplit(url), urlsplit(endpoint)
    return (a.scheme, a.netloc, a.path or "/") == (b.scheme, b.netloc, b.path or "/")


def _query_value(url: str, name: str) -> str | None:
    values = parse_qs(urlsplit(url).query).get(name)
    return values[0] if values else None


def _redirect_uri(url: str) -> str | None:
    """The ``redirect_uri`` of an authorization request (a URL with ``response_type`` too)."""
    if _query_value(url, "response_type") is None:
        return None
    return _query_value(url, "redirect_uri")


def _submit(
    client: httpx.Client, response: httpx.Response, form: Form, data: Mapping[str, str]
) -> httpx.Response:
    target = urljoin(str(response.url), form.action or str(response.url))
    if form.method == "post":
        return client.post(target, data=dict(data))
    return client.get(target, params=dict(data))


def _run_login(
    client: httpx.Client,
    url: str,
    username: str,
    password: str,
    callback: str | None,
) -> tuple[str | None, httpx.Response | None]:
    """Drive a login; (callback URL, None) when it reaches the callback, else (None, refusal)."""
    callback = callback or _redirect_uri(url)
    response = client.get(url)
    credentials_sent = False
    for _ in range(_MAX_STEPS):
        if response.status_code in _REDIRECTS:
            location = urljoin(str(response.url), response.headers["location"])
            if callback is None:
                callback = _redirect_uri(location)
            elif _same_endpoint(location, callback):
                return location, None
            response = client.get(location)
            continue
        if response.status_code == 401 and credentials_sent:
            return None, response
        if response.status_code != 200:
            raise UnexpectedPage("the provider answered with an error", response)
        forms = parse_forms(response.text)
        login_form = next((f for f in forms if f.is_login), None)
        consent_form = next((f for f in forms if f.id == "consent"), None)
        if login_form is not None:
            if credentials_sent:
                return None, response
            fields = {name for name, kind in login_form.field_types.items() if kind == "password"}
            values = {"username": username, **dict.fromkeys(fields, password)}
            response = _submit(client, response, login_form, login_form.data("submit", **values))
            credentials_sent = True
        elif consent_form is not None:
            response = _submit(client, response, consent_form, consent_form.data("consent"))
        else:
            raise UnexpectedPage("neither a login nor a consent page", response)
    raise UnexpectedPage(f"no callback after {_MAX_STEPS} steps", response)


def login(
    url: str,
    username: str,
    password: str,
    *,
    client: httpx.Client | None = None,
    callback: str | None = None,
) -> str:
    """Log in from ``url`` and return the callback URL the provider redirects to (not visited).

    ``url`` is an authorization request, or a relying-party URL that redirects to one.
    The callback is the request's ``redirect_uri`` unless ``callback`` names it. With a
    session already at the provider no form is shown: the redirect comes straight back.
    Pass ``client`` to share cookies with the rest of a test (it must not follow
    redirects by itself). Raises ``LoginFailed`` when the credentials are refused.
    """
    if client is None:
        with user_agent() as own:
            return login(url, username, password, client=own, callback=callback)
    if client.follow_redirects:
        raise ValueError("the login client must not follow redirects by itself")
    reached, refusal = _run_login(client, url, username, password, callback)
    if reached is None:
        assert refusal is not None
        raise LoginFailed("the provider refused the login", refusal)
    return reached


def login_refused(
    url: str,
    username: str,
    wrong_password: str,
    *,
    client: httpx.Client | None = None,
    callback: str | None = None,
) -> httpx.Response:
    """Log in with bad credentials; return the provider's refusal page (fails if let in)."""
    if client is None:
        with user_agent() as own:
            return login_refused(url, username, wrong_password, client=own, callback=callback)
    reached, refusal = _run_login(client, url, username, wrong_password, callback)
    if reached is not None:
        raise AssertionError(f"the provider let {username!r} in with a wrong password: {reached}")
    assert refusal is not None
    return refusal


def logout(url: str, *, client: httpx.Client, post_logout_redirect_uri: str | None = None) -> str:
    """End the provider session from an end-session URL; return where the provider sends the user.

    ``url`` is the provider's end-session request (``id_token_hint``,
    ``post_logout_redirect_uri``, ``state``...) or a relying-party URL that redirects to
    it. The confirmation form is submitted with ``logout=yes`` (the whole session ends and
    back-channel logout tokens go out before the provider answers). Returns the
    post-logout redirect (not visited), or the URL of the provider's "signed out" page.
    ``client`` must be the one that logged in: the provider session is its cookie.
    """
    if client.follow_redirects:
        raise ValueError("the logout client must not follow redirects by itself")
    target = post_logout_redirect_uri or _query_value(url, "post_logout_redirect_uri")
    response = client.get(url)
    for _ in range(_MAX_STEPS):
        target = target or _query_value(str(response.url), "post_logout_redirect_uri")
        if response.status_code in _REDIRECTS:
            location = urljoin(str(response.url), response.headers["location"])
            if target is None:
                target = _query_value(location, "post_logout_redirect_uri")
            elif _same_endpoint(location, target):
                return location
            response = client.get(location)
            continue
        if response.status_code != 200:
            raise UnexpectedPage("the provider answered the logout with an error", response)
        forms = parse_forms(response.text)
        confirm = next((f for f in forms if "xsrf" in f.fields), None)
        if confirm is None:
            return str(response.url)  # the provider's own "signed out" page
        response = _submit(client, response, confirm, confirm.data("logout", logout="yes"))
    raise UnexpectedPage(f"logout did not finish after {_MAX_STEPS} steps", response)
