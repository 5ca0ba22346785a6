"""Pieces of the build (builder.build): its last step on spilled tables, its workers."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa

from builder import contract
from builder.build import _count_true
from builder.engines.partitioned import ipc_bytes
from builder.engines.spill import SpilledTable, held, spill
from tests.helpers import python_says
from tests.rows import example_tables


def test_true_values_are_counted_from_the_column_of_every_spilled_file(tmp_path: Path) -> None:
    articles = example_tables()["articles"]
    flags = [True, False, True][: articles.num_rows]
    index = articles.schema.get_field_index("published_after_capture")
    articles = articles.set_column(index, articles.schema.field(index), pa.array(flags, pa.bool_()))
    files = []
    for at, part in enumerate((articles.slice(0, 1), articles.slice(1))):
        path = tmp_path / f"{at:05d}.arrows"
        spill(ipc_bytes(part), path)
        files.append(path)
    spilled = SpilledTable(contract.arrow_schema("articles"), tuple(files), articles.num_rows)
    assert _count_true(spilled, "published_after_capture") == sum(flags) == 2
    assert _count_true(held(articles), "published_after_capture") == 2


def test_workers_started_runs_the_fork_server_for_the_block_when_a_pool_needs_it() -> None:
    """`make` starts the merge workers' fork server before listing its inputs, so that
    it imports beside the listing rather than beside the parse; the block stops it
    again (a build that failed must not leave it holding the output open), and nothing
    is started for one worker or the Dask engine. In a fresh interpreter: a test
    process may hold a server of an earlier test."""
    script = (
        "import multiprocessing.forkserver as fs, os\n"
        "from builder.build import workers_started\n"
        "def running():\n"
        "    pid = fs._forkserver._forkserver_pid\n"
        "    return pid is not None and os.path.exists(f'/proc/{pid}')\n"
        "with workers_started(1):\n"
        "    print(running())\n"
        "with workers_started(2, engine='dask'):\n"
        "    print(running())\n"
        "with workers_started(2):\n"
        "    pid = fs._forkserver._forkserver_pid\n"
        "    print(running())\n"
        "print(running(), os.path.exists(f'/proc/{pid}'))\n"
        "try:\n"
        "    with workers_started(2):\n"
        "        raise RuntimeError\n"
        "except RuntimeError:\n"
        "    print(running())\n"
    )
    assert python_says(script) == ["False", "False", "True", "False", "False", "False"]
