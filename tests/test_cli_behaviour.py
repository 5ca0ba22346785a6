"""A CLI that behaves (issue 12, point 11): the real `builder`, on a terminal and behind
pipes. Errors are one line however they are shown, JSON when JSON was asked for;
options are checked before any input is read; flags look like flags in --help; Ctrl-C
stops a build with a pool at once."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest

from builder import __version__
from builder.build import build
from builder.engines import partitioned
from tests.helpers import ROOT, corpus_module, parsing
from tests.terminal import BUILDER, Run, env, on_terminal, piped

SAMPLES = ROOT / "samples" / "dumps"
WHEN = "2025-07-01T12:00:00Z"
WAYS = {"pipes": piped, "terminal": on_terminal}


def _one_error_line(run: Run, text: str) -> str:
    assert "Traceback" not in run.stdout + run.stderr
    lines = run.lines(text)
    assert len(lines) == 1, lines
    assert lines[0].startswith("error: "), lines
    assert "╭" not in lines[0] and "│" not in lines[0]  # no rich panel around it
    return lines[0]


def _error_line(run: Run) -> str:
    """The error as the user sees it: stderr behind pipes, the screen on a terminal
    (where the progress bar drew and erased itself before it)."""
    if run.stderr:
        return _one_error_line(run, run.stderr)
    assert "Traceback" not in run.stdout
    screen = run.lines(run.stdout)
    lines = [line for line in screen if "error:" in line]
    assert len(lines) == 1, lines
    assert screen[-1] == lines[0], screen  # nothing after it: not wrapped onto more lines
    line = lines[0][lines[0].index("error:") :]
    assert "╭" not in line and "│" not in line
    return line


@pytest.mark.parametrize("way", WAYS)
def test_top_level_version_prints_the_program_version(way: str) -> None:
    run = WAYS[way]("--version")
    assert run.code == 0
    assert run.lines(run.stdout) == [__version__]


@pytest.mark.parametrize("way", WAYS)
def test_a_bad_release_version_fails_before_any_input_is_read(way: str, tmp_path: Path) -> None:
    out = tmp_path / "ds"
    run = WAYS[way]("make", str(SAMPLES), "--out", str(out), "--version", "01.2.0")
    assert run.code == 2
    line = _error_line(run)
    assert "01.2.0" in line and "MAJOR.MINOR.PATCH" in line
    assert not out.exists()  # refused before the build made the folder or its cache


@pytest.mark.parametrize("way", WAYS)
@pytest.mark.parametrize(
    ("args", "code", "words"),
    [
        # the --strict error is longer than 80 columns: it came out on 4 lines
        (["--strict", "--captured-at", WHEN], 1, "--strict: 1 input(s) quarantined"),
        (["--captured-at", "yesterday"], 2, "ISO 8601"),
        (["--engine", "spark"], 2, "unknown engine 'spark'"),
        (["--scheduler", "tcp://head:8786"], 2, "--scheduler needs --engine dask"),
        (["--workers", "0"], 2, "--workers"),
        (["--no-such-option"], 2, "No such option"),
    ],
)
def test_errors_are_one_line_on_a_terminal_and_behind_pipes(
    way: str, args: list[str], code: int, words: str, tmp_path: Path
) -> None:
    run = WAYS[way]("make", str(SAMPLES), "--out", str(tmp_path / "ds"), *args)
    assert run.code == code
    assert words in _error_line(run)


@pytest.mark.parametrize("way", WAYS)
def test_a_missing_option_is_one_line_with_a_hint(way: str) -> None:
    run = WAYS[way]("make", str(SAMPLES))
    assert run.code == 2
    line = _error_line(run)
    assert "--out" in line and "builder make --help" in line


@pytest.mark.parametrize(
    "args",
    [
        ["make", str(SAMPLES), "--out", "{out}", "--json", "--strict", "--captured-at", WHEN],
        ["make", str(SAMPLES), "--out", "{out}", "--json", "--version", "1.2"],
        ["make", "--json", str(SAMPLES)],  # a usage error, raised while parsing
        ["validate", "{out}", "--format", "json"],
        ["diff", "{out}", "{out}", "-f", "json"],
    ],
)
def test_errors_with_json_output_are_json(args: list[str], tmp_path: Path) -> None:
    out = str(tmp_path / "nothing-here")
    run = piped(*(arg.replace("{out}", out) for arg in args))
    assert run.code in (1, 2)
    assert run.stderr == ""
    error = json.loads(run.stdout)
    assert error["exit_code"] == run.code
    assert error["error"] and "\n" not in error["error"]


@pytest.mark.parametrize("way", WAYS)
@pytest.mark.parametrize("command", [[], ["make"], ["validate"], ["diff"]])
def test_help_shows_flags_as_flags(way: str, command: list[str]) -> None:
    run = WAYS[way](*command, "--help")
    assert run.code == 0
    text = "\n".join(run.lines(run.stdout))
    assert "<bool>" not in text, text
    assert "--help" in text


def test_make_help_says_what_each_option_does() -> None:
    text = " ".join(piped("make", "--help").stdout.split())
    assert "builder[dask]" in text  # was eaten as rich markup: "builder extra"
    assert "without a zone is UTC" in text
    assert ".txt" in text and ".jsonl.gz" in text and "walked recursively" in text
    assert "not a builder dataset" in text  # what --out refuses
    assert "builder --version" in text  # the --version name clash, explained


def test_flags_take_no_value() -> None:
    """`--quiet` is a flag; the help no longer suggests `--quiet true`."""
    run = piped("make", str(SAMPLES), "--out", "x", "--quiet", "true")
    assert run.code == 2
    assert '"true"' in _error_line(run)  # read as an input, which does not exist


def test_progress_moves_through_merge_collect_check_and_write(tmp_path: Path) -> None:
    seen: list[tuple[str, int, int | None]] = []
    dumps: list[object] = []
    build(
        [str(SAMPLES)],
        tmp_path / "ds",
        captured_at=None,
        workers=2,
        cache=False,
        on_dump=dumps.append,
        on_stage=lambda name, done, total: seen.append((name, done, total)),
    )
    assert len(dumps) == 17  # one step per dump
    names = [name for name, _, _ in seen]
    assert names.index("merging") < names.index("collecting") < names.index("checking")
    assert names[-1] == "writing"
    merging = [(done, total) for name, done, total in seen if name == "merging"]
    total = merging[0][1]
    assert total is not None and total >= 1
    assert [done for done, _ in merging] == list(range(total + 1))  # every partition


def test_progress_moves_per_dump_without_a_pool(tmp_path: Path) -> None:
    parsing: list[int] = []

    def on_stage(name: str, done: int, total: int | None) -> None:
        if name == "parsing":
            parsing.append(done)

    build([str(SAMPLES)], tmp_path / "ds", workers=1, cache=False, on_stage=on_stage)
    assert parsing == list(range(1, 18))  # every dump, as it is parsed


def test_progress_moves_per_dump_with_a_pool(tmp_path: Path) -> None:
    """A pool's batch is ~4 MB of input (here: all of it, just under); the bar moves
    within it. Fewer dumps parsed too fast for the bar: the batch came back between two
    looks at the count."""
    corpus = tmp_path / "corpus"
    corpus_module().generate_corpus(corpus, 1000, seed=2, mean_size=3800)
    (corpus / "truth.json").unlink()
    assert sum(p.stat().st_size for p in corpus.iterdir()) < partitioned.BATCH_BYTES
    parsing: list[int] = []
    rows: list[object] = []

    def on_stage(name: str, done: int, total: int | None) -> None:
        if name == "parsing":
            parsing.append(done)

    build(
        [str(corpus)],
        tmp_path / "ds",
        workers=2,
        cache=False,
        on_stage=on_stage,
        on_dump=rows.append,
    )
    assert len(rows) == 1000
    assert parsing == sorted(parsing) and max(parsing) <= 1000
    assert any(0 < done < 1000 for done in parsing), parsing  # before the batch came back


def _live_in_group(group: int, within: float) -> list[str]:
    """Processes of `group` still running after `within` seconds (a zombie, done but not
    yet reaped by init, holds nothing and is not counted)."""
    deadline = time.monotonic() + within
    while True:
        live: list[str] = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue  # gone meanwhile
            state, pgrp = fields[0], int(fields[2])
            if pgrp == group and state != "Z":
                live.append(stat.parent.name)
        if not live or time.monotonic() > deadline:
            return live
        time.sleep(0.1)


@pytest.mark.slow
def test_ctrl_c_with_a_pool_stops_at_once_without_worker_tracebacks(tmp_path: Path) -> None:
    """Ctrl-C signals the process group: the workers ignore it, the driver stops them."""
    big = tmp_path / "big"
    corpus_module().generate_corpus(big, 8000, seed=5, mean_size=4000)
    out = tmp_path / "ds"
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    proc = subprocess.Popen(
        [BUILDER, "make", str(big), "--out", str(out), "--captured-at", WHEN, "--workers", "2"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**env(), "TMPDIR": str(scratch)},
        start_new_session=True,
    )
    if not parsing(scratch, proc):
        _, stderr = proc.communicate(timeout=60)
        raise AssertionError(f"the build ended ({proc.returncode}) before the parse: {stderr}")
    interrupted = time.monotonic()
    os.killpg(proc.pid, signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=60)
    took = time.monotonic() - interrupted
    print(f"stopped {took:.2f} s after Ctrl-C")
    assert proc.returncode == 130
    assert "Traceback" not in stdout + stderr and "KeyboardInterrupt" not in stderr, stderr
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert lines == ["error: interrupted: nothing was published"]
    assert took < 3.0  # was ~20 s: the workers finished their tasks first
    assert _live_in_group(proc.pid, within=2.0) == []  # no worker outlives the build
    assert not (out / "versions").exists() or not any((out / "versions").iterdir())


def _dask_build(args: list[str]) -> subprocess.Popen[str]:
    """`builder ARGS --engine dask --workers 2` in a session of its own (a terminal's
    Ctrl-C is sent to its process group)."""
    return subprocess.Popen(
        [BUILDER, *args, "--engine", "dask", "--workers", "2"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env(),
        start_new_session=True,
    )


def _wait_for_busy_workers(session: int, n: int, cpu_s: float = 1.0) -> None:
    """Until `n` processes of the build's session (its workers) have used `cpu_s` of
    CPU each: past their imports, parsing (a fixed sleep was not enough on a busy
    machine)."""
    tick = os.sysconf("SC_CLK_TCK")
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        busy = 0
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            pid = int(stat.parent.name)
            if int(fields[3]) == session and pid != session and int(fields[11]) / tick >= cpu_s:
                busy += 1
        if busy >= n:
            return
        time.sleep(0.2)
    raise AssertionError(f"fewer than {n} workers got busy in 120 s")


@pytest.mark.slow
def test_ctrl_c_on_a_local_dask_cluster_stops_at_once_in_one_line(tmp_path: Path) -> None:
    """The nannies waited 4 s for their workers' running tasks, logging warnings."""
    big = tmp_path / "big"
    corpus_module().generate_corpus(big, 8000, seed=5, mean_size=4000)  # ~20 s on dask
    out = tmp_path / "ds"
    args = ["make", str(big), "--out", str(out), "--captured-at", WHEN]
    proc = _dask_build(args)
    _wait_for_busy_workers(proc.pid, 2)  # the cluster is up and parsing
    assert proc.poll() is None, "the build finished before it could be interrupted"
    interrupted = time.monotonic()
    os.killpg(proc.pid, signal.SIGINT)
    _, stderr = proc.communicate(timeout=60)
    took = time.monotonic() - interrupted
    print(f"stopped {took:.2f} s after Ctrl-C")
    assert proc.returncode == 130
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert lines == ["error: interrupted: nothing was published"], stderr[-2000:]
    assert took < 3.0  # was ~5 s
    assert not (out / "versions").exists() or not any((out / "versions").iterdir())


@pytest.mark.slow
def test_ctrl_c_while_the_dask_workers_start_is_one_line(tmp_path: Path) -> None:
    """Workers still importing printed a KeyboardInterrupt traceback each, and the
    half-started cluster more at exit."""
    out = tmp_path / "ds"
    args = ["make", str(SAMPLES), "--out", str(out), "--captured-at", WHEN]
    proc = _dask_build(args)
    _wait_for_busy_workers(proc.pid, 1, cpu_s=0.0)  # a worker process exists: importing
    os.killpg(proc.pid, signal.SIGINT)
    _, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 130, stderr[-2000:]
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert lines == ["error: interrupted: nothing was published"], stderr[-2000:]
    assert not (out / "versions").exists() or not any((out / "versions").iterdir())


def test_a_dask_build_beside_another_cluster_prints_nothing(tmp_path: Path) -> None:
    """The local cluster's scheduler took port 8787 for its HTTP server and warned on
    stderr (three lines) when another cluster already had it."""
    with socket.socket() as taken:
        taken.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            taken.bind(("0.0.0.0", 8787))
        except OSError:
            pass  # another cluster has it already: the same situation
        else:
            taken.listen()
        args = ["make", str(SAMPLES), "--out", str(tmp_path / "ds"), "--captured-at", WHEN]
        run = piped(*args, "-q", "--engine", "dask", "--workers", "1")
    assert run.code == 0 and run.stderr == "", run.stderr


def test_validate_and_diff_write_nothing(tmp_path: Path) -> None:
    out = tmp_path / "ds"
    assert piped("make", str(SAMPLES), "--out", str(out), "--captured-at", WHEN, "-q").code == 0
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    assert piped("validate", str(out), cwd=cwd).code == 0
    assert piped("diff", f"{out}@1.0.0", str(out), cwd=cwd).code == 0
    assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*")) == before
    shutil.rmtree(out)


def test_the_summary_shows_reasons_and_paths_as_text_not_markup(tmp_path: Path) -> None:
    """A quarantine reason quoting `[tool]` and a folder named `ds[1]` were eaten by
    rich as markup tags: the summary said `section ''`."""
    settings = tmp_path / "settings.toml"
    settings.write_text('[tool]\nname = "demo"\nlevel = 3\nmode = "fast"\n', encoding="utf-8")
    run = piped("make", "settings.toml", "--out", "ds[1]", "--captured-at", WHEN, cwd=tmp_path)
    assert run.code == 0, run.stderr
    shown = " ".join(run.stdout.split())
    assert "(section '[tool]')" in shown, shown
    assert "│ release │ ds[1]/versions/1.0.0 │" in shown, shown
    checked = piped("validate", "ds[1]", "--no-croissant", cwd=tmp_path)
    assert "ds[1]/versions/1.0.0 (version 1.0.0): valid" in " ".join(checked.stdout.split())
