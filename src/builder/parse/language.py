"""Language of an article, from a detector whose model ships inside its wheel.

py3langid loads its model from site-packages: no download, no network, same answer on
every machine. Models that fetch weights at run time are not usable offline.
"""

from __future__ import annotations

from functools import cache
from typing import Any

#: Enough text to decide; more only costs time.
_MAX_CHARS = 600


@cache
def _classify() -> Any:
    from py3langid.langid import classify  # loads the bundled model on first use

    return classify


def detect(title: str, text: str | None) -> str | None:
    """ISO 639-1 code of the title and text together, or None when there is no letter."""
    sample = f"{title}\n{text or ''}"[:_MAX_CHARS]
    if not any(ch.isalpha() for ch in sample):
        return None
    lang, _ = _classify()(sample)
    return str(lang)
