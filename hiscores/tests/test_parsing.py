import json
import random
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.conf import settings

from hiscores.integration.catalogue import ACTIVITY_KEYS, BOSS_KEYS, SKILL_KEYS
from hiscores.integration.errors import HiscoresUnavailable
from hiscores.integration.fakes import dumps_body, make_hiscores_body
from hiscores.integration.parsing import parse_hiscores
from hiscores.integration.results import ActivityReading, Board, SkillReading

SHARED = Path(settings.BASE_DIR).parent / "shared" / "fixtures" / "hiscores"
needs_shared = pytest.mark.skipif(not SHARED.is_dir(), reason="shared hiscores fixtures absent")


def shared_files(pattern):
    return sorted(SHARED.glob(pattern)) if SHARED.is_dir() else []


@pytest.fixture
def body():
    return make_hiscores_body(
        {"attack": 13_034_431, "hitpoints": 1_154, "sailing": 83, "zulrah": 1_646},
        default_xp=0,
        default_score=None,
    )


# --- Real responses --------------------------------------------------------------------------


@needs_shared
@pytest.mark.parametrize("path", shared_files("*.json"), ids=lambda p: p.name)
def test_it_parses_every_shared_json_fixture_by_name(path):
    raw = json.loads(path.read_bytes())
    result = parse_hiscores(path.read_bytes(), board=Board.REGULAR)

    assert set(result.skills) == set(SKILL_KEYS)
    assert set(result.activities) == set(ACTIVITY_KEYS)
    assert set(result.bosses) == set(BOSS_KEYS)
    # Every row lands on its metric, with -1 read as None.
    for row in raw["skills"]:
        reading = result.get(row["name"].lower())
        assert reading.experience == (None if row["xp"] == -1 else row["xp"])
    assert result.overall.experience == raw["skills"][0]["xp"]


@needs_shared
def test_it_reads_the_known_values_of_the_shared_fixtures():
    psikoi = parse_hiscores((SHARED / "psikoi_hiscores.json").read_bytes())
    assert psikoi.overall == SkillReading(rank=51_181, level=2_184, experience=304_439_328)
    assert psikoi.activities["clue_scrolls_all"].score == 585
    assert psikoi.bosses["zulrah"].score == 1_646
    assert psikoi.bosses["kalphite_queen"].score == 293
    assert psikoi.bosses["barrows_chests"].score == 1_773
    assert psikoi.bosses["commander_zilyana"].score == 1_350
    assert psikoi.activities["clue_scrolls_beginner"] == ActivityReading(rank=None, score=None)
    # The legacy Bounty Hunter rows (dummy 100/200) are ignored, the new ones kept.
    assert "bounty_hunter_legacy_hunter" not in psikoi.activities
    assert psikoi.activities["bounty_hunter_hunter"] == ActivityReading(rank=None, score=None)

    lynx = parse_hiscores((SHARED / "lynx_titan_hiscores.json").read_bytes())
    assert lynx.overall.rank == 1
    assert lynx.overall.experience == 4_800_000_000  # beyond 32 bits
    assert all(lynx.skills[k].experience == 200_000_000 for k in SKILL_KEYS[1:])
    assert lynx.bosses["zulrah"] == ActivityReading(rank=None, score=None)
    assert lynx.combat_level == 126


@needs_shared
@pytest.mark.parametrize("path", shared_files("*.json"), ids=lambda p: p.name)
def test_shuffled_rows_parse_identically(path):
    raw = json.loads(path.read_bytes())
    fetched_at = datetime(2026, 1, 1, tzinfo=UTC)
    expected = parse_hiscores(raw, fetched_at=fetched_at)
    rng = random.Random(7)
    for _ in range(5):
        shuffled = {"activities": list(raw["activities"]), "skills": list(raw["skills"])}
        rng.shuffle(shuffled["skills"])
        rng.shuffle(shuffled["activities"])
        assert parse_hiscores(json.dumps(shuffled), fetched_at=fetched_at) == expected


# --- Generated bodies ---------------------------------------------------------------------------


def test_generated_body_has_todays_116_rows_and_parses(body):
    assert len(body["skills"]) == 25 and len(body["activities"]) == 91
    result = parse_hiscores(dumps_body(body), board=Board.IRONMAN)

    assert result.board is Board.IRONMAN
    assert result.skills["attack"].level == 99 and result.skills["attack"].experience == 13_034_431
    assert result.skills["hitpoints"].level == 10
    assert result.skills["sailing"].level == 2
    assert result.bosses["zulrah"].score == 1_646
    assert result.bosses["vorkath"] == ActivityReading(rank=None, score=None)
    assert result.overall.experience == 13_034_431 + 1_154 + 83


def test_an_unknown_row_is_kept_under_a_derived_key(body):
    body["activities"].append({"name": "The Mega Boss: Hard Mode", "rank": 12, "score": 3})
    body["skills"].append({"name": "Necromancy", "rank": 5, "level": 2, "xp": 100})

    result = parse_hiscores(json.dumps(body))

    assert result.bosses["the_mega_boss_hard_mode"] == ActivityReading(rank=12, score=3)
    assert result.skills["necromancy"] == SkillReading(rank=5, level=2, experience=100)


def test_a_removed_row_leaves_the_metric_absent(body):
    body["activities"] = [r for r in body["activities"] if r["name"] != "Zulrah"]
    body["skills"] = [r for r in body["skills"] if r["name"] != "Attack"]

    result = parse_hiscores(json.dumps(body))

    assert "zulrah" not in result.bosses and result.get("zulrah") is None
    assert "attack" not in result.skills
    assert "vorkath" in result.bosses


def test_ignored_rows_never_show_up(body):
    for row in body["activities"]:
        if row["name"] in ("League Points", "Deadman Points", "Grid Points"):
            row.update(rank=10, score=9_999)
    result = parse_hiscores(json.dumps(body))
    keys = set(result.skills) | set(result.activities) | set(result.bosses)
    assert not {"league_points", "deadman_points", "grid_points"} & keys


def test_values_are_64_bit():
    body = make_hiscores_body()
    body["skills"][0].update(rank=1, level=2376, xp=4_800_000_000)
    body["activities"][-1].update(rank=1, score=3_000_000_000)
    result = parse_hiscores(json.dumps(body))
    assert result.overall.experience == 4_800_000_000
    assert result.bosses["zulrah"].score == 3_000_000_000


# --- Rejections ---------------------------------------------------------------------------------

MAINTENANCE = b"<!DOCTYPE html><html><body>The hiscores are unavailable</body></html>"


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param(MAINTENANCE, id="html"),
        pytest.param(b"", id="empty"),
        pytest.param(b"   ", id="blank"),
        pytest.param(b"null", id="null"),
        pytest.param(b"[]", id="list"),
        pytest.param(b'{"skills": []}', id="no-activities"),
        pytest.param(b'{"activities": []}', id="no-skills"),
        pytest.param(b'{"skills": {}, "activities": []}', id="skills-not-a-list"),
        pytest.param(b"\xff\xfe\x00garbage", id="binary"),
    ],
)
def test_it_rejects_bodies_that_are_not_hiscores(raw):
    with pytest.raises(HiscoresUnavailable) as exc:
        parse_hiscores(raw)
    assert exc.value.reason == "malformed_body"


def test_it_rejects_a_truncated_body(body):
    raw = dumps_body(body)
    for cut in (1, len(raw) // 3, len(raw) // 2, len(raw) - 1):
        with pytest.raises(HiscoresUnavailable):
            parse_hiscores(raw[:cut])


def test_it_rejects_a_body_without_overall(body):
    body["skills"] = body["skills"][1:]
    with pytest.raises(HiscoresUnavailable, match="Overall"):
        parse_hiscores(json.dumps(body))


@pytest.mark.parametrize(
    ("section", "field", "value"),
    [
        ("skills", "xp", "1000"),
        ("skills", "level", 99.5),
        ("skills", "rank", None),
        ("skills", "xp", True),
        ("skills", "xp", -5),
        ("activities", "score", "12"),
        ("activities", "rank", [1]),
        ("activities", "score", 2**63),
        # Beyond anything the hiscores can show (and the 32-bit rank / 16-bit level columns).
        ("skills", "rank", 3_000_000_000),
        ("activities", "rank", 2**31),
        ("skills", "level", 40_000),
    ],
)
def test_it_rejects_non_integer_or_out_of_range_values(body, section, field, value):
    body[section][-1][field] = value
    with pytest.raises(HiscoresUnavailable):
        parse_hiscores(json.dumps(body))


def test_it_rejects_a_row_without_a_value_or_a_name(body):
    del body["activities"][10]["score"]
    with pytest.raises(HiscoresUnavailable):
        parse_hiscores(json.dumps(body))
    body = make_hiscores_body()
    del body["skills"][3]["name"]
    with pytest.raises(HiscoresUnavailable):
        parse_hiscores(json.dumps(body))


def test_it_rejects_a_duplicated_row(body):
    body["activities"].append(dict(body["activities"][-1]))
    with pytest.raises(HiscoresUnavailable, match="twice"):
        parse_hiscores(json.dumps(body))


def test_experience_and_scores_are_64_bit(body):
    body["skills"][0]["xp"] = 4_800_000_000
    body["activities"][-1]["score"] = 2**63 - 1
    body["skills"][0]["rank"] = 2**31 - 1

    reading = parse_hiscores(json.dumps(body))

    assert reading.skills["overall"].experience == 4_800_000_000
    assert reading.skills["overall"].rank == 2**31 - 1
