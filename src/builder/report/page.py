"""The report of one release as a single HTML file: styles and charts inline, no
script, no link to anything outside the file, so it opens offline and makes no request.

Rendered from the release folder alone (the columns it counts, see `read`, its manifest
and those of the versions before it), with nothing of the machine or the moment in it:
the report of a version is byte-identical whenever and wherever it is rendered.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import polars as pl
import pyarrow as pa

from builder import contract
from builder.engines.spill import SpilledTable
from builder.release.diff import diff_release_dirs, read_manifest
from builder.release.versions import REPORT, SEMVER, SUMMARY_PICTURE, VERSIONS_DIR, semver
from builder.report import charts
from builder.report.read import report_tables
from builder.report.stats import NONE_LABEL, UNCERTAIN_S, ReleaseStats, release_stats

#: The report's file name inside a version folder, and its summary picture's.
REPORT_FILE: Final = REPORT
SUMMARY_FILE: Final = SUMMARY_PICTURE

#: Versions the history table lists, newest last (the chart shows all of them).
HISTORY_ROWS: Final = 30
#: Right-aligned numeric columns a table can have (their rules are in the page's CSS).
NUMERIC_COLUMNS: Final = 12
_NUMERIC_CSS: Final = (
    ",".join(
        f".n{i} td:nth-child({i}),.n{i} th:nth-child({i})" for i in range(1, NUMERIC_COLUMNS + 1)
    )
    + "{text-align:right;font-variant-numeric:tabular-nums}"
)
_CSS: Final = """
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;color:#1d2330;
background:#f6f7f9;line-height:1.45}
header{background:#1d2f4f;color:#fff;padding:1.2rem 2rem}
header h1{margin:0 0 .3rem;font-size:1.5rem}
header p{margin:0;opacity:.85}
nav{padding:.5rem 2rem;background:#e8ecf2;font-size:.9rem}
nav a{margin-right:.9rem;color:#1d2f4f}
main{padding:1rem 2rem 2rem;max-width:1100px}
section{background:#fff;border:1px solid #dde2ea;border-radius:6px;padding:.8rem 1.2rem;
margin:1rem 0}
section h2{margin:.2rem 0 .6rem;font-size:1.15rem}
.tiles{display:flex;flex-wrap:wrap;gap:.6rem;margin:1rem 0}
.tile{background:#fff;border:1px solid #dde2ea;border-radius:6px;padding:.5rem .9rem;
min-width:7rem}
.tile b{display:block;font-size:1.4rem}
.tile span{font-size:.8rem;color:#556}
figure.chart{margin:.4rem 0}
figure.chart svg{max-width:100%;height:auto}
table{border-collapse:collapse;font-size:.85rem;margin:.4rem 0}
th,td{border-bottom:1px solid #e3e6eb;padding:.25rem .6rem;text-align:left;vertical-align:top}
.note{color:#556;font-size:.85rem}
.bad{color:#a3281b}
code{font-size:.85em}
.wide{overflow-x:auto}
td{max-width:24rem;overflow-wrap:anywhere}
footer{padding:0 2rem 2rem;color:#556;font-size:.8rem}
"""
_STYLE: Final = _CSS + _NUMERIC_CSS + "\n"


def esc(value: object) -> str:
    """Page text, escaped: titles, publishers and paths come from the dumps."""
    return html.escape("" if value is None else str(value), quote=True)


def _num(value: int) -> str:
    return f"{value:,}"


def _share(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "–"


def _table(
    head: Sequence[str], rows: Iterable[Sequence[object]], numeric: Iterable[int] = ()
) -> str:
    # Numeric columns are right-aligned by the table's classes (`n2`: the 2nd column),
    # not by a class on every cell.
    right = sorted(set(numeric))
    css = "".join(f" n{index + 1}" for index in right if index < NUMERIC_COLUMNS)

    def cell(tag: str, value: object) -> str:
        text = _num(value) if isinstance(value, int) and not isinstance(value, bool) else esc(value)
        return f"<{tag}>{text}"  # HTML ends a cell at the next one or the row's end

    lines = [
        f'<div class="wide"><table class="{css.strip()}">' if css else '<div class="wide"><table>',
        "<tr>" + "".join(cell("th", h) for h in head),
    ]
    body = ["<tr>" + "".join(cell("td", v) for v in row) for row in rows]  # rows end likewise
    if not body:
        body = [f'<tr><td colspan="{len(head)}" class="note">none</td></tr>']
    return "\n".join([*lines, *body, "</table></div>"])


def _chart(name: str, svg: str) -> str:
    return f'<figure class="chart" id="chart-{esc(name)}">\n{svg}</figure>'


@dataclass(frozen=True)
class _Section:
    anchor: str
    title: str
    body: str


# --- sections -------------------------------------------------------------------------


def _inputs(s: ReleaseStats) -> _Section:
    bars = [("parsed", s.n_parsed), *((f"quarantined: {r}", n) for r, n in s.quarantine_reasons)]
    body = [
        f"<p>{_num(s.n_dumps)} inputs: <b>{_num(s.n_parsed)}</b> parsed "
        f"({_share(s.n_parsed, s.n_dumps)}), <b>{_num(s.n_quarantined)}</b> quarantined. "
        f"Cut short (truncated): {_num(s.n_truncated)}; with bytes replaced while decoding: "
        f"{_num(s.n_replaced_bytes)}.</p>",
        _chart("inputs", charts.hbar_chart("inputs", "Inputs by outcome", bars, first_apart=True)),
        _table(["quarantine reason", "inputs"], s.quarantine_reasons, numeric=[1]),
        _table(["layout of parsed inputs", "inputs"], s.layouts, numeric=[1]),
    ]
    return _Section("inputs", "Inputs: parsed and quarantined", "\n".join(body))


def _capture_days(s: ReleaseStats) -> _Section:
    days = [d for d, *_ in s.capture_days]
    svg = charts.column_chart(
        "capture",
        "Per capture day",
        days,
        [
            ("sightings", [n for _, _, n, _ in s.capture_days]),
            ("articles first seen", [n for *_, n in s.capture_days]),
        ],
    )
    table = _table(
        ["capture day (UTC)", "dumps", "sightings", "articles first seen"],
        s.capture_days,
        numeric=[1, 2, 3],
    )
    return _Section(
        "capture", "Articles and sightings per capture day", _chart("capture", svg) + table
    )


def _published_days(s: ReleaseStats) -> _Section:
    labels = [d for d, _ in s.published_days]
    svg = charts.column_chart(
        "published",
        "Articles per day of publication",
        labels,
        [("articles", [n for _, n in s.published_days])],
    )
    note = (
        f"<p>{_num(s.n_articles - s.n_unpublished)} articles have a published time; "
        f"{_num(s.n_unpublished)} show none that could be read.</p>"
    )
    table = _table(["published day (UTC)", "articles"], s.published_days, numeric=[1])
    details = f"<details><summary>All {len(labels)} days</summary>\n{table}\n</details>"
    return _Section(
        "published", "Articles per published day", note + _chart("published", svg) + details
    )


def _publishers(s: ReleaseStats) -> _Section:
    svg = charts.hbar_chart("publishers", "Top publishers (articles)", s.publishers, colour=2)
    note = (
        f"<p>{_num(s.n_publishers)} publishers in all; the most frequent "
        f"(articles without a publisher as {esc(NONE_LABEL)}):</p>"
    )
    table = _table(
        ["publisher", "articles", "share"],
        [(p, n, _share(n, s.n_articles)) for p, n in s.publishers],
        numeric=[1, 2],
    )
    return _Section("publishers", "Top publishers", note + _chart("publishers", svg) + table)


def _languages(s: ReleaseStats) -> _Section:
    svg = charts.hbar_chart("languages", "Languages (articles)", s.languages, colour=4)
    rows = [(lang, n, _share(n, s.n_articles)) for lang, n in s.languages]
    roles = _table(["role", "articles"], s.roles, numeric=[1])
    body = (
        _chart("languages", svg)
        + _table(["language", "articles", "share"], rows, numeric=[1, 2])
        + roles
    )
    return _Section("languages", "Languages and roles", body)


def _texts(s: ReleaseStats) -> _Section:
    svg = charts.column_chart(
        "lengths",
        "Text length (characters)",
        [label for label, _ in s.text_lengths],
        [("articles", [n for _, n in s.text_lengths])],
    )
    note = (
        f"<p>{_num(s.n_with_text)} articles have a text, {_num(s.n_without_text)} none. "
        f"Teasers (a related article's short text, not the full story): <b>{_num(s.n_teasers)}</b> "
        f"({_share(s.n_teasers, s.n_with_text)} of the texts).</p>"
    )
    table = _table(["characters", "articles"], s.text_lengths, numeric=[1])
    return _Section("text", "Text length and teasers", note + _chart("lengths", svg) + table)


def _repairs(s: ReleaseStats) -> _Section:
    svg = charts.hbar_chart("repairs", "Repairs by kind", s.repairs, colour=1)
    note = (
        f"<p>{_num(s.n_repaired_articles)} of {_num(s.n_articles)} articles had their text "
        "repaired; removed lines (junk, page furniture) count as repairs of their own kind.</p>"
    )
    table = _table(["repair kind", "repairs"], s.repairs, numeric=[1])
    return _Section("repairs", "Repairs and removed lines", note + _chart("repairs", svg) + table)


def _merging(s: ReleaseStats) -> _Section:
    svg = charts.column_chart(
        "merging",
        "Articles by number of sightings",
        [label for label, _ in s.sightings_per_article],
        [("articles", [n for _, n in s.sightings_per_article])],
        xlabel="sightings per article",
    )
    mean = s.n_sightings / s.n_articles if s.n_articles else 0.0
    note = (
        f"<p>{_num(s.n_sightings)} sightings merged into {_num(s.n_articles)} articles: "
        f"{mean:.2f} per article on average, at most {_num(s.max_sightings)}.</p>"
    )
    table = _table(["sightings", "articles"], s.sightings_per_article, numeric=[1])
    return _Section(
        "merging", "Merging: sightings per article", note + _chart("merging", svg) + table
    )


def _times(s: ReleaseStats) -> _Section:
    late = ' class="bad"' if s.n_after_capture else ""
    note = (
        "<ul>"
        f"<li{late}>{_num(s.n_after_capture)} sightings published after they were captured</li>"
        f"<li>{_num(s.n_unresolved)} sightings whose time text could not be resolved</li>"
        f"<li>{_num(s.n_uncertain)} sightings whose time may be off by more than "
        f"{UNCERTAIN_S // 3600} hours</li></ul>"
    )
    rows = [
        (
            t.why,
            t.title,
            t.published_text,
            t.published_at,
            t.uncertainty_s,
            t.captured_at,
            t.article_id,
        )
        for t in s.suspicious
    ]
    table = _table(
        ["why", "title", "time text", "published_at", "± s", "captured_at", "article"],
        rows,
        numeric=[4],
    )
    return _Section("times", "Uncertain or suspicious times", note + table)


def _changes(manifest: Mapping[str, Any], changes: Mapping[str, Any] | None) -> _Section:
    previous = manifest.get("previous_version")
    if previous is None:
        return _Section(
            "changes", "Changes", "<p>The first version: no previous one to compare.</p>"
        )
    if changes is None:
        text = f"<p>Not compared with {esc(previous)}: its tables could not be read.</p>"
        return _Section("changes", f"Changes since {esc(previous)}", text)
    rows = [
        (name, d["added"], d["changed"], d["removed"], d["unchanged"])
        for name in contract.TABLES
        if isinstance(d := changes.get(name), Mapping)
    ]
    table = _table(
        ["table", "added", "updated", "removed", "unchanged"], rows, numeric=[1, 2, 3, 4]
    )
    examples = [
        (name, kind, item.get("key"), item.get("label"), ", ".join(item.get("columns", [])))
        for name in contract.TABLES
        if isinstance(d := changes.get(name), Mapping)
        for kind in ("added", "changed", "removed")
        for item in d.get("examples", {}).get(kind, [])
    ]
    sample = _table(["table", "change", "key", "label", "columns changed"], examples)
    body = f"<p>Compared with {esc(previous)}, row by row on each table's key.</p>{table}"
    return _Section(
        "changes", f"Changes since {esc(previous)}", body + "<h3>Examples</h3>" + sample
    )


def _history(history: Sequence[Mapping[str, Any]]) -> _Section:
    versions = [str(m.get("version")) for m in history]
    counts = [
        (name, [int(m.get("row_counts", {}).get(name, 0)) for m in history])
        for name in contract.TABLES
    ]
    svg = charts.column_chart("history", "Rows per version", versions, counts)
    rows = [
        (
            m.get("version"),
            m.get("build_time"),
            m.get("previous_version") or "",
            *(int(m.get("row_counts", {}).get(name, 0)) for name in contract.TABLES),
            m.get("bump_reason") or "",
        )
        for m in history[-HISTORY_ROWS:]
    ]
    head = ["version", "built", "previous", *contract.TABLES, "why this number"]
    table = _table(head, rows, numeric=[3, 4, 5])
    older = len(history) - HISTORY_ROWS
    note = (
        f'<p class="note">The chart shows every version; the table the last {HISTORY_ROWS} '
        f"({_num(older)} older: <code>builder versions DIR</code>).</p>"
        if older > 0
        else ""
    )
    return _Section("history", "History of all versions", _chart("history", svg) + note + table)


def _examples(s: ReleaseStats) -> _Section:
    rows = [
        (
            e.title,
            e.source,
            e.language,
            e.published_at,
            e.n_sightings,
            e.dump_path,
            e.lines,
            e.captured_at,
            e.layout,
            e.repairs,
            e.article_id,
        )
        for e in s.examples
    ]
    table = _table(
        [
            "title",
            "publisher",
            "lang",
            "published_at",
            "sightings",
            "kept from dump",
            "lines",
            "captured_at",
            "layout",
            "repairs",
            "article",
        ],
        rows,
        numeric=[4, 9],
    )
    previews = "".join(
        f"<p><b>{esc(e.title)}</b><br>{esc(e.text_preview)}</p>"
        for e in s.examples
        if e.text_preview
    )
    note = '<p class="note">The most-sighted articles, with where their kept text came from.</p>'
    return _Section("examples", "Example rows and their provenance", note + table + previews)


# --- the page -------------------------------------------------------------------------


def version_history(dataset_dir: Path | None, manifest: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The manifests of every version up to this one, oldest first (this one included
    even before it is published): a later version never changes an earlier report."""
    version = str(manifest.get("version"))
    found: dict[str, dict[str, Any]] = {}
    root = None if dataset_dir is None else dataset_dir / VERSIONS_DIR
    if root is not None and root.is_dir() and SEMVER.match(version):
        for path in root.iterdir():
            if SEMVER.match(path.name) and semver(path.name) < semver(version):
                found[path.name] = read_manifest(path)
    found[version] = dict(manifest)
    return [
        found[v] for v in sorted(found, key=lambda v: semver(v) if SEMVER.match(v) else (0, 0, 0))
    ]


def _dataset_of(release: Path) -> Path | None:
    return release.parent.parent if release.parent.name == VERSIONS_DIR else None


def _changes_of(
    release: Path, dataset_dir: Path | None, manifest: Mapping[str, Any]
) -> Mapping[str, Any] | None:
    """The diff kept in the manifest; computed with `diff` when an older one lacks it."""
    kept = manifest.get("changes")
    if isinstance(kept, Mapping):
        return kept
    previous = manifest.get("previous_version")
    if previous is None or dataset_dir is None:
        return None
    old = dataset_dir / VERSIONS_DIR / str(previous)
    if not old.is_dir():
        return None
    try:
        return diff_release_dirs(old, release).as_dict()
    except (OSError, ValueError, KeyError, pa.ArrowException, pl.exceptions.PolarsError):
        return None  # a damaged previous version: the section says nothing was compared


class ReportError(Exception):
    """The release cannot be read (a missing or damaged table); the message says which."""


def _read_stats(
    release_dir: Path,
    placed_at: Path | None = None,
    articles: SpilledTable | None = None,
    held: Mapping[str, SpilledTable] | None = None,
) -> ReleaseStats:
    try:
        tables, texts = report_tables(release_dir, placed_at, articles, held)
        return release_stats(tables, lambda _: texts)
    except (OSError, ValueError, KeyError, pa.ArrowException, pl.exceptions.PolarsError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ReportError(f"cannot read the release in {release_dir}: {first}") from exc


def render_report(release_dir: Path, *, dataset_dir: Path | None = None) -> str:
    """The HTML report of the release in `release_dir` (a version folder). `dataset_dir`
    holds the versions before it (default: the folder above `versions/`). Raises
    ReportError when its tables cannot be read."""
    release_dir = Path(release_dir)
    return _render(release_dir, dataset_dir, _read_stats(release_dir))


def _render(release_dir: Path, dataset_dir: Path | None, stats: ReleaseStats) -> str:
    dataset_dir = _dataset_of(release_dir) if dataset_dir is None else Path(dataset_dir)
    manifest = read_manifest(release_dir)
    history = version_history(dataset_dir, manifest)
    version = esc(manifest.get("version", "?"))
    sections = [
        _inputs(stats),
        _capture_days(stats),
        _published_days(stats),
        _publishers(stats),
        _languages(stats),
        _texts(stats),
        _repairs(stats),
        _merging(stats),
        _times(stats),
        _changes(manifest, _changes_of(release_dir, dataset_dir, manifest)),
        _history(history),
        _examples(stats),
    ]
    tiles = [
        (stats.n_dumps, "inputs"),
        (stats.n_parsed, "parsed"),
        (stats.n_quarantined, "quarantined"),
        (stats.n_articles, "articles"),
        (stats.n_sightings, "sightings"),
        (stats.n_publishers, "publishers"),
        (len(stats.languages), "languages"),
    ]
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>Release {version}: report</title>",
        f"<style>{_STYLE}</style>",
        "</head>",
        "<body>",
        f"<header><h1>Release {version}</h1><p>built {esc(manifest.get('build_time'))} by builder "
        f"{esc(manifest.get('builder_version'))} (parser {esc(manifest.get('parser_version'))}, "
        f"contract {esc(manifest.get('contract_version'))})</p></header>",
        "<nav>" + "".join(f'<a href="#{s.anchor}">{esc(s.title)}</a>' for s in sections) + "</nav>",
        "<main>",
        '<div class="tiles">'
        + "".join(
            f'<div class="tile"><b>{_num(n)}</b><span>{esc(t)}</span></div>' for n, t in tiles
        )
        + "</div>",
        *(f'<section id="{s.anchor}">\n<h2>{s.title}</h2>\n{s.body}\n</section>' for s in sections),
        "</main>",
        "<footer>Rendered from the release folder by builder report; the numbers come from "
        "its <code>articles</code>, <code>sightings</code> and <code>dumps</code> tables and "
        "<code>manifest.json</code>.</footer>",
        "</body>",
        "</html>",
    ]
    return "\n".join(parts) + "\n"


def write_report(release_dir: Path, out: Path, *, dataset_dir: Path | None = None) -> Path:
    """Render the report of `release_dir` into the file `out`; returns `out`."""
    text = render_report(release_dir, dataset_dir=dataset_dir)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    return out


def summary_picture(stats: ReleaseStats) -> bytes:
    """The card's PNG: inputs by outcome, articles per capture day, sightings per article."""
    status = [("parsed", stats.n_parsed), ("quarantined", stats.n_quarantined)]
    days = [(day, articles) for day, _, _, articles in stats.capture_days]
    return charts.summary_png(status, days, stats.sightings_per_article)


def write_version_files(
    release_dir: Path,
    dataset_dir: Path | None = None,
    *,
    placed_at: Path | None = None,
    articles: SpilledTable | None = None,
    held: Mapping[str, SpilledTable] | None = None,
) -> list[str]:
    """Write `report.html` and `summary.png` into a version folder (while it is still
    being built, before it becomes visible, at `placed_at` once published); returns the
    names written. The tables are read and counted once for both; `articles` (the
    build's own, the rows being published) spares reading every text to count it, and
    `held` (all three tables so held) reading the files at all."""
    release_dir = Path(release_dir)
    stats = _read_stats(release_dir, placed_at, articles, held)
    (release_dir / REPORT_FILE).write_text(
        _render(release_dir, dataset_dir, stats), encoding="utf-8"
    )
    (release_dir / SUMMARY_FILE).write_bytes(summary_picture(stats))
    return [REPORT_FILE, SUMMARY_FILE]
