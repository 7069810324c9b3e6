"""What the customer's Django project adds to DOT: directory claims, JWT access tokens, /api/me.

Only DOT's documented extension points: an ``OAuth2Validator`` subclass
(``OAUTH2_VALIDATOR_CLASS``) whose ``get_additional_claims`` adds the directory's
attributes to ID tokens and userinfo, an ``ACCESS_TOKEN_GENERATOR``, and an ordinary view
protected by DOT's ``protected_resource`` decorator.
"""

import time
import uuid
from typing import Any, ClassVar

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from jwcrypto import jwk, jwt
from oauth2_provider.decorators import protected_resource
from oauth2_provider.oauth2_validators import OAuth2Validator
from oauthlib.common import Request as OAuthRequest
from oauthlib.common import generate_token

JWT_PREFIX = "jwt:"
"""Applications whose name starts with this get RS256 JWT access tokens."""


def directory(user: Any) -> dict[str, Any]:
    """The directory's claims of a Django user (name, email, employee id, department, groups)."""
    person = settings.PEOPLE.get(user.get_username(), {})
    return {
        "preferred_username": user.get_username(),
        "name": person.get("name", user.get_username()),
        "email": user.email,
        "employee_id": person.get("employee_id"),
        "department": person.get("department"),
        "groups": sorted(group.name for group in user.groups.all()),
    }


class DirectoryValidator(OAuth2Validator):
    """Adds the directory's claims under the ``profile`` and ``email`` scopes."""

    oidc_claim_scope: ClassVar[dict[str, str]] = {
        **OAuth2Validator.oidc_claim_scope,
        "employee_id": "profile",
        "department": "profile",
        "groups": "profile",
    }

    def get_additional_claims(self, request: OAuthRequest) -> dict[str, Any]:
        return directory(request.user)


def access_token(request: OAuthRequest, refresh_token: bool = False) -> str:
    """DOT's opaque token, or a signed JWT for the applications named ``jwt:...``."""
    client = getattr(request, "client", None)
    if client is None or not client.name.startswith(JWT_PREFIX):
        return generate_token()
    key = jwk.JWK.from_pem(settings.OAUTH2_PROVIDER["OIDC_RSA_PRIVATE_KEY"].encode())
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": settings.OAUTH2_PROVIDER["OIDC_ISS_ENDPOINT"],
        "aud": _audience(getattr(request, "resource", None)) or client.client_id,
        "client_id": client.client_id,
        "scope": " ".join(request.scopes or []),
        "iat": now,
        "exp": now + settings.OAUTH2_PROVIDER["ACCESS_TOKEN_EXPIRE_SECONDS"],
        "jti": uuid.uuid4().hex,
    }
    user = getattr(request, "user", None)
    if user is not None:
        claims["sub"] = str(user.pk)
        claims["username"] = user.get_username()  # as DOT's introspection answers name it
        claims.update({k: v for k, v in directory(user).items() if v is not None})
    token = jwt.JWT(header={"alg": "RS256", "kid": key.thumbprint()}, claims=claims)
    token.make_signed_token(key)
    return str(token.serialize())


def _audience(resource: Any) -> list[str]:
    """The RFC 8707 ``resource`` of the request (one string or a list) as an audience."""
    if isinstance(resource, str):
        return [resource]
    return [value for value in resource or [] if isinstance(value, str)]


@protected_resource(scopes=["profile"])
def me(request: HttpRequest) -> JsonResponse:
    """Who the bearer token's user is, for a client that is not an OpenID client."""
    return JsonResponse({"id": request.resource_owner.pk, **directory(request.resource_owner)})
