"""builder.toml: the dataset's own settings, written by `init`, read back exactly,
refused in one line when malformed, never filled with made-up values."""

from __future__ import annotations

from pathlib import Path

import pytest

from builder.release import settings
from builder.release.ownership import NotOurFolder, check_output, is_dataset
from builder.release.settings import DatasetSettings, SettingsError

FULL = DatasetSettings(
    name="harbour-news",
    pretty_name="Harbour news — ferries & sea walls",
    description='Pages about "harbours".\nSecond line with a backslash \\ and a tab\t.',
    license="cc-by-4.0",
    homepage="https://data.example.org/harbour",
    citation="@misc{harbour,\n  title = {Harbour news},\n  year = {2025}\n}",
    maintainers=("Ada Lovelace <ada@example.org>", "Bob 'the desk' Smith"),
)


def test_defaults_state_nothing_they_do_not_know() -> None:
    default = DatasetSettings()
    assert default.license == "unknown" and not default.license_known
    assert default.homepage == default.citation == default.description == ""
    assert default.maintainers == ()
    assert default.title == default.name == settings.DEFAULT_NAME


@pytest.mark.parametrize("value", [FULL, DatasetSettings()])
def test_render_then_parse_gives_the_same_settings(value: DatasetSettings) -> None:
    assert settings.parse(settings.render(value)) == value


def test_a_citation_stays_readable_in_the_file(tmp_path: Path) -> None:
    settings.write(tmp_path, FULL)
    text = (tmp_path / "builder.toml").read_text()
    assert "  title = {Harbour news},\n" in text  # multi-line, not one escaped line
    assert settings.load(tmp_path) == FULL


def test_a_missing_file_gives_the_defaults(tmp_path: Path) -> None:
    assert settings.load(tmp_path) == DatasetSettings()


def test_a_hand_written_file_with_a_few_keys_is_enough(tmp_path: Path) -> None:
    (tmp_path / "builder.toml").write_text('[dataset]\nlicense = "mit"\n')
    loaded = settings.load(tmp_path)
    assert loaded.license == "mit" and loaded.name == settings.DEFAULT_NAME


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[dataset\nname = 1", "is not valid TOML"),
        ('[dataset]\nlicence = "mit"\n', "unknown key 'licence'"),
        ("[dataset]\nname = 3\n", "name must be a string"),
        ('[dataset]\nname = "Has Spaces"\n', "name 'Has Spaces'"),
        ('[dataset]\nlicense = "CC BY 4.0"\n', "license 'CC BY 4.0'"),
        ('[dataset]\nhomepage = "example.org"\n', "not an http(s) URL"),
        ('[dataset]\nmaintainers = "Ada"\n', "maintainers must be a list of strings"),
        ("[build]\nworkers = 2\n", "unknown table or key 'build'"),
        ('dataset = "x"\n', "must be a table"),
    ],
)
def test_a_malformed_file_is_one_line_naming_the_file(
    tmp_path: Path, text: str, expected: str
) -> None:
    (tmp_path / "builder.toml").write_text(text)
    with pytest.raises(SettingsError) as caught:
        settings.load(tmp_path)
    message = str(caught.value)
    assert expected in message and "\n" not in message
    assert message.startswith(str(tmp_path / "builder.toml"))


def test_overrides_replace_only_what_is_given() -> None:
    changed = FULL.with_overrides(license="mit", homepage=None, maintainers=["Cy"])
    assert changed.license == "mit" and changed.homepage == FULL.homepage
    assert changed.maintainers == ("Cy",)
    with pytest.raises(SettingsError, match="license"):
        FULL.with_overrides(license="not a license")


def test_init_creates_a_dataset_folder_named_after_it(tmp_path: Path) -> None:
    folder = tmp_path / "My Harbour News"
    written = settings.init(folder, license="mit")
    assert written.name == "my-harbour-news" and written.license == "mit"
    assert settings.load(folder) == written
    assert is_dataset(folder)
    check_output(folder)  # `make --out` accepts it


def test_init_updates_an_existing_file_and_keeps_the_rest(tmp_path: Path) -> None:
    settings.init(tmp_path / "ds", citation="Cite me.", maintainers=("Ada",))
    again = settings.init(tmp_path / "ds", license="cc0-1.0")
    assert (again.citation, again.maintainers, again.license) == ("Cite me.", ("Ada",), "cc0-1.0")


def test_init_refuses_a_folder_of_someone_else(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(NotOurFolder, match="not a builder dataset"):
        settings.init(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


def test_a_folder_holding_only_builder_toml_is_still_ours(tmp_path: Path) -> None:
    """A builder.toml written by hand (no marker yet) does not make `make` refuse."""
    (tmp_path / "builder.toml").write_text('[dataset]\nlicense = "mit"\n')
    assert check_output(tmp_path) == tmp_path


def test_the_manifest_form_reads_back_and_tolerates_old_versions() -> None:
    assert settings.from_mapping(FULL.as_dict()) == FULL
    assert settings.from_mapping(None) == DatasetSettings()
    assert settings.from_mapping({"license": "mit", "from_a_newer_builder": 1}).license == "mit"


@pytest.mark.parametrize(
    ("folder", "name"),
    [("News 2025", "news-2025"), ("--", settings.DEFAULT_NAME), ("Ünïcode.Data_", "n-code.data")],
)
def test_slug_makes_a_valid_name(folder: str, name: str) -> None:
    assert settings.slug(folder) == name
    DatasetSettings(name=settings.slug(folder))  # valid
