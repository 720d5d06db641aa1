"""`longwit backup PATH`: a consistent copy of the database, safe to take while the window or a
voice call is writing (storage/backup.py)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from desktop.cli.progress_line import ProgressLine
from desktop.cli.support import reports_errors
from storage.backup import backup_database
from storage.paths import database_path


@click.command()
@click.argument("target", type=click.Path(path_type=Path), metavar="PATH")
@reports_errors
def backup(target: Path) -> None:
    """Copy the database (conversations, documents, memories, settings) to PATH.

    PATH is a new file, or a folder to put longwit.db in; an existing file is never replaced. The
    copy is one committed state even while Longwit is writing; to restore it, quit Longwit and put
    it in place of longwit.db in the data folder (model states and models are not in it: they are
    made again, or downloaded again, as needed)."""
    line = ProgressLine(sys.stderr)
    try:
        result = backup_database(database_path(), target, lambda done, total: line.update(
            done / total if total else 1.0, f"copying page {done:,} of {total:,}"))
    finally:
        line.clear()
    click.echo(f"backed up {result.pages:,} pages ({result.bytes / 2**20:.1f} MB) to {result.path}")
