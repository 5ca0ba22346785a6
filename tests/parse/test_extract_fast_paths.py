"""Fast paths of the per-dump stage against their plain definitions: a `Sighting` built
by `_new_sighting` is the one the dataclass's `__init__` builds, and one given its
language by `_with_language` the one `dataclasses.replace` gives."""

from __future__ import annotations

import pickle
from dataclasses import MISSING, fields, replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from builder.parse.extract import _new_sighting, _with_language, extract
from builder.records import RawDump, Repair, Sighting, SourceSplit

WHEN = datetime(2025, 7, 1, 12, tzinfo=UTC)
SAMPLES = Path(__file__).resolve().parents[2] / "samples" / "dumps"
DEV = Path(__file__).resolve().parents[3] / "shared" / "corpus" / "daily8-dev"

#: Every field, set to a value unlike its default, in the fields' order.
VALUES = (
    "d0001",
    3,
    "main",
    "A title of my own",
    "Some Source",
    "World",
    "2 hours ago",
    datetime(2025, 7, 1, 10, tzinfo=UTC),
    3600,
    "Body text.\nSecond line.",
    True,
    5,
    9,
    120,
    160,
    (Repair("join_lines", 6, "'a' + 'b'"),),
    (SourceSplit("Some", "Source 2 hours ago", None, None, False),),
    "en",
    True,
)


def _fields(sighting: Sighting) -> tuple[object, ...]:
    return tuple(getattr(sighting, f.name) for f in fields(Sighting))


def _same(fast: Sighting, plain: Sighting) -> bool:
    return (
        fast == plain
        and hash(fast) == hash(plain)
        and repr(fast) == repr(plain)
        and pickle.dumps(fast) == pickle.dumps(plain)
        and list(vars(fast)) == [f.name for f in fields(Sighting)]
    )


def test_sighting_fill_equals_the_dataclass_init() -> None:
    assert len(VALUES) == len(fields(Sighting))
    plain = Sighting(*VALUES)
    fast = _new_sighting(*VALUES)  # type: ignore[arg-type]
    assert _same(fast, plain)
    assert pickle.loads(pickle.dumps(fast)) == plain
    assert fast.sighting_id == plain.sighting_id
    with pytest.raises(AttributeError):
        fast.title = "x"  # type: ignore[misc]


def test_the_defaults_are_the_values_extract_passes_for_a_bare_card() -> None:
    """The fields with defaults are passed explicitly: the defaults are what a card
    without repairs, alternatives, language or a late time gets."""
    defaults = {f.name: f.default for f in fields(Sighting) if f.default is not MISSING}
    assert defaults == {
        "repairs": (),
        "source_alternatives": (),
        "language": None,
        "published_after_capture": False,
    }
    bare = (*VALUES[:15], (), (), None, False)
    assert _same(_new_sighting(*bare), Sighting(*VALUES[:15]))  # type: ignore[arg-type]


@pytest.mark.parametrize("language", ["de", None, "en"])
def test_a_language_set_fast_equals_dataclasses_replace(language: str | None) -> None:
    for start in (Sighting(*VALUES), Sighting(*VALUES[:15])):
        fast = _with_language(start, language)
        assert _same(fast, replace(start, language=language))
        assert fast.language == language
        assert start.language in ("en", None)  # the original is left as it was
    with pytest.raises(AttributeError):
        fast.language = "fr"  # type: ignore[misc]


def test_the_comparison_can_fail() -> None:
    plain = Sighting(*VALUES)
    for i in range(len(VALUES)):  # any one field changed is told apart
        changed = list(VALUES)
        changed[i] = None if VALUES[i] is not None else "x"
        assert not _same(_new_sighting(*changed), plain)  # type: ignore[arg-type]
    # A dict in another order is equal, but its repr and pickle are not the dataclass's.
    shuffled = object.__new__(Sighting)
    names = [f.name for f in fields(Sighting)]
    object.__setattr__(shuffled, "__dict__", dict(reversed(list(zip(names, VALUES, strict=False)))))
    assert shuffled == plain
    assert not _same(shuffled, plain)


def _pages() -> list[Path]:
    pages = sorted(SAMPLES.glob("*.txt"))
    if DEV.is_dir():
        pages += sorted(DEV.glob("*.txt"))
    return pages


def test_extract_gives_the_sightings_the_dataclass_init_gives() -> None:
    """On every sample and real page: each sighting rebuilt by the dataclass's own
    `__init__` from its fields is the same object (order, repr, pickle, hash)."""
    pages = _pages()
    assert pages
    count = 0
    for path in pages:
        result = extract(RawDump(path.name, path.read_bytes(), WHEN, "option"))
        for s in result.sightings:
            assert _same(s, Sighting(*_fields(s))), path.name
            count += 1
    assert count > 0
