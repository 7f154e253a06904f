"""Charts of the deployment history as inline SVG, drawn at build time.

The site works offline and loads nothing from the network, so the charts are not drawn by a
JavaScript library in the browser: each is a small SVG document written here, with a
``<title>`` on every bar for its figures and the text in ``currentColor`` so it follows the
theme. Every piece of text is XML-escaped; nothing from a log can become markup.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from html import escape

from runbook.history.measures import Incident, human_seconds
from runbook.history.runs import Run

WIDTH, HEIGHT = 640, 220
LEFT, RIGHT, TOP, BOTTOM = 56, 12, 24, 34
COLOURS = {
    "success": "#2e7d32",
    "rolled-back": "#ef6c00",
    "failed": "#c62828",
    "escalated": "#6a1b9a",
    "unfinished": "#757575",
    "refused": "#9e9e9e",
    "restore": "#1565c0",
}
MAX_BARS = 60


@dataclass(frozen=True)
class Segment:
    """A part of a bar: its size, colour and what its tooltip says."""

    value: float
    colour: str
    tooltip: str


@dataclass(frozen=True)
class Bar:
    segments: tuple[Segment, ...]
    label: str = ""

    @property
    def total(self) -> float:
        return sum(s.value for s in self.segments)


def _nice(top: float) -> float:
    """A round upper bound for the axis: 1, 2 or 5 times a power of ten."""
    if top <= 0:
        return 1.0
    power = 10.0 ** math.floor(math.log10(top))
    return float(next(m * power for m in (1, 2, 5, 10) if m * power >= top))


def _number(value: float) -> str:
    return f"{value:g}" if value < 1e5 else f"{value:.2g}"


def svg_chart(
    title: str,
    bars: list[Bar],
    axis: str,
    scale: float = 1.0,
    target: float | None = None,
    target_label: str = "",
    ceiling: float | None = None,
) -> str:
    """A bar chart: ``bars`` in the axis unit times ``scale``, a dashed target line if any."""
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    highest = max([b.total for b in bars] + [target or 0.0])
    top = ceiling or _nice(highest * 1.05 / scale) * scale  # round in the unit shown
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" width="100%" '
        f'role="img" aria-label="{escape(title)}" font-family="sans-serif" font-size="11">',
        f"<title>{escape(title)}</title>",
    ]
    for i in range(5):  # the axis and its gridlines
        y = TOP + plot_h - plot_h * i / 4
        out.append(
            f'<line x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}" '
            f'stroke="currentColor" stroke-opacity="{0.5 if i == 0 else 0.12}"/>'
        )
        out.append(
            f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" fill="currentColor">'
            f"{escape(_number(top * i / 4 / scale))}</text>"
        )
    out.append(
        f'<text x="12" y="{TOP + plot_h / 2:.1f}" fill="currentColor" text-anchor="middle" '
        f'transform="rotate(-90 12 {TOP + plot_h / 2:.1f})">{escape(axis)}</text>'
    )
    slot = plot_w / max(len(bars), 1)
    width = max(min(slot * 0.7, 40.0), 1.0)
    for index, bar in enumerate(bars):
        x = LEFT + slot * index + (slot - width) / 2
        base = float(TOP + plot_h)
        for segment in bar.segments:
            height = plot_h * min(segment.value, top) / top
            base -= height
            out.append(
                f'<rect x="{x:.1f}" y="{base:.1f}" width="{width:.1f}" height="{max(height, 0.5):.1f}" '
                f'fill="{segment.colour}"><title>{escape(segment.tooltip)}</title></rect>'
            )
        if bar.label and (len(bars) <= 12 or index % math.ceil(len(bars) / 12) == 0):
            out.append(
                f'<text x="{x + width / 2:.1f}" y="{HEIGHT - BOTTOM + 14}" text-anchor="middle" '
                f'fill="currentColor">{escape(bar.label)}</text>'
            )
    if target is not None and target <= top:
        y = TOP + plot_h - plot_h * target / top
        out.append(
            f'<line x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}" stroke="#d32f2f" '
            f'stroke-width="1.5" stroke-dasharray="6 4"><title>{escape(target_label)}</title></line>'
        )
        out.append(
            f'<text x="{WIDTH - RIGHT}" y="{y - 4:.1f}" text-anchor="end" fill="#d32f2f">'
            f"{escape(target_label)}</text>"
        )
    if not bars:
        out.append(
            f'<text x="{LEFT + plot_w / 2}" y="{TOP + plot_h / 2}" text-anchor="middle" '
            'fill="currentColor">nothing recorded yet</text>'
        )
    out.append("</svg>")
    return "\n".join(out)


def _when(time: datetime) -> str:
    return time.strftime("%Y-%m-%d %H:%M UTC")


def duration_chart(title: str, runs: list[Run], target_s: float | None, target_label: str) -> str:
    """Each run's duration, oldest first, coloured by outcome, against the target."""
    shown = [r for r in runs if r.outcome != "refused"][-MAX_BARS:]
    longest = max([r.duration_s for r in shown] + [target_s or 0.0, 1.0])
    scale, axis = (60.0, "minutes") if longest >= 120 else (1.0, "seconds")
    bars = [
        Bar(
            (
                Segment(
                    r.duration_s,
                    COLOURS.get(r.outcome, COLOURS["unfinished"]),
                    f"{r.version or '?'} by {r.user or 'unknown'}, {_when(r.finished)}: "
                    f"{r.outcome} in {human_seconds(r.duration_s)}",
                ),
            ),
            r.version,
        )
        for r in shown
    ]
    return svg_chart(title, bars, axis, scale, target_s, target_label)


def _bucket(times: list[datetime]) -> tuple[timedelta, str]:
    """A bucket size that gives at most 24 bars: an hour, a day or a week."""
    if not times:
        return timedelta(days=1), "%m-%d"
    span = max(times) - min(times)
    for size, fmt in ((timedelta(hours=1), "%H:00"), (timedelta(days=1), "%m-%d")):
        if span / size <= 24:
            return size, fmt
    return timedelta(weeks=1), "%Y-%m-%d"


def outcome_chart(title: str, runs: list[Run]) -> str:
    """Per hour, day or week: the share of attempts that succeeded, rolled back or failed."""
    attempts = [r for r in runs if r.outcome != "refused"]
    size, fmt = _bucket([r.started for r in attempts])
    epoch = datetime(1970, 1, 1, tzinfo=attempts[0].started.tzinfo) if attempts else None
    buckets: dict[datetime, Counter[str]] = {}
    for run in attempts:
        assert epoch is not None
        start = epoch + size * ((run.started - epoch) // size)
        buckets.setdefault(start, Counter())[run.outcome] += 1
    bars = []
    for start, counts in sorted(buckets.items())[-MAX_BARS:]:
        total = sum(counts.values())
        segments = tuple(
            Segment(
                100.0 * counts[outcome] / total,
                COLOURS[outcome],
                f"{start.strftime(fmt)}: {counts[outcome]} of {total} {outcome}",
            )
            for outcome in ("success", "rolled-back", "failed", "escalated", "unfinished")
            if counts[outcome]
        )
        bars.append(Bar(segments, start.strftime(fmt)))
    return svg_chart(title, bars, "% of attempts", ceiling=100.0)


def restore_chart(
    title: str, found: list[Incident], target_s: float | None, target_label: str
) -> str:
    """How long each failed change took to restore, against the target."""
    restored = [i for i in found if i.seconds is not None][-MAX_BARS:]
    longest = max([i.seconds or 0.0 for i in restored] + [target_s or 0.0, 1.0])
    scale, axis = (60.0, "minutes") if longest >= 120 else (1.0, "seconds")
    bars = [
        Bar(
            (
                Segment(
                    i.seconds or 0.0,
                    COLOURS["restore"],
                    f"{i.run.version or '?'} failed {_when(i.start)}; restored by {i.how} "
                    f"in {human_seconds(i.seconds or 0.0)}",
                ),
            ),
            i.run.version,
        )
        for i in restored
    ]
    return svg_chart(title, bars, axis, scale, target_s, target_label)
