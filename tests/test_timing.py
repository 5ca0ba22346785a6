"""Stage timings: what `timed_items` counts and leaves to the caller, how a build's wall
time is handed to its stages, and that the real CLI's stages add up to its wall time."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from builder import timing
from tests.releasing import BUILDER, WHEN, builder_env

SAMPLES = Path(__file__).resolve().parents[1] / "samples" / "dumps"


class Clock:
    """A perf_counter that moves only when told to."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_timed_items_counts_producing_items_not_using_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clock = Clock()
    monkeypatch.setattr(timing, "perf_counter", clock)

    def produce() -> Iterator[int | None]:
        for value in (1, None, 3):
            clock.now += 2.0  # reading a file, say
            yield value
        clock.now += 0.5  # finding there is no more

    timing.take()
    seen = []
    for item in timing.timed_items(produce(), "read"):
        seen.append(item)
        clock.now += 10.0  # the caller's work: not "read"
    assert seen == [1, None, 3]  # None is an item, not the end
    assert timing.take() == {"read": 6.5}


def test_a_wall_hands_every_interval_to_one_stage(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = Clock()
    monkeypatch.setattr(timing, "perf_counter", clock)
    clock.now = 10.0
    wall = timing.Wall(started=9.0)  # the process started a second before
    wall.lap("startup")
    clock.now = 12.0
    # A pool step: two workers, 4 s of parsing and 2 s of reading in 2 s of wall time.
    wall.spread({"repair": 4.0, "read": 2.0}, "read")
    clock.now = 12.5
    wall.spread({}, "merge")  # nothing timed inside: all of it to the default
    clock.now = 13.0
    wall.lap("check")
    assert wall.elapsed() == 4.0
    assert wall.stages == pytest.approx(
        {"startup": 1.0, "repair": 4 / 3, "read": 2 / 3, "merge": 0.5, "check": 0.5}
    )
    assert sum(wall.report().values()) == pytest.approx(wall.elapsed(), abs=0.01)
    assert list(wall.report()) == list(timing.STAGES)


def test_the_process_age_is_the_time_since_the_interpreter_started() -> None:
    """A fresh interpreter that sleeps a little, then asks: the sleep and its start-up."""
    code = "import time; time.sleep(0.3); from builder import timing; print(timing.process_age())"
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    outside = time.perf_counter() - started
    age = float(done.stdout)
    assert 0.3 <= age <= outside + 0.02  # the kernel counts in ticks of 10 ms


def test_the_stages_add_up_to_the_wall_time_a_user_sees(tmp_path: Path) -> None:
    """The real console script on the samples: its stages add up to its wall time
    within 5%, and that wall time runs from the process's start (imports included) to
    its report, which is what `time builder make` shows but the exit."""
    command = [BUILDER, "make", str(SAMPLES), "--out", str(tmp_path / "ds"), "--json"]
    started = time.perf_counter()
    done = subprocess.run(
        [*command, "--captured-at", WHEN],
        env=builder_env(),
        capture_output=True,
        text=True,
        check=False,
    )
    outside = time.perf_counter() - started
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    stages, elapsed = report["timings_s"], report["elapsed_s"]
    assert list(stages) == list(timing.STAGES)
    assert abs(sum(stages.values()) - elapsed) <= 0.05 * elapsed, stages
    # Each of these ran and has a stage of its own.
    for stage in ("startup", "repair", "cache", "merge", "write", "check", "publish", "report"):
        assert stages[stage] > 0, (stage, stages)
    # From the process's start: only the spawn and the exit are outside it.
    assert elapsed <= outside
    assert outside - elapsed <= max(0.05 * outside, 0.3), (outside, elapsed)
