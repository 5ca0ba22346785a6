"""Charts as bytes that are the same on every run: SVG to inline in the report, and the
small PNG summary the card shows.

matplotlib's object API (a `Figure` of its own, no pyplot and no global state) with
its Agg renderer. Reproducible on purpose: the SVG ids are salted with a fixed string
(`svg.hashsalt`) instead of a random one, no date or software is written into the
files, and text stays text (`svg.fonttype: none`), so a browser shapes right-to-left
scripts the charts' own font cannot.
"""

from __future__ import annotations

import io
import logging
import re
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, Final

import matplotlib
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

#: The settings every chart is drawn with (matplotlib rcParams).
STYLE: Final[dict[str, Any]] = {
    "svg.hashsalt": "builder-report",
    "svg.fonttype": "none",
    "text.parse_math": False,  # a "$" in a publisher's name is text, not TeX
    "font.family": "DejaVu Sans",  # ships with matplotlib: the same PNG everywhere
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.titlesize": 10,
    "axes.titleweight": "bold",
    "axes.titlelocation": "left",
    "figure.dpi": 100,
    "savefig.dpi": 100,
}
#: No creator, date or format in the files: they would differ from run to run.
SVG_METADATA: Final[dict[str, Any]] = {"Creator": None, "Date": None, "Format": None, "Type": None}
PNG_METADATA: Final[dict[str, Any]] = {"Software": None}
COLOURS: Final = ("#3b6ea5", "#e08a2e", "#5a9e5a", "#b8483f", "#7d67ad")
WIDTH: Final = 7.0  # inches; at 100 dpi 700 px


@contextmanager
def _style() -> Iterator[None]:
    """Fixed settings, and quiet about glyphs the font lacks: with text kept as text,
    the browser draws them."""
    with matplotlib.rc_context(STYLE), warnings.catch_warnings():  # type: ignore[arg-type]
        warnings.simplefilter("ignore")
        logger = logging.getLogger("matplotlib")
        level = logger.level
        logger.setLevel(logging.ERROR)
        try:
            yield
        finally:
            logger.setLevel(level)


_ID = re.compile(r'(\bid="|xlink:href="#|href="#|url\(#)')


def _svg(figure: Figure, name: str) -> str:
    """The figure as an `<svg>` element to inline: no XML prolog, ids prefixed with
    `name` so the charts of one page never share one."""
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", metadata=SVG_METADATA, bbox_inches="tight")
    text = buffer.getvalue()
    text = text[text.index("<svg") :]
    return _ID.sub(lambda m: f"{m.group(1)}{name}-", text).strip() + "\n"


def _height(n: int) -> float:
    return max(1.6, 0.6 + 0.24 * n)


def hbar_chart(
    name: str,
    title: str,
    items: Sequence[tuple[str, int]],
    *,
    colour: int = 0,
    first_apart: bool = False,
) -> str:
    """Horizontal bars, first item on top, each labelled with its count. `first_apart`:
    the first bar in the main colour, the others in the next (parsed vs quarantined)."""
    with _style():
        figure = Figure(figsize=(WIDTH, _height(len(items))))
        axes = figure.add_subplot()
        labels = [_short(label) for label, _ in items] or ["(nothing)"]
        values = [value for _, value in items] or [0]
        positions = list(range(len(values)))
        main = COLOURS[colour % len(COLOURS)]
        other = COLOURS[(colour + 1) % len(COLOURS)] if first_apart else main
        bars = axes.barh(positions, values, color=[main] + [other] * (len(values) - 1))
        axes.set_yticks(positions, labels)
        axes.invert_yaxis()
        axes.bar_label(bars, padding=3, fmt="{:,.0f}")
        axes.xaxis.set_major_locator(MaxNLocator(integer=True))
        axes.set_xmargin(0.12)
        axes.set_title(title)
        return _svg(figure, name)


def column_chart(
    name: str,
    title: str,
    labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[int]]],
    *,
    xlabel: str = "",
) -> str:
    """Vertical bars per label, one colour per series (side by side)."""
    with _style():
        figure = Figure(figsize=(WIDTH, 2.8))
        axes = figure.add_subplot()
        n = max(1, len(series))
        width = 0.8 / n
        positions = list(range(len(labels)))
        for index, (legend, values) in enumerate(series):
            offset = (index - (n - 1) / 2) * width
            axes.bar(
                [p + offset for p in positions],
                list(values),
                width=width,
                label=legend,
                color=COLOURS[index % len(COLOURS)],
            )
        axes.yaxis.set_major_locator(MaxNLocator(integer=True))
        step = max(1, len(labels) // 12)  # at most ~12 tick labels
        axes.set_xticks(positions[::step], [labels[i] for i in positions[::step]])
        if sum(len(label) for label in labels[::step]) > 40:
            for tick in axes.get_xticklabels():
                tick.set_rotation(30)
                tick.set_horizontalalignment("right")
        if xlabel:
            axes.set_xlabel(xlabel)
        if len(series) > 1:
            axes.legend(frameon=False)
        axes.set_title(title)
        return _svg(figure, name)


def summary_png(
    status: Sequence[tuple[str, int]],
    days: Sequence[tuple[str, int]],
    sightings: Sequence[tuple[str, int]],
) -> bytes:
    """Three small panels for the card: inputs by status, articles per capture day,
    articles per number of sightings. Only counts and ASCII labels: Agg cannot shape
    every script a publisher's name may be written in."""
    with _style():
        figure = Figure(figsize=(9.0, 2.6), layout="constrained")
        panels = figure.subplots(1, 3)
        _mini(panels[0], status, "inputs", horizontal=True)
        _mini(panels[1], days, "articles first seen per capture day")
        _mini(panels[2], sightings, "articles by sightings")
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", metadata=PNG_METADATA)
        return buffer.getvalue()


def _mini(
    axes: Any, items: Sequence[tuple[str, int]], title: str, *, horizontal: bool = False
) -> None:
    labels = [label for label, _ in items] or ["(nothing)"]
    values = [value for _, value in items] or [0]
    positions = list(range(len(values)))
    if horizontal:
        axes.barh(positions, values, color=COLOURS[: len(values)] or COLOURS[0])
        axes.set_yticks(positions, labels)
        axes.invert_yaxis()
    else:
        axes.bar(positions, values, color=COLOURS[0])
        step = max(1, len(labels) // 6)
        axes.set_xticks(positions[::step], [labels[i] for i in positions[::step]], fontsize=7)
    axes.bar_label(axes.containers[0], padding=2, fontsize=7, fmt="{:,.0f}")
    axes.set_title(title, fontsize=9)


def _short(label: str, limit: int = 48) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"
