"""The one shape every check reports in, so `builder validate` can print any of them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Finding:
    """One failing check, with a few of the offending values: what a CI log needs to
    point at the defect without dumping the table.

    `table` is a contract table or a part of the release (manifest, files, card,
    croissant); `column` is a column, a nested field or a file, when one is to blame.
    """

    table: str
    column: str | None
    check: str
    count: int
    examples: tuple[str, ...]


__all__ = ["Finding"]
