"""The dataset card, read back as the Hub reads it (`huggingface_hub.DatasetCard`):
metadata from the data and the settings, every field explained from `schema/`, a
load example with the real name, the version history and the limits."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from huggingface_hub import DatasetCard

from builder import contract
from builder.contract.fields import field_docs
from builder.release import card
from builder.release.card import size_category
from builder.release.publish import publish_release
from builder.release.settings import DEFAULT_NAME, DatasetSettings
from builder.release.store import version_paths
from tests.helpers import run_cli
from tests.rows import example_tables

EPOCH = "1751371200"
STATED = DatasetSettings(
    name="harbour-news",
    pretty_name="Harbour news",
    description="Articles about ferries and harbours, for testing.",
    license="cc-by-4.0",
    homepage="https://data.example.org/harbour-news",
    citation="@misc{harbour,\n  title = {Harbour news}\n}",
    maintainers=("Ada Lovelace <ada@example.org>",),
)


def _publish(
    target: Path,
    dataset: DatasetSettings | None = None,
    version: str = "1.0.0",
    tables: dict[str, pa.Table] | None = None,
    **kwargs: Any,
) -> Path:
    settings = {} if dataset is None else {"dataset": dataset.as_dict()}
    release = publish_release(
        target,
        tables or example_tables(),
        version=version,
        settings=settings,
        inputs=[],
        **kwargs,
    )
    return release.path


def _body(card: DatasetCard) -> str:
    return str(card.text)


@pytest.fixture(scope="module")
def two_versions(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """harbour-news with 1.0.0 and a 1.1.0 that has one article less."""
    target = tmp_path_factory.mktemp("card") / "harbour-news"
    _publish(target, STATED, bump_reason="first release: 3 dumps, 3 articles")
    tables = example_tables()
    tables["articles"] = tables["articles"].slice(0, 2)
    _publish(
        target,
        STATED,
        version="1.1.0",
        tables=tables,
        previous_version="1.0.0",
        bump_reason="a reason written for this test",
    )
    return target


def test_hub_metadata_comes_from_the_settings_and_the_data(two_versions: Path) -> None:
    for path in (two_versions / "README.md", two_versions / "versions/1.1.0/README.md"):
        data = DatasetCard.load(path).data
        assert data.license == "cc-by-4.0"
        assert data.pretty_name == "Harbour news"
        languages = example_tables()["articles"].slice(0, 2).column("language").to_pylist()
        assert data.language == sorted({code for code in languages if code})
        assert data.size_categories == ["n<1K"]
        assert data.task_categories and data.tags and "news" in data.tags
        assert [c["config_name"] for c in data.configs] == list(contract.TABLES)
        infos = {info["config_name"]: info for info in data.dataset_info}
        assert list(infos) == list(contract.TABLES)
        assert infos["articles"]["splits"][0]["num_examples"] == 2
        assert [f["name"] for f in infos["sightings"]["features"]] == (
            contract.arrow_schema("sightings").names
        )


def test_every_field_of_every_config_is_in_the_card_with_its_description(
    two_versions: Path,
) -> None:
    body = _body(DatasetCard.load(two_versions / "README.md"))
    for table in contract.TABLES:
        section = body.split(f"### `{table}`", 1)[1].split("\n## ", 1)[0].split("\n### ", 1)[0]
        rows = [line for line in section.splitlines() if line.startswith("| `")]
        docs = field_docs(table)
        assert [row.split("`")[1] for row in rows] == [doc.path for doc in docs]
        for row, doc in zip(rows, docs, strict=True):
            cells = row.split(" | ")
            assert len(cells) == 3, row  # pipes in a description are escaped
            described = cells[2].removesuffix(" |")
            assert described.startswith(
                doc.description[:30].replace("<", "&lt;").replace(">", "&gt;")
            )
    assert "| `provenance.line_end` | int32 | 1-based" in body
    assert "| `published_at` | timestamp[us, UTC], nullable |" in body


def test_the_load_example_names_the_dataset_every_config_and_an_older_version(
    two_versions: Path,
) -> None:
    body = _body(DatasetCard.load(two_versions / "README.md"))
    assert 'load_dataset("harbour-news", split="train")' in body
    assert 'load_dataset("harbour-news", "sightings", split="train")' in body
    assert 'load_dataset("harbour-news", "dumps", split="train")' in body
    assert 'load_dataset("harbour-news/versions/1.0.0", split="train")' in body
    assert "DATASET_DIR" not in body and "path/to" not in body
    own = _body(DatasetCard.load(two_versions / "versions/1.1.0/README.md"))
    assert 'load_dataset("harbour-news/versions/1.1.0", "dumps", split="train")' in own


def test_the_card_says_where_the_data_comes_from_and_how_it_was_built(
    two_versions: Path,
) -> None:
    body = _body(DatasetCard.load(two_versions / "README.md"))
    assert (
        body.startswith("\n# Harbour news — version 1.1.0")
        or "# Harbour news — version 1.1.0" in body
    )
    assert "Articles about ferries and harbours, for testing." in body
    captured = example_tables()["dumps"].column("captured_at").to_pylist()
    assert (
        f"Captured from {min(captured):%Y-%m-%d %H:%M} UTC to {max(captured):%Y-%m-%d %H:%M} UTC"
        in body
    )
    layouts = {
        name.split("-")[0]
        for name in example_tables()["dumps"].column("layout").to_pylist()
        if name
    }
    for site in layouts:
        assert f"{site} (" in body
    assert re.search(
        r"builder \S+ \(parser version \S+\), data contract " + contract.CONTRACT_VERSION, body
    )


def test_history_limitations_license_and_citation(two_versions: Path) -> None:
    body = _body(DatasetCard.load(two_versions / "README.md"))
    assert "| 1.1.0 | a reason written for this test |" in body
    assert "| 1.0.0 | first release: 3 dumps, 3 articles |" in body
    assert body.index("| 1.1.0 |") < body.index("| 1.0.0 |")  # newest first
    limits = body.split("## Known limitations", 1)[1].split("\n## ", 1)[0]
    for word in ("Teasers", "Truncated dumps", "Uncertain times", "Quarantined"):
        assert word in limits
    assert "License: `cc-by-4.0`" in body
    assert "```bibtex\n@misc{harbour,\n  title = {Harbour news}\n}\n```" in body
    assert "Ada Lovelace <ada@example.org>" in body
    assert "https://data.example.org/harbour-news" in body


def test_an_unknown_license_is_said_and_nothing_is_invented(tmp_path: Path) -> None:
    release = _publish(tmp_path / "ds")
    card = DatasetCard.load(release / "README.md")
    assert card.data.license == "unknown"
    body = _body(card)
    assert "License: unknown. Nobody has stated a license" in body
    assert "No citation given" in body
    assert "cc-by" not in body.lower()


def test_the_same_settings_give_the_same_card_bytes_anywhere(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    one = _publish(tmp_path / "a" / "harbour-news", STATED)
    two = _publish(tmp_path / "b" / "elsewhere", STATED)
    for name in ("README.md", "croissant.json", "manifest.json"):
        assert (one / name).read_bytes() == (two / name).read_bytes(), name
    assert (one.parent.parent / "README.md").read_bytes() == (
        two.parent.parent / "README.md"
    ).read_bytes()
    manifest = json.loads((one / "manifest.json").read_text())
    assert manifest["settings"]["dataset"] == STATED.as_dict()


def test_other_settings_give_another_card(tmp_path: Path) -> None:
    one = _publish(tmp_path / "a", STATED)
    two = _publish(tmp_path / "b", STATED.with_overrides(license="mit"))
    assert DatasetCard.load(two / "README.md").data.license == "mit"
    assert (one / "README.md").read_bytes() != (two / "README.md").read_bytes()


@pytest.mark.parametrize(
    ("rows", "category"),
    [(0, "n<1K"), (999, "n<1K"), (1000, "1K<n<10K"), (250_000, "100K<n<1M"), (10**7, "10M<n<100M")],
)
def test_size_category(rows: int, category: str) -> None:
    assert size_category(rows) == category


SAMPLES = Path(__file__).resolve().parents[2] / "samples" / "dumps"


def _load_block(card: str) -> str:
    """The card's Python example under "## Load", as a user would copy it."""
    section = card.split("\n## Load\n", 1)[1]
    return section.split("```python\n", 1)[1].split("\n```", 1)[0]


def test_the_cards_sightings_count_recipe_gives_each_articles_count(tmp_path: Path) -> None:
    """The articles table keeps no count of sightings (contract 3): the card shows how to
    count them. Its code, run as it stands next to a real build of the samples, gives
    each article the number of its rows in the sightings Parquet files."""
    out = tmp_path / DEFAULT_NAME  # the card names the dataset folder by its name
    done = run_cli("make", str(SAMPLES), "--out", str(out), "--captured-at", "2025-07-01", "-q")
    assert done.exit_code == 0, done.output
    code = _load_block((out / "README.md").read_text(encoding="utf-8"))
    assert "Counter(sightings" in code and 'group_by("article_id")' in code
    dump = (
        "\nimport json\n"
        "print(json.dumps({'counter': dict(n_sightings), 'polars': dict(zip("
        "seen['article_id'].to_list(), seen['n_sightings'].to_list())), "
        "'articles': len(articles)}))\n"
    )
    env = dict(os.environ, HF_HOME=str(tmp_path / "hf"), HF_HUB_OFFLINE="1")
    ran = subprocess.run(
        [sys.executable, "-c", code + dump],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert ran.returncode == 0, ran.stderr
    found = json.loads(ran.stdout.splitlines()[-1])
    release = out / "versions" / "1.0.0"
    sightings = pa.concat_tables(
        pq.read_table(p, columns=["article_id"]) for p in version_paths(release, "sightings")
    )
    truth = Counter(sightings.column("article_id").to_pylist())
    assert found["counter"] == truth and found["polars"] == truth
    assert found["articles"] == len(truth) and min(truth.values()) >= 1 and max(truth.values()) > 1
    titles = pa.concat_tables(
        pq.read_table(p, columns=["article_id", "title"])
        for p in version_paths(release, "articles")
    ).to_pylist()
    (council,) = [r for r in titles if r["title"].startswith("Council approves new sea wall")]
    assert found["counter"][council["article_id"]] == 2  # its main page and one card


def test_the_same_files_are_counted_once_and_other_files_again(two_versions: Path) -> None:
    """A publish renders the version's card, then the top-level card of the same files:
    their facts are counted once. Other files (another version) are counted anew, and a
    manifest whose files have no sha256 is never taken for another."""
    facts: dict[str, Any] = {}
    for version in ("1.0.0", "1.1.0"):
        release = two_versions / "versions" / version
        manifest = json.loads((release / "manifest.json").read_text(encoding="utf-8"))
        first = card.count_facts(release, manifest)
        assert card.count_facts(release, manifest) is first
        assert first == card._count_facts(release, manifest)
        facts[version] = first
    assert facts["1.0.0"] != facts["1.1.0"]  # 1.1.0 has one article less
    release = two_versions / "versions" / "1.0.0"
    manifest = json.loads((release / "manifest.json").read_text(encoding="utf-8"))
    files = manifest["files"]
    unsigned = {**manifest, "files": {k: {**v, "sha256": None} for k, v in files.items()}}
    assert card._files_key(unsigned) is None
    assert card.count_facts(release, unsigned) is not card.count_facts(release, unsigned)
