"""The browsable API's renderer: raw-data forms pre-filled with a valid example request."""

from __future__ import annotations

import json
from typing import Any

from rest_framework import renderers


def browsable_example(view: Any, method: str) -> Any | None:
    """The example body a view declares for `method` (`browsable_example = {"POST": {...}}`)."""
    examples = getattr(view, "browsable_example", None) or {}
    return examples.get(method.upper())


class BrowsableAPIRenderer(renderers.BrowsableAPIRenderer):
    """DRF's browsable API; a view's `browsable_example` replaces the serializer-derived body.

    DRF fills the raw form from the view's (output) serializer, so `POST /players` offered
    `{"schedule_id": null}`, which the endpoint rejects. Views that take a body say what a valid
    one looks like instead.
    """

    # DRF's page, branded: "osrs-diff" links to the front door, "API root" to /api.
    template = "osrs_diff/browsable_api.html"

    def get_raw_data_form(self, data, view, method, request):
        form = super().get_raw_data_form(data, view, method, request)
        example = browsable_example(view, method)
        if form is None or example is None:
            return form
        form.fields["_content"].initial = json.dumps(example, indent=4)
        return form
