"""Property tests: whatever a crawl does to a dump, the parser never raises and every
row it emits passes the contract.

Seeds are the samples and dumps from the synthetic corpus generator; hypothesis cuts
them at any byte, deletes, duplicates and shuffles lines, and inserts random Unicode.
A quick run is in the default suite; the 10,000-example run is marked slow.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from builder.contract import validate_row
from builder.contract.tables import sighting_row
from builder.parse.extract import extract
from builder.records import RawDump, article_id_for
from tests.helpers import ROOT, corpus_module

CAPTURED = datetime(2025, 7, 1, 12, 0, tzinfo=UTC)


def _seeds() -> list[bytes]:
    seeds = [p.read_bytes() for p in sorted((ROOT / "samples" / "dumps").glob("*.txt"))]
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        corpus_module().generate_corpus(Path(tmp), 12, seed=7, mean_size=3000)
        seeds += [p.read_bytes() for p in sorted(Path(tmp).glob("*.txt"))]
    return seeds


SEEDS = _seeds()


@st.composite
def mutated_dumps(draw: st.DrawFn) -> bytes:
    """A seed dump put through a few of the accidents real crawls have."""
    data = draw(st.sampled_from(SEEDS))
    for _ in range(draw(st.integers(0, 4))):
        op = draw(st.sampled_from(["cut", "delete", "duplicate", "shuffle", "insert", "bytes"]))
        lines = data.split(b"\n")
        if op == "cut":
            data = data[: draw(st.integers(0, len(data)))]
        elif op == "delete" and lines:
            i = draw(st.integers(0, len(lines) - 1))
            j = draw(st.integers(i, min(len(lines), i + 5)))
            data = b"\n".join(lines[:i] + lines[j:])
        elif op == "duplicate" and lines:
            i = draw(st.integers(0, len(lines) - 1))
            data = b"\n".join(lines[: i + 1] + lines[i : i + 3] + lines[i + 1 :])
        elif op == "shuffle":
            data = b"\n".join(draw(st.permutations(lines)))
        elif op == "insert":
            at = draw(st.integers(0, len(data)))
            text = draw(st.text(min_size=1, max_size=30)).encode("utf-8", "surrogatepass")
            data = data[:at] + text + data[at:]
        elif op == "bytes":
            at = draw(st.integers(0, len(data)))
            data = data[:at] + draw(st.binary(min_size=1, max_size=8)) + data[at:]
    return data


def check_dump(data: bytes) -> None:
    """extract() must not raise, and every row must pass the contract."""
    result = extract(RawDump("mutated.txt", data, CAPTURED, "option"))
    dump = asdict(result.dump)
    assert validate_row("dumps", dump) == []
    assert result.dump.n_sightings == len(result.sightings)
    if result.dump.status == "quarantined":
        assert result.dump.reason and "\n" not in result.dump.reason
        assert result.sightings == ()
    for s in result.sightings:
        row = sighting_row(article_id_for(s.title), s)
        assert validate_row("sightings", row) == [], (s.title, s.source)
        assert 1 <= s.line_start <= s.line_end


QUICK = settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
THOROUGH = settings(
    max_examples=10_000,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@QUICK
@given(mutated_dumps())
def test_mutated_dumps_never_raise_and_pass_the_contract(data: bytes) -> None:
    check_dump(data)


@pytest.mark.slow
@THOROUGH
@given(mutated_dumps())
def test_mutated_dumps_never_raise_and_pass_the_contract_10k(data: bytes) -> None:
    check_dump(data)


@QUICK
@given(st.binary(max_size=2000))
def test_arbitrary_bytes_never_raise(data: bytes) -> None:
    check_dump(data)


@QUICK
@given(st.text(max_size=400))
def test_arbitrary_text_never_raises(text: str) -> None:
    check_dump(text.encode("utf-8", "surrogatepass"))


@pytest.mark.parametrize("seed", range(len(SEEDS)))
def test_every_cut_of_a_seed_is_safe(seed: int) -> None:
    """Cut at every 97th byte (and the last few): pages end anywhere in real crawls."""
    data = SEEDS[seed]
    for at in [*range(0, len(data), 97), *range(max(0, len(data) - 8), len(data))]:
        check_dump(data[:at])
