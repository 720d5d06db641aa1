"""`longwit docs folders`: the watched folders, whose new files are read into the library (by the
window while it runs, or by `docs folders scan`): add, list, remove, scan."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from desktop.cli.progress_line import ProgressLine
from desktop.cli.support import EXIT_ERROR, fail, open_documents, reports_errors
from media.folder_scan import scan_watched_folders
from storage.watched_folders import WatchedFolders


@click.group()
def folders() -> None:
    """Folders whose new files are read into the library: add, list, remove, scan."""


@folders.command(name="add")
@click.argument("path", type=click.Path(path_type=Path))
@reports_errors
def add_folder(path: Path) -> None:
    """Watch a folder (its files are read at the next scan)."""
    if not path.is_dir():
        fail(f"{path} is not a folder; give the path of a folder to watch.")
    folder = WatchedFolders(open_documents().db).add(path)
    click.echo(f"watching #{folder.id} {folder.path}; `longwit docs folders scan` reads its files now")


@folders.command(name="list")
@reports_errors
def list_folders() -> None:
    """The watched folders and how many documents each gave."""
    watched = WatchedFolders(open_documents().db).list()
    if not watched:
        click.echo("No watched folders; add one with `longwit docs folders add PATH`.")
    for folder in watched:
        there = "" if Path(folder.path).is_dir() else "  (not there)"
        click.echo(f"{folder.id:>5}  {folder.path}  {folder.documents:,} documents  "
                   f"since {folder.added[:10]}{there}")


@folders.command(name="remove")
@click.argument("folder", metavar="ID|PATH")
@reports_errors
def remove_folder(folder: str) -> None:
    """Stop watching a folder; the documents read from it stay in the library."""
    chosen: int | str = int(folder) if folder.isdigit() else folder
    removed = WatchedFolders(open_documents().db).remove(chosen)
    click.echo(f"stopped watching #{removed.id} {removed.path}")


@folders.command(name="scan")
@reports_errors
def scan() -> None:
    """Read the watched folders' new files now (exit code 1 if a file or folder was skipped)."""
    line = ProgressLine(sys.stderr)
    try:
        result = scan_watched_folders(open_documents(), progress=line.update, settle_s=0.0)
    finally:
        line.clear()
    for document in result.added:
        click.echo(f"added #{document.id} {document.title} ({document.kind})")
    for problem in [*result.failed, *(f"{path}: not there" for path in result.missing)]:
        click.echo(f"skipped: {problem}", err=True)
    if not result.added and not result.failed and not result.missing:
        click.echo("nothing new in the watched folders")
    if result.failed or result.missing:
        sys.exit(EXIT_ERROR)
