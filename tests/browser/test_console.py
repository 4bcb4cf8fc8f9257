"""The operator's console in a real browser: the dashboard on the admin index and the player page
(switch the period and the chart metric). Screenshots under var/screenshots/ for review."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from selenium.webdriver.common.by import By

from hiscores.fetch_log import fetch_log_record
from hiscores.models import RejectedReading
from players.models import Player
from tests.browser.conftest import SCREENSHOTS
from tests.browser.helpers import click_and_wait
from tests.factories import (
    GameModeChangeFactory,
    PlayerFactory,
    party_with_drops,
    record_snapshot,
)

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def _tracked_player() -> Player:
    """Zezima: five weeks of readings (skills and bosses), a death, a few fetches."""
    player = PlayerFactory(username="Zezima", game_mode="ironman")
    now = timezone.now()
    for week in range(5, -1, -1):
        at = now - timedelta(days=7 * week, hours=1)
        gained = (5 - week) * 250_000
        record_snapshot(
            player,
            {
                "attack": 13_034_431 + gained,
                "slayer": 8_000_000 + 2 * gained,
                "zulrah": 400 + 30 * (5 - week),
                "vorkath": (5 - week) * 12 or None,
                "clue_scrolls_all": 150 + (5 - week),
            },
            at=at,
        )
    GameModeChangeFactory(player=player, from_mode="hardcore", to_mode="ironman")
    for outcome, detail in (
        ("success", ""),
        ("unchanged", ""),
        ("unavailable", "timeout"),
        ("success", ""),
    ):
        fetch_log_record(player_id=player.pk, outcome=outcome, detail=detail)
    return player


def _flagged_player() -> Player:
    player = PlayerFactory(username="Rolled Back")
    record_snapshot(player, {"attack": 5_000_000}, at=timezone.now() - timedelta(days=2))
    Player.objects.filter(pk=player.pk).update(
        flag_reason="Values went down: attack experience 5000000 -> 1000",
        flagged_at=timezone.now(),
    )
    RejectedReading.objects.create(
        player=player,
        fetched_at=timezone.now(),
        board="hiscore_oldschool",
        falls=[{"metric": "attack", "field": "experience", "before": 5_000_000, "after": 1_000}],
    )
    return player


def test_dashboard_on_the_admin_index(page, admin_login, screenshot):
    _tracked_player()
    flagged = _flagged_player()
    party_with_drops(
        (1319, "Rune 2h sword", 1, 1_234_567),
        world=420,
        created_at=timezone.now() - timedelta(minutes=2),
        last_drop_at=timezone.now(),
        ended_at=None,
    )
    admin_login()

    main = page.find_element(By.ID, "content-main")
    first_module = main.find_element(By.CSS_SELECTOR, ".module")
    assert "Players" in first_module.text  # Players first
    assert first_module.location["y"] < 900  # above the fold
    dashboard = page.find_element(By.ID, "ops-dashboard")
    assert dashboard.location["y"] < 900
    health = page.find_element(By.ID, "ops-health").text
    assert "Database ok" in health and "Broker" in health and "Hiscores" in health
    assert "World 420" in page.find_element(By.ID, "ops-parties").text
    screenshot("dashboard")
    # Every panel fits its column: nothing spills over the page's width.
    overflow = page.execute_script(
        "return document.documentElement.scrollWidth > document.documentElement.clientWidth"
    )
    assert not overflow

    click_and_wait(page, page.find_element(By.LINK_TEXT, flagged.username))
    assert page.find_element(By.ID, "pp-flag").is_displayed()
    assert "-4,999,000" in page.find_element(By.ID, "pp-flag").text
    screenshot("flagged-player")
    click_and_wait(page, page.find_element(By.ID, "pp-accept"))
    assert "as a baseline" in page.find_element(By.CSS_SELECTOR, ".messagelist").text
    assert not page.find_elements(By.ID, "pp-flag")


def test_player_page_switches_period_and_chart_metric(page, admin_login, screenshot):
    player = _tracked_player()
    admin_login()

    page.get(page.base_url + reverse("admin:players_player_change", args=[player.pk]))
    skills = page.find_element(By.ID, "pp-skills")
    attack = skills.find_element(By.XPATH, ".//tr[td/a[@data-metric='attack']]")
    assert attack.find_elements(By.TAG_NAME, "td")[2].text == "14,284,431"
    assert attack.find_elements(By.TAG_NAME, "td")[4].text == "+250,000"  # the default: a week
    chart = page.find_element(By.ID, "pp-chart")
    assert page.execute_script("return arguments[0].naturalWidth", chart) > 0  # it loaded
    screenshot("player-week")

    click_and_wait(page, page.find_element(By.CSS_SELECTOR, "a[data-period='month']"))
    attack = page.find_element(
        By.XPATH, "//table[@id='pp-skills']//tr[td/a[@data-metric='attack']]"
    )
    # A month ago the reading of five weeks ago was in force.
    assert attack.find_elements(By.TAG_NAME, "td")[4].text == "+1,250,000"
    assert "?period=month" in page.current_url

    click_and_wait(page, page.find_element(By.CSS_SELECTOR, "#pp-bosses a[data-metric='zulrah']"))
    assert page.find_element(By.ID, "chart").text == "Zulrah"
    assert "/zulrah/chart.svg" in page.find_element(By.ID, "pp-chart").get_attribute("src")
    assert "period=month" in page.current_url
    screenshot("player-month-zulrah")

    click_and_wait(page, page.find_element(By.CSS_SELECTOR, "a[data-period='year']"))
    # Tracking began five weeks ago: the year's chart starts at the first reading.
    assert "tracking began in this period" in page.find_element(By.ID, "pp-range").text
    screenshot("player-year")
    overflow = page.execute_script(
        "return document.documentElement.scrollWidth > document.documentElement.clientWidth"
    )
    assert not overflow


def test_player_page_custom_period(page, admin_login, screenshot):
    player = _tracked_player()
    admin_login()
    page.get(page.base_url + reverse("admin:players_player_change", args=[player.pk]))

    form = page.find_element(By.CSS_SELECTOR, "form.pp-period")
    today = timezone.now().date()
    for name, day in (("start", today - timedelta(days=15)), ("end", today)):
        field = form.find_element(By.NAME, name)
        page.execute_script("arguments[0].value = arguments[1]", field, day.isoformat())
    click_and_wait(page, form.find_element(By.CSS_SELECTOR, "button[type=submit]"))

    assert "period=custom" in page.current_url
    assert not page.find_elements(By.CSS_SELECTOR, ".pp-error")
    screenshot("player-custom")


def test_a_new_players_chart_is_a_point_mid_chart_with_round_ticks(page, admin_login, screenshot):
    player = PlayerFactory(username="Newbie")
    record_snapshot(player, {"attack": 1_000}, at=timezone.now() - timedelta(minutes=1))
    admin_login()

    page.get(
        page.base_url + reverse("admin:players_player_change", args=[player.pk]) + "?period=week"
    )
    screenshot("new-player-week")
    src = page.find_element(By.ID, "pp-chart").get_attribute("src")
    page.get(src)  # the SVG alone: its elements are in the DOM
    dot = page.find_element(By.CSS_SELECTOR, "circle.point")
    axis = page.find_element(By.CSS_SELECTOR, "line.x-axis")
    left, right = float(axis.get_attribute("x1")), float(axis.get_attribute("x2"))
    share = (float(dot.get_attribute("cx")) - left) / (right - left)
    assert 0.3 < share < 0.7, share  # not a vertical line at the right edge
    labels = [el.text for el in page.find_elements(By.CSS_SELECTOR, "text.x-label")]
    assert len(labels) >= 3 and len(set(labels)) == len(labels), labels
    assert all(label.endswith(("0", "2", "4", "6", "8")) for label in labels), labels  # 2 min
    # An SVG document has no body for the screenshot fixture: the window as it is.
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.save_screenshot(str(SCREENSHOTS / "test_a_new_players_chart--new-player-chart.png"))
