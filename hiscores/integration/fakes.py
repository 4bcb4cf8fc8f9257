"""Realistic `index_lite.json` bodies generated from the metric catalogue.

For tests of every app, the fake hiscores server and `make demo`: choose XP and kill counts, get
the full 116-row body the real hiscores would send (ignored rows included, Overall computed,
levels from XP, plausible ranks).

    body = make_hiscores_body({"attack": 13_034_431, "zulrah": 250})
    body = make_hiscores_body(default_xp=200_000_000)            # a maxed account
    body = make_hiscores_body({"slayer": 10_000}, omit=["zulrah"], extra_rows=[new_boss_row])
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable, Mapping
from typing import Any

from hiscores.integration.catalogue import (
    HISCORES_ACTIVITY_ROW_NAMES,
    MAX_SKILL_XP,
    METRICS,
    OVERALL,
    SKILL_KEYS,
    MetricKind,
    get_metric,
    is_ignored_name,
    level_for_xp,
    metric_for_name,
)

UNRANKED = -1
_IDS = {m.hiscores_name: i for i, m in enumerate(m for m in METRICS if m.kind is MetricKind.SKILL)}


def synthetic_rank(value: int, *, kind: MetricKind | str) -> int:
    """A plausible rank for a value: more XP or kills, better (smaller) rank; never below 1."""
    scale = 1_000 if MetricKind(kind) is MetricKind.SKILL else 1
    return max(1, int(2_000_000 / (1 + value / scale)))


def _skill_row(name: str, xp: int | None, rank: int | None) -> dict[str, Any]:
    if xp is None or xp < 0:
        return {"name": name, "rank": UNRANKED, "level": 1, "xp": UNRANKED}
    xp = min(int(xp), MAX_SKILL_XP)
    return {
        "name": name,
        "rank": rank if rank is not None else synthetic_rank(xp, kind=MetricKind.SKILL),
        "level": level_for_xp(xp),
        "xp": xp,
    }


def _score_row(name: str, score: int | None, rank: int | None) -> dict[str, Any]:
    if score is None or score < 0:
        return {"name": name, "rank": UNRANKED, "score": UNRANKED}
    return {
        "name": name,
        "rank": rank if rank is not None else synthetic_rank(score, kind=MetricKind.BOSS),
        "score": int(score),
    }


def overall_row(skill_rows: Iterable[Mapping[str, Any]], *, rank: int | None = None) -> dict:
    """Overall as the hiscores compute it: total level and total XP of the listed skills."""
    rows = [r for r in skill_rows if r["name"] != "Overall"]
    total_xp = sum(max(0, r["xp"]) for r in rows)
    total_level = sum(max(1, r["level"]) for r in rows)
    ranked = any(r["xp"] >= 0 for r in rows)
    return {
        "name": "Overall",
        "rank": (rank if rank is not None else synthetic_rank(total_xp // 24, kind="skill"))
        if ranked
        else UNRANKED,
        "level": total_level,
        "xp": total_xp,
    }


def make_hiscores_body(
    values: Mapping[str, int | None] | None = None,
    *,
    default_xp: int | None = None,
    default_score: int | None = None,
    ranks: Mapping[str, int] | None = None,
    omit: Iterable[str] = (),
    extra_rows: Iterable[Mapping[str, Any]] = (),
    with_ids: bool = True,
) -> dict[str, Any]:
    """A full `index_lite.json` body (a dict; `json.dumps` it for the wire).

    `values` maps catalogue keys to XP (skills) or scores (activities, bosses); None or -1 is
    unranked. Skills not given get `default_xp`, activities/bosses `default_score` (None =
    unranked). `ranks` overrides ranks by key, `omit` leaves rows out entirely (also "overall"),
    `extra_rows` appends raw rows (with `xp` to skills, else to activities) for metrics the
    catalogue does not know.
    """
    values = dict(values or {})
    unknown = [k for k in values if get_metric(k) is None]
    if unknown:
        raise ValueError(f"not catalogue keys: {unknown}")
    ranks = dict(ranks or {})
    omitted = set(omit)

    skills = []
    for key in SKILL_KEYS[1:]:
        if key in omitted:
            continue
        xp = values.get(key, default_xp)
        skills.append(_skill_row(get_metric(key).hiscores_name, xp, ranks.get(key)))
    activities = []
    for name in HISCORES_ACTIVITY_ROW_NAMES:
        if is_ignored_name(name):
            activities.append(_score_row(name, None, None))
            continue
        metric = metric_for_name(name)
        if metric.key in omitted:
            continue
        score = values.get(metric.key, default_score)
        activities.append(_score_row(name, score, ranks.get(metric.key)))
    for row in extra_rows:
        (skills if "xp" in row else activities).append(dict(row))

    body_skills = [] if OVERALL in omitted else [overall_row(skills, rank=ranks.get(OVERALL))]
    body_skills.extend(skills)
    if with_ids:
        for i, row in enumerate(body_skills):
            row.setdefault("id", _IDS.get(row["name"], 100 + i))
        for i, row in enumerate(activities):
            row.setdefault("id", i)
    # The real API lists "id" first; key order is cosmetic but keeps bodies byte-realistic.
    return {
        "skills": [_ordered(r, ("id", "name", "rank", "level", "xp")) for r in body_skills],
        "activities": [_ordered(r, ("id", "name", "rank", "score")) for r in activities],
    }


def _ordered(row: Mapping[str, Any], order: tuple[str, ...]) -> dict[str, Any]:
    out = {k: row[k] for k in order if k in row}
    out.update({k: v for k, v in row.items() if k not in out})
    return out


def dumps_body(body: Mapping[str, Any]) -> bytes:
    """The body as the hiscores send it (compact JSON)."""
    return json.dumps(body, separators=(",", ":")).encode()


def progress_body(body: Mapping[str, Any], gains: Mapping[str, int], *, steps: int = 1) -> dict:
    """A copy of `body` after `steps` steps of `gains` (catalogue key -> XP or score per step).

    Levels and Overall are recomputed; an unranked row that gains becomes ranked. Skills stop at
    200M XP like the real ones.
    """
    out = copy.deepcopy(dict(body))
    if steps <= 0 or not gains:
        return out
    for row in out.get("skills", []):
        metric = metric_for_name(row["name"])
        delta = gains.get(metric.key, 0) if metric else 0
        if delta and metric.key != OVERALL:
            xp = min(MAX_SKILL_XP, max(0, row["xp"]) + delta * steps)
            row.update(xp=xp, level=level_for_xp(xp))
            if row["rank"] == UNRANKED:
                row["rank"] = synthetic_rank(xp, kind=MetricKind.SKILL)
    for row in out.get("activities", []):
        metric = metric_for_name(row["name"])
        delta = gains.get(metric.key, 0) if metric else 0
        if delta:
            row["score"] = max(0, row["score"]) + delta * steps
            if row["rank"] == UNRANKED:
                row["rank"] = synthetic_rank(row["score"], kind=MetricKind.BOSS)
    skills = out.get("skills", [])
    for i, row in enumerate(skills):
        if row["name"] == "Overall":
            fresh = overall_row(skills)
            skills[i] = {**row, "level": fresh["level"], "xp": fresh["xp"]}
            if row["rank"] == UNRANKED:
                skills[i]["rank"] = fresh["rank"]
    return out
