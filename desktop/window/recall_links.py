"""Where the link of a recalled text leads, read as a job for the window's DatabaseThread: the
earlier conversation at the message that was recalled, or the document opened at the passage, as
a citation opens it (desktop/window/document_viewer). A source that is not stored here (a
document removed or read again into new passages, a conversation deleted, or an answer imported
from another database) opens as the words kept with the answer."""

from __future__ import annotations

from dataclasses import dataclass

import sqlite_utils

from desktop.window.document_viewer import CitedPassage, passage_in_document
from storage import DocumentStore
from storage.recalled_sources import MESSAGE, RecalledSources

GONE_MESSAGE = ("That recalled message's conversation was just deleted; undo the deletion to open "
                "it.")


@dataclass(frozen=True)
class RecalledMessage:
    """An earlier conversation's message, to open that conversation at."""

    conversation_id: int
    message_id: int


def find_recalled(db: sqlite_utils.Database, message_id: int,
                  number: int) -> RecalledMessage | CitedPassage | None:
    """Where recalled text `number` of the answer `message_id` came from, or its kept words when
    that is not stored here; None when the answer is gone."""
    source = RecalledSources(db).get(message_id, number)
    if source is None:
        return None
    if source.kind == MESSAGE:
        if source.conversation_id is None or source.source_message_id is None:
            return CitedPassage(f"{source.title} (no longer stored here)", [source.text], 0,
                                source.place, whole_document=False)
        return RecalledMessage(source.conversation_id, source.source_message_id)
    if source.document_id is not None and source.chunk_id is not None:
        passage = passage_in_document(DocumentStore(db), source.document_id, source.chunk_id,
                                      source.title, source.place)
        if passage is not None:
            return passage
    return CitedPassage(source.title, [source.text], 0, source.place, whole_document=False)
