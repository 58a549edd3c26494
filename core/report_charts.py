"""A report chart drawn as an inline SVG with matplotlib.

Why matplotlib rather than Vega-Lite (altair with vl-convert): it draws static SVG in pure
Python from a wheel every platform has, with no JavaScript engine bundled or run, so the
page needs no script at all, prints exactly as it shows, and the SVG is the same bytes for
the same data (fixed ids, no timestamp), which keeps reports comparable and testable. Text
stays text (``svg.fonttype = none``), so a printed PDF can be searched and the page
inherits the reader's font. Figures are made with matplotlib's object API, never pyplot,
so no global state is left behind between charts.
"""

from __future__ import annotations

import io
from typing import Any

import matplotlib
from matplotlib.figure import Figure as PlotFigure
from matplotlib.ticker import FuncFormatter

from clinicops.core.report_sections import Chart

# Colour-blind-safe (Okabe–Ito), in the order series are drawn.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000")
SIZE = (6.4, 3.0)

STYLE = {
    "svg.fonttype": "none",
    "font.family": "sans-serif",
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.titlesize": 10,
}


def _formatter(unit: str) -> FuncFormatter:
    if unit == "%":
        return FuncFormatter(lambda v, _: f"{v * 100:.0f}%")
    if unit == "USD":
        return FuncFormatter(lambda v, _: f"${v:,.0f}")
    return FuncFormatter(lambda v, _: f"{v:,.0f}" if float(v).is_integer() else f"{v:,.1f}")


def _values(chart: Chart) -> tuple[tuple[str, ...], list[tuple[str, list[float]]]]:
    labels = chart.labels
    series = []
    for s in chart.series:
        points = dict(s.points)
        series.append((s.name, [points.get(label, 0.0) for label in labels]))
    return labels, series


def _draw(ax: Any, chart: Chart) -> None:
    labels, series = _values(chart)
    xs = range(len(labels))
    if chart.kind == "line":
        at = {label: x for x, label in enumerate(labels)}
        for n, s in enumerate(chart.series):  # a line skips the labels it has no point for
            xs_, ys_ = [at[k] for k, _ in s.points], [v for _, v in s.points]
            ax.plot(xs_, ys_, marker="o", label=s.name, color=PALETTE[n % 8])
    elif chart.kind == "stacked":
        bottom = [0.0] * len(labels)
        for n, (name, values) in enumerate(series):
            ax.bar(xs, values, bottom=bottom, label=name, color=PALETTE[n % 8])
            bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    else:
        width = 0.8 / max(1, len(series))
        for n, (name, values) in enumerate(series):
            offset = (n - (len(series) - 1) / 2) * width
            ax.bar([x + offset for x in xs], values, width=width, label=name, color=PALETTE[n % 8])
    ax.set_xticks(list(xs), labels, rotation=30 if len(labels) > 4 else 0, ha="right" if len(labels) > 4 else "center")
    ax.yaxis.set_major_formatter(_formatter(chart.unit))
    ax.grid(axis="y", alpha=0.3)
    if len(series) > 1:
        ax.legend(fontsize=8, frameon=False, ncols=min(3, len(series)), loc="upper left", bbox_to_anchor=(0, 1.25))


def svg(chart: Chart, chart_id: str) -> str:
    """The chart as an ``<svg>`` element; an empty chart says there is nothing to show."""
    with matplotlib.rc_context({**STYLE, "svg.hashsalt": chart_id, "svg.id": chart_id}):
        fig = PlotFigure(figsize=SIZE, layout="constrained")
        ax = fig.add_subplot()
        if chart.empty:
            ax.text(0.5, 0.5, "Nothing to show for this period", ha="center", va="center", transform=ax.transAxes)
            ax.set_axis_off()
        else:
            _draw(ax, chart)
        out = io.StringIO()
        fig.savefig(out, format="svg", metadata={"Date": None, "Creator": None})
    text = out.getvalue()
    start = text.index("<svg")
    return text[start:].replace("<svg ", f'<svg role="img" aria-label="{_attr(chart.title)}" ', 1)


def _attr(text: str) -> str:
    return text.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")
