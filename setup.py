"""Compiles the per-line parser to C with mypyc, where a C compiler is at hand.

Why: parsing is Python that runs once per line of every dump, and its profile is flat
(no single function to speed up); mypyc turns the same type-checked modules into C
extensions, which cut the CPU of parsing a dump by a quarter (benchmarks/RESULTS.md).
Nothing else changes: the modules are the ones `mypy` already checks, and with
`BUILDER_PURE_PYTHON=1`, or without mypyc or a compiler, the very same source runs as
plain Python and gives the very same output (tests/test_compiled.py).

The language detector's model reader (`builder/parse/_lid.cpp`) is a small C++
extension of builder's own, built the same way: optional, skipped with
`BUILDER_PURE_PYTHON=1`, and without it fasttext-predict gives the very same answers
(src/builder/parse/language.py says why it exists).

Everything else about the package is declared in pyproject.toml.
"""

from __future__ import annotations

import os
import runpy

from setuptools import Extension, setup

#: The module list, read without importing builder (whose dependencies may not be
#: installed yet).
COMPILED = runpy.run_path(os.path.join("src", "builder", "compiled.py"))["COMPILED"]


#: Portable code that computes exactly what fastText computes: no `-march` (the same
#: answers on every x86-64 machine) and no fused multiply-adds or `-ffast-math` (each
#: float operation rounded as fastText's are).
LID_FLAGS = ["-std=c++17", "-O3", "-ffp-contract=off", "-fno-fast-math"]


def language_reader() -> Extension:
    return Extension(
        "builder.parse._lid",
        ["src/builder/parse/_lid.cpp"],
        language="c++",
        extra_compile_args=LID_FLAGS,
        optional=True,  # no compiler: a warning, and fasttext-predict reads the model
    )


def extensions() -> list[object]:
    if os.environ.get("BUILDER_PURE_PYTHON") == "1":
        return []
    return [*mypyc_modules(), language_reader()]


def mypyc_modules() -> list[object]:
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
