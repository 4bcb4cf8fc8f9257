"""Query-string filters shared by the list endpoints: an unknown value is a 400, never ignored."""

from __future__ import annotations

from typing import Any

import django_filters
from django import forms

TRUE_VALUES = ("true", "1")
FALSE_VALUES = ("false", "0")


class _StrictBooleanFormField(forms.Field):
    default_error_messages = {"invalid": "Use true or false."}

    def to_python(self, value: Any) -> bool | None:
        if value in (None, ""):
            return None
        text = str(value).strip().lower()
        if text in TRUE_VALUES:
            return True
        if text in FALSE_VALUES:
            return False
        raise forms.ValidationError(self.error_messages["invalid"], code="invalid")


class StrictBooleanFilter(django_filters.BooleanFilter):
    """`?flag=true|false` (or 1/0); django-filter's own BooleanFilter ignores `?flag=maybe`."""

    field_class = _StrictBooleanFormField
