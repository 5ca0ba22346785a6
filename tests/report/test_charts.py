"""The report's charts, drawn by builder itself: SVG that parses, coordinates that are
finite and inside the picture, labels cut with their full text kept, sensible ticks,
the same bytes every time; and the card's PNG. The last test opens awkward charts in
headless Chromium and checks, with the browser's own fonts, that no label overlaps
another or runs out of its chart."""

from __future__ import annotations

import io
import itertools
import math
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from PIL import Image

from builder.report import charts
from tests.report import browser

NS = "{http://www.w3.org/2000/svg}"
LONG = "The Extraordinarily Long Name of a Regional Publisher and Its Many Partner Sites"


def parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg)
    assert root.tag == f"{NS}svg"
    return root


def numbers(root: ET.Element) -> list[float]:
    """Every number in every coordinate attribute of the chart."""
    found = []
    for element in root.iter():
        for key in ("d", "x", "y", "width", "height", "viewBox"):
            if key in element.attrib:
                found += [float(n) for n in re.findall(r"[^MHVLhvlz ,]+", element.attrib[key])]
    return found


def check_geometry(svg: str) -> ET.Element:
    """Parses, and every coordinate is a finite number inside the picture."""
    root = parse(svg)
    width, height = float(root.attrib["width"]), float(root.attrib["height"])
    assert root.attrib["viewBox"] == f"0 0 {root.attrib['width']} {root.attrib['height']}"
    for element in root.iter(f"{NS}path"):
        d = element.attrib["d"]
        assert re.fullmatch(r"(?:[MHVhvz]-?[\d.]*(?: -?[\d.]+)?)+", d), d
    for value in numbers(root):
        assert math.isfinite(value)
        assert -0.05 <= value <= max(width, height) + 0.05, value
    for element in root.iter(f"{NS}text"):
        assert 0 <= float(element.attrib["x"]) <= width
        assert 0 < float(element.attrib["y"]) <= height
    return root


def texts(root: ET.Element) -> list[ET.Element]:
    return list(root.iter(f"{NS}text"))


def shown(element: ET.Element) -> str:
    """A text element's visible text (its `<title>` child is the tooltip)."""
    return "".join(
        [element.text or ""] + [child.tail or "" for child in element if child.tag == f"{NS}title"]
    )


def tooltip(element: ET.Element) -> str | None:
    title = element.find(f"{NS}title")
    return None if title is None else title.text


def data_bars(root: ET.Element) -> list[ET.Element]:
    """The paths that carry a tooltip: one per bar, or one per stepped series."""
    return [p for p in root.iter(f"{NS}path") if p.find(f"{NS}title") is not None]


def test_a_long_label_is_cut_with_its_full_text_in_a_title() -> None:
    svg = charts.hbar_chart("p", "Top publishers", [(LONG, 12), ("Short", 3)])
    root = check_geometry(svg)
    label = next(t for t in texts(root) if shown(t).endswith(charts.ELLIPSIS))
    visible = shown(label)
    assert LONG.startswith(visible.removesuffix(charts.ELLIPSIS))
    assert len(visible) < len(LONG)
    assert charts.text_width(visible) <= charts.LABEL_MAX_PX
    assert tooltip(label) == LONG
    short = next(t for t in texts(root) if shown(t) == "Short")
    assert tooltip(short) is None  # a label that fits has no tooltip of its own
    assert [tooltip(p) for p in data_bars(root)] == [f"{LONG}: 12", "Short: 3"]


@pytest.mark.parametrize("n", [0, 1, 2, 25])
def test_horizontal_bars_of_zero_one_and_many_items(n: int) -> None:
    items = [(f"publisher {i}", 1000 - 37 * i) for i in range(n)]
    root = check_geometry(charts.hbar_chart("h", "Items", items, colour=2))
    bars = data_bars(root)
    assert len(bars) == n
    assert [tooltip(b) for b in bars] == [f"{label}: {value:,}" for label, value in items]
    if not n:
        assert "(nothing)" in [shown(t) for t in texts(root)]
    # Bars are as long as their counts, first on top.
    widths = [float(re.findall(r"h([\d.]+)", b.attrib["d"])[0]) for b in bars]
    assert widths == sorted(widths, reverse=True)
    tops = [float(b.attrib["d"].split()[1].split("h")[0]) for b in bars]
    assert tops == sorted(tops)
    # Labels end before the bars begin and start inside the picture.
    start = min(float(b.attrib["d"][1:].split()[0]) for b in bars) if bars else None
    for text in texts(root):
        if start is not None and shown(text).startswith("publisher"):
            right = float(text.attrib["x"])
            assert right < start
            assert right - charts.text_width(shown(text)) >= 0


@pytest.mark.parametrize("n", [0, 1, 7, charts.MAX_BARS])
def test_columns_of_zero_one_and_many_labels(n: int) -> None:
    labels = [f"2026-{1 + i // 28:02d}-{1 + i % 28:02d}" for i in range(n)]
    series = [("sightings", [5 * i + 1 for i in range(n)]), ("articles", [i for i in range(n)])]
    root = check_geometry(charts.column_chart("c", "Per day", labels, series))
    bars = data_bars(root)
    assert len(bars) == sum(1 for _, values in series for v in values if v)
    if n:
        assert tooltip(bars[0]) == f"{labels[0]}, sightings: 1"
    legend = [shown(t) for t in texts(root)]
    assert "sightings" in legend and "articles" in legend


def test_a_single_day_is_one_column_of_bounded_width() -> None:
    root = check_geometry(
        charts.column_chart("one", "Per capture day", ["2026-11-01"], [("articles", [25674])])
    )
    (bar,) = data_bars(root)
    width = float(re.findall(r"h([\d.]+)", bar.attrib["d"])[0])
    assert 0 < width <= charts.COLUMN_MAX_PX
    assert tooltip(bar) == "2026-11-01: 25,674"
    assert "2026-11-01" in [shown(t) for t in texts(root)]


def test_all_zero_series_draw_axes_and_no_bars() -> None:
    root = check_geometry(
        charts.column_chart("z", "Nothing yet", ["a", "b", "c"], [("articles", [0, 0, 0])])
    )
    assert data_bars(root) == []
    ticks = [shown(t) for t in texts(root)]
    assert "0" in ticks and "1" in ticks  # an axis from 0 to 1, not a division by zero
    root = check_geometry(charts.hbar_chart("z2", "Nothing", [("a", 0), ("b", 0)]))
    assert data_bars(root) == []
    assert [shown(t) for t in texts(root)].count("0") >= 2


def test_very_large_counts_get_short_tick_labels() -> None:
    root = check_geometry(
        charts.column_chart("big", "Big", ["x", "y"], [("sightings", [20_000, 3_412_345])])
    )
    ticks = {shown(t) for t in texts(root)}
    assert {"0", "1M", "2M", "3M"} <= ticks
    assert charts.short_number(20_000) == "20k"
    assert charts.short_number(1_500) == "1.5k"
    assert charts.short_number(1_250) == "1.25k"  # a tick on a step of 250
    assert charts.short_number(999) == "999"
    assert charts.short_number(2_500_000_000) == "2.5B"
    root = check_geometry(charts.hbar_chart("big2", "Big", [("parsed", 20_000)]))
    values = [t for t in texts(root) if shown(t) == "20,000"]
    assert len(values) == 1  # the count beside its bar, whole, inside the picture
    assert float(values[0].attrib["x"]) + charts.text_width("20,000") <= charts.WIDTH
    assert {"0", "5k", "10k", "15k", "20k"} <= {shown(t) for t in texts(root)}


@pytest.mark.parametrize("top", [0, 1, 7, 10, 99, 1000, 9065, 20_000, 100_892, 3_412_345])
def test_ticks_are_few_round_and_cover_the_data(top: int) -> None:
    ticks = charts.nice_ticks(top)
    assert ticks[0] == 0 and ticks[-1] >= max(top, 1)
    assert 2 <= len(ticks) <= 7
    steps = {b - a for a, b in itertools.pairwise(ticks)}
    assert len(steps) == 1
    (step,) = steps
    assert re.fullmatch(r"(1|2|25|5)0*", str(step)), step


@pytest.mark.parametrize("n", [charts.MAX_BARS + 1, 665])
def test_many_labels_are_stepped_series_with_labels_that_do_not_collide(n: int) -> None:
    labels = [f"day {i:04d}" for i in range(n)]
    values = [(i * 7919) % 97 for i in range(n)]
    one = check_geometry(charts.column_chart("s", "Per day", labels, [("articles", values)]))
    (series,) = data_bars(one)
    assert tooltip(series) == f"articles: {sum(values):,} in all, at most {max(values)}"
    assert series.attrib["d"].endswith("z")
    # The labels under the axis: far enough apart for their estimated widths.
    below = [t for t in texts(one) if shown(t).startswith("day ")]
    assert 2 <= len(below) <= 20
    halves = [
        (float(t.attrib["x"]), charts.text_width(shown(t), charts.TICK_PX) / 2) for t in below
    ]
    spans = sorted((x - half, x + half) for x, half in halves)
    assert spans[0][0] >= 0 and spans[-1][1] <= charts.WIDTH
    for (_, right), (left, _) in itertools.pairwise(spans):
        assert right < left
    two = check_geometry(
        charts.column_chart(
            "s2", "Per day", labels, [("sightings", [3] * n), ("articles", [1] * n)]
        )
    )
    assert len(data_bars(two)) == 2


def test_text_is_escaped_and_control_characters_dropped() -> None:
    hostile = 'City <i>News</i> & "Co"\x00\x07 <script>alert(1)</script>'
    svg = charts.hbar_chart("e", "A <b> title", [(hostile, 3)])
    root = check_geometry(svg)  # still well-formed XML
    assert "<script" not in svg and "<i>" not in svg and "<b>" not in svg
    label = next(t for t in texts(root) if "City" in shown(t))
    assert "\x00" not in (tooltip(label) or shown(label))
    assert root.attrib["aria-label"] == "A <b> title"


def test_charts_are_the_same_bytes_every_time_and_scoped_to_their_name() -> None:
    args = ("Per day", ["2026-11-01", "2026-11-02"], [("a", [1, 2]), ("b", [3, 4])])
    first = charts.column_chart("one", *args)
    assert charts.column_chart("one", *args) == first
    other = charts.column_chart("two", *args)
    assert 'id="one-svg"' in first and 'id="two-svg"' in other
    style = parse(first).find(f"{NS}style")
    assert style is not None and style.text
    rules = re.findall(r"([^{}]+)\{", style.text)
    assert rules and all(rule.startswith("#one-svg ") for rule in rules)


def test_widths_are_estimated_per_character() -> None:
    assert charts.text_width("WWWW") > charts.text_width("iiii") > 0
    assert charts.text_width("中文") > charts.text_width("ab")
    assert charts.text_width("é") == charts.text_width("e")
    assert charts.text_width("a\u0301") == charts.text_width("a")  # a combining accent
    assert charts.text_width("Bold", bold=True) > charts.text_width("Bold")
    assert charts.fit("fits", 100) == "fits"
    cut = charts.fit("x" * 200, 100)
    assert cut.endswith(charts.ELLIPSIS) and charts.text_width(cut) <= 100


def summary(**changes: object) -> Image.Image:
    args: dict[str, object] = {
        "status": [("parsed", 19_988), ("quarantined", 12)],
        "days": [(f"2026-11-{d:02d}", 1000 * d) for d in range(1, 31)],
        "sightings": [*((str(k), 5000 // k) for k in range(1, 10)), ("10+", 4)],
    }
    args.update(changes)
    png = charts.summary_png(**args)  # type: ignore[arg-type]
    assert png == charts.summary_png(**args)  # type: ignore[arg-type]
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG"
    return image


def test_the_cards_picture_is_a_small_palette_png() -> None:
    image = summary()
    assert image.size == charts.PNG_SIZE
    assert image.mode == "P"
    used = image.getcolors(maxcolors=256) or []
    assert 8 <= len(used) <= charts.PNG_COLOURS
    rgb = image.convert("RGB")
    bar = tuple(int(charts.COLOURS[0][i : i + 2], 16) for i in (1, 3, 5))
    assert any(colour == bar for _, colour in rgb.getcolors(maxcolors=256) or [])


@pytest.mark.parametrize(
    "changes",
    [
        {"status": [], "days": [], "sightings": []},
        {"days": [("2026-11-01", 0)], "sightings": [("1", 0)]},
        {"status": [("parsed", 3_000_000), ("quarantined: 日本語 and عربي", 1)]},
        {"days": [(f"2025-{m:02d}-{d:02d}", m * d) for m in range(1, 13) for d in range(1, 29)]},
    ],
)
def test_the_cards_picture_draws_empty_zero_huge_and_foreign_inputs(
    changes: dict[str, object],
) -> None:
    image = summary(**changes)
    assert image.size == charts.PNG_SIZE
    assert len(image.getcolors(maxcolors=256) or []) > 2  # titles at least


#: Per chart: text boxes that overlap another or leave the chart, as the browser lays
#: them out with the fonts it has.
OVERLAPS_JS = """[...document.querySelectorAll('svg')].map(svg => {
  const frame = svg.getBoundingClientRect();
  const boxes = [...svg.querySelectorAll('text')].map(
    t => [t.textContent, t.getBoundingClientRect()]);
  const out = boxes.filter(([, b]) => b.left < frame.left - 0.5 || b.right > frame.right + 0.5
    || b.top < frame.top - 0.5 || b.bottom > frame.bottom + 0.5).map(([s]) => s);
  const hit = [];
  boxes.forEach(([s, a], i) => boxes.slice(i + 1).forEach(([u, b]) => {
    if (a.left < b.right - 0.5 && b.left < a.right - 0.5 && a.top < b.bottom - 0.5
        && b.top < a.bottom - 0.5) hit.push(s + ' / ' + u);
  }));
  return [svg.id, boxes.length, out, hit];
})"""


def test_labels_never_overlap_nor_leave_the_chart_in_a_browser(tmp_path: Path) -> None:
    days = [f"2025-{m:02d}-{d:02d}" for m in range(1, 13) for d in range(1, 29)]
    svgs = [
        charts.hbar_chart(
            "pub",
            "Top publishers (articles)",
            [(LONG, 9065), ("بريد المرفأ", 315), ("中文新闻网", 12), ("W" * 60, 3_412_345)],
            colour=2,
        ),
        charts.column_chart(
            "days", "Articles per day of publication", days, [("articles", list(range(336)))]
        ),
        charts.column_chart(
            "cap",
            "Per capture day, with a title long enough to meet the legend on its right side",
            days[:9],
            [("sightings", [100_892] * 9), ("articles first seen", [25_674] * 9)],
        ),
        charts.column_chart(
            "len",
            "Text length (characters)",
            ["0–99", "100–299", "300–999", "1,000–2,999", "3,000–9,999", "10,000+"],
            [("articles", [0, 18, 10, 1, 0, 0])],
            xlabel="characters",
        ),
        charts.column_chart(
            "hist",
            "Rows per version",
            [f"1.{i}.0" for i in range(30)],
            [
                ("articles", [1000 * i for i in range(30)]),
                ("sightings", [3000] * 30),
                ("dumps", [10] * 30),
            ],
        ),
        charts.column_chart("zero", "Nothing", [], []),
    ]
    page = tmp_path / "charts.html"
    page.write_text(
        '<!DOCTYPE html><meta charset="utf-8"><body style="margin:0;width:760px">'
        + "".join(f"<figure>{svg}</figure>" for svg in svgs)
        + "</body>",
        encoding="utf-8",
    )
    seen = browser.visit(page.as_uri(), {"charts": OVERLAPS_JS}, width=760)
    assert seen.errors == []
    assert len(seen.values["charts"]) == len(svgs)
    for chart_id, n_texts, outside, overlapping in seen.values["charts"]:
        assert n_texts >= 3, chart_id
        assert outside == [], f"{chart_id}: text out of the chart: {outside}"
        assert overlapping == [], f"{chart_id}: texts overlap: {overlapping}"
    browser.save(tmp_path / "charts.png", seen.screenshot)
