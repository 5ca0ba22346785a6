"""The per-dump cache: a hit is exactly what the stage returns, only new dumps are
parsed again, a damaged entry or file is never trusted, and a cached build publishes
the very bytes of a full one."""

from __future__ import annotations

import hashlib
import shutil
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import pytest

import builder
from builder.engines.partitioned import per_dump
from builder.inputs.read import read_dumps
from builder.parse.extract import extract
from builder.records import DumpResult, RawDump
from builder.release import cache as cache_module
from builder.release.cache import (
    SUFFIX,
    CachedStage,
    cache_key,
    cache_path,
    decode_results,
    encode_results,
    open_cache,
    take_damaged,
)
from tests.releasing import WHEN, corpus, make, tree_hashes

SAMPLES = Path(__file__).resolve().parents[2] / "samples" / "dumps"
WHEN_AWARE = datetime.fromisoformat(WHEN.replace("Z", "+00:00"))


def _raws(*specs: Path) -> list[RawDump]:
    from datetime import datetime

    when = datetime.fromisoformat(WHEN.replace("Z", "+00:00"))
    return list(read_dumps([str(s) for s in specs], captured_at=when))


class Counting:
    """The real per-dump stage, counting the dumps it is asked to parse."""

    def __init__(self) -> None:
        self.parsed: list[str] = []

    def __call__(self, raw: RawDump) -> DumpResult:
        self.parsed.append(raw.path)
        return per_dump(raw)


def test_encoded_results_decode_to_what_extract_returned(tmp_path: Path) -> None:
    raws = _raws(SAMPLES) + _raws(corpus(tmp_path / "c", 30, seed=5))
    results = [extract(raw) for raw in raws]
    assert any(r.dump.status == "quarantined" for r in results)
    assert any(s.repairs for r in results for s in r.sightings)
    assert any(s.published_at for r in results for s in r.sightings)
    pairs = [(f"k{i}", result) for i, result in enumerate(results)]
    back = decode_results(encode_results(pairs))
    assert back == pairs
    # Exactly, not only equal: times come back in the very zone object they had.
    for (_, decoded), result in zip(back, results, strict=True):
        assert decoded.dump.captured_at.tzinfo is result.dump.captured_at.tzinfo
    assert [type(s.repairs) for _, r in back for s in r.sightings] == [
        tuple for r in results for s in r.sightings
    ]


def _files(path: Path) -> list[Path]:
    return sorted(path.glob(f"*{SUFFIX}"))


def test_second_pass_parses_only_new_and_changed_dumps(tmp_path: Path) -> None:
    root = corpus(tmp_path / "in", 20, seed=6)
    stage = Counting()
    cached = CachedStage(tmp_path / "ds" / ".cache" / "per-dump", stage)
    first = [cached(raw) for raw in _raws(root)]
    assert not _files(cached.path)  # nothing written per dump ...
    cached.flush()
    assert len(_files(cached.path)) == 1  # ... but one file per batch
    assert len(stage.parsed) == 20
    shutil.copy(root / "000003.txt", root / "copy.txt")  # same bytes, another path
    (root / "000007.txt").write_bytes((root / "000007.txt").read_bytes() + b"\n")
    stage.parsed.clear()
    again = CachedStage(cached.path, stage)
    second = [again(raw) for raw in _raws(root)]
    assert sorted(stage.parsed) == ["000007.txt", "copy.txt"]
    same = [r for r in second if r.dump.path not in ("000007.txt", "copy.txt")]
    assert same == [r for r in first if r.dump.path != "000007.txt"]
    assert second == [per_dump(raw) for raw in _raws(root)]


def test_the_parse_reuses_the_hash_the_key_took(tmp_path: Path) -> None:
    """One sha256 per dump: the key and the dumps row share it."""
    raw = _raws(SAMPLES / "01_logo_article.txt")[0]
    assert "sha256" not in vars(raw)
    key, result = CachedStage(tmp_path / "c", per_dump).keyed(raw)
    assert vars(raw)["sha256"] == result.dump.sha256 == hashlib.sha256(raw.data).hexdigest()
    assert key == cache_key(raw, result.dump.sha256)


def test_key_holds_everything_the_result_depends_on(monkeypatch: pytest.MonkeyPatch) -> None:
    raw = _raws(SAMPLES / "01_logo_article.txt")[0]
    sha = "0" * 64
    key = cache_key(raw, sha)
    others = {
        cache_key(replace(raw, path="elsewhere.txt"), sha),
        cache_key(replace(raw, captured_at=raw.captured_at.replace(year=2024)), sha),
        cache_key(replace(raw, captured_at_source="mtime"), sha),
        cache_key(replace(raw, url="https://example.org/a"), sha),
        cache_key(raw, "1" * 64),
    }
    monkeypatch.setattr(builder, "PARSER_VERSION", "999")
    others.add(cache_key(raw, sha))
    monkeypatch.setattr(builder, "__version__", "999.0.0")
    others.add(cache_key(raw, sha))
    assert key not in others and len(others) == 7


def _build_cache(root: Path, folder: Path, stage: Counting) -> list[DumpResult]:
    cached = CachedStage(folder, stage)
    results = [cached(raw) for raw in _raws(root)]
    cached.flush()
    return results


def test_a_damaged_file_is_set_aside_and_its_dumps_parsed_again(tmp_path: Path) -> None:
    root = corpus(tmp_path / "in", 5, seed=7)
    folder = tmp_path / "c"
    stage = Counting()
    expected = _build_cache(root, folder, stage)
    [path] = _files(folder)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF  # one flipped bit in the middle: still an Arrow file
    path.write_bytes(bytes(data))
    stage.parsed.clear()
    again = _build_cache(root, folder, stage)
    assert again == expected and len(stage.parsed) == 5
    assert take_damaged(folder) == 1 and take_damaged(folder) == 0
    assert len(_files(folder)) == 1  # written again, intact


@pytest.mark.parametrize("damage", [b"", b"ARROW1\x00\x00" + b"\xff" * 300, b"not arrow"])
def test_a_torn_or_foreign_file_is_never_read(tmp_path: Path, damage: bytes) -> None:
    root = corpus(tmp_path / "in", 5, seed=8)
    folder = tmp_path / "c"
    folder.mkdir()
    (folder / f"{'0' * 32}{SUFFIX}").write_bytes(damage)
    (folder / f".{'1' * 32}{SUFFIX}.999999999.tmp").write_bytes(b"half")  # a killed run
    open_cache(folder)
    assert sorted(p.name for p in folder.iterdir()) == [f"{'0' * 32}.damaged"]
    stage = Counting()
    results = _build_cache(root, folder, stage)
    assert results == [per_dump(raw) for raw in _raws(root)] and len(stage.parsed) == 5
    assert take_damaged(folder) == 1


def test_files_of_other_code_are_removed_when_the_cache_opens(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = corpus(tmp_path / "in", 3, seed=11)
    folder = tmp_path / "c"
    _build_cache(root, folder, Counting())
    assert len(_files(folder)) == 1
    open_cache(folder)
    assert len(_files(folder)) == 1  # this code's file stays
    monkeypatch.setattr(cache_module, "_metadata", lambda: {"format": "2", "code": "other"})
    open_cache(folder)
    assert _files(folder) == [] and take_damaged(folder) == 0  # stale, not damaged


def test_an_older_builders_sqlite_cache_is_removed(tmp_path: Path) -> None:
    folder = tmp_path / "ds" / ".cache" / "per-dump"
    folder.parent.mkdir(parents=True)
    (folder.parent / "per-dump.sqlite").write_bytes(b"SQLite format 3\x00")
    open_cache(folder)
    assert not (folder.parent / "per-dump.sqlite").exists()


def test_incremental_and_full_builds_publish_identical_releases(tmp_path: Path) -> None:
    root = tmp_path / "in"
    corpus(root / "a", 30, seed=9)
    cached, full = tmp_path / "cached", tmp_path / "full"
    make(str(root), "--out", str(cached))
    shutil.copytree(cached, full)
    shutil.rmtree(full / ".cache")
    assert _files(cache_path(cached))
    assert not any(".cache" in str(p) for p in (cached / "versions").rglob("*"))
    corpus(root / "b", 2, seed=10)
    assert make(str(root), "--out", str(cached))["version"] == "1.1.0"
    assert make(str(root), "--out", str(full), "--no-cache")["version"] == "1.1.0"
    assert not (full / ".cache").exists()  # --no-cache neither reads nor writes it
    assert tree_hashes(cached) == tree_hashes(full)
    files = _files(cache_path(cached))
    assert len(files) == 2  # one per batch (30 dumps, then 2), not one entry per dump
    assert sum(len(decode_results(p.read_bytes())) for p in files) == 32


def test_walks_know_the_cache_folder_by_its_name() -> None:
    """`inputs` cannot import `release`, so it repeats the names: they must agree."""
    from builder.inputs import skipped
    from builder.release.cache import CACHE_DIR, CACHE_FOLDER

    assert skipped._CACHE[:2] == (CACHE_DIR, CACHE_FOLDER)


def test_the_build_warns_of_a_damaged_cache_file_and_removes_it(tmp_path: Path) -> None:
    out = tmp_path / "ds"
    first = make(str(SAMPLES), "--out", str(out))
    [path] = _files(cache_path(out))
    path.write_bytes(path.read_bytes()[:100])  # torn: Arrow cannot open it
    again = make(str(SAMPLES), "--out", str(out), "--workers", "1")
    assert not again["published"]  # the same release: nothing to publish
    assert any("damaged file(s) in the per-dump cache" in w for w in again["warnings"])
    assert first["warnings"] == [w for w in again["warnings"] if "per-dump cache" not in w]
    assert not list(cache_path(out).glob("*.damaged"))  # removed once reported


def test_the_sightings_column_cut_from_the_frame_is_the_one_made_from_the_objects(
    tmp_path: Path,
) -> None:
    """The batch step writes the cache from its sightings frame (one encoding): the
    column must be what the objects give, and anything else must be refused."""
    from datetime import timedelta, timezone

    from builder.merge import sightings_frame
    from builder.records import Sighting
    from builder.release.cache import _list_of, sightings_column

    results = [per_dump(raw) for raw in _raws(SAMPLES) + _raws(corpus(tmp_path / "c", 30, seed=8))]
    sightings = [s for r in results for s in r.sightings]
    assert any(s.repairs for s in sightings) and any(s.published_at for s in sightings)
    frame = sightings_frame((r.dump, r.sightings) for r in results)
    column = sightings_column(frame, results)
    assert column is not None
    assert column.equals(_list_of(Sighting, [r.sightings for r in results]))
    # Not the frame of these results: refused.
    assert sightings_column(frame, results[1:]) is None
    full = [i for i, r in enumerate(results) if len(r.sightings) > 1]
    swapped = list(results)
    swapped[full[0]] = replace(
        results[full[0]], sightings=tuple(reversed(results[full[0]].sightings))
    )
    assert sightings_column(frame, swapped) is None
    # A time not in UTC would come back in UTC: refused, as `_list_of` refuses it.
    when = next(s for s in sightings if s.published_at)
    elsewhere = when.published_at.astimezone(timezone(timedelta(hours=2)))  # type: ignore[union-attr]
    moved = [
        replace(
            r,
            sightings=tuple(
                replace(s, published_at=elsewhere) if s is when else s for s in r.sightings
            ),
        )
        for r in results
    ]
    assert sightings_column(sightings_frame((r.dump, r.sightings) for r in moved), moved) is None


def test_a_frame_of_other_dumps_or_an_alternative_time_elsewhere_is_refused(
    tmp_path: Path,
) -> None:
    """The frame's rows are told from the objects' by dump id as well as by position:
    two dumps with as many sightings, swapped, are not the same rows; and a source
    alternative's time outside UTC is refused like a sighting's."""
    from datetime import timedelta, timezone

    from builder.merge import sightings_frame
    from builder.release.cache import sightings_column

    results = [per_dump(raw) for raw in _raws(corpus(tmp_path / "c", 40, seed=9))]
    frame = sightings_frame((r.dump, r.sightings) for r in results)
    assert sightings_column(frame, results) is not None
    by_count: dict[int, list[int]] = {}
    for i, r in enumerate(results):
        by_count.setdefault(len(r.sightings), []).append(i)
    a, b = next(pair[:2] for pair in by_count.values() if len(pair) > 1)
    swapped = list(results)
    swapped[a], swapped[b] = results[b], results[a]
    assert sightings_column(frame, swapped) is None

    with_alt = next(
        (
            s
            for r in results
            for s in r.sightings
            if any(x.published_at for x in s.source_alternatives)
        ),
        None,
    )
    if with_alt is None:  # the generator writes glued headers; make sure one is here
        pytest.fail("no sighting with a timed source alternative in the corpus")
    alt = next(x for x in with_alt.source_alternatives if x.published_at)
    moved_alt = replace(
        alt, published_at=alt.published_at.astimezone(timezone(timedelta(hours=-5)))
    )  # type: ignore[union-attr]
    moved_sighting = replace(
        with_alt,
        source_alternatives=tuple(
            moved_alt if x is alt else x for x in with_alt.source_alternatives
        ),
    )
    moved = [
        replace(r, sightings=tuple(moved_sighting if s is with_alt else s for s in r.sightings))
        for r in results
    ]
    assert sightings_column(sightings_frame((r.dump, r.sightings) for r in moved), moved) is None


def test_key_tells_apart_equal_times_in_other_zones_and_odd_paths() -> None:
    """The key formats the capture time of the object it is given (reused by identity
    only): an equal instant in another zone, asked for between two asks of the same
    dump, is another key, and the same dump keeps its key. A path that is not valid
    UTF-8 (a lone surrogate from the file system) is keyed, not an error."""
    from datetime import timedelta, timezone

    raw = _raws(SAMPLES / "01_logo_article.txt")[0]
    sha = "0" * 64
    first = cache_key(raw, sha)
    elsewhere = replace(raw, captured_at=raw.captured_at.astimezone(timezone(timedelta(hours=2))))
    assert elsewhere.captured_at == raw.captured_at
    assert cache_key(elsewhere, sha) != first
    assert cache_key(raw, sha) == first
    odd = replace(raw, path="caf\udce9.txt")
    assert cache_key(odd, sha) not in (first, cache_key(replace(raw, path="caf\\udce9.txt"), sha))


def test_the_sightings_column_of_a_frame_in_chunks_is_the_same(tmp_path: Path) -> None:
    """A frame's one chunk is used as it is; a frame in several chunks gives the same
    column."""
    import pyarrow as pa

    from builder.merge import sightings_frame
    from builder.release.cache import sightings_column

    results = [per_dump(raw) for raw in _raws(corpus(tmp_path / "c", 12, seed=12))]
    whole = sightings_frame((r.dump, r.sightings) for r in results)
    halves = pa.concat_tables(
        [
            sightings_frame((r.dump, r.sightings) for r in results[:6]),
            sightings_frame((r.dump, r.sightings) for r in results[6:]),
        ]
    )
    assert halves.column("text").num_chunks == 2
    one, two = sightings_column(whole, results), sightings_column(halves, results)
    assert one is not None and two is not None and one.equals(two)
    assert decode_results(encode_results([("k", r) for r in results], one)) == [
        ("k", r) for r in results
    ]


def test_a_flush_from_the_batch_s_tables_writes_the_file_the_objects_write(
    tmp_path: Path,
) -> None:
    """Given the frame and dumps table the batch step made of the very results it put,
    the store takes their columns as they are: the file is byte for byte the one made
    from the objects (same name, the hash of its bytes). Other results than those put,
    or a capture time the tables hold in UTC only, fall back to the objects."""
    from datetime import timedelta, timezone

    from builder.engines.partitioned import dumps_table
    from builder.merge import all_utc, sightings_frame
    from builder.release.cache import Store, dumps_column

    results = [per_dump(raw) for raw in _raws(SAMPLES) + _raws(corpus(tmp_path / "c", 20, seed=9))]
    assert any(r.dump.status == "quarantined" for r in results)

    def written(folder: Path, *tables: object, put: list[DumpResult] = results) -> list[Path]:
        store = Store(folder)
        for i, result in enumerate(put):
            store.put(f"k{i}", result)
        store.flush(*tables)  # type: ignore[arg-type]
        return sorted(folder.glob(f"*{SUFFIX}"))

    frame = sightings_frame((r.dump, r.sightings) for r in results)
    dumps = dumps_table([r.dump for r in results])
    plain = written(tmp_path / "plain")
    assert len(plain) == 1
    assert [p.name for p in written(tmp_path / "tables", frame, results, dumps)] == [plain[0].name]
    assert [p.name for p in written(tmp_path / "frame", frame)] == [plain[0].name]
    # The batch step's word that every time is in UTC (merge.all_utc), as it gives it.
    assert all_utc([s for r in results for s in r.sightings])
    utc = written(tmp_path / "utc", frame, results, dumps, True)
    assert [p.name for p in utc] == [plain[0].name]
    # Equal results, not the ones put: the frame's rows are compared, the dumps read.
    copies = [replace(r) for r in results]
    assert [p.name for p in written(tmp_path / "copies", frame, copies, dumps)] == [plain[0].name]
    copied = written(tmp_path / "copies-utc", frame, copies, dumps, True)
    assert [p.name for p in copied] == [plain[0].name]
    assert dumps_column(dumps, results) is not None
    # A capture time in another zone: the objects path refuses it, and so does this one.
    other = timezone(timedelta(hours=3))
    moved = [
        replace(r, dump=replace(r.dump, captured_at=WHEN_AWARE.astimezone(other))) for r in results
    ]
    moved_dumps = dumps_table([r.dump for r in moved])
    assert dumps_column(moved_dumps, moved) is None
    assert written(tmp_path / "moved", None, moved, moved_dumps, put=moved) == []
    assert written(tmp_path / "moved-plain", put=moved) == []
