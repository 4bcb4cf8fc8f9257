"""Property-based: every query, path and body parameter of every endpoint, at its boundaries.

The operations and their parameters come from the OpenAPI document drf-spectacular generates, so
a new endpoint or parameter is covered the day it is added. Values are drawn around the edges
that broke before (issue 15): datetimes at the extremes of the calendar and with offsets up to
+-23:59, integers around 2^31 and 2^63 and negative, huge strings, every script, NUL bytes, JSON
values of every type. The property: never a 5xx, and every 4xx in the one error format.

Bounded for `make test` (INPUT_PROPERTY_EXAMPLES examples per operation, derandomised);
bench/fuzz.sh raises the count for the long run.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta, timezone

import pytest
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

MAX_EXAMPLES = int(os.environ.get("INPUT_PROPERTY_EXAMPLES", "20"))
ERROR_KEYS = {"error_code", "message", "details", "timestamp", "request_id"}
BODY_METHODS = {"post", "patch", "put"}
# Side effects that would end the fixture (DELETE) or only start tasks (no parameters to vary).
SKIPPED = {("delete", "/players/{username}")}

MOMENTS = [
    "0001-01-01",
    "0001-01-01T00:00:00Z",
    "0001-01-01T00:30:00+01:00",
    "9999-12-31",
    "9999-12-31T23:59:59.999999-14:00",
    "9999-12-31T23:00:00-23:59",
    "2026-01-01T00:00:00+16:00",
    "2026-01-01T00:00:00-15:00",
    "2026-01-01T00:00:00+14:00",
    "2026-01-01T00:00:00 01:00",
    "2000-12-31T23:59:59Z",
    "2001-01-01T00:00:00Z",
    "2026-02-30",
    "2026-13-01",
    "+002026-01-01",
    "2026-01-01T24:00:00",
]
BIG_INTEGERS = [
    0,
    -1,
    1,
    2**31 - 1,
    2**31,
    -(2**31),
    -(2**31) - 1,
    2**53 + 1,
    2**62,
    2**63 - 1,
    2**63,
    -(2**63),
    -(2**63) - 1,
    2**64,
    10**100,
]
WORDS = ["true", "false", "maybe", "null", "", " ", "NaN", "Infinity", "-0", "1e400", "1.5"]
WORDS += ["99999y", "0d", "1y2m", "week", "hour", "overall", "attack", "zulrah", "ironman"]
STRANGE = [
    "\x00",
    "a\x00b",
    "x" * 10_000,
    "é" * 2_000,
    "𝔘𝔫𝔦𝔠𝔬𝔡𝔢",
    "مرحبا",
    "漢字かなカナ",
    "\u202eevil",
    "🙂" * 50,
    "' OR 1=1--",
    "%",
    "_",
    "\\",
    "../..",
]


@st.composite
def offset_moments(draw) -> str:
    """Any calendar instant with any offset Python accepts (+-23:59), as ISO text."""
    moment = draw(st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30)))
    minutes = draw(st.integers(min_value=-1439, max_value=1439))
    return moment.replace(tzinfo=timezone(timedelta(minutes=minutes))).isoformat()


integers = st.one_of(
    st.sampled_from(BIG_INTEGERS), st.integers(min_value=-(2**70), max_value=2**70)
)
texts = st.one_of(
    st.sampled_from(MOMENTS + WORDS + STRANGE),
    offset_moments(),
    integers.map(str),
    st.text(max_size=40),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=100, max_size=300),
)
moments = st.one_of(st.sampled_from(MOMENTS), offset_moments())
numbers = st.one_of(integers.map(str), texts)
MOMENT_NAMES = {"start", "end", "since", "at"}


def _strategy_for(parameter: dict) -> st.SearchStrategy[str]:
    """Boundary values weighted by what the schema says the parameter is."""
    schema = parameter.get("schema", {})
    if schema.get("format") in ("date-time", "date") or parameter["name"] in MOMENT_NAMES:
        return moments
    if schema.get("type") in ("integer", "number"):
        return numbers
    return texts


json_values = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        integers,
        st.floats(allow_nan=False, allow_infinity=False),
        texts,
    ),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=10), children, max_size=3)
    ),
    max_leaves=6,
)


def _operations(schema: dict) -> list[tuple[str, str, dict]]:
    found = []
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            if (method, path) in SKIPPED:
                continue
            parameters = operation.get("parameters", [])
            has_body = method in BODY_METHODS and "requestBody" in operation
            # A POST without a body varies nothing but its path; those only start tasks.
            if has_body or (method == "get" and parameters):
                found.append((method, path, operation))
    return found


def _body_fields(operation: dict, components: dict) -> list[str]:
    content = operation.get("requestBody", {}).get("content", {})
    schema = content.get("application/json", {}).get("schema", {})
    if "$ref" in schema:
        schema = components[schema["$ref"].rsplit("/", 1)[-1]]
    return sorted(schema.get("properties", {}))


_SCHEMA = SchemaGenerator().get_schema(request=None, public=True)
_COMPONENTS = _SCHEMA.get("components", {}).get("schemas", {})
OPERATIONS = _operations(_SCHEMA)
# Path parameters take a real value half the time, so the query parameters reach the selectors.
REAL_PATH_VALUES = {
    "username": "Zezima",
    "metric": "attack",
    "party_id": "1",
    "task_id": "00000000-0000-0000-0000-000000000000",
    "name": "drift_check",
    "group_id": "424242",  # the world's group (an id the sequence never reaches in a test run)
}


@pytest.fixture
def world(db, fake_hiscores, staff_client):
    from hiscores.models import Snapshot
    from tests.factories import PlayerFactory

    fake_hiscores.add_player("Zezima", stats={"attack": 1_000_000})
    player = PlayerFactory(username="Zezima")
    Snapshot.objects.create(
        player=player,
        fetched_at=datetime(2025, 1, 1, tzinfo=UTC),
        board="hiscore_oldschool",
        attack_experience=1_000,
    )
    from players.models import Group, GroupMembership

    group = Group.objects.create(pk=424242, name="Clan")
    GroupMembership.objects.create(group=group, player=player)
    return staff_client


def _url(path: str, values: dict[str, str]) -> str:
    from urllib.parse import quote

    for name, value in values.items():
        path = path.replace("{" + name + "}", quote(value, safe=""))
    return path


@pytest.mark.parametrize(
    "method, path, operation",
    OPERATIONS,
    ids=[f"{method.upper()} {path}" for method, path, _ in OPERATIONS],
)
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=MAX_EXAMPLES <= 20,
    suppress_health_check=list(HealthCheck),
)
@given(data=st.data())
def test_no_parameter_value_makes_a_5xx_and_every_error_has_the_format(
    world, method, path, operation, data
):
    parameters = operation.get("parameters", [])
    path_values = {}
    query = {}
    for parameter in parameters:
        name = parameter["name"]
        if parameter["in"] == "path":
            real = REAL_PATH_VALUES.get(name, "x")
            path_values[name] = data.draw(st.just(real) | texts.filter(bool), label=name)
        elif parameter["in"] == "query" and data.draw(st.booleans(), label=f"give {name}"):
            query[name] = data.draw(_strategy_for(parameter), label=name)
    url = _url(path, path_values)
    if method in BODY_METHODS:
        fields = _body_fields(operation, _COMPONENTS)
        body = data.draw(
            st.dictionaries(
                st.sampled_from([*fields, "unknown_field"]), json_values, max_size=len(fields) + 1
            )
            | json_values,
            label="body",
        )
        response = getattr(world, method)(url, body, format="json")
    else:
        response = world.get(url, query)

    assert response.status_code < 500, (url, query, response.content[:500])
    if response.status_code >= 400:
        assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
        assert set(response.json()) == ERROR_KEYS, response.content[:500]


def test_the_table_covers_every_parameterised_operation():
    """A guard on the generator itself: the operations issue 15 named are all in the table."""
    names = {(method, path) for method, path, _ in OPERATIONS}
    for expected in [
        ("get", "/parties/history"),
        ("get", "/history/leaderboard"),
        ("get", "/players/{username}/history"),
        ("get", "/players/{username}/history/{metric}/chart.svg"),
        ("get", "/players/{username}/stats"),
        ("get", "/players"),
        ("post", "/players"),
        ("patch", "/players/{username}"),
        ("post", "/drops"),
    ]:
        assert expected in names
