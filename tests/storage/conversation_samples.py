"""A stored conversation with everything an export carries: a pinned document, a spoken question
with word timings, an answer with reply statistics, two citations (one cited, one matched by
wording) and two recalled texts (an earlier conversation's message and a passage), and an answer cut
short. Shared by the export, import and command-line tests."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import sqlite_utils

from storage import ConversationStore, DocumentStore, MessageStats, NewChunk, WordTiming
from storage.citations import CitationStore
from storage.recalled_sources import MESSAGE, PASSAGE, RecalledSource, RecalledSources

PASSAGES = (
    "The harbour of Velmora was rebuilt in 1887 after the great flood.",
    "Its lighthouse keeper, Ansel Marrow,\nkept a diary of every ship that passed.",
)
SPOKEN = (WordTiming("Who", 0.42, 0.61, 0.93), WordTiming("kept", 0.61, 0.88, 0.9),
          WordTiming("the", 0.88, 0.97, None), WordTiming("light?", 0.97, 1.4, 0.81))
TOLD_BEFORE = "My grandfather sailed past Velmora in 1931."
RECALLED = (
    RecalledSource(1, MESSAGE, "conversation 1 'Family' (3 Nov 2026), message 1", TOLD_BEFORE,
                   "Family", "3 Nov 2026"),
    RecalledSource(2, PASSAGE, "document 'Velmora harbour records', p. 2", PASSAGES[0],
                   "Velmora harbour records", "p. 2"),
)
STATS = MessageStats(prompt_tokens=310, completion_tokens=14, ttft_s=0.21, tokens_per_s=62.5,
                     duration_s=0.43, cached_tokens=280)


@dataclass(frozen=True)
class Sample:
    conversation_id: int
    document_id: int
    answer_id: int


def stored_sample(db: sqlite_utils.Database) -> Sample:
    store, documents = ConversationStore(db), DocumentStore(db)
    document = documents.add("Velmora harbour records", "/papers/velmora.pdf", "5eed" * 16, "pdf",
                             2048, [NewChunk(PASSAGES[0], 0, page=2), NewChunk(PASSAGES[1], 70, page=3)])
    chunks = documents.chunks(document)
    earlier = store.create("Family")
    told = store.add_message(earlier, "user", TOLD_BEFORE)
    conversation = store.create()
    documents.pin(conversation, document)
    store.add_message(conversation, "user", "Who kept the light?", words=SPOKEN)
    answer = store.add_message(conversation, "assistant", "Ansel Marrow kept it [1], after 1887 [2].",
                               model="smollm2-135m-instruct", stats=STATS)
    CitationStore(db).add(answer, [(1, chunks[1].id, "cited"), (2, chunks[0].id, "matched")])
    RecalledSources(db).add(answer, [
        dataclasses.replace(RECALLED[0], source_message_id=told),
        dataclasses.replace(RECALLED[1], chunk_id=chunks[0].id)])
    store.add_message(conversation, "user", "Did he write about ships?")
    store.add_message(conversation, "assistant", "Yes, every ship", model="smollm2-135m-instruct",
                      cut=True)
    return Sample(conversation, document, answer)


def table_counts(db: sqlite_utils.Database) -> dict[str, int]:
    tables = ("conversations", "messages", "message_citations", "word_timings",
              "conversation_documents", "recalled_sources")
    return {t: db.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in tables}
