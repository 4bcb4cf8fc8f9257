"""Pagination shared by every list endpoint."""

from typing import Any

from rest_framework import exceptions as drf_exceptions
from rest_framework import pagination, serializers


class PageNumberPagination(pagination.PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 500

    def get_page_size(self, request) -> int | None:
        # DRF falls back to the default for `page_size=-1` or `=2^64`; an impossible size is a
        # 400 naming it, as on the leaderboard (an impossible *page* stays 404 "Invalid page.").
        raw = request.query_params.get(self.page_size_query_param)
        if raw not in (None, ""):
            text = raw.strip()
            if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= self.max_page_size:
                raise drf_exceptions.ValidationError(
                    {
                        self.page_size_query_param: [
                            f"Give a whole number from 1 to {self.max_page_size}."
                        ]
                    }
                )
        return super().get_page_size(request)


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
