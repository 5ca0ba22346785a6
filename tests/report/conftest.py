"""Releases of the samples, built once per module through the real CLI."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.releasing import ROOT, make

SAMPLES = ROOT / "samples" / "dumps"


def build_samples(out: Path, inputs: Path = SAMPLES) -> Path:
    make(str(inputs), "--out", str(out))
    return out


@pytest.fixture(scope="module")
def samples_release(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A dataset folder holding version 1.0.0 of samples/dumps."""
    return build_samples(tmp_path_factory.mktemp("report") / "dataset")


@pytest.fixture(scope="module")
def two_versions(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A dataset folder with 1.0.0 (the samples) and 1.1.0 (one more dump added)."""
    root = tmp_path_factory.mktemp("history")
    inputs = root / "dumps"
    shutil.copytree(SAMPLES, inputs)
    dataset = build_samples(root / "dataset", inputs)
    page = (inputs / "04_plain_article.txt").read_text(encoding="utf-8")
    title = "Council approves new sea wall after winter storms"
    assert title in page
    (inputs / "20_new_article.txt").write_text(
        page.replace(title, "Harbour board names a new pilot boat after a long vote"),
        encoding="utf-8",
    )
    make(str(inputs), "--out", str(dataset))
    return dataset
