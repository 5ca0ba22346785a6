"""Arrow allocates with the C library's malloc in every process of a build (its bundled
mimalloc made the kernel zero a 2 MB huge page each time it reused memory it had handed
back: a fifth of a build's CPU), unless the user names a pool; and builder's own
processes convert without importing pandas and start no BLAS threads."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pytest

from builder.engines import partitioned

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "samples" / "dumps"

BUILD_THEN_SAY_POOL = """
import sys
import pyarrow as pa
from builder.build import build
print(pa.default_memory_pool().backend_name)
build([sys.argv[1]], sys.argv[2], workers=1)
print(pa.default_memory_pool().backend_name)
"""


@pytest.mark.parametrize(
    ("named", "after"), [(None, "system"), ("mimalloc", "mimalloc"), ("jemalloc", "jemalloc")]
)
def test_a_build_allocates_with_malloc_unless_a_pool_is_named(
    tmp_path: Path, named: str | None, after: str
) -> None:
    if named == "jemalloc":
        try:
            pa.jemalloc_memory_pool()
        except NotImplementedError:
            pytest.skip("this pyarrow is built without jemalloc")
    env = {k: v for k, v in os.environ.items() if k != "ARROW_DEFAULT_MEMORY_POOL"}
    if named is not None:
        env["ARROW_DEFAULT_MEMORY_POOL"] = named
    done = subprocess.run(
        [sys.executable, "-c", BUILD_THEN_SAY_POOL, str(SAMPLES), str(tmp_path / "out")],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    before, now = done.stdout.split()
    assert now == after
    assert before == (named or "mimalloc")  # pyarrow's own default: builder changed it


def _pool_of_a_fresh_worker() -> str:
    return pa.default_memory_pool().backend_name


def _pool_after_a_merge_step() -> str:
    partitioned.merge_partition([], frozenset(), 1)
    return pa.default_memory_pool().backend_name


STEP_IN_A_FRESH_WORKER = """
from builder.engines import local
from tests.engines.test_allocator import _pool_after_a_merge_step, _pool_of_a_fresh_worker
with local._pool(2, context=local._CLEAN) as pool:
    print(pool.submit(_pool_of_a_fresh_worker).result())
    print(pool.submit(_pool_after_a_merge_step).result())
"""


def test_a_step_in_a_fresh_worker_allocates_with_malloc() -> None:
    """The merge and finish steps run in workers forked from a fork server that never
    ran `build`: each step sets the pool itself (so do Dask's workers, which run the
    same steps). In a process of its own, without the command's environment."""
    env = {k: v for k, v in os.environ.items() if k != "ARROW_DEFAULT_MEMORY_POOL"}
    done = subprocess.run(
        [sys.executable, "-c", STEP_IN_A_FRESH_WORKER],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["mimalloc", "system"]


@pytest.mark.parametrize(("named", "used"), [(None, "system"), ("mimalloc", "mimalloc")])
def test_the_builder_command_sets_arrows_allocator_before_pyarrow_loads(
    named: str | None, used: str
) -> None:
    """Arrow's own code (its readers and writers) allocates from the pool chosen when
    pyarrow is imported: the command chooses it first, for itself and its workers."""
    env = {k: v for k, v in os.environ.items() if k != "ARROW_DEFAULT_MEMORY_POOL"}
    if named is not None:
        env["ARROW_DEFAULT_MEMORY_POOL"] = named
    say = (
        "import os, builder.cli, pyarrow as pa; "
        "print(pa.default_memory_pool().backend_name, os.environ['ARROW_DEFAULT_MEMORY_POOL'])"
    )
    done = subprocess.run(
        [sys.executable, "-c", say], env=env, capture_output=True, text=True, check=True
    )
    assert done.stdout.split() == [used, used]


def test_arrow_without_pandas_skips_the_import_and_leaves_pandas_usable() -> None:
    """pyarrow imported pandas at its first conversion of Python values (~0.13 s of
    every build); after `arrow_without_pandas` it converts without it, and a conversion
    to pandas still works, after which pyarrow knows pandas objects again. In a fresh
    interpreter: the test process has pandas imported."""
    script = (
        "import sys\n"
        "from builder.engines.spill import arrow_without_pandas\n"
        "import pyarrow as pa\n"
        "arrow_without_pandas()\n"
        "table = pa.table({'a': [1, 2], 'b': ['x', None]})\n"
        "print('pandas' in sys.modules, table.column('a').type)\n"
        "frame = table.to_pandas()\n"
        "print(type(frame).__name__, list(frame['a']))\n"
        "import pandas as pd\n"
        "print(pa.types.is_dictionary(pa.array(pd.Categorical(['u', 'v', 'u'])).type))\n"
    )
    assert _python_says(script) == ["False", "int64", "DataFrame", "[1,", "2]", "True"]


def test_make_skips_pandas_and_a_library_build_leaves_pyarrow_as_it_is(tmp_path: Path) -> None:
    """`builder make` hands pyarrow no pandas object, so its process never imports
    pandas; `build()` called by a library caller (who may hand pyarrow pandas objects
    afterwards) leaves pyarrow's pandas support as it was."""
    samples = Path(__file__).resolve().parents[2] / "samples" / "dumps"
    script = (
        "import sys\n"
        "from builder.cli import app\n"
        "from builder.build import build\n"
        "if __name__ == '__main__':\n"
        "    if sys.argv[1] == 'cli':\n"
        "        app(['make', sys.argv[2], '--out', sys.argv[3], '-q', '--workers', '1'],\n"
        "            standalone_mode=False)\n"
        "    else:\n"
        "        build([sys.argv[2]], sys.argv[3], workers=1)\n"
        "    print('pandas' in sys.modules)\n"
    )
    (tmp_path / "run.py").write_text(script)

    def pandas_imported(how: str) -> str:
        out = tmp_path / how
        return subprocess.run(
            [sys.executable, str(tmp_path / "run.py"), how, str(samples), str(out)],
            capture_output=True,
            text=True,
            check=True,
            cwd=tmp_path,
        ).stdout.split()[-1]

    assert pandas_imported("cli") == "False"
    assert pandas_imported("library") == "True"


_MAPPED_BLOCKS = """
import ctypes, sys
from builder.engines.spill import use_system_allocator
class Info(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in (
        "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks",
        "uordblks", "fordblks", "keepcost")]
libc = ctypes.CDLL(None)
libc.mallinfo2.restype = Info
use_system_allocator()
before = libc.mallinfo2().hblks
block = bytearray(4 * 1024 * 1024)
print(libc.mallinfo2().hblks - before)
"""


@pytest.mark.skipif(not os.confstr("CS_GNU_LIBC_VERSION"), reason="glibc's malloc only")
def test_malloc_serves_a_steps_blocks_from_its_heap_unless_the_user_set_it() -> None:
    """glibc mapped every block over 128 KB on fresh pages and unmapped it when freed:
    each Arrow buffer of a build came zeroed by the kernel (210,000 page faults, 1.2 s of
    system time for 20,000 dumps). Once builder set up its allocator, a 4 MB block comes
    from the heap (no mapped block more); with the user's MALLOC_MMAP_THRESHOLD_, as the
    user said (mapped)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_")}

    assert _python_says(_MAPPED_BLOCKS, env) == ["0"]
    assert _python_says(_MAPPED_BLOCKS, {**env, "MALLOC_MMAP_THRESHOLD_": "131072"}) == ["1"]


_PHASES = _MAPPED_BLOCKS.replace(
    "print(libc.mallinfo2().hblks - before)\n",
    "step = libc.mallinfo2().hblks - before\n"
    "del block\n"
    "from builder.engines.spill import malloc_gives_back\n"
    "malloc_gives_back()\n"
    "before = libc.mallinfo2().hblks\n"
    "block = bytearray(4 * 1024 * 1024)\n"
    "publish = libc.mallinfo2().hblks - before\n"
    "del block\n"
    "use_system_allocator()\n"
    "before = libc.mallinfo2().hblks\n"
    "block = bytearray(4 * 1024 * 1024)\n"
    "print(step, publish, libc.mallinfo2().hblks - before)\n",
)


@pytest.mark.skipif(not os.confstr("CS_GNU_LIBC_VERSION"), reason="glibc's malloc only")
def test_the_publish_hands_blocks_back_and_the_next_steps_keep_them_again() -> None:
    """Kept blocks pay in the steps that allocate the same buffers again and again; at
    the publish, where a build peaks, they held ~90 MB more at 100,000 dumps. So a
    step's 4 MB block comes from the heap, the publish's is mapped (returned when
    freed), and the next build's step has the heap again; a user's setting stands."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_")}

    assert _python_says(_PHASES, env) == ["0", "1", "0"]
    assert _python_says(_PHASES, {**env, "MALLOC_MMAP_THRESHOLD_": "131072"}) == ["1", "1", "1"]


def _python_says(script: str, env: dict[str, str] | None = None) -> list[str]:
    """`tests.helpers.python_says`, which this module cannot import: it imports the CLI,
    whose import sets the command's allocator, and the fork server imports what its
    driver has (see test_a_step_in_a_fresh_worker_allocates_with_malloc)."""
    return subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, env=env
    ).stdout.split()


def _threads_after_importing_the_command(env: dict[str, str]) -> int:
    say = "import os, builder.cli, numpy; print(len(os.listdir('/proc/self/task')))"
    done = subprocess.run(
        [sys.executable, "-c", say], env=env, capture_output=True, text=True, check=True
    )
    return int(done.stdout)


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="needs Linux's /proc")
@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="OpenBLAS starts no thread on one core")
def test_the_builder_command_starts_no_blas_threads_unless_asked() -> None:
    """numpy's OpenBLAS would start a worker thread per core as it loads, which spins
    waiting for matrix work builder never has; a number the user sets is kept."""
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}
    by_default = _threads_after_importing_the_command(env)
    asked = _threads_after_importing_the_command({**env, "OPENBLAS_NUM_THREADS": "2"})
    assert asked == by_default + 1
