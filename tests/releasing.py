"""Helpers for the release tests: generated corpora, real `builder` processes, hashes."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.helpers import corpus_module

WHEN = "2025-07-01T12:00:00Z"
EPOCH = "1751371200"  # 2025-07-01T12:00:00Z
ROOT = Path(__file__).resolve().parents[1]
#: The installed console script: what a user runs.
BUILDER = str(Path(sys.executable).with_name("builder"))


def corpus(out: Path, n: int, *, seed: int) -> Path:
    """`n` generated dumps in `out`, without truth.json (it is not a page)."""
    corpus_module().generate_corpus(out, n, seed=seed)
    (out / "truth.json").unlink()
    return out


def builder_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(HF_HUB_OFFLINE="1", HF_DATASETS_OFFLINE="1", SOURCE_DATE_EPOCH=EPOCH)
    env.update(extra)
    return env


def make(*args: str, cwd: Path | None = None, **env: str) -> dict[str, Any]:
    """`builder make ... --json` in its own process; returns the report."""
    command = [BUILDER, "make", *args, "--captured-at", WHEN, "--json"]
    done = subprocess.run(
        command, cwd=cwd, env=builder_env(**env), capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr + done.stdout
    report: dict[str, Any] = json.loads(done.stdout)
    return report


def cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [BUILDER, *args],
        cwd=cwd,
        env=builder_env(),
        capture_output=True,
        text=True,
        check=False,
    )


def tree_hashes(root: Path) -> dict[str, str]:
    """sha256 of every file below `root` (hidden ones, such as the cache, excluded)."""
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file() and not any(part.startswith(".") for part in p.relative_to(root).parts)
    }
