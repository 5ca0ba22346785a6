"""`builder make` writes report.html and summary.png into each version, and `builder
report` renders any version again: numbers checked against the tables read back with
pandas, the page checked for escaping and for anything outside the file."""

from __future__ import annotations

import io
import json
import re
import shutil
from collections import Counter
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest
from huggingface_hub import DatasetCard
from PIL import Image

from builder.release.store import version_paths
from builder.release.versions import latest_version
from builder.report import render_report, write_report
from tests.releasing import ROOT, WHEN, cli
from tests.report.conftest import SAMPLES, build_samples
from tests.report.pages import ReportPage, number

SECTIONS = (
    "inputs",
    "capture",
    "published",
    "publishers",
    "languages",
    "text",
    "repairs",
    "merging",
    "times",
    "changes",
    "history",
    "examples",
)


def table(release: Path, name: str) -> pd.DataFrame:
    return pq.read_table(version_paths(release, name)).to_pandas()


def version(dataset: Path) -> Path:
    found = latest_version(dataset)
    assert found is not None
    return dataset / "versions" / found


def test_make_writes_the_report_and_the_cards_picture(samples_release: Path) -> None:
    release = version(samples_release)
    page = ReportPage((release / "report.html").read_text(encoding="utf-8"))
    assert set(SECTIONS) <= set(page.tables)
    picture = Image.open(io.BytesIO((release / "summary.png").read_bytes()))
    assert picture.format == "PNG" and picture.size[0] >= 600
    colours = picture.convert("RGB").getcolors(maxcolors=1 << 24) or []
    assert len(colours) > 10, "the picture is blank"
    # The version's card shows the picture beside it, the top card the one of its version.
    card = DatasetCard.load(release / "README.md")
    assert re.search(r"!\[[^\]]+\]\(summary\.png\)", card.text)
    assert "`report.html`" in card.text
    top = DatasetCard.load(samples_release / "README.md")
    assert f"]({release.relative_to(samples_release).as_posix()}/summary.png)" in top.text
    assert top.data.configs  # the YAML still loads


def test_the_numbers_are_those_of_the_tables(samples_release: Path) -> None:
    release = version(samples_release)
    page = ReportPage((release / "report.html").read_text(encoding="utf-8"))
    dumps, articles = table(release, "dumps"), table(release, "articles")
    sightings = table(release, "sightings")

    quarantined = dumps[dumps.status == "quarantined"]
    assert quarantined.shape[0] > 0, "the samples hold a quarantined dump"
    reasons = {r: [str(n)] for r, n in Counter(quarantined.reason).items()}
    assert page.table("inputs") == reasons

    kinds = Counter(repair["kind"] for prov in articles.provenance for repair in prov["repairs"])
    assert kinds and {k: number(v[0]) for k, v in page.table("repairs").items()} == kinds

    languages = Counter(articles.language.fillna("(none)"))
    assert {k: number(v[0]) for k, v in page.table("languages").items()} == languages

    assert "n_sightings" not in articles.columns  # the report counts the sightings rows
    per_article = Counter(Counter(sightings.article_id).values())
    shown = {int(k): number(v[0]) for k, v in page.table("merging").items() if k.isdigit()}
    assert {k: n for k, n in shown.items() if n} == dict(per_article)

    day = dumps.captured_at.dt.strftime("%Y-%m-%d")
    capture = page.table("capture")
    assert {d: number(v[0]) for d, v in capture.items()} == dict(Counter(day))
    assert sum(number(v[1]) for v in capture.values()) == len(sightings)
    assert sum(number(v[2]) for v in capture.values()) == len(articles)

    with_text = articles[articles.text.notna()]
    teasers = int(with_text.text_is_teaser.sum())
    assert f"Teasers (a related article's short text, not the full story): {teasers} " in "".join(
        page.text
    )
    after = sightings.merge(dumps[["dump_id", "captured_at"]], on="dump_id")
    late = int((after.published_at > after.captured_at).sum())
    assert f"{late} sightings published after they were captured" in "".join(page.text)

    history = page.table("history")
    manifest = json.loads((release / "manifest.json").read_text(encoding="utf-8"))
    counts = manifest["row_counts"]
    assert history[manifest["version"]][2:] == [
        *(str(counts[t]) for t in ("articles", "sightings", "dumps")),
        manifest["bump_reason"],
    ]


def test_examples_carry_their_provenance(samples_release: Path) -> None:
    release = version(samples_release)
    page = ReportPage((release / "report.html").read_text(encoding="utf-8"))
    articles = table(release, "articles").set_index("article_id")
    rows = page.tables["examples"][0]
    header, body = rows[0], rows[1:]
    assert body and "kept from dump" in header
    for row in body:
        cells = dict(zip(header, row, strict=True))
        article = articles.loc[cells["article"]]
        assert cells["title"] == article.title
        assert cells["kept from dump"] == article.provenance["dump_path"]
        prov = article.provenance
        assert cells["lines"] == f"{prov['line_start']}–{prov['line_end']}"


def test_the_report_is_byte_identical_wherever_it_is_rendered(
    samples_release: Path, tmp_path: Path
) -> None:
    release = version(samples_release)
    stored = (release / "report.html").read_bytes()
    assert render_report(release).encode("utf-8") == stored
    other = build_samples(tmp_path / "elsewhere" / "other-name")
    again = version(other)
    assert (again / "report.html").read_bytes() == stored
    assert (again / "summary.png").read_bytes() == (release / "summary.png").read_bytes()


def test_the_page_needs_nothing_outside_itself(samples_release: Path) -> None:
    text = (version(samples_release) / "report.html").read_text(encoding="utf-8")
    page = ReportPage(text)
    for tag, name, value in page.attributes:
        if name in ("src", "href", "xlink:href", "action", "poster", "data"):
            assert value.startswith("#"), f"<{tag} {name}={value!r}> points outside the page"
    assert not {"script", "link", "iframe", "img", "object", "embed"} & set(page.tags)
    assert "@import" not in text and not re.search(r"url\((?!#)", text)
    assert page.tags.count("svg") == 9


def test_page_text_is_escaped(tmp_path: Path) -> None:
    inputs = tmp_path / "dumps"
    shutil.copytree(SAMPLES, inputs)
    hostile = 'City <i>News</i> & "Co" <script>alert(1)</script>'
    for path in inputs.glob("*.txt"):
        path.write_text(
            path.read_text(encoding="utf-8").replace("City News", hostile), encoding="utf-8"
        )
    release = version(build_samples(tmp_path / "dataset", inputs))
    assert hostile in set(table(release, "articles").source.dropna())
    text = (release / "report.html").read_text(encoding="utf-8")
    assert "<script" not in text and "<i>News" not in text
    assert "City &lt;i&gt;News&lt;/i&gt; &amp; &quot;Co&quot;" in text
    assert hostile in ReportPage(text).table("publishers")


@pytest.mark.slow
def test_changes_and_history_across_versions(two_versions: Path) -> None:
    versions = sorted((two_versions / "versions").iterdir())
    assert len(versions) == 2
    first, second = versions
    manifest = json.loads((second / "manifest.json").read_text(encoding="utf-8"))
    page = ReportPage((second / "report.html").read_text(encoding="utf-8"))
    changes = page.table("changes")
    for name, diff in manifest["changes"].items():
        assert changes[name] == [str(diff[k]) for k in ("added", "changed", "removed", "unchanged")]
    assert changes["dumps"][0] == "1"  # the one dump added
    history = page.table("history")
    assert list(history) == [first.name, second.name]
    for folder in versions:
        counts = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))["row_counts"]
        assert [number(n) for n in history[folder.name][2:5]] == [
            counts["articles"],
            counts["sightings"],
            counts["dumps"],
        ]
    # A later version never changes the report of an earlier one.
    assert render_report(first).encode() == (first / "report.html").read_bytes()
    assert "first version" in "".join(ReportPage(render_report(first)).text)


@pytest.mark.slow
def test_cli_report_writes_the_named_version(two_versions: Path, tmp_path: Path) -> None:
    first = sorted((two_versions / "versions").iterdir())[0]
    done = cli("report", f"{two_versions}@{first.name}", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    written = tmp_path / f"report-{first.name}.html"
    assert done.stdout.strip() == f"wrote report-{first.name}.html"
    assert written.read_bytes() == (first / "report.html").read_bytes()
    out = tmp_path / "sub" / "latest.html"
    done = cli("report", str(two_versions), "--out", str(out))
    assert done.returncode == 0, done.stderr
    latest = version(two_versions)
    assert out.read_bytes() == (latest / "report.html").read_bytes()


def test_cli_report_errors_are_one_line(samples_release: Path, tmp_path: Path) -> None:
    done = cli("report", f"{samples_release}@9.9.9")
    assert done.returncode == 2
    assert done.stderr.strip() == f"error: no release 9.9.9 in {samples_release}"
    broken = tmp_path / "broken"
    shutil.copytree(samples_release, broken)
    for shard in version_paths(version(broken), "articles"):
        shard.write_bytes(b"not parquet")
    done = cli("report", str(broken), "--out", str(tmp_path / "r.html"))
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert done.stderr.startswith("error: cannot read the release in")
    assert not (tmp_path / "r.html").exists()


def test_validate_accepts_a_version_with_its_report(samples_release: Path) -> None:
    done = cli("validate", str(samples_release))
    assert done.returncode == 0, done.stdout + done.stderr


def test_write_report_is_the_library_call(samples_release: Path, tmp_path: Path) -> None:
    release = version(samples_release)
    out = write_report(release, tmp_path / "a" / "report.html")
    assert out.read_bytes() == (release / "report.html").read_bytes()


def test_the_readme_shows_a_screenshot_of_the_report() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "](docs/report.png)" in readme
    shot = Image.open(ROOT / "docs" / "report.png")
    assert shot.format == "PNG" and shot.size[0] >= 600


@pytest.mark.slow
def test_a_manifest_without_changes_is_diffed_again(two_versions: Path, tmp_path: Path) -> None:
    """Versions made before manifests kept their diff: the report computes it."""
    copy = tmp_path / "dataset"
    shutil.copytree(two_versions, copy)
    first, second = sorted((copy / "versions").iterdir())
    stored = ReportPage((second / "report.html").read_text(encoding="utf-8")).table("changes")
    manifest = json.loads((second / "manifest.json").read_text(encoding="utf-8"))
    del manifest["changes"]
    (second / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    assert ReportPage(render_report(second)).table("changes") == stored
    # The first version lists article files that are gone (the store is shared: the
    # second version's files stay).
    listed = json.loads((first / "manifest.json").read_text(encoding="utf-8"))
    listed["files"] = {
        (key.replace("/articles/", "/articles/gone-") if "/articles/" in key else key): entry
        for key, entry in listed["files"].items()
    }
    (first / "manifest.json").write_text(json.dumps(listed), encoding="utf-8")
    text = "".join(ReportPage(render_report(second)).text)
    assert f"Not compared with {first.name}: its tables could not be read." in text


def test_make_names_the_report_it_wrote(tmp_path: Path) -> None:
    done = cli("make", str(SAMPLES), "--out", "ds", "--captured-at", WHEN, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "ds" / "versions" / "1.0.0" / "report.html").is_file()
    row = next(line for line in done.stdout.splitlines() if " report " in line)
    assert row.replace("│", " ").split() == ["report", "ds/versions/1.0.0/report.html"]
