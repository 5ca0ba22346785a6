"""Which modules are compiled to C with mypyc, and which form of them runs.

The per-line parser runs once per line of every dump; compiled, it costs a quarter less
CPU, with the very same output (setup.py says how it is built, and that a machine
without a compiler simply runs it as Python). This file is only a list and a check, read
by setup.py without importing builder: it imports nothing but the standard library.

A compiled module is a file beside its source (`repair.cpython-311-x86_64-linux-gnu.so`
beside `repair.py`), and Python loads it in preference to the source. In a source
checkout (an editable install) that file stays behind when the source changes: the
old code would still run. `choose()` finds such files, says so in one line and has
Python load every compiled module from its source instead: slower, never out of date.
`BUILDER_PURE_PYTHON=1` asks for the sources without a word (the tests compare both).
The C++ language reader (NATIVE) is checked the same way, and set aside alone when it
is stale (its module then asks fasttext-predict).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from importlib.abc import MetaPathFinder
from importlib.machinery import EXTENSION_SUFFIXES, ModuleSpec
from importlib.util import spec_from_file_location
from pathlib import Path
from types import ModuleType

#: Relative to `src/`. Everything that runs per line of a dump; not `records` (its rows
#: are read through their `__dict__`, which compiled classes do not have).
COMPILED = (
    # What runs once per dump or per sighting around the parser: listing and reading
    # the inputs, decoding, the batch step's payloads. Not `contract/rows.py` (its
    # checks are generated from the schema at run time, which stays Python) nor
    # `release/cache.py` (Arrow does its work): compiled, neither cost less.
    "builder/engines/partitioned.py",
    "builder/inputs/decode.py",
    "builder/inputs/files.py",
    "builder/inputs/read.py",
    "builder/inputs/walk.py",
    "builder/merge.py",
    # The per-line parser.
    "builder/parse/evidence.py",
    "builder/parse/extract.py",
    "builder/parse/furniture.py",
    "builder/parse/layouts/registry.py",
    "builder/parse/layouts/segment.py",
    "builder/parse/repair.py",
    "builder/parse/spans.py",
    "builder/parse/times.py",
)

#: Extensions written in C++ (relative to `src/`), each its own file with no Python
#: source to fall back to: the module that imports one asks `native()` and uses its
#: pure alternative when that says no (the language reader: fasttext-predict).
NATIVE = ("builder/parse/_lid.cpp",)

_SRC = Path(__file__).resolve().parent.parent


def extension_of(source: Path) -> Path | None:
    """The compiled module built from `source`, if there is one beside it."""
    for suffix in EXTENSION_SUFFIXES:
        candidate = source.with_name(source.stem + suffix)
        if candidate.is_file():
            return candidate
    return None


def stale(src: Path = _SRC) -> list[str]:
    """The compiled modules of a source checkout whose source changed after they were
    built (their paths, relative to `src`). An installed wheel has no checkout around
    it (no setup.py above `src`) and is never stale: its files are written together.

    A module's code lives in the build's shared library (`src/<hash>__mypyc...so`); the
    file beside its source only loads it, and `setup.py build_ext --inplace` leaves
    that file as it was when it did not change. So a module was built when the later
    of the two was written. A C++ extension of NATIVE has all its code in its own file."""
    if not (src.parent / "setup.py").is_file():
        return []
    shared = [p.stat().st_mtime for s in EXTENSION_SUFFIXES for p in src.glob(f"*__mypyc{s}")]
    built = max(shared, default=0.0)
    out = []
    for path in (*COMPILED, *NATIVE):
        source = src / path
        extension = extension_of(source)
        if extension is None:
            continue
        written = extension.stat().st_mtime
        if source.stat().st_mtime > (written if path in NATIVE else max(built, written)):
            out.append(path)
    return out


def compiled(src: Path = _SRC) -> list[str]:
    """The modules of COMPILED that have a compiled file beside their source."""
    return [path for path in COMPILED if extension_of(src / path) is not None]


def module_name(path: str) -> str:
    """`builder/parse/repair.py` -> `builder.parse.repair`."""
    return path.removesuffix(".py").replace("/", ".")


class _Sources(MetaPathFinder):
    """Finds the modules of COMPILED as their `.py` files, ahead of the compiled ones."""

    def __init__(self, src: Path) -> None:
        self.sources = {module_name(path): src / path for path in COMPILED}

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> ModuleSpec | None:
        source = self.sources.get(fullname)
        return None if source is None else spec_from_file_location(fullname, source)


#: Set once the notice about stale modules was shown: processes started later (pool
#: workers, the fork server) inherit it and stay quiet.
_NOTICE_SHOWN = "BUILDER_STALE_NOTICE_SHOWN"


#: The C++ extensions of NATIVE this process leaves aside (all of them with
#: BUILDER_PURE_PYTHON=1, else the stale ones), as `choose()` found them; inherited by
#: the processes forked from it.
_SET_ASIDE: set[str] = set()


def native(path: str) -> bool:
    """Whether the C++ extension built from `path` (one of NATIVE) may be loaded: not
    when the sources were asked for, nor when `path` changed after it was built."""
    return path not in _SET_ASIDE


def choose(src: Path = _SRC) -> None:
    """Run the sources rather than the compiled modules when asked to, or when any
    compiled module is stale. All of them, not only the stale ones: compiled modules
    call each other directly, past the module objects an import would replace. A stale
    C++ extension is set aside alone (see `native`): it calls no other module.

    Called by `builder` itself (its `__init__`), so before any compiled module is
    imported: one compiled module imports the others of its build, past `sys.meta_path`."""
    pure = os.environ.get("BUILDER_PURE_PYTHON") == "1"
    old = [] if pure else stale(src)
    _SET_ASIDE.clear()
    _SET_ASIDE.update(NATIVE if pure else [path for path in old if path in NATIVE])
    if old and not os.environ.get(_NOTICE_SHOWN):
        os.environ[_NOTICE_SHOWN] = "1"
        sys.stderr.write(
            f"builder: {', '.join(old)} changed after compiling; running without that"
            " compiled code (slower) until `make` (or `pip install -e .`) compiles it again\n"
        )
    sources = any(isinstance(finder, _Sources) for finder in sys.meta_path)
    if (pure or any(path in COMPILED for path in old)) and not sources:
        sys.meta_path.insert(0, _Sources(src))
