"""README.md as data: its sections, its fenced code blocks, its links (for the README tests)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
README = REPO / "README.md"
TOUR_HEADING = "## A 5-minute tour"
#: Where `make run`/`make demo` serve; the tour test swaps in its live server's address.
TOUR_BASE_URL = "http://127.0.0.1:8000"

_FENCE = re.compile(r"^```(?P<lang>\w*)\n(?P<body>.*?)^```$", re.S | re.M)
_EXPECTED_STATUS = re.compile(r"^# (\d{3})$", re.M)
_LINK = re.compile(r"\]\((?P<target>[^)#\s]+)(?:#[^)]*)?\)")


@dataclass(frozen=True)
class TourStep:
    number: int
    script: str
    expected_statuses: list[int]  # the `# 201` comment lines, in order


def readme_text() -> str:
    return README.read_text(encoding="utf-8")


def section(text: str, heading: str) -> str:
    """The text under `heading` up to the next heading of the same or a higher level (lines in
    fenced code blocks, such as `# 201` comments, are not headings)."""
    level = len(heading) - len(heading.lstrip("#"))
    lines = text.split("\n")
    start = lines.index(heading) + 1
    in_fence = False
    for index in range(start, len(lines)):
        line = lines[index]
        if line.startswith("```"):
            in_fence = not in_fence
        elif not in_fence and re.match(rf"#{{1,{level}}} ", line):
            return "\n".join(lines[start:index])
    return "\n".join(lines[start:])


def tour_steps(text: str | None = None) -> list[TourStep]:
    """The fenced bash blocks of the tour, each with the HTTP statuses it says it prints."""
    body = section(text if text is not None else readme_text(), TOUR_HEADING)
    return [
        TourStep(
            number=number,
            script=match["body"],
            expected_statuses=[int(code) for code in _EXPECTED_STATUS.findall(match["body"])],
        )
        for number, match in enumerate(
            (m for m in _FENCE.finditer(body) if m["lang"] in ("bash", "sh")), start=1
        )
    ]


def local_links(text: str | None = None) -> list[str]:
    """Every link target that is a path in this repository (no scheme, no bare anchor)."""
    targets = [m["target"] for m in _LINK.finditer(text if text is not None else readme_text())]
    return [t for t in targets if "://" not in t and not t.startswith("mailto:")]
