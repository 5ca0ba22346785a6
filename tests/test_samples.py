"""samples/dumps parse to the rows written down beside them in samples/expected.json."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from builder.inputs.read import read_dumps
from builder.parse.extract import extract
from builder.parse.repair import canonical
from tests.conftest import SAMPLES

EXPECTED = json.loads((SAMPLES / "expected.json").read_text("utf-8"))
WHEN = datetime(2025, 7, 1, 12, 0, tzinfo=UTC)
RESULTS = {raw.path: extract(raw) for raw in read_dumps([str(SAMPLES / "dumps")], captured_at=WHEN)}


def test_every_sample_has_an_expectation_and_the_reverse() -> None:
    assert set(RESULTS) == set(EXPECTED)


@pytest.mark.parametrize("path", sorted(EXPECTED))
def test_sample_parses_as_expected(path: str) -> None:
    want, got = EXPECTED[path], RESULTS[path]
    if want.get("quarantined"):
        assert got.dump.status == "quarantined" and got.dump.reason
        return
    assert got.dump.status == "parsed", got.dump.reason
    assert got.dump.page_kind == want["page_type"]
    assert (got.dump.layout or "").split("-")[1:] == [want["language"], want["layout"]]
    rows = [(s.role, s.title, s.source, s.published_text, s.category) for s in got.sightings]
    assert rows == [
        (a["role"], a["title"], a["source"], a["time_text"], a["category"])
        for a in want["articles"]
    ]
    for s, a in zip(got.sightings, want["articles"], strict=True):
        if a["text_start"] is None:
            assert not s.text
        else:
            assert canonical(s.text or "").startswith(canonical(a["text_start"]))


def test_junk_lines_are_dropped_and_recorded() -> None:
    main = RESULTS["07_plain_junk_lines.txt"].sightings[0]
    assert main.text is not None and len(main.text.split("\n")) == 4
    dropped = [r for r in main.repairs if r.kind == "drop_junk_line"]
    assert [r.line for r in dropped] == [3, 4, 5, 7, 8, 10, 11, 12, 13, 14]
    for junk in ("Play Video", "Advertisement", "READ MORE", "07:30", "%3C", "Taboola"):
        assert junk not in main.text


def test_inline_link_artifacts_are_repaired_and_recorded() -> None:
    main = RESULTS["04_plain_article.txt"].sightings[0]
    assert main.text is not None
    kinds = {r.kind for r in main.repairs}
    assert {"join_lines", "space_before_punctuation", "quote_spacing"} <= kinds
    assert " 's" not in main.text and " ," not in main.text
    assert main.title == EXPECTED["04_plain_article.txt"]["articles"][0]["title"]
