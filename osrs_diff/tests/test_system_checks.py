"""Django's system checks pass: `manage.py migrate`, `runserver` and every worker run them first,
and an error there (an admin's fields, a model) stops the service before it serves anything."""

from __future__ import annotations

from django.core import checks


def test_the_system_checks_find_no_error():
    errors = [message for message in checks.run_checks() if message.level >= checks.ERROR]

    assert errors == []
