"""Compiles the per-line parser to C with mypyc, where a C compiler is at hand.

Why: parsing is Python that runs once per line of every dump, and its profile is flat
(no single function to speed up); mypyc turns the same type-checked modules into C
extensions, which cut the CPU of parsing a dump by a quarter (benchmarks/RESULTS.md).
Nothing else changes: the modules are the ones `mypy` already checks, and with
`BUILDER_PURE_PYTHON=1`, or without mypyc or a compiler, the very same source runs as
plain Python and gives the very same output (tests/test_compiled.py).

Everything else about the package is declared in pyproject.toml.
"""

from __future__ import annotations

import os
import runpy

from setuptools import setup

#: The module list, read without importing builder (whose dependencies may not be
#: installed yet).
COMPILED = runpy.run_path(os.path.join("src", "builder", "compiled.py"))["COMPILED"]


def extensions() -> list[object]:
    if os.environ.get("BUILDER_PURE_PYTHON") == "1":
        return []
    try:
        from mypyc.build import mypycify
    except ImportError:  # no mypyc: plain Python
        return []
    # mypyc type-checks the modules as `mypy` does, but following the imports of the
    # engines' modules into installed libraries it learns of `re._parser`, which makes
    # the parser's `type: ignore` for it unused: an error that would stop the build.
    options = ["--no-warn-unused-ignores"]
    modules = mypycify([*options, *(f"src/{path}" for path in COMPILED)], opt_level="3")
    for module in modules:
        # No compiler, or no Python headers: a warning, and the module stays Python.
        module.optional = True
    return modules


setup(ext_modules=extensions())
