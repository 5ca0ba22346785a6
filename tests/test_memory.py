"""Memory and time bounds on hostile inputs, measured in a fresh process.

Each case runs sources -> extract (what `build` does per dump) in a subprocess and
reports its peak resident memory (VmHWM) and wall time; the baseline is the same
process after importing builder and doing nothing. The issue's bound: under 1 GB above
the baseline, done in seconds. The default --max-bytes is 32 MB, so the 30 MB file is
parsed, not refused.
"""

from __future__ import annotations

import json
import subprocess
import sys
import zlib
from pathlib import Path

import pytest

GB = 1 << 30

CHILD = r"""
import json, sys, time
from builder.build import build  # noqa: F401  (import what a real run imports)
from builder.parse.extract import extract
from builder.inputs.read import read_dumps

def hwm_kb():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1])

started = time.perf_counter()
rows = []
for spec in sys.argv[1:]:
    for raw in read_dumps([spec]):
        result = extract(raw)
        rows.append((result.dump.path, result.dump.status, result.dump.reason,
                     len(result.sightings)))
print(json.dumps({"hwm_kb": hwm_kb(), "elapsed": time.perf_counter() - started,
                  "rows": rows}))
"""


def measure(*specs: Path) -> dict[str, object]:
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, *map(str, specs)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    result: dict[str, object] = json.loads(proc.stdout)
    return result


@pytest.fixture(scope="module")
def baseline_kb() -> int:
    return int(str(measure()["hwm_kb"]))


GOOD_HEAD = """
Harbour festival announces its first headline act
The organisers said on Monday that tickets would go on sale in May.
Hashtags

Try Our AI Features
Explore what Daily8 AI can do for you:
Comments
No comments yet...
Related Articles
"""
CARD = "\n\nHarbour Times\n3 hours ago\n- Harbour Times\nPort strike ends after {i} weeks\n{t}\n"


def check(name: str, baseline_kb: int, *specs: Path, max_s: float = 20.0) -> list[list[object]]:
    got = measure(*specs)
    above = (int(str(got["hwm_kb"])) - baseline_kb) * 1024
    elapsed = float(str(got["elapsed"]))
    print(f"\n{name}: peak {above / 2**20:.0f} MB above baseline, {elapsed:.2f} s")
    assert above < GB, f"{name}: {above / 2**20:.0f} MB above the baseline"
    assert elapsed < max_s, f"{name}: {elapsed:.1f} s"
    rows: list[list[object]] = got["rows"]  # type: ignore[assignment]
    return rows


def test_30_mb_single_line_file(tmp_path: Path, baseline_kb: int) -> None:
    path = tmp_path / "one_line.txt"
    path.write_bytes(b"word " * 6_000_000)  # 30 MB, no newline
    [(_, status, reason, _)] = check("30 MB single line", baseline_kb, path)
    assert status == "quarantined" and str(reason).startswith("no known layout")


def test_30_mb_single_line_after_a_title(tmp_path: Path, baseline_kb: int) -> None:
    """The same, but shaped like an article so the body repairs run on the giant line."""
    path = tmp_path / "giant_body.txt"
    path.write_bytes(b"\nA title for a giant page\n" + b"word, " * 5_000_000 + b"\n")
    [(_, status, _, n)] = check("30 MB body line", baseline_kb, path)
    assert status == "parsed" and n == 1


def test_dump_with_5000_cards(tmp_path: Path, baseline_kb: int) -> None:
    path = tmp_path / "cards.txt"
    teaser = "The dock workers' union voted on Sunday to accept the offer. " * 3
    cards = "".join(CARD.format(i=i, t=teaser) for i in range(5000))
    path.write_text(GOOD_HEAD + cards, encoding="utf-8")
    [(_, status, _, n)] = check("5,000 cards", baseline_kb, path)
    assert status == "parsed" and n == 5001


def test_title_of_100000_characters(tmp_path: Path, baseline_kb: int) -> None:
    path = tmp_path / "title.txt"
    title = ("Long title words " * 6000)[:100_000]
    path.write_text("\n" + title + GOOD_HEAD.split("\n", 2)[2], encoding="utf-8")
    logo = tmp_path / "title_logo.txt"
    logo.write_text(f"logo\n{title}\n\n{title}\n\nBody text here.\n", encoding="utf-8")
    rows = check("100,000-character title", baseline_kb, path, logo)
    assert len(rows) == 2  # parsed or quarantined, each is one row


def _bomb(path: Path, inflated: int, unit: bytes) -> None:
    """A gzip file of `inflated` bytes: one 64 MB member written again and again (a valid
    multi-member gzip, as `cat a.gz b.gz` makes), so it is quick to generate."""
    member_size = 64 << 20
    deflate = zlib.compressobj(9, zlib.DEFLATED, 31)
    chunk = unit * ((1 << 20) // len(unit))
    member = b"".join(deflate.compress(chunk) for _ in range(member_size // len(chunk)))
    member += deflate.flush()
    with path.open("wb") as fh:
        for _ in range(inflated // member_size):
            fh.write(member)


@pytest.mark.parametrize(
    "unit", [b"\0", b"\n", b'{"text": "x"}\n'], ids=["zeros", "newlines", "tiny-records"]
)
def test_compression_bomb_of_1_5_gb(tmp_path: Path, baseline_kb: int, unit: bytes) -> None:
    path = tmp_path / "bomb.jsonl.gz"
    _bomb(path, 1536 << 20, unit)
    assert path.stat().st_size < 5 << 20
    rows = check(f"1.5 GB bomb ({unit[:12]!r})", baseline_kb, path)
    last = rows[-1]
    assert str(last[2]).startswith("compressed stream exceeds the size limit")
    assert len(rows) < 100_000
