"""The `builder` command: parse arguments, call the library, print. Nothing else here."""

from __future__ import annotations

import json
import os
import sys
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from builder import __version__
from builder.build import BuildError, BuildReport, StrictError, build
from builder.contract.checks import ContractError
from builder.inputs.files import DEFAULT_MAX_BYTES, InputError
from builder.inputs.walk import find_inputs
from builder.records import DumpResult
from builder.release.diff import diff_release_dirs, render_text
from builder.release.validate import ValidationReport, validate_release
from builder.release.versions import (
    REPORT,
    NoVersions,
    ReleaseNotFound,
    list_versions,
    render_versions,
    resolve_release,
)

app = typer.Typer(
    help="Turn raw page dumps of news aggregators into a versioned, validated article dataset.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
out = Console()
err = Console(stderr=True)


def _fail(message: str, code: int = 2) -> typer.Exit:
    err.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    return typer.Exit(code)


@app.callback()
def main(
    version: Annotated[bool, typer.Option("--version", help="Print the version and exit.")] = False,
) -> None:
    """builder: page dumps in, a loadable Parquet / Hugging Face dataset out.

    Example: builder make dumps/ --out dataset/ && builder validate dataset/
    """
    if version:
        out.print(__version__)
        raise typer.Exit(0)


def _parse_time(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise _fail(f"--captured-at is not an ISO 8601 time: {text!r}") from None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _summary(report: BuildReport) -> Table:
    table = Table(title=report.message, show_header=False, title_justify="left")
    table.add_column(style="bold")
    table.add_column()
    table.add_row("dumps", f"{report.n_inputs}")
    table.add_row("  parsed", f"{report.n_parsed}")
    table.add_row("  quarantined", f"{report.n_quarantined}")
    for reason, count in report.top_reasons:
        table.add_row("", f"{count} x {reason}")
    table.add_row("articles", f"{report.n_articles}")
    table.add_row("sightings", f"{report.n_sightings}")
    for name, d in report.diff.items():
        table.add_row(
            f"  {name} vs {report.previous_version}", f"+{d.added} -{d.removed} ~{d.changed}"
        )
    if report.version is not None and report.bump_reason:
        table.add_row("bump", f"{report.version}: {report.bump_reason}")
    if report.path is not None:
        table.add_row("release", str(report.path))
        if (report.path / REPORT).is_file():
            table.add_row("report", str(report.path / REPORT))
    table.add_row("elapsed", f"{report.elapsed_s:.2f} s")
    return table


@app.command()
def make(
    inputs: Annotated[
        list[str],
        typer.Argument(
            help="Dump files, directories (walked recursively) or glob patterns: "
            ".txt dumps and .jsonl / .jsonl.gz crawler exports.",
            show_default=False,
        ),
    ],
    out_dir: Annotated[
        Path, typer.Option("--out", "-o", help="Dataset directory to create or add a version to.")
    ],
    captured_at: Annotated[
        str | None,
        typer.Option(
            help="Capture time (ISO 8601) for dumps whose record carries none; "
            "default: the file's modification time."
        ),
    ] = None,
    version: Annotated[
        str | None,
        typer.Option(
            "--version", help="Publish as this X.Y.Z instead of the automatic next version."
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
            help="Where to run: 'local' (this machine) or 'dask' (a Dask cluster; needs "
            "the builder[dask] extra). Both write the same release."
        ),
    ] = "local",
    scheduler: Annotated[
        str | None,
        typer.Option(
            help="Dask scheduler address (tcp://host:8786); without it --engine dask "
            "starts a local cluster.",
            show_default=False,
        ),
    ] = None,
    max_bytes: Annotated[
        int, typer.Option(help="Per-dump size limit; larger dumps are quarantined.", min=1)
    ] = DEFAULT_MAX_BYTES,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing but errors.")] = False,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the summary as JSON (for scripts).")
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
) -> None:
    """Build (or add a version to) a dataset from page dumps.

    Every input ends up in the `dumps` table, parsed or quarantined with a reason;
    the build exits 0 when it published, even with quarantined inputs.

    Example:

        builder make samples/dumps --out build/demo

        builder make 'crawl/*.jsonl.gz' more/ --out dataset/ --captured-at 2025-07-01T00:00:00Z

        builder make s3://bucket/dumps/ --out dataset/ --engine dask --scheduler tcp://head:8786
    """
    when = _parse_time(captured_at)
    remote = any("://" in spec for spec in inputs)  # fsspec URLs: the dask engine lists them
    try:
        files = [] if remote else find_inputs(inputs)
    except InputError as exc:
        raise _fail(str(exc)) from None
    # One dump per text file; a JSON Lines file holds an unknown number of them.
    known_total = not remote and all(f.kind == "text" for f in files)
    n_dumps = len(files) if known_total else None
    show_progress = not quiet and not as_json and sys.stderr.isatty()
    progress = Progress(
        TextColumn("parsing"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
        disable=not show_progress,
    )
    task = progress.add_task("dumps", total=n_dumps)

    def advance(result: DumpResult) -> None:
        progress.advance(task)

    try:
        with progress:
            report = build(
                inputs,
                out_dir,
                captured_at=when,
                version=version,
                workers=workers,
                max_bytes=max_bytes,
                on_dump=advance,
                engine=engine,
                scheduler=scheduler,
                strict=strict,
                cache=not no_cache,
                inputs=None if remote else files,
            )
    except (StrictError, ContractError) as exc:
        raise _fail(str(exc), 1) from None
    except (InputError, BuildError, FileExistsError) as exc:
        raise _fail(str(exc)) from None
    except OSError as exc:
        raise _fail(f"cannot write {out_dir}: {exc.strerror or exc}", 1) from None
    except KeyboardInterrupt:
        raise _fail("interrupted: nothing was published", 130) from None
    if as_json:
        out.print_json(json.dumps(report.as_dict()))
    elif not quiet:
        out.print(_summary(report))


class OutputFormat(StrEnum):
    text = "text"
    json = "json"


def _findings_table(report: ValidationReport) -> Table:
    verdict = "[bold green]valid[/]" if report.ok else "[bold red]INVALID[/]"
    rows = ", ".join(f"{name} {count}" for name, count in report.row_counts.items())
    title = f"{report.path} (version {report.version}): {verdict} — {rows}"
    table = Table(title=title, title_justify="left", show_lines=False)
    for name in ("table", "column", "check", "failing values", "count"):
        table.add_column(name, overflow="fold", justify="right" if name == "count" else "left")
    for f in report.findings:
        table.add_row(f.table, f.column or "", f.check, "\n".join(f.examples), str(f.count))
    return table


@app.command()
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
    report = validate_release(path, check_croissant=croissant)
    if output_format is OutputFormat.json:
        out.print_json(json.dumps(report.as_dict()))
    elif report.ok:
        out.print(_findings_table(report).title)
    else:
        out.print(_findings_table(report))
    raise typer.Exit(0 if report.ok else 1)


@app.command()
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


@app.command()
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
    from builder.report import ReportError, write_report  # matplotlib: only when asked

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


@app.command()
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
