"""The synthetic corpus is only useful as ground truth if its truth is right and its
shape matches what the benchmarks claim (sizes, recurrence, determinism)."""

from __future__ import annotations

import collections
import importlib.util
import json
import statistics
import sys
from pathlib import Path
from types import ModuleType

import pytest

_CORPUS_PY = Path(__file__).resolve().parents[1] / "benchmarks" / "corpus.py"


def _load_corpus_module() -> ModuleType:
    # benchmarks/ is not a package; load the file directly. Registering it in
    # sys.modules first is what dataclasses needs to resolve its annotations.
    spec = importlib.util.spec_from_file_location("benchmarks_corpus", _CORPUS_PY)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


corpus = _load_corpus_module()

BOILERPLATE = {
    "logo",
    "#",
    "Hashtags",
    "Orange background",
    "Try Our AI Features",
    "Explore what Daily8 AI can do for you:",
    "Comments",
    "No comments yet...",
    "Related Articles",
}


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list]:
    out = tmp_path_factory.mktemp("corpus")
    return out, corpus.generate_corpus(out, 1000, seed=0)


def _lines(out: Path, name: str) -> list[str]:
    return (out / name).read_text(encoding="utf-8").split("\n")


def test_same_seed_gives_identical_bytes_and_truth(tmp_path: Path) -> None:
    a = corpus.generate_corpus(tmp_path / "a", 200, seed=7)
    b = corpus.generate_corpus(tmp_path / "b", 200, seed=7)
    c = corpus.generate_corpus(tmp_path / "c", 200, seed=8)
    assert a == b
    names = sorted(p.name for p in (tmp_path / "a").iterdir())
    assert names == sorted(p.name for p in (tmp_path / "b").iterdir())
    for name in names:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    assert a != c


def test_truth_file_matches_returned_truth(generated: tuple[Path, list]) -> None:
    out, truth = generated
    on_disk = json.loads((out / "truth.json").read_text(encoding="utf-8"))
    assert len(on_disk) == len(truth) == 1000
    first = on_disk[0]
    assert first["name"] == truth[0].name == "000000.txt"
    assert [a["title"] for a in first["articles"]] == [a.title for a in truth[0].articles]
    assert {tuple(sorted(a)) for d in on_disk for a in d["articles"]} == {
        ("category", "role", "source", "time_text", "title", "true_source")
    }


@pytest.mark.parametrize(("n", "mean_size"), [(1000, 6000), (300, 3000)])
def test_mean_size_is_near_target(tmp_path: Path, n: int, mean_size: int) -> None:
    truth = corpus.generate_corpus(tmp_path, n, seed=1, mean_size=mean_size)
    sizes = [(tmp_path / d.name).stat().st_size for d in truth]
    assert abs(statistics.mean(sizes) - mean_size) / mean_size < 0.12
    assert min(sizes) < mean_size < max(sizes)


def test_page_mix(generated: tuple[Path, list]) -> None:
    _, truth = generated
    kinds = collections.Counter((d.page_kind, d.layout) for d in truth)
    assert 50 <= kinds["listing", "logo"] + kinds["listing", "plain"] <= 160
    assert kinds["article", "logo"] > 350 and kinds["article", "plain"] > 350
    for d in truth:
        roles = [a.role for a in d.articles]
        if d.page_kind == "article":
            assert roles[0] == "main" and roles.count("main") == 1
            assert 2 <= len(roles) - 1 <= 6
            assert all(a.category is None for a in d.articles)
        else:
            assert "main" not in roles and 1 <= len(roles) <= 8
    assert any(a.category for d in truth for a in d.articles)


def test_card_recurrence_is_skewed(generated: tuple[Path, list]) -> None:
    _, truth = generated
    counts = collections.Counter(a.title for d in truth for a in d.articles if a.role == "related")
    (_, top), *_ = counts.most_common(1)
    assert top >= 100
    assert statistics.median(counts.values()) <= 3


def test_some_mains_recur_as_cards_with_their_publisher(generated: tuple[Path, list]) -> None:
    _, truth = generated
    mains = {a.title: a for d in truth for a in d.articles if a.role == "main"}
    cards = [a for d in truth for a in d.articles if a.role == "related" and a.title in mains]
    recurring = {a.title for a in cards}
    assert len(recurring) >= 0.04 * len(mains)
    for card in cards:
        assert card.source == mains[card.title].true_source
    plain_mains = [d.articles[0] for d in truth if d.page_kind == "article" and d.layout == "plain"]
    assert all(a.source is None and a.time_text is None for a in plain_mains)


def test_no_card_repeats_within_a_dump(generated: tuple[Path, list]) -> None:
    _, truth = generated
    for d in truth:
        titles = [a.title for a in d.articles]
        assert len(titles) == len(set(titles)), d.name


def test_titles_are_unique_per_article_and_safe(generated: tuple[Path, list]) -> None:
    _, truth = generated
    publisher_of: dict[str, str] = {}
    for d in truth:
        for a in d.articles:
            assert publisher_of.setdefault(a.title, a.true_source) == a.true_source
            assert len(a.title) >= 12 and "\n" not in a.title
            assert a.title not in BOILERPLATE


def test_every_placement_is_on_the_page(generated: tuple[Path, list]) -> None:
    out, truth = generated
    for d in truth:
        lines = _lines(out, d.name)
        line_set = set(lines)
        assert (lines[0] == "logo") == (d.layout == "logo")
        for a in d.articles:
            assert a.title in line_set, (d.name, a.title)
            if a.role == "main" and a.source is not None:
                assert f"{a.source}{a.time_text}" in line_set  # the glued header
            elif a.role == "related":
                if d.layout == "logo":
                    assert f"  • {a.source}" in line_set and f"time{a.time_text}" in line_set
                    if a.category:
                        assert f"  • {a.category}" in line_set
                else:
                    assert f"- {a.source}" in line_set and a.time_text in line_set
                    if a.category:
                        assert f"- {a.category}" in line_set


def test_cli_writes_corpus(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    corpus.main([str(tmp_path), "--n", "20", "--seed", "3", "--mean-size", "2000"])
    assert len(list(tmp_path.glob("*.txt"))) == 20
    assert (tmp_path / "truth.json").exists()
    assert "wrote 20 dumps" in capsys.readouterr().out
