"""What the window reads from a stored conversation, as jobs for its DatabaseThread: each takes that
thread's connection and returns plain values (messages ready to show, documents with their pages or
length), so the GUI thread only draws them."""

from __future__ import annotations

from dataclasses import dataclass

import sqlite_utils

from desktop.reply_stats import speed_parts
from desktop.window.conversation_view import ShownMessage
from desktop.window.document_viewer import citation_sources
from engine.deliberation import agreement_line
from storage import ConversationStore, Document, DocumentStore, Message
from storage.answer_samples import AnswerSample, AnswerSamples
from storage.document_extents import DocumentExtent, document_extents
from storage.recalled_sources import RecalledSources


@dataclass(frozen=True)
class AttachedDocument:
    """A document pinned to the conversation, with its pages (PDF) or length (audio) for its chip."""

    document: Document
    extent: DocumentExtent | None = None


@dataclass(frozen=True)
class OpenedConversation:
    """A conversation as the pane shows it: its turns with their details and sources, its documents."""

    conversation_id: int
    messages: list[ShownMessage]
    documents: list[AttachedDocument]
    recall: bool = True  # earlier conversations and other documents may be recalled into it


def meta_line(message: Message) -> str:
    parts = ["stopped before the end"] if message.cut else []
    stats = message.stats
    parts += speed_parts(stats.completion_tokens, stats.ttft_s, stats.tokens_per_s)
    if message.model:
        parts.append(message.model)
    return " · ".join(parts)


def deliberation_parts(samples: list[AnswerSample]) -> tuple[str, tuple[str, ...]]:
    """("3 of 5 answers agree", the first answer of each other group) for a deliberate answer."""
    if not samples:
        return "", ()
    agreeing = sum(1 for s in samples if s.group == 0)
    firsts: dict[int, str] = {}
    for sample in samples:
        if sample.group:
            firsts.setdefault(sample.group, sample.content)
    return agreement_line(agreeing, len(samples)), tuple(firsts[g] for g in sorted(firsts))


def read_conversation(db: sqlite_utils.Database, conversation_id: int) -> OpenedConversation:
    messages = [m for m in ConversationStore(db).messages(conversation_id)
                if m.role in ("user", "assistant")]
    documents = DocumentStore(db)
    sources = citation_sources(documents, [m.id for m in messages if m.role == "assistant"])
    samples = AnswerSamples(db)
    recalled = RecalledSources(db).for_messages([m.id for m in messages if m.role == "assistant"])
    shown = [ShownMessage(m.role, m.content, m.id, meta_line(m), tuple(sources.get(m.id, ())),
                          m.reasoning, *deliberation_parts(samples.for_message(m.id)),
                          recalled=tuple((r.ordinal, r.label) for r in recalled.get(m.id, ())))
             for m in messages]
    return OpenedConversation(conversation_id, shown, pinned(db, conversation_id),
                              ConversationStore(db).recall_enabled(conversation_id))


def create(db: sqlite_utils.Database, model: str | None, recall: bool) -> int:
    """A new conversation, with recall turned off from the start when the person chose so."""
    store = ConversationStore(db)
    conversation_id = store.create(model=model)
    if not recall:
        store.set_recall(conversation_id, False)
    return conversation_id


def set_recall(db: sqlite_utils.Database, conversation_id: int, on: bool) -> bool:
    ConversationStore(db).set_recall(conversation_id, on)
    return on


def last_question(db: sqlite_utils.Database, conversation_id: int) -> str | None:
    messages = ConversationStore(db).messages(conversation_id)
    return next((m.content for m in reversed(messages) if m.role == "user"), None)


def pinned(db: sqlite_utils.Database, conversation_id: int) -> list[AttachedDocument]:
    documents = DocumentStore(db).pinned(conversation_id)
    extents = document_extents(db, [d.id for d in documents])
    return [AttachedDocument(d, extents.get(d.id)) for d in documents]


def pin(db: sqlite_utils.Database, conversation_id: int, document_id: int) -> list[AttachedDocument]:
    """Pin a stored document (from the library); the documents now pinned."""
    DocumentStore(db).pin(conversation_id, document_id)
    return pinned(db, conversation_id)


def unpin(db: sqlite_utils.Database, conversation_id: int, document_id: int) -> list[AttachedDocument]:
    """Unpin a document; the documents still pinned."""
    DocumentStore(db).unpin(conversation_id, document_id)
    return pinned(db, conversation_id)


def without_unsaved_answer(messages: list[ShownMessage]) -> list[ShownMessage]:
    """The messages up to the last question: read while an answer streams, they may already hold
    that answer (saved as it ends), which the view is showing as it streams."""
    last_user = max((i for i, m in enumerate(messages) if m.role == "user"), default=-1)
    return messages[: last_user + 1]
