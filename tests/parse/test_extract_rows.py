"""The `dumps` row of the per-dump stage (`extract._row`): made once per dump, before
its sightings, it counts them, and it is the row `Dump(...)` makes from the same
findings (order, repr, hash, pickle), with the compact dict the dataclass's `__init__`
leaves (see `_row`: a dict filled at once cost the garbage collector more)."""

from __future__ import annotations

import pickle
import sys
from dataclasses import fields
from datetime import UTC, datetime
from pathlib import Path

import pytest

from builder.inputs.decode import Decoded, decode
from builder.parse.extract import _row, extract
from builder.parse.layouts.segment import Page, segment
from builder.records import Dump, RawDump

WHEN = datetime(2025, 7, 1, 12, tzinfo=UTC)
SAMPLES = Path(__file__).resolve().parents[2] / "samples" / "dumps"
DEV = Path(__file__).resolve().parents[3] / "shared" / "corpus" / "daily8-dev"


def _same(fast: Dump, plain: Dump) -> bool:
    return (
        fast == plain
        and hash(fast) == hash(plain)
        and repr(fast) == repr(plain)
        and pickle.dumps(fast) == pickle.dumps(plain)
        and list(vars(fast)) == [f.name for f in fields(Dump)]
        and sys.getsizeof(vars(fast)) == sys.getsizeof(vars(plain))
    )


def _plain(dump: Dump) -> Dump:
    """The dataclass's own `__init__` given the fields of `dump`."""
    return Dump(*(getattr(dump, f.name) for f in fields(Dump)))


def _pages() -> list[Path]:
    pages = sorted(SAMPLES.glob("*.txt"))
    if DEV.is_dir():
        pages += sorted(DEV.glob("*.txt"))
    return pages


@pytest.mark.parametrize("reason", [None, "no articles found"])
def test_a_row_is_the_row_the_dataclass_makes_at_each_step(reason: str | None) -> None:
    path = SAMPLES / "09_hashtag_listing_logo.txt"
    raw = RawDump(path.name, path.read_bytes(), WHEN, "option", url="https://example.org/x")
    decoded = decode(raw.data)
    assert isinstance(decoded, Decoded)
    page = segment(decoded.text)
    assert isinstance(page, Page)
    rows = [
        _row(raw, "d_0123456789abcdef", reason="unreadable: test"),
        _row(raw, "d_0123456789abcdef", decoded, reason="blank"),
        _row(raw, "d_0123456789abcdef", decoded, page, n_sightings=4, reason=reason),
    ]
    for fast in rows:
        assert _same(fast, _plain(fast))
        assert pickle.loads(pickle.dumps(fast)) == _plain(fast)
        with pytest.raises(AttributeError):
            fast.status = "parsed"  # type: ignore[misc]
    assert rows[2].layout == page.layout_name and rows[2].n_sightings == 4
    assert rows[2].status == ("parsed" if reason is None else "quarantined")


def test_the_comparison_can_fail() -> None:
    path = SAMPLES / "09_hashtag_listing_logo.txt"
    plain = _plain(_row(RawDump(path.name, path.read_bytes(), WHEN, "option"), "d_1"))
    shuffled = object.__new__(Dump)
    object.__setattr__(shuffled, "__dict__", dict(reversed(list(vars(plain).items()))))
    assert shuffled == plain  # equal, but its repr and pickle are not the dataclass's
    assert not _same(shuffled, plain)
    filled = object.__new__(Dump)  # a dict filled at once, in the fields' order
    object.__setattr__(filled, "__dict__", dict(vars(plain)))
    assert filled == plain and repr(filled) == repr(plain)
    assert not _same(filled, plain)  # but not the compact dict `__init__` leaves
    assert not _same(_plain(_row(RawDump("other.txt", b"x", WHEN, "option"), "d_1")), plain)


def test_every_page_gets_one_row_counting_its_sightings() -> None:
    """On every sample and real page (and bad inputs): the row made once, before the
    sightings, counts them, and is the row the dataclass makes."""
    raws = [RawDump(p.name, p.read_bytes(), WHEN, "option") for p in _pages()]
    raws += [
        RawDump("empty.txt", b"", WHEN, "option"),
        RawDump("binary.txt", bytes(range(256)) * 4, WHEN, "option"),
        RawDump("gone.txt", b"", WHEN, "option", error="file vanished"),
    ]
    parsed = 0
    for raw in raws:
        result = extract(raw)
        assert _same(result.dump, _plain(result.dump)), raw.path
        assert result.dump.n_sightings == len(result.sightings), raw.path
        assert all(s.dump_id == result.dump.dump_id for s in result.sightings)
        parsed += result.dump.status == "parsed"
    assert parsed > 0 and parsed < len(raws)
