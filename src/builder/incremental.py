"""Incremental builds: a rebuild that only adds dumps redoes only the titles they show.

A build with the per-dump cache leaves a small *state* beside the cache, describing the
release it produced: which titles every input (named by its cache key) shows, the
publishers the corpus names unambiguously, and every publisher an ambiguous glued
source line could settle on. A rebuild whose inputs are the previous ones plus new ones
then parses only the new dumps, re-merges only the title groups they touch (the old
sightings of those titles come back from the cache), and takes every other row from the
previous release as it is.

That is exact because the merge is a group-by on the normalised title (each title group
is merged on its own, see `merge.merge_part`) and every row is a function of its group
and of the corpus's known publishers. Whenever that could fail, `delta` returns None and
the full build runs instead: an input removed or changed (a cache key includes the
code, the settings and the capture time, so other code or settings count as changed),
a new publisher that an old ambiguous line could be read as, a missing cache entry, a
state that does not describe the latest release, or too many new inputs for one process.
Tests hold incremental and full builds to byte-identical releases.

Two shortcuts keep the rebuild a small fraction of the full build. An input whose file
looks as it did when it was last read (`sources.InputFile.stamp`: paths, inode, mode,
size, times) is not read again. And the rows taken from the latest release are not
checked row by row again, only the rows made here (check_spilled): they are used only
when that release's Parquet files are the ones its manifest lists, and the state is
only used by the code that wrote it, which checked them before publishing them.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any, Final

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from builder import contract, timing
from builder.contract.tables import to_tables
from builder.engines import BuildIndex, OnRows, OnStage, Staged
from builder.engines.partitioned import (
    INDEX_SCHEMA,
    TitleIndex,
    ipc_bytes,
    stamped_dumps,
    title_hash,
)
from builder.engines.spill import SpilledTable, held, spill
from builder.inputs.files import InputFile
from builder.inputs.walk import reading_stamp
from builder.merge import ambiguous_publishers, known_publishers, merge_part
from builder.records import DumpResult, Merged
from builder.release.cache import CACHE_DIR, CachedStage, cache_key, code_fingerprint
from builder.release.diff import read_manifest
from builder.release.store import store_path, table_files
from builder.release.versions import MANIFEST, VERSIONS_DIR, latest_version

STATE_DIR: Final = "state"
STATE_FILE: Final = "state.json"
INDEX_FILE: Final = "titles.parquet"
#: Bumped when the state's layout changes: an old state is then ignored.
FORMAT: Final = 2
#: New inputs beyond this share of the previous ones (and beyond MIN_NEW) are parsed
#: faster by the full build's process pool than by the delta's single process.
MAX_NEW_SHARE: Final = 0.10
MIN_NEW: Final = 256
#: Row order of each table (as `partitioned.finish_range` sorts it).
_ORDER: Final[Mapping[str, list[tuple[str, str]]]] = {
    "articles": [("article_id", "ascending")],
    "sightings": [("dump_id", "ascending"), ("position", "ascending")],
    "dumps": [("dump_id", "ascending")],
}


@dataclass(frozen=True)
class State:
    """The previous build, as far as an incremental build needs it."""

    version: str
    code: str  # cache.code_fingerprint() of the build that wrote it
    known: frozenset[str]
    ambiguous: frozenset[str]
    index: pa.Table  # partitioned.INDEX_SCHEMA


def state_dir(dataset_dir: Path) -> Path:
    return Path(dataset_dir) / CACHE_DIR / STATE_DIR


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _manifest_sha256(dataset_dir: Path, version: str) -> str:
    return _sha256(Path(dataset_dir) / VERSIONS_DIR / version / MANIFEST)


def save_state(dataset_dir: Path, index: BuildIndex) -> None:
    """Record `index` as the state of the latest release of `dataset_dir`.

    The index file is replaced first and the JSON naming its hash last, so a run killed
    in between leaves a state that does not verify (the next build is a full one).
    Failing to write it costs the next build its shortcut, nothing more.
    """
    version = latest_version(dataset_dir)
    if version is None:
        return
    folder = state_dir(dataset_dir)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        partial = folder / f".{INDEX_FILE}.{os.getpid()}"
        with pq.ParquetWriter(partial, INDEX_SCHEMA, compression="zstd") as writer:
            for part in index.parts:
                with pa.memory_map(str(part)) as source:
                    writer.write_table(pa.ipc.open_stream(source).read_all())
        index_sha256 = _sha256(partial)
        os.replace(partial, folder / INDEX_FILE)
        state = {
            "format": FORMAT,
            "version": version,
            "manifest_sha256": _manifest_sha256(dataset_dir, version),
            "index_sha256": index_sha256,
            "code": code_fingerprint(),
            "known": sorted(index.known),
            "ambiguous": sorted(index.ambiguous),
        }
        partial = folder / f".{STATE_FILE}.{os.getpid()}"
        partial.write_text(json.dumps(state, ensure_ascii=False), encoding="utf-8")
        os.replace(partial, folder / STATE_FILE)
    except OSError:
        return


def load_state(dataset_dir: Path) -> State | None:
    """The saved state, if it describes the latest release exactly; None otherwise."""
    folder = state_dir(dataset_dir)
    try:
        meta = json.loads((folder / STATE_FILE).read_text(encoding="utf-8"))
        version = latest_version(dataset_dir)
        if (
            not isinstance(meta, dict)
            or meta.get("format") != FORMAT
            or version is None
            or meta.get("version") != version
            or meta.get("manifest_sha256") != _manifest_sha256(dataset_dir, version)
        ):
            return None
        data = (folder / INDEX_FILE).read_bytes()
        if hashlib.sha256(data).hexdigest() != meta.get("index_sha256"):
            return None
        index = _read_parquet(data)
        if not index.schema.equals(INDEX_SCHEMA):
            return None
        known, ambiguous = frozenset(meta["known"]), frozenset(meta["ambiguous"])
        return State(version, str(meta["code"]), known, ambiguous, index)
    except (OSError, ValueError, KeyError, TypeError, pa.ArrowException):
        return None


def delta(
    files: Sequence[InputFile],
    dataset_dir: Path,
    scratch: Path,
    *,
    stage: CachedStage,
    captured_at: datetime | None,
    max_bytes: int,
    on_rows: OnRows | None = None,
    on_stage: OnStage | None = None,
) -> Staged | None:
    """The tables of `files` built from the latest release plus the new inputs, or None
    when the inputs are not the previous ones plus new ones (see the module docstring).

    An input whose stamp (what listing saw of the file, with the reading settings) is
    the one the state recorded holds the bytes it held, so it is not read again; every
    other input is read and hashed (that is what names it), and only the new ones are
    parsed. This runs in one process: reading many small files is bound by the kernel,
    and two processes read them no faster than one (measured on the 2-core machine of
    benchmarks/RESULTS.md), while a pool costs its start-up.

    `on_stage` hears ("parsing", dumps so far, None) once per dump: the dumps of inputs
    not read again count at once, then each dump read (and parsed when new) adds one;
    then "merging" and "collecting", each a step of one. A call in this process, not a
    message between processes: the bar moves per dump at no measurable cost.
    """
    step = on_stage or _no_stage
    state = load_state(dataset_dir)
    if state is None or state.code != code_fingerprint():
        return None  # other code: every input would be new
    timing.take()
    index = state.index
    previous = frozenset(index.column("key").to_pylist())
    limit = max(MIN_NEW, int(len(previous) * MAX_NEW_SHARE))
    recorded = frozenset(index.column("stamp").drop_null().to_pylist())
    unread: list[int] = []
    to_read: list[InputFile] = []
    for file in files:
        stamp = reading_stamp(file, captured_at, max_bytes)
        if stamp is not None and stamp in recorded:
            unread.append(stamp)
        else:
            to_read.append(file)
    same = pc.is_in(index.column("stamp"), value_set=pa.array(unread, pa.uint64()))
    seen = set(index.filter(same).column("key").to_pylist())
    counted = len(seen)  # dumps of the inputs not read again: already done
    step("parsing", counted, None)
    new: list[tuple[str, DumpResult, int | None]] = []
    settled: dict[str, int] = {}  # old inputs read again whose stamp can now be trusted
    pairs = stamped_dumps(to_read, captured_at=captured_at, max_bytes=max_bytes)
    for raw, stamp in timing.timed_items(pairs, "read"):
        key = cache_key(raw, raw.sha256)
        if key in previous:
            seen.add(key)
            if stamp is not None:
                settled[key] = stamp
        elif len(new) == limit:
            return None  # so many new inputs that the full build, in parallel, is faster
        else:
            new.append((*stage.keyed(raw), stamp))
        counted += 1
        step("parsing", counted, None)
    stage.flush()  # the new dumps' results, written once
    if seen != previous:
        return None  # an input was removed or changed
    if settled:
        state = replace(state, index=_restamp(index, settled))
    return _rebuild(
        state,
        new,
        dataset_dir,
        scratch,
        stage=stage,
        on_rows=on_rows,
        on_stage=step,
        read=len(to_read),
    )


def _no_stage(name: str, done: int, total: int | None) -> None:
    return None


def _restamp(index: pa.Table, stamps: Mapping[str, int]) -> pa.Table:
    """`index` with the given stamps for those keys: an input first read right after it
    was written has no stamp, and without this it would be read by every rebuild."""
    keys = pa.array(list(stamps), pa.string())
    at = pc.index_in(index.column("key"), value_set=keys)
    given = pc.take(pa.array(list(stamps.values()), pa.uint64()), at)
    column = pc.if_else(pc.is_null(at), index.column("stamp"), given)
    where = INDEX_SCHEMA.get_field_index("stamp")
    return index.set_column(where, INDEX_SCHEMA.field(where), column)


def _rebuild(
    state: State,
    new: Sequence[tuple[str, DumpResult, int | None]],
    dataset_dir: Path,
    scratch: Path,
    *,
    stage: CachedStage,
    on_rows: OnRows | None,
    on_stage: OnStage,
    read: int,
) -> Staged | None:
    new_results = [result for _, result, _ in new]
    new_sightings = [s for r in new_results for s in r.sightings]
    known = state.known | known_publishers(new_sightings)
    if (known - state.known) & state.ambiguous:
        return None  # an old ambiguous line may now settle on another publisher
    touched = {title_hash(s.title) for s in new_sightings}
    index = state.index
    hit = pc.is_in(index.column("title_hash"), value_set=pa.array(sorted(touched), pa.uint64()))
    old_results = stage.stored_all(index.filter(hit).column("key").to_pylist())
    if old_results is None:
        return None  # the cache lost an entry: only a full build can redo it
    on_stage("merging", 0, 1)
    with timing.timed("merge"):
        old_sightings = [
            s for r in old_results for s in r.sightings if title_hash(s.title) in touched
        ]
        dumps = {r.dump.dump_id: r.dump for r in (*old_results, *new_results)}
        articles, placed = merge_part([*old_sightings, *new_sightings], dumps, known)
    on_stage("merging", 1, 1)
    on_stage("collecting", 0, 1)
    with timing.timed("write"):
        fresh = to_tables(Merged(articles, placed, [r.dump for r in new_results]))
        previous = read_intact_release(Path(dataset_dir) / VERSIONS_DIR / state.version)
        if previous is None:
            return None  # a published file was altered: its rows cannot be reused
        tables = _combine(previous, fresh, [s.sighting_id for s in old_sightings])
        whole: dict[str, SpilledTable] = {name: held(table) for name, table in tables.items()}
    on_stage("collecting", 1, 1)
    if on_rows is not None:
        on_rows([r.dump for r in new_results])  # the dumps the per-dump stage saw
    new_index = TitleIndex()
    for key, result, stamp in new:
        new_index.add(key, (title_hash(s.title) for s in result.sightings), stamp)
    parts = (
        _write_ipc(index, scratch / "index" / "previous.arrows"),
        _write_ipc(new_index.table(), scratch / "index" / "new.arrows"),
    )
    ambiguous = state.ambiguous | ambiguous_publishers(new_sightings)
    return Staged(
        whole,
        timing.take(),
        BuildIndex(parts, frozenset(known), frozenset(ambiguous)),
        incremental={
            "reused_dumps": len(pc.unique(index.column("key"))),
            "new_dumps": len(new),
            "titles_merged": len(touched),
            "dumps_reloaded": len(old_results),
            "inputs_read": read,
        },
        previous=(state.version, previous),
        fresh=fresh,
    )


def read_intact_release(release: Path) -> dict[str, pa.Table] | None:
    """The tables of a published release, or None unless every Parquet file is the one
    its manifest lists (sha256 and size); the files are read from the shared store.

    An incremental build republishes these rows without checking each one again (the
    same code checked them before they were published), so it must know that they are
    still the rows that were checked."""
    manifest = read_manifest(release)
    listed = manifest.get("files")
    if not isinstance(listed, dict):
        return None
    tables: dict[str, pa.Table] = {}
    try:
        for name in contract.TABLES:
            files = table_files(manifest, name)
            if not files:
                return None
            parts = []
            for file in files:
                data = store_path(release, file).read_bytes()
                entry = listed[file]
                if (len(data), hashlib.sha256(data).hexdigest()) != (
                    entry.get("size_bytes"),
                    entry.get("sha256"),
                ):
                    return None
                parts.append(_read_parquet(data))
            tables[name] = pa.concat_tables(parts)
    except (OSError, AttributeError, pa.ArrowException):
        return None
    return tables


def _read_parquet(data: bytes) -> pa.Table:
    """One Parquet file's table; not `pq.read_table`, whose dataset layer imports pandas
    (half a second of an incremental build)."""
    return pq.ParquetFile(pa.BufferReader(data)).read()


def _combine(
    previous: Mapping[str, pa.Table], fresh: Mapping[str, pa.Table], replaced: Sequence[str]
) -> dict[str, pa.Table]:
    """The previous tables without the rows of the re-merged titles, plus the fresh
    rows, in key order: the tables a full build gives."""
    old = {name: previous[name].cast(contract.arrow_schema(name)) for name in contract.TABLES}
    sightings = old["sightings"]
    gone = pc.is_in(sightings.column("sighting_id"), value_set=pa.array(replaced, pa.string()))
    gone_articles = pc.unique(sightings.filter(gone).column("article_id"))
    articles = old["articles"]
    kept = {
        "articles": articles.filter(
            pc.invert(pc.is_in(articles.column("article_id"), value_set=gone_articles))
        ),
        "sightings": sightings.filter(pc.invert(gone)),
        "dumps": old["dumps"],
    }
    return {
        name: pa.concat_tables([kept[name], fresh[name]]).sort_by(_ORDER[name]).combine_chunks()
        for name in contract.TABLES
    }


def _write_ipc(table: pa.Table, path: Path) -> Path:
    spill(ipc_bytes(table), path)
    return path


def describe(stats: Mapping[str, Any]) -> str:
    """One line for the build report."""
    return (
        f"incremental: {stats['new_dumps']} new dump(s) parsed, {stats['titles_merged']} "
        f"title(s) merged again, {stats['reused_dumps']} dump(s) reused, "
        f"{stats['inputs_read']} input file(s) read"
    )
