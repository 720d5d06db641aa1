"""Importing a conversation file (the JSON export) as a new conversation, in one transaction: the
file is read and checked whole first, then the conversation, its messages, word timings, citations
and pins are written together, so a failure at any point leaves the database as it was. An import
never touches an existing conversation.

A citation finds its passage again when the same document (by SHA-256) is stored here and holds
that exact passage; otherwise it keeps the passage by its words (a quoted citation), so the answer
still shows where it came from. A recalled text comes back by its words, label and place, linked
to nothing here (as one whose source was deleted): it opens as a quote.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import sqlite_utils

from storage import crash_points
from storage.citations import insert_chunk_citation, insert_quoted_citation
from storage.conversation_archive import (
    DEFAULT_LIMITS,
    ArchivedCitation,
    ArchiveLimits,
    ConversationArchive,
    read_archive,
)
from storage.conversations import insert_conversation, insert_message, now, title_from
from storage.database import database_file, translated_errors
from storage.documents import Document, DocumentStore, insert_pin
from storage.errors import ArchiveTooLarge, ArchiveUnreadable
from storage.recalled_sources import RecalledSource, insert_recalled


@dataclass(frozen=True)
class ImportedConversation:
    conversation_id: int
    title: str
    message_count: int
    linked_citations: int  # found again in a document stored here
    quoted_citations: int  # kept by their words: their document is not stored here
    pinned_documents: int


class CitationLinker:
    """Finds a cited passage in this database's documents, remembering documents by hash."""

    def __init__(self, documents: DocumentStore) -> None:
        self.documents = documents
        self.by_sha256: dict[str, Document | None] = {}

    def document(self, sha256: str | None) -> Document | None:
        if sha256 is None:
            return None
        if sha256 not in self.by_sha256:
            self.by_sha256[sha256] = self.documents.find_by_sha256(sha256)
        return self.by_sha256[sha256]

    def chunk_id(self, citation: ArchivedCitation) -> int | None:
        document = self.document(citation.quote.document_sha256)
        if document is None:
            return None
        chunk = self.documents.find_chunk(document.id, citation.quote.text)
        return None if chunk is None else chunk.id


def conversation_title(archive: ConversationArchive) -> str:
    """The archive's title, else the first question's, as a new conversation would get."""
    if archive.title.strip():
        return archive.title
    first = next((m.content for m in archive.messages if m.role == "user"), "")
    return title_from(first)


def import_archive(db: sqlite_utils.Database, archive: ConversationArchive) -> ImportedConversation:
    """Write the archive as a new conversation, whole or not at all. Messages keep their own
    times; the conversation counts as updated now, so it shows first in the list."""
    documents = DocumentStore(db)
    linker = CitationLinker(documents)
    linked = quoted = 0
    title = conversation_title(archive)
    with translated_errors(database_file(db)), db.conn:
        db.execute("BEGIN IMMEDIATE")
        conversation_id = insert_conversation(db, title, archive.model, archive.created, now())
        for message in archive.messages:
            message_id = insert_message(
                db, conversation_id, message.role, message.content, model=message.model,
                stats=message.stats, cut=message.cut, created=message.created, words=message.words,
            )
            for citation in message.citations:
                chunk_id = linker.chunk_id(citation)
                if chunk_id is None:
                    insert_quoted_citation(db, message_id, citation.number, citation.how,
                                           citation.quote)
                    quoted += 1
                else:
                    insert_chunk_citation(db, message_id, citation.number, chunk_id, citation.how)
                    linked += 1
            insert_recalled(db, message_id, [
                RecalledSource(r.number, r.kind, r.label, r.text, r.title, r.place)
                for r in message.recalled])
        found = (linker.document(p.sha256) for p in archive.pinned)
        pinned = list({d.id: d for d in found if d is not None}.values())
        for document in pinned:
            insert_pin(db, conversation_id, document.id)
        crash_points.reached("import.writing")
    crash_points.reached("import.committed", conversation_id=conversation_id,
                         messages=len(archive.messages))
    return ImportedConversation(conversation_id, title_from(title), len(archive.messages), linked,
                                quoted, len(pinned))


def read_archive_file(path: Path, limits: ArchiveLimits = DEFAULT_LIMITS) -> ConversationArchive:
    """Read and check a file; its size is checked before a byte of it is read."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > limits.max_bytes:
            raise ArchiveTooLarge(str(path), size, limits.max_bytes)
        data = path.read_bytes()
    except OSError as error:
        raise ArchiveUnreadable(path, error.strerror or str(error)) from error
    return read_archive(data, str(path), limits)


def import_file(db: sqlite_utils.Database, path: Path,
                limits: ArchiveLimits = DEFAULT_LIMITS) -> ImportedConversation:
    """Import a conversation file as a new conversation (see import_archive)."""
    return import_archive(db, read_archive_file(path, limits))
