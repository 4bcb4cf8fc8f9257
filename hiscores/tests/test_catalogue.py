import pytest

from hiscores.integration.catalogue import (
    ACTIVITY_KEYS,
    BOSS_KEYS,
    DECREASABLE_KEYS,
    HISCORES_ACTIVITY_ROW_NAMES,
    IGNORED_HISCORES_NAMES,
    METRICS,
    SKILL_KEYS,
    XP_FOR_LEVEL,
    MetricKind,
    combat_level,
    get_metric,
    is_ignored_name,
    level_for_xp,
    metric_key_for_name,
)


def test_catalogue_covers_todays_layout_of_116_rows():
    assert len(SKILL_KEYS) == 25 and SKILL_KEYS[0] == "overall" and SKILL_KEYS[-1] == "sailing"
    assert len(ACTIVITY_KEYS) == 15
    assert len(BOSS_KEYS) == 71
    assert len(SKILL_KEYS) + len(HISCORES_ACTIVITY_ROW_NAMES) == 116
    keys = [m.key for m in METRICS]
    assert len(keys) == len(set(keys))
    assert all(k.isidentifier() and k == k.lower() for k in keys)


@pytest.mark.parametrize(
    ("hiscores_name", "key", "kind"),
    [
        ("Overall", "overall", MetricKind.SKILL),
        ("Runecraft", "runecraft", MetricKind.SKILL),
        ("Clue Scrolls (all)", "clue_scrolls_all", MetricKind.ACTIVITY),
        ("LMS - Rank", "last_man_standing", MetricKind.ACTIVITY),
        ("PvP Arena - Rank", "pvp_arena", MetricKind.ACTIVITY),
        ("Rifts closed", "guardians_of_the_rift", MetricKind.ACTIVITY),
        ("Calvar'ion", "calvarion", MetricKind.BOSS),
        ("K'ril Tsutsaroth", "kril_tsutsaroth", MetricKind.BOSS),
        ("Chambers of Xeric: Challenge Mode", "chambers_of_xeric_challenge_mode", MetricKind.BOSS),
        ("TzKal-Zuk", "tzkal_zuk", MetricKind.BOSS),
        ("Wintertodt", "wintertodt", MetricKind.BOSS),
    ],
)
def test_known_names_map_to_stable_keys(hiscores_name, key, kind):
    assert metric_key_for_name(hiscores_name) == key
    assert metric_key_for_name(hiscores_name.upper()) == key
    metric = get_metric(key)
    assert metric is not None and metric.kind is kind and metric.hiscores_name == hiscores_name


def test_display_names_drop_the_rank_suffix():
    assert get_metric("last_man_standing").name == "LMS"
    assert get_metric("zulrah").name == "Zulrah"


def test_unknown_names_get_a_derived_key():
    assert get_metric("the_new_boss") is None
    assert metric_key_for_name("The New Boss") == "the_new_boss"
    assert metric_key_for_name("Jagex's Raid: Hard Mode (Solo)") == "jagexs_raid_hard_mode_solo"
    assert metric_key_for_name("???") == "unnamed"


def test_ignored_rows_are_recognised_and_not_in_the_catalogue():
    for name in IGNORED_HISCORES_NAMES:
        assert is_ignored_name(name)
        assert get_metric(metric_key_for_name(name)) is None
    assert is_ignored_name("league points")
    assert not is_ignored_name("Bounty Hunter - Hunter")


def test_decreasable_metrics_are_the_ratings():
    assert {
        "last_man_standing",
        "pvp_arena",
        "bounty_hunter_hunter",
        "bounty_hunter_rogue",
    } == DECREASABLE_KEYS
    assert all(get_metric(k) is not None for k in DECREASABLE_KEYS)


@pytest.mark.parametrize(
    ("xp", "level", "virtual_level"),
    [
        (None, 1, 1),
        (-1, 1, 1),
        (0, 1, 1),
        (82, 1, 1),
        (83, 2, 2),
        (1_154, 10, 10),
        (101_333, 50, 50),
        (5_346_332, 90, 90),
        (13_034_430, 98, 98),
        (13_034_431, 99, 99),
        (14_391_160, 99, 100),
        (104_273_167, 99, 120),
        (188_884_740, 99, 126),
        (200_000_000, 99, 126),
        (4_800_000_000, 99, 126),
    ],
)
def test_level_for_xp_matches_the_official_table(xp, level, virtual_level):
    assert level_for_xp(xp) == level
    assert level_for_xp(xp, virtual=True) == virtual_level


def test_xp_table_is_increasing_to_126():
    assert len(XP_FOR_LEVEL) == 127
    assert all(a < b for a, b in zip(XP_FOR_LEVEL[1:], XP_FOR_LEVEL[2:], strict=False))


@pytest.mark.parametrize(
    ("levels", "expected"),
    [
        ({}, 3),  # a fresh account
        ({k: 99 for k in ("attack", "strength", "defence", "hitpoints", "ranged", "prayer")}, 126),
        # Lynx Titan's maxed account, magic included.
        (dict.fromkeys(("attack", "strength", "defence", "hitpoints", "prayer", "magic"), 99), 126),
        # Pure: 60 attack, 99 strength, 1 defence, 85 hitpoints, 52 prayer.
        ({"attack": 60, "strength": 99, "defence": 1, "hitpoints": 85, "prayer": 52}, 79),
        # Range tank: 99 ranged, 70 def, 90 hp, 70 prayer -> ranged side wins.
        (
            {
                "attack": 1,
                "strength": 1,
                "defence": 70,
                "hitpoints": 90,
                "ranged": 99,
                "prayer": 70,
                "magic": 1,
            },
            96,
        ),
        # Magic-only: 99 magic, hitpoints and prayer, 1 defence.
        ({"magic": 99, "hitpoints": 99, "prayer": 99, "defence": 1}, 85),
        # Every combat skill at 75: melee and magic tie, 95 either way.
        (
            dict.fromkeys(
                ("attack", "strength", "defence", "hitpoints", "ranged", "prayer", "magic"), 75
            ),
            95,
        ),
        # Odd prayer is floored: 43 prayer counts as 21.
        ({"attack": 40, "strength": 40, "defence": 40, "hitpoints": 40, "prayer": 43}, 51),
    ],
)
def test_combat_level_matches_known_accounts(levels, expected):
    assert combat_level(levels) == expected
