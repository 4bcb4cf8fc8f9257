"""Server-rendered SVG line charts (pure: points in, an SVG document out).

Small enough to write by hand: a title, a y axis with round-number ticks (1.5M, 250k), an x axis
with dates, the line, and a dot per reading (each with a `<title>` tooltip: date and value) when
there are few enough to see. Works as a browser page, in an `<img>` tag and in the admin.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from xml.sax.saxutils import escape, quoteattr

WIDTH = 720
HEIGHT = 320
# The right margin holds half of the last (centred) x label: "30 Nov 03:30" is ~75 px wide.
MARGIN_LEFT, MARGIN_RIGHT, MARGIN_TOP, MARGIN_BOTTOM = 78, 44, 44, 52
Y_TICKS = 5
MAX_DOTS = 120  # more readings than this: the line alone (dots would merge into a smear)
LINE_COLOUR = "#2f6fbd"


@dataclass(frozen=True, slots=True)
class ChartPoint:
    at: datetime
    value: int


def compact_number(value: float) -> str:
    """1234 -> "1,234"; 12_345 -> "12.3k"; 4_560_000 -> "4.56M"; 4.6e9 -> "4.6B"."""
    sign = "-" if value < 0 else ""
    value = abs(value)
    for threshold, divisor, suffix in ((999.5e6, 1e9, "B"), (999.5e3, 1e6, "M"), (1e4, 1e3, "k")):
        if value >= threshold:
            return f"{sign}{_three_digits(value / divisor)}{suffix}"
    return f"{sign}{value:,.0f}" if value == int(value) else f"{sign}{value:,.2f}"


def _three_digits(scaled: float) -> str:
    decimals = 0 if scaled >= 100 else 1 if scaled >= 10 else 2
    text = f"{scaled:,.{decimals}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def nice_ticks(low: float, high: float, count: int = Y_TICKS) -> list[float]:
    """Round-number ticks (steps of 1, 2 or 5 x 10^k) covering [low, high]."""
    if high <= low:  # a flat line sits mid-chart, on an axis of round numbers around it
        pad = max(1.0, abs(low) * 0.01)
        low, high = low - pad, high + pad
    raw = (high - low) / max(1, count - 1)
    magnitude = 10 ** math.floor(math.log10(raw))
    # Values are whole XP/kills: never a step below 1. Of the 1-2-5 steps near the raw one, the
    # one giving closest to `count` ticks (the larger on a tie).
    steps = {max(1, m * magnitude) for m in (0.5, 1, 2, 5, 10)}

    def tick_count(step: float) -> int:
        return math.ceil(high / step) - math.floor(low / step) + 1

    step = min(steps, key=lambda step: (abs(tick_count(step) - count), -step))
    first = math.floor(low / step)
    last = math.ceil(high / step)
    return [index * step for index in range(first, last + 1)]


def tick_labels(ticks: Sequence[float]) -> list[str]:
    """Labels for evenly spaced ticks, one unit for the axis and as many decimals as the step
    needs, so neighbours always differ: 67.2M, 67.25M, 67.3M (not 67.2M, 67.2M, 67.3M)."""
    if not ticks:
        return []
    largest = max(abs(t) for t in ticks)
    divisor, suffix = next(
        ((d, s) for threshold, d, s in _UNITS if largest >= threshold), (1.0, "")
    )
    step = abs(ticks[1] - ticks[0]) if len(ticks) > 1 else divisor
    decimals = max(0, -math.floor(math.log10(step / divisor) + 1e-9)) if suffix else 0
    labels = []
    for tick in ticks:
        text = f"{tick / divisor:,.{decimals}f}"
        if "." in text:
            text = text.rstrip("0").rstrip(".")
        labels.append(("0" if text in ("-0", "") else text) + (suffix if tick else ""))
    return labels


_UNITS = ((1e9, 1e9, "B"), (1e6, 1e6, "M"), (1e4, 1e3, "k"))


# Time-axis steps, smallest first: (kind, size). Fixed steps are seconds, aligned on multiples of
# the step since the Unix epoch (every one divides a day, or is a day multiple); a week starts on
# Monday; months and years start on the 1st at 00:00 UTC.
_TIME_STEPS: tuple[tuple[str, int], ...] = (
    *(("second", s) for s in (1, 2, 5, 10, 15, 30)),
    *(("second", m * 60) for m in (1, 2, 5, 10, 15, 30)),
    *(("second", h * 3600) for h in (1, 2, 3, 6, 12)),
    *(("second", d * 86400) for d in (1, 2)),
    ("week", 1),
    ("week", 2),  # between a week and a month (a quarter's span)
    *(("month", m) for m in (1, 3, 6)),
    *(("year", y) for y in (1, 2, 5, 10, 20, 50, 100)),
)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_FIRST_MONDAY = datetime(1970, 1, 5, tzinfo=UTC)
TARGET_X_TICKS = 5.5  # about 4 to 7 ticks
MAX_X_TICKS = 7


def _ticks_for(kind: str, size: int, start: datetime, end: datetime) -> list[datetime]:
    if kind in ("second", "week"):
        origin, seconds = (_EPOCH, size) if kind == "second" else (_FIRST_MONDAY, size * 7 * 86400)
        first = math.ceil((start - origin).total_seconds() / seconds)
        last = math.floor((end - origin).total_seconds() / seconds)
        if last - first > 1000:  # a step far too small for the span: never chosen
            return [start] * 1001
        return [origin + timedelta(seconds=i * seconds) for i in range(first, last + 1)]
    if kind == "month":
        months = start.year * 12 + start.month - 1
        if start != datetime(start.year, start.month, 1, tzinfo=UTC):
            months += 1
        months = -(-months // size) * size
        ticks = []
        while (at := datetime(months // 12, months % 12 + 1, 1, tzinfo=UTC)) <= end:
            ticks.append(at)
            months += size
            if len(ticks) > 1000:
                break
        return ticks
    year = start.year + (start != datetime(start.year, 1, 1, tzinfo=UTC))
    year = -(-year // size) * size
    ticks = []
    while year <= 9999 and (at := datetime(year, 1, 1, tzinfo=UTC)) <= end:
        ticks.append(at)
        year += size
    return ticks


def time_ticks(start: datetime, end: datetime) -> tuple[list[datetime], str]:
    """Round UTC ticks inside [start, end] and their strftime format.

    The step is a nice one (1/2/5/10/15/30 s or min, 1/2/3/6/12 h, 1/2 days, a week, 1/3/6
    months, 1/2/5/... years), chosen for about 4-7 ticks; the format shows what differs between
    ticks, so neighbours never share a label.
    """
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    best: tuple[float, list[datetime], str, int] | None = None
    for kind, size in _TIME_STEPS:
        ticks = _ticks_for(kind, size, start, end)
        if len(ticks) > MAX_X_TICKS:
            continue
        # Closest to the target, and never fewer than 2 when a smaller step gives more.
        score = abs(len(ticks) - TARGET_X_TICKS)
        if best is None or score < best[0]:
            best = (score, ticks, kind, size)
    if best is None or len(best[1]) < 2:
        return [start, end], "%d %b %Y %H:%M:%S"
    _, ticks, kind, size = best
    if kind == "year":
        fmt = "%Y"
    elif kind == "month":
        fmt = "%b %Y"
    elif kind == "week" or size >= 86400:
        fmt = "%d %b"  # at most 7 weeks from first to last tick: never a repeat
    else:
        fmt = "%H:%M" if size >= 60 else "%H:%M:%S"
        if ticks[0].date() != ticks[-1].date():
            fmt = "%d %b " + fmt
    return ticks, fmt


# A chart of readings closer together than this (a player tracked a minute ago) spans this much,
# centred on them: one reading is a visible point mid-chart, not a line at an edge.
MIN_DATA_SPAN = timedelta(minutes=10)


def chart_range(
    *, start: datetime, end: datetime, now: datetime, first_reading_at: datetime | None
) -> tuple[datetime, datetime]:
    """The x range of a chart of the readings over the period [start, end].

    The data runs to now (the last value is carried on) or the period's end. When tracking began
    inside the period the chart starts at the first reading; readings less than
    `MIN_DATA_SPAN` apart are centred on an axis of that span. Never a fixed floor that squeezes
    the data against an edge.
    """
    data_end = min(end, now)
    if data_end <= start:  # a period in the future: its axis as asked
        return start, end
    if first_reading_at is None or first_reading_at <= start:
        return start, data_end
    first = min(first_reading_at, data_end)
    span = data_end - first
    if span >= MIN_DATA_SPAN:
        return first, data_end
    pad = (MIN_DATA_SPAN - span) / 2
    return first - pad, data_end + pad


def render_line_chart(
    *,
    title: str,
    y_label: str,
    points: Sequence[ChartPoint],
    start: datetime,
    end: datetime,
    line_until: datetime | None = None,
    width: int = WIDTH,
    height: int = HEIGHT,
) -> str:
    """An SVG document charting `points` over [start, end].

    A reading from before `start` (the value in force when the range began) is drawn at `start`;
    the last value is carried on to `line_until` (e.g. now), since an unchanged stretch has no
    readings.
    """
    plot_w = width - MARGIN_LEFT - MARGIN_RIGHT
    plot_h = height - MARGIN_TOP - MARGIN_BOTTOM
    span = max((end - start).total_seconds(), 1.0)
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" font-family="sans-serif" font-size="11">',
        f"<title>{escape(title)}</title>",
        f'<rect width="{width}" height="{height}" fill="#ffffff"/>',
        f'<text x="{width / 2:.0f}" y="22" text-anchor="middle" font-size="14" '
        f'font-weight="bold">{escape(title)}</text>',
    ]

    def x_of(at: datetime) -> float:
        seconds = min(max((at - start).total_seconds(), 0.0), span)
        return MARGIN_LEFT + plot_w * seconds / span

    # x axis: dates on round UTC boundaries.
    x_ticks, fmt = time_ticks(start, end)
    base_y = MARGIN_TOP + plot_h
    out.append(
        f'<line class="x-axis" x1="{MARGIN_LEFT}" y1="{base_y}" x2="{MARGIN_LEFT + plot_w}" '
        f'y2="{base_y}" stroke="#333"/>'
    )
    for at in x_ticks:
        x = x_of(at)
        out.append(
            f'<line x1="{x:.1f}" y1="{base_y}" x2="{x:.1f}" y2="{base_y + 4}" stroke="#333"/>'
        )
        out.append(
            f'<text class="x-label" x="{x:.1f}" y="{base_y + 17}" text-anchor="middle">'
            f"{escape(at.strftime(fmt))}</text>"
        )
    out.append(
        f'<text x="{MARGIN_LEFT + plot_w / 2:.0f}" y="{height - 10}" text-anchor="middle" '
        f'fill="#555">Date (UTC)</text>'
    )

    values = [p.value for p in points]
    if not values:
        out.append(
            f'<text class="empty" x="{MARGIN_LEFT + plot_w / 2:.0f}" '
            f'y="{MARGIN_TOP + plot_h / 2:.0f}" text-anchor="middle" fill="#777" '
            f'font-size="13">No data in this range</text>'
        )
        out.append("</svg>")
        return "\n".join(out)

    ticks = nice_ticks(min(values), max(values))
    low, high = ticks[0], ticks[-1]

    def y_of(value: float) -> float:
        return MARGIN_TOP + plot_h * (1 - (value - low) / (high - low))

    # y axis: round-number ticks with grid lines.
    out.append(
        f'<line class="y-axis" x1="{MARGIN_LEFT}" y1="{MARGIN_TOP}" x2="{MARGIN_LEFT}" '
        f'y2="{base_y}" stroke="#333"/>'
    )
    for tick, label in zip(ticks, tick_labels(ticks), strict=True):
        y = y_of(tick)
        out.append(
            f'<line x1="{MARGIN_LEFT}" y1="{y:.1f}" x2="{MARGIN_LEFT + plot_w}" y2="{y:.1f}" '
            f'stroke="#e4e4e4"/>'
        )
        out.append(
            f'<text class="y-label" x="{MARGIN_LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">'
            f"{escape(label)}</text>"
        )
    out.append(
        f'<text x="14" y="{MARGIN_TOP + plot_h / 2:.0f}" text-anchor="middle" fill="#555" '
        f'transform="rotate(-90 14 {MARGIN_TOP + plot_h / 2:.0f})">{escape(y_label)}</text>'
    )

    coordinates = [(x_of(p.at), y_of(p.value)) for p in points]
    if line_until is not None and line_until > points[-1].at:
        coordinates.append((x_of(min(line_until, end)), coordinates[-1][1]))
    polyline = " ".join(f"{x:.1f},{y:.1f}" for x, y in _one_per_pixel(coordinates))
    out.append(
        f'<polyline class="series" fill="none" stroke="{LINE_COLOUR}" stroke-width="2" '
        f'stroke-linejoin="round" points="{polyline}"/>'
    )
    if len(points) <= MAX_DOTS:
        for point, (x, y) in zip(points, coordinates, strict=False):
            label = f"{point.at:%Y-%m-%d %H:%M} UTC: {point.value:,}"
            out.append(
                f'<circle class="point" cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{LINE_COLOUR}" '
                f'data-at={quoteattr(point.at.isoformat())} data-value="{point.value}">'
                f"<title>{escape(label)}</title></circle>"
            )
    out.append("</svg>")
    return "\n".join(out)


def _one_per_pixel(coordinates: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Thousands of readings still make a small document: one vertex per pixel column.

    Keeps the first and last vertex of each column, so steps stay sharp.
    """
    if len(coordinates) <= 2 * WIDTH:
        return coordinates
    kept: list[tuple[float, float]] = []
    column_of_last = None
    for index, (x, y) in enumerate(coordinates):
        column = int(x)
        last_in_column = index + 1 == len(coordinates) or int(coordinates[index + 1][0]) != column
        if column != column_of_last or last_in_column:
            kept.append((x, y))
        column_of_last = column
    return kept
