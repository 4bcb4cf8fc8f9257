"""The Player admin page (the player page) embeds the Overall XP chart of its period."""

import re
import xml.etree.ElementTree as ET
from html import unescape

import pytest
from django.contrib.auth import get_user_model

from tests.factories import PlayerFactory, days, record_snapshot

pytestmark = pytest.mark.django_db


def test_player_change_page_embeds_the_overall_xp_chart(client):
    admin = get_user_model().objects.create_superuser("root", "root@example.com", "pw-123456!")
    client.force_login(admin)
    player = PlayerFactory(username="Lynx Titan", schedule=False)
    record_snapshot(player, {"attack": 1_000}, at=days(0))

    page = client.get(f"/admin/players/player/{player.pk}/change/")

    assert page.status_code == 200
    html = page.content.decode()
    (src,) = re.findall(r'<img id="pp-chart" src="([^"]+)"', html)
    src = unescape(src)
    assert src.startswith("/players/Lynx%20Titan/history/overall/chart.svg?start=")
    chart = client.get(src, HTTP_ACCEPT="image/*")  # the browser's request for the <img>
    assert chart.status_code == 200
    assert chart["Content-Type"].startswith("image/svg+xml")
    ET.fromstring(chart.content)
