"""Merged records to the three Arrow tables of the contract."""

from __future__ import annotations

from typing import Any

import pyarrow as pa

from builder import contract
from builder.merge import Merged
from builder.records import Article, Dump, Sighting


def sighting_row(article_id: str, s: Sighting) -> dict[str, Any]:
    return {
        "sighting_id": s.sighting_id,
        "article_id": article_id,
        "dump_id": s.dump_id,
        "position": s.position,
        "role": s.role,
        "title": s.title,
        "source": s.source,
        "category": s.category,
        "published_text": s.published_text,
        "published_at": s.published_at,
        "published_at_uncertainty_s": s.published_at_uncertainty_s,
        "has_text": bool(s.text),
        "line_start": s.line_start,
        "line_end": s.line_end,
    }


def dump_row(d: Dump) -> dict[str, Any]:
    """The dumps row of a Dump (its fields are the columns; no copy of nested values)."""
    return dict(vars(d))


def article_row(a: Article) -> dict[str, Any]:
    """The articles row of an Article. dataclasses.asdict deep-copies every value and
    was a tenth of a build's time; the rows are only read, so references do."""
    row = dict(vars(a))
    provenance = dict(vars(a.provenance))
    provenance["repairs"] = [vars(r) for r in a.provenance.repairs]
    row["provenance"] = provenance
    return row


def to_tables(merged: Merged) -> dict[str, pa.Table]:
    """One Arrow table per config, with the contract's schema and row order."""
    return {
        "articles": contract.to_arrow("articles", (article_row(a) for a in merged.articles)),
        "sightings": contract.to_arrow(
            "sightings", (sighting_row(aid, s) for aid, s in merged.sightings)
        ),
        "dumps": contract.to_arrow("dumps", (dump_row(d) for d in merged.dumps)),
    }
