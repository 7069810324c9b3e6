"""URLs of the DOT provider project: DOT under /o/, Django's login page, /api/me."""

from django.contrib.auth import views as auth_views
from django.urls import include, path

from .provider import me

urlpatterns = [
    path("o/", include("oauth2_provider.urls", namespace="oauth2_provider")),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("api/me", me, name="me"),
]
