"""The supervisor page's charts as SVG drawn here, on the server: no chart library, no script.

Each chart is one HTML fragment: a `<figure>` with the SVG (`role="img"`, titled and
described for screen readers) and the same numbers as a table in a `<details>`. Colours
are SVG presentation attributes, not `style`, so the strict CSP holds; every text that
comes from data (campaign names) is escaped. The page renders the fragments at first and
the live socket pushes fresh ones (:mod:`switchboard.web.live`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from html import escape

from switchboard.web.ports import Chart

WIDTH, HEIGHT = 640, 240
LEFT, RIGHT, TOP, BOTTOM = 52, 12, 30, 34
# Okabe-Ito colours, dark enough for 3:1 against white (WCAG non-text contrast)
COLOURS = ("#0b5cad", "#b35900", "#1a7d4b", "#a4000f")
TARGET_COLOUR = "#4a5361"
MAX_X_LABELS = 8
MAX_BAR = 56.0  # px: one campaign's bar does not fill the plot
COUNTS = ("tasks", "agents")


def _e(text: object) -> str:
    return escape(str(text), quote=True)


def value_text(value: float | None, unit: str) -> str:
    """How a value reads in labels and tables: shares in %, money and ratios with two places."""
    if value is None:
        return "\u2013"
    if unit == "share":
        return f"{value * 100:.0f} %"
    if unit in COUNTS:
        return f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}"
    return f"{value:.2f}"


def _scale(chart: Chart) -> tuple[float, float]:
    values = [v for s in chart.series for v in s.values if v is not None]
    if chart.target is not None:
        values.append(chart.target)
    low = min([0.0, *values])
    high = max([1.0 if chart.unit == "share" else 0.0, *values])
    if high == low:
        high = low + 1
    if chart.unit in COUNTS:
        step = _count_step(high)
        return 0.0, math.ceil(high / step) * step
    if chart.unit != "share":
        high = _nice(high)
        low = -_nice(-low) if low < 0 else 0.0
    return low, high


def _ticks(chart: Chart, low: float, high: float) -> list[float]:
    """Five even ticks; whole numbers only for counts (no "0.5 tasks")."""
    if chart.unit not in COUNTS:
        return [low + (high - low) * i / 4 for i in range(5)]
    step = _count_step(high)
    return [step * i for i in range(round(high / step) + 1)]


def _count_step(high: float) -> float:
    return max(1.0, _nice(high / 4))


def _nice(value: float) -> float:
    """The next round number at or above `value` (1, 2, 5 times a power of ten)."""
    if value <= 0:
        return 0.0
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if step * power >= value:
            return float(step * power)
    return float(10 * power)


def render(chart: Chart) -> str:
    """The chart's `<figure>`: SVG plus a data table."""
    ident = f"chart-{_e(chart.key)}"
    summary = _summary(chart)
    parts = [
        f'<figure class="chart" id="{ident}" data-chart="{_e(chart.key)}">',
        f'<figcaption id="{ident}-title">{_e(chart.title)}'
        + (f' <span class="note">({_e(chart.note)})</span>' if chart.note else "")
        + "</figcaption>",
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'role="img" aria-labelledby="{ident}-title {ident}-desc" class="plot">',
        f'<desc id="{ident}-desc">{_e(summary)}</desc>',
        *(_plot(chart) if chart.labels else _empty()),
        "</svg>",
        _table(chart, ident),
        "</figure>",
    ]
    return "".join(parts)


def _summary(chart: Chart) -> str:
    if not chart.labels:
        return "No data yet."
    bits = []
    for series in chart.series:
        shown = [
            f"{label} {value_text(v, chart.unit)}"
            for label, v in zip(chart.labels, series.values, strict=True)
            if v is not None
        ]
        latest = shown[-3:] if chart.kind == "lines" else shown
        bits.append(f"{series.name}: {', '.join(latest) or 'none'}")
    if chart.target is not None:
        bits.append(f"target {value_text(chart.target, chart.unit)}")
    return "; ".join(bits) + "."


def _empty() -> list[str]:
    return [
        f'<text x="{WIDTH / 2}" y="{HEIGHT / 2}" text-anchor="middle" fill="#4a5361" '
        'font-size="14">No data yet</text>'
    ]


def _plot(chart: Chart) -> list[str]:
    low, high = _scale(chart)
    inner_w, inner_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = inner_w / len(chart.labels)

    def y(value: float) -> float:
        return TOP + inner_h * (high - value) / (high - low)

    out = [_legend(chart)]
    for value in _ticks(chart, low, high):  # y grid and ticks
        at = y(value)
        out.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{at:.1f}" y2="{at:.1f}" '
            'stroke="#dde1e6" stroke-width="1"/>'
            f'<text x="{LEFT - 6}" y="{at + 4:.1f}" text-anchor="end" font-size="11" '
            f'fill="#1b1f24">{_e(value_text(value, chart.unit))}</text>'
        )
    every = max(1, math.ceil(len(chart.labels) / MAX_X_LABELS))
    for i, label in enumerate(chart.labels):
        if i % every == 0:
            x = LEFT + slot * (i + 0.5)
            out.append(
                f'<text x="{x:.1f}" y="{HEIGHT - BOTTOM + 16}" text-anchor="middle" '
                f'font-size="11" fill="#1b1f24">{_e(label[:14])}</text>'
            )
    zero = y(0.0)
    out.append(
        f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{zero:.1f}" y2="{zero:.1f}" '
        'stroke="#1b1f24" stroke-width="1"/>'
    )
    if chart.kind == "bars":
        out.extend(_bars(chart, slot, y))
    else:
        out.extend(_lines(chart, slot, y))
    if chart.target is not None:
        at = y(chart.target)
        out.append(
            f'<line class="target" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{at:.1f}" '
            f'y2="{at:.1f}" stroke="{TARGET_COLOUR}" stroke-width="2" stroke-dasharray="6 4"/>'
            f'<text x="{WIDTH - RIGHT}" y="{at - 4:.1f}" text-anchor="end" font-size="11" '
            f'fill="{TARGET_COLOUR}">target {_e(value_text(chart.target, chart.unit))}</text>'
        )
    return out


def _legend(chart: Chart) -> str:
    items, x = [], LEFT
    for n, series in enumerate(chart.series):
        colour = COLOURS[n % len(COLOURS)]
        items.append(
            f'<rect x="{x}" y="8" width="12" height="12" fill="{colour}"/>'
            f'<text x="{x + 16}" y="18" font-size="12" fill="#1b1f24">{_e(series.name)}</text>'
        )
        x += 24 + 8 * len(series.name)
    return "".join(items)


def _bars(chart: Chart, slot: float, y: Callable[[float], float]) -> list[str]:
    out = []
    width = min(slot * 0.8 / len(chart.series), MAX_BAR)
    margin = (slot - width * len(chart.series)) / 2
    for n, series in enumerate(chart.series):
        colour = COLOURS[n % len(COLOURS)]
        for i, value in enumerate(series.values):
            if value is None:
                continue
            x = LEFT + slot * i + margin + width * n
            top, bottom = sorted((y(value), y(0.0)))
            label = f"{chart.labels[i]}, {series.name}: {value_text(value, chart.unit)}"
            out.append(
                f'<rect class="bar" x="{x:.1f}" y="{top:.1f}" width="{max(width - 1, 1):.1f}" '
                f'height="{max(bottom - top, 0.5):.1f}" fill="{colour}">'
                f"<title>{_e(label)}</title></rect>"
            )
    return out


def _lines(chart: Chart, slot: float, y: Callable[[float], float]) -> list[str]:
    out = []
    for n, series in enumerate(chart.series):
        colour = COLOURS[n % len(COLOURS)]
        runs: list[list[str]] = [[]]
        for i, value in enumerate(series.values):
            if value is None:
                runs.append([])
                continue
            runs[-1].append(f"{LEFT + slot * (i + 0.5):.1f},{y(value):.1f}")
        for run in runs:
            if len(run) > 1:
                out.append(
                    f'<polyline points="{" ".join(run)}" fill="none" stroke="{colour}" '
                    'stroke-width="2"/>'
                )
            elif run:
                cx, cy = run[0].split(",")
                out.append(f'<circle cx="{cx}" cy="{cy}" r="3" fill="{colour}"/>')
    return out


def _table(chart: Chart, ident: str) -> str:
    head = "".join(f'<th scope="col">{_e(s.name)}</th>' for s in chart.series)
    rows = []
    for i, label in enumerate(chart.labels):
        values = [s.values[i] for s in chart.series]
        if all(v is None or v == 0 for v in values) and chart.kind == "lines" and i > 0:
            continue  # long empty stretches of a day read poorly as rows
        cells = "".join(f"<td>{_e(value_text(v, chart.unit))}</td>" for v in values)
        rows.append(f'<tr><th scope="row">{_e(label)}</th>{cells}</tr>')
    body = "".join(rows) or f'<tr><td colspan="{len(chart.series) + 1}">No data yet</td></tr>'
    return (
        f'<details class="chart-data"><summary>Numbers: {_e(chart.title)}</summary>'
        f'<table id="{ident}-table"><thead><tr><th scope="col">'
        f"{'Campaign' if chart.kind == 'bars' and chart.unit not in ('tasks',) else 'Interval'}"
        f"</th>{head}</tr></thead><tbody>{body}</tbody></table></details>"
    )
