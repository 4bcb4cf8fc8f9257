"""Pagination shared by every list endpoint."""

from typing import Any

from rest_framework import exceptions as drf_exceptions
from rest_framework import pagination, serializers


class PageNumberPagination(pagination.PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 500


# No list here will ever hold this many rows; a page past it is answered without a query (an
# OFFSET past 2^63 - 1 is an error on PostgreSQL, not an empty page).
MAX_OFFSET = 2**31


class PageField(serializers.IntegerField):
    """`?page=` of a hand-paginated list: anything but a positive integer is 404 "Invalid page.",
    as DRF's paginator answers on every other list."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("required", False)
        kwargs.setdefault("default", 1)
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> int:
        text = str(data).strip()
        if not text.isascii() or not text.isdigit() or int(text) < 1:
            raise drf_exceptions.NotFound("Invalid page.")
        return int(text)
