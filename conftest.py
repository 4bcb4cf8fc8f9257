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


OPERATOR_PERMISSIONS = ("add_player", "change_player", "delete_player")


@pytest.fixture
def operator_group(db):
    """A group holding the players model permissions an operator needs for every write."""
    from django.contrib.auth.models import Group, Permission

    group, _ = Group.objects.get_or_create(name="operators")
    group.permissions.set(
        Permission.objects.filter(
            content_type__app_label="players", codename__in=OPERATOR_PERMISSIONS
        )
    )
    return group


@pytest.fixture
def user(django_user_model, operator_group):
    """A non-staff operator: in a group with players.add/change/delete_player."""
    operator = django_user_model.objects.create_user(username="operator", password="s3cret-pass!")
    operator.groups.add(operator_group)
    return operator


@pytest.fixture
def reader(django_user_model):
    """An authenticated user with no permission at all: reads only."""
    return django_user_model.objects.create_user(username="reader", password="s3cret-pass!")


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
    """An API client authenticated with a JWT of a non-staff operator (`user`)."""
    return _client_for(user)


@pytest.fixture
def reader_client(reader):
    """An API client authenticated with a JWT of a user without permissions."""
    return _client_for(reader)


@pytest.fixture
def staff_client(staff_user):
    """An API client authenticated with a JWT of a staff user."""
    return _client_for(staff_user)
