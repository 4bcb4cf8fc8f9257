"""Template helpers of the admin index (osrs_diff/system/templates/admin/system/index.html)."""

from __future__ import annotations

from typing import Any

from django import template

from osrs_diff.system.dashboard import Dashboard, dashboard

register = template.Library()

FIRST_APPS = ("players",)


@register.simple_tag
def operations_dashboard() -> Dashboard:
    """`{% operations_dashboard as dash %}`: the dashboard's numbers (system.dashboard)."""
    return dashboard()


@register.filter
def first_apps(app_list: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The apps the index shows first, above the dashboard (Players)."""
    return [app for app in app_list if app["app_label"] in FIRST_APPS]


@register.filter
def other_apps(app_list: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [app for app in app_list if app["app_label"] not in FIRST_APPS]


@register.filter
def label(key: Any) -> str:
    """`not_found` -> "Not found"."""
    text = str(key).replace("_", " ")
    return text[:1].upper() + text[1:]


@register.filter
def budget_items(budget: Any) -> list[tuple[str, Any]]:
    """A fetch budget of unknown shape (it arrives from another change) as (name, value) pairs."""
    if isinstance(budget, dict):
        return list(budget.items())
    return [("budget", budget)] if budget is not None else []
