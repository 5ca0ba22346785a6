"""No surprises: the build opens no network connection and leaks no build-machine path.

The build runs as a user runs it (the `builder` script, in a subprocess, with worker
processes), with a sitecustomize that makes every internet socket, connection and
name lookup fail *and* logs the attempt, so a caller that swallows the error still
shows up in the log.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq

from tests.helpers import ROOT, corpus_module

BUILDER = str(Path(sys.executable).with_name("builder"))

SITECUSTOMIZE = """
import os, socket

_LOG = os.environ["NO_NETWORK_LOG"]


def _refuse(what):
    with open(_LOG, "a") as fh:
        fh.write(what + "\\n")
    raise OSError(f"network blocked by the test: {what}")


class _Socket(socket.socket):
    def __init__(self, family=socket.AF_INET, *args, **kwargs):
        if family in (socket.AF_INET, socket.AF_INET6):
            _refuse(f"socket({family!r})")
        super().__init__(family, *args, **kwargs)


socket.socket = _Socket
socket.create_connection = lambda *a, **k: _refuse(f"create_connection{a!r}")
socket.getaddrinfo = lambda *a, **k: _refuse(f"getaddrinfo{a!r}")
socket.gethostbyname = lambda *a, **k: _refuse(f"gethostbyname{a!r}")
"""


def _inputs(root: Path) -> None:
    for sample in (ROOT / "samples" / "dumps").glob("*.txt"):
        (root / sample.name).write_bytes(sample.read_bytes())
    (root / "exports").mkdir()
    crawl = ROOT / "samples" / "dumps" / "exports" / "crawl.jsonl"
    (root / "exports" / "crawl.jsonl").write_bytes(crawl.read_bytes())
    corpus_module().generate_corpus(root / "generated", 30, seed=5, mean_size=2500)
    (root / "generated" / "truth.json").unlink()
    (root / "empty.txt").write_bytes(b"")  # a quarantined row: its reason must not leak
    (root / "gone.txt").symlink_to(root / "nowhere.txt")


def test_build_opens_no_network_and_writes_no_absolute_path(tmp_path: Path) -> None:
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(SITECUSTOMIZE)
    log = tmp_path / "network.log"
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    _inputs(inputs)
    out = tmp_path / "dataset"
    env = {
        **os.environ,
        "PYTHONPATH": str(site),
        "NO_NETWORK_LOG": str(log),
        # Deliberately *not* setting HF_HUB_OFFLINE: the build must not need it.
    }
    env.pop("HF_HUB_OFFLINE", None)
    env.pop("HF_DATASETS_OFFLINE", None)
    # The guard works: a plain connection attempt in the same setup is refused and logged.
    probe = subprocess.run(
        [sys.executable, "-c", "import socket; socket.create_connection(('example.com', 80))"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert probe.returncode != 0 and "network blocked" in probe.stderr
    log.unlink()

    proc = subprocess.run(
        [BUILDER, "make", str(inputs), "--out", str(out), "--workers", "2", "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["published"] is True
    assert not log.exists(), log.read_text()

    # No path of the build machine in any output file, raw or inside the Parquet.
    needles = {str(tmp_path), str(inputs), os.path.realpath(tmp_path)}
    checked = 0
    for path in sorted(out.rglob("*")):
        if not path.is_file() or ".cache" in path.relative_to(out).parts:
            continue
        raw = path.read_bytes()
        texts = [raw.decode("utf-8", "replace")]
        if path.suffix == ".parquet":
            texts.append(json.dumps(pq.read_table(path).to_pylist(), default=str))
        for text in texts:
            leaked = [n for n in needles if n in text]
            assert leaked == [], f"{path.relative_to(out)} holds {leaked}"
        checked += 1
    assert checked >= 8  # 3 tables, card, manifest, croissant, top card, changelog
