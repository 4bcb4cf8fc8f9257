"""Cross-app fixtures. Tests run against real PostgreSQL and Redis (see `make test`)."""

from __future__ import annotations

import pytest

# Fixture modules: hiscores.integration.testing provides `fake_hiscores` (the loopback fake).
pytest_plugins = ["hiscores.integration.testing"]


def pytest_configure(config: pytest.Config) -> None:
    from django.conf import settings

    engine = settings.DATABASES["default"]["ENGINE"]
    if "postgresql" not in engine:
        raise pytest.UsageError(f"The test suite needs PostgreSQL (DATABASE_URL); got {engine}.")
    # Fast hashing in tests; production uses Argon2.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _clean_cache():
    """Each test starts with an empty cache (throttle counters, limiter and breaker state)."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def api_client():
    from rest_framework.test import APIClient

    return APIClient()


@pytest.fixture
def user(django_user_model):
    return django_user_model.objects.create_user(username="operator", password="s3cret-pass!")


@pytest.fixture
def staff_user(django_user_model):
    return django_user_model.objects.create_user(
        username="admin-op", password="s3cret-pass!", is_staff=True
    )


def _client_for(user):
    from rest_framework.test import APIClient
    from rest_framework_simplejwt.tokens import RefreshToken

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {RefreshToken.for_user(user).access_token}")
    return client


@pytest.fixture
def auth_client(user):
    """An API client authenticated with a JWT of a normal (non-staff) user."""
    return _client_for(user)


@pytest.fixture
def staff_client(staff_user):
    """An API client authenticated with a JWT of a staff user."""
    return _client_for(staff_user)
