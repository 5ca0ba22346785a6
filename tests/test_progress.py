"""The progress bar moves per dump (issue 12, point 11) on every path: the incremental
rebuild and the Dask engine as well as the local full build, and then through merge,
collect, check and write. Seen through the real `builder`, as on a terminal (the bar
with its dump count) and behind pipes (no bar, no control characters)."""

from __future__ import annotations

import re
import shutil
from datetime import datetime
from pathlib import Path

import pytest

from builder.build import build
from builder.engines import partitioned
from tests.helpers import corpus_module
from tests.terminal import Run, on_terminal, piped

WHEN = "2025-07-01T12:00:00Z"
#: The count rich prints beside the bar: "parsing ━━━━ 123/400".
_COUNT = re.compile(r"parsing\b[^\n\r]*?(\d+)/(\d+|\?)")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def _corpus(folder: Path, n: int, seed: int, mean_size: int = 3000) -> Path:
    """`n` generated dumps in `folder`."""
    corpus_module().generate_corpus(folder, n, seed=seed, mean_size=mean_size)
    (folder / "truth.json").unlink()
    return folder


def _one_full_batch(folder: Path, seed: int) -> Path:
    """1,000 generated dumps just under one batch's bytes: as much parsing as one batch
    holds, so that a bar has time to move within it (at 3 KB a dump, parsing got fast
    enough for the whole batch to come back between two redraws)."""
    _corpus(folder, 1000, seed, mean_size=3800)
    size = sum(p.stat().st_size for p in folder.iterdir())
    assert 3_500_000 < size < partitioned.BATCH_BYTES, size  # one batch, and a full one
    return folder


def _add_variants(folder: Path, count: int) -> None:
    """New dumps beside the old: the first `count` pages seen again a day later (the
    same titles and publishers, so a rebuild can be incremental)."""
    for path in sorted(folder.glob("*.txt"))[:count]:
        (folder / f"v-{path.name}").write_bytes(path.read_bytes() + b"\nShared on a new day.\n")


def _counts(run: Run) -> list[int]:
    """Every dump count the parsing bar showed on the terminal, in order."""
    return [int(m.group(1)) for m in _COUNT.finditer(run.stdout)]


def _no_bar_behind_pipes(run: Run) -> None:
    assert run.code == 0, run.stderr
    assert "parsing" not in run.stderr and "━" not in run.stderr
    assert not _CONTROL.search(run.stdout.replace("\n", "")), repr(run.stdout[:200])
    assert not _CONTROL.search(run.stderr.replace("\n", "")), repr(run.stderr[:200])


# --- incremental rebuilds ------------------------------------------------------------------


def _stages(seen: list[tuple[str, int, int | None]]) -> list[str]:
    names: list[str] = []
    for name, _, _ in seen:
        if not names or names[-1] != name:
            names.append(name)
    return names


def test_an_incremental_rebuild_moves_per_dump_then_through_merge_and_write(
    tmp_path: Path,
) -> None:
    dumps = _corpus(tmp_path / "dumps", 60, seed=3)
    out = tmp_path / "ds"
    assert piped("make", str(dumps), "--out", str(out), "--captured-at", WHEN, "-q").code == 0
    _add_variants(dumps, 40)
    seen: list[tuple[str, int, int | None]] = []
    rows: list[object] = []
    report = build(
        [str(dumps)],
        out,
        captured_at=datetime.fromisoformat(WHEN),
        workers=1,
        on_dump=rows.append,
        on_stage=lambda name, done, total: seen.append((name, done, total)),
    )
    assert report.incremental is not None, report.message
    assert report.incremental["new_dumps"] == 40
    parsing = [done for name, done, _ in seen if name == "parsing"]
    # the dumps not read again count at once, then every dump read adds one
    assert parsing == list(range(parsing[0], 101)), parsing
    assert len(parsing) >= 41  # at least one step per new dump (was: none at all)
    assert _stages(seen) == ["parsing", "merging", "collecting", "checking", "writing"]
    assert len(rows) == 40


@pytest.mark.slow
def test_an_incremental_rebuild_on_a_terminal_shows_the_dump_count_moving(
    tmp_path: Path,
) -> None:
    # Long pages: at most 256 new dumps are parsed incrementally, and 256 short ones took
    # 0.3 s, a frame or two of the bar.
    dumps = _corpus(tmp_path / "dumps", 300, seed=5, mean_size=20_000)
    out = tmp_path / "ds"
    assert piped("make", str(dumps), "--out", str(out), "--captured-at", WHEN, "-q").code == 0
    _add_variants(dumps, 250)
    piped_copy = tmp_path / "ds-piped"
    shutil.copytree(out, piped_copy)

    run = on_terminal(
        "make", str(dumps), "--out", str(out), "--captured-at", WHEN, "--workers", "1",
        columns=120,
    )  # fmt: skip
    assert run.code == 0, run.stdout[-2000:]
    assert "incremental: 250 new dump(s) parsed" in " ".join(run.lines(run.stdout))
    counts = _counts(run)
    assert counts and max(counts) <= 550, counts
    assert len({c for c in counts if 0 < c < 550}) >= 2, counts  # it moved while parsing
    assert all(f"/{550}" in m.group(0) for m in _COUNT.finditer(run.stdout))  # of all dumps

    behind_pipes = piped("make", str(dumps), "--out", str(piped_copy), "--captured-at", WHEN)
    _no_bar_behind_pipes(behind_pipes)
    assert "incremental: 250 new dump(s) parsed" in " ".join(behind_pipes.stdout.split())


# --- the Dask engine ---------------------------------------------------------------------


@pytest.mark.slow
def test_dask_moves_within_a_batch_then_per_partition(tmp_path: Path) -> None:
    """1000 small dumps are one batch (just under 4 MB of input): the count moves before it is
    back, from the workers' events, and merge and collect move per partition."""
    dumps = _one_full_batch(tmp_path / "dumps", seed=7)
    seen: list[tuple[str, int, int | None]] = []
    rows: list[object] = []
    build(
        [str(dumps)],
        tmp_path / "ds",
        engine="dask",
        workers=2,
        cache=False,
        on_dump=rows.append,
        on_stage=lambda name, done, total: seen.append((name, done, total)),
    )
    assert len(rows) == 1000
    parsing = [done for name, done, _ in seen if name == "parsing"]
    assert parsing == sorted(parsing) and parsing[-1] == 1000
    assert len({d for d in parsing if 0 < d < 1000}) >= 2, parsing  # was: 0, then 1000
    assert _stages(seen) == ["parsing", "merging", "collecting", "checking", "writing"]
    for stage in ("merging", "collecting"):
        steps = [(done, total) for name, done, total in seen if name == stage]
        total = steps[0][1]
        assert total is not None and [d for d, _ in steps] == list(range(total + 1))


@pytest.mark.slow
def test_dask_on_a_terminal_shows_the_dump_count_moving_and_nothing_behind_pipes(
    tmp_path: Path,
) -> None:
    dumps = _one_full_batch(tmp_path / "dumps", seed=8)
    common = ["--captured-at", WHEN, "--engine", "dask", "--workers", "2", "--no-cache"]
    run = on_terminal("make", str(dumps), "--out", str(tmp_path / "a"), *common, columns=120)
    assert run.code == 0, run.stdout[-2000:]
    counts = _counts(run)
    assert counts and max(counts) <= 1000
    assert len({c for c in counts if 0 < c < 1000}) >= 2, counts
    _no_bar_behind_pipes(piped("make", str(dumps), "--out", str(tmp_path / "b"), *common))
