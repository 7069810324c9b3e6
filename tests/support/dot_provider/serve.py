"""``python -m tests.support.dot_provider.serve PORT``: migrate a fresh database, create the
seed (``DOT_SEED``: people and applications), then serve the project with uvicorn on
127.0.0.1:PORT. Set-up runs before the event loop starts (Django's ORM is synchronous)."""

import json
import os
import sys

import django
import uvicorn
from django.core.management import call_command

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.support.dot_provider.settings")
django.setup()
call_command("migrate", interactive=False, verbosity=0)


def _seed(seed: dict) -> None:
    from django.contrib.auth.models import Group, User
    from oauth2_provider.models import Application

    for username, person in seed.get("people", {}).items():
        user = User.objects.create_user(username, person.get("email", ""), person["password"])
        for name in person.get("groups", []):
            user.groups.add(Group.objects.get_or_create(name=name)[0])
    for app in seed.get("applications", []):
        Application.objects.create(
            name=app["name"],
            client_id=app["client_id"],
            client_secret=app.get("client_secret", ""),
            client_type=app.get("client_type", Application.CLIENT_CONFIDENTIAL),
            authorization_grant_type=app["grant_type"],
            redirect_uris=" ".join(app.get("redirect_uris", [])),
            post_logout_redirect_uris=" ".join(app.get("post_logout_redirect_uris", [])),
            algorithm=app.get("algorithm", Application.RS256_ALGORITHM),
            skip_authorization=False,
        )


def main() -> None:
    _seed(json.loads(os.environ.get("DOT_SEED", "{}")))
    from django.core.asgi import get_asgi_application

    uvicorn.run(
        get_asgi_application(), host="127.0.0.1", port=int(sys.argv[1]), log_level="warning"
    )


if __name__ == "__main__":
    main()
