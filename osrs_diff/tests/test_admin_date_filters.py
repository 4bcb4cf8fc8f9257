"""Every project admin changelist refuses an out-of-range datetime filter with "?e=1", not a 500."""

from __future__ import annotations

import pytest
from django.contrib import admin

from osrs_diff.admin_changelists import BoundedChangeList

pytestmark = pytest.mark.django_db

PROJECT_APPS = {"players", "hiscores", "history", "drops", "system"}

CHANGELISTS = [
    ("/admin/hiscores/snapshot/", "fetched_at__gte"),
    ("/admin/players/player/", "created_at__gte"),
    ("/admin/drops/drop/", "received_at__gte"),
    ("/admin/drops/party/", "created_at__gte"),
    ("/admin/system/systemtask/", "last_run_at__gte"),
    ("/admin/django_celery_beat/periodictask/", "last_run_at__gte"),
]


@pytest.mark.parametrize("url,lookup", CHANGELISTS)
@pytest.mark.parametrize(
    "value", ["2026-01-01 00:00:00+23:59", "2026-01-01 00:00:00+20:00", "0001-01-01 00:30+01:00"]
)
def test_an_out_of_range_datetime_filter_is_the_admins_usual_redirect(
    admin_client, url, lookup, value
):
    response = admin_client.get(url, {lookup: value})

    assert response.status_code == 302
    assert response["Location"].endswith("?e=1")


@pytest.mark.parametrize("url,lookup", CHANGELISTS)
def test_a_valid_datetime_filter_still_filters(admin_client, url, lookup):
    assert admin_client.get(url, {lookup: "2026-01-01 00:00:00+01:00"}).status_code == 200


def test_every_project_model_admin_uses_the_bounded_changelist(rf, admin_user):
    request = rf.get("/")
    request.user = admin_user
    for model, model_admin in admin.site._registry.items():
        if model._meta.app_label in PROJECT_APPS:
            assert model_admin.get_changelist(request) is BoundedChangeList, model
