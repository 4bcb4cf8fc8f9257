"""Helpers of the browser tests."""

from __future__ import annotations


def _detached(element):
    """True once `element` left the document (the next page replaced this one)."""
    from selenium.common.exceptions import StaleElementReferenceException, WebDriverException

    def check(_driver) -> bool:
        try:
            element.is_enabled()
        except StaleElementReferenceException:
            return True
        except WebDriverException as exc:
            # Chromium sometimes answers a node of the page being replaced with this instead of
            # a stale-element error.
            if "does not belong to the document" in str(exc):
                return True
            raise
        return False

    return check


def click_and_wait(page, element, timeout: float = 15) -> None:
    """Clicks a link or button and waits until the next page has replaced this one."""
    from selenium.webdriver.support.ui import WebDriverWait

    element.click()
    WebDriverWait(page, timeout).until(_detached(element))
    WebDriverWait(page, timeout).until(
        lambda driver: driver.execute_script("return document.readyState") == "complete"
    )
