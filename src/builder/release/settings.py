"""A dataset's own settings (`builder.toml` in the dataset folder): who it is by.

The card and `croissant.json` need facts builder cannot read from the pages: the
dataset's name, its license, who maintains it, how to cite it. They are kept with the
dataset, in a small TOML file `builder init` writes and people edit by hand, so every
`builder make` into that folder describes the dataset the same way; options of `make`
override them for one build. Nothing here is ever guessed: a license nobody stated is
`unknown`, a homepage nobody gave is absent.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from typing import Any, Final

from builder.release.ownership import SETTINGS, check_output, claim

#: The settings file, at the top of the dataset folder.
FILE_NAME: Final = SETTINGS
#: The one table of the file (room for other tables later).
TABLE: Final = "dataset"
#: What a license nobody stated is called (the Hugging Face Hub's identifier too).
UNKNOWN_LICENSE: Final = "unknown"
#: The name of a dataset whose settings do not name it.
DEFAULT_NAME: Final = "news-aggregator-articles"
#: What the card and Croissant say the data is when the settings give no description.
DEFAULT_DESCRIPTION: Final = (
    "Articles (main stories and related-article cards) extracted from captured pages of "
    "news aggregators and deduplicated across captures. Every row can be traced to the "
    "bytes it came from: the dump, the lines and byte span, the capture time, and the "
    "text repairs that were applied."
)

_NAME = re.compile(r"^[a-z0-9](?:[a-z0-9._-]{0,94}[a-z0-9])?$")
#: Hub license identifiers (cc-by-4.0, mit, apache-2.0, other, unknown) and SPDX ids.
_LICENSE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.+-]{0,63}$")
_URL = re.compile(r"^https?://[^\s/]+\S*$")


class SettingsError(ValueError):
    """The settings are not usable (malformed file, bad value): one line, nothing built."""


@dataclass(frozen=True)
class DatasetSettings:
    """What the card and Croissant say about the dataset as a whole.

    Only `name` and `license` always have a value; the rest is omitted from the card
    and Croissant when empty rather than filled with something made up.
    """

    #: Short machine name (lowercase letters, digits, `.`, `_`, `-`): the folder name
    #: the card's load example uses, and the Croissant `name`.
    name: str = DEFAULT_NAME
    #: Human title of the card (`pretty_name`); the name when empty.
    pretty_name: str = ""
    #: A paragraph on what the dataset is for; builder's own description when empty.
    description: str = ""
    #: License identifier (`cc-by-4.0`, `mit`, `other`, ...); `unknown` unless stated.
    license: str = UNKNOWN_LICENSE
    #: Where the dataset lives on the web (http/https); none when empty.
    homepage: str = ""
    #: How to cite the dataset (plain text or BibTeX); none when empty.
    citation: str = ""
    #: Who maintains it, e.g. `Ada Lovelace <ada@example.org>`.
    maintainers: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        check(self)

    @property
    def title(self) -> str:
        """The human title: pretty_name, else the name."""
        return self.pretty_name or self.name

    @property
    def license_known(self) -> bool:
        return self.license != UNKNOWN_LICENSE

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready (the manifest keeps the settings a version was built with)."""
        data = asdict(self)
        data["maintainers"] = list(self.maintainers)
        return data

    def with_overrides(self, **overrides: Any) -> DatasetSettings:
        """These settings with every override that is not None in their place."""
        given = {key: value for key, value in overrides.items() if value is not None}
        unknown = sorted(set(given) - set(KEYS))
        if unknown:
            raise SettingsError(f"unknown dataset setting {unknown[0]!r}")
        if "maintainers" in given:
            given["maintainers"] = tuple(given["maintainers"])
        return replace(self, **given)


#: The keys of the `[dataset]` table, in file order.
KEYS: Final = tuple(f.name for f in fields(DatasetSettings))


def check(settings: DatasetSettings) -> None:
    """Refuse values the card or Croissant cannot carry (SettingsError, one line)."""
    if not _NAME.match(settings.name):
        raise SettingsError(
            f"name {settings.name!r}: use 1-96 lowercase letters, digits, '.', '_' or '-', "
            "starting and ending with a letter or digit"
        )
    if not _LICENSE.match(settings.license):
        raise SettingsError(
            f"license {settings.license!r}: give one identifier such as cc-by-4.0, mit or "
            f"other (or {UNKNOWN_LICENSE} when nobody stated one)"
        )
    if settings.homepage and not _URL.match(settings.homepage):
        raise SettingsError(f"homepage {settings.homepage!r} is not an http(s) URL")
    for key in ("name", "pretty_name", "license", "homepage"):
        if "\n" in getattr(settings, key):
            raise SettingsError(f"{key} must be one line")
    for person in settings.maintainers:
        if not person.strip() or "\n" in person:
            raise SettingsError(f"maintainer {person!r}: one non-empty line per maintainer")


def slug(text: str) -> str:
    """A usable `name` from a folder name (`My News 2025` -> `my-news-2025`)."""
    cleaned = re.sub(r"[^a-z0-9._-]+", "-", text.lower()).strip("-._")
    return cleaned[:96].rstrip("-._") or DEFAULT_NAME


# --- the file ---------------------------------------------------------------------------


def path_in(folder: Path) -> Path:
    return Path(folder) / FILE_NAME


def parse(text: str, where: str = FILE_NAME) -> DatasetSettings:
    """Settings from the text of a builder.toml; SettingsError names what is wrong."""
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"{where} is not valid TOML: {exc}") from None
    extra = sorted(set(document) - {TABLE})
    if extra:
        raise SettingsError(f"{where}: unknown table or key {extra[0]!r} (only [{TABLE}])")
    table = document.get(TABLE, {})
    if not isinstance(table, dict):
        raise SettingsError(f"{where}: {TABLE} must be a table ([{TABLE}])")
    unknown = sorted(set(table) - set(KEYS))
    if unknown:
        raise SettingsError(
            f"{where}: unknown key {unknown[0]!r} in [{TABLE}] (known: {', '.join(KEYS)})"
        )
    values: dict[str, Any] = {}
    for key, value in table.items():
        if key == "maintainers":
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise SettingsError(f"{where}: maintainers must be a list of strings")
            values[key] = tuple(value)
        elif not isinstance(value, str):
            raise SettingsError(f"{where}: {key} must be a string, not {type(value).__name__}")
        else:
            values[key] = value.strip() if key != "citation" else value.strip("\n")
    try:
        return DatasetSettings(**values)
    except SettingsError as exc:
        raise SettingsError(f"{where}: {exc}") from None


def load(folder: Path) -> DatasetSettings:
    """The settings of the dataset in `folder`; the defaults when it has no builder.toml."""
    path = path_in(folder)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return DatasetSettings()
    except (OSError, UnicodeDecodeError) as exc:
        raise SettingsError(f"cannot read {path}: {exc}") from None
    return parse(text, str(path))


def from_mapping(data: Mapping[str, Any] | None) -> DatasetSettings:
    """Settings as a manifest keeps them (`as_dict`); defaults for a version built
    before builder.toml existed. Unknown keys (a newer builder's) are ignored."""
    if not isinstance(data, Mapping):
        return DatasetSettings()
    values = {key: data[key] for key in KEYS if key in data}
    if "maintainers" in values:
        values["maintainers"] = tuple(values["maintainers"])
    try:
        return DatasetSettings(**values)
    except (SettingsError, TypeError):
        return DatasetSettings()


_HEADER: Final = """\
# The settings of this dataset, read by `builder make` (edit them freely).
# They go into the dataset card (README.md) and croissant.json of the next version;
# options of `builder make` (--license, --pretty-name, ...) override them for one build.
# Leave a value empty ("") when you do not know it: nothing is made up in its place.
"""

_COMMENTS: Final[Mapping[str, str]] = {
    "name": "short name: lowercase letters, digits, '.', '_', '-' (the folder's name)",
    "pretty_name": "the card's title",
    "description": "what the dataset is for, in a sentence or two",
    "license": "an identifier such as cc-by-4.0, mit or other; unknown until someone states it",
    "homepage": "http(s) URL where the dataset lives",
    "citation": "how to cite it: plain text or BibTeX",
    "maintainers": 'who maintains it, e.g. ["Ada Lovelace <ada@example.org>"]',
}


def _toml_string(value: str) -> str:
    """A TOML string: multi-line literal for text with line breaks (BibTeX stays
    readable), else a basic string (JSON's escapes are TOML's)."""
    if "\n" in value and "'''" not in value and not re.search(r"[\x00-\x08\x0b-\x1f]", value):
        return "'''\n" + value + "\n'''"
    return json.dumps(value, ensure_ascii=False)


def render(settings: DatasetSettings) -> str:
    """The text of builder.toml for `settings` (parse(render(s)) == s)."""
    lines = [_HEADER, f"[{TABLE}]"]
    for key in KEYS:
        value = getattr(settings, key)
        lines.append(f"# {_COMMENTS[key]}")
        if key == "maintainers":
            items = ", ".join(_toml_string(person) for person in value)
            lines.append(f"{key} = [{items}]")
        else:
            lines.append(f"{key} = {_toml_string(value)}")
    return "\n".join(lines) + "\n"


def write(folder: Path, settings: DatasetSettings) -> Path:
    """Write builder.toml into `folder` (replacing one that is there)."""
    path = path_in(folder)
    path.write_text(render(settings), encoding="utf-8")
    return path


def init(folder: Path, **values: Any) -> DatasetSettings:
    """Create or update the builder.toml of the dataset in `folder` (created if needed)
    with `values` (None: keep what the file says, else the default); returns what was
    written. A new file takes its name from the folder. Refused (NotOurFolder): a
    non-empty folder that is not a builder dataset; SettingsError: a bad value or a
    malformed builder.toml, which is then left as it is."""
    folder = check_output(folder)
    if path_in(folder).is_file():
        base = load(folder)
    else:
        base = DatasetSettings(name=slug(Path(folder).resolve().name))
    settings = base.with_overrides(**values)
    claim(folder)
    write(folder, settings)
    return settings


def split_people(values: Sequence[str]) -> tuple[str, ...]:
    """Maintainers as given on a command line or a prompt: `;` separates people."""
    return tuple(p.strip() for value in values for p in value.split(";") if p.strip())


__all__ = [
    "DEFAULT_DESCRIPTION",
    "DEFAULT_NAME",
    "FILE_NAME",
    "KEYS",
    "UNKNOWN_LICENSE",
    "DatasetSettings",
    "SettingsError",
    "from_mapping",
    "init",
    "load",
    "parse",
    "render",
    "slug",
    "split_people",
    "write",
]
