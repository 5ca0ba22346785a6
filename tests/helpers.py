"""Small helpers shared by tests: run the real CLI, load a release with `datasets`."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from types import ModuleType
from typing import Any

from typer.testing import CliRunner

from builder.cli import app
from builder.records import Dump, dump_id_for

ROOT = Path(__file__).resolve().parents[1]


def run_cli(*args: str) -> Any:
    """Invoke `builder` in-process, as a user would from a shell."""
    return CliRunner().invoke(app, list(args), catch_exceptions=False)


def python_says(script: str, env: dict[str, str] | None = None) -> list[str]:
    """The words `script` prints, run by a fresh interpreter (`python -c`): for what
    depends on a process's first imports or its own allocator. Fails on its error."""
    return subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, env=env
    ).stdout.split()


def load(path: Path, config: str | None = None, cache_dir: Path | None = None) -> Any:
    """`datasets.load_dataset` offline with a fresh cache unless one is given."""
    import datasets

    cache = str(cache_dir) if cache_dir else tempfile.mkdtemp(prefix="hf-cache-")
    return datasets.load_dataset(str(path), config, split="train", cache_dir=cache)


def corpus_module() -> ModuleType:
    """benchmarks/corpus.py, the synthetic corpus generator."""
    spec = importlib.util.spec_from_file_location("corpus", ROOT / "benchmarks" / "corpus.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("corpus", module)
    spec.loader.exec_module(module)
    return module


def daily_corpus_module() -> ModuleType:
    """benchmarks/daily_corpus.py, the corpus that grows day by day."""
    corpus_module()
    path = ROOT / "benchmarks" / "daily_corpus.py"
    spec = importlib.util.spec_from_file_location("daily_corpus", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("daily_corpus", module)
    spec.loader.exec_module(module)
    return module


def parsed_dump(name: str, when: datetime, *, n_sightings: int = 1, url: str | None = None) -> Dump:
    """A parsed dump record named `name`, captured `when`, for merge tests."""
    return Dump(
        dump_id=dump_id_for(name, "0" * 64),
        path=name,
        url=url,
        sha256="0" * 64,
        size_bytes=10,
        captured_at=when,
        captured_at_source="option",
        page_kind="article",
        layout="daily8-en-plain",
        status="parsed",
        reason=None,
        n_sightings=n_sightings,
        truncated=False,
        encoding="utf-8",
    )


def _holds_files(folder: Path) -> bool:
    try:
        return any(folder.iterdir())
    except OSError:  # not made yet, or removed with the build
        return False


def parsing(scratch_parent: Path, proc: subprocess.Popen[str], timeout: float = 120) -> bool:
    """Wait until a build run with TMPDIR=`scratch_parent` has written its first batch
    (the parse is under way) or has ended; whether it is still running, so that a test
    can interrupt it mid-parse. A fixed sleep stopped working once builds parsed their
    few thousand test dumps in less time than the sleep."""
    deadline = time.monotonic() + timeout
    while proc.poll() is None and time.monotonic() < deadline:
        # A batch written: a file in `titles` (the folder itself is made before the parse).
        if any(_holds_files(work / "titles") for work in scratch_parent.glob("builder-work-*")):
            return proc.poll() is None
        time.sleep(0.05)
    return proc.poll() is None
