"""The diff by key: added, removed and changed rows, examples, and the reports."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pytest

from builder.release.diff import (
    EXAMPLES,
    TableDiff,
    diff_release_dirs,
    diff_table,
    render_markdown,
    render_text,
)
from tests.helpers import run_cli
from tests.releasing import WHEN

SAMPLES = Path(__file__).resolve().parents[2] / "samples" / "dumps"


def _table(rows: list[dict[str, object]]) -> pa.Table:
    return pa.Table.from_pylist(rows)


OLD = _table(
    [
        {"id": "a", "title": "Alpha", "n": 1},
        {"id": "b", "title": "Beta", "n": 2},
        {"id": "c", "title": "Gamma", "n": 3},
    ]
)


def test_added_removed_and_changed_rows_are_told_apart() -> None:
    new = _table(
        [
            {"id": "a", "title": "Alpha", "n": 1},
            {"id": "b", "title": "Beta", "n": 5},
            {"id": "d", "title": "Delta", "n": 4},
        ]
    )
    d = diff_table(OLD, new, "id", label="title")
    assert (d.added, d.removed, d.changed, d.unchanged) == (1, 1, 1, 1)
    assert d.examples == {"added": ["d"], "removed": ["c"], "changed": ["b"]}
    assert d.labels == {"d": "Delta", "c": "Gamma", "b": "Beta"}
    assert d.changed_columns == {"b": ["n"]}
    assert d.as_dict()["examples"]["changed"] == [{"key": "b", "label": "Beta", "columns": ["n"]}]


def test_a_null_becoming_a_value_is_a_change() -> None:
    old = _table([{"id": "a", "source": None}, {"id": "b", "source": "X"}])
    new = _table([{"id": "a", "source": "Y"}, {"id": "b", "source": "X"}])
    d = diff_table(old, new, "id")
    assert (d.changed, d.unchanged) == (1, 1) and d.changed_columns == {"a": ["source"]}


def test_a_new_column_changes_every_row() -> None:
    new = OLD.append_column("extra", pa.array([0, 0, 0]))
    assert diff_table(OLD, new, "id").changed == 3


def test_examples_are_few_and_the_report_says_how_many_more() -> None:
    new = _table([{"id": f"k{i:02d}", "title": "t", "n": i} for i in range(12)])
    d = diff_table(OLD.slice(0, 0), new, "id")
    assert d.added == 12 and len(d.examples["added"]) == EXAMPLES
    markdown = render_markdown({"articles": d.as_dict()}, "1.0.0")
    assert "`articles`: 12 added, 0 removed" in markdown
    assert markdown.count("  - added") == EXAMPLES
    assert render_markdown({}, None) == "- first release\n"


@pytest.fixture(scope="module")
def two_builds(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("diff")
    one, two = root / "one", root / "two"
    files = sorted(str(p) for p in SAMPLES.glob("*.txt"))
    for out, specs in ((one, files[1:]), (two, files[:-1])):
        result = run_cli("make", *specs, "--out", str(out), "--captured-at", WHEN, "-q")
        assert result.exit_code == 0, result.output
    return one, two


def test_diff_of_two_directories_in_json_and_text(two_builds: tuple[Path, Path]) -> None:
    one, two = two_builds
    result = run_cli("diff", str(one), str(two), "--format", "json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert set(report) == {"articles", "sightings", "dumps"}
    assert report["dumps"]["added"] == 1 and report["dumps"]["removed"] == 1
    names = sorted(p.name for p in SAMPLES.glob("*.txt"))
    first, last = names[0], names[-1]  # one lacks the first file, two the last
    assert [e["label"] for e in report["dumps"]["examples"]["added"]] == [first]
    assert [e["label"] for e in report["dumps"]["examples"]["removed"]] == [last]
    text = run_cli("diff", str(one), str(two)).output
    assert "dumps: 1 added, 1 removed, 0 changed" in text and first in text
    same = diff_release_dirs(one / "versions" / "1.0.0", one / "versions" / "1.0.0")
    assert "no rows added, removed or changed" in render_text(same)
    assert not any(d.any for d in same.tables.values())


def test_diff_of_a_missing_release_is_a_usage_error(two_builds: tuple[Path, Path]) -> None:
    one, _ = two_builds
    result = run_cli("diff", f"{one}@9.9.9", str(one))
    assert result.exit_code == 2 and "no release 9.9.9" in result.output


def test_table_diff_any() -> None:
    assert not TableDiff(0, 0, 0, 5).any and TableDiff(0, 1, 0, 5).any
