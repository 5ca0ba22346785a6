"""builder's compiled lid.176 reader (`_lid.cpp`) against fasttext-predict: the same
labels in the same order with the very same probabilities (equal floats, not close
ones), asked for the first label and for all of them, on every line builder gives the
model and on text made to find the readers' edges."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from builder.parse.extract import extract
from builder.parse.language import Model, fasttext_predict, model_line, model_path
from builder.records import RawDump
from tests.helpers import corpus_module

from ..conftest import SAMPLES

_lid = pytest.importorskip(
    "builder.parse._lid", reason="the compiled reader is not built (no compiler?)"
)


@pytest.fixture(scope="module")
def ours() -> Model:
    model: Model = _lid.load(model_path())
    return model


@pytest.fixture(scope="module")
def reference() -> Model:
    return fasttext_predict()


def assert_same(ours: Model, reference: Model, text: str) -> None:
    for k in (1, 2, -1):
        assert ours.predict(text, k) == reference.predict(text, k), (text, k)


def _lines_of(paths: list[Path]) -> Iterator[str]:
    """What `detect` asks the model about for each sighting of the pages (title and
    text, title alone), and the raw title and text on one line (not lowered, not cut
    at 600 characters)."""
    when = datetime(2025, 7, 1, 12, tzinfo=UTC)
    for path in paths:
        for s in extract(RawDump(path.name, path.read_bytes(), when, "option")).sightings:
            for text in (s.text, None):
                line = model_line(s.title, text)
                if line is not None:
                    yield line
            yield f"{s.title} {s.text or ''}".replace("\n", " ")


def _assert_all_same(ours: Model, reference: Model, paths: list[Path], at_least: int) -> None:
    lines = list(_lines_of(paths))
    assert len(lines) > at_least
    for line in lines:
        assert_same(ours, reference, line)


def test_the_same_answers_on_the_samples(ours: Model, reference: Model) -> None:
    _assert_all_same(ours, reference, sorted((SAMPLES / "dumps").glob("*.txt")), 50)


def test_the_same_answers_on_the_real_pages(
    ours: Model, reference: Model, shared_dir: Path
) -> None:
    pages = sorted((shared_dir / "corpus" / "daily8-dev").glob("*.txt"))
    _assert_all_same(ours, reference, pages, 100)


def test_the_same_answers_on_the_benchmark_corpus(
    ours: Model, reference: Model, tmp_path: Path
) -> None:
    corpus_module().generate_corpus(tmp_path, 300, seed=11, mean_size=4000)
    _assert_all_same(ours, reference, sorted(tmp_path.glob("*.txt")), 1000)


#: Every byte fastText splits words on but the newline (one line at a time), and words
#: that mean something to its reader: the end-of-sentence word ends the line, labels
#: are skipped, "<" and ">" are what it puts around a word.
SEPARATORS = [" ", "\t", "\r", "\v", "\f", "\0"]
SPECIAL = ["</s>", "__label__en", "__label__xx", "__label__", "<", ">", "<s>", "de", "</s>x"]

EDGE_CASES = [
    "",
    " ",
    "      ",
    "\0",
    "\t\r\v\f\0 ",
    "</s>",
    "</s> The town council approved the budget.",
    "The town council </s> approved the budget.",
    "__label__en",
    "__label__en Le conseil municipal a voté le budget.",
    "a",
    "é",
    "😀",
    "😀" * 300,
    "x" * 5000,
    "Straßenbahn" * 200,
    "市议会周二晚间经过长时间辩论后通过了明年的预算。" * 20,
]


@pytest.mark.parametrize("text", EDGE_CASES)
def test_the_same_answers_on_edge_cases(ours: Model, reference: Model, text: str) -> None:
    assert_same(ours, reference, text)


_characters = st.characters(exclude_categories=["Cs"], exclude_characters="\n")
_words = st.one_of(
    st.text(_characters, max_size=12),
    st.text(st.characters(max_codepoint=0x7F, exclude_characters="\n"), max_size=12),
    st.sampled_from(SEPARATORS + SPECIAL),
    st.builds(lambda c, n: c * n, _characters, st.integers(1, 400)),  # very long words
)


@settings(max_examples=400, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(_words, max_size=40).map("".join))
@example("".join(SEPARATORS))
@example(" __label__de </s> Haushalt")
def test_the_same_answers_on_any_text(ours: Model, reference: Model, text: str) -> None:
    assert_same(ours, reference, text)


def test_both_refuse_what_fasttext_refuses(ours: Model, reference: Model) -> None:
    for model in (ours, reference):
        with pytest.raises(ValueError, match="one line at a time"):
            model.predict("two\nlines", 1)
        with pytest.raises(ValueError, match="k needs to be 1 or higher"):
            model.predict("text", 0)


def test_a_file_that_is_no_fasttext_model_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "not-a-model.ftz"
    path.write_bytes(b"\0" * 64)
    with pytest.raises(ValueError, match="not a fastText model"):
        _lid.load(path)
    with pytest.raises(ValueError, match="ends too early"):
        path.write_bytes(model_path().read_bytes()[:1000])
        _lid.load(path)
    with pytest.raises(FileNotFoundError):
        _lid.load(tmp_path / "missing.ftz")
