"""Request body parsing."""

from __future__ import annotations

from rest_framework import parsers
from rest_framework.exceptions import ParseError


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, plus a clean 400 for pathologically nested bodies.

    `[[[[...]]]]` a hundred thousand levels deep fits in any sane size limit but exhausts
    Python's recursion limit inside `json`, which DRF would let escape as a 500.
    """

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError as exc:
            raise ParseError("JSON parse error - the body is nested too deeply.") from exc
