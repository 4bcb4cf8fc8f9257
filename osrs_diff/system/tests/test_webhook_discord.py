"""The `discord` format: Discord's webhook body, with a human sentence for every event."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from osrs_diff import events
from osrs_diff.system.webhooks import discord

AT = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)

SENTENCES = [
    (
        events.PLAYER_GAME_MODE_CHANGED,
        {"username": "Demo HCIM", "from": "hardcore", "to": "ironman"},
        "Demo HCIM died as a hardcore ironman (now ironman)",
    ),
    (
        events.PLAYER_GAME_MODE_CHANGED,
        {"username": "Iron Bob", "from": "ironman", "to": "regular"},
        "Iron Bob de-ironed (was ironman, now regular)",
    ),
    (
        events.PLAYER_GAME_MODE_CHANGED,
        {"username": "Uim Sue", "from": "ultimate", "to": "ironman"},
        "Uim Sue is now ironman (was ultimate ironman)",
    ),
    (
        events.PLAYER_ACHIEVEMENT,
        {"username": "Zezima", "name": "99 Attack", "metric": "attack", "threshold": 99},
        "Zezima reached 99 Attack",
    ),
    (
        events.PLAYER_FLAGGED,
        {"username": "Lynx Titan", "reason": "attack xp went down"},
        "Lynx Titan was flagged: a reading went down",
    ),
    (
        events.PLAYER_RENAMED,
        {"old_username": "Old Name", "new_username": "New Name"},
        "Old Name is now known as New Name",
    ),
    (events.PLAYER_MISSING, {"username": "Gone"}, "Gone has gone missing from the hiscores"),
    (events.PARTY_STARTED, {"world": 444, "party_id": 1}, "Drop party on world 444 started"),
    (
        events.PARTY_ENDED,
        {
            "world": 444,
            "drops": 37,
            "total_value": 4_234_567,
            "biggest_value": 1_500_000,
            "duration_seconds": 754.2,
        },
        "Drop party on world 444 ended: 37 drops, 4.2M gp",
    ),
    (events.COMPETITION_STARTED, {"title": "SOTW"}, "SOTW started"),
    (events.COMPETITION_ENDED, {"title": "SOTW"}, "SOTW ended"),
    (
        events.COMPETITION_ENDED,
        {"title": "SOTW", "winner": {"rank": 1, "username": "Alpha", "gained": 9}},
        "SOTW ended: won by Alpha",
    ),
    (
        events.COMPETITION_ENDED,
        {
            "title": "SOTW",
            "winner": {"rank": 1, "username": "Alpha", "gained": 9},
            "winners": [
                {"rank": 1, "username": "Alpha", "gained": 9},
                {"rank": 1, "username": "Bravo", "gained": 9},
                {"rank": 1, "username": "Charlie", "gained": 9},
            ],
        },
        "SOTW ended: tied for first: Alpha, Bravo and Charlie",
    ),
]


@pytest.mark.parametrize(("name", "data", "sentence"), SENTENCES, ids=[s[2] for s in SENTENCES])
def test_each_event_has_its_sentence_in_content_and_embed(name, data, sentence):
    body = discord.discord_body(name=name, occurred_at=AT, data=data)

    assert set(body) == {"content", "embeds", "allowed_mentions"}
    assert body["content"] == sentence
    assert body["allowed_mentions"] == {"parse": []}  # a player name never pings anyone
    [embed] = body["embeds"]
    assert embed["title"] == sentence
    assert isinstance(embed["description"], str)
    assert embed["timestamp"] == "2026-05-01T12:00:00+00:00"
    assert embed["footer"] == {"text": f"osrs-diff · {name}"}
    for item in embed["fields"]:
        assert set(item) == {"name", "value", "inline"}
        assert item["name"] and item["value"]


def test_every_event_name_has_a_formatter():
    assert set(discord.FORMATTERS) == set(events.EVENT_NAMES)


def test_a_party_ended_embed_has_its_totals():
    _name, data, _sentence = SENTENCES[8]
    body = discord.discord_body(name=events.PARTY_ENDED, occurred_at=AT, data=data)
    fields = {item["name"]: item["value"] for item in body["embeds"][0]["fields"]}
    assert fields == {
        "World": "444",
        "Drops": "37",
        "Total": "4.2M gp",
        "Biggest drop": "1.5M gp",
        "Duration": "12 min 34 s",
    }


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (0, "0"),
        (950, "950"),
        (1_000, "1K"),
        (12_500, "12.5K"),
        (999_999, "1M"),
        (4_200_000, "4.2M"),
        (4_234_567, "4.2M"),
        (2_147_483_647, "2.1B"),
        (1_000_000_000_000, "1000B"),
    ],
)
def test_gp_has_k_m_b_suffixes(value, text):
    assert discord.gp(value) == text


def test_discord_limits_are_respected():
    body = discord.discord_body(
        name=events.PLAYER_FLAGGED, occurred_at=AT, data={"username": "x" * 3000, "reason": "r"}
    )
    assert len(body["content"]) <= 2000
    assert len(body["embeds"][0]["title"]) <= 256


def test_a_one_drop_party_says_one_drop():
    data = {"world": 444, "drops": 1, "total_value": 1_400_000}
    assert discord.sentence(events.PARTY_ENDED, data) == (
        "Drop party on world 444 ended: 1 drop, 1.4M gp"
    )
