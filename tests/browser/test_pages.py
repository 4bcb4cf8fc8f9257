"""The operator's pages in a real browser: front door, admin, player and party pages, docs."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from django.urls import reverse
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

from hiscores.services import snapshot_record
from tests.browser.helpers import click_and_wait
from tests.factories import PlayerFactory, party_with_drops, reading

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def foreign_requests(page) -> list[str]:
    """Every resource the page loaded from another host (Resource Timing).

    A request the page's Content-Security-Policy blocked is listed by the browser too (status 0,
    nothing transferred) and reported as a violation in the console: it loaded nothing.
    """
    own = urlsplit(page.base_url).netloc
    blocked = " ".join(
        entry["message"]
        for entry in page.get_log("browser")
        if "violates the following Content Security Policy" in entry["message"]
    )
    entries = page.execute_script(
        "return performance.getEntriesByType('resource')"
        ".map(e => [e.name, e.transferSize, e.responseStatus || 0])"
    )
    return [
        url
        for url, size, status in entries
        if urlsplit(url).netloc not in ("", own)
        and not (size == 0 and status == 0 and url in blocked)
    ]


def test_front_door_links_to_the_admin(page, screenshot):
    page.get(page.base_url + "/")

    assert page.title == "osrs-diff"
    assert page.find_element(By.TAG_NAME, "h1").text == "osrs-diff"
    screenshot("front-door")
    assert foreign_requests(page) == []
    click_and_wait(page, page.find_element(By.ID, "link-admin"))
    assert "/admin/login/" in page.current_url


def test_admin_index_and_api_root(page, admin_login, screenshot):
    admin_login()

    body = page.find_element(By.TAG_NAME, "body").text
    assert "Parties" in body and "Partys" not in body
    screenshot("admin-index")
    click_and_wait(page, page.find_element(By.LINK_TEXT, "VIEW SITE"))
    assert urlsplit(page.current_url).path == "/"
    page.get(page.base_url + "/api")
    assert page.find_element(By.TAG_NAME, "h1").text == "osrs-diff API"
    screenshot("api-root")
    page.get(page.base_url + "/players")
    assert page.find_element(By.TAG_NAME, "h1").text == "Players"
    content = page.find_element(By.ID, "id__content").get_attribute("value")
    assert '"username": "Zezima"' in content
    screenshot("players-browsable")


def test_player_change_page(page, admin_login, screenshot):
    player = PlayerFactory(username="Zezima")
    snapshot_record(player_id=player.pk, reading=reading({"attack": 13_034_431}))
    admin_login()

    page.get(page.base_url + reverse("admin:players_player_change", args=[player.pk]))

    assert "Zezima" in page.find_element(By.TAG_NAME, "body").text
    screenshot("player-change")
    page.get(page.base_url + reverse("admin:django_celery_beat_periodictask_changelist"))
    assert page.find_element(By.LINK_TEXT, "Zezima")
    screenshot("periodic-tasks")


def test_snapshot_page_is_grouped_tables_that_fit_the_screen(page, admin_login, screenshot):
    player = PlayerFactory(username="Zezima")
    snapshot_record(player_id=player.pk, reading=reading({"attack": 13_034_431, "zulrah": 1_234}))
    snapshot = player.snapshots.get()
    admin_login()

    page.get(page.base_url + reverse("admin:hiscores_snapshot_change", args=[snapshot.pk]))

    body = page.find_element(By.TAG_NAME, "body").text
    assert "Zezima @ " in body and "13,034,431" in body
    for table in ("snapshot-skills", "snapshot-activities", "snapshot-bosses"):
        assert page.find_element(By.ID, table).is_displayed()
    width, inner, height = page.execute_script(
        "return [document.documentElement.scrollWidth, window.innerWidth,"
        " document.documentElement.scrollHeight]"
    )
    assert width <= inner, (width, inner)  # no horizontal scrolling at 1280 px
    assert height < 4_000, height  # was 7,857 px: one row per column
    screenshot("snapshot-change")
    click_and_wait(page, page.find_element(By.ID, "snapshot-player-link"))
    assert page.current_url.endswith(reverse("admin:players_player_change", args=[player.pk]))


def test_party_page_is_read_only(page, admin_login, screenshot):
    party = party_with_drops(
        (1319, "Rune 2h sword", 1, 1_234_567), (536, "Dragon bones", 100, 2_000)
    )
    admin_login()

    page.get(page.base_url + reverse("admin:drops_party_change", args=[party.pk]))

    body = page.find_element(By.TAG_NAME, "body").text
    assert "1,236,567 gp" in body
    assert not page.find_elements(By.CSS_SELECTOR, "input[name=_save]")
    screenshot("party-change")


@pytest.mark.parametrize(
    ("path", "ready"),
    [("/docs", ".swagger-ui .info"), ("/redoc", "#redoc-container h1")],
)
def test_docs_render_offline(page, screenshot, path, ready):
    page.get(page.base_url + path)

    WebDriverWait(page, 20).until(
        ec.text_to_be_present_in_element((By.CSS_SELECTOR, ready), "osrs-diff API")
    )
    assert foreign_requests(page) == []
    assert not page.find_elements(By.CSS_SELECTOR, "img[src*='//']")
    # Not even a request the page's policy blocks: the ReDoc logo is inline.
    names = page.execute_script("return performance.getEntriesByType('resource').map(e => e.name)")
    assert not [name for name in names if "redoc.ly" in name], names
    screenshot(path.strip("/"))
