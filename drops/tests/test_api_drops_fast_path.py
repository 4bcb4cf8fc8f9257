"""POST /drops: the lean path (drops.middleware) answers exactly as the DRF view does."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from drops.models import Drop
from drops.serializers import DropReportSerializer, drop_report_quick_validate
from drops.views import DropReportView

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_throttle_counter")]

BODY = {"world": 444, "item_id": 1319, "item_name": "Rune 2h sword", "quantity": 1, "value": 38052}
# Headers the DRF path gets from DRF and the middleware the lean path skips.
HEADERS = ["Content-Type", "Allow", "Vary", "X-Frame-Options", "Retry-After", "Content-Length"]
# A query string sends the request down the whole stack to DropReportView (DRF ignores it).
DRF = "?via=drf"


@pytest.fixture
def no_drf(monkeypatch):
    """Fail the test if a request reaches the DRF view."""

    def refuse(*args, **kwargs):
        raise AssertionError("the DRF view was called")

    monkeypatch.setattr(DropReportView, "dispatch", refuse)


def post(client, body, suffix="", content_type="application/json", **extra):
    payload = body if isinstance(body, bytes) else json.dumps(body).encode()
    return client.generic("POST", "/drops" + suffix, payload, content_type, **extra)


def comparable(response) -> tuple:
    body = response.json()
    for volatile in ("timestamp", "request_id", "party_id"):
        body.pop(volatile, None)
    return response.status_code, body, {h: response.get(h) for h in HEADERS}


def test_plain_reports_never_reach_the_drf_view(api_client, clock, no_drf):
    assert post(api_client, BODY).status_code == 201
    clock.shift(0.1)
    assert post(api_client, BODY).status_code == 200
    assert post(api_client, {**BODY, "item_id": 1}, suffix="/").status_code == 201
    assert post(api_client, {**BODY, "world": 0}).status_code == 400
    assert post(api_client, b"{nope").status_code == 400
    assert Drop.objects.count() == 2


def test_the_lean_path_counts_the_report_in_the_metrics_route(api_client, clock, no_drf):
    from osrs_diff.metrics import DROPS_REPORTED

    before = DROPS_REPORTED.labels(result="accepted")._value.get()
    post(api_client, BODY)

    assert DROPS_REPORTED.labels(result="accepted")._value.get() == before + 1


@pytest.mark.parametrize(
    "suffix, extra",
    [
        (DRF, {}),
        ("", {"HTTP_AUTHORIZATION": "Bearer not-a-token"}),
        ("", {"HTTP_COOKIE": "sessionid=abc"}),
        ("", {"HTTP_ACCEPT": "text/html"}),
        ("", {"content_type": "application/json; charset=latin-1"}),
    ],
)
def test_anything_but_the_plain_case_goes_to_the_drf_view(api_client, monkeypatch, suffix, extra):
    reached = []
    real_dispatch = DropReportView.dispatch

    def spy(self, request, *args, **kwargs):
        reached.append(request.path)
        return real_dispatch(self, request, *args, **kwargs)

    monkeypatch.setattr(DropReportView, "dispatch", spy)
    post(api_client, BODY, suffix, **extra)

    assert reached == ["/drops"]


def test_drf_still_refuses_a_bad_token_and_unacceptable_formats(api_client):
    bad_token = post(api_client, BODY, HTTP_AUTHORIZATION="Bearer not-a-token")
    html_only = post(api_client, BODY, HTTP_ACCEPT="text/html")

    assert bad_token.status_code == 401
    assert html_only.status_code == 406
    assert not Drop.objects.exists()


def test_successful_answers_match_the_drf_view(api_client, clock):
    answers = {}
    for world, suffix in [(444, ""), (445, DRF)]:
        body = {**BODY, "world": world}
        first = post(api_client, body, suffix)
        clock.shift(0.25)
        copy = post(api_client, body, suffix)
        other = post(api_client, {**body, "item_id": 1163, "value": 20_000}, suffix)
        answers[world] = [comparable(r) for r in (first, copy, other)]
        clock.shift(1)

    lean = json.loads(json.dumps(answers[444]).replace("444", "445"))
    assert lean == json.loads(json.dumps(answers[445]))
    assert [status for status, _, _ in answers[444]] == [201, 200, 201]


@pytest.mark.parametrize(
    "body",
    [
        {**BODY, "world": 0},
        {**BODY, "world": "444"},
        {**BODY, "value": 2**63},
        {**BODY, "value": 1.5},
        {**BODY, "item_name": ""},
        {**BODY, "item_name": "   "},
        {**BODY, "item_name": "x" * 101},
        {**BODY, "item_name": "Rune\x002h"},
        {**BODY, "item_name": "\ud800"},
        {**BODY, "item_name": 5},
        {**BODY, "extra": 1},
        {k: v for k, v in BODY.items() if k != "value"},
        {"world": True, "item_id": None},
        [1, 2],
        {},
        b"{not json",
        b'{"world": NaN}',
        b"\xff\xfe",
        b'{"world": ' + b"[" * 5000 + b"]" * 5000 + b"}",
        b"  ",
    ],
    ids=lambda body: repr(body)[:40],
)
def test_error_answers_match_the_drf_view(api_client, body):
    lean, drf = post(api_client, body), post(api_client, body, DRF)

    assert lean.status_code == 400
    assert comparable(lean) == comparable(drf)
    assert not Drop.objects.exists()


def test_unusual_but_valid_bodies_are_accepted_like_the_drf_view(api_client, clock):
    padded = post(api_client, {**BODY, "item_name": "  Rune 2h sword  "})
    unicode = post(api_client, {**BODY, "item_id": 2, "item_name": "Zaros godsword ✦"})

    assert padded.status_code == unicode.status_code == 201
    names = set(Drop.objects.values_list("item_name", flat=True))
    assert names == {"Rune 2h sword", "Zaros godsword ✦"}


def test_throttled_answers_match_the_drf_view(api_client, settings, clock):
    settings.DROPS_THROTTLE_RATE = "1/minute"
    post(api_client, BODY)
    lean, drf = post(api_client, BODY), post(api_client, BODY, DRF)

    assert lean.status_code == 429 and lean["Retry-After"] == "50"
    assert comparable(lean) == comparable(drf)


def test_a_database_outage_answers_503_like_the_drf_view(api_client, monkeypatch):
    from django.db import OperationalError

    from drops import services

    def down(**kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(services, "drop_report", down)
    lean, drf = post(api_client, BODY), post(api_client, BODY, DRF)

    assert lean.status_code == 503 and lean["Retry-After"] == "5"
    assert comparable(lean) == comparable(drf)


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=5,
)
_near_valid = st.fixed_dictionaries(
    {
        "world": st.integers(-2, 10_001) | _json,
        "item_id": st.integers(-2, 2**31) | _json,
        "item_name": st.text(max_size=102) | _json,
        "quantity": st.integers(-1, 2**31) | _json,
        "value": st.integers(-1, 2**63) | _json,
    },
    optional={"extra": _json},
)


@hypothesis_settings(max_examples=300, deadline=None)
@given(data=_near_valid | _json)
def test_the_quick_validator_accepts_only_what_the_serializer_accepts(data):
    quick = drop_report_quick_validate(data)
    if quick is None:
        return
    serializer = DropReportSerializer(data=data)
    assert serializer.is_valid(), serializer.errors
    assert dict(serializer.validated_data) == quick
