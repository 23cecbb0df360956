"""Bar charts drawn on the server as SVG, served as images from their own URL.

Hand-built rather than pygal: pygal's SVG styles itself with a ``<style>`` element and
inline ``style`` attributes, which a Content-Security-Policy without 'unsafe-inline' turns
off; these charts use presentation attributes (``fill``, ``font-size``) only, which no CSP
restricts, and carry no script. Labels are escaped; they never hold patient data.
"""

from __future__ import annotations

from collections.abc import Sequence
from xml.sax.saxutils import escape

COLOURS = ("#3465a4", "#cc6600", "#4e9a06", "#a40000")
WIDTH, HEIGHT = 760, 300
LEFT, RIGHT, TOP, BOTTOM = 56, 16, 40, 64


def _short(label: str, most: int = 14) -> str:
    """A category's label under its bars, cut short with an ellipsis when long."""
    return label if len(label) <= most else label[:most - 1] + "\u2026"


def _nice_top(value: float) -> float:
    """A round axis maximum at or above ``value``."""
    if value <= 0:
        return 1.0
    step = 10 ** len(str(int(value))) / 10
    for factor in (1, 2, 2.5, 5, 10):
        if value <= step * factor:
            return step * factor
    return value


def bar_chart(title: str, categories: Sequence[str],
              series: Sequence[tuple[str, Sequence[float | None]]], unit: str) -> str:
    """Grouped bars, one group per category, one bar per series (None: no bar)."""
    values = [v for _name, points in series for v in points if v is not None]
    top = _nice_top(max(values, default=0.0))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
             f'viewBox="0 0 {WIDTH} {HEIGHT}" role="img" font-family="sans-serif" '
             f'font-size="11"><title>{escape(title)}</title>',
             f'<rect width="{WIDTH}" height="{HEIGHT}" fill="#ffffff"/>',
             f'<text x="{LEFT}" y="18" font-size="14" font-weight="bold">{escape(title)}</text>']
    for tick in range(5):
        y = TOP + plot_h - plot_h * tick / 4
        label = f"{top * tick / 4:g}"
        parts.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" '
                     f'stroke="#dddddd"/><text x="{LEFT - 6}" y="{y + 4:.1f}" '
                     f'text-anchor="end">{escape(label)}</text>')
    parts.append(f'<text x="12" y="{TOP + plot_h / 2:.0f}" transform="rotate(-90 12 '
                 f'{TOP + plot_h / 2:.0f})" text-anchor="middle">{escape(unit)}</text>')
    if not categories:
        parts.append(f'<text x="{WIDTH / 2}" y="{TOP + plot_h / 2}" text-anchor="middle">'
                     'No contacts in this period</text>')
    group_w = plot_w / max(len(categories), 1)
    bar_w = group_w * 0.8 / max(len(series), 1)
    for index, category in enumerate(categories):
        x0 = LEFT + group_w * index + group_w * 0.1
        for number, (name, points) in enumerate(series):
            value = points[index]
            if value is None:
                continue
            h = plot_h * value / top
            parts.append(f'<rect x="{x0 + bar_w * number:.1f}" y="{TOP + plot_h - h:.1f}" '
                         f'width="{max(bar_w - 1, 1):.1f}" height="{h:.1f}" '
                         f'fill="{COLOURS[number % len(COLOURS)]}">'
                         f'<title>{escape(f"{category} {name}: {value:.1f} {unit}")}</title>'
                         '</rect>')
        if len(categories) <= 16 or index % (len(categories) // 16 + 1) == 0:
            cx = LEFT + group_w * (index + 0.5)
            parts.append(f'<text x="{cx:.1f}" y="{HEIGHT - BOTTOM + 14}" '
                         f'text-anchor="middle">{escape(_short(category))}</text>')
    for number, (name, _points) in enumerate(series):
        x = LEFT + 130 * number
        parts.append(f'<rect x="{x}" y="{HEIGHT - 24}" width="12" height="12" '
                     f'fill="{COLOURS[number % len(COLOURS)]}"/><text x="{x + 16}" '
                     f'y="{HEIGHT - 14}">{escape(name)}</text>')
    parts.append("</svg>")
    return "".join(parts)

