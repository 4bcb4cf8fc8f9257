"""Browser tests: Debian's chromium + chromium-driver driven by selenium against `live_server`.

`make test` installs the browser first (scripts/ensure_browser.sh); where it cannot be installed
the tests skip and say why. One headless browser serves the whole session. Every test can save
screenshots under var/screenshots/ for a human to review.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.conf import settings

from tests.browser.helpers import click_and_wait

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
WINDOW = (1280, 900)
SCREENSHOTS = Path(settings.BASE_DIR) / "var" / "screenshots"
ADMIN_PASSWORD = "browser-pass-123!"


def _browser_missing() -> str | None:
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (pip install -r requirements-dev.txt)"
    chromium = shutil.which("chromium") or (CHROMIUM if Path(CHROMIUM).exists() else None)
    driver = shutil.which("chromedriver") or (CHROMEDRIVER if Path(CHROMEDRIVER).exists() else None)
    if not chromium or not driver:
        return (
            "no chromium/chromedriver on this machine and scripts/ensure_browser.sh could not "
            "install them (needs root and apt-get: apt-get install chromium chromium-driver)"
        )
    return None


@pytest.fixture(scope="session")
def browser() -> Iterator:
    """One headless chromium for the whole test session."""
    reason = _browser_missing()
    if reason:
        pytest.skip(reason)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or CHROMIUM
    for argument in (
        "--headless=new",
        "--no-sandbox",  # root in containers and CI
        "--disable-dev-shm-usage",
        "--disable-gpu",
        f"--window-size={WINDOW[0]},{WINDOW[1]}",
        "--lang=en-US",
    ):
        options.add_argument(argument)
    service = Service(shutil.which("chromedriver") or CHROMEDRIVER)
    driver = webdriver.Chrome(options=options, service=service)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture
def page(browser, live_server, settings) -> Iterator:
    """The browser, pointed at a fresh live server session (cookies cleared).

    Tests using it are marked `django_db(transaction=True, serialized_rollback=True)`: the live
    server's thread sees their rows, and the content types survive for the drills that follow.
    """
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = False  # plain http here
    browser.delete_all_cookies()
    browser.base_url = live_server.url
    yield browser
    browser.delete_all_cookies()


@pytest.fixture
def screenshot(page, request) -> Callable[[str], Path]:
    """`screenshot("admin-index")` saves var/screenshots/<test>--admin-index.png (full page)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(name: str) -> Path:
        test = re.sub(r"[^\w.-]+", "-", request.node.name).strip("-")
        path = SCREENSHOTS / f"{test}--{name}.png"
        height = page.execute_script(
            "return Math.max(document.body.scrollHeight, document.documentElement.scrollHeight)"
        )
        page.set_window_size(WINDOW[0], min(max(int(height), WINDOW[1]), 4000))
        try:
            assert page.save_screenshot(str(path)), f"could not save {path}"
        finally:
            page.set_window_size(*WINDOW)
        return path

    return take


@pytest.fixture
def admin_login(page, django_user_model) -> Callable[[], None]:
    """Logs a superuser into the admin through its login form."""

    def login() -> None:
        from selenium.webdriver.common.by import By

        if not django_user_model.objects.filter(username="admin").exists():
            django_user_model.objects.create_superuser("admin", "admin@example.com", ADMIN_PASSWORD)
        page.get(page.base_url + "/admin/login/?next=/admin/")
        page.find_element(By.NAME, "username").send_keys("admin")
        page.find_element(By.NAME, "password").send_keys(ADMIN_PASSWORD)
        click_and_wait(page, page.find_element(By.CSS_SELECTOR, "input[type=submit]"))
        assert page.find_elements(By.ID, "user-tools"), "the admin login failed"
        assert page.current_url.endswith("/admin/"), page.current_url

    return login
