"""The parser compiled by mypyc and the same parser as Python: same rows, never stale."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import textwrap
import time
from importlib.util import find_spec
from pathlib import Path

import pytest

from builder import compiled
from builder.compiled import COMPILED, module_name
from tests.helpers import ROOT, corpus_module

SHARED = ROOT.parent / "shared"

#: Prints one digest of every sighting and dumps row `extract` gives for the pages
#: named on stdin (one path a line), with languages: the whole per-dump stage.
_DIGEST = textwrap.dedent(
    """
    import hashlib, pickle, sys
    from datetime import datetime, timezone
    from pathlib import Path
    from builder.records import RawDump
    from builder.parse.extract import extract
    import builder.parse.repair as repair
    when = datetime(2025, 7, 1, 12, tzinfo=timezone.utc)
    digest = hashlib.sha256()
    for name in sys.stdin.read().split():
        data = Path(name).read_bytes()
        raw = RawDump(path=name, data=data, captured_at=when, captured_at_source="option")
        result = extract(raw)
        digest.update(pickle.dumps((result.dump, result.sightings)))
    print(repair.__file__, digest.hexdigest())
    """
)


def _pages(tmp_path: Path) -> list[Path]:
    """Samples, a generated corpus with every layout and artefact the generator makes,
    and the real pages when they are beside the checkout."""
    generated = tmp_path / "generated"
    corpus_module().generate_corpus(generated, 400, seed=5, mean_size=4000)
    pages = sorted((ROOT / "samples" / "dumps").glob("*.txt")) + sorted(generated.glob("*.txt"))
    for folder in (SHARED / "corpus" / "daily8-dev", SHARED / "seeds"):
        pages += sorted(folder.glob("*.txt"))
    return pages


def _env(**env: str) -> dict[str, str]:
    """This process's environment with `env`: as installed (compiled) unless `env` asks
    for Python, whatever this test run was started with."""
    inherited = {k: v for k, v in os.environ.items() if k != "BUILDER_PURE_PYTHON"}
    return {**inherited, **env}


def _digest(pages: list[Path], **env: str) -> tuple[str, str]:
    result = subprocess.run(
        [sys.executable, "-c", _DIGEST],
        input="\n".join(map(str, pages)),
        capture_output=True,
        text=True,
        env=_env(**env),
        timeout=600,
        check=True,
    )
    module_file, digest = result.stdout.split()
    return module_file, digest


def test_compiled_and_python_parsers_give_the_same_rows(tmp_path: Path) -> None:
    pages = _pages(tmp_path)
    assert len(pages) > 400
    as_built = _digest(pages)
    as_python = _digest(pages, BUILDER_PURE_PYTHON="1")
    assert as_python[0].endswith("repair.py")
    if compiled.compiled():
        assert not as_built[0].endswith(".py"), "the compiled parser was not the one that ran"
    assert as_built[1] == as_python[1]


def test_the_digest_tells_different_rows_apart(tmp_path: Path) -> None:
    """The comparison above can fail: one page more changes the digest."""
    pages = sorted((ROOT / "samples" / "dumps").glob("*.txt"))
    assert _digest(pages[:-1], BUILDER_PURE_PYTHON="1")[1] != _digest(pages)[1]


def test_the_parser_is_compiled_where_mypyc_and_a_compiler_are() -> None:
    """`make` compiles it here: a silent fall back to Python would lose the speed."""
    compiler = (sysconfig.get_config_var("CC") or "cc").split()[0]
    assert find_spec("mypyc") is not None and shutil.which(compiler), (
        "the test extra brings mypy (mypyc); CI machines have gcc and Python's headers"
    )
    assert compiled.compiled() == list(COMPILED)
    assert compiled.stale() == []


def test_the_language_reader_is_compiled_where_a_compiler_is() -> None:
    """The install builds `_lid.cpp` too, and builder asks it (not fasttext-predict)
    unless told to run as Python."""
    compiler = (sysconfig.get_config_var("CXX") or "c++").split()[0]
    assert shutil.which(compiler), "CI machines have g++ and Python's headers"
    assert find_spec("builder.parse._lid") is not None
    script = "from builder.parse import language; print(type(language._model()).__module__)"
    for env, module in ({}, "builder.parse._lid"), ({"BUILDER_PURE_PYTHON": "1"}, "language"):
        done = subprocess.run(
            [sys.executable, "-c", script],
            capture_output=True,
            text=True,
            env=_env(**env),
            timeout=60,
            check=True,
        )
        assert done.stdout.strip().endswith(module), (env, done.stdout)


def _checkout(tmp_path: Path) -> Path:
    """A source checkout's shape: setup.py beside src/, one compiled module built."""
    (tmp_path / "setup.py").write_text("")
    src = tmp_path / "src"
    for path in COMPILED:
        (src / path).parent.mkdir(parents=True, exist_ok=True)
        (src / path).write_text("")
    return src


def test_a_source_newer_than_its_compiled_module_is_stale(tmp_path: Path) -> None:
    src = _checkout(tmp_path)
    source = src / "builder/parse/repair.py"
    extension = source.with_name("repair" + compiled.EXTENSION_SUFFIXES[0])
    extension.write_bytes(b"")
    past = time.time() - 60
    os.utime(source, (past, past))
    assert compiled.stale(src) == []
    assert compiled.compiled(src) == ["builder/parse/repair.py"]
    source.write_text("# edited\n")
    assert compiled.stale(src) == ["builder/parse/repair.py"]
    (tmp_path / "setup.py").unlink()  # an installed wheel: files written together
    assert compiled.stale(src) == []


def test_a_native_extension_older_than_its_source_is_stale(tmp_path: Path) -> None:
    """The C++ reader's code is all in its own file: the shared library of the mypyc
    build says nothing about it."""
    src = _checkout(tmp_path)
    source = src / "builder/parse/_lid.cpp"
    source.write_text("")
    extension = source.with_name("_lid" + compiled.EXTENSION_SUFFIXES[0])
    extension.write_bytes(b"")
    os.utime(source, (time.time() - 60, time.time() - 60))
    assert compiled.stale(src) == []
    os.utime(extension, (time.time() - 120, time.time() - 120))
    (src / ("0123abcd__mypyc" + compiled.EXTENSION_SUFFIXES[0])).write_bytes(b"")
    assert compiled.stale(src) == ["builder/parse/_lid.cpp"]


def test_a_module_rebuilt_into_the_shared_library_is_not_stale(tmp_path: Path) -> None:
    """`setup.py build_ext --inplace` rewrites the build's shared library, where the
    code is, and leaves the loader beside the source as it was."""
    src = _checkout(tmp_path)
    source = src / "builder/parse/repair.py"
    extension = source.with_name("repair" + compiled.EXTENSION_SUFFIXES[0])
    extension.write_bytes(b"")
    os.utime(extension, (time.time() - 120, time.time() - 120))
    os.utime(source, (time.time() - 60, time.time() - 60))
    assert compiled.stale(src) == ["builder/parse/repair.py"]
    (src / ("0123abcd__mypyc" + compiled.EXTENSION_SUFFIXES[0])).write_bytes(b"")
    assert compiled.stale(src) == []


def _run_with_stale_module(
    tmp_path: Path, code: str, stale: str = "builder/parse/repair.py", **env: str
) -> subprocess.CompletedProcess[str]:
    """`code` run by a copy of src/ in which `stale` is newer than its compiled file."""
    if not compiled.compiled():
        pytest.skip("nothing is compiled in this install (no mypyc or no compiler)")
    copy = tmp_path / "checkout"
    if not copy.exists():
        shutil.copytree(ROOT / "src", copy / "src", symlinks=False)
        shutil.copy(ROOT / "setup.py", copy / "setup.py")
        source = copy / "src" / stale
        # After the later of its loader and the shared library (`build_ext --inplace`
        # rewrites only the library): stale however the checkout was last compiled.
        files = [compiled.extension_of(source), *(copy / "src").glob("*__mypyc*.so")]
        later = max(f.stat().st_mtime for f in files if f is not None) + 60
        os.utime(source, (later, later))
    return subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=_env(PYTHONPATH=str(copy / "src"), **env),
        timeout=120,
        check=True,
    )


def test_a_stale_compiled_parser_is_not_run_and_the_user_is_told_once(tmp_path: Path) -> None:
    # The inputs' walk first: a compiled module imports the others of its build itself,
    # so builder must choose before any of them is imported, not only before the parser.
    names = sorted(map(module_name, COMPILED), key=lambda name: name != "builder.inputs.walk")
    code = "; ".join(
        [
            "import importlib, sys",
            *[f"importlib.import_module({name!r})" for name in names],
            f"print(*[sys.modules[m].__file__ for m in {sorted(names)!r}], sep='\\n')",
        ]
    )
    result = _run_with_stale_module(tmp_path, code, BUILDER_STALE_NOTICE_SHOWN="")
    files = result.stdout.split()
    assert len(files) == len(COMPILED)
    assert all(name.endswith(".py") for name in files), files
    assert str(tmp_path) in files[0]
    assert result.stderr.count("\n") == 1
    assert "builder/parse/repair.py changed after compiling" in result.stderr
    assert "`make`" in result.stderr
    # A process started by this one (a pool worker) stays quiet.
    quiet = _run_with_stale_module(tmp_path, code, BUILDER_STALE_NOTICE_SHOWN="1")
    assert quiet.stderr == ""


def test_a_stale_language_reader_is_not_run_and_the_user_is_told(tmp_path: Path) -> None:
    """`_lid.cpp` edited and not rebuilt: fasttext-predict answers, as without a
    compiler; the parser stays compiled (the reader calls none of it)."""
    assert find_spec("builder.parse._lid") is not None, "the install builds the reader"
    code = (
        "from builder.parse import language, repair;"
        " print(type(language._model()).__module__, repair.__file__)"
    )
    result = _run_with_stale_module(
        tmp_path, code, "builder/parse/_lid.cpp", BUILDER_STALE_NOTICE_SHOWN=""
    )
    model, parser = result.stdout.split()
    assert model == "builder.parse.language"
    assert not parser.endswith(".py"), parser
    assert result.stderr.count("\n") == 1
    assert "builder/parse/_lid.cpp changed after compiling" in result.stderr


def _build(corpus: Path, out: Path, workers: int, **env: str) -> dict[str, bytes]:
    """Every file of the dataset `builder make` writes (not its report's timings)."""
    options = ["-o", str(out), "--workers", str(workers), "--captured-at", "2025-07-01T12:00:00Z"]
    subprocess.run(
        [sys.executable, "-c", "from builder.cli import app; app()", "make", str(corpus), *options],
        capture_output=True,
        env=_env(SOURCE_DATE_EPOCH="1751328000", **env),
        timeout=600,
        check=True,
    )
    return {
        str(path.relative_to(out)): path.read_bytes()
        for folder in ("data", "versions")
        for path in sorted((out / folder).rglob("*"))
        if path.is_file()
    }


def test_compiled_and_python_builds_write_the_same_bytes(tmp_path: Path) -> None:
    """The whole build, beyond the parse: the inputs' readers, the batch step and its
    payloads compiled too, and a pool of two workers moving their records between
    processes, against the same source run as Python in one process."""
    corpus = tmp_path / "corpus"
    corpus_module().generate_corpus(corpus, 120, seed=11, mean_size=3000)
    as_built = _build(corpus, tmp_path / "built", 2)
    as_python = _build(corpus, tmp_path / "python", 1, BUILDER_PURE_PYTHON="1")
    assert any(name.endswith(".parquet") for name in as_built)
    assert as_built.keys() == as_python.keys()
    assert [n for n in as_built if as_built[n] != as_python[n]] == []
