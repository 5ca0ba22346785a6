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
import itertools
import logging
import re
import warnings
import xml.etree.ElementTree as ET
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from html import escape
from typing import Any, Final

import matplotlib
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator
from PIL import Image

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
#: A column chart of more labels than this draws each series as one stepped line (a
#: filled one for a single series) instead of a bar per label: the same picture at a
#: fraction of the bytes.
MAX_BARS: Final = 40


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


def _svg(figure: Figure, name: str) -> str:
    """The figure as a compact `<svg>` element to inline (see `compact_svg`)."""
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", metadata=SVG_METADATA, bbox_inches="tight")
    return compact_svg(buffer.getvalue(), name)


_SVG_NS: Final = "{http://www.w3.org/2000/svg}"
_XLINK_HREF: Final = "{http://www.w3.org/1999/xlink}href"
_NUMBER = re.compile(r"-?\d+\.\d+")
_PATH_COMMAND = re.compile(r"\s*([MLHVCSQTAZmlhvcsqtaz])\s*")
_REFERENCE = re.compile(r"url\(#([^)]+)\)")
_NUMERIC_ATTRIBUTES: Final = frozenset(
    {"d", "x", "y", "width", "height", "viewBox", "transform", "points"}
)


def _round(match: re.Match[str]) -> str:
    """One decimal: a tenth of a point is finer than any screen shows."""
    text = f"{float(match.group(0)):.1f}".removesuffix(".0")
    return "0" if text == "-0" else text


def _attribute(name: str, value: str) -> str:
    if name in _NUMERIC_ATTRIBUTES:
        value = _NUMBER.sub(_round, value)
    if name == "d":
        value = _lines_as_steps(" ".join(_PATH_COMMAND.sub(r"\1", value).split()))
    return value


_MOVES = re.compile(r"^M[^MLz]+(?:L[^MLz]+)*z?$")


def _lines_as_steps(d: str) -> str:
    """`L` to a point on the same row or column as `H x` or `V y`: a bar is
    `Mx y Hx Vy Hx z`. Paths with other commands are left as they are."""
    if not _MOVES.match(d):
        return d
    closed = d.endswith("z")
    points = [p.split() for p in d.rstrip("z")[1:].split("L")]
    if any(len(p) != 2 for p in points):
        return d
    out = [f"M{points[0][0]} {points[0][1]}"]
    for (x0, y0), (x1, y1) in itertools.pairwise(points):
        if (x0, y0) == (x1, y1):
            continue
        step = f"H{x1}" if y1 == y0 else f"V{y1}" if x1 == x0 else f"L{x1} {y1}"
        if step[0] in "HV" and out[-1][0] == step[0]:
            out[-1] = step  # two moves along one line are one
        else:
            out.append(step)
    return "".join(out) + ("z" if closed else "")


def compact_svg(text: str, name: str) -> str:
    """matplotlib's SVG, a fraction of its size and drawn the same: coordinates to a
    tenth of a point and paths without spaces; every distinct style once, as a class
    scoped to this chart (`svg#<name>-svg`), instead of on every element; no ids but
    those something refers to (renamed `<name>-<n>`, so the charts of one page never
    share one); no group that only wrapped an id; no XML prolog."""
    root = ET.fromstring(text)
    elements = list(root.iter())
    referenced: dict[str, str] = {}
    for element in elements:
        for key, value in element.attrib.items():
            targets = _REFERENCE.findall(value)
            if key in (_XLINK_HREF, "href") and value.startswith("#"):
                targets.append(value[1:])
            for target in targets:
                referenced.setdefault(target, f"{name}-{len(referenced)}")
    classes: dict[str, str] = {}
    rules: list[str] = []
    for element in elements:
        if element.tag == f"{_SVG_NS}style":
            rules.append((element.text or "").replace("*{", f"#{name}-svg *{{"))
    body = "".join(_element(child, referenced, classes) for child in root)
    rules += [f"#{name}-svg .{c}{{{style}}}" for style, c in classes.items()]
    head = " ".join(
        f'{key}="{_attribute(key, value)}"'
        for key, value in root.attrib.items()
        if key in ("width", "height", "viewBox")
    )
    css = "".join(" ".join(rule.split()).replace(": ", ":").replace("; ", ";") for rule in rules)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" id="{name}-svg" {head}>'
        f"<style>{css}</style>{body}</svg>\n"
    )


def _element(element: ET.Element, referenced: Mapping[str, str], classes: dict[str, str]) -> str:
    tag = element.tag.removeprefix(_SVG_NS)
    if tag in ("style", "metadata", "title"):
        return ""
    attributes: list[str] = []
    for key, value in element.attrib.items():
        if key == "id":
            if value in referenced:
                attributes.append(f'id="{referenced[value]}"')
            continue
        if key == _XLINK_HREF or key == "href":
            attributes.append(f'href="#{referenced[value[1:]]}"')
            continue
        if key == "style":
            style = value.replace(": ", ":").replace("; ", ";").strip()
            if style == "fill:#ffffff" and tag == "path":
                return ""  # the figure's and the axes' white ground: the page is white
            clip = element.attrib.get("clip-path")
            if clip:  # a CSS property too: one class for a chart's clipped bars
                style += ";clip-path:" + _REFERENCE.sub(
                    lambda m: f"url(#{referenced[m.group(1)]})", clip
                )
            css = classes.setdefault(style, _class_name(len(classes)))
            attributes.append(f'class="{css}"')
            continue
        if key == "clip-path" and "style" in element.attrib:
            continue
        if key == "transform" and value.startswith("rotate(-0 "):
            continue
        value = _REFERENCE.sub(lambda m: f"url(#{referenced[m.group(1)]})", value)
        attributes.append(f'{key}="{escape(_attribute(key, value), quote=True)}"')
    inner = escape(element.text or "", quote=False) if element.text and element.text.strip() else ""
    inner += "".join(_element(child, referenced, classes) for child in element)
    if tag == "g" and not attributes:
        return inner  # a group that only carried an id
    if tag == "defs" and not inner:
        return ""
    opening = " ".join([tag, *attributes])
    return f"<{opening}>{inner}</{tag}>" if inner else f"<{opening}/>"


def _class_name(index: int) -> str:
    """a, b, ..., z, ba, bb, ...: the shortest class names, in order of first use."""
    letters = "abcdefghijklmnopqrstuvwxyz"
    name = ""
    while True:
        name = letters[index % 26] + name
        index //= 26
        if index == 0:
            return name


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
    """Vertical bars per label, one colour per series (side by side); steps for more
    than MAX_BARS labels."""
    with _style():
        figure = Figure(figsize=(WIDTH, 2.8))
        axes = figure.add_subplot()
        n = max(1, len(series))
        width = 0.8 / n
        positions = list(range(len(labels)))
        for index, (legend, values) in enumerate(series):
            colour = COLOURS[index % len(COLOURS)]
            if len(labels) > MAX_BARS:  # one path per series, whatever its length
                edges = [p - 0.5 for p in positions] + [len(positions) - 0.5]
                axes.stairs(list(values), edges, fill=n == 1, label=legend, color=colour)
                continue
            offset = (index - (n - 1) / 2) * width
            axes.bar(
                [p + offset for p in positions],
                list(values),
                width=width,
                label=legend,
                color=colour,
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
    return _indexed_png(buffer.getvalue())


#: Colours of the card's picture: flat bars and anti-aliased text need few.
PNG_COLOURS: Final = 32


def _indexed_png(png: bytes) -> bytes:
    """The picture with a palette of PNG_COLOURS colours instead of 8-bit RGBA: a
    third of the bytes, the same picture to the eye (flat colours, no gradients)."""
    with Image.open(io.BytesIO(png)) as image:
        rgb = image.convert("RGB")
    indexed = rgb.quantize(
        colors=PNG_COLOURS, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE
    )
    out = io.BytesIO()
    indexed.save(out, format="PNG", optimize=True)
    return out.getvalue()


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
        # Days as MM-DD: six full dates do not fit under a third of the picture.
        ticks = [_DATE.sub(r"\1", labels[i]) for i in positions[::step]]
        axes.set_xticks(positions[::step], ticks, fontsize=7)
    if len(values) <= MINI_LABELS:  # more would overlap
        axes.bar_label(axes.containers[0], padding=2, fontsize=7, fmt="{:,.0f}")
    axes.set_title(title, fontsize=9)


#: Bars of a summary panel labelled with their count.
MINI_LABELS: Final = 12
_DATE = re.compile(r"^\d{4}-(\d\d-\d\d)$")


def _short(label: str, limit: int = 48) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"
