"""`longwit docs`: add files and folders, list what is stored, remove a document, read one again
from its file, and the watched folders (`docs folders`, in desktop/cli/doc_folders).

`docs add` goes on past a file it cannot read: that file gets one `skipped:` line naming it, the
others are stored, and the exit code (1) says that something was skipped.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from desktop.cli.doc_folders import folders
from desktop.cli.progress_line import ProgressLine
from desktop.cli.read_limits import limits
from desktop.cli.support import EXIT_ERROR, open_documents, reports_errors
from media.ingest import IngestResult, ingest_paths
from media.reread import reread_document
from storage import states_path
from storage.document_removal import delete_state_files, sweep_orphan_state_files
from storage.library import Library


def human_size(size: int | None) -> str:
    if size is None:
        return "?"
    for unit, scale in (("GB", 2**30), ("MB", 2**20), ("KB", 2**10)):
        if size >= scale:
            return f"{size / scale:.1f} {unit}"
    return f"{size} B"


def report(result: IngestResult) -> None:
    document = result.document
    if result.status == "added" and document is not None:
        click.echo(f"added #{document.id} {document.title} ({document.chunk_count:,} chunks, "
                   f"{document.kind}, {human_size(document.size_bytes)})")
    elif result.status == "duplicate" and document is not None:
        click.echo(f"{result.path.name}: already stored as #{document.id} {document.title}")
    elif result.status == "cancelled":
        click.echo(f"stopped: {result.message}", err=True)
    else:
        click.echo(f"skipped: {result.message}", err=True)


@click.group()
def docs() -> None:
    """Documents Longwit answers from: add, list, remove, reread, watched folders."""


docs.add_command(folders)


@docs.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@reports_errors
def add(paths: tuple[Path, ...]) -> None:
    """Read files (or every readable file in folders) and store them."""
    store = open_documents()
    line = ProgressLine(sys.stderr)
    all_ok = True
    try:
        for result in ingest_paths(paths, store, progress=line.update):
            line.clear()
            report(result)
            all_ok = all_ok and result.ok
    finally:
        line.clear()
    if not all_ok:
        sys.exit(EXIT_ERROR)


@docs.command(name="list")
@reports_errors
def list_documents() -> None:
    """Stored documents, newest first: type, size, pages, date added, conversations using each."""
    entries = Library(open_documents().db).entries()
    if not entries:
        click.echo("No documents yet; add some with `longwit docs add PATH…`, or watch a folder "
                   "with `longwit docs folders add PATH`.")
    for entry in entries:
        document = entry.document
        added = document.created[:16].replace("T", " ")
        pages = f"{document.page_count:,} p." if document.page_count else "–"
        used = f"in {len(entry.conversations)} conversation{'s' * (len(entry.conversations) != 1)}"
        click.echo(f"{document.id:>5}  {document.title:<40} {document.kind:<9} "
                   f"{human_size(document.size_bytes):>9} {pages:>7} {document.chunk_count:>6,} "
                   f"chunks  {added}  {used if entry.conversations else 'unused'}")


@docs.command()
@click.argument("document_id", type=int, metavar="ID")
@reports_errors
def remove(document_id: int) -> None:
    """Delete a document with its chunks, search index, pins and the saved model states that hold
    it; answers that cited it keep the passages' words (the file itself is left alone)."""
    store = open_documents()
    removed = store.remove(document_id)
    delete_state_files(states_path(), removed.state_files)
    sweep_orphan_state_files(store.db, states_path())
    said = removed.summary()
    click.echo(f"removed #{removed.document.id} {removed.document.title}" + (f" ({said})" if said else ""))


@docs.command()
@click.argument("document_id", type=int, metavar="ID")
@reports_errors
def reread(document_id: int) -> None:
    """Read a document again from the file it came from (same id and pins, new passages); if the
    file has moved or cannot be read, the stored copy is kept and one line says why."""
    line = ProgressLine(sys.stderr)
    try:
        again = reread_document(document_id, open_documents(), states_path(), progress=line.update)
    finally:
        line.clear()
    click.echo(again.line())


docs.add_command(limits)
