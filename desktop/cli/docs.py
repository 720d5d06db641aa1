"""`longwit docs`: add files and folders, list what is stored, remove a document.

`docs add` goes on past a file it cannot read: that file gets one `skipped:` line naming it, the
others are stored, and the exit code (1) says that something was skipped.
"""

from __future__ import annotations

import shutil
import sys
import time
from pathlib import Path
from typing import TextIO

import click

from desktop.cli.read_limits import limits
from desktop.cli.support import EXIT_ERROR, open_documents, reports_errors
from media.ingest import IngestResult, ingest_paths

PROGRESS_INTERVAL_S = 0.1


def human_size(size: int | None) -> str:
    if size is None:
        return "?"
    for unit, scale in (("GB", 2**30), ("MB", 2**20), ("KB", 2**10)):
        if size >= scale:
            return f"{size / scale:.1f} {unit}"
    return f"{size} B"


class ProgressLine:
    """One line on a terminal's stderr, rewritten in place; silent when stderr is not a terminal."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.shown = stream.isatty()
        self.last = 0.0

    def update(self, share: float, message: str) -> None:
        now = time.monotonic()
        if not self.shown or now - self.last < PROGRESS_INTERVAL_S:
            return
        self.last = now
        width = shutil.get_terminal_size().columns - 1
        self.stream.write(f"\r\x1b[K{share:4.0%} {message}"[: width + 4])
        self.stream.flush()

    def clear(self) -> None:
        if self.shown:
            self.stream.write("\r\x1b[K")
            self.stream.flush()


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
    """Documents Longwit answers from: add, list, remove."""


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
    """Stored documents, oldest first."""
    documents = open_documents().list()
    if not documents:
        click.echo("No documents yet; add some with `longwit docs add PATH…`.")
    for document in documents:
        added = document.created[:16].replace("T", " ")
        click.echo(f"{document.id:>5}  {document.title:<40} {document.kind:<9} "
                   f"{human_size(document.size_bytes):>9} {document.chunk_count:>6,} chunks  {added}")


@docs.command()
@click.argument("document_id", type=int, metavar="ID")
@reports_errors
def remove(document_id: int) -> None:
    """Delete a document with its chunks and search index (the file itself is left alone)."""
    store = open_documents()
    document = store.get(document_id)
    store.remove(document_id)
    click.echo(f"removed #{document.id} {document.title}")


docs.add_command(limits)
