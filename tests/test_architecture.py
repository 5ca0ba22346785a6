"""The folder layout is the pipeline: imports only run down it, and nothing loops.

Read from the source with `ast` (nothing is imported), so a lazy import inside a
function counts as much as one at the top of a module.
"""

from __future__ import annotations

import ast
import textwrap
from collections.abc import Iterator
from pathlib import Path

from tests.helpers import ROOT

SRC = ROOT / "src"

#: Each part of `builder` and its layer: a part may import its own layer's parts or
#: lower ones, never higher ones. Parts of one layer must not import each other in a
#: loop. The order is the order data flows in: inputs -> parse -> merge -> engines ->
#: release, under the orchestration (build, incremental) and the CLI.
LAYERS: dict[str, int] = {
    "builder": 0,  # the package itself: its version and PARSER_VERSION
    "builder.records": 0,
    "builder.timing": 0,
    "builder.compiled": 0,  # which modules are compiled to C, and which form runs
    "builder.contract": 1,
    "builder.inputs": 2,
    "builder.parse": 3,
    "builder.merge": 4,
    "builder.engines": 5,
    "builder.release": 6,
    "builder.build": 7,
    "builder.incremental": 7,
    "builder.report": 7,  # reads releases, renders them: report.html and the card's picture
    "builder.sources": 8,  # deprecated aliases of documented paths
    "builder.extract": 8,
    "builder.cli": 9,
}


def module_names(src: Path) -> dict[str, Path]:
    """Every module under src/builder by dotted name (a package by its __init__)."""
    found: dict[str, Path] = {}
    for path in sorted((src / "builder").rglob("*.py")):
        parts = path.relative_to(src).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


def _imports(path: Path, name: str, modules: dict[str, Path]) -> Iterator[tuple[str, int]]:
    """(imported builder module, line) for every import in one module."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "builder":
                    yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            if base.split(".")[0] != "builder":
                continue
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                yield (sub if sub in modules else base), node.lineno


def part_of(module: str) -> str:
    """The part of the pipeline a module belongs to: `builder.X` for `builder.X.Y...`."""
    return ".".join(module.split(".")[:2])


def violations(src: Path) -> list[str]:
    """One line per import that runs back up the pipeline, names an unknown part, or
    closes a loop between parts; empty when the layout holds."""
    modules = module_names(src)
    problems: list[str] = []
    edges: dict[str, set[str]] = {}
    for name, path in modules.items():
        here = part_of(name)
        if here not in LAYERS:
            problems.append(f"{name}: part {here} has no layer (add it to LAYERS)")
            continue
        for target, line in _imports(path, name, modules):
            there = part_of(target)
            where = f"{path.relative_to(src)}:{line}"
            if there not in LAYERS:
                problems.append(f"{where}: imports {target}, which has no layer")
            elif LAYERS[there] > LAYERS[here]:
                problems.append(f"{where}: {here} imports {target}, up the pipeline")
            if there != here:
                edges.setdefault(here, set()).add(there)
    problems += [f"loop between parts: {' -> '.join(loop)}" for loop in _loops(edges)]
    return problems


def _loops(edges: dict[str, set[str]]) -> list[list[str]]:
    """Each loop a depth-first search meets, as the parts along it (first part repeated)."""
    done: set[str] = set()
    loops: list[list[str]] = []

    def visit(node: str, path: list[str]) -> None:
        for nxt in sorted(edges.get(node, ())):
            if nxt in path:
                loops.append([*path[path.index(nxt) :], nxt])
            elif nxt not in done:
                visit(nxt, [*path, nxt])
        done.add(node)

    for start in sorted(edges):
        if start not in done:
            visit(start, [start])
    return loops


def test_imports_only_run_down_the_pipeline() -> None:
    assert violations(SRC) == []


def test_every_part_is_a_known_layer_and_every_package_says_what_it_holds() -> None:
    modules = module_names(SRC)
    assert {part_of(name) for name in modules} <= set(LAYERS)
    for name, path in modules.items():
        if path.name == "__init__.py" and name != "builder":
            doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8")))
            assert doc, f"{path.relative_to(SRC)} has no docstring saying what it holds"


def _tree(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / "builder" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    return root


def test_an_import_up_the_pipeline_is_caught_even_inside_a_function(tmp_path: Path) -> None:
    src = _tree(
        tmp_path,
        {
            "__init__.py": "",
            "parse/__init__.py": '"""parse"""\n',
            "parse/extract.py": """
                def extract():
                    from builder.release.publish import publish_release
                    return publish_release
            """,
            "release/__init__.py": '"""release"""\n',
            "release/publish.py": "from builder.parse import extract\npublish_release = 1\n",
        },
    )
    assert violations(src) == [
        "builder/parse/extract.py:3: builder.parse imports builder.release.publish, "
        "up the pipeline",
        "loop between parts: builder.parse -> builder.release -> builder.parse",
    ]


def test_a_loop_within_one_layer_and_an_unknown_part_are_caught(tmp_path: Path) -> None:
    src = _tree(
        tmp_path,
        {
            "__init__.py": "",
            "build.py": "from builder import incremental\n",
            "incremental.py": "from . import build\n",
            "gallery.py": "from builder import build\n",
        },
    )
    found = violations(src)
    assert "builder.gallery: part builder.gallery has no layer (add it to LAYERS)" in found
    assert any(line.startswith("loop between parts: builder.build") for line in found), found
