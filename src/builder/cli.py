"""The `builder` command: parse arguments, call the library, print. Nothing else here."""

from __future__ import annotations

import gc
import inspect
import itertools
import json
import os
import sys
import time
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

# Arrow picks its allocator once, when pyarrow is first imported, so this comes before
# any module that imports it; the command's pool workers inherit it. Why malloc and not
# pyarrow's mimalloc: `builder.engines.spill.use_system_allocator`. A pool the user
# names in ARROW_DEFAULT_MEMORY_POOL is kept.
os.environ.setdefault("ARROW_DEFAULT_MEMORY_POOL", "system")
# numpy (which pyarrow imports) starts OpenBLAS's worker threads as it loads, and they
# spin ~0.08 s of CPU waiting for matrix work that builder never gives them, in the
# command and again in its fork server: one thread, none started. A number the user
# sets is kept.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table
from rich.text import Text
from typer._click.core import Context as _Context
from typer._click.core import Parameter as _Param
from typer.core import TyperCommand, TyperGroup

from builder import __version__, timing
from builder.build import (
    BuildError,
    BuildReport,
    DamagedReleaseError,
    OptionError,
    StrictError,
    build,
    check_request,
    workers_started,
)
from builder.contract.checks import ContractError
from builder.engines.spill import arrow_without_pandas
from builder.inputs.files import DEFAULT_MAX_BYTES, InputError
from builder.inputs.walk import list_inputs
from builder.release import settings as dataset_settings
from builder.release.diff import diff_release_dirs, render_text
from builder.release.ownership import NotOurFolder, check_output
from builder.release.versions import (
    REPORT,
    NoVersions,
    ReleaseNotFound,
    list_versions,
    render_versions,
    resolve_release,
)

if TYPE_CHECKING:
    from builder.release.validate import ValidationReport

out = Console()
err = Console(stderr=True)

#: Arguments that ask for JSON output: errors then come out as JSON as well.
_JSON_ARGS = ("--json", "--format=json", "-fjson")


def _wants_json(args: list[str]) -> bool:
    if any(arg in _JSON_ARGS for arg in args):
        return True
    return any(a in ("--format", "-f") and b == "json" for a, b in itertools.pairwise(args))


def _error(message: str, code: int, *, as_json: bool) -> int:
    """Print an error as one line, whatever the terminal, and return the exit code.

    Never wrapped (rich wraps at 80 columns when stderr is not a terminal) and never read
    as markup (`builder[dask]` is text). With --json / --format json it is a JSON object
    on stdout, where the script reads the report.
    """
    line = " ".join(message.split())
    if as_json:
        sys.stdout.write(json.dumps({"error": line, "exit_code": code}, ensure_ascii=False) + "\n")
        sys.stdout.flush()
    else:
        text = Text("error:", style="bold red")
        text.append(f" {line}")
        err.print(text, soft_wrap=True, highlight=False)
    return code


_INTERRUPTED = "interrupted: nothing was published"


class _Fail(Exception):
    """A one-line error for `_Group.main` to print; exits with `code`."""

    def __init__(self, message: str, code: int = 2) -> None:
        super().__init__(message)
        self.code = code


def _fail(message: str, code: int = 2) -> _Fail:
    return _Fail(message, code)


def _bare_flags(params: list[_Param]) -> list[_Param]:
    """Flags take no value, yet typer 0.29's rich help shows them as `<bool>` (and users
    then type `--quiet true`); a flag's empty metavar shows nothing there."""
    for param in params:
        if getattr(param, "is_flag", False) and param.metavar is None:
            param.metavar = ""
    return params


def reflow(help_text: str) -> str:
    """A docstring's prose paragraphs as one line each, for the terminal to wrap.

    typer's rich help keeps a docstring's line breaks, so at 80 columns a 88-column
    source line became a full line and a stub ("ends up" / "in the `dumps` table").
    Indented lines (the examples) keep their breaks.
    """
    paragraphs = inspect.cleandoc(help_text).split("\n\n")
    return "\n\n".join(
        p if any(line[:1].isspace() for line in p.splitlines()) else " ".join(p.split("\n"))
        for p in paragraphs
    )


class _Command(TyperCommand):
    def get_params(self, ctx: _Context) -> list[_Param]:
        return _bare_flags(super().get_params(ctx))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.help = reflow(self.help) if self.help else self.help


class _Group(TyperGroup):
    """The one place errors are printed: usage errors, failures, Ctrl-C."""

    def get_params(self, ctx: _Context) -> list[_Param]:
        return _bare_flags(super().get_params(ctx))

    def main(  # type: ignore[override]
        self,
        args: list[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        argv = list(sys.argv[1:] if args is None else args)
        as_json = _wants_json(argv)
        try:
            result = super().main(argv, prog_name, complete_var, standalone_mode=False, **extra)
            code = result if isinstance(result, int) else 0
            if code == 130:  # typer turns a KeyboardInterrupt into a silent Exit(130)
                code = _error(_INTERRUPTED, 130, as_json=as_json)
        except _Fail as exc:
            code = _error(str(exc), exc.code, as_json=as_json)
        except typer.TyperException as exc:
            ctx = getattr(exc, "ctx", None)
            if type(exc).__name__ == "NoArgsIsHelpError":
                help_text = exc.format_message()  # rich help printed itself already
                if help_text.strip():
                    out.print(help_text, markup=False, highlight=False)
                code = 2
            else:
                hint = f" (see '{ctx.command_path} --help')" if ctx is not None else ""
                message = exc.format_message() + hint
                code = _error(message, getattr(exc, "exit_code", 2), as_json=as_json)
        except (KeyboardInterrupt, typer.Abort):
            code = _error(_INTERRUPTED, 130, as_json=as_json)
        if standalone_mode:
            sys.exit(code)
        return code


app = typer.Typer(
    cls=_Group,
    help="Turn raw page dumps of news aggregators into a versioned, validated article dataset.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _print_version(value: bool) -> None:
    if value:
        out.print(__version__, markup=False, highlight=False)
        raise typer.Exit(0)


@app.callback()
def main(
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            help="Print builder's version and exit. (`builder make --version X.Y.Z` is "
            "different: the version to publish.)",
            callback=_print_version,
            is_eager=True,
            expose_value=False,
        ),
    ] = False,
) -> None:
    """builder: page dumps in, a loadable Parquet / Hugging Face dataset out.

    Example: builder make dumps/ --out dataset/ && builder validate dataset/
    """


def _parse_time(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise _fail(f"--captured-at is not an ISO 8601 time: {text!r}") from None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _summary(report: BuildReport) -> Table:
    """The one rendering of a build's report as text (`--json` prints report.as_dict()).
    Every value is plain text, never markup: a reason quoting `[build-system]` or a path
    with brackets shows as it is."""
    table = Table(title=Text(report.message), show_header=False, title_justify="left")
    table.add_column(style="bold")
    table.add_column()

    def row(name: str, value: object) -> None:
        table.add_row(Text(name), Text(str(value)))

    for group in report.skipped:
        row("skipped", group.line())
    row("dumps", report.n_inputs)
    row("  parsed", report.n_parsed)
    row("  quarantined", report.n_quarantined)
    for reason, count in report.top_reasons:
        row("", f"{count} x {reason}")
    row("articles", report.n_articles)
    row("sightings", report.n_sightings)
    for name, d in report.diff.items():
        row(f"  {name} vs {report.previous_version}", f"+{d.added} -{d.removed} ~{d.changed}")
    if report.version is not None and report.bump_reason:
        row("bump", f"{report.version}: {report.bump_reason}")
    if report.path is not None:
        row("release", report.path)
        if (report.path / REPORT).is_file():
            row("report", report.path / REPORT)
    row("elapsed", f"{report.elapsed_s:.2f} s")
    for note in report.warnings():
        table.add_row(Text("warning", style="bold yellow"), Text(note))
    return table


_SETTINGS_PANEL = "Dataset settings (override the dataset's builder.toml for this build)"

_NameOption = Annotated[
    str | None,
    typer.Option(
        "--name",
        help="Short name: lowercase letters, digits, '.', '_', '-' (the dataset folder's "
        "name; the card's load example and Croissant use it).",
        rich_help_panel=_SETTINGS_PANEL,
        show_default=False,
    ),
]
_PrettyNameOption = Annotated[
    str | None,
    typer.Option(
        "--pretty-name",
        help="The card's title (`pretty_name`).",
        rich_help_panel=_SETTINGS_PANEL,
        show_default=False,
    ),
]
_DescriptionOption = Annotated[
    str | None,
    typer.Option(
        "--description",
        help="What the dataset is for, in a sentence or two.",
        rich_help_panel=_SETTINGS_PANEL,
        show_default=False,
    ),
]
_LicenseOption = Annotated[
    str | None,
    typer.Option(
        "--license",
        help="License identifier (cc-by-4.0, mit, other, ...). Default: unknown, said as "
        "such: builder never picks a license for you.",
        rich_help_panel=_SETTINGS_PANEL,
        show_default=False,
    ),
]
_HomepageOption = Annotated[
    str | None,
    typer.Option(
        "--homepage",
        help="http(s) URL where the dataset lives.",
        rich_help_panel=_SETTINGS_PANEL,
        show_default=False,
    ),
]
_CitationOption = Annotated[
    str | None,
    typer.Option(
        "--citation",
        help="How to cite the dataset (plain text or BibTeX).",
        rich_help_panel=_SETTINGS_PANEL,
        show_default=False,
    ),
]
_MaintainerOption = Annotated[
    list[str] | None,
    typer.Option(
        "--maintainer",
        help="A maintainer, e.g. 'Ada Lovelace <ada@example.org>'; repeat the option "
        "for several (or separate them with ';').",
        rich_help_panel=_SETTINGS_PANEL,
        show_default=False,
    ),
]


def _dataset_values(
    name: str | None,
    pretty_name: str | None,
    description: str | None,
    license_id: str | None,
    homepage: str | None,
    citation: str | None,
    maintainers: list[str] | None,
) -> dict[str, Any]:
    """The dataset settings given on the command line (None: not given)."""
    return {
        "name": name,
        "pretty_name": pretty_name,
        "description": description,
        "license": license_id,
        "homepage": homepage,
        "citation": citation,
        "maintainers": None if not maintainers else dataset_settings.split_people(maintainers),
    }


#: What `builder init` asks for on a terminal, in order, with the prompt's text.
_PROMPTS: tuple[tuple[str, str], ...] = (
    ("pretty_name", "Title of the card (pretty name)"),
    ("description", "What the dataset is for (a sentence)"),
    ("license", "License identifier (cc-by-4.0, mit, other; unknown if nobody stated one)"),
    ("homepage", "Homepage URL (empty: none)"),
    ("citation", "How to cite it (empty: none)"),
    ("maintainers", "Maintainers, ';' between them (empty: none)"),
)


def _prompt_missing(folder: Path, values: dict[str, Any]) -> dict[str, Any]:
    """On a terminal, ask for each setting neither the options nor an existing
    builder.toml give; an empty answer keeps the default."""
    if not sys.stdin.isatty() or dataset_settings.path_in(folder).is_file():
        return values
    asked = dict(values)
    if asked["name"] is None:
        default = dataset_settings.slug(folder.resolve().name)
        asked["name"] = typer.prompt("Short name", default=default)
    for key, text in _PROMPTS:
        if asked[key] is not None:
            continue
        default = dataset_settings.UNKNOWN_LICENSE if key == "license" else ""
        answer = str(typer.prompt(text, default=default, show_default=bool(default)))
        if key == "maintainers":
            asked[key] = dataset_settings.split_people([answer])
        else:
            asked[key] = answer.strip() or None
    return asked


@app.command(cls=_Command)
def init(
    folder: Annotated[
        Path,
        typer.Argument(
            help="The dataset folder: new, empty, or a builder dataset (then its "
            "builder.toml is updated).",
            show_default=False,
        ),
    ],
    name: _NameOption = None,
    pretty_name: _PrettyNameOption = None,
    description: _DescriptionOption = None,
    license_id: _LicenseOption = None,
    homepage: _HomepageOption = None,
    citation: _CitationOption = None,
    maintainers: _MaintainerOption = None,
) -> None:
    """Create a dataset folder with its settings (builder.toml), or update them.

    builder.toml holds what builder cannot read from the pages: the dataset's name,
    title, description, license, homepage, citation and maintainers. `builder make
    --out FOLDER` puts them into the card (README.md) and croissant.json of every
    version; edit the file by hand at any time. On a terminal, init asks for each value
    not given as an option; elsewhere it writes the options and defaults. Nothing is
    made up: the license stays `unknown` until you state one, the rest stays empty.

    Exit 0: written; 2: a bad value, a malformed builder.toml, or a non-empty folder
    that is not a builder dataset (nothing written).

    Example:

        builder init news/ --license cc-by-4.0 --maintainer 'Ada Lovelace <ada@example.org>'

        builder make dumps/ --out news/
    """
    values = _dataset_values(
        name, pretty_name, description, license_id, homepage, citation, maintainers
    )
    try:
        check_output(folder)  # refused before any question is asked
        written = dataset_settings.init(folder, **_prompt_missing(folder, values))
    except (NotOurFolder, dataset_settings.SettingsError) as exc:
        raise _fail(str(exc)) from None
    except OSError as exc:
        raise _fail(f"cannot write {folder}: {exc.strerror or exc}") from None
    path = dataset_settings.path_in(folder)
    out.print(
        f"wrote {path} (name {written.name}, license {written.license}); "
        f"next: builder make DUMPS --out {folder}",
        highlight=False,
        markup=False,
        soft_wrap=True,
    )


@app.command(cls=_Command)
def make(
    inputs: Annotated[
        list[str],
        typer.Argument(
            help="Dump files, directories or glob patterns. A directory is walked "
            "recursively for the dump formats: .txt, .jsonl and .jsonl.gz (page dumps, "
            "crawler exports); other files are skipped and counted in the summary, hidden "
            "files and builder dataset folders (the --out folder too) are never read. A "
            "file named here, or matched by a glob, is always read, whatever its name.",
            show_default=False,
        ),
    ],
    out_dir: Annotated[
        str,
        typer.Option(
            "--out",
            "-o",
            metavar="DIR",
            help="Dataset folder to create, or a builder dataset to add a version to. "
            "Refused: an empty name, and a non-empty folder that is not a builder dataset "
            "(builder never writes over your files).",
            show_default=False,
        ),
    ],
    captured_at: Annotated[
        str | None,
        typer.Option(
            help="When the pages were captured, ISO 8601 (2025-07-01T12:00:00Z; a time "
            "without a zone is UTC). Used for dumps whose record has no fetched_at, to "
            "turn '3 hours ago' into a date. Default: each file's modification time, "
            "which a copy changes: pass this for reproducible builds.",
            show_default=False,
        ),
    ] = None,
    version: Annotated[
        str | None,
        typer.Option(
            "--version",
            help="Publish as this version X.Y.Z (after the latest one) instead of the "
            "automatic next version. Not builder's own version: that is `builder --version`.",
            show_default=False,
        ),
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(
            help="Processes for the local engine (default: all cores); the output is the "
            "same for any number.",
            min=1,
            show_default=False,
        ),
    ] = None,
    engine: Annotated[
        str,
        typer.Option(
            help="Where to run: 'local' (this machine's cores) or 'dask' (a Dask cluster; "
            "needs the extra: pip install 'builder\\[dask]'). Both write the same release."
        ),
    ] = "local",
    scheduler: Annotated[
        str | None,
        typer.Option(
            help="Dask scheduler address (tcp://host:8786) for --engine dask; without it "
            "a local Dask cluster is started.",
            show_default=False,
        ),
    ] = None,
    max_bytes: Annotated[
        int,
        typer.Option(help="Largest dump, in bytes: a larger one is quarantined unread.", min=1),
    ] = DEFAULT_MAX_BYTES,
    quiet: Annotated[
        bool,
        typer.Option("--quiet", "-q", help="Print nothing but errors (no progress, no summary)."),
    ] = False,
    as_json: Annotated[
        bool,
        typer.Option(
            "--json",
            help="Print the summary as one JSON object on stdout (errors too), for scripts.",
        ),
    ] = False,
    strict: Annotated[
        bool,
        typer.Option(
            "--strict", help="Fail (exit 1, publish nothing) if any input is quarantined."
        ),
    ] = False,
    no_cache: Annotated[
        bool,
        typer.Option(
            "--no-cache",
            help="Parse every dump again instead of reusing results from OUT/.cache/ "
            "(the release is the same either way).",
        ),
    ] = False,
    name: _NameOption = None,
    pretty_name: _PrettyNameOption = None,
    description: _DescriptionOption = None,
    license_id: _LicenseOption = None,
    homepage: _HomepageOption = None,
    citation: _CitationOption = None,
    maintainers: _MaintainerOption = None,
) -> None:
    """Build (or add a version to) a dataset from page dumps.

    Every input (a file named, or a .txt / .jsonl / .jsonl.gz file in a folder) ends up
    in the `dumps` table, parsed or quarantined with a reason; the build exits 0 when it
    published, even with quarantined inputs. Exit 1: the build failed (--strict,
    contract, disk); 2: a wrong option or input; 130: Ctrl-C.

    Example:

        builder make samples/dumps --out build/demo

        builder make 'crawl/*.jsonl.gz' more/ --out dataset/ --captured-at 2025-07-01T00:00:00Z

        builder make s3://bucket/dumps/ --out dataset/ --engine dask --scheduler tcp://head:8786
    """
    wall = timing.Wall(_process_started())  # what `time builder make` would show
    wall.lap("startup")
    when = _parse_time(captured_at)
    about = _dataset_values(
        name, pretty_name, description, license_id, homepage, citation, maintainers
    )
    try:  # every option is checked before the first input is read
        check_request(out_dir, version=version, engine=engine, scheduler=scheduler, dataset=about)
    except OptionError as exc:
        raise _fail(str(exc)) from None
    if engine == "local":  # this process hands pyarrow no pandas object
        arrow_without_pandas()
    # The merge workers' fork server imports while the inputs are listed (see
    # `workers_started`).
    with workers_started(workers, engine=engine, scheduler=scheduler):
        remote = any("://" in spec for spec in inputs)  # fsspec URLs: the dask engine lists them
        try:
            listing = None if remote else list_inputs(inputs, exclude=[out_dir])
        except InputError as exc:
            raise _fail(str(exc)) from None
        if listing is not None and not listing.files:  # a wrong folder, not a wish to empty
            skipped = "; ".join(g.line() for g in listing.skip_groups())
            raise _fail(
                f"{', '.join(inputs)}: no dump to read (.txt, .jsonl, .jsonl.gz)"
                + (f"; {skipped}" if skipped else "")
                + ": nothing built"
            )
        files = listing.files if listing is not None else ()
        wall.lap("list")
        # One dump per text file; a JSON Lines file holds an unknown number of them.
        known_total = not remote and all(f.kind == "text" for f in files)
        shown = _Progress(
            len(files) if known_total else None,
            enabled=not quiet and not as_json and sys.stderr.isatty(),
        )
        try:
            with shown:
                report = build(
                    inputs,
                    out_dir,
                    captured_at=when,
                    version=version,
                    workers=workers,
                    max_bytes=max_bytes,
                    on_stage=shown.stage,
                    engine=engine,
                    scheduler=scheduler,
                    strict=strict,
                    cache=not no_cache,
                    inputs=listing,
                    wall=wall,
                    dataset=about,
                )
        except (StrictError, ContractError, DamagedReleaseError) as exc:
            raise _fail(str(exc), 1) from None
        except (InputError, BuildError, FileExistsError) as exc:
            raise _fail(str(exc)) from None
        except OSError as exc:
            raise _fail(f"cannot write {out_dir}: {exc.strerror or exc}", 1) from None
    if as_json:
        out.print_json(json.dumps(report.as_dict()))
    elif not quiet:
        out.print(_summary(report))
    # The interpreter's last garbage collections walk every object still alive (parsers,
    # models, Arrow): ~1 s after the report, which `time builder make` showed but no
    # stage could. Everything is written and closed by now; nothing needs collecting.
    gc.freeze()


def _process_started() -> float | None:
    """When the process started, if it was started to run `builder` (the console
    script): its interpreter start and imports are then part of the build's wall time.
    None inside another program (a test runner calling the app): the command's call."""
    if Path(sys.argv[0]).stem == "builder":
        return timing.process_started()
    return None


#: The parsing count is handed to the bar at most this often (rich redraws it 10 times a
#: second): a call per dump then costs a clock read, not a redraw's bookkeeping.
_REDRAW_S = 0.05


class _Progress:
    """The progress bar of `make`, on stderr when it is a terminal: one step per dump
    parsed, then one per step of the merge and the write, so it never looks stuck."""

    def __init__(self, n_dumps: int | None, *, enabled: bool) -> None:
        self._bar = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=err,
            transient=True,
            disable=not enabled,
        )
        self._n_dumps = n_dumps
        self._task: TaskID = self._bar.add_task("parsing", total=n_dumps)
        self._name = "parsing"
        self._shown = 0.0  # when the parsing count was last handed to the bar

    def __enter__(self) -> _Progress:
        self._bar.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self._bar.__exit__(None, None, None)

    def stage(self, name: str, done: int, total: int | None) -> None:
        """`name` is at step `done` of `total` (None: of unknown length). "parsing"
        counts dumps as they are parsed (the engines count them as they go: the bar
        needs none of their rows); it starts again from its first count when an
        incremental build hands over to a full one."""
        if name != self._name:  # a new step: its own bar (no total: a pulsing one)
            self._bar.update(self._task, visible=False)
            if name == "parsing":
                total = self._n_dumps
            self._task = self._bar.add_task(name, total=total)
            self._name = name
        elif name == "parsing":
            now = time.monotonic()
            if now - self._shown < _REDRAW_S:
                return  # a call per dump: the bar is redrawn a few times a second anyway
            self._shown = now
        self._bar.update(self._task, completed=done)


class OutputFormat(StrEnum):
    text = "text"
    json = "json"


def _findings_table(report: ValidationReport) -> Table:
    """Plain text, never markup: failing values and paths show as they are."""
    verdict = ("valid", "bold green") if report.ok else ("INVALID", "bold red")
    rows = ", ".join(f"{name} {count}" for name, count in report.row_counts.items())
    title = Text.assemble(f"{report.path} (version {report.version}): ", verdict, f" — {rows}")
    table = Table(title=title, title_justify="left", show_lines=False)
    for name in ("table", "column", "check", "failing values", "count"):
        table.add_column(name, overflow="fold", justify="right" if name == "count" else "left")
    for f in report.findings:
        cells = (f.table, f.column or "", f.check, "\n".join(f.examples), str(f.count))
        table.add_row(*(Text(cell) for cell in cells))
    return table


@app.command(cls=_Command)
def validate(
    release: Annotated[
        str,
        typer.Argument(
            help="Dataset directory (checks its latest version), DIR@X.Y.Z, "
            "or a versions/X.Y.Z folder.",
            show_default=False,
        ),
    ],
    output_format: Annotated[
        OutputFormat, typer.Option("--format", "-f", help="Report as a table or as JSON.")
    ] = OutputFormat.text,
    croissant: Annotated[
        bool,
        typer.Option(
            "--croissant/--no-croissant",
            help="Also check croissant.json with mlcroissant (reads a few records).",
        ),
    ] = True,
) -> None:
    """Check a published release against the data contract (for CI).

    Checks every table (types, ids, enums, unique keys, references, counts), the
    manifest (schema, sha256 and size of every file, row counts), the card and
    croissant.json. Exit 0: valid; 1: invalid (or damaged); 2: no such release.

    Example:

        builder validate dataset/

        builder validate dataset@1.0.0 --format json
    """
    try:
        path = resolve_release(release)
    except ReleaseNotFound as exc:
        raise _fail(str(exc)) from None
    from builder.release.validate import validate_release  # jsonschema: only validate needs it

    report = validate_release(path, check_croissant=croissant)
    if output_format is OutputFormat.json:
        out.print_json(json.dumps(report.as_dict()))
    elif report.ok:
        out.print(_findings_table(report).title, soft_wrap=True)
    else:
        out.print(_findings_table(report))
    raise typer.Exit(0 if report.ok else 1)


@app.command(cls=_Command)
def diff(
    old: Annotated[
        str,
        typer.Argument(
            help="The older release: DIR (its latest version), DIR@X.Y.Z or a "
            "versions/X.Y.Z folder.",
            show_default=False,
        ),
    ],
    new: Annotated[str, typer.Argument(help="The newer release, named the same ways.")],
    output_format: Annotated[
        OutputFormat, typer.Option("--format", "-f", help="Readable report or JSON.")
    ] = OutputFormat.text,
) -> None:
    """Rows added, removed and changed (same key, other content) per table, with examples.

    Exit 0 whether or not anything changed; 2 when a release does not exist.

    Example:

        builder diff dataset/@1.0.0 dataset/

        builder diff old-dataset/ new-dataset/ --format json
    """
    try:
        old_path, new_path = resolve_release(old), resolve_release(new)
    except ReleaseNotFound as exc:
        raise _fail(str(exc)) from None
    result = diff_release_dirs(old_path, new_path)
    if output_format is OutputFormat.json:
        out.print_json(json.dumps(result.as_dict(), ensure_ascii=False))
    else:
        out.print(render_text(result), end="", highlight=False, markup=False, soft_wrap=True)


@app.command(cls=_Command)
def report(
    release: Annotated[
        str,
        typer.Argument(
            help="The release: DIR (its latest version), DIR@X.Y.Z or a versions/X.Y.Z folder.",
            show_default=False,
        ),
    ],
    out_file: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            help="The HTML file to write. Default: report-X.Y.Z.html in the current folder.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Write the visual report of a release: one HTML file that opens offline.

    Inputs parsed and quarantined (by reason), articles and sightings per capture and
    published day, publishers, languages, text lengths and teasers, repairs, merging,
    suspicious times, the changes since the previous version and the history of all
    versions, with a few example rows and their provenance. `builder make` already
    writes it into each new version as report.html; this renders any version again.

    Example:

        builder report dataset/

        builder report dataset/@1.0.0 --out report.html
    """
    from builder.report import ReportError, write_report  # only when asked

    try:
        path = resolve_release(release)
    except ReleaseNotFound as exc:
        raise _fail(str(exc)) from None
    version = path.name if path.parent.name == "versions" else "release"
    target = out_file if out_file is not None else Path(f"report-{version}.html")
    try:
        written = write_report(path, target)
    except ReportError as exc:
        raise _fail(str(exc)) from None
    except OSError as exc:
        raise _fail(f"cannot write {target}: {exc.strerror or exc}") from None
    out.print(f"wrote {written}", highlight=False, markup=False, soft_wrap=True)


@app.command(cls=_Command)
def versions(
    dataset_dir: Annotated[
        Path, typer.Argument(help="Dataset directory (holding versions/).", show_default=False)
    ],
    output_format: Annotated[
        OutputFormat, typer.Option("--format", "-f", help="Readable table or JSON.")
    ] = OutputFormat.text,
) -> None:
    """List every version, oldest first: its build time, row counts and why it got its
    number (MAJOR / MINOR / PATCH, see the README).

    Exit 0; 2 when the folder holds no published version.

    Example:

        builder versions dataset/

        builder versions dataset/ --format json
    """
    try:
        found = list_versions(dataset_dir)
    except NoVersions as exc:
        raise _fail(str(exc)) from None
    if output_format is OutputFormat.json:
        listed = [info.as_dict() for info in found]
        out.print_json(json.dumps({"versions": listed}, ensure_ascii=False))
        return
    out.print(render_versions(found), end="", highlight=False, markup=False, soft_wrap=True)


def run() -> None:  # pragma: no cover - console entry for `python -m builder`
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    app()
