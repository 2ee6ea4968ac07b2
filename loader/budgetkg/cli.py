"""The ``budgetkg`` command: a thin shell over the library."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from .errors import BudgetkgError

EXIT_OK, EXIT_PROBLEMS, EXIT_UNREADABLE = 0, 1, 2


def _documents(paths: tuple[Path, ...]) -> list[Path | None]:
    """The documents named on the command line; a directory stands for its ``*.txt`` files."""
    if not paths:
        return [None]
    out: list[Path | None] = []
    for p in paths:
        out.extend(sorted(p.glob("*.txt")) if p.is_dir() else [p])
    return out


class _Group(click.Group):
    def invoke(self, ctx: click.Context):  # type: ignore[override]
        try:
            return super().invoke(ctx)
        except BudgetkgError as exc:
            if ctx.params.get("debug"):
                raise
            click.echo(str(exc), err=True)
            ctx.exit(EXIT_UNREADABLE)


@click.group(cls=_Group)
@click.option("--debug", is_flag=True, help="Show tracebacks for errors (default: message only).")
@click.version_option(package_name="budgetkg")
def cli(debug: bool) -> None:
    """budgetkg: Chinese department budget disclosures (部门预算公开) as a knowledge graph.

    Exit codes: 0 success; 1 the job ran and found problems in the data (broken
    identities); 2 the job could not run (unreadable input, usage error).
    """


@cli.command()
@click.argument("docs", nargs=-1, type=click.Path(exists=True, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True,
              help="table: a readable report; json: every identity with its figures and source lines.")
@click.option("--all", "show_all", is_flag=True, help="List exact identities too (default: only rounding and broken).")
def check(docs: tuple[Path, ...], fmt: str, show_all: bool) -> None:
    """Read disclosures and check their accounting identities (勾稽关系).

    DOCS are text files or directories of them (default: the bundled Guangzhou HRSS 2024
    budget). Exit 0 when every document read and no identity is broken, 1 when some
    identity is broken, 2 when some input could not be read.
    """
    from .document import read_document
    from .report import check_document

    status = EXIT_OK
    reports = []
    for path in _documents(docs):
        try:
            report = check_document(read_document(path))
        except BudgetkgError as exc:
            click.echo(str(exc), err=True)
            status = EXIT_UNREADABLE
            continue
        reports.append(report)
        if report.broken and status == EXIT_OK:
            status = EXIT_PROBLEMS
        if fmt == "table":
            click.echo(report.to_text(show="all" if show_all else "problems"))
    if fmt == "json":
        json.dump([r.to_json() for r in reports], sys.stdout, ensure_ascii=False, indent=2)
        click.echo()
    sys.exit(status)
