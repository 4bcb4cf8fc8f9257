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
def budget_items(budget: Any) -> list[tuple[str, str]]:
    """The fetch budget of /system/stats as (label, readable value) rows for the dashboard."""
    if not isinstance(budget, dict):
        return []
    rows = [
        ("Budget", _per_second(budget.get("rate_per_second"))),
        ("Demand (effective)", _per_second(budget.get("demand_per_second"))),
        ("Demand (configured)", _per_second(budget.get("configured_demand_per_second"))),
        ("Utilisation", _percent(budget.get("utilisation"))),
        ("Scheduled backlog", _count(budget.get("scheduled_backlog"))),
        ("Oldest scheduled", _seconds(budget.get("oldest_scheduled_age_seconds"))),
    ]
    return rows


def _per_second(value: Any) -> str:
    return "–" if value is None else f"{value:.3g}/s"


def _percent(value: Any) -> str:
    return "–" if value is None else f"{value:.0%}"


def _count(value: Any) -> str:
    return "–" if value is None else f"{value:,}"


def _seconds(value: Any) -> str:
    return "–" if value is None else f"{value:,.0f} s"
