"""Same answer everywhere: the local engine with any number of workers, the in-memory
reference merge and Dask on a real LocalCluster write byte-identical releases."""

from __future__ import annotations

import hashlib
import json
import shutil
import time
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pytest

from builder import PARSER_VERSION, __version__, timing
from builder.contract.tables import to_tables
from builder.engines import partitioned
from builder.engines.spill import SpilledTable, held
from builder.inputs.read import iter_dumps
from builder.inputs.walk import find_inputs
from builder.merge import merge
from builder.release.diff import first_release
from builder.release.publish import publish_release
from builder.report import write_version_files
from tests.helpers import corpus_module, run_cli

SAMPLES = Path(__file__).resolve().parents[2] / "samples" / "dumps"
WHEN = "2025-07-01T12:00:00Z"


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Generated dumps (hot cards, glued publishers) plus the samples (JSON Lines,
    quarantined inputs), with partitions small enough that there are many."""
    root = tmp_path_factory.mktemp("corpus")
    corpus_module().generate_corpus(root / "gen", 240, seed=3)
    (root / "gen" / "truth.json").unlink()
    shutil.copytree(SAMPLES, root / "samples")
    return root


@pytest.fixture(autouse=True)
def small_partitions(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(partitioned, "PARTITION_BYTES", 64 * 1024)
    monkeypatch.setattr(partitioned, "BATCH_BYTES", 48 * 1024)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1751371200")


def digests(release: Path) -> dict[str, str]:
    return {
        str(p.relative_to(release)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(release.rglob("*"))
        if p.is_file()
    }


def make(corpus: Path, out: Path, *extra: str) -> dict[str, str]:
    result = run_cli("make", str(corpus), "--out", str(out), "--captured-at", WHEN, "-q", *extra)
    assert result.exit_code == 0, result.output
    return digests(out / "versions" / "1.0.0")


def reference(corpus: Path, out: Path) -> dict[str, str]:
    """Everything in memory at once, as the builder did before partitioning."""
    when = datetime(2025, 7, 1, 12, tzinfo=UTC)
    raws = iter_dumps(find_inputs([str(corpus)]), captured_at=when)
    merged = merge([partitioned.per_dump(raw) for raw in raws])
    publish_release(
        out,
        to_tables(merged),
        version="1.0.0",
        settings={
            "captured_at": when.isoformat(),
            "max_bytes": 32 * 1024 * 1024,
            "parser_version": PARSER_VERSION,
            "builder_version": __version__,
        },
        inputs=[
            {"path": d.path, "sha256": d.sha256, "size_bytes": d.size_bytes} for d in merged.dumps
        ],
        bump_reason=first_release(
            "1.0.0", {"dumps": len(merged.dumps), "articles": len(merged.articles)}
        ).reason,
        extra_files=lambda folder, final: write_version_files(folder, out, placed_at=final),
    )
    return digests(out / "versions" / "1.0.0")


@pytest.mark.slow
def test_partitioned_build_equals_the_in_memory_merge_for_any_worker_count(
    corpus: Path, tmp_path: Path
) -> None:
    expected = reference(corpus, tmp_path / "ref")
    assert make(corpus, tmp_path / "w1", "--workers", "1") == expected
    assert make(corpus, tmp_path / "w2", "--workers", "2") == expected
    assert make(corpus, tmp_path / "w3", "--workers", "3") == expected


@pytest.mark.slow
def test_dask_on_a_local_cluster_writes_the_same_release(corpus: Path, tmp_path: Path) -> None:
    distributed = pytest.importorskip("distributed")
    local = make(corpus, tmp_path / "local")
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        on_dask = make(
            corpus, tmp_path / "dask", "--engine", "dask", "--scheduler", cluster.scheduler_address
        )
    assert on_dask == local


def test_dask_reads_fsspec_urls(corpus: Path, tmp_path: Path) -> None:
    """A file:// URL stands in for s3://: listing and reading go through fsspec."""
    pytest.importorskip("distributed")
    local = make(corpus / "samples", tmp_path / "local")
    url = (corpus / "samples").as_uri()
    result = run_cli(
        "make", url, "--out", str(tmp_path / "url"), "--captured-at", WHEN, "-q",
        "--engine", "dask", "--workers", "1",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert digests(tmp_path / "url" / "versions" / "1.0.0") == local


def test_the_report_says_where_the_time_went(corpus: Path, tmp_path: Path) -> None:
    result = run_cli(
        "make", str(corpus / "samples"), "--out", str(tmp_path / "o"), "--json",
        "--captured-at", WHEN,
    )  # fmt: skip
    timings = json.loads(result.output)["timings_s"]
    assert list(timings) == list(timing.STAGES)
    assert all(seconds >= 0 for seconds in timings.values()) and timings["write"] > 0


def test_unknown_engine_is_a_one_line_error(tmp_path: Path) -> None:
    result = run_cli("make", str(SAMPLES), "--out", str(tmp_path / "o"), "--engine", "spark")
    assert result.exit_code == 2 and "unknown engine" in result.output


def test_spilled_table_slices_are_the_rows_in_order(tmp_path: Path) -> None:
    table = pa.table({"k": list(range(23)), "v": [str(i) * (i % 4) for i in range(23)]})
    files = []
    for index, (start, length) in enumerate([(0, 5), (5, 0), (5, 11), (16, 7)]):
        path = tmp_path / f"{index}.arrows"
        with pa.OSFile(str(path), "wb") as sink, pa.ipc.new_stream(sink, table.schema) as writer:
            writer.write_table(table.slice(start, length))
        files.append(path)
    spilled = SpilledTable(table.schema, tuple(files), table.num_rows)
    chunked = pa.concat_tables([table.slice(0, 9), table.slice(9, 0), table.slice(9)])
    for whole in (spilled, held(chunked)):  # on disk, or held by an incremental build
        for step, start, stop in [(4, 0, 23), (7, 3, 20), (50, 0, 23), (1, 22, 23), (5, 9, 9)]:
            pieces = list(whole.slices(step, start, stop))
            assert all(p.num_rows == step for p in pieces[:-1])
            got = pa.concat_tables(pieces) if pieces else table.slice(0, 0)
            assert got.equals(table.slice(start, stop - start))
        assert whole.read_all().equals(table)


def test_remote_listing_follows_the_local_rules(tmp_path: Path) -> None:
    """fsspec URLs are listed like local folders: a walk takes the dump formats only
    and no hidden file, and two folders' `page.txt` get two paths."""
    pytest.importorskip("distributed")
    from builder.engines.dask import list_remote

    for name in ("a", "b"):
        (tmp_path / name / "deep").mkdir(parents=True)
        (tmp_path / name / "page.txt").write_text(f"page of {name}", encoding="utf-8")
        (tmp_path / name / "deep" / "crawl.jsonl").write_text('{"text": "t"}\n', "utf-8")
        (tmp_path / name / "notes.md").write_text("# notes", encoding="utf-8")
        (tmp_path / name / ".hidden.txt").write_text("hidden", encoding="utf-8")
    specs = [str(tmp_path / "b"), str(tmp_path / "a")]
    local = [(f.path, f.kind) for f in find_inputs(specs)]
    remote = [(f.path, f.kind) for f in list_remote([Path(s).as_uri() for s in specs])]
    assert remote == local
    assert [p for p, _ in local] == [
        "a/deep/crawl.jsonl",
        "a/page.txt",
        "b/deep/crawl.jsonl",
        "b/page.txt",
    ]


def _sleep_then(value: int, seconds: float) -> int:
    time.sleep(seconds)
    return value


def test_a_dask_result_is_waited_for_with_the_progress_polled() -> None:
    """The driver waits on a future's done callback, polling the progress meanwhile, and
    gets its result (or its error) once: no `result(timeout=...)`, whose race with the
    result raised UnboundLocalError in distributed (dask/distributed#8514)."""
    distributed = pytest.importorskip("distributed")
    from builder.engines.dask import PROGRESS_EVERY_S, _result

    polls: list[float] = []
    with (
        distributed.LocalCluster(
            n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        slow = client.submit(_sleep_then, 7, 5 * PROGRESS_EVERY_S, pure=False)
        assert _result(slow, lambda: polls.append(time.monotonic())) == 7
        assert len(polls) >= 3  # polled while it ran
        done = client.submit(_sleep_then, 8, 0.0, pure=False)
        distributed.wait(done)
        assert _result(done, lambda: polls.append(-1.0)) == 8  # already done: no wait
        failing = client.submit(_sleep_then, 9, "not a number", pure=False)
        with pytest.raises(TypeError):
            _result(failing, lambda: None)
