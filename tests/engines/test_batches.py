"""A batch is parsed in two halves (each dump as it is read, then the batch's languages
and contract checks at once): what it gives must be what the per-dump stage gives, dump
for dump, with or without the cache."""

from __future__ import annotations

from datetime import UTC, datetime
from itertools import accumulate, pairwise
from pathlib import Path

from builder.engines import partitioned
from builder.engines.local import _extract_step, _read, _scratch
from builder.inputs.read import find_inputs, read_dumps
from builder.records import DumpResult, RawDump
from builder.release.cache import SUFFIX, CachedStage, decode_results
from tests.releasing import corpus

WHEN = datetime(2025, 7, 1, 12, tzinfo=UTC)
SAMPLES = Path(__file__).resolve().parents[2] / "samples" / "dumps"


def test_a_batch_gives_what_the_per_dump_stage_gives(tmp_path: Path) -> None:
    paths = [SAMPLES, corpus(tmp_path / "c", 40, seed=11)]
    raws = list(read_dumps([str(p) for p in paths], captured_at=WHEN))
    one_by_one = [partitioned.per_dump(raw) for raw in raws]
    assert any(s.language for r in one_by_one for s in r.sightings)
    assert any(r.dump.status == "quarantined" for r in one_by_one)

    batched, keys, fresh = partitioned._results(((raw, None) for raw in raws), partitioned.per_dump)
    assert batched == one_by_one and keys == [] and fresh == list(range(len(raws)))

    # Through the batch step, so that the cache is written from the batch's frame: first
    # half the inputs, then all of them (the new half beside cache hits: the frame is
    # cut to the new rows).
    folder = tmp_path / "ds" / ".cache" / "per-dump"
    cached = CachedStage(folder, partitioned.per_dump)
    settings = partitioned.Settings(3, None, 1 << 30, stage=cached)
    half = len(raws) // 2
    partitioned.extract_raws(raws[:half], settings)
    out = partitioned.extract_raws(raws, settings)
    assert out.rows == tuple(r.dump for r in one_by_one)
    files = {f: decode_results(f.read_bytes()) for f in sorted(folder.glob(f"*{SUFFIX}"))}
    assert sorted(map(len, files.values())) == sorted([half, len(raws) - half])
    # What the cache stored is the finished result (languages and checks included),
    # exactly: times come back in the very zone object they had ...
    stored = dict(pair for pairs in files.values() for pair in pairs)
    keys_in_order = [cached.lookup(raw)[0] for raw in raws]
    assert [stored[key] for key in keys_in_order] == one_by_one
    for key, result in zip(keys_in_order, one_by_one, strict=True):
        for back, s in zip(stored[key].sightings, result.sightings, strict=True):
            if s.published_at is not None:
                assert back.published_at.tzinfo is s.published_at.tzinfo  # type: ignore[union-attr]
    # ... and a further pass answers every dump from it.
    again, _, fresh = partitioned._results(
        ((raw, None) for raw in raws), CachedStage(folder, Refusing())
    )
    assert again == one_by_one and fresh == []


class Refusing:
    """A stage that must not be asked: every dump is in the cache."""

    def __call__(self, raw: RawDump) -> DumpResult:
        raise AssertionError(f"parsed again: {raw.path}")


def test_a_batch_is_cut_by_title_partition_and_dump_range_in_batch_order(
    tmp_path: Path,
) -> None:
    raws = list(
        read_dumps([str(SAMPLES), str(corpus(tmp_path / "c", 30, seed=4))], captured_at=WHEN)
    )
    n = 7
    settings = partitioned.Settings(partitions=n, captured_at=None, max_bytes=1 << 30)
    out = partitioned.extract_raws(raws, settings)
    results = [partitioned.per_dump(raw) for raw in raws]
    order = {
        (s.dump_id, s.position): i for i, s in enumerate(s for r in results for s in r.sightings)
    }
    seen = 0
    for part, payload in out.titles.items():
        rows = partitioned.read_ipc(payload).select(["title", "dump_id", "position"]).to_pylist()
        assert {partitioned.title_partition(row["title"], n) for row in rows} == {part}
        places = [order[row["dump_id"], row["position"]] for row in rows]
        assert places == sorted(places)  # the batch's order within a partition
        seen += len(rows)
    assert seen == len(order) > 0
    dump_ids = [r.dump.dump_id for r in results]
    cut = 0
    for rng, payload in out.dumps.items():
        ids = partitioned.read_ipc(payload).column("dump_id").to_pylist()
        assert {partitioned.id_range(i, n) for i in ids} == {rng}
        assert ids == [i for i in dump_ids if partitioned.id_range(i, n) == rng]
        cut += len(ids)
    assert cut == len(dump_ids)


def test_batches_keep_the_input_order_and_get_smaller_at_the_end() -> None:
    """Whole batches, then quarter batches for the last TAIL_BATCHES batches' worth of
    bytes: the workers finish close together. Every input is in one batch, in order."""
    size = 100 * 1024
    files = list(range(400))  # 40 MB of inputs
    batches = partitioned.batches_of(files, [size] * len(files))
    assert [f for batch in batches for f in batch] == files
    bytes_of = [len(batch) * size for batch in batches]
    tail_from = len(files) * size - partitioned.TAIL_BATCHES * partitioned.BATCH_BYTES
    ends = list(accumulate(bytes_of))
    whole = [b for b, end in zip(bytes_of, ends, strict=True) if end <= tail_from]
    tail = [b for b, end in zip(bytes_of, ends, strict=True) if end - b >= tail_from]
    assert len(whole) + len(tail) >= len(batches) - 1  # one batch may straddle the line
    assert whole and all(b >= partitioned.BATCH_BYTES for b in whole)
    quarter = partitioned.BATCH_BYTES // 4
    assert len(tail) > partitioned.TAIL_BATCHES
    assert all(b < quarter + size for b in tail)
    assert all(b >= quarter for b in tail[:-1])


def test_a_small_input_keeps_whole_batches() -> None:
    """Under twice the tail's bytes, batches are whole, as they always were (a few
    batches of small dumps move the progress within a batch, which tests watch)."""
    assert partitioned.batches_of(["a", "b", "c"], [10, 20, 30]) == [["a", "b", "c"]]
    size = 100 * 1024
    files = list(range(300))  # 30 MB: under twice the tail
    batches = partitioned.batches_of(files, [size] * len(files))
    assert [len(b) for b in batches[:-1]] == [41] * (len(batches) - 1)  # 4 MB each


def test_a_batch_counts_reading_and_making_its_payloads_apart(tmp_path: Path) -> None:
    """Turning a batch's results into the merge's payloads, and writing them, is `write`;
    `read` is only the reading (it once took the rest, and showed twice its time)."""
    raws = list(read_dumps([str(corpus(tmp_path / "c", 30, seed=5))], captured_at=WHEN))
    out = partitioned.extract_raws(raws, partitioned.Settings(3, None, 1 << 30))
    assert out.titles and out.timings["write"] > 0
    assert {"decode", "segment", "repair", "validate", "write"} <= set(out.timings)
    assert out.timings["read"] < out.timings["write"]  # read before: only iterated here

    files = find_inputs([str(tmp_path / "c")])
    settings = partitioned.Settings(3, WHEN, 1 << 30)
    _scratch(tmp_path / "work")
    step = _extract_step(0, files, settings, tmp_path / "work")
    assert step.out.timings["read"] > 0 and step.out.timings["write"] > 0
    assert step.titles


def test_a_batch_writes_one_file_of_titles_and_one_of_dumps_read_back_as_made(
    tmp_path: Path,
) -> None:
    """The local engine keeps a batch's payloads, one IPC stream per partition (or id
    range), one after the other in one file per kind: each piece read back from its
    memory map is the table the batch step made for it."""
    files = find_inputs([str(corpus(tmp_path / "c", 40, seed=3))])
    settings = partitioned.Settings(4, WHEN, 1 << 30)
    work = tmp_path / "work"
    _scratch(work)
    step = _extract_step(7, files, settings, work)
    made = partitioned.extract_tables(files, settings)

    assert sorted(p.relative_to(work).as_posix() for p in work.rglob("*.arrows")) == [
        "dumps/000007.arrows",
        "titles/000007.arrows",
    ]
    for pieces, tables in ((step.titles, made.titles), (step.dumps, made.dumps)):
        assert set(pieces) == set(tables) and len(tables) > 1  # several streams in one file
        for key, piece in pieces.items():
            (table,) = _read([piece])
            assert table.equals(tables[key])
    ends = sorted((p.offset, p.offset + p.length) for p in step.titles.values())
    assert ends[0][0] == 0 and all(a[1] == b[0] for a, b in pairwise(ends))
    assert ends[-1][1] == (work / "titles" / "000007.arrows").stat().st_size


def test_a_batch_step_hands_back_its_dumps_rows_only_when_asked(tmp_path: Path) -> None:
    """A pool worker pickled every dump's row and the driver unpickled it, for an
    `on_rows` callback the build did not have (the CLI's bar counts the dumps parsed):
    without one, the step returns no rows; with one, the batch's rows in order."""
    files = find_inputs([str(corpus(tmp_path / "c", 20, seed=4))])
    settings = partitioned.Settings(2, WHEN, 1 << 30)
    _scratch(tmp_path / "w1")
    _scratch(tmp_path / "w2")
    asked = _extract_step(0, files, settings, tmp_path / "w1", rows=True)
    not_asked = _extract_step(0, files, settings, tmp_path / "w2", rows=False)
    assert [d.path for d in asked.out.rows] == [f.path for f in files]
    assert not_asked.out.rows == ()
    assert not_asked.titles.keys() == asked.titles.keys()


def test_the_title_index_made_in_columns_is_the_one_made_input_by_input(tmp_path: Path) -> None:
    """`index_of` (numpy, for the batch step) gives the table TitleIndex gives when each
    input is added in turn: every input's distinct title hashes sorted, a null hash for
    an input without sightings, the key and stamp (null or not) on each row."""
    import numpy as np

    raws = list(
        read_dumps([str(SAMPLES), str(corpus(tmp_path / "c", 30, seed=6))], captured_at=WHEN)
    )
    results = [partitioned.per_dump(raw) for raw in raws]
    assert any(not r.sightings for r in results)
    titles = [s.title for r in results for s in r.sightings]
    assert len(set(titles)) < len(titles)  # titles seen twice, by one input or two
    results.append(DumpResult(results[0].dump, results[0].sightings * 2))  # one twice
    keys = [(f"key{i}", None if i % 3 else (1 << 63) + i) for i in range(len(results))]
    index = partitioned.TitleIndex()
    for (key, stamp), result in zip(keys, results, strict=True):
        index.add(key, [partitioned.title_hash(s.title) for s in result.sightings], stamp)
    hashes = [partitioned.title_hash(s.title) for r in results for s in r.sightings]
    made = partitioned.index_of(
        keys, np.array(hashes, np.uint64), [len(r.sightings) for r in results]
    )
    assert made.equals(index.table())
    assert made.column("title_hash").null_count == sum(not r.sightings for r in results) > 0
    empty = partitioned.index_of([], np.array([], np.uint64), [])
    assert empty.equals(partitioned.TitleIndex().table())


def test_title_hashes_read_from_the_article_ids_are_title_hash_of_each_title(
    tmp_path: Path,
) -> None:
    """The batch step reads each sighting's title hash from the frame's article ids in
    numpy; the value is `title_hash` of its title (what an incremental build looks titles
    up by), for a slice of the column too, and ids of another shape are read one by one."""
    import numpy as np
    import pyarrow as pa

    from builder.merge import sightings_frame

    raws = list(read_dumps([str(corpus(tmp_path / "c", 20, seed=4))], captured_at=WHEN))
    results = [partitioned.per_dump(raw) for raw in raws]
    frame = sightings_frame((r.dump, r.sightings) for r in results)
    titles = [s.title for r in results for s in r.sightings]
    expected = [partitioned.title_hash(t) for t in titles]
    hashes = partitioned.title_hashes(frame.column("article_id"))
    assert hashes.dtype == np.uint64 and hashes.tolist() == expected
    assert len(set(expected)) > 1 and max(expected) < 1 << 60
    cut = frame.slice(3, 7).column("article_id")
    assert partitioned.title_hashes(cut).tolist() == expected[3:10]
    odd = pa.chunked_array([pa.array(["a_0123456789abcdefff", "a_FF"])])  # not 18 wide
    assert partitioned.title_hashes(odd).tolist() == [0x0123456789ABCDE, 0xFF]
    upper = pa.chunked_array([pa.array(["a_ABCDEF0123456789"])])  # not lower-case hex
    assert partitioned.title_hashes(upper).tolist() == [0xABCDEF012345678]
    assert partitioned.title_hashes(pa.chunked_array([], pa.string())).tolist() == []


def test_the_publishers_read_from_the_frame_are_the_ones_read_from_the_sightings(
    tmp_path: Path,
) -> None:
    """`publishers_of` (the frame's columns) gives merge.known_publishers and
    merge.ambiguous_publishers of the sightings, glued lines (a reading without a
    publisher among them) included, and nothing ambiguous for a batch without any."""
    from dataclasses import replace

    from builder.merge import ambiguous_publishers, known_publishers, sightings_frame

    raws = list(read_dumps([str(corpus(tmp_path / "c", 40, seed=9))], captured_at=WHEN))
    results = [partitioned.per_dump(raw) for raw in raws]
    sightings = [s for r in results for s in r.sightings]
    glued = next(s for s in sightings if s.source_alternatives)
    nameless = replace(glued, source=None)  # a glued line read without a publisher
    results.append(DumpResult(results[0].dump, (nameless,)))
    sightings.append(nameless)
    frame = sightings_frame((r.dump, r.sightings) for r in results)
    known, ambiguous = partitioned.publishers_of(frame)
    assert known == known_publishers(sightings) and len(known) > 1
    assert ambiguous == ambiguous_publishers(sightings) and "" in ambiguous
    plain = [r for r in results if not any(s.source_alternatives for s in r.sightings)]
    frame = sightings_frame((r.dump, r.sightings) for r in plain)
    plain_sightings = [s for r in plain for s in r.sightings]
    assert partitioned.publishers_of(frame) == (known_publishers(plain_sightings), frozenset())
