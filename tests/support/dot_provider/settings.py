"""Django settings of the DOT provider project (read from DOT_* environment variables)."""

import json
import os
from pathlib import Path

HERE = Path(__file__).resolve().parent
SECRET_KEY = os.environ.get("DOT_SECRET_KEY", "test-only-not-secret")
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1"]
ROOT_URLCONF = "tests.support.dot_provider.urls"
USE_TZ = True
INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "oauth2_provider",
]
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
]
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [HERE / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {"context_processors": ["django.template.context_processors.request"]},
    }
]
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("DOT_DB", ":memory:"),
    }
}
# tests only: a fast hasher for passwords and the client secrets DOT hashes (Django advises it)
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
LOGIN_URL = "/accounts/login/"
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
SESSION_COOKIE_NAME = "dot_session"  # not the gateway's cookie: both live on 127.0.0.1
CSRF_COOKIE_NAME = "dot_csrftoken"

OAUTH2_PROVIDER = {
    "OIDC_ENABLED": True,
    "OIDC_ISS_ENDPOINT": os.environ.get("DOT_ISSUER", ""),
    "OIDC_RSA_PRIVATE_KEY": Path(os.environ.get("DOT_KEY_FILE", "/dev/null")).read_text(),
    "OIDC_RP_INITIATED_LOGOUT_ENABLED": True,
    "OIDC_RP_INITIATED_LOGOUT_ALWAYS_PROMPT": True,
    "PKCE_REQUIRED": True,
    "SCOPES": {
        "openid": "Sign you in",
        "profile": "Your name, employee number, department and groups",
        "email": "Your email address",
        "introspection": "Check tokens",
    },
    "DEFAULT_SCOPES": ["openid"],
    "ACCESS_TOKEN_EXPIRE_SECONDS": int(os.environ.get("DOT_ACCESS_TOKEN_SECONDS", "60")),
    "OAUTH2_VALIDATOR_CLASS": "tests.support.dot_provider.provider.DirectoryValidator",
    "ACCESS_TOKEN_GENERATOR": "tests.support.dot_provider.provider.access_token",
    "REFRESH_TOKEN_GENERATOR": "oauthlib.oauth2.rfc6749.tokens.random_token_generator",
}

PEOPLE = json.loads(os.environ.get("DOT_SEED", "{}")).get("people", {})
"""username -> the directory attributes the validator adds as claims."""
