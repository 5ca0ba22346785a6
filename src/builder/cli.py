"""The `builder` command: parse arguments, call the library, print. Nothing else here."""

from __future__ import annotations

import json
import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from builder import __version__
from builder.build import BuildError, BuildReport, build
from builder.records import DumpResult
from builder.sources import DEFAULT_MAX_BYTES, InputError, find_inputs

app = typer.Typer(
    help="Turn raw page dumps of news aggregators into a versioned, validated article dataset.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
out = Console()
err = Console(stderr=True)


def _fail(message: str, code: int = 2) -> typer.Exit:
    err.print(f"[bold red]error:[/] {message}", highlight=False)
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
    if report.path is not None:
        table.add_row("release", str(report.path))
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
    workers: Annotated[int, typer.Option(help="Processes for the per-dump stage.", min=1)] = 1,
    max_bytes: Annotated[
        int, typer.Option(help="Per-dump size limit; larger dumps are quarantined.", min=1)
    ] = DEFAULT_MAX_BYTES,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing but errors.")] = False,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the summary as JSON (for scripts).")
    ] = False,
) -> None:
    """Build (or add a version to) a dataset from page dumps.

    Every input ends up in the `dumps` table, parsed or quarantined with a reason;
    the build exits 0 when it published, even with quarantined inputs.

    Example:

        builder make samples/ --out build/demo

        builder make 'crawl/*.jsonl.gz' more/ --out dataset/ --captured-at 2025-07-01T00:00:00Z
    """
    when = _parse_time(captured_at)
    try:
        n_files = len(find_inputs(inputs))
    except InputError as exc:
        raise _fail(str(exc)) from None
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
    task = progress.add_task("dumps", total=n_files)

    def advance(result: DumpResult) -> None:
        if "#L" not in result.dump.path or result.dump.path.endswith("#L1"):
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
            )
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


def run() -> None:  # pragma: no cover - console entry for `python -m builder`
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    app()
