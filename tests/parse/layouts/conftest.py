"""Pages the layout tests read: the real dev pages and seeds (skipped with a message
when the shared corpus is absent), and the samples."""

from __future__ import annotations

from pathlib import Path

import pytest

from builder.inputs.decode import Decoded, decode
from tests.helpers import ROOT


def decoded_texts(folder: Path) -> list[str]:
    out = []
    for path in sorted(folder.glob("*.txt")):
        decoded = decode(path.read_bytes())
        if isinstance(decoded, Decoded):
            out.append(decoded.text)
    return out


@pytest.fixture(scope="module")
def real_pages(shared_dir: Path) -> list[str]:
    """The real dev pages and seeds, and the samples."""
    pages = decoded_texts(shared_dir / "corpus" / "daily8-dev") + decoded_texts(
        shared_dir / "seeds"
    )
    assert len(pages) >= 40
    return pages + decoded_texts(ROOT / "samples" / "dumps")
