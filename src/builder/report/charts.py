"""Charts as bytes that are the same on every run: SVG to inline in the report, and the
small PNG summary the card shows.

Written directly, without a plotting library: the report's charts are horizontal bars,
columns and stepped lines, which are a few rectangles and one path each, and importing
and laying out a plotting library cost more than a second of every build that
publishes. The SVG is compact text (coordinates to a tenth of a pixel, one class per
style, scoped to the chart), every bar carries a `<title>` (its tooltip: label and
count), the chart an accessible name, and text stays text, so a browser shapes scripts
of any direction. Labels never overlap nor run out of the picture: their widths are
estimated from a table of DejaVu Sans advance widths (the widest common sans-serif the
charts name), and a label too long for its room is cut with an ellipsis, its full text
kept in its `<title>`. The PNG is drawn with Pillow and its bundled default font, then
stored with a small palette. Nothing random, dated or machine-specific is written.
"""

from __future__ import annotations

import io
import math
import re
import unicodedata
from collections.abc import Sequence
from html import escape
from typing import Final

from PIL import Image, ImageDraw, ImageFont

COLOURS: Final = ("#3b6ea5", "#e08a2e", "#5a9e5a", "#b8483f", "#7d67ad")
#: Width of every SVG chart, in CSS pixels (the page scales it down on narrow screens).
WIDTH: Final = 700
#: A column chart of more labels than this draws each series as one stepped line (a
#: filled one for a single series) instead of a bar per label: the same picture at a
#: fraction of the bytes.
MAX_BARS: Final = 40

FONT_PX: Final = 12  # labels and counts
TICK_PX: Final = 11  # axis tick labels
TITLE_PX: Final = 13  # the chart's title, bold
FONT_FAMILY: Final = '"DejaVu Sans",Verdana,sans-serif'
TEXT: Final = "#1d2330"
MUTED: Final = "#5b6472"
GRID: Final = "#e3e6eb"
AXIS: Final = "#8a93a3"

#: Room for a horizontal bar chart's labels at most; longer ones are cut (title kept).
LABEL_MAX_PX: Final = 260
#: Room for one label under a column at most.
TICK_LABEL_MAX_PX: Final = 120
ROW_PX: Final = 20  # one horizontal bar and its gap
COLUMN_MAX_PX: Final = 56  # a column is never wider, however few the labels
BAR_PX: Final = 14
COLUMN_HEIGHT: Final = 280
TITLE_ROW: Final = 26  # the title's line (and the legend's, when they fit side by side)

# --- text widths -----------------------------------------------------------------------

#: Advance widths of DejaVu Sans, in thousandths of an em, for ASCII 32 (space) to 126.
_ASCII_WIDTHS: Final = (
    318, 401, 460, 838, 636, 950, 780, 275, 390, 390, 500, 838, 318, 361, 318, 337,
    636, 636, 636, 636, 636, 636, 636, 636, 636, 636, 337, 337, 838, 838, 838, 531,
    1000, 684, 686, 698, 770, 632, 575, 775, 752, 295, 295, 656, 557, 863, 748, 787,
    603, 787, 695, 635, 611, 732, 684, 989, 685, 611, 685, 390, 337, 390, 838, 500,
    500, 613, 635, 550, 635, 615, 352, 635, 634, 278, 278, 579, 278, 974, 634, 612,
    635, 635, 411, 521, 392, 634, 592, 818, 592, 592, 525, 636, 337, 636, 838,
)  # fmt: skip
#: Any other character: wide (CJK, most emoji) one em, marks none, the rest this.
_OTHER_WIDTH: Final = 720
_BOLD: Final = 1.1  # DejaVu Sans Bold is about a tenth wider
ELLIPSIS: Final = "…"


def _char_width(char: str) -> int:
    code = ord(char)
    if 32 <= code < 127:
        return _ASCII_WIDTHS[code - 32]
    if unicodedata.combining(char) or unicodedata.category(char) in ("Mn", "Me", "Cf"):
        return 0
    if unicodedata.east_asian_width(char) in ("W", "F"):
        return 1000
    base = unicodedata.normalize("NFD", char)[0]  # é is as wide as e
    if base != char and 32 <= ord(base) < 127:
        return _ASCII_WIDTHS[ord(base) - 32]
    return _OTHER_WIDTH


def text_width(text: str, size: float = FONT_PX, *, bold: bool = False) -> float:
    """The width `text` takes at `size` pixels: an estimate on the wide side, so what
    fits by this measure fits on screen."""
    width = sum(_char_width(c) for c in text) * size / 1000
    return width * _BOLD if bold else width


def fit(text: str, room: float, size: float = FONT_PX, *, bold: bool = False) -> str:
    """`text`, or as much of it as fits in `room` pixels followed by an ellipsis."""
    if text_width(text, size, bold=bold) <= room:
        return text
    room -= text_width(ELLIPSIS, size, bold=bold)
    used = 0.0
    for end, char in enumerate(text):
        used += text_width(char, size, bold=bold)
        if used > room:
            return text[:end].rstrip() + ELLIPSIS
    return text[:-1].rstrip() + ELLIPSIS  # only when rounding put the sum just inside


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")


def _clean(text: str) -> str:
    """A label as one line of text: no control characters (not allowed in XML)."""
    return _CONTROL.sub("\ufffd", " ".join(str(text).split()))


def _esc(text: str) -> str:
    return escape(text, quote=True)


# --- numbers ---------------------------------------------------------------------------


def _c(value: float) -> str:
    """A coordinate to a tenth of a pixel, shortest form: finer than any screen shows."""
    if not math.isfinite(value):
        raise ValueError(f"not a finite coordinate: {value}")
    text = f"{value:.1f}".removesuffix(".0")
    return "0" if text == "-0" else text


def nice_ticks(top: int, most: int = 6) -> list[int]:
    """Ticks from 0 to at least `top` on a step of 1, 2, 2.5 or 5 times a power of ten,
    whole numbers (counts), at most `most` + 1 of them."""
    top = max(int(top), 1)
    raw = top / most
    power = 10 ** max(0, math.floor(math.log10(raw))) if raw >= 1 else 1
    step = next(s for s in (power * m for m in (1, 2, 2.5, 5, 10)) if s == int(s) and s >= raw)
    step = int(step)
    return list(range(0, math.ceil(top / step) * step + 1, step))


def short_number(value: int) -> str:
    """A tick label: 950, 1.25k, 20k, 1.2M, 3B."""
    for size, suffix in ((10**9, "B"), (10**6, "M"), (10**3, "k")):
        if abs(value) >= size:
            return f"{value / size:.2f}".rstrip("0").rstrip(".") + suffix
    return str(value)


# --- SVG -------------------------------------------------------------------------------


class _Svg:
    """One chart being written: its elements, and the styles they use (each once, as a
    class scoped to the chart)."""

    def __init__(self, name: str, title: str) -> None:
        self.name = re.sub(r"[^A-Za-z0-9_-]", "-", name) or "chart"
        self.title = _clean(title)
        self.parts: list[str] = []
        self.styles: dict[str, str] = {}

    def css(self, style: str) -> str:
        """The class of `style`: a, b, c, ... in order of first use."""
        return self.styles.setdefault(style, _class_name(len(self.styles)))

    def text(
        self,
        x: float,
        y: float,
        text: str,
        style: str,
        *,
        anchor: str = "start",
        full: str | None = None,
    ) -> None:
        """A line of text with its baseline at `y`; `full`: the whole text, as its
        tooltip, when `text` is cut."""
        if anchor != "start":
            style = ";".join(filter(None, (style, f"text-anchor:{anchor}")))
        tip = f"<title>{_esc(full)}</title>" if full is not None and full != text else ""
        css = f' class="{self.css(style)}"' if style else ""
        self.parts.append(f'<text{css} x="{_c(x)}" y="{_c(y)}">{tip}{_esc(text)}</text>')

    def path(self, d: str, style: str, tip: str = "") -> None:
        title = f"<title>{_esc(tip)}</title>" if tip else ""
        close = f">{title}</path>" if title else "/>"
        self.parts.append(f'<path class="{self.css(style)}" d="{d}"{close}')

    def heading(self, room: float = WIDTH) -> None:
        title = fit(self.title, room, TITLE_PX, bold=True)
        self.text(0, 16, title, _font(TITLE_PX, TEXT, bold=True), full=self.title)

    def render(self, height: float) -> str:
        scope = f"#{self.name}-svg"
        rules = f"{scope} text{{font:{FONT_PX}px {FONT_FAMILY};fill:{TEXT}}}" + "".join(
            f"{scope} .{c}{{{style}}}" for style, c in self.styles.items()
        )
        return (
            f'<svg xmlns="http://www.w3.org/2000/svg" id="{self.name}-svg" role="img" '
            f'aria-label="{_esc(self.title)}" width="{WIDTH}" height="{_c(height)}" '
            f'viewBox="0 0 {WIDTH} {_c(height)}"><style>{rules}</style>'
            + "".join(self.parts)
            + "</svg>\n"
        )


def _font(size: int, colour: str, *, bold: bool = False) -> str:
    """A text style, as it differs from the chart's text (FONT_PX, TEXT)."""
    style = [f"font-size:{size}px"] if size != FONT_PX else []
    style += [f"fill:{colour}"] if colour != TEXT else []
    style += ["font-weight:bold"] if bold else []
    return ";".join(style)


def _fill(index: int) -> str:
    return f"fill:{COLOURS[index % len(COLOURS)]}"


def _class_name(index: int) -> str:
    """a, b, ..., z, ba, bb, ...: the shortest class names, in order of first use."""
    letters = "abcdefghijklmnopqrstuvwxyz"
    name = ""
    while True:
        name = letters[index % 26] + name
        index //= 26
        if index == 0:
            return name


def _bar(x: float, y: float, width: float, height: float) -> str:
    """A rectangle as a path: `M x y h w v h H x z`."""
    return f"M{_c(x)} {_c(y)}h{_c(width)}v{_c(height)}H{_c(x)}z"


def _lines(segments: Sequence[tuple[float, float, float, float]]) -> str:
    """Straight lines (x0, y0, x1, y1), vertical or horizontal, as one path."""
    out = []
    for x0, y0, x1, y1 in segments:
        move = f"M{_c(x0)} {_c(y0)}"
        out.append(move + (f"V{_c(y1)}" if x0 == x1 else f"H{_c(x1)}"))
    return "".join(out)


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
    svg = _Svg(name, title)
    svg.heading()
    rows = [(_clean(label), max(0, int(value))) for label, value in items] or [("(nothing)", 0)]
    fitted = [fit(label, LABEL_MAX_PX) for label, _ in rows]
    label_room = max(text_width(label) for label in fitted)
    counts = [f"{value:,}" for _, value in rows]
    ticks = nice_ticks(max(value for _, value in rows))
    x0 = label_room + 10
    x1 = WIDTH - max(text_width(c) for c in counts) - 8
    x1 = min(x1, WIDTH - text_width(short_number(ticks[-1]), TICK_PX) / 2 - 2)
    scale = (x1 - x0) / ticks[-1]
    top = TITLE_ROW + 4
    bottom = top + ROW_PX * len(rows)
    svg.path(
        _lines([(x0 + t * scale, top, x0 + t * scale, bottom) for t in ticks]), f"stroke:{GRID}"
    )
    label_style = _font(FONT_PX, TEXT)
    count_style = _font(FONT_PX, MUTED)
    for index, ((label, value), shown, count) in enumerate(zip(rows, fitted, counts, strict=True)):
        y = top + ROW_PX * index + (ROW_PX - BAR_PX) / 2
        baseline = y + BAR_PX / 2 + FONT_PX * 0.36
        svg.text(x0 - 6, baseline, shown, label_style, anchor="end", full=label)
        width = value * scale
        if value:
            width = max(width, 1.0)  # a count too small for the scale is still seen
            first = index == 0 or not first_apart
            svg.path(
                _bar(x0, y, width, BAR_PX),
                _fill(colour if first else colour + 1),
                f"{label}: {count}",
            )
        svg.text(x0 + width + 4, baseline, count, count_style)
    svg.path(_lines([(x0, top, x0, bottom)]), f"stroke:{AXIS}")
    tick_style = _font(TICK_PX, MUTED)
    for tick in ticks:
        svg.text(x0 + tick * scale, bottom + 14, short_number(tick), tick_style, anchor="middle")
    return svg.render(bottom + 20)


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
    svg = _Svg(name, title)
    names = [_clean(label) for label in labels] or ["(nothing)"]
    data = [
        (_clean(legend), [max(0, int(v)) for v in values][: len(names)])
        for legend, values in series
    ]
    data = [(legend, values + [0] * (len(names) - len(values))) for legend, values in data]
    legend_width = _legend_width([legend for legend, _ in data]) if len(data) > 1 else 0.0
    title_room = WIDTH - legend_width - (16 if legend_width else 0)
    two_rows = text_width(svg.title, TITLE_PX, bold=True) > title_room and legend_width > 0
    svg.heading()
    top = TITLE_ROW + (18 if two_rows else 0) + 6
    if legend_width:
        _legend(
            svg, [legend for legend, _ in data], WIDTH - legend_width, top - 16 if two_rows else 12
        )

    ticks = nice_ticks(max((max(values) for _, values in data if values), default=0))
    tick_labels = [short_number(t) for t in ticks]
    shown = [fit(label, TICK_LABEL_MAX_PX, TICK_PX) for label in names]
    label_width = max(text_width(label, TICK_PX) for label in shown)
    x0 = max(max(text_width(t, TICK_PX) for t in tick_labels) + 10, label_width / 2 + 2)
    x1 = WIDTH - max(label_width / 2 + 2, 8)
    bottom = COLUMN_HEIGHT - 24 - (18 if xlabel else 0)
    slot = (x1 - x0) / len(names)
    scale = (bottom - top) / ticks[-1]

    svg.path(
        _lines([(x0, bottom - t * scale, x1, bottom - t * scale) for t in ticks[1:]]),
        f"stroke:{GRID}",
    )
    if len(names) > MAX_BARS:
        _steps(svg, data, x0, slot, bottom, scale)
    else:
        _columns(svg, names, data, x0, slot, bottom, scale)
    # Every k-th label, k as small as lets the widest shown one fit beside the next.
    every = max(1, math.ceil((label_width + 10) / slot))
    marks = range(0, len(names), every)
    svg.path(_lines([(x0, bottom, x1, bottom)]), f"stroke:{AXIS}")
    svg.path(
        _lines([(x0 + slot * (i + 0.5), bottom, x0 + slot * (i + 0.5), bottom + 4) for i in marks]),
        f"stroke:{AXIS}",
    )
    tick_style = _font(TICK_PX, MUTED)
    for i in marks:
        svg.text(
            x0 + slot * (i + 0.5), bottom + 18, shown[i], tick_style, anchor="middle", full=names[i]
        )
    for tick, text in zip(ticks, tick_labels, strict=True):
        svg.text(x0 - 6, bottom - tick * scale + TICK_PX * 0.36, text, tick_style, anchor="end")
    if xlabel:
        svg.text(
            (x0 + x1) / 2,
            bottom + 36,
            fit(_clean(xlabel), x1 - x0),
            _font(FONT_PX, TEXT),
            anchor="middle",
        )
    return svg.render(COLUMN_HEIGHT)


def _columns(
    svg: _Svg,
    names: Sequence[str],
    data: Sequence[tuple[str, Sequence[int]]],
    x0: float,
    slot: float,
    bottom: float,
    scale: float,
) -> None:
    """A bar per label and series, the series side by side in 80% of the label's slot."""
    width = min(slot * 0.8 / max(1, len(data)), COLUMN_MAX_PX)
    group = width * len(data)
    for index, (legend, values) in enumerate(data):
        for i, (label, value) in enumerate(zip(names, values, strict=True)):
            if not value:
                continue
            height = max(value * scale, 1.0)
            x = x0 + slot * (i + 0.5) - group / 2 + width * index
            tip = f"{label}: {value:,}" if len(data) == 1 else f"{label}, {legend}: {value:,}"
            svg.path(_bar(x, bottom - height, width, height), _fill(index), tip)


def _steps(
    svg: _Svg,
    data: Sequence[tuple[str, Sequence[int]]],
    x0: float,
    slot: float,
    bottom: float,
    scale: float,
) -> None:
    """Each series as one stepped outline over the labels' slots, closed along the axis:
    solid for one series, see-through with its outline for several."""
    for index, (legend, values) in enumerate(data):
        d = [f"M{_c(x0)} {_c(bottom)}"]
        level = bottom
        for i, value in enumerate(values):
            y = bottom - value * scale
            if value and bottom - y < 1.0:
                y = bottom - 1.0
            if y != level:
                d.append(f"V{_c(y)}")
                level = y
            d.append(f"H{_c(x0 + slot * (i + 1))}")
        d.append(f"V{_c(bottom)}z")
        path = _merge_moves("".join(d))
        colour = COLOURS[index % len(COLOURS)]
        style = (
            f"fill:{colour}"
            if len(data) == 1
            else f"fill:{colour};fill-opacity:.25;stroke:{colour};stroke-width:1.2"
        )
        total = sum(values)
        svg.path(path, style, f"{legend}: {total:,} in all, at most {max(values, default=0):,}")


_RUN_OF_H = re.compile(r"(?:H[-\d.]+)+(?=H)")


def _merge_moves(d: str) -> str:
    """`H1H2H3` is `H3`: steps at the same height are one."""
    return _RUN_OF_H.sub("", d)


def _legend_width(legends: Sequence[str]) -> float:
    return sum(14 + text_width(legend) + 12 for legend in legends) - 12


def _legend(svg: _Svg, legends: Sequence[str], x: float, y: float) -> None:
    """A square of each series' colour and its name, in one row from `x`; `y` the
    squares' top."""
    style = _font(FONT_PX, TEXT)
    for index, legend in enumerate(legends):
        svg.path(_bar(x, y, 10, 10), _fill(index))
        svg.text(x + 14, y + 9, legend, style)
        x += 14 + text_width(legend) + 12


# --- PNG -------------------------------------------------------------------------------

#: Colours of the card's picture: flat bars and anti-aliased text need few.
PNG_COLOURS: Final = 32
PNG_SIZE: Final = (900, 260)
#: Bars of a summary panel labelled with their count.
MINI_LABELS: Final = 12
_DATE = re.compile(r"^\d{4}-(\d\d-\d\d)$")

_Font = ImageFont.FreeTypeFont | ImageFont.ImageFont


def summary_png(
    status: Sequence[tuple[str, int]],
    days: Sequence[tuple[str, int]],
    sightings: Sequence[tuple[str, int]],
) -> bytes:
    """Three small panels for the card: inputs by status, articles per capture day,
    articles per number of sightings. Drawn with the default font that ships inside
    Pillow (no font is looked up on the machine, none downloaded), which covers Latin:
    the panels hold counts and builder's own ASCII labels only."""
    image = Image.new("RGB", PNG_SIZE, "white")
    draw = ImageDraw.Draw(image)
    small, heading = ImageFont.load_default(size=11), ImageFont.load_default(size=13)
    panel = PNG_SIZE[0] // 3
    _mini_hbars(draw, (0, 0, panel, PNG_SIZE[1]), status, "inputs", small, heading)
    day_labels = [(_DATE.sub(r"\1", label), n) for label, n in days]  # MM-DD: room for more
    days_box = (panel, 0, 2 * panel, PNG_SIZE[1])
    _mini_columns(draw, days_box, day_labels, "articles first seen per capture day", small, heading)
    sightings_box = (2 * panel, 0, PNG_SIZE[0], PNG_SIZE[1])
    _mini_columns(draw, sightings_box, sightings, "articles by sightings", small, heading)
    return _indexed_png(image)


def _indexed_png(image: Image.Image) -> bytes:
    """The picture with a palette of PNG_COLOURS colours instead of 8-bit RGB: a third
    of the bytes, the same picture to the eye (flat colours, no gradients)."""
    indexed = image.quantize(
        colors=PNG_COLOURS, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE
    )
    out = io.BytesIO()
    indexed.save(out, format="PNG", optimize=True)
    return out.getvalue()


def _fit_png(text: str, room: float, font: _Font) -> str:
    if font.getlength(text) <= room:
        return text
    while text and font.getlength(text + "...") > room:
        text = text[:-1]
    return text.rstrip() + "..."


def _ascii(text: str) -> str:
    """Pillow's default font covers Latin: anything else is shown as `?`."""
    return "".join(c if 32 <= ord(c) < 127 else "?" for c in _clean(text))


def _mini_title(
    draw: ImageDraw.ImageDraw, box: tuple[int, int, int, int], title: str, heading: _Font
) -> None:
    left, top, right, _ = box
    draw.text(
        (left + 12, top + 8), _fit_png(title, right - left - 24, heading), fill=TEXT, font=heading
    )


def _mini_rows(items: Sequence[tuple[str, int]]) -> list[tuple[str, int]]:
    """A mini chart's (label, count) rows as Pillow's font can draw them; one empty row
    when there is nothing, so that the chart still has its frame."""
    return [(_ascii(label), max(0, int(n))) for label, n in items] or [("(nothing)", 0)]


def _mini_hbars(
    draw: ImageDraw.ImageDraw,
    box: tuple[int, int, int, int],
    items: Sequence[tuple[str, int]],
    title: str,
    font: _Font,
    heading: _Font,
) -> None:
    left, top, right, bottom = box
    _mini_title(draw, box, title, heading)
    rows = _mini_rows(items)
    labels = [_fit_png(label, 100, font) for label, _ in rows]
    counts = [f"{n:,}" for _, n in rows]
    x0 = left + 12 + max(font.getlength(label) for label in labels) + 8
    x1 = right - 16 - max(font.getlength(c) for c in counts) - 6
    area_top, area_bottom = top + 36, bottom - 16
    pitch = min(40.0, (area_bottom - area_top) / len(rows))
    thickness = max(2.0, pitch * 0.6)
    scale = (x1 - x0) / max(1, max(n for _, n in rows))
    for index, ((_, value), label, count) in enumerate(zip(rows, labels, counts, strict=True)):
        middle = area_top + pitch * (index + 0.5)
        draw.text((x0 - 6, middle), label, fill=TEXT, font=font, anchor="rm")
        width = value * scale
        if value:
            width = max(width, 1.0)
            colour = COLOURS[index % len(COLOURS)]
            draw.rectangle(
                (
                    x0,
                    round(middle - thickness / 2),
                    round(x0 + width),
                    round(middle + thickness / 2),
                ),
                fill=colour,
            )
        draw.text((x0 + width + 4, middle), count, fill=MUTED, font=font, anchor="lm")
    draw.line((x0, area_top, x0, area_top + pitch * len(rows)), fill=AXIS)


def _mini_columns(
    draw: ImageDraw.ImageDraw,
    box: tuple[int, int, int, int],
    items: Sequence[tuple[str, int]],
    title: str,
    font: _Font,
    heading: _Font,
) -> None:
    left, top, right, bottom = box
    _mini_title(draw, box, title, heading)
    rows = _mini_rows(items)
    ticks = nice_ticks(max(n for _, n in rows), most=4)
    tick_labels = [short_number(t) for t in ticks]
    x0 = left + 12 + max(font.getlength(t) for t in tick_labels) + 6
    x1 = right - 16
    y0, y1 = top + 40, bottom - 24  # plot area: the top tick, the axis
    slot = (x1 - x0) / len(rows)
    scale = (y1 - y0) / ticks[-1]
    for tick, text in zip(ticks, tick_labels, strict=True):
        y = round(y1 - tick * scale)
        if tick:
            draw.line((x0, y, x1, y), fill=GRID)
        draw.text((x0 - 5, y), text, fill=MUTED, font=font, anchor="rm")
    labelled = len(rows) <= MINI_LABELS
    for index, (_, value) in enumerate(rows):
        if not value:
            continue
        height = max(value * scale, 1.0)
        width = min(slot * 0.8, 40)
        x = x0 + slot * (index + 0.5) - width / 2
        draw.rectangle(
            (round(x), round(y1 - height), max(round(x), round(x + width) - 1), y1),
            fill=COLOURS[0],
        )
        count = _count_label(value, slot - 3, font) if labelled else None
        if count:  # centred on its bar, narrower than the bar's slot: never on its neighbour
            draw.text((x + width / 2, y1 - height - 2), count, fill=MUTED, font=font, anchor="md")
    draw.line((x0, y1, x1, y1), fill=AXIS)
    widest = max(font.getlength(label) for label, _ in rows)
    every = max(1, math.ceil((widest + 4) / slot))
    for index in range(0, len(rows), every):
        label = rows[index][0]
        x = x0 + slot * (index + 0.5)
        x = min(max(x, left + font.getlength(label) / 2 + 2), right - font.getlength(label) / 2 - 2)
        draw.text((x, y1 + 4), label, fill=TEXT, font=font, anchor="mt")


def _count_label(value: int, room: float, font: _Font) -> str | None:
    """A bar's count as it fits above the bar: 18,842, else 19k, else nothing."""
    for text in (f"{value:,}", _round_number(value)):
        if font.getlength(text) <= room:
            return text
    return None


def _round_number(value: int) -> str:
    """A count in two or three figures: 950, 2.4k, 19k, 134k, 1.2M."""
    for size, suffix in ((10**9, "B"), (10**6, "M"), (10**3, "k")):
        if value >= size:
            scaled = value / size
            return (f"{scaled:.1f}" if scaled < 10 else f"{scaled:.0f}").removesuffix(".0") + suffix
    return str(value)
