"""The partitioned build on this machine: in this process, or a pool of processes.

Payloads wait in files under a scratch directory, so the driver holds only counts and
the workers one batch or one partition at a time: memory does not grow with the corpus.
"""

from __future__ import annotations

import gc
import multiprocessing
import multiprocessing.forkserver
import multiprocessing.util
import os
import shutil
import signal
import sys
import tempfile
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple, TypeVar

import pyarrow as pa

from builder import timing
from builder.contract import TABLES
from builder.engines import BuildIndex, OnRows, OnStage, Staged, partitioned, ticks
from builder.engines.spill import (
    append_stream,
    read_stream,
    spill_table,
    spilled_tables,
    use_system_allocator,
)
from builder.inputs.files import InputFile
from builder.merge import FRAME_SCHEMA

R = TypeVar("R")
#: Workers are forks of the driver: they inherit its modules and the progress counter.
_FORK = multiprocessing.get_context("fork")
#: Except the merge step's: it runs polars, whose thread pool does not survive a fork of
#: a process that has used it (the child waits forever on a lock the parent's threads
#: held; seen when one process builds twice, as tests and library callers do). Its
#: workers are forks of a fork server instead, a clean process started once per driver
#: that has imported builder but never run polars.
_CLEAN = multiprocessing.get_context("forkserver")
#: What the fork server imports before it forks, besides the driver's own builder
#: modules (see `_preload`).
_PRELOAD = (__name__, "builder.engines.preload")
_CLEAN.set_forkserver_preload(list(_PRELOAD))


#: Room for the temp folder's path in the fork server's socket path: a Unix socket's
#: path is at most 107 bytes, and multiprocessing puts it two folders down
#: (`pymp-XXXXXXXX/listener-XXXXXXXX`, 38 bytes with the slashes).
_SOCKET_ROOM = 107 - 40
#: Where multiprocessing's folder goes when the temp folder's path is too long.
_SHORT_TEMP = ("/tmp", "/var/tmp", "/dev/shm")


def short_multiprocessing_folder() -> None:
    """Have multiprocessing keep its sockets under a short folder when TMPDIR is long.

    The fork server listens on a Unix socket in a folder multiprocessing makes under the
    temp folder, and a socket's path may not exceed 107 bytes: under a long TMPDIR a pool
    build stopped with "AF_UNIX path too long". The build's own scratch folder stays
    under TMPDIR; only multiprocessing's folder (made once per process, then reused)
    goes under the first of /tmp, /var/tmp, /dev/shm that can hold it.
    """
    if len(os.fsencode(tempfile.gettempdir())) <= _SOCKET_ROOM:
        return
    short = next((d for d in _SHORT_TEMP if os.path.isdir(d) and os.access(d, os.W_OK)), None)
    if short is None:
        return
    saved = tempfile.tempdir
    tempfile.tempdir = short
    try:
        multiprocessing.util.get_temp_dir()
    finally:
        tempfile.tempdir = saved


def start_fork_server(workers: int | None = None) -> None:
    """Start the fork server (if not running) with Ctrl-C ignored in it from its first
    instruction, and so in every worker forked from it; for a pool of `workers`, with
    polars' thread pool in each worker sized to its share of the cores
    (`_polars_threads`).

    A terminal's Ctrl-C reaches the whole process group. The fork server shields
    itself from it only after importing builder (its preload: a second or more on a
    busy machine), so a Ctrl-C in that second printed its `KeyboardInterrupt`
    traceback under the driver's one-line error (seen in the Ctrl-C test). An ignored
    signal stays ignored across fork and exec (a blocked one does not), so the driver
    ignores SIGINT for the few milliseconds it takes to start the server; a Ctrl-C in
    exactly those milliseconds is lost. Python lets only the main thread set
    handlers; from another thread the server starts as Python starts it.
    """
    short_multiprocessing_folder()
    _CLEAN.set_forkserver_preload(_preload())  # read when the server starts
    with _polars_threads(workers):
        if threading.current_thread() is not threading.main_thread():
            multiprocessing.forkserver.ensure_running()
            return
        handler = signal.signal(signal.SIGINT, signal.SIG_IGN)
        try:
            multiprocessing.forkserver.ensure_running()
        finally:
            signal.signal(signal.SIGINT, handler)


def _preload() -> list[str]:
    """The fork server's imports: `_PRELOAD`, and every module of builder this process
    has imported.

    A worker forked from the server first runs the driver's main script again (as
    `__mp_main__`: multiprocessing prepares a worker it did not fork from the driver so),
    and Python 3.11's fork server cannot import that script itself. For `builder make`,
    the console script, each merge worker imported the CLI, with typer and rich, before
    its first partition: 0.05-0.08 s of CPU in each, at the start of the merge. The
    server imports them once instead (at the start of the build, see
    `build.workers_started`), and its workers find them imported.
    """
    loaded = sorted(name for name in sys.modules if name.startswith("builder."))
    return [*_PRELOAD, *(name for name in loaded if name not in _PRELOAD)]


@contextmanager
def _polars_threads(workers: int | None) -> Iterator[None]:
    """POLARS_MAX_THREADS set, while the fork server starts, to each worker's share of
    the cores (polars reads it once, at import, which the server does for its workers).

    Each merge worker ran a polars pool of one thread per core beside the others'
    workers, so two workers on two cores ran four busy threads: the merge of 20,000
    dumps took 1.9 s instead of 1.0 s on a busy machine (same CPU time). A value the
    user set is kept; the build's own process is untouched (it imported polars before).
    """
    if workers is None or "POLARS_MAX_THREADS" in os.environ:
        yield
        return
    os.environ["POLARS_MAX_THREADS"] = str(max(1, (os.cpu_count() or 1) // max(1, workers)))
    try:
        yield
    finally:
        del os.environ["POLARS_MAX_THREADS"]


def stop_fork_server() -> None:
    """Stop the fork server once the merge step is done, and wait for it.

    Left running, it ended only when the build's process did, then took a few tenths
    of a second to tear its imports down, holding the build's stdout and stderr open
    all along: `builder make | tee log` finished that much after the build, in time no
    stage counted, and its ~100 MB stayed resident through checking, publishing and
    the report. A later build in the same process starts a new one. (Python has no
    public way to stop it; `_stop` is what its own tests use.)
    """
    server = getattr(multiprocessing.forkserver, "_forkserver", None)
    stop = getattr(server, "_stop", None)
    if callable(stop):
        stop()


class _Inline(Executor):
    """Runs each task at once in this process: workers=1 without a pool's overhead."""

    def submit(self, fn: Callable[..., R], /, *args: Any, **kwargs: Any) -> Future[R]:
        future: Future[R] = Future()
        future.set_result(fn(*args, **kwargs))
        return future


@contextmanager
def _pool(
    workers: int,
    counter: Any = None,
    context: multiprocessing.context.BaseContext = _FORK,
) -> Iterator[Executor]:
    """Fresh workers for one step: `workers` forks of the driver (or of the fork server), or
    this process when the build runs without a pool (`workers` 1).

    Fresh, because a worker's heap keeps what an earlier step left in it (freed but
    fragmented: Python does not hand it back). The extract step left each worker ~50 MB
    above its start, on top of which the merge and finish steps peaked; with a pool per
    step, the peak at 10,000 dumps fell from 705 to 604 MB, at 100,000 from 880 to 799.

    When the step fails or is interrupted (Ctrl-C), the workers are stopped at once
    instead of finishing their tasks (which took ~20 s after a Ctrl-C).
    """
    if workers <= 1:
        yield _Inline()
        return
    pool = ProcessPoolExecutor(
        max_workers=workers,
        mp_context=context,
        initializer=_worker_setup,
        initargs=(os.getpid(), counter, context is _FORK),
    )
    try:
        yield pool
    except BaseException:
        _stop(pool)
        raise
    pool.shutdown(wait=True)


def _stop(pool: ProcessPoolExecutor) -> None:
    """Cancel what has not started and end the workers now; their partial files are in
    the build's scratch folder, which goes with the build."""
    # Python < 3.14 has no public way to end a pool's workers (terminate_workers).
    processes = list((getattr(pool, "_processes", None) or {}).values())
    results = getattr(pool, "_result_queue", None)  # shutdown lets go of it
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        process.terminate()
    for process in processes:
        process.join(timeout=5)
    # A worker ended while it sent its result leaves half a message in the results
    # pipe, and the pool's manager thread waited for the rest forever: the build printed
    # "interrupted" and then hung at exit, joining that thread (seen under load, about
    # one Ctrl-C in six). Only the workers write to the pipe; with them gone, closing
    # this process's end gives the thread an end of file, and it stops as for a broken
    # pool.
    writer = getattr(results, "_writer", None)
    if writer is not None and not any(process.is_alive() for process in processes):
        writer.close()


def _result(future: Future[R], poll: Callable[[], None] | None = None) -> R:
    """`future.result()`, in short waits: a Ctrl-C then stops the build at once.

    Linux hands a process's SIGINT to any of its threads (the pool's manager thread,
    the progress bar's); Python runs the handler in the main thread only at its next
    instruction, and a main thread blocked in one long wait had none: the interrupt
    waited for the batch to finish (12 s, seen). A wait that ends every 0.05 s lets it in,
    and reads the pool's count as often as the bar takes it (a batch of small dumps can
    be parsed in a third of a second).
    """
    while True:
        if poll is not None:
            poll()
        try:
            return future.result(timeout=0.05)
        except TimeoutError:
            continue


def _worker_setup(parent: int, counter: Any = None, forked: bool = True) -> None:
    """Pool initializer: Ctrl-C is the driver's to handle, and the worker ends soon
    after the build that started it is gone.

    A terminal's Ctrl-C signals the whole process group: each worker raised its own
    KeyboardInterrupt and printed a traceback (from `call_queue.get`) under the driver's
    one-line error. Workers ignore SIGINT; the driver stops them (see `_pool`).

    A driver killed with SIGKILL cannot shut its pool down, and its workers, which hold
    their task pipe's other end themselves, would wait for work forever, each with a
    few hundred MB (seen after the SIGKILL tests: orphans blocked for hours).
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    ticks.share(counter)  # dumps parsed, for the driver's progress bar

    def alive() -> bool:
        if forked:
            return os.getppid() == parent
        # A fork server's child: its parent is the fork server, which lives as long as
        # any of its children (each holds the pipe whose end tells it the driver is
        # gone), so the child watches the driver itself.
        try:
            os.kill(parent, 0)
        except ProcessLookupError:
            return False
        return True

    def watch() -> None:
        while alive():
            time.sleep(0.2)
        os._exit(1)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


class Piece(NamedTuple):
    """Where one payload waits: the IPC stream of `length` bytes at `offset` of a
    scratch file (see `_extract_step`)."""

    path: str
    offset: int
    length: int


@dataclass(frozen=True)
class Extracted:
    """What a batch's step hands the driver: its rows, publishers and timings (a
    `BatchOut` without payloads), and where its payloads wait, by title partition and
    by dump id range."""

    out: partitioned.BatchOut
    titles: dict[int, Piece]
    dumps: dict[int, Piece]


def _merge_order(titles: Sequence[Sequence[Piece]], workers: int) -> list[int]:
    """The title partitions in the order they are merged: the largest first.

    Hot titles (a card on a third of all pages) fill one partition several times over
    the median (35,000 sightings at 100,000 dumps, against 6,000), so it takes longest:
    started first, the other workers merge the rest beside it. It used to be merged
    alone, in a pool of its own, so that its peak would not add to another's; measured
    since (benchmarks/RESULTS.md), side by side costs 10 MB at 100,000 dumps (847
    against 837 MB) and saves a third of the merge's wall time with two workers (one
    pool started, not two, and no core idle while the largest is merged).
    """
    n = len(titles)
    if workers <= 1 or n < 2:
        return list(range(n))
    sizes = [sum(piece.length for piece in pieces) for pieces in titles]
    largest = max(range(n), key=sizes.__getitem__)
    return [largest, *(part for part in range(n) if part != largest)]


#: The scratch folders: each batch's title payloads and dumps rows (one file of each per
#: batch), each partition's merged articles and sightings (one file per partition), the
#: incremental build's title index (one per batch) and the finished tables.
_FOLDERS = ("titles", "dumps", "merged", "index", *(f"tables/{name}" for name in TABLES))


def _scratch(work: Path) -> None:
    """Make the scratch folders once, before any step writes there."""
    for folder in _FOLDERS:
        (work / folder).mkdir(parents=True, exist_ok=True)


def _write(path: Path, tables: Mapping[int, pa.Table]) -> dict[int, Piece]:
    """`tables` as IPC streams one after the other in one new file, and where each is.

    One file per step, not one per (step, partition) in a folder each: at 20,000 dumps
    the build made 1,721 files in 62 folders, and created, read and removed each; the
    streams go into the file as they are encoded, with no copy in bytes between.

    Through a buffer: the IPC writer writes each small buffer of a stream (a message's
    header, a column's offsets, the padding after it) on its own, one system call each,
    ~50,000 for the titles of 20,000 dumps. Buffered, those come together, and a
    column's texts still go to the file straight from Arrow's memory; the same bytes.
    Writing those titles: 0.097-0.099 -> 0.085-0.088 s CPU (3 runs of each)."""
    with pa.OSFile(str(path), "wb") as file, pa.BufferedOutputStream(file, _BUFFER) as sink:
        return {key: Piece(str(path), *append_stream(sink, table)) for key, table in tables.items()}


#: The scratch files' write buffer (see `_write`).
_BUFFER = 1 << 20


def _read(pieces: Iterable[Piece]) -> Iterator[pa.Table]:
    """The tables of `pieces`, in order, each read into memory of its own size.

    Not through memory maps: a partition's pieces are small runs of many batch files
    (158 at 100,000 dumps), and each map made resident far more of its file than the
    piece (the kernel maps the pages around each one it faults in). A merge worker's
    read of one partition (8 MB of frame) grew it by 89 MB at 100,000 dumps, against
    20 MB at 10,000; read into buffers, by 19 MB at either size, and the worker's peak
    fell from 216 to 147 MB (its hot partition's from 256 to 217).
    """
    for piece in pieces:
        with pa.OSFile(piece.path, "r") as source:
            data = source.read_at(piece.length, piece.offset)
        with pa.ipc.open_stream(data) as reader:
            yield reader.read_all()


def _extract_step(
    index: int,
    files: Sequence[InputFile],
    settings: partitioned.Settings,
    work: Path,
    rows: bool = True,
) -> Extracted:
    """The batch's payloads go to files; what returns to the driver is small. Its dumps
    rows only when the driver has a use for them (`rows`, an `on_rows` callback): a
    worker pickled and the driver unpickled every dump's row only to drop it."""
    out = partitioned.extract_tables(files, settings)
    started = time.perf_counter()
    titles = _write(work / "titles" / f"{index:06d}.arrows", out.titles)
    dumps = _write(work / "dumps" / f"{index:06d}.arrows", out.dumps)
    if out.index is not None:
        spill_table(out.index, work / "index" / f"{index:06d}.arrows")
    timings = {**out.timings}
    timings["write"] = timings.get("write", 0.0) + time.perf_counter() - started
    kept = out.rows if rows else ()
    meta = partitioned.BatchOut({}, {}, kept, out.known, timings, None, out.ambiguous)
    return Extracted(meta, titles, dumps)


#: The end of a merged file holding one partition's articles alone, which are one id
#: range of the articles table in key order: the collect step adopts it as it is.
_WHOLE = ".articles.arrows"


def _merge_step(
    part: int, pieces: Sequence[Piece], known: frozenset[str], n: int, work: Path
) -> tuple[dict[int, Piece], dict[int, Piece], dict[str, float]]:
    """One title partition merged (its pieces in batch order); its articles and
    sightings by id range go to one file, whose pieces return to the driver.

    A partition's articles are its own id range (`partitioned.title_partition`), merged
    in key order: they go to a file of their own, which the collect step takes as that
    range's articles (`_finish_step`) instead of reading, copying and writing them again.
    """
    use_system_allocator()
    timing.take()
    with timing.timed("merge"):
        frame = partitioned.concat(_read(pieces), FRAME_SCHEMA)
        by_article, by_dump = partitioned.merge_frame(frame, known, n)
        del frame  # its memory, before the writing
        articles: dict[int, Piece] = {}
        own = by_article.get(part)
        if own is not None and len(by_article) == 1 and partitioned.ascending(own["article_id"]):
            whole = work / "merged" / f"{part:05d}{_WHOLE}"
            spill_table(own, whole)
            articles[part] = Piece(str(whole), 0, whole.stat().st_size)
            by_article = {}
        path = work / "merged" / f"{part:05d}.arrows"
        with pa.OSFile(str(path), "wb") as sink:
            articles.update(
                {r: Piece(str(path), *append_stream(sink, t)) for r, t in by_article.items()}
            )
            placed = {r: Piece(str(path), *append_stream(sink, t)) for r, t in by_dump.items()}
    return articles, placed, timing.take()


def _finish_step(
    rng: int,
    dumps: Sequence[Piece],
    articles: Sequence[Piece],
    placed: Sequence[Piece],
    work: Path,
) -> tuple[dict[str, int], dict[str, float]]:
    """One id range of the three tables, sorted, spilled under `tables/`. A range whose
    articles are one merged file of their own (`_merge_step`) gets that file as it is:
    writing them again cost 0.1 s of CPU at 20,000 dumps."""
    use_system_allocator()
    timing.take()
    with timing.timed("write"):
        whole = len(articles) == 1 and articles[0].path.endswith(_WHOLE)
        tables = partitioned.finish_tables(
            _read(dumps), _read(() if whole else articles), _read(placed)
        )
        rows = {name: table.num_rows for name, table in tables.items()}
        for name, table in tables.items():
            if not (whole and name == "articles"):
                spill_table(table, work / "tables" / name / f"{rng:05d}.arrows")
        if whole:
            adopted = work / "tables" / "articles" / f"{rng:05d}.arrows"
            os.replace(articles[0].path, adopted)
            with pa.memory_map(str(adopted), "r") as source:
                rows["articles"] = read_stream(source, 0, articles[0].length).num_rows
    return rows, timing.take()


#: The garbage collector's first threshold while a build runs (Python's is 700).
_YOUNG_THRESHOLD = 50_000


@contextmanager
def _quiet_collector() -> Iterator[None]:
    """The garbage collector run less while a build runs, in this process and in the
    workers forked from it, and as it was afterwards.

    The objects alive before the build (modules, layouts, models) are left out of its
    passes: parsing makes and drops many small objects, so the collector runs often,
    and its full passes walked every object the imports had made: 14% of the parse's
    CPU time (3,000 dumps: 2.62 s, 2.26 s frozen). Only reference cycles among those
    old objects could be missed, and only until the build ends (`gc.unfreeze`).

    And its young generation is collected every 50,000 objects, not 700: the parse keeps
    what it makes until the batch is written, so each pass found almost nothing to free
    and moved it all one generation up, where the next passes walked it again. 20,000
    dumps, one worker: 994 young, 90 middle and 7 full passes took 0.29-0.31 s; now
    151, 14 and 1 take 0.06 s (the cycles the parse makes are few: peak memory is the
    same).
    """
    thresholds = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(_YOUNG_THRESHOLD, *thresholds[1:])
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
        gc.unfreeze()


def run(
    batches: Sequence[Sequence[InputFile]],
    settings: partitioned.Settings,
    work: Path,
    *,
    workers: int,
    on_rows: OnRows | None = None,
    on_stage: OnStage | None = None,
) -> Staged:
    """All three steps; `workers` > 1 runs each step in a pool of its own. The timings
    are wall seconds: each step's workers' totals fitted to the step's wall time."""
    with _quiet_collector():
        return _run(batches, settings, work, workers=workers, on_rows=on_rows, on_stage=on_stage)


def _run(
    batches: Sequence[Sequence[InputFile]],
    settings: partitioned.Settings,
    work: Path,
    *,
    workers: int,
    on_rows: OnRows | None,
    on_stage: OnStage | None,
) -> Staged:
    step = on_stage or (lambda name, done, total: None)
    timings: dict[str, float] = {}
    extract_timings: dict[str, float] = {}
    started = time.perf_counter()
    known: set[str] = set()
    ambiguous: set[str] = set()
    rows: dict[str, int] = {}
    counter = _FORK.Value("q", 0) if workers > 1 and on_stage is not None else None
    parsed = 0
    n = settings.partitions
    # Where each payload waits, by partition (or range), in batch order: results are
    # taken in the order the batches were submitted.
    titles: list[list[Piece]] = [[] for _ in range(n)]
    dumps: list[list[Piece]] = [[] for _ in range(n)]
    _scratch(work)

    def one_parsed() -> None:  # a dump parsed in this process (no pool)
        nonlocal parsed
        parsed += 1
        step("parsing", parsed, None)

    def poll() -> None:  # dumps parsed by the pool's workers
        if counter is not None:
            step("parsing", counter.value, None)

    if workers <= 1 and on_stage is not None:
        ticks.hook(one_parsed)
    if workers > 1:
        start_fork_server(workers)  # it imports while the dumps are parsed
    try:
        with _pool(workers, counter=counter) as pool:
            pending: deque[Future[Extracted]] = deque()
            todo = iter(enumerate(batches))

            def drain(limit: int) -> None:
                while len(pending) > limit:
                    done = _result(pending.popleft(), poll)
                    for part, piece in done.titles.items():
                        titles[part].append(piece)
                    for rng, piece in done.dumps.items():
                        dumps[rng].append(piece)
                    out = done.out
                    known.update(out.known)
                    ambiguous.update(out.ambiguous)
                    timing.combine(extract_timings, out.timings)
                    if on_rows is not None:
                        on_rows(out.rows)

            for index, files in todo:
                args = (index, files, settings, work, on_rows is not None)
                pending.append(pool.submit(_extract_step, *args))
                drain(2 * workers)  # a bounded window: input is read as fast as it is parsed
            drain(0)
    finally:
        ticks.hook(None)
    timing.combine(timings, timing.fit(extract_timings, time.perf_counter() - started, "read"))
    started = time.perf_counter()
    merge_timings: dict[str, float] = {}
    frozen = frozenset(known)
    merged = 0
    # Each range's pieces of the merged tables, by the partition they came from.
    articles: list[dict[int, Piece]] = [{} for _ in range(n)]
    placed: list[dict[int, Piece]] = [{} for _ in range(n)]
    step("merging", merged, n)
    with _pool(workers, context=_CLEAN) as pool:
        order = _merge_order(titles, workers)
        submitted = [(p, pool.submit(_merge_step, p, titles[p], frozen, n, work)) for p in order]
        for part, result in submitted:
            part_articles, part_placed, merged_timings = _result(result)
            for rng, piece in part_articles.items():
                articles[rng][part] = piece
            for rng, piece in part_placed.items():
                placed[rng][part] = piece
            timing.combine(merge_timings, merged_timings)
            merged += 1
            step("merging", merged, n)
    if workers > 1:
        stop_fork_server()
    shutil.rmtree(work / "titles", ignore_errors=True)  # merged: no longer read
    timing.combine(timings, timing.fit(merge_timings, time.perf_counter() - started, "merge"))
    started = time.perf_counter()
    finish_timings: dict[str, float] = {}
    step("collecting", 0, n)
    with _pool(workers) as pool:
        futures = [
            pool.submit(
                _finish_step,
                r,
                dumps[r],
                [articles[r][p] for p in sorted(articles[r])],
                [placed[r][p] for p in sorted(placed[r])],
                work,
            )
            for r in range(n)
        ]
        for done, finished in enumerate(futures):
            range_rows, range_timings = _result(finished)
            for name, count in range_rows.items():
                rows[name] = rows.get(name, 0) + count
            timing.combine(finish_timings, range_timings)
            step("collecting", done + 1, n)
    for folder in ("dumps", "merged"):  # collected into the tables
        shutil.rmtree(work / folder, ignore_errors=True)
    timing.combine(timings, timing.fit(finish_timings, time.perf_counter() - started, "write"))
    index_parts = tuple(sorted((work / "index").glob("*.arrows")))
    keyed = getattr(settings.stage, "keyed", None) is not None
    built = BuildIndex(index_parts, frozen, frozenset(ambiguous)) if keyed else None
    return Staged(spilled_tables(work / "tables", rows), timings, built)
