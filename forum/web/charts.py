"""Small server-rendered SVG bar charts (no scripts, no CDN). Each chart names itself for
screen readers; pages put the same figures in a table beside it."""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup

WIDTH, HEIGHT = 640, 220
MARGIN_LEFT, MARGIN_BOTTOM, MARGIN_TOP = 40, 28, 12


def stacked_bars(
    chart_id: str,
    title: str,
    labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[float], str]],
) -> Markup:
    """Bars per label, each stacked from the series (name, values, css class)."""
    totals = [sum(values[i] for _, values, _ in series) for i in range(len(labels))]
    top = max([*totals, 1])
    plot_w = WIDTH - MARGIN_LEFT - 8
    plot_h = HEIGHT - MARGIN_BOTTOM - MARGIN_TOP
    step = plot_w / max(len(labels), 1)
    bar_w = max(step * 0.6, 2)
    parts = [
        Markup(
            '<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="{}" '
            'viewBox="0 0 {} {}" role="img" aria-labelledby="{}-title">'
        ).format(chart_id, WIDTH, HEIGHT, chart_id),
        Markup('<title id="{}-title">{}</title>').format(chart_id, title),
        Markup('<line x1="{}" y1="{}" x2="{}" y2="{}" class="chart__axis"/>').format(
            MARGIN_LEFT, MARGIN_TOP + plot_h, WIDTH - 8, MARGIN_TOP + plot_h
        ),
        Markup('<text x="{}" y="{}" text-anchor="end" class="chart__tick">{}</text>').format(
            MARGIN_LEFT - 6, MARGIN_TOP + 10, f"{top:g}"
        ),
    ]
    for index, label in enumerate(labels):
        x = MARGIN_LEFT + index * step + (step - bar_w) / 2
        base = MARGIN_TOP + plot_h
        for name, values, css in series:
            value = values[index]
            if value <= 0:
                continue
            height = plot_h * value / top
            base -= height
            parts.append(
                Markup(
                    '<rect x="{}" y="{}" width="{}" height="{}" class="{}"><title>{}: {} {}</title>'
                    "</rect>"
                ).format(
                    f"{x:.1f}",
                    f"{base:.1f}",
                    f"{bar_w:.1f}",
                    f"{height:.1f}",
                    css,
                    label,
                    name,
                    f"{value:g}",
                )
            )
        parts.append(
            Markup('<text x="{}" y="{}" text-anchor="middle" class="chart__tick">{}</text>').format(
                f"{x + bar_w / 2:.1f}", HEIGHT - 10, label
            )
        )
    legend_x = MARGIN_LEFT
    for name, _values, css in series:
        parts.append(
            Markup('<rect x="{}" y="0" width="10" height="10" class="{}"/>').format(legend_x, css)
        )
        parts.append(
            Markup('<text x="{}" y="9" class="chart__tick">{}</text>').format(legend_x + 14, name)
        )
        legend_x += 14 + 8 * len(name) + 16
    parts.append(Markup("</svg>"))
    return Markup("").join(parts)
