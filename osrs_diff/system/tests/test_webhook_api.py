"""`/webhooks` (staff only): create, list, read, change, delete; the secret is write-only."""

from __future__ import annotations

import pytest

from osrs_diff.system.models import Webhook

pytestmark = pytest.mark.django_db

BODY = {
    "name": "Clan Discord",
    "url": "https://discord.example/api/webhooks/1/abc",
    "events": ["party.started", "party.ended"],
    "format": "discord",
    "secret": "top-secret",
}


def test_staff_create_a_webhook_and_never_see_its_secret(staff_client):
    response = staff_client.post("/webhooks", BODY, format="json")

    assert response.status_code == 201, response.content
    body = response.json()
    assert "secret" not in body
    assert body["has_secret"] is True
    assert body["enabled"] is True
    assert body["consecutive_failures"] == 0 and body["disabled_reason"] == ""
    assert Webhook.objects.get(pk=body["id"]).secret == "top-secret"
    listed = staff_client.get("/webhooks").json()
    assert [item["id"] for item in listed] == [body["id"]]
    assert "secret" not in listed[0]
    assert staff_client.get(f"/webhooks/{body['id']}").json()["url"] == BODY["url"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"url": "file:///etc/passwd"}, "url"),
        ({"url": "ftp://example.com/x"}, "url"),
        ({"events": ["player.teleported"]}, "events"),
        ({"events": []}, "events"),
        ({"format": "xml"}, "format"),
        ({"url": "http://user:pw@127.0.0.1:9/x"}, "url"),  # credentials would show everywhere
        ({"enabled": "yes"}, "enabled"),  # JSON booleans only
    ],
)
def test_bad_webhooks_are_refused(staff_client, change, field):
    response = staff_client.post("/webhooks", {**BODY, **change}, format="json")
    assert response.status_code == 400
    assert field in str(response.json()["details"])
    assert not Webhook.objects.exists()


def test_enabling_a_disabled_webhook_clears_its_failures(staff_client):
    webhook = Webhook.objects.create(
        url=BODY["url"],
        events=["party.started"],
        enabled=False,
        consecutive_failures=20,
        disabled_reason="Disabled automatically after 20 consecutive failed deliveries.",
    )
    shown = staff_client.get(f"/webhooks/{webhook.pk}").json()
    assert shown["disabled_reason"].startswith("Disabled automatically")

    response = staff_client.patch(f"/webhooks/{webhook.pk}", {"enabled": True}, format="json")

    assert response.status_code == 200
    assert (response.json()["consecutive_failures"], response.json()["disabled_reason"]) == (0, "")


def test_patch_changes_only_what_is_sent_and_keeps_the_secret(staff_client):
    webhook = Webhook.objects.create(url=BODY["url"], events=["party.started"], secret="keep")
    response = staff_client.patch(
        f"/webhooks/{webhook.pk}", {"events": ["player.flagged"]}, format="json"
    )
    assert response.status_code == 200
    webhook.refresh_from_db()
    assert (webhook.events, webhook.secret, webhook.url) == (
        ["player.flagged"],
        "keep",
        BODY["url"],
    )


def test_delete_removes_the_webhook(staff_client):
    webhook = Webhook.objects.create(url=BODY["url"], events=["party.started"])
    assert staff_client.delete(f"/webhooks/{webhook.pk}").status_code == 204
    assert staff_client.get(f"/webhooks/{webhook.pk}").status_code == 404


def test_operators_cannot_touch_webhooks(auth_client):
    assert auth_client.get("/webhooks").status_code == 403
    assert auth_client.post("/webhooks", BODY, format="json").status_code == 403


def test_each_event_is_stored_once(staff_client):
    body = {**BODY, "events": ["party.started", "party.ended", "party.started"]}
    response = staff_client.post("/webhooks", body, format="json")
    assert response.status_code == 201
    assert response.json()["events"] == ["party.started", "party.ended"]
