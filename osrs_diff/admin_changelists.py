"""Admin changelists under the shared datetime rule: a filter value such as
`?fetched_at__gte=2026-01-01 00:00:00+23:59` (an offset PostgreSQL refuses, or a year-1 instant)
is refused like any bad lookup - the admin's usual "?e=1" redirect - instead of a DataError 500.

Every project ModelAdmin mixes in `BoundedChangeListMixin`.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.utils import NotRelationField, get_fields_from_path
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import models

from osrs_diff.datetimes import MomentOutOfRange, check_moment

_LOOKUPS = {"exact", "gt", "gte", "lt", "lte", "in", "range"}


def _datetime_field(model: type[models.Model], key: str) -> tuple[bool, str | None]:
    parts = key.split("__")
    lookup = parts.pop() if len(parts) > 1 and parts[-1] in _LOOKUPS else None
    try:
        fields = get_fields_from_path(model, "__".join(parts))
    except (FieldDoesNotExist, NotRelationField):
        return False, None
    return isinstance(fields[-1], models.DateTimeField), lookup


def check_lookup_datetimes(model: type[models.Model], params: dict[str, Any]) -> None:
    """Raise IncorrectLookupParameters if a datetime filter value breaks the shared rule."""
    parser = forms.DateTimeField()
    for key, value in params.items():
        is_datetime, lookup = _datetime_field(model, key)
        if not is_datetime:
            continue
        for text in value if isinstance(value, list) else [value]:
            pieces = str(text).split(",") if lookup in ("in", "range") else [str(text)]
            for piece in pieces:
                try:
                    moment = parser.to_python(piece.strip())
                except ValidationError:
                    continue  # unparseable: the admin refuses it by itself
                if moment is None:
                    continue
                try:
                    check_moment(moment)
                except MomentOutOfRange as exc:
                    raise IncorrectLookupParameters(f"{key}: {exc}") from None


class BoundedChangeList(ChangeList):
    def get_filters(self, request):
        check_lookup_datetimes(self.model, self.get_filters_params())
        return super().get_filters(request)


class BoundedChangeListMixin:
    """For every project ModelAdmin: datetime filter values follow `osrs_diff.datetimes`."""

    def get_changelist(self, request, **kwargs):
        return BoundedChangeList
