import pytest

from hiscores.integration.catalogue import SKILL_KEYS
from hiscores.integration.fakes import make_hiscores_body, progress_body
from hiscores.integration.parsing import parse_hiscores


def test_a_maxed_body_has_the_real_totals():
    result = parse_hiscores(make_hiscores_body(default_xp=200_000_000))
    assert result.overall.experience == 24 * 200_000_000
    assert result.overall.level == 24 * 99
    assert all(result.skills[k].level == 99 for k in SKILL_KEYS[1:])


def test_unlisted_metrics_are_unranked_not_zero():
    result = parse_hiscores(make_hiscores_body({"attack": 100}))
    assert result.skills["defence"].experience is None
    assert result.skills["defence"].rank is None
    assert result.bosses["zulrah"].score is None


def test_omit_extra_rows_and_ranks():
    body = make_hiscores_body(
        {"zulrah": 5},
        omit=["vorkath", "sailing"],
        ranks={"zulrah": 42},
        extra_rows=[{"name": "Future Boss", "rank": 1, "score": 2}],
    )
    result = parse_hiscores(body)
    assert "vorkath" not in result.bosses and "sailing" not in result.skills
    assert result.bosses["zulrah"].rank == 42
    assert result.bosses["future_boss"].score == 2


def test_unknown_keys_are_refused():
    with pytest.raises(ValueError, match="not catalogue keys"):
        make_hiscores_body({"atack": 1})


def test_progress_recomputes_levels_and_overall_and_stops_at_200m():
    body = make_hiscores_body({"attack": 199_990_000, "strength": 0})
    later = parse_hiscores(progress_body(body, {"attack": 5_000, "strength": 83}, steps=3))
    assert later.skills["attack"].experience == 200_000_000
    assert later.skills["strength"].level == 3  # 249 XP
    assert later.overall.experience == 200_000_000 + 249
    assert parse_hiscores(body).skills["attack"].experience == 199_990_000  # copy, not in place
