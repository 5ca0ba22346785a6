"""Shared fixtures. Real pages are read from ../shared beside the checkout, never copied."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# datasets reads this at import time: tests must never reach for the Hub.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
SAMPLES = ROOT / "samples"


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    if not (SHARED / "corpus" / "daily8-dev").is_dir():
        pytest.skip(
            f"the shared corpus is not beside this checkout ({SHARED}): real-page tests need it"
        )
    return SHARED
