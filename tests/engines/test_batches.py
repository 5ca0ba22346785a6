"""A batch is parsed in two halves (each dump as it is read, then the batch's languages
and contract checks at once): what it gives must be what the per-dump stage gives, dump
for dump, with or without the cache."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from builder.engines import partitioned
from builder.inputs.read import read_dumps
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

    batched, keys = partitioned._results(((raw, None) for raw in raws), partitioned.per_dump)
    assert batched == one_by_one and keys == []

    folder = tmp_path / "ds" / ".cache" / "per-dump"
    cached = CachedStage(folder, partitioned.per_dump)
    first, first_keys = partitioned._results(((raw, None) for raw in raws), cached)
    assert first == one_by_one
    assert [key for key, _ in first_keys] == [cached.lookup(raw)[0] for raw in raws]
    # What the cache stored is the finished result (languages and checks included) ...
    stored = dict(
        p for f in sorted(folder.glob(f"*{SUFFIX}")) for p in decode_results(f.read_bytes())
    )
    assert [stored[key] for key, _ in first_keys] == one_by_one
    # ... and a second pass answers every dump from it.
    again, _ = partitioned._results(((raw, None) for raw in raws), CachedStage(folder, Refusing()))
    assert again == one_by_one


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
