"""The partitioned build on a Dask cluster, for corpora beyond one machine.

The per-dump stage runs on the workers; the merge is a distributed group-by: each
batch's payload for a title partition is its own small task result, and one task per
partition merges them, so no machine ever holds the corpus. Only the finished id ranges
travel to this process, one at a time, to be written in key order. Inputs are local
paths (shared by the workers) or any fsspec URL (s3://, gs://, ...).

Imported only for `--engine dask`: dask is the optional extra builder[dask].
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import signal
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import dask
from distributed import Client, Future, LocalCluster, get_worker

from builder import timing
from builder.engines import OnRows, OnStage, Staged, partitioned, ticks
from builder.engines.local import start_fork_server
from builder.engines.spill import spill, spilled_tables
from builder.inputs.files import (
    DEFAULT_MAX_BYTES,
    InputError,
    InputFile,
    Kind,
    named_like_a_dump,
)
from builder.inputs.read import dumps_of_stream
from builder.inputs.walk import find_inputs, top_root_prefixes
from builder.records import CapturedAtSource, RawDump

_MAGIC = re.compile(r"[*?[]")


@dataclass(frozen=True)
class RemoteFile:
    """One input behind an fsspec URL, listed by the client and read by a worker."""

    url: str
    path: str  # relative to the spec's directory, like local inputs
    kind: Kind
    size: int
    mtime_ns: int | None


def _kind(name: str) -> Kind:
    lower = name.lower()
    if lower.endswith(".jsonl.gz"):
        return "jsonl.gz"
    return "jsonl" if lower.endswith(".jsonl") else "text"


def _mtime_ns(info: dict[str, Any]) -> int | None:
    for key in ("mtime", "LastModified", "last_modified", "updated", "created"):
        value = info.get(key)
        if isinstance(value, int | float):
            return int(value * 1_000_000_000)
        if isinstance(value, datetime):
            when = value if value.tzinfo else value.replace(tzinfo=UTC)
            return int(when.timestamp()) * 1_000_000_000
    return None


def list_remote(specs: Sequence[str]) -> list[RemoteFile]:
    """Files named by fsspec URLs: a file, a directory (recursively) or a glob, by the
    rules of local inputs: a directory walk takes the dump formats only and no hidden
    file, and paths start with their top root's name when there are several."""
    import fsspec

    listed: list[tuple[tuple[str, ...], str, str, dict[str, Any]]] = []
    for spec in specs:
        fs, root = fsspec.core.url_to_fs(spec)
        protocol = spec.split("://", 1)[0]
        walked = False
        if _MAGIC.search(root):
            base = root[: _MAGIC.search(root).start()].rsplit("/", 1)[0]  # type: ignore[union-attr]
            infos = {p: fs.info(p) for p in fs.glob(root)}
        elif fs.isdir(root):
            base = root.rstrip("/")
            infos = fs.find(root, detail=True)
            walked = True
        elif fs.exists(root):
            base = root.rsplit("/", 1)[0]
            infos = {root: fs.info(root)}
        else:
            raise InputError(f"{spec}: no such file or directory")
        anchor = (protocol, *(part for part in base.split("/") if part))
        for name, info in infos.items():
            if info.get("type") == "directory":
                continue
            rel = name[len(base) :].lstrip("/")
            hidden = any(part.startswith(".") for part in rel.split("/"))
            if walked and (hidden or not named_like_a_dump(rel)):
                continue
            url = name if "://" in name else f"{protocol}://{name}"
            listed.append((anchor, rel, url, info))
    prefixes = top_root_prefixes(anchor for anchor, _, _, _ in listed)
    found: dict[str, RemoteFile] = {}
    for anchor, rel, url, info in listed:
        path = "/".join((*prefixes[anchor], rel))
        size = int(info.get("size") or 0)
        found.setdefault(path, RemoteFile(url, path, _kind(rel), size, _mtime_ns(info)))
    if not found:
        raise InputError(f"{', '.join(specs)}: no input files")
    return [found[k] for k in sorted(found)]


def _remote_raws(
    files: Sequence[RemoteFile], captured_at: datetime | None, max_bytes: int
) -> Iterator[RawDump]:
    import fsspec

    for file in files:
        try:
            with fsspec.open(file.url, "rb") as handle:
                yield from dumps_of_stream(
                    file.path,
                    file.kind,
                    handle,
                    mtime_ns=file.mtime_ns,
                    captured_at=captured_at,
                    max_bytes=max_bytes,
                )
        except OSError as exc:
            when = captured_at or datetime.fromtimestamp((file.mtime_ns or 0) // 10**9, UTC)
            reason = f"unreadable file ({' '.join(str(exc).split())})"
            source: CapturedAtSource = "option" if captured_at else "mtime"
            yield RawDump(file.path, b"", when, source, error=reason)


#: How often a worker tells the client how many dumps of its batch it has parsed: an
#: event sent without waiting (the worker's batched stream to the scheduler, which
#: forwards it to the client), never a round trip per dump. Twice as often as rich
#: redraws: a batch of small dumps is parsed in a third of a second.
PROGRESS_EVERY_S = 0.05

_parsing = threading.local()  # the _Parsed of the batch this worker thread is parsing
_hooked = threading.Lock()
_hooked_tasks = 0


class _Parsed:
    """Dumps of one batch parsed so far, sent as (batch, count) events on `topic` at most
    every PROGRESS_EVERY_S: a batch is ~4 MB of input, a thousand small dumps."""

    def __init__(self, topic: str, batch: int) -> None:
        self.topic, self.batch, self.count = topic, batch, 0
        self.sent = time.monotonic()

    def one(self) -> None:
        self.count += 1
        now = time.monotonic()
        if now - self.sent >= PROGRESS_EVERY_S:
            self.sent = now
            with contextlib.suppress(ValueError):  # not on a worker: nobody to tell
                get_worker().log_event(self.topic, [self.batch, self.count])


def _tick_in_this_thread() -> None:
    parsed: _Parsed | None = getattr(_parsing, "batch", None)
    if parsed is not None:
        parsed.one()


def _extract(
    files: Sequence[InputFile | RemoteFile],
    batch: int,
    settings: partitioned.Settings,
    topic: str | None = None,
) -> partitioned.BatchOut:
    """One batch's per-dump stage; with a `topic`, its dumps are counted for the
    client's progress bar as they are parsed (ticks, per worker thread)."""
    global _hooked_tasks
    if topic is None:
        return _extract_files(files, settings)
    _parsing.batch = _Parsed(topic, batch)
    with _hooked:
        _hooked_tasks += 1
        ticks.hook(_tick_in_this_thread)
    try:
        return _extract_files(files, settings)
    finally:
        _parsing.batch = None
        with _hooked:
            _hooked_tasks -= 1
            if _hooked_tasks == 0:
                ticks.hook(None)


class _Counts:
    """Dumps parsed per batch, as the workers' events tell (a retried batch counts
    once: the largest count heard for it)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_batch: dict[int, int] = {}

    def heard(self, event: tuple[float, list[int]]) -> None:  # on the client's loop
        batch, count = event[1]
        with self._lock:
            self._by_batch[batch] = max(count, self._by_batch.get(batch, 0))

    def done(self, batch: int, count: int) -> None:
        with self._lock:
            self._by_batch[batch] = count

    def total(self) -> int:
        with self._lock:
            return sum(self._by_batch.values())


def _result(future: Future[Any], poll: Callable[[], None]) -> Any:
    """`future`'s result, calling `poll` every PROGRESS_EVERY_S while it is not ready.

    Waits for the future's done callback, then asks for the result without a timeout:
    distributed's `result(timeout=...)` can raise `UnboundLocalError` instead of
    `TimeoutError` when the timeout and the result race (dask/distributed#8514; seen
    once in a full test run, as a traceback ending a Dask build).
    """
    done = threading.Event()
    future.add_done_callback(lambda _: done.set())
    while not done.wait(PROGRESS_EVERY_S):
        poll()
    return future.result()


def _extract_files(
    files: Sequence[InputFile | RemoteFile], settings: partitioned.Settings
) -> partitioned.BatchOut:
    if files and isinstance(files[0], RemoteFile):
        remote = [f for f in files if isinstance(f, RemoteFile)]
        raws = _remote_raws(remote, settings.captured_at, settings.max_bytes)
        return partitioned.extract_raws(raws, settings)
    local = [f for f in files if isinstance(f, InputFile)]
    return partitioned.extract_batch(local, settings)


def _batch_meta(out: partitioned.BatchOut) -> partitioned.BatchOut:
    """What the client needs of a batch: its rows, publishers and timings, no payloads."""
    return partitioned.BatchOut({}, {}, out.rows, out.known, out.timings)


def _title_piece(out: partitioned.BatchOut, part: int) -> bytes | None:
    return out.titles.get(part)


def _dump_piece(out: partitioned.BatchOut, rng: int) -> bytes | None:
    return out.dumps.get(rng)


def _merge(known: frozenset[str], n: int, *pieces: bytes | None) -> partitioned.MergeOut:
    return partitioned.merge_partition((p for p in pieces if p is not None), known, n)


def _merge_timings(out: partitioned.MergeOut) -> dict[str, float]:
    return out.timings


def _article_piece(out: partitioned.MergeOut, rng: int) -> bytes | None:
    return out.articles.get(rng)


def _placed_piece(out: partitioned.MergeOut, rng: int) -> bytes | None:
    return out.placed.get(rng)


def _finish(n_dumps: int, n_articles: int, *pieces: bytes | None) -> partitioned.RangeOut:
    def present(part: Sequence[bytes | None]) -> list[bytes]:
        return [p for p in part if p is not None]

    dumps = pieces[:n_dumps]
    articles = pieces[n_dumps : n_dumps + n_articles]
    placed = pieces[n_dumps + n_articles :]
    return partitioned.finish_range(present(dumps), present(articles), present(placed))


@contextmanager
def _client(scheduler: str | None, workers: int | None) -> Iterator[Client]:
    if scheduler is not None:
        with Client(scheduler) as client:
            yield client
        return
    with _local_cluster(workers or 2) as cluster, Client(cluster) as client:
        try:
            yield client
        except BaseException:  # Ctrl-C or a failure: stop now, not after the running tasks
            _stop_workers_now(cluster)  # before the client goes: the workers still report
            raise


@contextmanager
def _local_cluster(workers: int) -> Iterator[LocalCluster]:
    """A LocalCluster whose worker processes ignore the terminal's Ctrl-C.

    A terminal's Ctrl-C reaches the whole process group. Workers still importing
    builder (seconds on a busy machine; distributed spawns a fresh interpreter for
    each) each printed a `KeyboardInterrupt` traceback, and the half-started cluster
    more at exit. Here they are forks of builder's fork server, which ignores SIGINT
    and has builder imported already (see `local.start_fork_server`); the client
    handles the Ctrl-C and stops them (`_closer`).
    """
    start_fork_server(workers)
    with (
        dask.config.set({"distributed.worker.multiprocessing-method": "forkserver"}),
        contextlib.ExitStack() as stack,
    ):
        cluster = LocalCluster(
            n_workers=0,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            # Its HTTP server (health, metrics) otherwise takes port 8787, and warns on
            # stderr when another cluster has it: any free port, on this machine only.
            scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},
        )
        stack.push(_closer(cluster))  # a Ctrl-C while the workers start closes it too
        cluster.scale(workers)
        cluster.wait_for_workers(workers)
        yield cluster


def _closer(cluster: LocalCluster) -> Callable[..., bool]:
    def close(kind: type[BaseException] | None, *_: Any) -> bool:
        if kind is None:
            cluster.close()
            return False
        # Ctrl-C or a failure: stop now, not after the running tasks. A worker caught
        # starting fails distributed's own checks on close; the build's one-line error
        # says what happened, and the exit hook must not try (and print) again.
        _stop_workers_now(cluster)
        with contextlib.suppress(Exception):
            cluster.close(timeout=5)
        cluster.shutdown_on_close = False
        return False

    return close


def _stop_workers_now(cluster: LocalCluster) -> None:
    """Kill the local cluster's worker processes at once, quietly.

    A nanny otherwise asks its worker to finish the task it runs, waits 4 s, then
    kills it, logging warnings on the way; an interrupted build has no use for the
    task, and its one line of error should be all the user sees."""
    logging.getLogger("distributed").setLevel(logging.CRITICAL + 1)  # not even CRITICAL
    for nanny in list(cluster.workers.values()):
        process = getattr(getattr(nanny, "process", None), "process", None)
        pid = getattr(process, "pid", None)
        if not isinstance(pid, int):
            continue
        nanny.close_gracefully(reason="interrupted")  # no restart of the killed worker
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)


def run(
    specs: Sequence[str],
    scratch: Path,
    *,
    scheduler: str | None = None,
    workers: int | None = None,
    captured_at: datetime | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    on_rows: OnRows | None = None,
    on_stage: OnStage | None = None,
    inputs: Sequence[InputFile] | None = None,
) -> Staged:
    """Build on the cluster at `scheduler` (a new LocalCluster without one); `inputs`:
    the local inputs of `specs` when the caller has listed them already.

    `on_stage` hears ("parsing", dumps parsed, None) as the workers parse (their counts
    come as events, at most every PROGRESS_EVERY_S per worker), then each merged
    partition ("merging") and each collected id range ("collecting")."""
    step = on_stage or (lambda name, done, total: None)
    files: list[InputFile | RemoteFile]
    sizes: list[int]
    if any("://" in spec for spec in specs):
        remote = list_remote(specs)
        files, sizes = list(remote), [f.size for f in remote]
    else:
        local = find_inputs(specs) if inputs is None else inputs
        files, sizes = list(local), [partitioned.input_size(f) for f in local]
    n = partitioned.partitions_for(sum(sizes))
    settings = partitioned.Settings(partitions=n, captured_at=captured_at, max_bytes=max_bytes)
    batches: list[list[InputFile | RemoteFile]] = [
        list(b) for b in partitioned.batches_of(files, sizes)
    ]
    timings: dict[str, float] = {}
    rows: dict[str, int] = {}
    counts = _Counts()
    topic = f"builder-parsed-{uuid.uuid4().hex}" if on_stage is not None else None

    def poll() -> None:
        step("parsing", counts.total(), None)

    with _client(scheduler, workers) as client:
        if topic is not None:
            client.subscribe_topic(topic, counts.heard)
        extracted: list[Future[partitioned.BatchOut]] = client.map(
            _extract, batches, range(len(batches)), settings=settings, topic=topic, pure=False
        )
        known: set[str] = set()
        for batch, meta in enumerate(client.map(_batch_meta, extracted)):
            out = _result(meta, poll)
            counts.done(batch, len(out.rows))
            poll()
            known.update(out.known)
            timing.combine(timings, out.timings)
            if on_rows is not None:
                on_rows(out.rows)
        if topic is not None:
            client.unsubscribe_topic(topic)
        frozen = frozenset(known)
        merged = [
            client.submit(
                _merge, frozen, n, *[client.submit(_title_piece, b, p) for b in extracted]
            )
            for p in range(n)
        ]
        step("merging", 0, n)
        for done, merge_future in enumerate(client.map(_merge_timings, merged)):
            timing.combine(timings, _result(merge_future, lambda: None))
            step("merging", done + 1, n)
        finished = []
        for r in range(n):
            dump_pieces = [client.submit(_dump_piece, b, r) for b in extracted]
            article_pieces = [client.submit(_article_piece, m, r) for m in merged]
            placed_pieces = [client.submit(_placed_piece, m, r) for m in merged]
            finished.append(
                client.submit(
                    _finish,
                    len(dump_pieces),
                    len(article_pieces),
                    *dump_pieces,
                    *article_pieces,
                    *placed_pieces,
                )
            )
        del extracted, merged
        step("collecting", 0, n)
        for r, future in enumerate(finished):
            result: partitioned.RangeOut = _result(future, lambda: None)
            future.release()  # one range at a time in this process, and on the cluster
            for name, payload in result.tables.items():
                spill(payload, scratch / "tables" / name / f"{r:05d}.arrows")
                rows[name] = rows.get(name, 0) + result.rows[name]
            timing.combine(timings, result.timings)
            step("collecting", r + 1, n)
    return Staged(spilled_tables(scratch / "tables", rows), timings)
