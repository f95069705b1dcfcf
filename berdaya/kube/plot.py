"""An inline SVG of a formation proposal: member houses by coordinates, coloured by group.

Pure (no Django): the caller passes points and the (translated) texts; the result is a string of
SVG that a template marks safe. Every text that came from outside is escaped here.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

import numpy as np

from berdaya.engine.grouping.geo import project_m

# A qualitative palette that stays distinguishable on white and for most colour-blind readers
# (Paul Tol's "muted" plus Okabe–Ito); grey is kept for unplaced families.
PALETTE = (
    "#332288",
    "#117733",
    "#CC6677",
    "#88CCEE",
    "#DDCC77",
    "#AA4499",
    "#44AA99",
    "#882255",
    "#999933",
    "#E69F00",
    "#0072B2",
    "#D55E00",
)
UNPLACED_COLOUR = "#9e9e9e"
WIDTH = 360
MARGIN_LEFT, MARGIN_RIGHT, MARGIN_TOP, MARGIN_BOTTOM = 46, 12, 12, 34
LEGEND_ROW = 18
LEGEND_COLUMNS = 4


@dataclass(frozen=True)
class PlotPoint:
    lat: float | None
    lon: float | None
    group: str | None  # the group's key, None for an unplaced family
    meeting: bool = False  # the group's meeting house
    label: str = ""  # tooltip, e.g. a masked No KK


def colour_for(index: int) -> str:
    """The palette cycles: group 13 has group 1's colour (labels at the meeting houses tell them apart)."""
    return PALETTE[index % len(PALETTE)]


def _nice_step(span: float, ticks: int = 4) -> float:
    raw = max(span, 1.0) / ticks
    power = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 5, 10):
        if raw <= factor * power:
            return factor * power
    return 10 * power


def _fmt(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def members_svg(
    points: Sequence[PlotPoint],
    groups: Sequence[tuple[str, str]],
    *,
    title: str = "Sebaran anggota per kelompok",
    x_label: str = "timur–barat (m)",
    y_label: str = "utara–selatan (m)",
    unplaced_label: str = "belum ditempatkan",
    meeting_label: str = "rumah pertemuan",
    empty_label: str = "Tidak ada koordinat untuk digambar.",
) -> str:
    """Render the points as an SVG string 360 units wide (it scales to its container).

    `groups` is [(key, legend text)] in display order; a group's colour follows that order. Points
    without coordinates are left out (the caller says how many). Axes are metres from the
    equirectangular projection the solver uses, with the same scale on both axes.
    """
    order = {key: i for i, (key, _text) in enumerate(groups)}
    shown = [p for p in points if p.lat is not None and p.lon is not None]
    legend_rows = math.ceil(len(groups) / LEGEND_COLUMNS) + 1
    plot_size = WIDTH - MARGIN_LEFT - MARGIN_RIGHT
    height = MARGIN_TOP + plot_size + MARGIN_BOTTOM + legend_rows * LEGEND_ROW + 6
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" width="100%" '
        f'role="img" aria-label="{escape(title)}" class="formation-plot" '
        'font-family="system-ui, -apple-system, Roboto, sans-serif">',
        f"<title>{escape(title)}</title>",
        f'<rect x="{MARGIN_LEFT}" y="{MARGIN_TOP}" width="{plot_size}" height="{plot_size}" fill="#fff" '
        'stroke="#d7dee0"/>',
    ]
    if not shown:
        parts.append(
            f'<text x="{WIDTH / 2}" y="{MARGIN_TOP + plot_size / 2}" text-anchor="middle" font-size="12" '
            f'fill="#5c6b70">{escape(empty_label)}</text>'
        )
    else:
        xy = project_m(np.array([p.lat for p in shown], dtype=float), np.array([p.lon for p in shown], dtype=float))
        xy = xy - xy.min(axis=0)
        span = max(float(xy.max()), 1.0)
        step = _nice_step(span)
        extent = math.ceil(span / step) * step
        scale = (plot_size - 12) / extent  # a small inset so edge points are not cut

        def sx(x: float) -> float:
            return MARGIN_LEFT + 6 + x * scale

        def sy(y: float) -> float:
            return MARGIN_TOP + plot_size - 6 - y * scale

        parts += _axes(step, extent, sx, sy, plot_size, x_label, y_label)
        # Unplaced first so that group members are drawn on top of them.
        ranked = sorted(range(len(shown)), key=lambda i: shown[i].group is not None)
        labels = []
        for i in ranked:
            point, (x, y) = shown[i], xy[i]
            cx, cy = round(sx(x), 1), round(sy(y), 1)
            tooltip = f"<title>{escape(point.label)}</title>" if point.label else ""
            if point.group is None or point.group not in order:
                parts.append(
                    f'<circle cx="{cx}" cy="{cy}" r="3.5" fill="#fff" stroke="{UNPLACED_COLOUR}" '
                    f'stroke-width="1.5">{tooltip}</circle>'
                )
                continue
            colour = colour_for(order[point.group])
            parts.append(f'<circle cx="{cx}" cy="{cy}" r="3.5" fill="{colour}" fill-opacity="0.85">{tooltip}</circle>')
            if point.meeting:
                parts.append(
                    f'<rect x="{cx - 6}" y="{cy - 6}" width="12" height="12" fill="none" stroke="#1d2a2f" '
                    'stroke-width="1.5"/>'
                )
                labels.append(
                    f'<text x="{cx + 8}" y="{cy - 6}" font-size="10" font-weight="700" fill="{colour}" '
                    f'stroke="#fff" stroke-width="2.5" paint-order="stroke">{escape(point.group)}</text>'
                )
        parts += labels  # labels last: never hidden under another group's points
    parts += _legend(groups, MARGIN_TOP + plot_size + MARGIN_BOTTOM + 4, unplaced_label, meeting_label)
    parts.append("</svg>")
    return "".join(parts)


def _axes(step, extent, sx, sy, plot_size, x_label, y_label) -> list[str]:
    parts = []
    ticks = int(round(extent / step))
    for n in range(ticks + 1):
        value = n * step
        x, y = round(sx(value), 1), round(sy(value), 1)
        parts.append(f'<line x1="{x}" y1="{MARGIN_TOP}" x2="{x}" y2="{MARGIN_TOP + plot_size}" stroke="#eef1f2"/>')
        parts.append(f'<line x1="{MARGIN_LEFT}" y1="{y}" x2="{MARGIN_LEFT + plot_size}" y2="{y}" stroke="#eef1f2"/>')
        parts.append(
            f'<text x="{x}" y="{MARGIN_TOP + plot_size + 12}" font-size="9" text-anchor="middle" '
            f'fill="#5c6b70">{_fmt(value)}</text>'
        )
        parts.append(
            f'<text x="{MARGIN_LEFT - 3}" y="{y + 3}" font-size="9" text-anchor="end" '
            f'fill="#5c6b70">{_fmt(value)}</text>'
        )
    parts.append(
        f'<text x="{MARGIN_LEFT + plot_size / 2}" y="{MARGIN_TOP + plot_size + 26}" font-size="10" '
        f'text-anchor="middle" fill="#5c6b70">{escape(x_label)}</text>'
    )
    middle = MARGIN_TOP + plot_size / 2
    parts.append(
        f'<text x="10" y="{middle}" font-size="10" text-anchor="middle" fill="#5c6b70" '
        f'transform="rotate(-90 10 {middle})">{escape(y_label)}</text>'
    )
    return parts


def _legend(groups, top: float, unplaced_label: str, meeting_label: str) -> list[str]:
    """Group swatches four to a row, then one row for the two symbols (their labels are longer).

    Swatches are rounded squares, not circles, so that the plot's circles are exactly the families.
    """
    cell = (WIDTH - 8) / LEGEND_COLUMNS
    entries = [
        (8 + (n % LEGEND_COLUMNS) * cell, top + (n // LEGEND_COLUMNS) * LEGEND_ROW, colour_for(n), text, "dot")
        for n, (_key, text) in enumerate(groups)
    ]
    last = top + math.ceil(len(groups) / LEGEND_COLUMNS) * LEGEND_ROW
    entries += [
        (8, last, UNPLACED_COLOUR, unplaced_label, "hollow"),
        (8 + 2 * cell, last, "#1d2a2f", meeting_label, "square"),
    ]
    parts = []
    for x, y, colour, text, shape in entries:
        if shape == "dot":
            parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="9" height="9" rx="4.5" fill="{colour}"/>')
        elif shape == "hollow":
            parts.append(
                f'<rect x="{x + 0.75:.1f}" y="{y + 0.75:.1f}" width="7.5" height="7.5" rx="3.75" '
                f'fill="#fff" stroke="{colour}" stroke-width="1.5"/>'
            )
        else:
            parts.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="9" height="9" fill="none" stroke="{colour}" stroke-width="1.5"/>'
            )
        parts.append(f'<text x="{x + 13:.1f}" y="{y + 8.5:.1f}" font-size="10" fill="#1d2a2f">{escape(text)}</text>')
    return parts
