"""`longwit export` and `longwit import`: one conversation out to Markdown or JSON, and a JSON export
back in as a new conversation. Conversations are named by the ids `longwit history` lists."""

from __future__ import annotations

from pathlib import Path

import click

from desktop.cli.support import open_store, reports_errors
from storage.conversation_export import EXPORT_FORMATS, export_conversation, export_text, format_for
from storage.conversation_import import ImportedConversation, import_file


@click.command(name="export")
@click.argument("conversation_id", type=int, metavar="CONVERSATION_ID")
@click.option("--format", "-f", "format_", type=click.Choice(EXPORT_FORMATS), default=None,
              help="markdown (to read) or json (to import again); default: from -o's suffix, "
                   "else markdown.")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path),
              default=None, metavar="PATH", help="Write to PATH instead of standard output.")
@reports_errors
def export(conversation_id: int, format_: str | None, output: Path | None) -> None:
    """Write a conversation as Markdown or JSON.

    CONVERSATION_ID is one of the ids `longwit history` lists. Both formats keep each answer's
    sources with their passages; JSON also keeps reply statistics and the timing of every spoken
    word, and `longwit import` reads it back."""
    store = open_store()
    if output is None:
        click.echo(export_text(store.db, conversation_id, format_ or "markdown"), nl=False)
        return
    written = export_conversation(store.db, conversation_id, output, format_ or format_for(output))
    click.echo(f"exported #{conversation_id} {written.title or '(untitled)'} "
               f"({counted(written.message_count, 'message')}, {written.format}) to {written.path}")


def counted(number: int, noun: str) -> str:
    return f"{number} {noun}" + ("" if number == 1 else "s")


def describe_import(imported: ImportedConversation) -> str:
    notes = [counted(imported.message_count, "message")]
    if imported.linked_citations:
        notes.append(f"{counted(imported.linked_citations, 'citation')} linked to stored documents")
    if imported.quoted_citations:
        notes.append(f"{counted(imported.quoted_citations, 'citation')} kept as quoted passages "
                     "(their documents are not stored here)")
    if imported.pinned_documents:
        notes.append(f"{counted(imported.pinned_documents, 'document')} pinned")
    return (f"imported as #{imported.conversation_id} {imported.title or '(untitled)'} "
            f"({'; '.join(notes)})")


@click.command(name="import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@reports_errors
def import_conversation(file: Path) -> None:
    """Add a conversation from a JSON export.

    It becomes a new conversation (nothing is overwritten); a file that is not a whole, valid export
    changes nothing."""
    imported = import_file(open_store().db, file)
    click.echo(describe_import(imported))
