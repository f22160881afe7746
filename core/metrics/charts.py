"""Charts drawn on the server as small accessible SVG: no JavaScript, a few hundred bytes each.

Each chart has role="img", a <title> and a <desc> reading out every value, so a screen reader gets the
numbers; the page also shows them as text.
"""

from __future__ import annotations

from collections.abc import Callable
from html import escape

from markupsafe import Markup

WIDTH, HEIGHT, PAD = 240, 64, 4


def trend(points: list[tuple[str, float | None]], title: str, fmt: Callable[[float], str]) -> Markup:
    """A line over the months; a missing month leaves a gap."""
    values = [v for _m, v in points if v is not None]
    top = max(values + [0]) or 1
    step = (WIDTH - 2 * PAD) / max(len(points) - 1, 1)
    segments, current = [], []
    for i, (_month, value) in enumerate(points):
        if value is None:
            if current:
                segments.append(current)
            current = []
            continue
        x = PAD + i * step
        y = HEIGHT - PAD - (value / top) * (HEIGHT - 2 * PAD)
        current.append(f"{x:.1f},{y:.1f}")
    if current:
        segments.append(current)
    desc = "; ".join(f"{month}: {fmt(v) if v is not None else '–'}" for month, v in points)
    lines = "".join(f'<polyline points="{" ".join(seg)}" fill="none" stroke="currentColor" stroke-width="2"/>'
                    for seg in segments)
    dots = "".join(f'<circle cx="{seg[-1].split(",")[0]}" cy="{seg[-1].split(",")[1]}" r="3"/>'
                   for seg in segments[-1:])
    svg = (f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}" role="img">'
           f'<title>{escape(title)}</title><desc>{escape(desc)}</desc>'
           f'<line x1="{PAD}" y1="{HEIGHT - PAD}" x2="{WIDTH - PAD}" y2="{HEIGHT - PAD}" stroke="#ccc"/>'
           f'{lines}{dots}</svg>')
    return Markup(svg)  # noqa: S704 (every text inside is escaped; the rest are numbers we formatted)


def bars(parts: dict[str, int], title: str, fmt: Callable[[float], str], label: Callable[[str], str]) -> Markup:
    """Horizontal bars, largest first, each labelled with its value."""
    if not parts:
        return Markup("")
    rows = sorted(parts.items(), key=lambda kv: -kv[1])
    top = max(v for _k, v in rows) or 1
    height = 18 * len(rows)
    body = "".join(
        f'<g transform="translate(0,{18 * i})"><text x="0" y="13" font-size="11">{escape(label(k))}</text>'
        f'<rect x="90" y="3" width="{max(1, 110 * v / top):.1f}" height="12" fill="currentColor"/>'
        f'<text x="{94 + 110 * v / top:.1f}" y="13" font-size="11">{escape(fmt(v))}</text></g>'
        for i, (k, v) in enumerate(rows))
    desc = "; ".join(f"{label(k)}: {fmt(v)}" for k, v in rows)
    svg = (f'<svg class="chart bars" viewBox="0 0 {WIDTH + 60} {height}" width="{WIDTH + 60}" '
           f'height="{height}" role="img"><title>{escape(title)}</title><desc>{escape(desc)}</desc>{body}</svg>')
    return Markup(svg)  # noqa: S704 (labels and values are escaped above)
