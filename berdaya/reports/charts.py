"""Small server-side SVG charts for the dashboard (and, later, the PDF report): no JavaScript, no
external fonts or links, 360 units wide with `width="100%"` so they fit a phone and scale up.

Pure (no Django): the caller passes numbers and already-translated texts; every text is escaped here.
Each chart carries a <title> and <desc> (read by screen readers) and writes its numbers as text labels,
so nothing is told by colour alone. Colours follow `kube.plot` (Paul Tol / Okabe–Ito).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from html import escape

from berdaya.kube.plot import PALETTE

__all__ = ["bar_chart", "hbar_chart", "line_chart", "stacked_bar_chart"]

WIDTH = 360
FONT = "system-ui, -apple-system, Roboto, sans-serif"
INK, MUTED, GRID = "#1d2a2f", "#5c6b70", "#e3e8ea"
BAR = "#0b6e4f"
LABEL_CHARS = 48


def _e(text: object) -> str:
    return escape(str(text), quote=True)


def _num(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _default_format(value: float) -> str:
    return _num(value).replace(".", ",")


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _open(kind: str, title: str, desc: str, height: float, salt: str) -> list[str]:
    digest = hashlib.sha1(f"{kind}|{title}|{desc}|{salt}".encode()).hexdigest()[:8]
    ident = f"chart-{kind}-{digest}"
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {_num(height)}" width="100%" '
        f'role="img" aria-labelledby="{ident}-t {ident}-d" '
        f'class="chart chart-{kind}" font-family="{FONT}">',
        f'<title id="{ident}-t">{_e(title)}</title>',
        f'<desc id="{ident}-d">{_e(desc)}</desc>',
    ]


def _empty(kind: str, title: str, desc: str, empty_label: str) -> str:
    parts = _open(kind, title, desc, 60, "empty")
    parts.append(
        f'<text x="{WIDTH / 2}" y="34" text-anchor="middle" font-size="12" fill="{MUTED}">{_e(empty_label)}</text>'
    )
    parts.append("</svg>")
    return "".join(parts)


def bar_chart(
    items: Sequence[tuple[str, float]],
    *,
    title: str,
    desc: str = "",
    value_format=_default_format,
    empty_label: str = "Belum ada data.",
) -> str:
    """Vertical bars, one per (label, value); labels under the bars (shortened, full text in a tooltip)."""
    if not items or all(value <= 0 for _label, value in items):
        return _empty("bar", title, desc, empty_label)
    top, plot, bottom, side = 18, 120, 30, 8
    height = top + plot + bottom
    peak = max(value for _label, value in items) or 1
    slot = (WIDTH - 2 * side) / len(items)
    bar = min(48, slot * 0.7)
    chars = max(4, int(slot / 6))
    parts = _open("bar", title, desc, height, repr(items))
    parts.append(f'<line x1="{side}" y1="{top + plot}" x2="{WIDTH - side}" y2="{top + plot}" stroke="{GRID}"/>')
    for i, (label, value) in enumerate(items):
        h = plot * max(value, 0) / peak
        x = side + i * slot + (slot - bar) / 2
        centre = side + i * slot + slot / 2
        parts.append(
            f'<rect x="{_num(x)}" y="{_num(top + plot - h)}" width="{_num(bar)}" height="{_num(h)}" fill="{BAR}">'
            f"<title>{_e(label)}: {_e(value_format(value))}</title></rect>"
        )
        parts.append(
            f'<text x="{_num(centre)}" y="{_num(top + plot - h - 4)}" text-anchor="middle" font-size="11" '
            f'fill="{INK}">{_e(value_format(value))}</text>'
        )
        parts.append(
            f'<text x="{_num(centre)}" y="{top + plot + 14}" text-anchor="middle" font-size="10" '
            f'fill="{MUTED}">{_e(_short(label, chars))}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def hbar_chart(
    items: Sequence[tuple[str, float | None, str]],
    *,
    title: str,
    desc: str = "",
    maximum: float = 100.0,
    empty_label: str = "Belum ada data.",
) -> str:
    """Horizontal bars of (label, value or None, value text), e.g. indicator pass rates in percent.

    The label sits on its own line above the bar so long indicator names fit a phone; a None value
    draws no bar and shows its text (e.g. "—").
    """
    if not items:
        return _empty("hbar", title, desc, empty_label)
    row, side, track = 34, 8, WIDTH - 2 * 8 - 52
    height = 8 + row * len(items)
    parts = _open("hbar", title, desc, height, repr(items))
    for i, (label, value, text) in enumerate(items):
        y = 8 + i * row
        parts.append(
            f'<text x="{side}" y="{y + 10}" font-size="11" fill="{INK}">{_e(_short(label, LABEL_CHARS))}'
            f"<title>{_e(label)}</title></text>"
        )
        parts.append(f'<rect x="{side}" y="{y + 15}" width="{track}" height="12" fill="{GRID}" rx="2"/>')
        if value is not None and maximum > 0:
            w = track * min(max(value, 0.0), maximum) / maximum
            parts.append(f'<rect x="{side}" y="{y + 15}" width="{_num(w)}" height="12" fill="{BAR}" rx="2"/>')
        parts.append(
            f'<text x="{WIDTH - side}" y="{y + 25}" text-anchor="end" font-size="11" font-weight="600" '
            f'fill="{INK}">{_e(text)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def stacked_bar_chart(
    rows: Sequence[tuple[str, Sequence[float]]],
    series: Sequence[str],
    *,
    title: str,
    desc: str = "",
    empty_label: str = "Belum ada data.",
) -> str:
    """One horizontal bar per row split by series (e.g. KUBEs by lifecycle state), with a legend listing
    each series' total, so the numbers are readable without telling colours apart."""
    totals = [sum(values) for _label, values in rows]
    if not rows or not any(totals):
        return _empty("stacked", title, desc, empty_label)
    side, row_h, legend_row = 8, 34, 16
    shown = [i for i in range(len(series)) if any(values[i] for _l, values in rows)]
    legend_rows = (len(shown) + 1) // 2
    height = 8 + row_h * len(rows) + legend_rows * legend_row + 6
    peak = max(totals)
    track = WIDTH - 2 * side - 40
    parts = _open("stacked", title, desc, height, repr((rows, series)))
    for r, (label, values) in enumerate(rows):
        y = 8 + r * row_h
        parts.append(
            f'<text x="{side}" y="{y + 10}" font-size="11" fill="{INK}">{_e(_short(label, LABEL_CHARS))}</text>'
        )
        x = float(side)
        for i, value in enumerate(values):
            if value <= 0:
                continue
            w = track * value / peak
            parts.append(
                f'<rect x="{_num(x)}" y="{y + 15}" width="{_num(w)}" height="12" fill="{PALETTE[i % len(PALETTE)]}">'
                f"<title>{_e(series[i])}: {_e(_default_format(value))}</title></rect>"
            )
            x += w
        parts.append(
            f'<text x="{_num(x + 4)}" y="{y + 25}" font-size="11" font-weight="600" fill="{INK}">'
            f"{_e(_default_format(totals[r]))}</text>"
        )
    top = 8 + row_h * len(rows) + 4
    for n, i in enumerate(shown):
        x = side + (n % 2) * (WIDTH / 2)
        y = top + (n // 2) * legend_row
        count = sum(values[i] for _l, values in rows)
        parts.append(f'<rect x="{_num(x)}" y="{_num(y)}" width="10" height="10" fill="{PALETTE[i % len(PALETTE)]}"/>')
        parts.append(
            f'<text x="{_num(x + 14)}" y="{_num(y + 9)}" font-size="10" fill="{INK}">'
            f"{_e(_short(series[i], 26))} ({_e(_default_format(count))})</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


def line_chart(
    points: Sequence[tuple[str, float | None]],
    *,
    title: str,
    desc: str = "",
    maximum: float = 100.0,
    threshold: float | None = None,
    threshold_label: str = "",
    unit: str = "%",
    empty_label: str = "Belum ada data.",
) -> str:
    """A line over (label, value or None) points, e.g. monthly attendance in percent; a None leaves a gap.

    Every point carries its value as a label; `threshold` draws a dashed reference line (e.g. 60 %).
    """
    if not points or all(value is None for _label, value in points):
        return _empty("line", title, desc, empty_label)
    left, right, top, plot, bottom = 30, 10, 16, 120, 30
    height = top + plot + bottom
    step = (WIDTH - left - right) / max(len(points) - 1, 1)

    def sx(i: int) -> float:
        return left + i * step if len(points) > 1 else (WIDTH + left - right) / 2

    def sy(value: float) -> float:
        return top + plot - plot * min(max(value, 0.0), maximum) / maximum

    parts = _open("line", title, desc, height, repr(points))
    for tick in (0, maximum / 2, maximum):
        y = sy(tick)
        parts.append(f'<line x1="{left}" y1="{_num(y)}" x2="{WIDTH - right}" y2="{_num(y)}" stroke="{GRID}"/>')
        parts.append(
            f'<text x="{left - 4}" y="{_num(y + 3)}" text-anchor="end" font-size="9" fill="{MUTED}">'
            f"{_e(_default_format(tick))}</text>"
        )
    if threshold is not None:
        y = sy(threshold)
        parts.append(
            f'<line x1="{left}" y1="{_num(y)}" x2="{WIDTH - right}" y2="{_num(y)}" stroke="#b3261e" '
            'stroke-dasharray="4 3"/>'
        )
        if threshold_label:
            parts.append(
                f'<text x="{WIDTH - right}" y="{_num(y - 3)}" text-anchor="end" font-size="9" fill="#b3261e">'
                f"{_e(threshold_label)}</text>"
            )
    segment: list[str] = []
    segments: list[list[str]] = []
    for i, (_label, value) in enumerate(points):
        if value is None:
            if segment:
                segments.append(segment)
            segment = []
            continue
        segment.append(f"{_num(sx(i))},{_num(sy(value))}")
    if segment:
        segments.append(segment)
    for seg in segments:
        parts.append(f'<polyline points="{" ".join(seg)}" fill="none" stroke="{BAR}" stroke-width="2"/>')
    every = 1 if len(points) <= 6 else 2
    for i, (label, value) in enumerate(points):
        x = sx(i)
        if value is not None:
            parts.append(
                f'<circle cx="{_num(x)}" cy="{_num(sy(value))}" r="3" fill="{BAR}">'
                f"<title>{_e(label)}: {_e(_default_format(value))}{_e(unit)}</title></circle>"
            )
            if i % every == 0 or i == len(points) - 1:
                parts.append(
                    f'<text x="{_num(x)}" y="{_num(sy(value) - 6)}" text-anchor="middle" font-size="9" '
                    f'fill="{INK}">{_e(_default_format(value))}</text>'
                )
        if i % every == 0 or i == len(points) - 1:
            parts.append(
                f'<text x="{_num(x)}" y="{top + plot + 14}" text-anchor="middle" font-size="9" '
                f'fill="{MUTED}">{_e(label)}</text>'
            )
    parts.append("</svg>")
    return "".join(parts)
