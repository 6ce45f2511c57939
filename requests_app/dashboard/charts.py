"""The dashboard's charts: SVG drawn on the server, as text, with no script and no style attribute
(the Content-Security-Policy allows neither; docs/security.md). Colours are SVG presentation
attributes. Each chart is an image with a title and a description a screen reader reads, and
its page shows the same figures as a table (docs/accessibility.md)."""

from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

WIDTH = 640
ROW = 44
TOP = 8
LABEL_GAP = 18
BAR_HEIGHT = 16
BAR_SPACE = 520
# Dark enough on white for text (over 7:1) and for a bar's edge (over 3:1, WCAG 1.4.11).
BAR = "#0b4f8a"
TEXT = "#212529"


def _number(value):
    if value is None:
        return "none"
    if isinstance(value, float):
        return f"{value:.1f}"
    return str(value)


def describe(bars, unit):
    """Every bar in words, for the chart's <desc>."""
    if not bars:
        return "No figures in this range."
    return "; ".join(f"{label}: {_number(value)} {unit}".strip() for label, value in bars) + "."


def bar_chart(key, title, bars, unit=""):
    """Horizontal bars, one per (label, value), each label above its bar: the labels are long
    and the page is 390 px wide on a phone, where the drawing scales to the screen's width."""
    largest = max((value or 0 for _, value in bars), default=0) or 1
    height = TOP + ROW * max(len(bars), 1) + 4
    rows = []
    for number, (label, value) in enumerate(bars):
        y = TOP + number * ROW
        length = round(BAR_SPACE * (value or 0) / largest, 1)
        rows.append(
            format_html(
                '<text x="0" y="{}" fill="{}" font-size="14">{}</text>'
                '<rect x="0" y="{}" width="{}" height="{}" fill="{}"></rect>'
                '<text x="{}" y="{}" fill="{}" font-size="14">{}</text>',
                y + 14,
                TEXT,
                label,
                y + LABEL_GAP + 2,
                length,
                BAR_HEIGHT,
                BAR,
                length + 6,
                y + LABEL_GAP + 15,
                TEXT,
                _number(value) if value is not None else "none",
            )
        )
    if not bars:
        rows.append(
            format_html(
                '<text x="0" y="{}" fill="{}" font-size="14">No figures in this range.</text>',
                TOP + 14,
                TEXT,
            )
        )
    return format_html(
        '<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {} {}" '
        'width="100%" role="img" aria-labelledby="chart-{}-title chart-{}-desc" '
        'focusable="false"><title id="chart-{}-title">{}</title>'
        '<desc id="chart-{}-desc">{}</desc>{}</svg>',
        WIDTH,
        height,
        key,
        key,
        key,
        title,
        key,
        describe(bars, unit),
        mark_safe(format_html_join("", "{}", ((row,) for row in rows))),  # noqa: S308
    )
