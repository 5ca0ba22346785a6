"""The local engine's process handling."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path


def test_the_fork_server_starts_with_ctrl_c_ignored_and_the_driver_keeps_it() -> None:
    """A Ctrl-C while the fork server imports builder must not print its traceback:
    the server ignores SIGINT while it still imports (read back from the kernel at once), and the
    driver still handles it."""
    script = (
        "import multiprocessing.forkserver as fs, signal\n"
        "from builder.engines.local import start_fork_server\n"
        "start_fork_server()\n"
        "server = open(f'/proc/{fs._forkserver._forkserver_pid}/status').read()\n"
        "print(fs._forkserver._forkserver_pid)\n"
        "print(signal.SIGINT in signal.pthread_sigmask(signal.SIG_BLOCK, []))\n"
        "print(open('/proc/self/status').read())\n"
        "print(server)\n"
    )
    shown = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    ).stdout
    pid, driver_blocked, *_ = shown.splitlines()
    lines = shown.splitlines()
    ignored = [int(line.split()[1], 16) for line in lines if line.startswith("SigIgn:")]
    sigint = 1 << (signal.SIGINT - 1)
    assert driver_blocked == "False" and not ignored[0] & sigint, "the driver lost its Ctrl-C"
    assert int(pid) > 0 and ignored[1] & sigint, "the fork server can be interrupted"


def test_a_pool_build_leaves_no_fork_server_behind(tmp_path: Path) -> None:
    """The fork server, left running, outlived the build's own work by its teardown and
    held the build's stdout open (a pipe's reader waited for it)."""
    script = (
        "import multiprocessing, sys\n"
        "from builder.cli import app\n"
        "if __name__ == '__main__':\n"
        "    argv = ['make', sys.argv[1], '--out', sys.argv[2], '-q', '--workers', '2',\n"
        "            '--captured-at', '2025-07-01T12:00:00Z']\n"
        "    try:\n"
        "        app(argv, standalone_mode=False)\n"
        "    except SystemExit:\n"
        "        pass\n"
        "    print(multiprocessing.forkserver._forkserver._forkserver_pid)\n"
        "    print(len(multiprocessing.active_children()))\n"
    )
    (tmp_path / "build.py").write_text(script)
    samples = Path(__file__).resolve().parents[2] / "samples" / "dumps"
    shown = subprocess.run(
        [sys.executable, str(tmp_path / "build.py"), str(samples), str(tmp_path / "ds")],
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
    ).stdout.split()
    assert (tmp_path / "ds" / "versions" / "1.0.0").is_dir()
    assert shown == ["None", "0"], "the fork server is still running"


def test_a_pool_build_under_a_long_tmpdir_works(tmp_path: Path) -> None:
    """The fork server's Unix socket lives under multiprocessing's temp folder, and a
    socket path may not exceed 107 bytes: under a long TMPDIR a pool build stopped with
    "cannot write DIR: AF_UNIX path too long". The build's scratch stays under TMPDIR."""
    long_tmp = tmp_path / ("t" * 60) / ("m" * 60)
    long_tmp.mkdir(parents=True)
    samples = Path(__file__).resolve().parents[2] / "samples" / "dumps"
    out = tmp_path / "ds"
    builder = Path(sys.executable).with_name("builder")
    args = ["make", str(samples), "--out", str(out), "--workers", "2", "-q"]
    done = subprocess.run(
        [str(builder), *args, "--captured-at", "2025-07-01T12:00:00Z"],
        capture_output=True,
        text=True,
        env={**os.environ, "TMPDIR": str(long_tmp)},
    )
    assert done.returncode == 0, done.stderr
    assert (out / "versions" / "1.0.0").is_dir()
    assert list(long_tmp.iterdir()) == []  # the scratch folder was there, and is gone


def _what_a_fresh_worker_has() -> tuple[bool, bool, bool, bool]:
    import pyarrow as pa

    from builder.parse import language

    pa.array([1, None])  # a conversion of Python values: pyarrow made its first already
    loaded = language._model.cache_info().currsize == 1  # the language model, read
    return (
        "pandas" not in sys.modules,
        "pyarrow.compute" in sys.modules,
        "builder.merge" in sys.modules,
        loaded,
    )


def test_the_fork_servers_workers_start_with_what_their_first_task_would_import() -> None:
    """pyarrow.compute and pyarrow's first conversion (which imported pandas) cost each
    merge and finish worker ~0.2 s on its first task, on the build's critical path, and
    the language model ~0.02 s more: the fork server makes them once, before it forks
    the workers, and without pandas, which builder's workers are never handed. Run in a
    process of its own, so that the server is started by the code under test."""
    script = (
        "from builder.engines import local\n"
        "from tests.engines.test_local import _what_a_fresh_worker_has\n"
        "local.start_fork_server()\n"
        "with local._pool(2, context=local._CLEAN) as pool:\n"
        "    print(pool.submit(_what_a_fresh_worker_has).result())\n"
    )
    root = Path(__file__).resolve().parents[2]
    shown = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, cwd=root
    ).stdout
    assert shown.split() == ["(True,", "True,", "True,", "True)"]


def test_the_fork_servers_workers_find_the_drivers_builder_modules_imported(
    tmp_path: Path,
) -> None:
    """A worker of the fork server runs the driver's main script again first (as
    `__mp_main__`); `builder make`'s script imports the CLI, which each merge worker
    imported for itself (typer, rich: ~0.06 s of its first task). The server imports
    the builder modules the driver has, so the script finds them there. The script
    notes, before its own imports, whether the CLI is imported already."""
    script = tmp_path / "main.py"
    script.write_text(
        "import os, sys\n"
        "with open(os.environ['BUILDER_TEST_LOG'], 'a') as log:\n"
        "    log.write(f\"{__name__} {'builder.cli' in sys.modules}\\n\")\n"
        "import builder.cli\n"
        "from builder.engines import local\n"
        "if __name__ == '__main__':\n"
        "    local.start_fork_server()\n"
        "    with local._pool(2, context=local._CLEAN) as pool:\n"
        "        pool.submit(os.getpid).result()\n"
    )
    log = tmp_path / "log"
    env = {**os.environ, "BUILDER_TEST_LOG": str(log)}
    subprocess.run([sys.executable, str(script)], check=True, env=env, cwd=tmp_path)
    lines = log.read_text().splitlines()
    assert lines[0] == "__main__ False"
    workers = lines[1:]
    assert workers and set(workers) == {"__mp_main__ True"}, lines


def _polars_pool_size() -> int:
    import polars

    return polars.thread_pool_size()


def test_the_fork_servers_workers_share_the_cores_in_their_polars_pools() -> None:
    """Each merge worker's polars pool had a thread per core, so two workers on two
    cores ran four busy threads (the merge took twice as long on a busy machine): a
    pool of N workers gets cores // N threads each, unless the user set
    POLARS_MAX_THREADS, and the driver's own environment is left as it was."""
    script = (
        "import os, sys\n"
        "from builder.engines import local\n"
        "from tests.engines.test_local import _polars_pool_size\n"
        "local.start_fork_server(int(sys.argv[1]))\n"
        "with local._pool(2, context=local._CLEAN) as pool:\n"
        "    print(pool.submit(_polars_pool_size).result())\n"
        "print(os.environ.get('POLARS_MAX_THREADS'))\n"
    )
    root = Path(__file__).resolve().parents[2]
    env = {k: v for k, v in os.environ.items() if k != "POLARS_MAX_THREADS"}
    cores = os.cpu_count() or 1

    def shown(workers: int, **extra: str) -> list[str]:
        return subprocess.run(
            [sys.executable, "-c", script, str(workers)],
            capture_output=True,
            text=True,
            check=True,
            cwd=root,
            env={**env, **extra},
        ).stdout.split()

    assert shown(2) == [str(max(1, cores // 2)), "None"]
    assert shown(1) == [str(cores), "None"]
    assert shown(2, POLARS_MAX_THREADS="3") == ["3", "3"]  # the user's choice is kept


_HALF_A_RESULT = '''
import os, struct, sys, time
from builder.engines import local

def half_a_result():
    """What a worker ended while it sends its result leaves: a header and a few bytes
    of a message in the results pipe, and nothing more."""
    frame = sys._getframe()
    while frame.f_code.co_name != "_process_worker":
        frame = frame.f_back
    writer = frame.f_locals["result_queue"]._writer
    os.write(writer.fileno(), struct.pack("!i", 1 << 20) + b"partial")
    time.sleep(120)

if __name__ == "__main__":
    try:
        with local._pool(2) as pool:
            pool.submit(half_a_result)
            time.sleep(1.0)
            raise KeyboardInterrupt
    except KeyboardInterrupt:
        print("stopped")
'''


def test_a_pool_stopped_while_a_worker_sent_half_a_result_lets_the_build_exit(
    tmp_path: Path,
) -> None:
    """The pool's manager thread read half a message and waited for the rest forever:
    after a Ctrl-C the build printed its one line, then hung at exit joining that thread
    (seen under load, about one Ctrl-C in six). Stopping the pool ends that wait."""
    script = tmp_path / "half.py"
    script.write_text(_HALF_A_RESULT)
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=60, cwd=root
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["stopped"]
    assert "Traceback" not in done.stderr, done.stderr


def test_the_scratch_holds_a_file_per_batch_and_per_partition_and_is_emptied(
    tmp_path: Path,
) -> None:
    """The payloads between the steps wait in one file per batch (titles, dumps) and two
    per merged partition (its articles, one id range, alone), not one per (batch,
    partition) in a folder each: the file count grows with batches plus partitions, not
    their product. Each kind goes once its last reader is done (a partition's articles
    become its range's table); what is left are the spilled tables, in range order."""
    from datetime import UTC, datetime

    from builder.engines import local, partitioned
    from builder.inputs.read import find_inputs
    from tests.releasing import corpus

    files = find_inputs([str(corpus(tmp_path / "c", 60, seed=4))])
    batches = [files[i : i + 12] for i in range(0, len(files), 12)]  # 5 batches
    n = 4
    settings = partitioned.Settings(n, datetime(2025, 7, 1, 12, tzinfo=UTC), 1 << 30)
    work = tmp_path / "work"
    seen: dict[str, list[str]] = {}

    def listing(name: str, done: int, total: int | None) -> None:
        if name not in seen:
            seen[name] = sorted(p.relative_to(work).as_posix() for p in work.rglob("*.arrows"))

    staged = local.run(batches, settings, work, workers=1, on_stage=listing)

    per_batch = [f"{kind}/{i:06d}.arrows" for kind in ("dumps", "titles") for i in range(5)]
    assert seen["merging"] == per_batch
    merged = [f"merged/{p:05d}{end}" for p in range(n) for end in (".arrows", ".articles.arrows")]
    assert seen["collecting"] == sorted([*per_batch[:5], *merged])  # titles read: gone
    left = sorted(p.relative_to(work).as_posix() for p in work.rglob("*.arrows"))
    assert left == sorted(
        f"tables/{name}/{r:05d}.arrows"
        for name in ("articles", "dumps", "sightings")
        for r in range(n)
    )
    assert staged.tables["dumps"].num_rows == 60
    assert staged.tables["dumps"].read_all().column("dump_id").to_pylist() == sorted(
        staged.tables["dumps"].read_all().column("dump_id").to_pylist()
    )


def test_the_collector_runs_less_during_a_build_and_as_before_after(tmp_path: Path) -> None:
    """The young generation's threshold is raised and the heap frozen while the build
    runs (in the driver and its forked workers), and both are put back afterwards."""
    import gc
    from datetime import UTC, datetime

    from builder.engines import local, partitioned
    from builder.inputs.read import find_inputs
    from tests.releasing import corpus

    files = find_inputs([str(corpus(tmp_path / "c", 20, seed=2))])
    settings = partitioned.Settings(2, datetime(2025, 7, 1, 12, tzinfo=UTC), 1 << 30)
    before, frozen_before = gc.get_threshold(), gc.get_freeze_count()
    assert before[0] < local._YOUNG_THRESHOLD
    during: list[tuple[tuple[int, int, int], int]] = []

    def look(name: str, done: int, total: int | None) -> None:
        during.append((gc.get_threshold(), gc.get_freeze_count()))

    staged = local.run([files], settings, tmp_path / "work", workers=1, on_stage=look)
    assert staged.tables["dumps"].num_rows == 20
    assert during and all(t == (local._YOUNG_THRESHOLD, *before[1:]) for t, _ in during)
    assert all(frozen > frozen_before for _, frozen in during)
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == frozen_before


def test_the_scratch_writer_s_pieces_read_back_as_the_tables_it_was_given(
    tmp_path: Path,
) -> None:
    """`_write` goes through a buffer: each piece (small tables, and one larger than the
    buffer, whose texts go past it) is read back alone, from its own bytes, as the
    table it was given, and the file holds exactly the pieces one after the other."""
    import pyarrow as pa

    from builder.engines.local import _BUFFER, _read, _write

    small = pa.table({"n": pa.array(range(5), pa.int32()), "t": [f"row {i}" for i in range(5)]})
    large = pa.table({"n": pa.array(range(3), pa.int32()), "t": ["x" * _BUFFER, "", "y" * 7]})
    tables = {0: small, 3: large, 7: small.slice(2, 2), 9: small.slice(0, 0)}
    pieces = _write(tmp_path / "scratch.arrows", tables)
    assert list(pieces) == [0, 3, 7, 9]
    for key, piece in pieces.items():
        assert next(_read([piece])).equals(tables[key])
    ends = [piece.offset + piece.length for piece in pieces.values()]
    assert [piece.offset for piece in pieces.values()] == [0, *ends[:-1]]
    assert (tmp_path / "scratch.arrows").stat().st_size == ends[-1] > _BUFFER
