"""The competition chart: the top participants' gains over time, one line each (pure SVG).

Built from history.charts' parts (round-number y ticks, UTC date ticks, margins), with a legend.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from xml.sax.saxutils import escape, quoteattr

from history import charts
from history.competitions.standings import ChartSeries

COLOURS = ("#2f6fbd", "#d9822b", "#3a9d5d", "#c23b3b", "#7d5ba6")


def render_competition_chart(
    *,
    title: str,
    y_label: str,
    series: Sequence[ChartSeries],
    start: datetime,
    end: datetime,
    line_until: datetime,
    width: int = charts.WIDTH,
    height: int = charts.HEIGHT,
) -> str:
    """An SVG document with one line per series over [start, end], carried on to `line_until`."""
    left, right = charts.MARGIN_LEFT, charts.MARGIN_RIGHT + 110  # the legend on the right
    top, bottom = charts.MARGIN_TOP, charts.MARGIN_BOTTOM
    plot_w, plot_h = width + 110 - left - right, height - top - bottom
    width += 110
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
        return left + plot_w * min(max((at - start).total_seconds(), 0.0), span) / span

    base_y = top + plot_h
    out.append(
        f'<line class="x-axis" x1="{left}" y1="{base_y}" x2="{left + plot_w}" y2="{base_y}" '
        'stroke="#333"/>'
    )
    x_ticks, fmt = charts.time_ticks(start, end)
    for at in x_ticks:
        x = x_of(at)
        out.append(
            f'<text class="x-label" x="{x:.1f}" y="{base_y + 17}" text-anchor="middle">'
            f"{escape(at.strftime(fmt))}</text>"
        )
    values = [value for one in series for _, value in one.points]
    if not values:
        out.append(
            f'<text class="empty" x="{left + plot_w / 2:.0f}" y="{top + plot_h / 2:.0f}" '
            'text-anchor="middle" fill="#777" font-size="13">No gains yet</text>'
        )
        out.append("</svg>")
        return "\n".join(out)
    ticks = charts.nice_ticks(min(0, *values), max(values))
    low, high = ticks[0], ticks[-1]

    def y_of(value: float) -> float:
        return top + plot_h * (1 - (value - low) / (high - low))

    out.append(
        f'<line class="y-axis" x1="{left}" y1="{top}" x2="{left}" y2="{base_y}" stroke="#333"/>'
    )
    for tick, label in zip(ticks, charts.tick_labels(ticks), strict=True):
        y = y_of(tick)
        out.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{left + plot_w}" y2="{y:.1f}" stroke="#e4e4e4"/>'
        )
        out.append(
            f'<text class="y-label" x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">'
            f"{escape(label)}</text>"
        )
    out.append(
        f'<text x="14" y="{top + plot_h / 2:.0f}" text-anchor="middle" fill="#555" '
        f'transform="rotate(-90 14 {top + plot_h / 2:.0f})">{escape(y_label)}</text>'
    )
    for index, one in enumerate(series):
        colour = COLOURS[index % len(COLOURS)]
        if one.points:
            coordinates = [(x_of(at), y_of(value)) for at, value in one.points]
            if line_until > one.points[-1][0]:
                coordinates.append((x_of(min(line_until, end)), coordinates[-1][1]))
            points = " ".join(f"{x:.1f},{y:.1f}" for x, y in coordinates)
            out.append(
                f'<polyline class="series" data-username={quoteattr(one.username)} fill="none" '
                f'stroke="{colour}" stroke-width="2" stroke-linejoin="round" points="{points}"/>'
            )
        legend_y = top + 14 * index + 6
        out.append(
            f'<rect x="{left + plot_w + 12}" y="{legend_y - 8}" width="10" height="10" '
            f'fill="{colour}"/><text class="legend" x="{left + plot_w + 26}" y="{legend_y + 1}">'
            f"{escape(one.username)}</text>"
        )
    out.append("</svg>")
    return "\n".join(out)
