"""`builder init` + `builder make` through the real command: the settings kept in
builder.toml reach the card and croissant.json, the card reads back with
huggingface_hub, and its own load example runs as written, with `datasets`, offline."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import pytest
from huggingface_hub import DatasetCard

from builder import contract
from tests.releasing import ROOT, WHEN, cli, make

SAMPLES = ROOT / "samples" / "dumps"


def _load_block(card: Path) -> str:
    """The card's Python load example, exactly as a user would copy it."""
    (block,) = re.findall(r"```python\n(.*?)```", card.read_text(), flags=re.DOTALL)
    return block


def _run_example(block: str, cwd: Path, cache: Path) -> dict[str, Any]:
    """Run the card's example from `cwd` (the folder holding the dataset), offline."""
    import datasets

    namespace: dict[str, Any] = {}
    before = Path.cwd()
    os.chdir(cwd)
    try:
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("HF_DATASETS_OFFLINE", "1")
            patch.setattr(datasets.config, "HF_DATASETS_CACHE", cache)
            exec(compile(block, "card", "exec"), namespace)  # the card's own code
    finally:
        os.chdir(before)
    return namespace


@pytest.mark.slow
def test_init_then_make_gives_a_card_the_hub_and_datasets_read(tmp_path: Path) -> None:
    folder = tmp_path / "Harbour News"
    done = cli(
        "init",
        str(folder),
        "--pretty-name",
        "Harbour news",
        "--description",
        "Sample pages about ferries, for a test.",
        "--citation",
        "@misc{harbour,\n  title = {Harbour news}\n}",
        "--maintainer",
        "Ada Lovelace <ada@example.org>",
    )
    assert done.returncode == 0, done.stderr
    assert "builder.toml" in done.stdout and "license unknown" in done.stdout
    toml = (folder / "builder.toml").read_text()
    assert 'name = "harbour-news"' in toml and 'license = "unknown"' in toml

    make(str(SAMPLES), "--out", str(folder))
    top = folder / "README.md"
    card = DatasetCard.load(top)
    assert card.data.license == "unknown"
    assert card.data.pretty_name == "Harbour news"
    assert set(card.data.language) == {"en", "ar"}
    assert card.data.size_categories == ["n<1K"]
    assert "versions/1.0.0/summary.png" in card.text
    assert (folder / "versions" / "1.0.0" / "summary.png").is_file()
    document = json.loads((folder / "versions" / "1.0.0" / "croissant.json").read_text())
    assert document["name"] == "harbour-news" and "license" not in document
    assert document["creator"][0]["name"] == "Ada Lovelace"

    # The folder is named "Harbour News"; the card's example loads "harbour-news" (the
    # name init recorded): a user with the folder under that name runs it as written.
    (tmp_path / "site").mkdir()
    (folder).rename(tmp_path / "site" / "harbour-news")
    folder = tmp_path / "site" / "harbour-news"

    # A license stated later, for one build: same rows, a PATCH for the new card.
    report = make(str(SAMPLES), "--out", str(folder), "--license", "CC-BY-4.0")
    assert report["version"] == "1.0.1"
    assert report["bump_reason"] == "same rows, dataset settings changed: license"
    card = DatasetCard.load(folder / "README.md")
    assert card.data.license == "cc-by-4.0"
    assert 'license = "unknown"' in (folder / "builder.toml").read_text()  # one build only
    block = _load_block(folder / "README.md")
    assert '"harbour-news/versions/1.0.0"' in block
    loaded = _run_example(block, folder.parent, tmp_path / "hf-cache")
    infos = {i["config_name"]: i["splits"][0]["num_examples"] for i in card.data.dataset_info}
    for name in contract.TABLES:
        assert loaded[name].num_rows == infos[name] > 0, name
        assert loaded[name].column_names == contract.arrow_schema(name).names
    assert loaded["old"].num_rows == infos["articles"]

    # The same settings again: nothing changed, nothing published.
    again = make(str(SAMPLES), "--out", str(folder), "--license", "CC-BY-4.0")
    assert again["published"] is False


def _one_line_error(done: Any) -> str:
    assert done.returncode == 2, done.stdout + done.stderr
    assert "Traceback" not in done.stderr + done.stdout
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, done.stderr
    return str(lines[0])


def test_a_malformed_builder_toml_is_one_line_and_nothing_is_built(tmp_path: Path) -> None:
    folder = tmp_path / "ds"
    assert cli("init", str(folder)).returncode == 0
    (folder / "builder.toml").write_text('[dataset]\nlicense = "mit"\nlicence = "mit"\n')
    done = cli("make", str(SAMPLES), "--out", str(folder), "--captured-at", WHEN)
    line = _one_line_error(done)
    assert "builder.toml" in line and "unknown key 'licence'" in line
    assert not (folder / "versions").exists()
    (folder / "builder.toml").write_text("[dataset\n")
    line = _one_line_error(cli("make", str(SAMPLES), "--out", str(folder)))
    assert "is not valid TOML" in line


def test_a_bad_option_value_is_one_line(tmp_path: Path) -> None:
    done = cli("make", str(SAMPLES), "--out", str(tmp_path / "ds"), "--homepage", "nowhere")
    assert "homepage 'nowhere' is not an http(s) URL" in _one_line_error(done)
    assert not (tmp_path / "ds").exists()


def test_init_refuses_a_folder_of_the_users(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine\n")
    line = _one_line_error(cli("init", str(tmp_path), "--license", "mit"))
    assert "not a builder dataset" in line
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]


def test_init_help_teaches_the_settings() -> None:
    done = cli("init", "--help")
    assert done.returncode == 0
    text = " ".join(done.stdout.split())
    for word in ("builder.toml", "--license", "unknown", "--maintainer", "--citation"):
        assert word in text, word
    make_help = " ".join(cli("make", "--help").stdout.split())
    assert "--pretty-name" in make_help and "builder.toml" in make_help


def test_without_builder_toml_the_defaults_are_used_and_not_recorded(tmp_path: Path) -> None:
    folder = tmp_path / "ds"
    make(str(SAMPLES), "--out", str(folder))
    manifest = json.loads((folder / "versions" / "1.0.0" / "manifest.json").read_text())
    assert "dataset" not in manifest["settings"]  # the manifests builds wrote before
    card = DatasetCard.load(folder / "README.md")
    assert card.data.license == "unknown" and card.data.pretty_name == "news-aggregator-articles"
    assert not (folder / "builder.toml").exists()  # make never writes the user's settings
