"""Exporting one stored conversation: read it through the stores into a `ConversationArchive`,
render that as JSON or Markdown, and write the file whole or not at all.

Both formats come from the same archive, so what the Markdown shows and what the JSON carries
cannot drift apart.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from dataclasses import dataclass
from pathlib import Path

import sqlite_utils

from storage.citations import CitationStore, CitedSource, QuotedPassage
from storage.conversation_archive import (
    ArchivedCitation,
    ArchivedMessage,
    ArchivedRecall,
    ConversationArchive,
    PinnedDocument,
    archive_json,
)
from storage.conversation_markdown import archive_markdown
from storage.conversations import ConversationStore, now
from storage.database import database_file, translated_errors
from storage.documents import DocumentStore
from storage.errors import ExportNotWritten
from storage.recalled_sources import RecalledSources
from storage.word_timings import WordTimings

EXPORT_FORMATS = ("markdown", "json")
SUFFIX_FORMATS = {".md": "markdown", ".markdown": "markdown", ".json": "json"}


@dataclass(frozen=True)
class ExportedFile:
    path: Path
    format: str
    title: str
    message_count: int


def archived_citation(source: CitedSource) -> ArchivedCitation:
    quote = QuotedPassage(source.document_title, source.text, source.location, source.document_sha256)
    return ArchivedCitation(source.number, source.how, quote)


def archive_conversation(db: sqlite_utils.Database, conversation_id: int) -> ConversationArchive:
    """Everything stored about one conversation, as the export formats carry it. Read in one
    transaction, so a turn saved meanwhile (a voice call in another thread) is wholly in or out."""
    with translated_errors(database_file(db)), db.conn:
        db.execute("BEGIN")
        return read_conversation(db, conversation_id)


def read_conversation(db: sqlite_utils.Database, conversation_id: int) -> ConversationArchive:
    store = ConversationStore(db)
    conversation = store.get(conversation_id)
    messages = store.messages(conversation_id)
    cited: dict[int, list[ArchivedCitation]] = {}
    for source in CitationStore(db).sources([m.id for m in messages]):
        cited.setdefault(source.message_id, []).append(archived_citation(source))
    recalled = {message_id: tuple(ArchivedRecall(s.ordinal, s.kind, s.label, s.text, s.title, s.place)
                                  for s in sources)
                for message_id, sources in RecalledSources(db).for_messages([m.id for m in messages]).items()}
    timings = WordTimings(db)
    archived = tuple(
        ArchivedMessage(m.role, m.content, m.created, m.model, m.cut, m.stats,
                        tuple(timings.for_message(m.id)), tuple(cited.get(m.id, ())),
                        recalled.get(m.id, ()))
        for m in messages
    )
    pinned = tuple(PinnedDocument(d.title, d.sha256, d.kind)
                   for d in DocumentStore(db).pinned(conversation_id))
    return ConversationArchive(conversation.title, conversation.model, conversation.created,
                               conversation.updated, archived, pinned, exported=now())


def render(archive: ConversationArchive, format: str) -> str:
    """The archive as Markdown or as JSON (see conversation_archive for the JSON format)."""
    if format not in EXPORT_FORMATS:
        raise ValueError(f"unknown export format {format!r}; use one of {EXPORT_FORMATS}")
    return archive_json(archive) if format == "json" else archive_markdown(archive)


def export_text(db: sqlite_utils.Database, conversation_id: int, format: str) -> str:
    return render(archive_conversation(db, conversation_id), format)


def format_for(path: Path, default: str = "markdown") -> str:
    """The format a file name asks for (.json, .md), else `default`."""
    return SUFFIX_FORMATS.get(path.suffix.lower(), default)


def write_text_whole(text: str, path: Path) -> None:
    """Write a sibling file and rename it into place, so a failure (a full disk) never leaves half
    a file where an earlier export was. Opened with "x" rather than mkstemp: the file gets the
    user's usual permissions, not mkstemp's owner-only ones."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.part")
    try:
        with temporary.open("x", encoding="utf-8", newline="\n") as file:
            file.write(text)
        os.replace(temporary, path)
    except OSError as error:
        with contextlib.suppress(OSError):
            temporary.unlink(missing_ok=True)
        raise ExportNotWritten(path, error.strerror or str(error)) from error


def export_conversation(db: sqlite_utils.Database, conversation_id: int, path: Path,
                        format: str | None = None) -> ExportedFile:
    """Write one conversation to `path`, in `format` or the one its suffix names (Markdown if none)."""
    path = Path(path)
    chosen = format or format_for(path)
    archive = archive_conversation(db, conversation_id)
    write_text_whole(render(archive, chosen), path)
    return ExportedFile(path, chosen, archive.title, len(archive.messages))
