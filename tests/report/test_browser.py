"""report.html as a person sees it: opened in headless Chromium (Debian's `chromium`),
it loads with no request beyond the file, no error, every chart drawn and a page that
is not blank. The tests skip, saying how to install Chromium, only when it is missing
(.ci/run installs it)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from PIL import Image

from builder.release.versions import latest_version
from tests.report import browser
from tests.report.test_report import SECTIONS

#: Per chart: its id, how many SVG shapes it holds, its drawn width in pixels, and how
#: many filled shapes (bars, steps) have an area on screen: the data, not only the axes.
CHARTS_JS = """[...document.querySelectorAll('figure.chart')].map(f => {
  const svg = f.querySelector('svg');
  const filled = svg ? [...svg.querySelectorAll('path')].filter(p => {
    const box = p.getBoundingClientRect(), fill = getComputedStyle(p).fill;
    return box.width > 0 && box.height > 0 && fill !== 'none' && fill !== 'rgb(0, 0, 0)';
  }).length : 0;
  return [f.id, svg ? svg.querySelectorAll('path, rect, text').length : 0,
          svg ? svg.getBoundingClientRect().width : 0, filled];
})"""
SECTIONS_JS = "[...document.querySelectorAll('section')].map(s => s.id)"
TILES_JS = """Object.fromEntries([...document.querySelectorAll('.tile')].map(
  t => [t.querySelector('span').textContent, t.querySelector('b').textContent]))"""


def _release(dataset: Path) -> Path:
    found = latest_version(dataset)
    assert found is not None
    return dataset / "versions" / found


def _colours(png: bytes) -> int:
    image = Image.open(io.BytesIO(png)).convert("RGB")
    return len(image.getcolors(maxcolors=1 << 24) or [])


def test_the_report_loads_offline_with_every_chart_drawn(
    samples_release: Path, tmp_path: Path
) -> None:
    release = _release(samples_release)
    url = (release / "report.html").as_uri()
    seen = browser.visit(url, {"charts": CHARTS_JS, "sections": SECTIONS_JS, "tiles": TILES_JS})
    assert seen.requests == [url], "the page asked for more than itself"
    assert seen.errors == []
    assert seen.values["sections"] == list(SECTIONS)
    charts = seen.values["charts"]
    assert len(charts) == 9
    for chart_id, shapes, width, filled in charts:
        assert shapes > 5 and width > 200, f"{chart_id} is not drawn"
        assert filled >= 1, f"{chart_id} draws no data"
    counts = json.loads((release / "manifest.json").read_text(encoding="utf-8"))["row_counts"]
    assert seen.values["tiles"]["articles"] == f"{counts['articles']:,}"
    assert seen.values["tiles"]["inputs"] == f"{counts['dumps']:,}"
    shot = browser.save(tmp_path / "report.png", seen.screenshot)
    image = Image.open(shot)
    assert image.size[1] > 3000, "the full page, not the first screen"
    assert _colours(seen.screenshot) > 50, "the screenshot is blank"


def test_the_browser_check_sees_requests_and_errors(tmp_path: Path) -> None:
    """The check above can fail: a page that fetches and throws is caught."""
    page = tmp_path / "bad.html"
    page.write_text(
        '<!DOCTYPE html><p>x</p><img src="http://example.invalid/a.png">'
        "<script>notDefinedAnywhere();</script>",
        encoding="utf-8",
    )
    seen = browser.visit(page.as_uri())
    assert "http://example.invalid/a.png" in seen.requests
    assert any("notDefinedAnywhere" in e or "Uncaught" in e for e in seen.errors)


def test_dump_dom_and_screenshot(samples_release: Path, tmp_path: Path) -> None:
    url = (_release(samples_release) / "report.html").as_uri()
    dom = browser.run("--dump-dom", url)
    assert dom.returncode == 0, dom.stderr[-2000:]
    for section in SECTIONS:
        assert f'<section id="{section}">' in dom.stdout
    assert dom.stdout.count("<svg") == 9
    shot = tmp_path / "screenshot.png"
    done = browser.run("--window-size=1280,2000", f"--screenshot={shot}", url)
    assert done.returncode == 0, done.stderr[-2000:]
    assert Image.open(shot).size == (1280, 2000)
    assert _colours(shot.read_bytes()) > 50


def test_without_chromium_the_tests_skip_saying_how_to_install_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(pytest.skip.Exception, match=r"apt-get install -y chromium"):
        browser.chromium()
