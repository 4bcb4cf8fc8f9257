"""Helpers of the browser tests."""

from __future__ import annotations


def click_and_wait(page, element, timeout: float = 15) -> None:
    """Clicks a link or button and waits until the next page has replaced this one."""
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    element.click()
    WebDriverWait(page, timeout).until(ec.staleness_of(element))
    WebDriverWait(page, timeout).until(
        lambda driver: driver.execute_script("return document.readyState") == "complete"
    )
